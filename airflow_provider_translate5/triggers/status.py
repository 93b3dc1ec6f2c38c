"""What "done" means for each kind of wait: the one status model shared by sensors (poke) and triggers.

A sensor poke and a trigger poll look at the same thing (translate5 task rows, or InstantTranslate file-list
entries) and must reach the same verdict, so the rules live here once, on top of the client's state
constants. Pure Python: no Airflow, no HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from airflow_provider_translate5.client.states import TaskState

if TYPE_CHECKING:
    from airflow_provider_translate5.client import ImportProgress, PretranslatedFile, Task

#: Task states while translate5 imports (``autoStartImport=0`` tasks also sit here until started).
IMPORTING_STATES: Final = TaskState.IMPORTING
#: Task states from which an import never recovers.
IMPORT_FAILED_STATES: Final = TaskState.IMPORT_FAILED
#: The pseudo workflow step translate5 appends to every step chain; reached when the workflow is finished.
WORKFLOW_ENDED_STEP: Final = TaskState.WORKFLOW_ENDED_STEP
#: Task state after a PM ended the task (optionally accepted as "workflow over").
ENDED_STATE: Final = TaskState.ENDED

#: Conditions a wait can be for.
IMPORTED: Final = "imported"
WORKFLOW_ENDED: Final = "workflow_ended"
PRETRANSLATED: Final = "pretranslated"
TASK_CONDITIONS: Final = frozenset({IMPORTED, WORKFLOW_ENDED})

#: Verdicts. ``waiting`` never leaves a trigger; the others become the trigger event's ``status``.
SUCCESS: Final = "success"
ERROR: Final = "error"
TIMEOUT: Final = "timeout"
WAITING: Final = "waiting"
EVENT_STATUSES: Final = frozenset({SUCCESS, ERROR, TIMEOUT})

#: InstantTranslate file-list entry statuses (``PretranslatedFile.status``).
FILE_READY: Final = "ready"
FILE_IMPORTING: Final = "importing"
FILE_FAILED_STATUSES: Final = frozenset({"erroneous", "not_pretranslated"})

_DONE: Final = {IMPORTED: "import finished", WORKFLOW_ENDED: "workflow ended"}
_GOALS: Final = {
    IMPORTED: "finish importing",
    WORKFLOW_ENDED: "reach the end of their workflow",
    PRETRANSLATED: "be pre-translated by InstantTranslate",
}


@dataclass(frozen=True)
class Verdict:
    """Outcome of one look at the remote state.

    ``terminal`` only matters for errors: True when waiting longer or retrying cannot help (import error,
    deleted task), so the Airflow task fails without retries.
    """

    status: str
    message: str
    terminal: bool = True

    @property
    def done(self) -> bool:
        return self.status != WAITING


def missing_message(condition: str, task_ids: Sequence[int]) -> str:
    """Why a wait ends when its translate5 tasks are gone (same words in poke and deferrable mode)."""
    return (
        f"translate5 task(s) {_ids(task_ids)} no longer exist (deleted while Airflow was waiting for them "
        f"to {goal(condition)})"
    )


def is_terminal_error(exc: BaseException) -> bool:
    """Errors that neither waiting nor an Airflow retry can fix.

    Bad local input, and client-side HTTP errors (400, 403, 404, 422, ...) other than the ones translate5 uses
    for passing conditions (401, 408, 409, 423, 429).
    """
    from airflow_provider_translate5.client import Translate5APIError

    if isinstance(exc, ValueError):  # Translate5ValueError, bad connection settings
        return True
    return isinstance(exc, Translate5APIError) and 400 <= (exc.status or 0) < 500 and not exc.retryable


def is_outage(exc: BaseException) -> bool:
    """translate5 is unreachable or temporarily unable to answer (after the client's own retries).

    A wait for translators lasts days; a maintenance window or network blip inside it must not fail the wait,
    so waits log these and look again at the next interval, until their deadline.
    """
    from airflow_provider_translate5.client import (
        Translate5APIError,
        Translate5ConnectionError,
        Translate5ResponseError,
    )

    if isinstance(exc, (Translate5ConnectionError, Translate5ResponseError)):
        return True
    return isinstance(exc, Translate5APIError) and (exc.status == 429 or (exc.status or 0) >= 500)


def goal(condition: str) -> str:
    """Human words for what a wait is waiting for ("finish importing")."""
    return _GOALS[condition]


def evaluate_tasks(
    condition: str,
    task_ids: Sequence[int],
    found: Mapping[int, Task],
    *,
    accept_end_state: bool = False,
) -> Verdict:
    """Judge a set of translate5 tasks (all must be done; any failure fails the wait).

    A task id missing from ``found`` was deleted (or became invisible to the API user): that can never turn
    into success, so it is a terminal error.
    """
    if condition not in TASK_CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; expected one of {sorted(TASK_CONDITIONS)}")
    if not task_ids:
        return Verdict(ERROR, "there is no translate5 task to wait for (a project without tasks?)")
    missing = [task_id for task_id in task_ids if task_id not in found]
    if missing:
        return Verdict(ERROR, missing_message(condition, missing))
    tasks = [found[task_id] for task_id in task_ids]
    failed = [task for task in tasks if task.state in IMPORT_FAILED_STATES]
    if failed:
        return Verdict(ERROR, "; ".join(_failure(task) for task in failed))
    if condition == IMPORTED:
        pending = [task for task in tasks if task.state in IMPORTING_STATES]
    else:
        pending = [task for task in tasks if not _workflow_over(task, accept_end_state)]
    if pending:
        return Verdict(WAITING, f"waiting for translate5 task(s) {_ids(t.id for t in pending)}")
    return Verdict(SUCCESS, f"translate5 task(s) {_ids(task_ids)}: {_DONE[condition]}")


def evaluate_pretranslation(task_id: int, entry: PretranslatedFile | None) -> Verdict:
    """Judge one InstantTranslate file-list entry (the ``downloadUrl`` of a ready entry is the result)."""
    if entry is None:
        return Verdict(
            ERROR,
            f"InstantTranslate file {task_id} is not in the file list any more (removed, or expired)",
        )
    if entry.status == FILE_READY and entry.download_url:
        return Verdict(SUCCESS, f"InstantTranslate file {task_id} ({entry.task_name}) is pre-translated")
    if entry.status in FILE_FAILED_STATUSES:
        errors = "; ".join(entry.errors) or "translate5 gave no details"
        what = "failed" if entry.status == "erroneous" else "could not be pre-translated"
        return Verdict(ERROR, f"InstantTranslate file {task_id} ({entry.task_name}) {what}: {errors}")
    return Verdict(WAITING, f"InstantTranslate file {task_id} is still being processed ({entry.status})")


def _workflow_over(task: Task, accept_end_state: bool) -> bool:
    return task.workflow_step_name == WORKFLOW_ENDED_STEP or (accept_end_state and task.state == ENDED_STATE)


def _failure(task: Task) -> str:
    errors = "; ".join(task.last_errors) or "translate5 gave no details"
    return f"translate5 task {task.id} ({task.task_name}) is in state {task.state!r}: {errors}"


def _ids(ids: Iterable[int]) -> str:
    return ", ".join(str(i) for i in ids)


def task_summary(task: Task) -> dict[str, Any]:
    """The JSON-serializable facts about a task that sensors return and trigger events carry."""
    return {
        "id": task.id,
        "taskGuid": task.task_guid,
        "taskName": task.task_name,
        "projectId": task.project_id,
        "state": task.state,
        "workflowStepName": task.workflow_step_name,
    }


def describe_task(task: Task, import_progress: ImportProgress | None = None) -> str:
    """One log line with what a user watching the wait wants to know about a task."""
    parts = [f"translate5 task {task.id} ({task.task_name}): state {task.state}"]
    if task.workflow_step_name:
        parts.append(f"workflow step {task.workflow_step_name}")
    if import_progress is not None:
        running = f", running {import_progress.worker_running}" if import_progress.worker_running else ""
        parts.append(
            f"import {import_progress.progress:.0f}% ({import_progress.workers_done}/"
            f"{import_progress.workers_total} workers done{running})"
        )
    elif task.task_progress is not None and task.state not in IMPORTING_STATES:
        parts.append(f"segments finished {task.task_progress * 100:.0f}%")
    steps = [
        f"{step.workflow_step} {step.status} {step.progress:.0f}%" for step in task.workflow_progress_summary
    ]
    if steps:
        parts.append("steps: " + ", ".join(steps))
    return ", ".join(parts)


def describe_file(entry: PretranslatedFile) -> str:
    """One log line about an InstantTranslate file-list entry."""
    line = f"InstantTranslate file {entry.task_id} ({entry.task_name}): {entry.status}"
    progress = entry.import_progress
    if progress is not None:
        line += f", {progress.progress:.0f}% ({progress.workers_done}/{progress.workers_total} workers done)"
    return line
