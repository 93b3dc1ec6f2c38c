"""Assigned jobs start translate5's workflow, which a job created as translate5 creates it does not.

translate5 creates a job ``waiting`` unless told otherwise and moves its workflow only for an open job
(recorded, part 2 §138 and §140); the simulator answers the same way, so a DAG that assigned a translator
after the import without opening the job would wait for a workflow that never starts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_translate5.client.models import Task
from airflow_provider_translate5.client.people import job_start_state, workflow_steps

from t5dags import DagRunner, dag_header

TASK_ID = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"
SUMMARY = [  # the order of a default workflow's workflowProgressSummary (part 1 §15)
    {"workflowStep": step}
    for step in ("no workflow", "translation", "reviewing", "translatorCheck", "workflowEnded", "pmCheck")
]


def _task(state: str, step: str, **raw: Any) -> Task:
    row = {"id": 7, "taskGuid": "{g}", "state": state, "workflowStepName": step, **raw}
    return Task.from_api({**row, "workflowProgressSummary": SUMMARY})


@pytest.mark.parametrize(
    ("state", "task_step", "job_step", "usage", "expected"),
    [
        ("open", "no workflow", "translation", "cooperative", "open"),  # starts the workflow
        ("open", "no workflow", "reviewing", "cooperative", "open"),  # a review-only order starts there
        ("open", "translation", "translation", "cooperative", "open"),  # a second translator works too
        ("open", "translation", "reviewing", "cooperative", "waiting"),  # opened when the review starts
        ("open", "no workflow", "translation", "competitive", "unconfirmed"),  # the first to confirm
        ("import", "no workflow", "translation", "cooperative", None),  # the import's end opens it
        ("open", "workflowEnded", "translation", "cooperative", "waiting"),
    ],
)
def test_the_job_of_the_step_the_workflow_is_in_or_starts_with_opens(
    state: str, task_step: str, job_step: str, usage: str, expected: str | None
) -> None:
    assert job_start_state(_task(state, task_step, usageMode=usage), job_step) == expected


def test_the_steps_come_in_translate5s_order() -> None:
    assert workflow_steps(_task("open", "no workflow")) == ["translation", "reviewing", "translatorCheck"]
    assert workflow_steps(Task.from_api({"id": 7, "taskGuid": "{g}"})) == []  # a list row: no summary


def test_a_wait_names_jobs_that_all_wait_instead_of_saying_nobody_is_assigned() -> None:
    from airflow_provider_translate5 import status

    job = {"id": "44", "state": "waiting", "workflowStepName": "translation"}  # part 2 §138
    held = _task("open", "no workflow", userCount="1", users=[job])
    nobody = _task("open", "no workflow", userCount="0", users=[])

    assert "has jobs, but none is open" in (status.notice(status.WORKFLOW_ENDED, held) or "")
    assert "has no users assigned" in (status.notice(status.WORKFLOW_ENDED, nobody) or "")
    waiting = status.evaluate_tasks(status.WORKFLOW_ENDED, [7], {7: held})
    assert waiting.message == "waiting for translate5 task(s) 7 (no job open)"


#: No workflow ends by itself here (the simulator would assign translator1 to a task without jobs first).
NO_AUTO_FINISH = pytest.mark.parametrize(
    "translate5_simulator", [{"workflow_auto_finish": None}], indirect=True
)


@pytest.mark.integration
@pytest.mark.dagrun
@NO_AUTO_FINISH
def test_assigning_after_the_import_starts_the_workflow(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    body = f"""
with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source=ObjectStoragePath("file://{source_file()}"), task_name="Order",
        source_lang="en", target_lang=["de", "fr"],
    )
    imported = Translate5ImportSensor(task_id="imported", translate5_task_id={TASK_ID!r}, poke_interval=0.1)
    translator = Translate5AssignJobOperator(
        task_id="translator", translate5_task_id={TASK_ID!r}, user_guid="translator1",
        workflow_step_name="translation",
    )
    reviewer = Translate5AssignJobOperator(
        task_id="reviewer", translate5_task_id={TASK_ID!r}, user_guid="reviewer1",
        workflow_step_name="reviewing",
    )
    upload >> imported >> translator >> reviewer
"""
    result = run_dag(dag_header("t5_jobs_start") + body, "t5_jobs_start")

    assert result.state == "success", result.output[-3000:]
    task_ids = result.xcom("upload")["task_ids"]
    assert [job["state"] for job in result.xcom("translator")] == ["open"] * len(task_ids)
    assert [job["state"] for job in result.xcom("reviewer")] == ["waiting"] * len(task_ids)
    assert "the job is open (translate5 starts the workflow there)" in result.output
    assert (
        "the job is waiting until translate5's workflow reaches that step (it is at step 'translation')"
        in (result.output)
    )
    for task_id in task_ids:
        assert sim.task(task_id)["workflowStepName"] == "translation"
        # translate5's users take it from here: the review opens when the translation is done.
        assert sim.finish_step(task_id)["workflowStepName"] == "reviewing"
        assert sim.finish_step(task_id)["workflowStepName"] == "workflowEnded"


@pytest.mark.integration
@pytest.mark.dagrun
@NO_AUTO_FINISH
def test_a_job_translate5_leaves_waiting_is_named_in_the_log(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    body = f"""
with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source=ObjectStoragePath("file://{source_file()}"), task_name="Held back",
        source_lang="en", target_lang="de",
    )
    imported = Translate5ImportSensor(task_id="imported", translate5_task_id={TASK_ID!r}, poke_interval=0.1)
    translator = Translate5AssignJobOperator(
        task_id="translator", translate5_task_id={TASK_ID!r}, user_guid="translator1",
        workflow_step_name="translation", state="waiting",
    )
    upload >> imported >> translator
"""
    result = run_dag(dag_header("t5_jobs_waiting") + body, "t5_jobs_waiting")

    assert result.state == "success", result.output[-3000:]
    [job] = result.xcom("translator")
    assert job["state"] == "waiting"
    assert "the job is waiting and translate5's workflow, at step 'no workflow', will not open it" in (
        result.output
    )
    assert (
        sim.task(result.xcom("upload")["id"])["workflowStepName"] == "no workflow"
    )  # as on translate5 (§138)
