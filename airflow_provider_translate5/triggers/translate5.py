"""Triggers for deferred translate5 waits.

They only read: creating remote work from a trigger is unsafe (a trigger may run more than once). Remote
state comes from the shared pollers in :mod:`.poller`, so many waits on one connection cost one request per
interval; each look is judged and logged by :class:`~airflow_provider_translate5.wait.Wait`, exactly as the
sensors do it in poke and reschedule mode.

Every trigger yields exactly one event::

    {"status": "success" | "error" | "timeout",
     "message": str,                     # readable, ready for the task log / exception
     "translate5_task_ids": [int, ...],  # what was waited for
     "condition": "imported" | "workflow_ended" | "idle" | "pretranslated",
     "terminal": bool,                   # error only: True = retrying cannot help (fail without retry)
     "tasks": [{id, task_guid, task_name, project_id, state, workflow_step_name, ...}, ...],  # task waits
     "download_url": str}                # pretranslation success only
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_translate5 import DEFAULT_CONN_ID, status
from airflow_provider_translate5.triggers import poller
from airflow_provider_translate5.wait import Wait, event, import_progress

if TYPE_CHECKING:
    from airflow_provider_translate5.client import ImportProgress, Task, Translate5Client


async def next_snapshot(subscription: Any, timeout: float | None) -> Any:
    """The subscription's next snapshot, or ``asyncio.TimeoutError`` after ``timeout`` seconds.

    Not ``asyncio.wait_for``: on Python 3.10/3.11 it swallows a cancel that arrives in the loop step that
    completes the snapshot, and the trigger Airflow cancelled (task cleared, triggerer stopping) polled on.
    """
    pending = asyncio.ensure_future(subscription.next())
    try:
        done, _ = await asyncio.wait({pending}, timeout=timeout)
    finally:
        if not pending.done():
            pending.cancel()
    if not done:
        raise asyncio.TimeoutError
    return pending.result()


class _Translate5WaitTrigger(BaseTrigger):
    """Subscribe to the shared poller and feed each snapshot to one :class:`Wait` until it has a verdict."""

    kind: str

    def __init__(
        self,
        *,
        translate5_task_ids: Sequence[int],
        translate5_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 30.0,
        end_time: float | None = None,
        page_size: int = poller.DEFAULT_PAGE_SIZE,
        last_seen: str | None = None,
        hook_params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.translate5_task_ids = [int(i) for i in translate5_task_ids]
        if not self.translate5_task_ids:
            raise ValueError("translate5_task_ids is empty: there is nothing to wait for")
        self.translate5_conn_id = translate5_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = None if end_time is None else float(end_time)
        self.page_size = int(page_size)
        #: What the operator's own look saw before deferring: the timeout message names it should the
        #: deadline come before this trigger's first poll.
        self.last_seen = last_seen
        #: The waiting operator's client settings (plain values: they are stored with the trigger).
        self.hook_params = dict(hook_params or {})

    def _kwargs(self) -> dict[str, Any]:
        kwargs = {
            "translate5_task_ids": self.translate5_task_ids,
            "translate5_conn_id": self.translate5_conn_id,
            "poll_interval": self.poll_interval,
            "end_time": self.end_time,
            "page_size": self.page_size,
            "last_seen": self.last_seen,
        }
        return {**kwargs, "hook_params": self.hook_params} if self.hook_params else kwargs

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", self._kwargs()

    @property
    def condition(self) -> str:
        raise NotImplementedError

    def new_wait(self) -> Wait:
        return Wait(
            condition=self.condition, ids=self.translate5_task_ids, log=self.log, seen_before=self.last_seen
        )

    async def look(self, wait: Wait, items: Mapping[int, Any]) -> status.Verdict:
        raise NotImplementedError

    def success_payload(self, items: Mapping[int, Any]) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        """Release what :meth:`look` opened (called when the wait ends, however it ends)."""

    def _event(self, verdict: status.Verdict, **extra: Any) -> TriggerEvent:
        payload = event(
            verdict, translate5_task_ids=self.translate5_task_ids, condition=self.condition, **extra
        )
        return TriggerEvent(payload)  # type: ignore[no-untyped-call]

    def _remaining(self) -> float | None:
        return None if self.end_time is None else self.end_time - time.time()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        wait = self.new_wait()
        try:
            async with poller.subscribe(
                conn_id=self.translate5_conn_id,
                poll_interval=self.poll_interval,
                kind=self.kind,
                ids=self.translate5_task_ids,
                page_size=self.page_size,
                hook_params=self.hook_params,
            ) as subscription:
                while True:
                    remaining = self._remaining()
                    if remaining is not None and remaining <= 0:
                        yield self._event(status.Verdict(status.TIMEOUT, wait.timeout_message()))
                        return
                    try:
                        snapshot = await next_snapshot(subscription, remaining)
                    except asyncio.TimeoutError:
                        yield self._event(status.Verdict(status.TIMEOUT, wait.timeout_message()))
                        return
                    if snapshot.error is not None:
                        verdict = wait.failed(
                            snapshot.error, outage=snapshot.outage, terminal=snapshot.terminal
                        )
                    else:
                        verdict = await self.look(wait, snapshot.items)
                    if verdict.status == status.SUCCESS:
                        yield self._event(verdict, **self.success_payload(snapshot.items))
                        return
                    if verdict.status == status.ERROR:
                        yield self._event(verdict)
                        return
        except Exception as exc:  # a trigger that raises fails the task with a traceback soup; say it plainly
            self.log.exception("translate5 trigger failed")
            failed = f"translate5 trigger failed: {type(exc).__name__}: {exc}"
            yield self._event(status.Verdict(status.ERROR, failed, terminal=False))
        finally:
            await self.close()


class Translate5TaskStateTrigger(_Translate5WaitTrigger):
    """Wait until translate5 tasks finished importing, reached the end of their workflow, or became idle.

    :param translate5_task_ids: the translate5 tasks (not project ids: the sensor resolves a project to its
        tasks before deferring, because the task list only contains tasks).
    :param condition: ``"imported"``, ``"workflow_ended"`` or ``"idle"``.
    :param accept_end_state: for ``workflow_ended``: a task a PM ended (state ``end``) also counts.
    :param end_time: absolute deadline (epoch seconds); a ``timeout`` event is sent then.
    :param last_seen: what the sensor's own look saw before deferring (named by a timeout before any poll).
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
        last_seen: str | None = None,
        hook_params: Mapping[str, Any] | None = None,
    ) -> None:
        status.check_condition(condition)
        super().__init__(
            translate5_task_ids=translate5_task_ids,
            translate5_conn_id=translate5_conn_id,
            poll_interval=poll_interval,
            end_time=end_time,
            page_size=page_size,
            last_seen=last_seen,
            hook_params=hook_params,
        )
        self._condition = condition
        self.accept_end_state = bool(accept_end_state)
        self._client: Translate5Client | None = None

    @property
    def condition(self) -> str:
        return self._condition

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "condition": self._condition, "accept_end_state": self.accept_end_state}

    def new_wait(self) -> Wait:
        return Wait(
            condition=self.condition,
            ids=self.translate5_task_ids,
            log=self.log,
            accept_end_state=self.accept_end_state,
            seen_before=self.last_seen,
        )

    async def look(self, wait: Wait, items: Mapping[int, Any]) -> status.Verdict:
        return wait.look_tasks(items, await self._import_progress(wait, items))

    async def _import_progress(
        self, wait: Wait, items: Mapping[int, Task]
    ) -> Mapping[int, ImportProgress | None]:
        """The import percent for the log, as the import sensor logs it in poke mode."""
        due = wait.progress_due(items) if self._condition == status.IMPORTED else []
        if not due:
            return {}
        if self._client is None:
            self._client = await poller.connect(self.translate5_conn_id, self.hook_params)
        return await asyncio.to_thread(import_progress, self._client, due)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await asyncio.to_thread(client.close)

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

    async def look(self, wait: Wait, items: Mapping[int, Any]) -> status.Verdict:
        file_id = self.translate5_task_ids[0]
        return wait.look_file(file_id, items.get(file_id))

    def success_payload(self, items: Mapping[int, Any]) -> dict[str, Any]:
        return {"download_url": items[self.translate5_task_ids[0]].download_url}
