"""The one wait loop: what every waiting step does at each look at translate5, and when it gives up.

A sensor in poke mode, a sensor in reschedule mode, a trigger in the triggerer and a waiting operator differ
only in how they get from one look to the next (``time.sleep``, a new Airflow try, an asyncio poller). What
they do at each look is :class:`Wait`: judge the look with :mod:`airflow_provider_translate5.status`, log what
changed, ride out outages, remind the user of what only a person can fix, and word the timeout. So a wait
tells the user the same things, in the same words, in every mode. Pure Python: no Airflow.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

from airflow_provider_translate5 import status

if TYPE_CHECKING:
    from airflow_provider_translate5.client import (
        ImportProgress,
        PretranslatedFile,
        Task,
        Translate5Client,
    )

#: Seconds between two reminders of something only a person in translate5 can change (no users assigned,
#: an Excel export's lock). A wait for translators lasts days: often enough to be seen, rarely enough not
#: to bury the progress lines.
REMIND_EVERY: Final = 1800.0

#: Import progress costs one request per importing task: at most this many per look ...
PROGRESS_LOOKUPS: Final = 3
#: ... and for each task at most once in this many seconds (a real import takes seconds to minutes; thousands
#: of waits in one triggerer must not turn the coalesced polling into a request per task per interval).
PROGRESS_EVERY: Final = 60.0


class Logger(Protocol):
    """What a wait logs to: a stdlib logger, or Airflow's task/trigger logger."""

    def info(self, msg: Any, /, *args: Any) -> object: ...

    def warning(self, msg: Any, /, *args: Any) -> object: ...


def classify(exc: BaseException) -> tuple[bool, bool]:
    """``(outage, terminal)`` of a failed look, as the client's exception hierarchy classifies it.

    Errors from outside the client (bad connection settings raise ``ValueError``) are bad input: terminal.
    """
    terminal = bool(getattr(exc, "terminal", isinstance(exc, ValueError)))
    return bool(getattr(exc, "outage", False)), terminal


