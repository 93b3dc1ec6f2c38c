"""A translate5 without the InstantTranslate plugin (knob ``instant_translate=False``), as recorded: part 2
§100-102 (a server built from translate5's public source; InstantTranslate is a private plugin)."""

from __future__ import annotations

import json

import pytest
import requests

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import url


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "translate", {"data": {"text": "Contact us today.", "source": "en", "target": "de"}}),
        (
            "POST",
            "filepretranslate",
            {"files": {"file": ("page.xlf", b"<xliff/>")}, "data": {"source": "en"}},
        ),
        ("GET", "filelist", {}),
    ],
    ids=["100-translate", "101-filepretranslate", "102-filelist"],
)
def test_every_route_answers_the_404_html_page_even_to_accept_json(
    sim: Translate5Simulator, api: requests.Session, method: str, path: str, body: dict
) -> None:
    sim.set(instant_translate=False)
    uri = f"/editor/instanttranslateapi/{path}"
    response = api.request(method, url(sim, uri), headers={"Accept": "application/json"}, **body)

    assert response.status_code == 404
    assert response.headers["Content-type"] == "text/html; charset=utf-8"
    assert "Content-Length" not in response.headers
    assert "X-Translate5-Version" not in response.headers
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert "Seite nicht gefunden!" in response.text
    assert f"Request URI:<br/>{uri}" in response.text
    assert sim.store.tasks == {}  # the upload was read and thrown away, no pre-translation task
