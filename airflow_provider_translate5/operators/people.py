"""Job updates by person: move a deadline or finish/reopen a job without knowing GUIDs or job ids."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_translate5.operators._base import fail_fast_on_bad_input
from airflow_provider_translate5.operators.translate5 import Translate5BaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Job


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
                    updated.append(_summary(changed))
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


def _summary(job: Job) -> dict[str, Any]:
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
                        **{k: v for k, v in _summary(entry.job).items() if k != "deadline_date"},
                        "created": entry.created,
                    }
                )
        return applied