class Wait:
    """One wait for translate5 tasks (or an InstantTranslate file), fed one look at a time.

    :param condition: a :mod:`~airflow_provider_translate5.status` condition.
    :param ids: what is waited for; may be set later (a sensor resolves a project id at its first look).
    :param subject: how messages name the wait before ``ids`` are known ("translate5 task/project 7").
    :param started_at: when the wait began (epoch seconds): reminders fall due every ``remind_every`` from it.
    :param previous_look: when an earlier instance last looked (a sensor in reschedule mode gets a new
        instance per poke): what that instance saw counts as already said.
    :param seen_before: what the waiter saw before handing the wait over (a sensor's first look, before the
        trigger's): the timeout message names it when the deadline comes before this wait's own first look.
    """

    def __init__(
        self,
        *,
        condition: str,
        log: Logger,
        ids: Sequence[int] = (),
        subject: str = "",
        accept_end_state: bool = False,
        started_at: float | None = None,
        previous_look: float | None = None,
        seen_before: str | None = None,
        remind_every: float = REMIND_EVERY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if condition != status.PRETRANSLATED:
            status.check_condition(condition)
        self.condition = condition
        self.log = log
        self.ids = [int(i) for i in ids]
        self.subject = subject
        self.accept_end_state = accept_end_state
        self.clock = clock
        self.started_at = clock() if started_at is None else started_at
        self.remind_every = remind_every
        self._last_look = previous_look
        self._resumed = previous_look is not None
        self._lines: dict[int, str] = {}
        self._progress: dict[int, ImportProgress] = {}
        self._progress_at: dict[int, float] = {}
        self._no_workers_since: dict[int, float] = {}
        self._notices: set[str] = set()
        self._outage: str | None = None
        self._seen_before = seen_before

    @property
    def what(self) -> str:
        """``translate5 task 5`` / ``translate5 tasks 5, 6`` (or the subject until the ids are known)."""
        return status.ids_text(self.ids) if self.ids else self.subject

    def progress_due(self, found: Mapping[int, Task]) -> list[Task]:
        """The importing tasks whose import progress to look up now (see ``PROGRESS_EVERY``)."""
        from airflow_provider_translate5.client import TaskState

        now = self.clock()
        due = [
            task
            for task_id in self.ids
            if (task := found.get(task_id)) is not None
            and task.state in TaskState.IMPORTING
            and task.task_guid
            and (task_id not in self._progress_at or now - self._progress_at[task_id] >= PROGRESS_EVERY)
        ][:PROGRESS_LOOKUPS]
        self._progress_at.update((task.id, now) for task in due)
        return due

    def look_tasks(
        self, found: Mapping[int, Task], progress: Mapping[int, ImportProgress | None] | None = None
    ) -> status.Verdict:
        """Judge task rows (``found``: the rows of ``ids`` that still exist); log what changed.

        ``progress``: what the import progress lookups of this look answered (for :meth:`progress_due` tasks;
        None: no import worker queued or running). The last progress known is shown until the next lookup.
        """
        from airflow_provider_translate5.client import TaskState

        now = self.clock()
        self._back()
        for task_id, answer in (progress or {}).items():
            if answer is not None:
                self._progress[task_id] = answer
                self._no_workers_since.pop(task_id, None)
            else:
                self._no_workers_since.setdefault(task_id, now)
        lines = {}
        for task_id in self.ids:
            task = found.get(task_id)
            if task is not None:
                shown = self._progress.get(task_id) if task.state in TaskState.IMPORTING else None
                lines[task_id] = status.describe_task(task, shown)
        self._changed(lines)
        verdict = status.evaluate_tasks(
            self.condition, self.ids, found, accept_end_state=self.accept_end_state
        )
        if verdict.status == status.WAITING:  # "still waiting" notices only while the wait goes on
            notices = {
                text
                for task_id in self.ids
                if task_id in found and (text := status.notice(self.condition, found[task_id]))
            }
            notices.update(self._unstarted(found, now))
            self._remind(notices, now)
        self._last_look = now
        return verdict

    def _unstarted(self, found: Mapping[int, Task], now: float) -> list[str]:
        """Tasks in state ``import`` without any import worker for a minute: probably never started.

        translate5 shows a task created with ``autoStartImport=0`` in state ``import`` (locked) until its
        import is started, exactly like a running import; only the missing workers tell them apart.
        """
        from airflow_provider_translate5.client import TaskState

        texts = []
        for task_id, since in self._no_workers_since.items():
            task = found.get(task_id)
            if task is None or task.state != TaskState.IMPORT:
                continue
            if now - since >= PROGRESS_EVERY:
                texts.append(
                    f"translate5 task {task.id} ({task.task_name}) is in state import but no import worker "
                    "has been queued or running for a minute: a task created with auto_start_import=False "
                    "waits until its import is started (Translate5StartImportOperator, or in translate5). "
                    "Still waiting."
                )
        return texts

    def look_file(self, file_id: int, entry: PretranslatedFile | None) -> status.Verdict:
        """Judge an InstantTranslate file-list entry; log it when it changed."""
        self._back()
        if entry is not None:
            self._changed({file_id: status.describe_file(entry)})
        self._last_look = self.clock()
        return status.evaluate_pretranslation(file_id, entry)

    def failed(self, error: str, *, outage: bool, terminal: bool) -> status.Verdict:
        """A look that could not be made (after the client's own retries).

        An outage (translate5 unreachable, in maintenance, answering 5xx) is ridden out until the deadline:
        ``waiting``, logged when it begins and when it ends. Anything else ends the wait with an ``error``;
        ``terminal`` says whether an Airflow retry could help.
        """
        if outage:
            if self._outage is None:
                self.log.warning(
                    "translate5 is not answering (%s); still waiting for %s until the deadline",
                    error,
                    self.what,
                )
            self._outage = error
            return status.Verdict(status.WAITING, f"translate5 is not answering ({error})")
        return status.Verdict(status.ERROR, f"Could not read {self.what}: {error}", terminal=terminal)

    def failed_with(self, exc: BaseException) -> status.Verdict:
        """:meth:`failed` for an exception, classified by :func:`classify`."""
        outage, terminal = classify(exc)
        return self.failed(f"{type(exc).__name__}: {exc}", outage=outage, terminal=terminal)

    @property
    def last_seen(self) -> str | None:
        """What the looks so far saw (one line per task), for the timeout message of whoever waits on."""
        return "; ".join(self._lines.values()) or self._seen_before

    def timeout_message(self) -> str:
        """Why the wait ended at its deadline, with the last state seen."""
        seen = self.last_seen or "no answer from translate5 yet"
        if self._outage is not None:
            seen += f" (the last look failed: {self._outage})"
        return (
            f"Timed out waiting for {self.what} to {status.goal(self.condition)}; nothing was changed in "
            f"translate5. Last seen: {seen}"
        )

    def _back(self) -> None:
        if self._outage is not None:
            self.log.info("translate5 answers again; waiting goes on")
            self._outage = None

    def _changed(self, lines: Mapping[int, str]) -> None:
        """Log the lines that changed since the previous look, so a week-long wait does not flood its log.

        One log record per look, however many tasks changed: a triggerer runs hundreds of waits on one event
        loop, and each record costs formatting and secret masking there.
        """
        changed = [line for key, line in lines.items() if self._lines.get(key) != line]
        self._lines.update(lines)
        if changed:
            self.log.info("%s", "\n".join(changed))

    def _remind(self, notices: set[str], now: float) -> None:
        """Log each notice when it first shows up, then whenever a reminder falls due."""
        due = self._reminder_due(now)
        said_before = self._notices if not self._resumed else notices  # a resumed wait said them already
        shown = [text for text in sorted(notices) if due or text not in said_before]
        if shown:
            self.log.warning("%s", "\n".join(shown))
        self._notices = notices
        self._resumed = False

    def _reminder_due(self, now: float) -> bool:
        """Whether a multiple of ``remind_every`` since the start lies between the previous look and now."""
        if self._last_look is None or self.remind_every <= 0:
            return False
        return (now - self.started_at) // self.remind_every > (
            self._last_look - self.started_at
        ) // self.remind_every


