"""The extra links shown on every operator and sensor that knows a translate5 task.

"translate5 task" opens the task or project an Airflow task works on in translate5's web UI. One Airflow
task may cover many translate5 tasks in several projects (a wait given ``upload.output["task_ids"]`` of a
batch), and Airflow offers one URL per link class, so "translate5 view" opens the provider's translate5 view
of the DAG run (``airflow_provider_translate5.ui``) filtered to that task instance: every project and task it
covers, each with its own link into translate5.

In Airflow 3 ``get_link`` runs on the worker when a try ends (also the try that defers) and its result is
stored in XCom; the API server only reads that XCom. The operators therefore push the URL to XCom themselves
as soon as the translate5 task is known, so the link works while a wait of days is still running, and keep
it on the operator (:data:`LINK_ATTRIBUTE`; a try resumed after a deferral reads it back from XCom first).
``get_link`` reads it there: asking Airflow for an XCom this try never pushed (a task without a translate5
task, a try that failed before it knew one) is logged as an error, in runs that succeed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

#: XCom key of the translate5 web UI URL of the task or project an Airflow task works on.
TASK_URL_XCOM_KEY = "translate5_task_url"
#: XCom key of the translate5 task (or project) id, pushed as early as the URL.
TASK_ID_XCOM_KEY = "translate5_task_id"
#: XCom key of an InstantTranslate pre-translation id (its file-list ``taskId``), pushed once it is known.
PRETRANSLATION_ID_XCOM_KEY = "translate5_pretranslation_id"

#: The operator attribute holding what the try published: ``{"id": <translate5 id>, "url": <UI link>}``.
LINK_ATTRIBUTE = "translate5_link"

#: Where the provider's Airflow plugin serves the translate5 view, below Airflow's base URL.
VIEW_URL_PREFIX = "/translate5"


def view_path(dag_id: str, run_id: str, task_id: str | None = None, map_index: int | None = None) -> str:
    """Path of the translate5 view of a DAG run (below Airflow's base URL), or of one task instance."""
    path = f"{VIEW_URL_PREFIX}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
    query: dict[str, str] = {}
    if task_id:
        query["task_id"] = task_id
        if map_index is not None and map_index >= 0:
            query["map_index"] = str(map_index)
    return f"{path}?{urlencode(query)}" if query else path


def published(operator: Any) -> Mapping[str, Any]:
    """The translate5 id and link the operator's try published (empty when it published none)."""
    link = getattr(operator, LINK_ATTRIBUTE, None)
    return link if isinstance(link, Mapping) else {}


class Translate5TaskLink(BaseOperatorLink):
    """Open the translate5 task or project in translate5's web UI."""

    name = "translate5 task"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        url = published(operator).get("url")
        return url if isinstance(url, str) else ""


class Translate5ViewLink(BaseOperatorLink):
    """Open the translate5 view of the DAG run, filtered to this task instance: all its projects and tasks.

    Shown once the task instance recorded a translate5 task (the view would be empty before). The URL is
    absolute when ``[api] base_url`` is set, else a path on the Airflow UI's own server.
    """

    name = "translate5 view"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.sdk import conf

        if published(operator).get("id") is None:
            return ""
        base = (conf.get("api", "base_url", fallback="") or "").rstrip("/")
        return base + view_path(ti_key.dag_id, ti_key.run_id, ti_key.task_id, ti_key.map_index)
