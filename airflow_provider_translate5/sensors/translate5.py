"""Sensors that wait for translate5: import finished, workflow ended.

They run in poke, reschedule or deferrable mode. Every look at translate5 is judged and logged by
:class:`airflow_provider_translate5.wait.Wait`, the same wait loop the trigger runs, so a wait tells the user
the same things in every mode and a deployment can switch ``[operators] default_deferrable`` freely.

Requests: the task ids come from the upload (``translate5_task_ids=upload.output["task_ids"]``), or are looked
up once per try from ``translate5_task_id``; every later look is one ``filter id in [...]`` list request per
500 tasks, however many tasks the wait covers.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowSensorTimeout,
    AirflowSkipException,
)

from airflow_provider_translate5 import DEFAULT_CONN_ID
from airflow_provider_translate5.base import (
    Translate5Mixin,
    WaitMixin,
    check_trigger_event,
    default_deferrable,
    poll_interval,
    raise_for_verdict,
    rendered_ids,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Task
    from airflow_provider_translate5.wait import Wait


def _subject(tasks: Sequence[tuple[int, int | None]]) -> int | None:
    """What ``(task id, project id)`` pairs stand for: their common project, else the first task."""
    projects = {project for _task, project in tasks}
    if len(tasks) > 1 and len(projects) == 1 and None not in projects:
        return projects.pop()
    return tasks[0][0] if tasks else None


class _Translate5TaskSensor(Translate5Mixin, WaitMixin, BaseSensorOperator):
    """Wait for translate5 tasks: the ones given, or every task behind an id (a task, or a project)."""

    template_fields = ("translate5_task_id", "translate5_task_ids", "translate5_conn_id")
    condition: ClassVar[str]
    accept_end_state: bool = False

    def __init__(
        self,
        *,
        translate5_task_id: int | str | None = None,
        translate5_task_ids: Sequence[int] | str | None = None,
        translate5_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool | None = None,
        poke_interval: timedelta | float | None = None,
        skip_on_timeout: bool = False,
        **kwargs: Any,
    ) -> None:
        if translate5_task_id is None and translate5_task_ids is None:
            raise ValueError(
                "give translate5_task_ids (e.g. upload.output['task_ids']) or translate5_task_id (a task or "
                "project id)"
            )
        interval = self.poll_interval_default if poke_interval is None else poke_interval
        super().__init__(poke_interval=interval, **kwargs)
        # The same rules as the waiting operators: a DAG cannot make a wait hammer translate5 or end at once.
        self.poke_interval = poll_interval(self.poke_interval, self.log)
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout!r}")
        self.translate5_task_id = translate5_task_id
        self.translate5_task_ids = translate5_task_ids
        self.translate5_conn_id = translate5_conn_id
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        self.skip_on_timeout = skip_on_timeout
        # What this instance learnt (one Airflow try; a reschedule poke is a new instance).
        self._task_ids: list[int] | None = None
        self._link_pushed = False
        self._wait: Wait | None = None

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            try:
                return super().execute(context)
            except AirflowSensorTimeout as exc:
                raise self._timed_out(self._watch(context).timeout_message()) from exc
        end_time = self.deadline()
        first = self.poke(context)
        if first:
            return first.xcom_value
        if not self._task_ids:  # translate5 did not answer the first look: the trigger needs the ids
            raise AirflowException(
                f"Could not look up {self._watch(context).what} before deferring (translate5 is not "
                "answering); an Airflow retry will try again"
            )
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
            last_seen=self._watch(context).last_seen,
        )

    def poke(self, context: Context) -> PokeReturnValue:
        from airflow_provider_translate5 import status
        from airflow_provider_translate5.client import Translate5Error
        from airflow_provider_translate5.wait import import_progress

        wait = self._watch(context)
        try:
            found = self._look_up(wait)
        except Translate5Error as exc:
            verdict = wait.failed_with(exc)
            raise_for_verdict(verdict, cause=exc)
            return PokeReturnValue(False)  # an outage: ridden out until the deadline
        self._push_link(context, found)
        progress = (
            import_progress(self.client, wait.progress_due(found))
            if self.condition == status.IMPORTED
            else {}
        )
        verdict = wait.look_tasks(found, progress)
        raise_for_verdict(verdict)
        if verdict.status == status.SUCCESS:
            self.log.info("%s", verdict.message)
            return PokeReturnValue(True, self._result([status.task_summary(found[i]) for i in wait.ids]))
        return PokeReturnValue(False)

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> Any:
        try:
            event = check_trigger_event(event)
        except AirflowSensorTimeout as exc:
            raise self._timed_out(str(exc)) from exc
        self.log.info("%s", event["message"])
        return self._result(list(event.get("tasks") or []))

    def _timed_out(self, message: str) -> AirflowException:
        """The deadline passed: fail, or with ``skip_on_timeout`` end as skipped (errors still fail)."""
        if not self.skip_on_timeout:
            return AirflowSensorTimeout(message)
        return AirflowSkipException(
            f"{message}. Skipped (skip_on_timeout): the translate5 task stays as it is, and a later run can "
            "wait for it again"
        )

    def _look_up(self, wait: Wait) -> dict[int, Task]:
        """One look: the tasks by id (paged list request), or at a try's first look without ids, by lookup."""
        if self._task_ids is None:
            given = self.translate5_task_ids
            if given is None:
                tasks = self.client.project_tasks(str(self.translate5_task_id))
                self._task_ids = wait.ids = [task.id for task in tasks]
                return {task.id: task for task in tasks}
            self._task_ids = wait.ids = rendered_ids(given)
        return self.client.get_tasks(self._task_ids)

    def _watch(self, context: Context) -> Wait:
        """This try's :class:`Wait`; in reschedule mode it continues the wait the earlier pokes began."""
        if self._wait is None:
            from airflow_provider_translate5.wait import Wait

            started_at = previous_look = None
            if self.reschedule:
                first = context["ti"].get_first_reschedule_date(context)
                if first is not None:
                    started_at = first.timestamp()
                    previous_look = time.time() - self.poke_interval
            self._wait = Wait(
                condition=self.condition,
                log=self.log,
                subject=f"translate5 task/project {self.translate5_task_id}",
                accept_end_state=self.accept_end_state,
                started_at=started_at,
                previous_look=previous_look,
            )
        return self._wait

    def _push_link(self, context: Context, found: Mapping[int, Task]) -> None:
        """Publish the translate5 link at each try's first look (Airflow clears XComs per try and poke)."""
        if self._link_pushed or not found:
            return
        tasks = list(found.values())
        if self.translate5_task_id is None:  # ids given: link (and return) their project when they share one
            self.translate5_task_id = _subject([(task.id, task.project_id) for task in tasks])
        self.push_task_link(context, tasks[0])
        self._link_pushed = True

    def _result(self, tasks: list[dict[str, Any]]) -> dict[str, Any]:
        """What the sensor returns (XCom): the id it was given (or their project) and the tasks behind it."""
        subject = self.translate5_task_id
        if subject is None:
            subject = _subject([(t["id"], t.get("project_id")) for t in tasks])
        ids = [t["id"] for t in tasks]
        return {
            "id": None if subject is None else int(subject),
            "task_ids": ids,
            "tasks": tasks,
        }


