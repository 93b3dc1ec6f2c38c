"""An auth manager for the view's tests: Airflow's simple auth manager, except that the user ``outsider``
(role viewer, so it may read every other DAG) may not read the DAGs in ``DENIED``.

The simple auth manager grants per role, never per DAG; this is the smallest real auth manager that decides
per DAG, so the tests prove that the view asks Airflow about the very DAG it shows (and that its overview
of recent runs asks for each DAG: Airflow's default ``filter_authorized_dag_ids`` calls this per DAG).
"""

from __future__ import annotations

import os
from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

OUTSIDER = "outsider"
#: DAG ids the outsider may not read: the tests add the DAG they run (an API server started by a test reads
#: them from ``TRANSLATE5_UI_TEST_DENIED_DAGS``, comma-separated).
DENIED: set[str] = {dag for dag in os.environ.get("TRANSLATE5_UI_TEST_DENIED_DAGS", "").split(",") if dag}


class OneDagDeniedAuthManager(SimpleAuthManager):
    def is_authorized_dag(
        self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        if user.get_name() == OUTSIDER and details is not None and details.id in DENIED:
            return False
        return bool(
            super().is_authorized_dag(method=method, user=user, access_entity=access_entity, details=details)
        )
