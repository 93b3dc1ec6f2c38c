"""Wait for the operation, not the state: the one rule (``status.evaluate_operation``) on recorded task rows.

The looks replayed here are the task states a real translate5 showed after ``PUT …/analysis/operation``
(transcripts-2 §123, §162); between two of them the analysis' ``created`` time is what the results answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_translate5 import status
from airflow_provider_translate5.client import Task
from airflow_provider_translate5.wait import OperationWait

LOCK = "*translate5InternalLock*"
BEFORE = "2026-12-07 23:34:51"  # the task's analysis before the new one
NEW = "2026-12-07 23:45:11"


def row(state: str, lock: str | None = None, task_id: int = 178, **extra: Any) -> Task:
    return Task.from_api(
        {"id": str(task_id), "taskGuid": f"{{g-{task_id}}}", "taskName": "recording-2 task D", "state": state,
         "lockedInternalSessionUniqId": None if lock is None else LOCK + lock, "locked": None,
         "workflowStepName": "no workflow", "taskType": "default", **extra}
    )  # fmt: skip


#: §162, in order: the operation's answer, then each change the 0.25 s polling saw, with the analysis'
#: ``created`` as the results would have answered it (the new analysis is written while the task runs).
RECORDED_162 = [
    (row("open"), BEFORE),
    (row("open", "matchanalysis"), BEFORE),
    (row("matchanalysis", "matchanalysis"), BEFORE),
    (row("matchanalysis"), NEW),
    (row("matchanalysis", "autoqa"), NEW),
    (row("matchanalysis"), NEW),
    (row("open"), NEW),
]


def judge(task: Task, after: str | None, before: str | None = BEFORE, seen: tuple[int, ...] = ()) -> Any:
    return status.evaluate_operation(
        status.ANALYSIS,
        [task.id],
        {task.id: task},
        before={task.id: before},
        after={task.id: after},
        seen=seen,
    )


def test_only_the_last_recorded_look_is_done() -> None:
    verdicts = [judge(task, after).status for task, after in RECORDED_162]
    assert verdicts == ["waiting"] * 6 + ["success"]


def test_a_task_that_reads_open_while_translate5_holds_its_lock_is_busy() -> None:
    locked = row("open", "matchanalysis")
    for condition in (status.IDLE, status.IMPORTED):
        verdict = status.evaluate_tasks(condition, [178], {178: locked})
        assert verdict.status == "waiting"
        assert "matchanalysis running" in verdict.message
    assert "the state still reads open" in status.describe_task(locked)


def test_a_person_editing_the_task_is_no_operation() -> None:
    session = {"lockedInternalSessionUniqId": "9f1c2d3e4b5a", "locked": "2026-12-07 23:50:00"}
    editing = Task.from_api({**row("open").raw, **session})
    assert status.internal_lock(editing) is None
    assert status.evaluate_tasks(status.IDLE, [178], {178: editing}).status == "success"


def test_a_free_task_without_a_new_result_is_queued_not_done() -> None:
    first = judge(row("open"), None, before=None)
    assert first.status == "waiting"
    assert "178 (analysis queued: nothing runs on the task yet and there is no new analysis)" in first.message
    assert judge(row("open"), BEFORE).status == "waiting"  # the old analysis is no result


def test_an_operation_that_ran_and_wrote_nothing_fails_for_good() -> None:
    verdict = judge(row("open"), BEFORE, seen=(178,))
    assert verdict.status == "error"
    assert verdict.terminal
    assert "translate5 ran the analysis of translate5 task 178 but wrote no new analysis" in verdict.message


def test_every_task_must_be_done() -> None:
    done, queued = row("open", task_id=1), row("open", task_id=2)
    verdict = status.evaluate_operation(
        status.PRETRANSLATION,
        [1, 2],
        {1: done, 2: queued},
        before={1: None, 2: None},
        after={1: NEW, 2: None},
    )
    assert verdict.status == "waiting"
    assert "task(s) 2 (pre-translation queued" in verdict.message
    assert (
        status.evaluate_operation(status.ANALYSIS, [1], {}, before={}, after={}).status == "error"
    )  # deleted


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: Any, *args: Any) -> None:
        self.lines.append(str(msg) % args)

    def warning(self, msg: Any, *args: Any) -> None:
        self.lines.append(str(msg) % args)


def test_the_wait_remembers_seeing_the_worker_and_names_a_queued_operation_at_its_timeout() -> None:
    log = Log()
    wait = OperationWait(operation=status.ANALYSIS, before={178: BEFORE}, ids=[178], log=log)
    found = {178: row("open")}
    assert wait.look_tasks(found).status == "success"
    assert wait.look_results(found, {178: BEFORE}).status == "waiting"
    assert wait.look_results(found, {178: BEFORE}).status == "waiting"
    assert sum("analysis queued" in line for line in log.lines) == 1  # said once, not at every look
    assert "analysis queued" in wait.timeout_message()

    assert wait.look_tasks({178: row("open", "matchanalysis")}).status == "waiting"
    assert wait.seen == {178}
    assert wait.look_tasks(found).status == "success"
    assert wait.look_results(found, {178: BEFORE}).status == "error"


@pytest.mark.parametrize("operation", [status.ANALYSIS.name, status.PRETRANSLATION.name])
def test_an_analysis_or_pre_translation_runs_under_the_match_analysis_worker(operation: str) -> None:
    assert status.runs(row("matchanalysis"), status.OPERATIONS[operation])
    assert status.runs(row("open", "matchanalysis"), status.OPERATIONS[operation])
    assert not status.runs(row("open", "autoqa"), status.OPERATIONS[operation])


def test_the_deferred_wait_survives_serialization_with_what_was_there_before() -> None:
    from airflow_provider_translate5.triggers.operation import Translate5OperationTrigger

    trigger = Translate5OperationTrigger(
        translate5_task_ids=[178], operation="pre-translation", before={"178": BEFORE}, end_time=1.0
    )
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_translate5.triggers.operation.Translate5OperationTrigger"
    again = Translate5OperationTrigger(**kwargs)
    assert (again.operation, again.before, again.end_time) == (status.PRETRANSLATION, {"178": BEFORE}, 1.0)
    with pytest.raises(ValueError, match="unknown operation 'export'"):
        Translate5OperationTrigger(translate5_task_ids=[178], operation="export", before={})
