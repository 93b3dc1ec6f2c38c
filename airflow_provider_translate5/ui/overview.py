"""The translate5 view's content: what the run recorded, merged with one batched look at translate5.

``look`` asks translate5 once per connection for every task of the page (``filter id in [...]``, the request
the waits use; the language list once per API server process). ``build`` is pure: it groups the tasks by
project and reads each row strictly (a count it cannot read is "not reported", never 0). When translate5 does
not answer, the page still shows what the run recorded, and says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any

from airflow_provider_translate5.ui.records import Step

if TYPE_CHECKING:
    from airflow_provider_translate5.client import Task, Translate5Client

#: A deadline (server local time, no zone) lies in the past for certain once this much older than UTC now:
#: no zone is more than 12 hours behind UTC.
LATEST_ZONE_LAG = timedelta(hours=12)
#: The view must answer while translate5 does not: short timeouts, no retries, 15 s per call at most.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
CALL_DEADLINE = 15.0
#: How long a connection's client (and its translate5 session) is reused before it is built anew.
CLIENT_TTL = 600.0
#: Job states in which nobody is expected to work any more.
DONE_JOB_STATES = frozenset({"finished", "auto-finish"})


@dataclass(frozen=True)
class Look:
    """translate5's answer for one connection: task rows by id, language codes by id; or the problem."""

    conn_id: str
    base_url: str | None = None
    rows: Mapping[int, Task] | None = None
    languages: Mapping[int, str] = field(default_factory=dict)
    zone: tzinfo | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Assignment:
    """A job of a task (a row of the task's ``users``)."""

    user: str
    role: str | None
    workflow_step: str | None
    state: str | None
    deadline: str | None
    overdue: bool


@dataclass(frozen=True)
class TaskView:
    id: int
    project_id: int | None
    name: str | None
    languages: str | None
    state: str | None
    workflow_step: str | None
    #: Segments finished of the editable ones (None: translate5 did not report a readable count).
    finished: int | None
    total: int | None
    #: None: translate5's answer had no job list for the task.
    assignments: list[Assignment] | None
    deadline: str | None
    overdue: bool
    url: str | None
    #: Labels of the Airflow task instances that worked on it.
    steps: list[str]
    #: From translate5 just now (else: as a wait recorded it, or nothing known).
    live: bool
    #: translate5 answered but does not list it (deleted, or the connection's user may not see it).
    missing: bool = False

    @property
    def percent(self) -> int | None:
        if self.finished is None or not self.total:
            return None
        return round(100 * self.finished / self.total)


@dataclass(frozen=True)
class ProjectView:
    id: int | None
    url: str | None
    tasks: list[TaskView]


@dataclass(frozen=True)
class RunView:
    dag_id: str
    run_id: str
    steps: list[Step]
    projects: list[ProjectView]
    looks: list[Look]
    checked_at: datetime

    @property
    def problems(self) -> list[str]:
        return [look.problem for look in self.looks if look.problem]


# ----- translate5 ----------------------------------------------------------------------------------------

_CLIENTS: dict[str, tuple[float, Translate5Client, threading.Lock]] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(conn_id: str) -> tuple[Translate5Client, threading.Lock]:
    """The connection's client, kept for ``CLIENT_TTL``: a page refreshed every minute reuses one translate5
    session (translate5 keeps each for 20 minutes). With a lock: the session serves one request at a time."""
    now = time.monotonic()
    with _CLIENTS_LOCK:
        cached = _CLIENTS.get(conn_id)
        if cached is not None and now - cached[0] < CLIENT_TTL:
            return cached[1], cached[2]
    from airflow_provider_translate5.client import Limits, RetryPolicy
    from airflow_provider_translate5.hooks.translate5 import Translate5Hook

    hook = Translate5Hook(
        translate5_conn_id=conn_id,
        timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
        retry=RetryPolicy(max_attempts=1),
        limits=Limits(deadline=CALL_DEADLINE),
    )
    client = hook.get_conn()
    with _CLIENTS_LOCK:
        if cached is not None:
            cached[1].close()
        _CLIENTS[conn_id] = (now, client, threading.Lock())
        return client, _CLIENTS[conn_id][2]


