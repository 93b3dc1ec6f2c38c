"""The Airflow plugin of the translate5 view: a FastAPI app and where the Airflow UI shows it.

Airflow imports this module in every process that loads plugins, task runners included (for macros), so it
imports nothing heavy: the FastAPI app is built when the API server first sends it a request.

The UI shows the view as a "translate5" tab of every DAG run (``{DAG_ID}``/``{RUN_ID}`` are filled in by the
UI) and under Browse for the recent runs of all DAGs; both render the app's pages inside the UI.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from airflow.providers.common.compat.sdk import AirflowPlugin

from airflow_provider_translate5.links import VIEW_URL_PREFIX

Scope = dict[str, Any]


class LazyApp:
    """An ASGI app that builds the view's FastAPI app on its first request (Airflow mounts it as given)."""

    def __init__(self) -> None:
        self._app: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._app is None:
                from airflow_provider_translate5.ui.app import create_app

                self._app = create_app()
            return self._app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self._get()(scope, receive, send)


def _ui_root() -> str:
    """The path the Airflow UI is served under (``[api] base_url``'s path), for the views' hrefs."""
    from airflow.providers.common.compat.sdk import conf

    base_url = conf.get("api", "base_url", fallback="") or ""
    return urlsplit(base_url).path.rstrip("/")


class Translate5Plugin(AirflowPlugin):
    """The translate5 view: every translate5 project and task of a DAG run, live from translate5."""

    name = "translate5"
    fastapi_apps = [{"app": LazyApp(), "url_prefix": VIEW_URL_PREFIX, "name": "translate5 view"}]
    external_views = [
        {
            "name": "translate5",
            "href": f"{_ui_root()}{VIEW_URL_PREFIX}/dags/{{DAG_ID}}/runs/{{RUN_ID}}",
            "destination": "dag_run",
            "url_route": "translate5-run",
        },
        {
            "name": "translate5",
            "href": f"{_ui_root()}{VIEW_URL_PREFIX}/",
            "destination": "nav",
            "category": "browse",
            "url_route": "translate5",
        },
    ]
