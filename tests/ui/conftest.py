"""One finished DAG run against the simulator, and Airflow's own API server app (with the translate5 view
mounted by the plugin machinery, as ``airflow api-server`` mounts it) to look at it through.

The run: one upload of 3 items into 3 projects of 2 tasks each (customer 1000: its default jobs assign
translator1 and reviewer1), a wait for the workflow that covers all 6 tasks, and a wait for the import mapped
over the 3 projects.
"""

from __future__ import annotations

import runpy
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import authz
import pytest

DAG_ID = "t5_ui_view"
ITEMS = ("Home page", "Pricing page", "Contact page")
USERS = "viewer:viewer,outsider:viewer"


@dataclass
class ViewRun:
    dag_id: str
    run_id: str
    sim: Any
    project_ids: list[int]
    task_ids: list[int]
    client: Any  # fastapi.testclient.TestClient on Airflow's API server app

    def token(self, user: str, role: str = "viewer") -> str:
        from airflow.api_fastapi.app import get_auth_manager
        from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

        return str(get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=user, role=role)))

    def get(self, path: str, user: str | None = "viewer", *, cookie: bool = True) -> Any:
        """GET as the UI's iframe does (the session cookie), or with a bearer token (``cookie=False``)."""
        self.client.cookies.clear()
        headers = {}
        if user is not None:
            if cookie:
                self.client.cookies.set("_token", self.token(user))
            else:
                headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.client.get(path, headers=headers)


DAG_SOURCE = """
import datetime
import pendulum
from airflow.sdk import DAG, task
from airflow_provider_translate5.operators import Translate5UploadTaskOperator
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         default_args={{"retries": 0}}) as dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload",
        items={items!r},
        source_lang="en",
        target_lang=["de", "fr"],
        customer_id="1000",
    )

    @task
    def projects(items):
        return [item["id"] for item in items]

    Translate5ImportSensor.partial(task_id="wait_for_import", poke_interval=0.05, timeout=60).expand(
        translate5_task_id=projects(upload.output["items"])
    )
    Translate5WorkflowEndedSensor(
        task_id="wait_for_translation",
        translate5_task_ids=upload.output["task_ids"],
        poke_interval=0.05,
        timeout=60,
    )
"""


@pytest.fixture(scope="module")
def view_run(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ViewRun]:
    import airflow.settings as settings
    from airflow.api_fastapi.app import create_app, purge_cached_app
    from fastapi.testclient import TestClient

    from airflow_provider_translate5.testing.server import Translate5Simulator
    from airflow_provider_translate5.ui import overview

    folder = tmp_path_factory.mktemp("ui-run")
    items = []
    for number, name in enumerate(ITEMS, 1):
        source = folder / f"page{number}.html"
        source.write_text(f"<p>{name}.</p><p>Second sentence of item {number}.</p>", encoding="utf-8")
        items.append({"source": str(source), "task_name": name, "foreign_id": f"ui-view-item-{number}"})
    dags = folder / "dags"
    dags.mkdir()
    path = dags / f"{DAG_ID}.py"
    path.write_text(textwrap.dedent(DAG_SOURCE.format(dag_id=DAG_ID, items=items)), encoding="utf-8")
    with (
        pytest.MonkeyPatch.context() as patch,
        Translate5Simulator(import_duration=0.1, workflow_auto_finish=0.5) as sim,
    ):
        patch.setenv("AIRFLOW_CONN_TRANSLATE5_DEFAULT", sim.airflow_connection_json())
        patch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
        patch.setattr(settings, "DAGS_FOLDER", str(dags))
        patch.setenv("AIRFLOW__CORE__AUTH_MANAGER", "authz.OneDagDeniedAuthManager")
        patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", USERS)
        patch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.test")
        patch.setattr(authz, "DENIED", {DAG_ID})
        dag = runpy.run_path(str(path), run_name=f"t5_dag_{DAG_ID}")["dag"]
        run = dag.test()
        assert str(run.state) == "success", run.get_task_instances()
        upload = _xcom(DAG_ID, run.run_id, "upload")
        purge_cached_app()
        overview._CLIENTS.clear()
        with TestClient(create_app(apps="core"), base_url="http://airflow.test") as client:
            yield ViewRun(
                dag_id=DAG_ID,
                run_id=run.run_id,
                sim=sim,
                project_ids=[item["id"] for item in upload["items"]],
                task_ids=list(upload["task_ids"]),
                client=client,
            )
        overview._CLIENTS.clear()
        purge_cached_app()


def _xcom(dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == dag_id,
                XComModel.run_id == run_id,
                XComModel.task_id == task_id,
                XComModel.map_index == map_index,
                XComModel.key == key,
            )
        ).first()
        return None if row is None else XComModel.deserialize_value(row)


@pytest.fixture
def xcom() -> Any:
    return _xcom
