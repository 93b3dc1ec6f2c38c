"""The status model: what a wait waits for, and how one look at translate5 is judged.

Sensors (poke and reschedule), triggers and waiting operators look at the same things (translate5 task rows,
InstantTranslate file-list entries) and must reach the same verdict with the same words, whatever mode a
deployment runs them in; so the rules live here once. Pure Python: no Airflow, no HTTP.

How translate5's task states count (names in :mod:`airflow_provider_translate5.client.states`):

* importing (``import``, ``preparation``) and busy (a task operation such as ``matchanalysis`` or ``reimport``
  runs, or an Excel/package export locks the task): neither done nor failed; the wait says what runs;
* a task one of translate5's workers holds (``lockedInternalSessionUniqId``: ``*translate5InternalLock*``
  and the worker's name) is busy whatever its state says: a match analysis takes its lock while the task
  still reads ``open`` (transcripts-2 §162);
* ``error``: failed, for good (the wait fails without retries, quoting translate5's ``lastErrors``);
* ``open``, ``unconfirmed``, ``end``: settled, nothing runs on the task;
* any other state: not known to this provider; the wait goes on and names the state rather than guessing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from airflow_provider_translate5.client.states import TaskState, WorkflowStep

if TYPE_CHECKING:
    from airflow_provider_translate5.client import ImportProgress, PretranslatedFile, Task

#: Conditions a wait can be for.
IMPORTED: Final = "imported"
WORKFLOW_ENDED: Final = "workflow_ended"
#: Every task settled: no import and no task operation (match analysis, re-import, ...) runs any more.
IDLE: Final = "idle"
PRETRANSLATED: Final = "pretranslated"
TASK_CONDITIONS: Final = frozenset({IMPORTED, WORKFLOW_ENDED, IDLE})

#: Verdicts. ``waiting`` never leaves a trigger; the others become the trigger event's ``status``.
SUCCESS: Final = "success"
ERROR: Final = "error"
TIMEOUT: Final = "timeout"
WAITING: Final = "waiting"
EVENT_STATUSES: Final = frozenset({SUCCESS, ERROR, TIMEOUT})

#: translate5 writes this and a worker's name into ``lockedInternalSessionUniqId`` while the worker holds the
#: task (``*translate5InternalLock*matchanalysis``, ``…autoqa``, ``…import``); a person editing the task locks
#: it with a session id instead, which is no operation.
INTERNAL_LOCK: Final = "*translate5InternalLock*"

#: InstantTranslate file-list entry statuses (``PretranslatedFile.status``).
FILE_READY: Final = "ready"
FILE_FAILED_STATUSES: Final = frozenset({"erroneous", "not_pretranslated"})

_DONE: Final = {
    IMPORTED: "import finished",
    WORKFLOW_ENDED: "workflow ended",
    IDLE: "no import or operation running",
}
_GOALS: Final = {
    IMPORTED: "finish importing",
    WORKFLOW_ENDED: "reach the end of their workflow",
    IDLE: "finish their running import or operation",
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


def goal(condition: str) -> str:
    """Human words for what a wait is waiting for ("finish importing")."""
    return _GOALS[condition]


def check_condition(condition: str) -> str:
    """The condition, or a clear error naming the valid ones (raised where the wait is set up)."""
    if condition not in TASK_CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; expected one of {sorted(TASK_CONDITIONS)}")
    return condition


def ids_text(ids: Iterable[int]) -> str:
    """``translate5 task 5`` / ``translate5 tasks 5, 6``: how every message names what is waited for."""
    listed = [str(i) for i in ids]
    return ("translate5 task " if len(listed) == 1 else "translate5 tasks ") + ", ".join(listed)


def missing_message(condition: str, task_ids: Sequence[int]) -> str:
    """Why a wait ends when its translate5 tasks are gone."""
    return (
        f"{ids_text(task_ids)} no longer exist (deleted while Airflow was waiting for them "
        f"to {goal(condition)})"
    )


def internal_lock(task: Task) -> str | None:
    """The translate5 worker that holds the task (``matchanalysis``, ``autoqa``, ``import``); None if none."""
    value = task.raw.get("lockedInternalSessionUniqId")
    if isinstance(value, str) and value.startswith(INTERNAL_LOCK):
        return value[len(INTERNAL_LOCK) :] or "a translate5 worker"
    return None


def activity(task: Task) -> str | None:
    """What runs on a task (or locks it) right now, in words; None when nothing does."""
    state = task.state
    if state in TaskState.IMPORTING:
        return "importing" if state == TaskState.IMPORT else f"importing ({state})"
    if state in TaskState.OPERATIONS:
        return f"{state} running"
    if state == TaskState.EXCEL_EXPORTED:
        return "locked by an Excel export until the Excel file is re-imported"
    if state == TaskState.PACKAGE_EXPORT:
        return "locked while a translator package is exported"
    worker = internal_lock(task)
    if worker is not None:
        return f"{worker} running (translate5's lock; the state still reads {state})"
    return None


#: A field only the simulator bundled with this provider sends in its task rows, while it ends workflows by
#: itself (its knob ``workflow_auto_finish``, see docs/testing.md): a task without users is then no reason
#: for a person to act. A real translate5 keeps such a task at step "no workflow" until someone is assigned.
SIMULATOR_AUTO_FINISH: Final = "simulatorWorkflowAutoFinish"


def notice(condition: str, task: Task) -> str | None:
    """Something a user must know while the wait goes on, because only a person in translate5 can change it.

    Logged when first seen and again at a slow rate (see :mod:`airflow_provider_translate5.wait`), never a
    reason to fail: users can be assigned and exports re-imported at any time.
    """
    name = f"translate5 task {task.id} ({task.task_name})"
    if (
        condition == WORKFLOW_ENDED
        and task.workflow_step_name == WorkflowStep.NO_WORKFLOW
        and task.state in TaskState.SETTLED
        and task.raw.get(SIMULATOR_AUTO_FINISH) is not True
    ):
        if _waiting_jobs(task):  # translate5 creates jobs "waiting"; only an open one starts it (§138)
            return (
                f"{name} has jobs, but none is open (workflow step {WorkflowStep.NO_WORKFLOW!r}): its "
                "workflow starts when a project manager opens the job of its first step in translate5 "
                "(or Translate5UpdateJobOperator with state='open'). Still waiting."
            )
        return (
            f"{name} has no users assigned (workflow step {WorkflowStep.NO_WORKFLOW!r}): its workflow "
            "cannot end until a project manager assigns translators or reviewers in translate5. "
            "Still waiting."
        )
    if task.state == TaskState.EXCEL_EXPORTED:
        return (
            f"{name} is locked by an Excel export: it stays locked until the Excel file is re-imported in "
            "translate5. Still waiting."
        )
    if task.state not in _KNOWN_STATES:
        return (
            f"{name} is in state {task.state!r}, which this provider does not know; waiting until it is "
            f"one of {', '.join(sorted(TaskState.SETTLED))} (or {TaskState.ERROR})."
        )
    return None


_KNOWN_STATES: Final = TaskState.SETTLED | TaskState.IMPORTING | TaskState.BUSY | TaskState.FAILED


def evaluate_tasks(
    condition: str,
    task_ids: Sequence[int],
    found: Mapping[int, Task],
    *,
    accept_end_state: bool = False,
) -> Verdict:
    """Judge a set of translate5 tasks (all must be done; any failure fails the wait).

    A task id missing from ``found`` was deleted (or became invisible to the API user): that can never turn
    into success, so it is a terminal error. So is a project row: its state says nothing about its tasks.
    """
    check_condition(condition)
    if not task_ids:
        return Verdict(ERROR, "there is no translate5 task to wait for (a project without tasks?)")
    missing = [task_id for task_id in task_ids if task_id not in found]
    if missing:
        return Verdict(ERROR, missing_message(condition, missing))
    tasks = [found[task_id] for task_id in task_ids]
    projects = [task for task in tasks if task.state == TaskState.PROJECT or task.is_project]
    if projects:
        named = ", ".join(str(task.id) for task in projects)
        return Verdict(
            ERROR,
            f"translate5 id {named} names a project, not a task: wait for the project's tasks (the "
            "upload's task_ids), or give the project id as translate5_task_id",
        )
    failed = [task for task in tasks if task.state in TaskState.FAILED]
    if failed:
        return Verdict(ERROR, "; ".join(_failure(task) for task in failed))
    pending = [(task, reason) for task in tasks if (reason := _pending(condition, task, accept_end_state))]
    if pending:
        reasons = ", ".join(f"{task.id} ({reason})" for task, reason in pending)
        return Verdict(WAITING, f"waiting for translate5 task(s) {reasons}")
    return Verdict(SUCCESS, f"{ids_text(task_ids)}: {_DONE[condition]}")


def _waiting_jobs(task: Task) -> bool:
    """A task at "no workflow" that has jobs: created ``waiting`` (translate5's default), none opened."""
    from airflow_provider_translate5.client.coerce import to_int

    return bool(to_int(task.raw.get("userCount")) or task.raw.get("users"))


def _pending(condition: str, task: Task, accept_end_state: bool) -> str | None:
    """Why ``task`` does not meet ``condition`` yet (None: it does)."""
    if condition == WORKFLOW_ENDED and accept_end_state and task.state == TaskState.END:
        return None
    running = activity(task)
    if running:
        return running
    if task.state not in TaskState.SETTLED:
        return f"state {task.state}"
    if condition == WORKFLOW_ENDED and task.workflow_step_name != WorkflowStep.ENDED:
        if task.workflow_step_name == WorkflowStep.NO_WORKFLOW:
            return "no job open" if _waiting_jobs(task) else "no users assigned"
        return f"workflow step {task.workflow_step_name or 'unknown'}"
    return None


@dataclass(frozen=True)
class Operation:
    """Work translate5 does in the background after answering the request that started it.

    ``name`` is how messages call it and ``worker`` the task state and internal lock its worker runs under.
    What it leaves behind that was not there before is its result (a new match analysis; the file a reimport
    sent, in the task's import archive), which :func:`airflow_provider_translate5.wait.operation_results`
    looks up. The words: ``result`` says it is there, ``lacking`` that a task has none yet, ``unwritten``
    that a run left none, and why. They may name what the request sent (``{name}``: a reimport's file), of
    which the result lookup ``needs`` these keys.
    """

    name: str
    worker: str
    result: str
    lacking: str
    unwritten: str
    needs: frozenset[str] = frozenset()

    def say(self, words: str, sent: Mapping[str, Any] | None) -> str:
        """``words`` (one of the phrases above) with what was sent filled in."""
        return words.format_map({key: str(value) for key, value in (sent or {}).items()})


ANALYSIS: Final = Operation(
    "analysis",
    TaskState.MATCH_ANALYSIS,
    result="a new analysis is there",
    lacking="there is no new analysis",
    unwritten="wrote no new analysis (it may have been unable to lock the task, or a language resource "
    "failed)",
)
#: A pre-translation runs the match analysis along and writes a new analysis (transcripts-2 §116).
PRETRANSLATION: Final = replace(ANALYSIS, name="pre-translation")
#: A reimport replaces the file in the task's import archive with the file sent, byte for byte
#: (transcripts-2 §150); its worker runs in state ``reimport`` while locks come and go (§143).
REIMPORT: Final = Operation(
    "reimport",
    TaskState.REIMPORT,
    result="the import archive holds the {name} sent",
    lacking="the import archive does not hold the {name} sent",
    unwritten="its import archive does not hold the {name} sent (E1475: the archive is missing or not "
    "writable; a new try would send the file again)",
    needs=frozenset({"name", "sha256"}),
)
#: The operations by name (a deferred wait's trigger carries the name).
OPERATIONS: Final = {operation.name: operation for operation in (ANALYSIS, PRETRANSLATION, REIMPORT)}


def named_operation(name: str, sent: Mapping[str, Any] | None = None) -> Operation:
    """The operation called ``name``, given what its result lookup needs of ``sent`` (checked where the wait
    is set up); ``ValueError`` names what is wrong."""
    if name not in OPERATIONS:
        raise ValueError(f"unknown operation {name!r}; expected one of {sorted(OPERATIONS)}")
    found = OPERATIONS[name]
    missing = sorted(found.needs - set(sent or {}))
    if missing:
        raise ValueError(f"the wait for a {name} needs {', '.join(missing)} of what was sent; got {sent!r}")
    return found


def runs(task: Task, operation: Operation) -> bool:
    """Whether this look shows the operation's worker on the task (its state, or its lock)."""
    return operation.worker in (task.state, internal_lock(task))


def evaluate_operation(
    operation: Operation,
    task_ids: Sequence[int],
    found: Mapping[int, Task],
    *,
    before: Mapping[int, str | None],
    after: Mapping[int, str | None],
    seen: Collection[int] = (),
    sent: Mapping[str, Any] | None = None,
) -> Verdict:
    """Judge an operation started on tasks: done when the lock is released AND a new result is there.

    Neither alone says it: the request's own answer, and the task for a while after it, read ``open`` with
    no lock while the work is still queued; then the worker holds the lock while ``state`` still reads
    ``open`` (transcripts-2 §115, §123, §143, §162). So a task is done when nothing runs on it (no operation
    state, no worker's lock: the ``idle`` rules) and ``after`` (its result now: the analysis' ``created``,
    the digest of the file a reimport sent once the archive holds it) is set and differs from ``before``
    (the result before the start). A free task without a new result is still waited for (the work is
    queued), unless ``seen`` says a look since the start saw the operation's worker on it (:func:`runs`):
    then translate5 ran it and wrote nothing, which no waiting changes. ``sent`` fills in the messages.
    """
    verdict = evaluate_tasks(IDLE, task_ids, found)
    if verdict.status != SUCCESS:
        return verdict
    stale = [i for i in task_ids if after.get(i) is None or after.get(i) == before.get(i)]
    failed = [i for i in stale if i in seen]
    if failed:
        return Verdict(
            ERROR,
            f"translate5 ran the {operation.name} of {ids_text(failed)} but "
            f"{operation.say(operation.unwritten, sent)}; see the task's event log in translate5",
        )
    if stale:
        return Verdict(
            WAITING,
            f"waiting for translate5 task(s) {', '.join(map(str, stale))} ({operation.name} queued: nothing "
            f"runs on the task yet and {operation.say(operation.lacking, sent)})",
        )
    done = operation.say(operation.result, sent)
    return Verdict(SUCCESS, f"{ids_text(task_ids)}: {operation.name} done ({done}, no lock)")


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


def _failure(task: Task) -> str:
    errors = "; ".join(task.last_errors) or "translate5 gave no details"
    return f"translate5 task {task.id} ({task.task_name}) is in state {task.state!r}: {errors}"


def task_summary(task: Task) -> dict[str, Any]:
    """The JSON-serializable facts about a task that sensors return and trigger events carry.

    Keys are snake_case like every XCom of the provider.
    """
    return {
        "id": task.id,
        "task_guid": task.task_guid,
        "task_name": task.task_name,
        "project_id": task.project_id,
        "state": task.state,
        "workflow_step_name": task.workflow_step_name,
    }


def describe_task(task: Task, import_progress: ImportProgress | None = None) -> str:
    """One log line with what a user watching the wait wants to know about a task."""
    parts = [f"translate5 task {task.id} ({task.task_name}): state {task.state}"]
    running = activity(task)
    if running and running != "importing":
        parts.append(running)
    if task.workflow_step_name:
        parts.append(f"workflow step {task.workflow_step_name}")
    if import_progress is not None:
        running_worker = (
            f", running {import_progress.worker_running}" if import_progress.worker_running else ""
        )
        parts.append(
            f"import {import_progress.progress:.0f}% ({import_progress.workers_done}/"
            f"{import_progress.workers_total} workers done{running_worker})"
        )
    elif task.task_progress is not None and task.state in TaskState.SETTLED:
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
