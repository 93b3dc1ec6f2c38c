"""Triggers for deferred translate5 waits.

They only read: creating remote work from a trigger is unsafe (a trigger may run more than once). Remote
state comes from the shared pollers in :mod:`.poller`, so many waits on one connection cost one request per
interval; the verdict comes from :mod:`.status`, the same rules the sensors apply in poke mode.

Every trigger yields exactly one event::

    {"status": "success" | "error" | "timeout",
     "message": str,                     # readable, ready for the task log / exception
     "translate5_task_ids": [int, ...],  # what was waited for
     "condition": "imported" | "workflow_ended" | "pretranslated",
     "terminal": bool,                   # error only: True = retrying cannot help (fail without retry)
     "tasks": [{id, taskGuid, taskName, projectId, state, workflowStepName}, ...],  # task waits
     "download_url": str}                # pretranslation success only
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_translate5.triggers import poller, status

DEFAULT_CONN_ID = "translate5_default"


class _Translate5WaitTrigger(BaseTrigger):
    """Wait loop shared by the task and InstantTranslate triggers: subscribe, judge, log changes, time out."""

    kind: str

    def __init__(
        self,
        *,
        translate5_task_ids: Sequence[int],
        translate5_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 30.0,
        end_time: float | None = None,
        page_size: int = poller.DEFAULT_PAGE_SIZE,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.translate5_task_ids = [int(i) for i in translate5_task_ids]
        self.translate5_conn_id = translate5_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = None if end_time is None else float(end_time)
        self.page_size = int(page_size)
        self._last_lines: dict[int, str] = {}
        self._outage: str | None = None

    def _kwargs(self) -> dict[str, Any]:
        return {
            "translate5_task_ids": self.translate5_task_ids,
            "translate5_conn_id": self.translate5_conn_id,
            "poll_interval": self.poll_interval,
            "end_time": self.end_time,
            "page_size": self.page_size,
        }

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", self._kwargs()

    @property
    def condition(self) -> str:
        raise NotImplementedError

    def judge(self, items: Mapping[int, Any]) -> status.Verdict:
        raise NotImplementedError

    def describe(self, item: Any) -> str:
        raise NotImplementedError

    def success_payload(self, items: Mapping[int, Any]) -> dict[str, Any]:
        return {}

    def _event(self, status_: str, message: str, **extra: Any) -> TriggerEvent:
        return TriggerEvent(  # type: ignore[no-untyped-call]
            {
                "status": status_,
                "message": message,
                "translate5_task_ids": self.translate5_task_ids,
                "condition": self.condition,
                **extra,
            }
        )

    def _remaining(self) -> float | None:
        return None if self.end_time is None else self.end_time - time.time()

    def _log_changes(self, items: Mapping[int, Any]) -> None:
        """Log a task's line only when it changed, so a week-long wait does not flood the task log."""
        for task_id, item in items.items():
            line = self.describe(item)
            if self._last_lines.get(task_id) != line:
                self._last_lines[task_id] = line
                self.log.info("%s", line)

    def _log_outage(self, error: str | None) -> None:
        """Log when translate5 becomes unreachable and when it is back, not at every failed poll."""
        if error is not None and self._outage is None:
            self.log.warning(
                "translate5 is not answering (%s); still waiting for %s until the deadline",
                error,
                _ids_text(self.translate5_task_ids),
            )
        elif error is None and self._outage is not None:
            self.log.info("translate5 answers again; waiting goes on")
        self._outage = error

    def _timeout_message(self) -> str:
        seen = "; ".join(self._last_lines.values()) or "no answer from translate5 yet"
        if self._outage is not None:
            seen += f" (the last poll failed: {self._outage})"
        return (
            f"Timed out waiting for {_ids_text(self.translate5_task_ids)} to {status.goal(self.condition)}; "
            f"nothing was changed in translate5. Last seen: {seen}"
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            async with poller.subscribe(
                conn_id=self.translate5_conn_id,
                poll_interval=self.poll_interval,
                kind=self.kind,
                ids=self.translate5_task_ids,
                page_size=self.page_size,
            ) as subscription:
                while True:
                    remaining = self._remaining()
                    if remaining is not None and remaining <= 0:
                        yield self._event(status.TIMEOUT, self._timeout_message())
                        return
                    try:
                        snapshot = await asyncio.wait_for(subscription.next(), timeout=remaining)
                    except asyncio.TimeoutError:
                        yield self._event(status.TIMEOUT, self._timeout_message())
                        return
                    if snapshot.error is not None and snapshot.outage:
                        self._log_outage(snapshot.error)
                        continue
                    if snapshot.error is not None:
                        yield self._event(
                            status.ERROR,
                            f"Could not read {_ids_text(self.translate5_task_ids)}: {snapshot.error}",
                            terminal=snapshot.terminal,
                        )
                        return
                    self._log_outage(None)
                    self._log_changes(snapshot.items)
                    verdict = self.judge(snapshot.items)
                    if verdict.status == status.SUCCESS:
                        yield self._event(
                            status.SUCCESS, verdict.message, **self.success_payload(snapshot.items)
                        )
                        return
                    if verdict.status == status.ERROR:
                        yield self._event(status.ERROR, verdict.message, terminal=verdict.terminal)
                        return
        except Exception as exc:  # a trigger that raises fails the task with a traceback soup; say it plainly
            self.log.exception("translate5 trigger failed")
            yield self._event(
                status.ERROR, f"translate5 trigger failed: {type(exc).__name__}: {exc}", terminal=False
            )


class Translate5TaskStateTrigger(_Translate5WaitTrigger):
    """Wait until translate5 tasks finished importing, or reached the end of their workflow.

    :param translate5_task_ids: the translate5 tasks (not project ids: the operator resolves a project to its
        tasks before deferring, because the task list only contains tasks).
    :param condition: ``"imported"`` or ``"workflow_ended"``.
    :param accept_end_state: for ``workflow_ended``: a task a PM ended (state ``end``) also counts.
    :param end_time: absolute deadline (epoch seconds); a ``timeout`` event is sent then.
    """

    kind = poller.TASKS

    def __init__(
        self,
        *,
        translate5_task_ids: Sequence[int],
        condition: str,
        translate5_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 30.0,
        end_time: float | None = None,
        accept_end_state: bool = False,
        page_size: int = poller.DEFAULT_PAGE_SIZE,
    ) -> None:
        if condition not in status.TASK_CONDITIONS:
            raise ValueError(
                f"unknown condition {condition!r}; expected one of {sorted(status.TASK_CONDITIONS)}"
            )
        super().__init__(
            translate5_task_ids=translate5_task_ids,
            translate5_conn_id=translate5_conn_id,
            poll_interval=poll_interval,
            end_time=end_time,
            page_size=page_size,
        )
        self._condition = condition
        self.accept_end_state = bool(accept_end_state)

    @property
    def condition(self) -> str:
        return self._condition

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "condition": self._condition, "accept_end_state": self.accept_end_state}

    def judge(self, items: Mapping[int, Any]) -> status.Verdict:
        return status.evaluate_tasks(
            self._condition, self.translate5_task_ids, items, accept_end_state=self.accept_end_state
        )

    def describe(self, item: Any) -> str:
        return status.describe_task(item)

    def success_payload(self, items: Mapping[int, Any]) -> dict[str, Any]:
        return {"tasks": [status.task_summary(items[i]) for i in self.translate5_task_ids]}


class Translate5PretranslationTrigger(_Translate5WaitTrigger):
    """Wait until an InstantTranslate file pre-translation is ready to download.

    :param translate5_task_ids: the ``taskId`` that ``filepretranslate`` answered (one id in a list, so the
        event has the same shape as for task waits).
    """

    kind = poller.PRETRANSLATED_FILES

    @property
    def condition(self) -> str:
        return status.PRETRANSLATED

    def judge(self, items: Mapping[int, Any]) -> status.Verdict:
        task_id = self.translate5_task_ids[0]
        return status.evaluate_pretranslation(task_id, items.get(task_id))

    def describe(self, item: Any) -> str:
        return status.describe_file(item)

    def success_payload(self, items: Mapping[int, Any]) -> dict[str, Any]:
        return {"download_url": items[self.translate5_task_ids[0]].download_url}


def _ids_text(ids: Sequence[int]) -> str:
    return ("translate5 task " if len(ids) == 1 else "translate5 tasks ") + ", ".join(str(i) for i in ids)