class Translate5ImportSensor(_Translate5TaskSensor):
    """Wait until translate5 finished importing a task, or every task of a project.

    Succeeds once every task is settled (``open``, ``unconfirmed`` or ``end``): not importing (``import``,
    ``preparation``) and no task operation running (``matchanalysis``, ``autoqa``, ``reimport``, ...).
    Fails at once, without retries, when translate5 reports an ``error``, quoting the server's
    ``lastErrors``. While waiting it logs each task's state when it changes, with the import progress
    (percent, workers done/total, running worker).

    :param translate5_task_ids: the tasks to wait for: ``upload.output["task_ids"]`` (templated). Saves a
        lookup per try, and lets the wait notice a task deleted from a project in every mode.
    :param translate5_task_id: instead of the ids: a translate5 task id or project id (templated).
    :param translate5_conn_id: Airflow connection to translate5.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poke_interval: seconds between checks (default 10).
    :param timeout: seconds until the wait fails (the translate5 task is left untouched).
    :param skip_on_timeout: end as *skipped* instead of failed when the timeout passes (unlike Airflow's
        ``soft_fail``, a deleted task or an import error still fails): for DAGs that wait a while per run
        and come back to the task in a later run.

    Returns ``{"id", "task_ids", "tasks": [{id, task_guid, task_name, project_id, state,
    workflow_step_name}]}``.
    """

    condition = "imported"
    poll_interval_default = 10.0


class Translate5WorkflowEndedSensor(_Translate5TaskSensor):
    """Wait until translators and reviewers are done: every task's workflow step is ``workflowEnded``.

    Logs each task's workflow step and the progress of every step when it changes. A task nobody is assigned
    to sits at workflow step ``no workflow``: the wait says so in the log when it first sees it and every
    half hour after (users can still be assigned, so it does not fail). Fails without retries if a task is
    in state ``error`` or was deleted.

    :param translate5_task_ids: the tasks to wait for: ``upload.output["task_ids"]`` (templated).
    :param translate5_task_id: instead of the ids: a translate5 task id or project id (templated).
    :param accept_end_state: also accept a task a project manager ended (state ``end``) before its workflow
        reached ``workflowEnded``.
    :param translate5_conn_id: Airflow connection to translate5.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poke_interval: seconds between checks (default 60: humans take days).
    :param timeout: seconds until the wait fails (the translate5 task is left untouched).
    :param skip_on_timeout: end as *skipped* instead of failed when the timeout passes (unlike Airflow's
        ``soft_fail``, a deleted task or an import error still fails): for DAGs that wait a while per run
        and come back to the task in a later run.
    """

    condition = "workflow_ended"
    poll_interval_default = 60.0

    def __init__(self, *, accept_end_state: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accept_end_state = accept_end_state
