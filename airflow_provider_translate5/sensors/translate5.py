"""Sensors that wait for translate5: import finished, workflow ended.

They run in poke, reschedule or deferrable mode. In every mode one look at translate5 is judged by the same
rules (:mod:`airflow_provider_translate5.triggers.status`), so a wait does not behave differently when a
deployment switches ``[operators] default_deferrable``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout

from airflow_provider_translate5.operators._base import (
    DEFAULT_CONN_ID,
    Translate5Mixin,
    WaitMixin,
    check_trigger_event,
    default_deferrable,
    fail_fast_on_bad_input,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Task


class _Translate5TaskSensor(Translate5Mixin, WaitMixin, BaseSensorOperator):
    """Wait for every translate5 task behind an id (a task id, or a project id = all its tasks)."""

    template_fields = ("translate5_task_id", "translate5_conn_id")
    condition: ClassVar[str]
    accept_end_state: bool = False

    def __init__(
        self,
        *,
        translate5_task_id: int | str,
        translate5_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool | None = None,
        poke_interval: float | None = None,
        **kwargs: Any,
    ) -> None:
        interval = self.poll_interval_default if poke_interval is None else poke_interval
        super().__init__(poke_interval=interval, **kwargs)
        self.translate5_task_id = translate5_task_id
        self.translate5_conn_id = translate5_conn_id
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        self._task_ids: list[int] = []
        self._link_pushed = False
        self._outage: Exception | None = None

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            try:
                return super().execute(context)
            except AirflowSensorTimeout as exc:
                raise AirflowSensorTimeout(f"{exc} {self._left_alone()}") from exc
        end_time = self.deadline()
        first = self.poke(context)
        if first:
            return first.xcom_value
        if self._outage is not None:  # the trigger needs the task ids behind the id: let Airflow retry
            raise self._outage
        from airflow_provider_translate5.triggers.translate5 import Translate5TaskStateTrigger

        self.log.info(
            "Deferring: waiting for translate5 task(s) %s in the triggerer (every %g s, at most %g s)",
            ", ".join(map(str, self._task_ids)),
            self.poke_interval,
            self.timeout,
        )
        self.defer_until(
            Translate5TaskStateTrigger,
            task_ids=self._task_ids,
            end_time=end_time,
            condition=self.condition,
            accept_end_state=self.accept_end_state,
        )

    def poke(self, context: Context) -> PokeReturnValue:
        from airflow_provider_translate5.client import Translate5Error, Translate5NotFoundError
        from airflow_provider_translate5.triggers import status

        try:
            with fail_fast_on_bad_input():
                tasks = self.client.project_tasks(self.translate5_task_id)
        except AirflowFailException as exc:
            if self._task_ids and isinstance(exc.__cause__, Translate5NotFoundError):
                raise AirflowFailException(status.missing_message(self.condition, self._task_ids)) from exc
            raise
        except Translate5Error as exc:
            if not status.is_outage(exc):
                raise
            if self._outage is None:
                self.log.warning("translate5 is not answering (%s); still waiting until the timeout", exc)
            self._outage = exc
            return PokeReturnValue(False)
        if self._outage is not None:
            self.log.info("translate5 answers again; waiting goes on")
            self._outage = None
        self._task_ids = [task.id for task in tasks]
        if tasks and not self._link_pushed:
            self.push_task_link(context, tasks[0])
            self._link_pushed = True
        verdict = status.evaluate_tasks(
            self.condition, self._task_ids, {t.id: t for t in tasks}, accept_end_state=self.accept_end_state
        )
        if verdict.status == status.ERROR:
            raise AirflowFailException(verdict.message)
        if verdict.status == status.SUCCESS:
            self.log.info("%s", verdict.message)
            return PokeReturnValue(True, self._result([status.task_summary(t) for t in tasks]))
        for task in tasks:
            self.log.info("%s", self.describe(task))
        return PokeReturnValue(False)

    def describe(self, task: Task) -> str:
        from airflow_provider_translate5.triggers.status import describe_task

        return describe_task(task)

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> Any:
        event = check_trigger_event(event)
        self.log.info("%s", event["message"])
        return self._result(list(event.get("tasks") or []))

    def _result(self, tasks: list[dict[str, Any]]) -> dict[str, Any]:
        """What the sensor returns (XCom): the id it was given and the tasks behind it."""
        return {"id": int(self.translate5_task_id), "taskIds": [t["id"] for t in tasks], "tasks": tasks}

    def _left_alone(self) -> str:
        from airflow_provider_translate5.triggers.status import goal

        return (
            f"Waited for translate5 task/project {self.translate5_task_id} to {goal(self.condition)}; "
            "nothing was changed in translate5."
        )


class Translate5ImportSensor(_Translate5TaskSensor):
    """Wait until translate5 finished importing a task, or every task of a project.

    Succeeds once no task is importing any more (``open``, ``unconfirmed`` or any other state but ``import``
    and ``error``). Fails at once, without retries, when translate5 reports an import ``error``, quoting the
    server's ``lastErrors``. While waiting in poke/reschedule mode it logs the import progress (percent,
    workers done/total, running worker).

    :param translate5_task_id: a translate5 task id or project id (templated).
    :param translate5_conn_id: Airflow connection to translate5.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poke_interval: seconds between checks (default 10).
    :param timeout: seconds until the wait fails (the translate5 task is left untouched).

    Returns ``{"id", "taskIds", "tasks": [{id, taskGuid, taskName, projectId, state, workflowStepName}]}``.
    """

    condition = "imported"
    poll_interval_default = 10.0

    def describe(self, task: Task) -> str:
        from airflow_provider_translate5.client import Translate5Error
        from airflow_provider_translate5.triggers.status import IMPORTING_STATES, describe_task

        progress = None
        if task.state in IMPORTING_STATES and task.task_guid:
            try:
                progress = self.client.get_import_progress(task.task_guid)
            except Translate5Error as exc:  # progress is nice to log, never a reason to fail the wait
                self.log.info("Import progress of task %s not available: %s", task.id, exc)
        return describe_task(task, progress)


class Translate5WorkflowEndedSensor(_Translate5TaskSensor):
    """Wait until translators and reviewers are done: the task's workflow step is ``workflowEnded``.

    Logs the progress of every workflow step while waiting. Fails without retries if a task is in state
    ``error`` or was deleted.

    :param translate5_task_id: a translate5 task id or project id (templated).
    :param accept_end_state: also accept a task a project manager ended (state ``end``) before its workflow
        reached ``workflowEnded``.
    :param translate5_conn_id: Airflow connection to translate5.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poke_interval: seconds between checks (default 60: humans take days).
    :param timeout: seconds until the wait fails (the translate5 task is left untouched).
    """

    condition = "workflow_ended"
    poll_interval_default = 60.0

    def __init__(self, *, accept_end_state: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accept_end_state = accept_end_state
