"""Waiting for queued batch exports: one look (:func:`look_tokens`) for the worker and the triggerer alike.

A queued export is waited on by its token, not by task states, so the task-state poller does not apply; the
look is judged with the provider's :class:`~airflow_provider_translate5.wait.Wait` (outages ridden out,
errors classified the one way) in both modes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_translate5 import status

if TYPE_CHECKING:
    from airflow_provider_translate5.client import Translate5Client
    from airflow_provider_translate5.wait import Wait


def new_wait(tokens: list[str], log: Any) -> Wait:
    from airflow_provider_translate5.wait import Wait

    return Wait(condition=status.IDLE, log=log, subject=f"translate5 batch export(s) {', '.join(tokens)}")


def look_tokens(client: Translate5Client, pending: set[str], wait: Wait) -> status.Verdict:
    """Ask about each export not yet ready, drop ready ones from ``pending``; success when none is left."""
    from airflow_provider_translate5.client import Translate5Error

    for token in sorted(pending):
        try:
            ready = client.batch_export_ready(token)
        except Translate5Error as exc:
            return wait.failed_with(exc)
        if ready:
            pending.discard(token)
            wait.log.info("translate5 batch export %s is ready", token)
    if pending:
        return status.Verdict(status.WAITING, f"waiting for batch export(s) {', '.join(sorted(pending))}")
    return status.Verdict(status.SUCCESS, "every batch export is ready")


def timeout_message(tokens: list[str], timeout: float) -> str:
    return (
        f"translate5 did not finish batch export(s) {', '.join(tokens)} within {timeout:.0f} s; nothing was "
        "written (the next try queues a new export)"
    )


class Translate5BatchExportTrigger(BaseTrigger):
    """Waits in the triggerer until every queued export (by token) is ready; one status request per token."""

    def __init__(
        self,
        *,
        tokens: list[str],
        translate5_conn_id: str,
        poll_interval: float,
        end_time: float,
        timeout: float,
        hook_params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.tokens = list(tokens)
        self.translate5_conn_id = translate5_conn_id
        self.poll_interval = poll_interval
        self.end_time = end_time
        self.timeout = timeout
        self.hook_params = dict(hook_params or {})

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", {
            "tokens": self.tokens,
            "translate5_conn_id": self.translate5_conn_id,
            "poll_interval": self.poll_interval,
            "end_time": self.end_time,
            "timeout": self.timeout,
            **({"hook_params": self.hook_params} if self.hook_params else {}),
        }

    def _event(self, verdict: status.Verdict) -> TriggerEvent:
        from airflow_provider_translate5.wait import event

        return TriggerEvent(event(verdict, tokens=self.tokens))  # type: ignore[no-untyped-call]

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_translate5.triggers.poller import connect

        wait = new_wait(self.tokens, self.log)
        pending = set(self.tokens)
        client = await connect(self.translate5_conn_id, self.hook_params)
        try:
            while True:
                verdict = await asyncio.to_thread(look_tokens, client, pending, wait)
                if verdict.status != status.WAITING:
                    yield self._event(verdict)
                    return
                if time.time() + self.poll_interval > self.end_time:
                    message = timeout_message(self.tokens, self.timeout)
                    yield self._event(status.Verdict(status.TIMEOUT, message, terminal=False))
                    return
                await asyncio.sleep(self.poll_interval)
        finally:
            await asyncio.to_thread(client.close)
