"""The one wait loop (``wait.Wait``): what a user reads in the task log while a wait goes on, in any mode.

Fast: no server, no Airflow; a clock the test moves instead of sleeping.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from airflow_provider_translate5 import status
from airflow_provider_translate5.client import (
    ImportProgress,
    Task,
    Translate5APIError,
    Translate5ConnectionError,
)
from airflow_provider_translate5.wait import Wait, block

log = logging.getLogger("t5.test.wait")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def row(task_id: int, state: str = "open", step: str = "no workflow", **extra: Any) -> Task:
    return Task.from_api(
        {"id": str(task_id), "taskGuid": f"{{g{task_id}}}", "taskName": f"Page {task_id}", "state": state,
         "workflowStepName": step, "projectId": str(task_id), "taskType": "default", **extra}
    )  # fmt: skip


def messages(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(record.getMessage().count(text) for record in caplog.records)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def workflow_wait(clock: Clock, **kwargs: Any) -> Wait:
    return Wait(condition=status.WORKFLOW_ENDED, ids=[64], log=log, clock=clock, remind_every=1800, **kwargs)


def test_no_users_assigned_is_said_once_then_every_half_hour(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    wait = workflow_wait(clock)
    for _ in range(60):  # one hour of looks every minute
        assert wait.look_tasks({64: row(64)}).status == "waiting"
        clock.sleep(60)
    assert messages(caplog, "has no users assigned") == 2  # at the first look, and after 30 minutes
    assert messages(caplog, "translate5 task 64 (Page 64): state open, workflow step no workflow") == 1

    wait.look_tasks({64: row(64, step="translation")})  # a PM assigned a translator
    assert messages(caplog, "workflow step translation") == 1
    assert messages(caplog, "has no users assigned") == 2
    wait.look_tasks({64: row(64)})  # ... and removed the job again: said at once
    assert messages(caplog, "has no users assigned") == 3


def test_a_rescheduled_poke_remembers_what_earlier_pokes_said(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Reschedule mode builds a new Wait per poke; it continues the wait that began at the first poke."""
    caplog.set_level(logging.INFO, logger=log.name)
    started = clock.now
    said = 0
    for _ in range(60):
        poke = workflow_wait(
            clock, started_at=started, previous_look=None if clock.now == started else clock.now - 60
        )
        poke.look_tasks({64: row(64)})
        clock.sleep(60)
        said = messages(caplog, "has no users assigned")
    assert said == 2  # first poke, and the poke that crossed the half hour


