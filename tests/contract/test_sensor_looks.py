"""The provider's sensors against the server, without a scheduler: what one look sees and says.

The DAG runs (test_dag_runs.py) prove the sensors end; this proves, on the server's own answers, that a task
nobody is assigned to is reported as such (workflow step ``no workflow``, recordings 11/15) instead of failing
the wait, and that the look by the upload's task ids returns every task once its workflow ended.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from contract_support import PAGE, SECOND_TARGET, TARGET


class TaskInstance:
    """The part of Airflow's task instance a sensor look uses: XCom pushes (the translate5 link)."""

    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def test_workflow_sensor_names_a_task_without_users_then_returns_every_task_at_the_end(
    t5_url: str,
    t5_token: str,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    finish_workflow: Callable[[int | str], dict[str, Any]],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from airflow_provider_translate5.client import Translate5Client
    from airflow_provider_translate5.hooks.translate5 import Translate5Hook
    from airflow_provider_translate5.sensors import Translate5WorkflowEndedSensor

    (tmp_path / "about.xlf").write_bytes(PAGE)
    project = owned_client_task(
        unique_name("sensor"), tmp_path / "about.xlf", target_lang=[TARGET, SECOND_TARGET]
    )
    ids = sorted(task.id for task in project.project_tasks)

    sensor = Translate5WorkflowEndedSensor(task_id="translated", translate5_task_ids=ids, timeout=60)
    hook = Translate5Hook()
    hook._client = Translate5Client(t5_url, t5_token)  # the server under test instead of a connection
    sensor.hook = hook
    context: Any = {"ti": TaskInstance()}
    try:
        with caplog.at_level("INFO"):
            first = sensor.poke(context)
        assert not first
        captured = capfd.readouterr()
        said = captured.out + captured.err + caplog.text
        assert "has no users assigned (workflow step 'no workflow')" in said, said[-2000:]

        for task_id in ids:
            finish_workflow(task_id)
        done = sensor.poke(context)
    finally:
        hook._client.close()
    assert done, "the workflow of every task ended, yet the sensor's look did not say so"
    result = done.xcom_value
    assert isinstance(result, dict), result
    assert result["task_ids"] == ids
    assert result["id"] == project.id  # the tasks' project, as the upload returned it
    assert {task["workflow_step_name"] for task in result["tasks"]} == {"workflowEnded"}
