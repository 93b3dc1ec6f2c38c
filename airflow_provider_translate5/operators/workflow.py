"""Jobs and workflow: assign people to workflow steps (one by one, or a customer's default jobs), change the
jobs of a person (deadline, state) without knowing GUIDs or job ids, fire workflow triggers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_translate5.base import (
    Translate5BaseOperator,
    fail_fast_on_bad_input,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Job, Task


class Translate5AssignJobOperator(Translate5BaseOperator):
    """Assign a user to a workflow step of every task behind the id (a job, "task-user association").

    Retry-safe: a job for the same user and step that already exists is kept, not created twice.

    The job starts so that the workflow runs (``client.people.job_start_state``): translate5 itself creates
    every job ``waiting`` and moves the workflow only for an open one, so a job added after the import would
    leave the task at ``no workflow`` for good (recorded, part 2 §138). Without ``state`` the job of the
    step the task is in - or starts with, at ``no workflow`` - is opened (``unconfirmed`` in a competitive
    task), and a job of a later step waits until translate5 reaches it; the log says which. Assign in
    workflow order (translator, then reviewer): translate5 does not go back to an earlier step.

    :param translate5_task_id: task or project id (templated).
    :param user_guid: the translate5 user: GUID, login or e-mail address (templated; a login or e-mail is
        looked up when the task runs).
    :param workflow_step_name: e.g. ``"translation"``, ``"reviewing"`` (templated).
    :param state: the job's state, instead of the one the workflow needs (``"waiting"``: translate5's own
        default, the workflow does not move).
    :param job_type: 1 = editor, 2 = coordinator.
    :param deadline_date: ``"YYYY-MM-DD HH:MM:SS"`` or ``"default"``.
    :param extra: further job fields (``segmentrange``, ``trackchangesShow`` ...).

    Returns one ``{"id", "task_guid", "user_guid", "workflow_step_name", "state", "role"}`` per task.
    """

    template_fields = (
        "translate5_task_id",
        "user_guid",
        "workflow_step_name",
        "state",
        "deadline_date",
        "extra",
        "translate5_conn_id",
    )

    def __init__(
        self,
        *,
        translate5_task_id: int | str,
        user_guid: str,
        workflow_step_name: str,
        state: str | None = None,
        job_type: int | None = None,
        deadline_date: str | None = None,
        extra: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.translate5_task_id = translate5_task_id
        self.user_guid = user_guid
        self.workflow_step_name = workflow_step_name
        self.state = state
        self.job_type = job_type
        self.deadline_date = deadline_date
        self.extra = dict(extra or {})

    def execute(self, context: Context) -> list[dict[str, Any]]:
        from airflow_provider_translate5.client.people import job_start_state, user_guid_of

        with fail_fast_on_bad_input():
            self.user_guid = user_guid_of(str(self.user_guid)) or self.client.user_guid(str(self.user_guid))
        jobs = []
        for task in self.resolve_tasks(context, self.translate5_task_id):
            with fail_fast_on_bad_input():
                job = self._existing_job(task.id)
                if job is not None:
                    self.log.info(
                        "User %s already has a %s job on task %s",
                        self.user_guid,
                        job.workflow_step_name,
                        task.id,
                    )
                else:
                    job = self.client.create_job(
                        task.id,
                        user_guid=self.user_guid,
                        workflow_step_name=self.workflow_step_name,
                        state=self.state or job_start_state(task, self.workflow_step_name),
                        type=self.job_type,
                        deadline_date=self.deadline_date,
                        extra=self.extra or None,
                    )
                    self._log_assigned(task, job)
            jobs.append(_job_summary(job))
        return jobs

    def _log_assigned(self, task: Task, job: Job) -> None:
        """Say whether the job can be worked on now, and when it is one the workflow will not open."""
        from airflow_provider_translate5.client.people import workflow_steps
        from airflow_provider_translate5.client.states import TaskState, WorkflowStep
        from airflow_provider_translate5.status import SIMULATOR_AUTO_FINISH

        step, current = job.workflow_step_name, task.workflow_step_name
        assigned = f"Assigned user {self.user_guid} to step {step} of translate5 task {task.id}"
        if job.state != "waiting":
            started = " (translate5 starts the workflow there)" if current == WorkflowStep.NO_WORKFLOW else ""
            self.log.info("%s: the job is %s%s", assigned, job.state, started)
            return
        if task.state in TaskState.IMPORTING:
            self.log.info("%s: the job waits for the import, whose end opens the first step's jobs", assigned)
            return
        steps = workflow_steps(task)
        behind = current == WorkflowStep.ENDED or (
            step in steps and current in steps and steps.index(step) < steps.index(current)
        )
        if current == WorkflowStep.NO_WORKFLOW or behind:
            # The bundled simulator ends workflows by itself (docs/testing.md): nobody needs to act there.
            level = logging.INFO if task.raw.get(SIMULATOR_AUTO_FINISH) is True else logging.WARNING
            self.log.log(
                level,
                "%s: the job is waiting and translate5's workflow, at step %r, will not open it; a project "
                "manager opens it in translate5 (or assign with state='open')",
                assigned,
                current,
            )
        else:
            self.log.info(
                "%s: the job is waiting until translate5's workflow reaches that step (it is at step %r)",
                assigned,
                current,
            )

    def _existing_job(self, task_id: int) -> Job | None:
        for job in self.client.list_jobs(task_id):
            if job.user_guid == self.user_guid and job.workflow_step_name == self.workflow_step_name:
                return job
        return None


def _job_summary(job: Job) -> dict[str, Any]:
    # Not job.raw: a job row can carry a staticAuthHash (a login credential), which must not reach XCom.
    return {
        "id": job.id,
        "task_guid": job.task_guid,
        "user_guid": job.user_guid,
        "workflow_step_name": job.workflow_step_name,
        "state": job.state,
        "role": job.role,
    }


class Translate5TriggerWorkflowOperator(Translate5BaseOperator):
    """Fire a workflow trigger (e.g. ``notifyAllUsersAboutTaskAssociation``) on every task behind the id.

    :param translate5_task_id: task or project id (templated).
    :param trigger: the trigger name (templated); translate5 rejects unknown ones, listing the valid ones.
    """

    template_fields = ("translate5_task_id", "trigger", "translate5_conn_id")

    def __init__(self, *, translate5_task_id: int | str, trigger: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.translate5_task_id = translate5_task_id
        self.trigger = trigger

    def execute(self, context: Context) -> list[dict[str, Any]]:
        answers = []
        for task in self.resolve_tasks(context, self.translate5_task_id):
            with fail_fast_on_bad_input():
                answers.append(dict(self.client.trigger_workflow(task.id, self.trigger)))
            self.log.info("Fired workflow trigger %r on task %s", self.trigger, task.id)
        return answers


class Translate5UpdateJobOperator(Translate5BaseOperator):
    """Change the jobs of a person on a task (or on every task of a project): deadline, state, step.

    The person is a login, an e-mail address or a user GUID; it is resolved when the task runs, and an
    unknown or ambiguous person fails the task without retries. Running it again sets the same values again
    (nothing is created), so retries are safe.

    :param translate5_task_id: task or project id (templated).
    :param user: login, e-mail address or ``userGuid`` of the job's user (templated).
    :param workflow_step_name: only this person's job in this step (default: all their jobs on the task).
    :param deadline_date: new deadline, ``"YYYY-MM-DD HH:MM:SS"`` or a naive ``datetime`` in the translate5
        server's local time (templated).
    :param state: new job state (``open``, ``waiting``, ``finished``, ``unconfirmed``, ``auto-finish``).
    :param extra: further job fields (``segmentrange`` ...).

    Returns one ``{"id", "task_guid", "user_guid", "workflow_step_name", "state", "deadline_date"}`` per job.
    """

    template_fields = ("translate5_task_id", "user", "workflow_step_name", "deadline_date", "state")

    def __init__(
        self,
        *,
        translate5_task_id: int | str,
        user: str,
        workflow_step_name: str | None = None,
        deadline_date: str | datetime | None = None,
        state: str | None = None,
        extra: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if deadline_date is None and state is None and not extra:
            raise ValueError("Translate5UpdateJobOperator needs a change: deadline_date, state or extra")
        self.translate5_task_id = translate5_task_id
        self.user = user
        self.workflow_step_name = workflow_step_name
        self.deadline_date = deadline_date
        self.state = state
        self.extra = dict(extra or {})

    def execute(self, context: Context) -> list[dict[str, Any]]:
        tasks = self.resolve_tasks(context, self.translate5_task_id)
        updated = []
        with fail_fast_on_bad_input():
            person = self.client.resolve_user(self.user)
            for task in tasks:
                for job in self._jobs_of(task.id, person.user_guid):
                    changed = self.client.update_job(
                        task.id,
                        job.id,
                        state=self.state,
                        deadline_date=self.deadline_date,
                        extra=self.extra or None,
                    )
                    self.log.info(
                        "Updated job %s (%s, step %s) of task %s: state %s, deadline %s",
                        changed.id,
                        person.login,
                        changed.workflow_step_name,
                        task.id,
                        changed.state,
                        changed.raw.get("deadlineDate"),
                    )
                    updated.append(_updated_job_summary(changed))
        if not updated:
            step = f" in step {self.workflow_step_name!r}" if self.workflow_step_name else ""
            raise AirflowFailException(
                f"{person.login} has no job{step} on translate5 task/project {self.translate5_task_id}"
            )
        return updated

    def _jobs_of(self, task_id: int, user_guid: str) -> list[Job]:
        return [
            job
            for job in self.client.list_jobs(task_id)
            if (job.user_guid or "").lower() == user_guid.lower()
            and self.workflow_step_name in (None, job.workflow_step_name)
        ]


def _updated_job_summary(job: Job) -> dict[str, Any]:
    # Not job.raw: a job row can carry a staticAuthHash (a login credential), which must not reach XCom.
    return {
        "id": job.id,
        "task_guid": job.task_guid,
        "user_guid": job.user_guid,
        "workflow_step_name": job.workflow_step_name,
        "state": job.state,
        "deadline_date": job.raw.get("deadlineDate"),
    }


class Translate5AssignDefaultJobsOperator(Translate5BaseOperator):
    """Give a task (or every task of a project) the default jobs of its customer, as translate5's import does.

    translate5 assigns a customer's default jobs (set up per customer, workflow and language pair) when a task
    of that customer is imported. Use this step when that did not happen - the task was imported for another
    customer, or its jobs were removed, e.g. until a cost was approved. A person who already has a job in that
    step of the task keeps it, so retries and reruns assign nobody twice.

    :param translate5_task_id: task or project id (templated).
    :param require_jobs: fail (without retries) when a task ends up with no default job at all, because a
        task nobody is assigned to never finishes its workflow (default True).

    Returns one ``{"task_id", "default_job_id", "id", "user_guid", "workflow_step_name", "state", "created"}``
    per default job and task.
    """

    template_fields = ("translate5_task_id",)

    def __init__(self, *, translate5_task_id: int | str, require_jobs: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.translate5_task_id = translate5_task_id
        self.require_jobs = require_jobs

    def execute(self, context: Context) -> list[dict[str, Any]]:
        applied: list[dict[str, Any]] = []
        for task in self.resolve_tasks(context, self.translate5_task_id):
            with fail_fast_on_bad_input():
                jobs = self.client.apply_default_jobs(task.id)
            if not jobs and self.require_jobs:
                raise AirflowFailException(
                    f"translate5 task {task.id} ({task.task_name}): its customer "
                    f"{task.raw.get('customerId')} has no default jobs for workflow {task.workflow!r} and "
                    "this language pair; set them up in translate5 (Clients > Default job assignment)"
                )
            for entry in jobs:
                self.log.info(
                    "%s job %s (step %s, user %s) on task %s from default job %s",
                    "Created" if entry.created else "Kept existing",
                    entry.job.id,
                    entry.job.workflow_step_name,
                    entry.job.user_guid,
                    task.id,
                    entry.default_job_id,
                )
                applied.append(
                    {
                        "task_id": entry.task_id,
                        "default_job_id": entry.default_job_id,
                        **{k: v for k, v in _updated_job_summary(entry.job).items() if k != "deadline_date"},
                        "created": entry.created,
                    }
                )
        return applied
