"""A customer's default jobs: who translates and reviews which language pair, set up once in translate5.

translate5 keeps them per customer and workflow (``GET /editor/customers/:customerId/workflow/:workflow/
default-job``, ``UserassocdefaultController::indexAction`` via ``DefaultJobAssignmentViewDataProvider``) and
assigns them itself when a task of that customer is imported (``Task/Import/Defaults/JobAssignmentDefaults``).
A DAG applies them again when that did not happen: the task was imported for another customer, or its jobs
were removed (e.g. held back until a cost approval). Applying is idempotent: a person who already has a job
in that step of the task is left alone, so a retry never assigns anyone twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from airflow_provider_translate5.client._calls import ClientCalls
from airflow_provider_translate5.client.coerce import to_int, to_str
from airflow_provider_translate5.client.errors import Translate5ValueError
from airflow_provider_translate5.client.models import Job, record
from airflow_provider_translate5.client.people import job_start_state, workflow_steps

#: The job fields of a default job that translate5 copies onto the task's job (track-changes rights).
_COPIED_FIELDS = ("trackchangesShow", "trackchangesShowAll", "trackchangesAcceptReject")


@dataclass(frozen=True)
class DefaultJob:
    """A row of the customer's default jobs; languages are translate5 language ids (``/editor/language``)."""

    id: int
    customer_id: int
    user_guid: str
    source_lang: int | None
    target_lang: int | None
    workflow: str
    workflow_step_name: str
    #: Coordinator group jobs are assigned to a group, not a person; only translate5's import assigns them.
    is_coordinator_group_job: bool
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DefaultJob:
        raw = record(data, "default job")
        return cls(
            id=to_int(raw.get("id")) or 0,
            customer_id=to_int(raw.get("customerId")) or 0,
            user_guid=to_str(raw.get("userGuid")) or "",
            source_lang=to_int(raw.get("sourceLang")),
            target_lang=to_int(raw.get("targetLang")),
            workflow=to_str(raw.get("workflow")) or "",
            workflow_step_name=to_str(raw.get("workflowStepName")) or "",
            is_coordinator_group_job=bool(raw.get("isCoordinatorGroupJob")),
            raw=raw,
        )


@dataclass(frozen=True)
class AppliedJob:
    """One default job on one task: the task's job, and whether this call created it."""

    task_id: int
    default_job_id: int
    job: Job
    created: bool


class DefaultJobsMixin(ClientCalls):
    """Listing and applying customers' default jobs (mixed into :class:`Translate5Client`)."""

    def list_default_jobs(self, customer: str | int, *, workflow: str = "default") -> list[DefaultJob]:
        """The default jobs of a customer (translate5 id, customer number or name) in one workflow."""
        customer_id = self.resolve_customer(customer).id if not _is_id(customer) else int(customer)
        return self._default_jobs(customer_id, workflow)

    def apply_default_jobs(self, task_id: int | str) -> list[AppliedJob]:
        """Give a task the default jobs of its customer for its workflow and language pair.

        Chosen like translate5's import does (``DefaultUserJobRepository::getDefaultUserJobsForTask``): same
        customer, source and target language and workflow; coordinator group jobs are left to translate5.
        A person who already has a job in that step keeps it (``created`` is False). A created job starts as
        the import would start it (:func:`~airflow_provider_translate5.client.people.job_start_state`): the
        first step's open, so the workflow runs; the others wait for their step. Deadlines are not set:
        translate5 derives them from its per-workflow config at import; use :meth:`update_job` for one.
        """
        task = self.get_task(task_id)
        if not task.workflow:
            raise Translate5ValueError(f"translate5 task {task.id} has no workflow; is it a project?")
        customer_id = to_int(task.raw.get("customerId"))
        if not customer_id:
            raise Translate5ValueError(f"translate5 task {task.id} has no customer")
        wanted = [
            default
            for default in self._default_jobs(customer_id, task.workflow)
            if not default.is_coordinator_group_job
            and default.source_lang == task.source_lang
            and default.target_lang == task.target_lang
        ]
        existing = {_key(job.user_guid, job.workflow_step_name): job for job in self.list_jobs(task.id)}
        steps = workflow_steps(task)  # in chain order, as the import sorts them: the first step opens
        wanted.sort(
            key=lambda d: steps.index(d.workflow_step_name) if d.workflow_step_name in steps else len(steps)
        )
        applied = []
        for default in wanted:
            job = existing.get(_key(default.user_guid, default.workflow_step_name))
            created = job is None
            if job is None:
                extra = {k: default.raw[k] for k in _COPIED_FIELDS if default.raw.get(k) is not None}
                job = self.create_job(
                    task.id,
                    user_guid=default.user_guid,
                    workflow_step_name=default.workflow_step_name,
                    state=job_start_state(task, default.workflow_step_name),
                    extra=extra or None,
                )
                existing[_key(job.user_guid, job.workflow_step_name)] = job
                if job.state in ("open", "unconfirmed"):  # the workflow is in (or started with) its step
                    task = replace(task, workflow_step_name=job.workflow_step_name)
            applied.append(AppliedJob(task_id=task.id, default_job_id=default.id, job=job, created=created))
        return applied

    def _default_jobs(self, customer_id: int, workflow: str) -> list[DefaultJob]:
        if not workflow.strip() or "/" in workflow:
            raise Translate5ValueError(f"workflow must be a translate5 workflow name, got {workflow!r}")
        path = f"/editor/customers/{customer_id}/workflow/{quote(workflow, safe='')}/default-job"
        jobs, _payload = self._many(DefaultJob.from_api, "GET", path)
        return jobs


def _is_id(customer: str | int) -> bool:
    return isinstance(customer, int) and not isinstance(customer, bool) and customer > 0


def _key(user_guid: str | None, step: str | None) -> tuple[str, str]:
    return ((user_guid or "").lower(), step or "")
