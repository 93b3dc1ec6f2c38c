"""The "no users assigned" notice: said for a translate5 task whose workflow only a person can end, not for
the simulator when it ends workflows by itself (knob ``workflow_auto_finish``; issue 23).

A real translate5 keeps a task without users at workflow step "no workflow" until a project manager assigns
someone (test_dags.py and the contract suite show the notice there, and with the knob off). The simulator
says in its task rows that it will end the workflow itself (docs/testing.md), and the wait believes it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from t5support import eventually

from airflow_provider_translate5 import status
from airflow_provider_translate5.client import Task, Translate5Client

from t5dags import DagRunner, dag_header

pytestmark = pytest.mark.integration

#: Workflows end by themselves 2 s after the import: the wait surely looks at least once before.
SELF_FINISHING = {"import_duration": 0.1, "workflow_auto_finish": 2.0}


@pytest.fixture
def translate5_simulator_options() -> dict[str, Any]:
    return dict(SELF_FINISHING)


@pytest.fixture
def client(sim: Any) -> Iterator[Translate5Client]:
    with Translate5Client(sim.base_url, sim.token) as t5:
        yield t5


def imported(client: Translate5Client) -> Task:
    task = client.create_task(
        ("page.html", io.BytesIO(b"<p>Hello.</p>")), task_name="Nobody", source_lang="en", target_lang="de"
    )
    return eventually(
        lambda: client.get_task(task.id), lambda t: t.state != "import", what="the import to end"
    )


def test_the_simulator_says_in_its_rows_when_it_ends_workflows_itself(
    sim: Any, client: Translate5Client
) -> None:
    task = imported(client)
    listed = client.get_tasks([task.id])[task.id]  # the rows the waits read
    for row in (task, listed):
        assert row.workflow_step_name == "no workflow"
        assert status.notice(status.WORKFLOW_ENDED, row) is None
    sim.set(workflow_auto_finish=None)  # from now on only a person can end it, as on a real translate5
    for row in (client.get_task(task.id), client.get_tasks([task.id])[task.id]):
        notice = status.notice(status.WORKFLOW_ENDED, row)
        assert notice is not None
        assert "has no users assigned" in notice


@pytest.mark.dagrun
def test_a_run_on_a_self_finishing_simulator_logs_no_warning_about_missing_users(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    dag_id = "t5_self_finishing"
    source = (
        dag_header(dag_id)
        + f"""
with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source={str(source_file())!r}, task_name="Nobody", source_lang="en",
        target_lang="de",
    )
    upload >> Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_ids=upload.output["task_ids"], poke_interval=0.2,
    )
"""
    )
    result = run_dag(source, dag_id)

    assert result.states == {"upload": "success", "ended": "success"}, result.output[-3000:]
    assert "workflow step no workflow" in result.output  # the wait saw the step a real server would keep
    assert "has no users assigned" not in result.output