def test_outage_is_logged_when_it_begins_and_ends_and_the_timeout_names_it(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    wait = workflow_wait(clock)
    wait.look_tasks({64: row(64, step="translation")})
    down = Translate5ConnectionError("connection refused")
    for _ in range(3):
        assert wait.failed_with(down).status == "waiting"
    assert messages(caplog, "translate5 is not answering") == 1
    message = wait.timeout_message()
    assert "Timed out waiting for translate5 task 64 to reach the end of their workflow" in message
    assert "workflow step translation" in message
    assert "the last look failed: Translate5ConnectionError: connection refused" in message
    wait.look_tasks({64: row(64, step="translation")})
    assert messages(caplog, "translate5 answers again") == 1


@pytest.mark.parametrize(("status_code", "terminal"), [(403, True), (409, False)])
def test_a_failed_look_that_is_no_outage_ends_the_wait(
    status_code: int, terminal: bool, clock: Clock
) -> None:
    error = Translate5APIError(status=status_code, error_message="nope", method="GET", url="/editor/task")
    verdict = workflow_wait(clock).failed_with(error)
    assert verdict.status == "error"
    assert verdict.terminal is terminal
    assert verdict.message.startswith("Could not read translate5 task 64: ")


def test_block_looks_until_done_and_sleeps_the_interval_between_looks(clock: Clock) -> None:
    states = iter(["import", "import", "open"])
    wait = Wait(condition=status.IMPORTED, ids=[5], log=log, clock=clock)
    verdict = block(
        wait,
        lambda: wait.look_tasks({5: row(5, next(states))}),
        interval=10,
        end_time=clock.now + 100,
        sleep=clock.sleep,
    )
    assert verdict.status == "success"
    assert clock.now == 1_000_020.0


def test_block_gives_up_at_the_deadline_with_the_last_state(clock: Clock) -> None:
    wait = Wait(condition=status.IMPORTED, ids=[5], log=log, clock=clock)
    verdict = block(
        wait,
        lambda: wait.look_tasks({5: row(5, "import")}),
        interval=10,
        end_time=clock.now + 25,
        sleep=clock.sleep,
    )
    assert verdict.status == "timeout"
    assert "Timed out waiting for translate5 task 5 to finish importing" in verdict.message
    assert "state import" in verdict.message
    assert clock.now == 1_000_020.0  # no look would fit before the deadline after the third


def test_import_progress_is_looked_up_at_most_once_a_minute_per_task_and_shown_until_the_next(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    ids = [1, 2, 3, 4]
    wait = Wait(condition=status.IMPORTED, ids=ids, log=log, clock=clock)
    importing = {i: row(i, "import") for i in ids}
    lookups: list[list[int]] = []
    for second in range(0, 120, 10):  # two minutes of looks every 10 s
        due = wait.progress_due(importing)
        lookups.append([t.id for t in due])
        percent = ImportProgress.from_api({"progress": second, "workersDone": 1, "workersTotal": 6})
        wait.look_tasks(importing, {t.id: percent for t in due})
        clock.sleep(10)
    # at most three lookups per look; each task again only after a minute
    assert lookups[0] == [1, 2, 3]
    assert lookups[1] == [4]
    assert lookups[6] == [1, 2, 3]
    assert lookups[7] == [4]
    assert sum(map(len, lookups)) == 8
    # the percent shown changes only when it was looked up again: one line per lookup, not per look
    assert messages(caplog, "translate5 task 1 (Page 1): state import") == 2
    assert messages(caplog, "import 60% (1/6 workers done)") == 3  # tasks 1-3 looked up at second 60


def test_nothing_is_said_about_a_task_that_counts_as_done(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    wait = workflow_wait(clock, accept_end_state=True)
    assert wait.look_tasks({64: row(64, state="end")}).status == "success"  # a PM ended it unassigned
    assert messages(caplog, "has no users assigned") == 0


def test_the_lines_of_one_look_are_one_log_record(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    """A triggerer runs hundreds of waits on one event loop: a look of 100 tasks is one record, not 100."""
    caplog.set_level(logging.INFO, logger=log.name)
    ids = list(range(1, 101))
    wait = Wait(condition=status.WORKFLOW_ENDED, ids=ids, log=log, clock=clock, remind_every=0)
    wait.look_tasks({i: row(i, step="translation") for i in ids})
    assert len(caplog.records) == 1
    assert messages(caplog, "workflow step translation") == 100
    wait.look_tasks({i: row(i, step="translation" if i > 1 else "reviewing") for i in ids})
    assert len(caplog.records) == 2
    assert caplog.records[1].getMessage() == "translate5 task 1 (Page 1): state open, workflow step reviewing"


def test_an_import_nobody_started_is_said_after_a_minute_without_workers(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Transcript section 11: a task created with autoStartImport=0 looks exactly like a running import."""
    caplog.set_level(logging.INFO, logger=log.name)
    wait = Wait(condition=status.IMPORTED, ids=[64, 65], log=log, clock=clock)
    running = ImportProgress.from_api({"progress": 40, "workersDone": 2, "workersTotal": 6})
    tasks = {64: row(64, "import"), 65: row(65, "import")}
    for _ in range(13):  # two minutes, a look every 10 s
        due = wait.progress_due(tasks)
        wait.look_tasks(tasks, {t.id: (running if t.id == 65 else None) for t in due})
        clock.sleep(10)
    said = "translate5 task 64 (Page 64) is in state import but no import worker has been queued or running"
    assert messages(caplog, said) == 1  # after the second lookup without workers, a minute after the first
    assert messages(caplog, "translate5 task 65 (Page 65) is in state import but") == 0
    wait.look_tasks({64: row(64, "open"), 65: row(65, "open")}, {})
    assert messages(caplog, said) == 1
