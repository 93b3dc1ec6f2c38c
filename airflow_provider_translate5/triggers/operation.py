"""Waiting in the triggerer for an operation translate5 runs in the background (analysis, pre-translation,
reimport).

The task rows come from the shared task poller like every task wait's; only when every task is free does the
trigger look up the tasks' results (one request per task: an analysis, a reimport's import archive), because
a free task is not yet a finished one: the operation may still be queued (transcripts-2 §115, §143, §162).
The rule is :func:`airflow_provider_translate5.status.evaluate_operation`, the same as the worker's wait
(:func:`airflow_provider_translate5.wait.block_until_done`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_translate5 import DEFAULT_CONN_ID, status
from airflow_provider_translate5.triggers import poller
from airflow_provider_translate5.triggers.translate5 import Translate5TaskStateTrigger
from airflow_provider_translate5.wait import OperationWait, Wait

if TYPE_CHECKING:
    from airflow_provider_translate5.client import Translate5Client


class Translate5OperationTrigger(Translate5TaskStateTrigger):
    """Wait until an operation started on translate5 tasks is done: no lock, and a new result.

    :param translate5_task_ids: the tasks the operation was started on.
    :param operation: the operation's name (``"analysis"``, ``"pre-translation"``, ``"reimport"``:
        ``status.OPERATIONS``).
    :param before: each task's result before the start (``{"<task id>": created or None}``).
    :param sent: what the request that started the operation sent, where its result is told by it (a
        reimport: the task file's ``id`` and ``name`` and the ``sha256`` of the file sent); the success
        event carries it back to the resumed operator.
    :param end_time: absolute deadline (epoch seconds); a ``timeout`` event is sent then.
    """

    def __init__(
        self,
        *,
        translate5_task_ids: Sequence[int],
        operation: str,
        before: Mapping[str, str | None],
        translate5_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 30.0,
        end_time: float | None = None,
        page_size: int = poller.DEFAULT_PAGE_SIZE,
        last_seen: str | None = None,
        hook_params: Mapping[str, Any] | None = None,
        sent: Mapping[str, Any] | None = None,
    ) -> None:
        self.operation = status.named_operation(operation, sent)
        super().__init__(
            translate5_task_ids=translate5_task_ids,
            condition=status.IDLE,
            translate5_conn_id=translate5_conn_id,
            poll_interval=poll_interval,
            end_time=end_time,
            page_size=page_size,
            last_seen=last_seen,
            hook_params=hook_params,
        )
        self.before = {str(task_id): created for task_id, created in before.items()}
        self.sent = dict(sent or {})

    def _kwargs(self) -> dict[str, Any]:
        kwargs = super()._kwargs()
        del kwargs["condition"], kwargs["accept_end_state"]
        kwargs = {**kwargs, "operation": self.operation.name, "before": self.before}
        return {**kwargs, "sent": self.sent} if self.sent else kwargs

    def new_wait(self) -> Wait:
        return OperationWait(
            operation=self.operation,
            before={int(task_id): created for task_id, created in self.before.items()},
            sent=self.sent,
            ids=self.translate5_task_ids,
            log=self.log,
            seen_before=self.last_seen,
        )

    def success_payload(self, items: Mapping[int, Any]) -> dict[str, Any]:
        """The task summaries, ``before`` (the resumed operator reads the new results against it) and
        ``sent``, if given."""
        payload = {**super().success_payload(items), "before": self.before}
        return {**payload, "sent": self.sent} if self.sent else payload

    async def look(self, wait: Wait, items: Mapping[int, Any]) -> status.Verdict:
        from airflow_provider_translate5.client import Translate5Error

        assert isinstance(wait, OperationWait)
        verdict = wait.look_tasks(items)
        if verdict.status != status.SUCCESS:
            return verdict
        try:
            client = await self._connection()
        except Translate5Error as exc:
            return wait.failed_with(exc)
        return await asyncio.to_thread(wait.look_up_results, client, items)

    async def _connection(self) -> Translate5Client:
        """The trigger's own client (closed by :meth:`close`), made at the first result lookup."""
        if self._client is None:
            self._client = await poller.connect(self.translate5_conn_id, self.hook_params)
        return self._client
