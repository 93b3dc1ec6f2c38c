"""Waiting for translate5 to finish an operation (analysis, pre-translation, reimport) on some tasks.

Operators that start an operation wait for the ``idle`` condition with the project's one wait loop: in the
worker (:func:`block_until_idle`) or deferred to the triggerer (:func:`defer_until_idle`). Both end in the
same trigger-event shape, so ``check_trigger_event`` judges them alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_translate5.operators._base import WaitMixin
    from airflow_provider_translate5.operators.translate5 import Translate5BaseOperator


def defer_until_idle(operator: WaitMixin, ids: list[int], end_time: float) -> None:
    from airflow_provider_translate5 import status
    from airflow_provider_translate5.triggers.translate5 import Translate5TaskStateTrigger

    operator.defer_until(Translate5TaskStateTrigger, task_ids=ids, end_time=end_time, condition=status.IDLE)


def block_until_idle(
    operator: Translate5BaseOperator, ids: list[int], *, interval: float, end_time: float
) -> dict[str, Any]:
    """Wait in this worker; returns the verdict as a trigger event."""
    from airflow_provider_translate5 import status
    from airflow_provider_translate5.client import Translate5Error
    from airflow_provider_translate5.triggers.poller import DEFAULT_PAGE_SIZE, fetch_tasks
    from airflow_provider_translate5.wait import Wait, block

    wait = Wait(condition=status.IDLE, log=operator.log, ids=ids)

    def look() -> status.Verdict:
        try:
            found, _requests = fetch_tasks(operator.client, ids, DEFAULT_PAGE_SIZE)
        except Translate5Error as exc:
            return wait.failed_with(exc)
        return wait.look_tasks(found)

    verdict = block(wait, look, interval=interval, end_time=end_time)
    return {"status": verdict.status, "message": verdict.message, "terminal": verdict.terminal}
