"""``GET /editor``: where links into translate5's web UI land on the simulator (a page saying so)."""

from __future__ import annotations

import re

from airflow_provider_translate5.testing import views
from airflow_provider_translate5.testing.protocol import HTML_TYPE, Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route


def editor(ctx: Ctx, _: re.Match[str]) -> Response:
    with ctx.store.lock:
        page = views.editor_page(ctx.store)
    return Response(200, [("Content-Type", HTML_TYPE)], page.encode("utf-8"))


#: Public: translate5 answers its UI's URL without a token too (with its login page); no API data leaves here
#: that a test on this machine could not read from the simulator's control API anyway.
ROUTES: list[Route] = [route("GET", r"/editor", editor, public=True)]
