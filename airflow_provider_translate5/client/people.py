"""People, not GUIDs: users by login or e-mail, customers by id, number or name, and job updates.

DAG authors know "translator1" or "anna@agency.example", translate5 jobs need ``userGuid``; DAG authors know
the customer number from their CRM, translate5 tasks need ``customerId``. The lookups use translate5's own
list filters (``GET /editor/user``, ``GET /editor/customer``; ``UserController``/``CustomerController``
``indexAction`` filter their ``loadAll()``), so one small request answers each, and they fail with a message
naming the value when nothing or more than one record matches - a job is never given to a guessed person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from airflow_provider_translate5.client._calls import ClientCalls
from airflow_provider_translate5.client.coerce import to_int, to_str
from airflow_provider_translate5.client.errors import Translate5ValueError
from airflow_provider_translate5.client.filters import Filter
from airflow_provider_translate5.client.models import Job, Task, record
from airflow_provider_translate5.client.server_time import deadline_text
from airflow_provider_translate5.client.states import TaskState, WorkflowStep

#: translate5 user GUIDs: a UUID in braces (``{c99ae747-0afb-446a-827a-6b3b32cfb819}``).
_GUID = re.compile(r"^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$")
#: Job states a PM may set (translate5's ``editor_Workflow_Default::STATE_*`` a job can be put into).
JOB_STATES = frozenset({"waiting", "open", "finished", "unconfirmed", "auto-finish"})


def workflow_steps(task: Task) -> list[str]:
    """The steps of the task's workflow in order, as translate5 lists them in ``workflowProgressSummary``
    between ``no workflow`` and ``workflowEnded`` (part 1 §15); empty when the row carries no summary."""
    names = [entry.workflow_step for entry in task.workflow_progress_summary]
    if WorkflowStep.NO_WORKFLOW in names:
        names = names[names.index(WorkflowStep.NO_WORKFLOW) + 1 :]
    return names[: names.index(WorkflowStep.ENDED)] if WorkflowStep.ENDED in names else names


def job_start_state(task: Task, workflow_step_name: str) -> str | None:
    """The state a new job needs for the workflow to run as a project manager expects (None: translate5's).

    translate5 creates a job ``waiting`` unless told otherwise, and a waiting job moves nothing: a job
    created after the import leaves the task at ``no workflow``, without a notice, until someone opens it
    (part 2 §138, §140; ``NewUserJobDtoFactory``, ``StepRecalculation``). So, as translate5's import does
    with a customer's default jobs (``setupInitialWorkflow``, §148), the job of the step the workflow is in,
    or starts with while it is at ``no workflow``, is opened (``unconfirmed`` in a competitive task, where
    the first to confirm takes it); a job of another step waits until translate5 reaches it. A task still
    importing gets translate5's default: the end of its import opens the first step's jobs.
    """
    if task.state in TaskState.IMPORTING:
        return None
    if task.workflow_step_name in (WorkflowStep.NO_WORKFLOW, workflow_step_name):
        return "unconfirmed" if task.raw.get("usageMode") == "competitive" else "open"
    return "waiting"


def _roles(value: Any) -> tuple[str, ...]:
    """User rows give roles as ``"editor,taskOverview"``; ``/session/current`` as a list."""
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(str(item).strip() for item in items if str(item).strip())


@dataclass(frozen=True)
class User:
    """A row of ``GET /editor/user`` (only the fields a DAG needs; the rest is in ``raw``)."""

    id: int
    user_guid: str
    login: str
    email: str | None
    first_name: str | None
    sur_name: str | None
    roles: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> User:
        raw = record(data, "user")
        return cls(
            id=to_int(raw.get("id")) or 0,
            user_guid=to_str(raw.get("userGuid")) or "",
            login=to_str(raw.get("login")) or "",
            email=to_str(raw.get("email")),
            first_name=to_str(raw.get("firstName")),
            sur_name=to_str(raw.get("surName")),
            roles=_roles(raw.get("roles")),
            raw=raw,
        )


@dataclass(frozen=True)
class Customer:
    """A row of ``GET /editor/customer``: ``number`` is the customer's own number, ``id`` translate5's."""

    id: int
    name: str
    number: str
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Customer:
        raw = record(data, "customer")
        return cls(
            id=to_int(raw.get("id")) or 0,
            name=to_str(raw.get("name")) or "",
            number=to_str(raw.get("number")) or "",
            raw=raw,
        )


def user_guid_of(reference: str) -> str | None:
    """The GUID in translate5's spelling (with braces) if ``reference`` is one, else None."""
    match = _GUID.match(reference.strip())
    return "{" + match.group(1).lower() + "}" if match else None


def _describe_users(users: Sequence[User]) -> str:
    return ", ".join(sorted(user.login for user in users))


class PeopleMixin(ClientCalls):
    """Users, customers and job updates (mixed into :class:`Translate5Client`)."""

    def list_users(self, *, filters: Sequence[Filter] = ()) -> list[User]:
        """Users visible to the API user (``GET /editor/user``), optionally filtered server-side."""
        from airflow_provider_translate5.client.filters import encode_filters

        encoded = encode_filters(filters)
        users, _payload = self._many(
            User.from_api, "GET", "/editor/user", params={"filter": encoded} if encoded else None
        )
        return users

    def resolve_user(self, reference: str) -> User:
        """A user by GUID, e-mail address (contains ``@``) or login; exactly one must match.

        translate5 does not require unique e-mail addresses (test servers often give every user the same
        one): more than one match is an error naming the logins, never a guess.
        """
        if not isinstance(reference, str) or not reference.strip():
            raise Translate5ValueError("a user must be given as a non-empty login, e-mail address or GUID")
        text = reference.strip()
        guid = user_guid_of(text)
        if guid is not None:
            prop, value, what = "userGuid", guid, "GUID"
        elif "@" in text:
            prop, value, what = "email", text, "e-mail address"
        else:
            prop, value, what = "login", text, "login"
        found = [
            user
            for user in self.list_users(filters=[Filter.eq(prop, value)])
            if str(user.raw.get(prop, "")).strip().lower() == value.lower()
        ]
        if not found:
            raise Translate5ValueError(
                f"translate5 has no user with the {what} {text!r} (or the API user may not see it)"
            )
        if len(found) > 1:
            raise Translate5ValueError(
                f"{len(found)} translate5 users have the {what} {text!r} ({_describe_users(found)}); "
                "give the login instead"
            )
        return found[0]

    def user_guid(self, reference: str) -> str:
        """The ``userGuid`` for a login, e-mail address or GUID (a GUID is checked to exist, too)."""
        return self.resolve_user(reference).user_guid

    def list_customers(self, *, filters: Sequence[Filter] = ()) -> list[Customer]:
        """Customers visible to the API user (``GET /editor/customer``), optionally filtered server-side."""
        from airflow_provider_translate5.client.filters import encode_filters

        encoded = encode_filters(filters)
        customers, _payload = self._many(
            Customer.from_api, "GET", "/editor/customer", params={"filter": encoded} if encoded else None
        )
        return customers

    def resolve_customer(self, reference: str | int) -> Customer:
        """A customer by translate5 id, customer number or name; exactly one must match.

        A number like ``"1000"`` may be an id of one customer and the number of another: that is reported as
        ambiguous instead of picking one.
        """
        if isinstance(reference, bool) or not isinstance(reference, (str, int)) or not str(reference).strip():
            raise Translate5ValueError("a customer must be given as its id, number or name")
        text = str(reference).strip()
        rules = [Filter.eq("number", text)]
        if text.isdigit():
            rules.insert(0, Filter.eq("id", int(text)))
        else:
            rules.append(Filter.eq("name", text))
        found: dict[int, Customer] = {}
        for rule in rules:
            for customer in self.list_customers(filters=[rule]):
                if text.lower() in (str(customer.id), customer.number.lower(), customer.name.lower()):
                    found.setdefault(customer.id, customer)
        if not found:
            raise Translate5ValueError(
                f"translate5 has no customer with the id, number or name {text!r} "
                "(or the API user may not see it)"
            )
        if len(found) > 1:
            names = ", ".join(f"id {c.id} ({c.name}, number {c.number})" for c in found.values())
            raise Translate5ValueError(f"{text!r} matches more than one translate5 customer: {names}")
        return next(iter(found.values()))

    def update_job(
        self,
        task_id: int | str,
        job_id: int | str,
        *,
        state: str | None = None,
        deadline_date: str | datetime | None = None,
        workflow_step_name: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Job:
        """Change a job (``PUT /editor/task/ID/job/JOB``): its state, deadline or workflow step.

        ``deadline_date`` is the server's local time (``"YYYY-MM-DD HH:MM:SS"`` or a naive datetime); one with
        a zone is converted into ``server_timezone`` if the client has it, and refused if not (translate5
        would drop the zone: see :mod:`~airflow_provider_translate5.client.server_time`).

        No ``Mqi-Entity-Version`` header is sent: a job row carries no ``entityVersion`` to send, and a wrong
        one makes translate5 answer 409 (recorded on a real server); without it the update applies.
        """
        from airflow_provider_translate5.client.checks import positive_id

        body: dict[str, Any] = {}
        if state is not None:
            if state not in JOB_STATES:
                raise Translate5ValueError(f"job state must be one of {sorted(JOB_STATES)}, got {state!r}")
            body["state"] = state
        if deadline_date is not None:
            body["deadlineDate"] = deadline_text(deadline_date, self.server_zone)
        if workflow_step_name is not None:
            if not isinstance(workflow_step_name, str) or not workflow_step_name.strip():
                raise Translate5ValueError("workflow_step_name must be a non-empty string")
            body["workflowStepName"] = workflow_step_name
        body.update(extra or {})
        if not body:
            raise Translate5ValueError("update_job needs at least one change (state, deadline_date, ...)")
        path = f"/editor/task/{positive_id(task_id)}/job/{positive_id(job_id, 'job id')}"
        return self._one(Job.from_api, "PUT", path, data=body)