def look(conn_id: str, ids: Sequence[int]) -> Look:
    """One batched request for ``ids`` on one connection (and the languages, once per process)."""
    from airflow_provider_translate5.client import Translate5Error

    try:
        client, lock = _client(conn_id)
    except Exception as exc:  # the connection is missing or cannot describe a translate5 server
        return Look(conn_id, problem=f"connection {conn_id!r} cannot be used: {exc}")
    try:
        with lock:
            rows = client.get_tasks(ids) if ids else {}
            languages = {language.id: language.rfc5646 for language in client.list_languages()}
    except Translate5Error as exc:
        prefix = "translate5 is not answering" if exc.outage else "translate5 did not list the tasks"
        return Look(conn_id, base_url=client.base_url, zone=client.server_zone, problem=f"{prefix}: {exc}")
    return Look(conn_id, client.base_url, rows, languages, client.server_zone)


def look_all(steps: Sequence[Step]) -> list[Look]:
    """One look per connection the steps used (nearly always one)."""
    ids: dict[str, list[int]] = {}
    for step in steps:
        ids.setdefault(step.conn_id, []).extend(step.ids)
    return [look(conn_id, list(dict.fromkeys(wanted))) for conn_id, wanted in ids.items()]


# ----- reading a row ---------------------------------------------------------------------------------------


def _count(value: Any) -> int | None:
    from airflow_provider_translate5.client.coerce import to_count

    number = to_count(value)
    return int(number) if number is not None and float(number).is_integer() else None


def _text(value: Any) -> str | None:
    from airflow_provider_translate5.client.coerce import to_str

    text = to_str(value)
    return text.strip() or None if text is not None else None


def overdue(deadline: str | None, zone: tzinfo | None, now: datetime) -> bool:
    """A deadline (translate5: server local time, no zone) that has passed for certain.

    With the server's zone (connection extra ``server_timezone``) exactly; without it only once it lies
    more than ``LATEST_ZONE_LAG`` in the past, as the same text means a different moment in every zone.
    """
    from airflow_provider_translate5.client.server_time import DATE_FORMAT

    if not deadline:
        return False
    try:
        moment = datetime.strptime(deadline.strip(), DATE_FORMAT)
    except ValueError:
        return False
    if zone is not None:
        return moment.replace(tzinfo=zone) < now
    return moment.replace(tzinfo=timezone.utc) + LATEST_ZONE_LAG < now


def _assignments(raw: Mapping[str, Any], zone: tzinfo | None, now: datetime) -> list[Assignment] | None:
    jobs = raw.get("users")
    if not isinstance(jobs, list):
        return None
    found = []
    for job in jobs:
        if not isinstance(job, Mapping):
            continue
        state = _text(job.get("state"))
        deadline = _text(job.get("deadlineDate"))
        found.append(
            Assignment(
                user=_text(job.get("longUserName"))
                or _text(job.get("login"))
                or _text(job.get("userGuid"))
                or "?",
                role=_text(job.get("role")),
                workflow_step=_text(job.get("workflowStepName")),
                state=state,
                deadline=deadline,
                overdue=state not in DONE_JOB_STATES and overdue(deadline, zone, now),
            )
        )
    return found


def _language(languages: Mapping[int, str], value: int | None) -> str:
    """The server's code of a language id (the task rows hold ids)."""
    if value is None:
        return "?"
    return languages.get(value, f"language {value}")