class OperationWait(Wait):
    """A wait for an operation translate5 runs in the background (:func:`status.evaluate_operation`).

    Each look first judges the task rows like any ``idle`` wait (and notes whether the operation's worker
    shows on a task); only when every task is free are the results looked up and judged
    (:meth:`look_up_results`). ``before`` is each task's result before the start, ``sent`` what the request
    that started it sent, where the result is told by it (a reimport: the file's ``name`` and ``sha256``).
    """

    def __init__(
        self,
        *,
        operation: status.Operation,
        before: Mapping[int, str | None],
        sent: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(condition=status.IDLE, **kwargs)
        self.operation = status.named_operation(operation.name, sent)
        self.before = dict(before)
        self.sent = dict(sent or {})
        self.seen: set[int] = set()
        self._queued: str | None = None  # what the last look said about a queued operation
        self._said: str | None = None

    def look_tasks(
        self, found: Mapping[int, Task], progress: Mapping[int, ImportProgress | None] | None = None
    ) -> status.Verdict:
        self.seen.update(i for i in self.ids if (t := found.get(i)) and status.runs(t, self.operation))
        verdict = super().look_tasks(found, progress)
        if verdict.status != status.SUCCESS:
            self._queued = None
        return verdict

    def look_up_results(self, client: Translate5Client, found: Mapping[int, Task]) -> status.Verdict:
        """After :meth:`look_tasks` found every task free: look up their results and judge them.

        A 409 means an operation took a task since its row was read (no export of a busy task): the wait
        goes on, as for a busy task.
        """
        from airflow_provider_translate5.client import Translate5ConflictError, Translate5Error

        tasks = [found[i] for i in self.ids]
        try:
            after = operation_results(client, self.operation, tasks, self.sent)
        except Translate5ConflictError as exc:
            return status.Verdict(status.WAITING, f"waiting for {self.what} (busy again: {exc})")
        except Translate5Error as exc:
            return self.failed_with(exc)
        return self.look_results(found, after)

    def look_results(self, found: Mapping[int, Task], after: Mapping[int, str | None]) -> status.Verdict:
        """Judge the results of free tasks; says once (not at every look) that the operation is queued."""
        verdict = status.evaluate_operation(
            self.operation, self.ids, found, before=self.before, after=after, seen=self.seen, sent=self.sent
        )
        self._queued = verdict.message if verdict.status == status.WAITING else None
        if self._queued is not None and self._queued != self._said:
            self.log.info("%s", self._queued)
            self._said = self._queued
        return verdict

    def timeout_message(self) -> str:
        text = super().timeout_message()
        return f"{text}; {self._queued}" if self._queued else text


def operation_results(
    client: Translate5Client,
    operation: status.Operation,
    tasks: Sequence[Task],
    sent: Mapping[str, Any] | None = None,
) -> dict[int, str | None]:
    """Each task's result of the operation now, to compare with the one before its start (None: none).

    An analysis or pre-translation: the newest analysis' ``created`` time. A reimport: the SHA-256 of the
    file sent (``sent``: ``name``, ``sha256``) once the task's import archive holds it (part 2 §150), None
    while it holds another file; a busy task's archive cannot be exported (``Translate5ConflictError``).
    """
    if operation in (status.ANALYSIS, status.PRETRANSLATION):
        return {task.id: client.get_analysis(task.task_guid).created for task in tasks}
    if operation == status.REIMPORT:
        wanted = dict(sent or {})
        status.named_operation(operation.name, wanted)  # a ValueError naming what is missing
        name, digest = str(wanted["name"]), str(wanted["sha256"])
        return {
            task.id: digest if digest in client.archived_file_digests(task.id, name) else None
            for task in tasks
        }
    raise ValueError(f"no lookup for the result of a {operation.name}")


def event(verdict: status.Verdict, **extra: Any) -> dict[str, Any]:
    """How a wait's end travels (a trigger's event, a worker's wait): ``status``, ``message``, ``terminal``
    (errors only) and what the waiter adds. :func:`verdict_of` reads it back."""
    payload: dict[str, Any] = {"status": verdict.status, "message": verdict.message, **extra}
    if verdict.status == status.ERROR:
        payload["terminal"] = verdict.terminal
    return payload


def verdict_of(payload: Any) -> status.Verdict:
    """The verdict an :func:`event` carries; ``ValueError`` for anything else (never read as success)."""
    if not isinstance(payload, Mapping) or payload.get("status") not in status.EVENT_STATUSES:
        raise ValueError(f"not a translate5 wait event: {payload!r}")
    message = str(payload.get("message") or "no message")
    return status.Verdict(payload["status"], message, terminal=bool(payload.get("terminal", True)))


def import_progress(client: Translate5Client, tasks: Sequence[Task]) -> dict[int, ImportProgress | None]:
    """Import progress of ``tasks`` (one request each; pick them with :meth:`Wait.progress_due`).

    None for a task means translate5 has no import worker for it (queued or running). Progress is nice to
    log, never a reason to fail a wait: a failed lookup is left out.
    """
    from airflow_provider_translate5.client import Translate5Error

    found: dict[int, ImportProgress | None] = {}
    for task in tasks:
        try:
            found[task.id] = client.get_import_progress(task.task_guid)
        except Translate5Error:
            continue
    return found


def block(
    wait: Wait,
    look: Callable[[], status.Verdict],
    *,
    interval: float,
    end_time: float,
    sleep: Callable[[float], None] = time.sleep,
) -> status.Verdict:
    """Look every ``interval`` seconds until the verdict is no longer ``waiting``, or the deadline passes.

    For a step that waits in its own worker process (an operator not deferred). ``look`` makes one look and
    returns :meth:`Wait.look_tasks` / :meth:`Wait.look_file` / :meth:`Wait.failed_with` of it. At the
    deadline the verdict is ``timeout`` with :meth:`Wait.timeout_message`.
    """
    while True:
        verdict = look()
        if verdict.status != status.WAITING:
            return verdict
        if wait.clock() + interval > end_time:
            return status.Verdict(status.TIMEOUT, wait.timeout_message(), terminal=False)
        sleep(interval)


class Waiter(Protocol):
    """What waits in its worker: a step with a client and a log (a waiting operator)."""

    @property
    def client(self) -> Translate5Client: ...

    @property
    def log(self) -> Any: ...


def block_until_idle(waiter: Waiter, ids: list[int], *, interval: float, end_time: float) -> dict[str, Any]:
    """Wait in this worker until nothing runs on ``ids`` (whatever runs: a reimport waits so before it
    decides whether to send); returns the verdict as a trigger event, judged like a trigger's event."""
    from airflow_provider_translate5.client import Translate5Error

    wait = Wait(condition=status.IDLE, log=waiter.log, ids=ids)

    def look() -> status.Verdict:
        try:
            found = waiter.client.get_tasks(ids)
        except Translate5Error as exc:
            return wait.failed_with(exc)
        return wait.look_tasks(found)

    return event(block(wait, look, interval=interval, end_time=end_time))


def block_until_done(
    waiter: Waiter,
    operation: status.Operation,
    ids: list[int],
    before: Mapping[int, str | None],
    *,
    interval: float,
    end_time: float,
    sent: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Wait in this worker until an operation started on ``ids`` is done (:class:`OperationWait`); returns
    the verdict as a trigger event, judged like the event of the deferred wait
    (``triggers.operation.Translate5OperationTrigger``)."""
    from airflow_provider_translate5.client import Translate5Error

    wait = OperationWait(operation=operation, before=before, sent=sent, log=waiter.log, ids=ids)

    def look() -> status.Verdict:
        try:
            found = waiter.client.get_tasks(ids)
        except Translate5Error as exc:
            return wait.failed_with(exc)
        verdict = wait.look_tasks(found)
        if verdict.status != status.SUCCESS:
            return verdict
        return wait.look_up_results(waiter.client, found)

    return event(block(wait, look, interval=interval, end_time=end_time))
