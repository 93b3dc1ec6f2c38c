"""The "translate5 task" extra link shown on every operator and sensor that knows a translate5 task.

In Airflow 3 ``get_link`` runs on the worker when a try ends (also the try that defers) and its result is
stored in XCom; the API server only reads that XCom. The operators therefore push the URL to XCom themselves
as soon as the translate5 task is known, so the link works while a wait of days is still running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


class Translate5TaskLink(BaseOperatorLink):
    """Open the translate5 task or project in translate5's web UI."""

    name = "translate5 task"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        url = XCom.get_value(ti_key=ti_key, key=TASK_URL_XCOM_KEY)
        return url if isinstance(url, str) else ""