def _live(task: Task, found: Look, steps: list[str], now: datetime) -> TaskView:
    from airflow_provider_translate5.hooks.translate5 import task_ui_url

    raw = task.raw
    languages = found.languages
    total = _count(raw.get("segmentEditableCount"))
    if total is None:
        total = _count(raw.get("segmentCount"))
    deadline = _text(raw.get("deadlineDate"))
    ended = task.state == "end" or task.workflow_step_name == "workflowEnded"
    return TaskView(
        id=task.id,
        project_id=task.project_id,
        name=task.task_name or None,
        languages=f"{_language(languages, task.source_lang)} → {_language(languages, task.target_lang)}",
        state=task.state or None,
        workflow_step=task.workflow_step_name,
        finished=_count(raw.get("segmentFinishCount")),
        total=total,
        assignments=_assignments(raw, found.zone, now),
        deadline=deadline,
        overdue=not ended and overdue(deadline, found.zone, now),
        url=task_ui_url(found.base_url, task.id, task.project_id) if found.base_url else None,
        steps=steps,
        live=True,
    )


def _recorded(
    task_id: int,
    project_id: int | None,
    summary: Mapping[str, Any],
    found: Look,
    steps: list[str],
    url: str | None,
) -> TaskView:
    """A task translate5 did not show just now: what a wait recorded about it, if anything."""
    from airflow_provider_translate5.hooks.translate5 import task_ui_url

    if found.base_url:
        url = task_ui_url(found.base_url, task_id, project_id)
    return TaskView(
        id=task_id,
        project_id=project_id,
        name=_text(summary.get("task_name")),
        languages=None,
        state=_text(summary.get("state")),
        workflow_step=_text(summary.get("workflow_step_name")),
        finished=None,
        total=None,
        assignments=None,
        deadline=None,
        overdue=False,
        url=url,
        steps=steps,
        live=False,
        missing=found.rows is not None,
    )


def build(
    dag_id: str, run_id: str, steps: Sequence[Step], looks: Sequence[Look], now: datetime | None = None
) -> RunView:
    """Group every task the steps name by translate5 project, live where translate5 answered."""
    now = now or datetime.now(timezone.utc)
    by_conn = {found.conn_id: found for found in looks}
    named: dict[int, list[Step]] = {}
    for step in steps:
        for number in step.ids:
            named.setdefault(number, []).append(step)
    projects_known: set[int] = set()
    for step in steps:
        projects_known.update(step.projects.values())
        projects_known.update(
            p for s in step.summaries.values() if isinstance(p := s.get("project_id"), int) and p > 0
        )
    for found in looks:
        for task in (found.rows or {}).values():
            if task.is_project:
                projects_known.add(task.id)
            elif task.project_id is not None:
                projects_known.add(task.project_id)

    tasks: list[TaskView] = []
    project_urls: dict[int | None, str | None] = {}
    for number, by in named.items():
        found = by_conn.get(by[0].conn_id) or Look(by[0].conn_id)
        labels = [step.label for step in by]
        row = (found.rows or {}).get(number)
        if (row is not None and row.is_project) or (row is None and number in projects_known):
            project_urls.setdefault(number, next((s.url for s in by if s.subject == number), None))
            continue  # a project: its tasks are listed under it
        if row is not None:
            tasks.append(_live(row, found, labels, now))
            continue
        summary = next((s.summaries[number] for s in by if number in s.summaries), {})
        project = next((s.projects[number] for s in by if number in s.projects), None)
        if project is None and isinstance(summary.get("project_id"), int):
            project = summary["project_id"]
        url = next((s.url for s in by if s.subject == number), None)
        tasks.append(_recorded(number, project, summary, found, labels, url))

    grouped: dict[int | None, list[TaskView]] = {}
    for view in tasks:
        grouped.setdefault(view.project_id, []).append(view)
    for project in project_urls:
        grouped.setdefault(project, [])
    base_urls = {found.base_url for found in looks if found.base_url}
    base_url = next(iter(base_urls)) if len(base_urls) == 1 else None
    projects = []
    for project, members in sorted(grouped.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        url = project_urls.get(project)
        if project is not None and base_url:
            from airflow_provider_translate5.hooks.translate5 import task_ui_url

            url = task_ui_url(base_url, project)
        projects.append(ProjectView(project, url, sorted(members, key=lambda view: view.id)))
    return RunView(dag_id, run_id, list(steps), projects, list(looks), now)
