"""What the provider's operators recorded in a DAG run: which translate5 tasks each task instance worked on.

The sources, all written by the operators and sensors themselves:

- XCom ``translate5_task_id`` / ``translate5_task_url`` (``links.py``): pushed as soon as the translate5
  task or project is known, also by a wait that is still deferred;
- the rendered template fields ``translate5_task_ids`` / ``translate5_task_id`` / ``translate5_conn_id``:
  every id a wait covers, known from the moment it starts;
- the return value: the upload's ``items`` (per item its project and tasks) and ``task_ids``, a wait's
  ``tasks`` (id, name, project, state and workflow step when it ended), the state changes' task summaries;
- the rendered ``items`` of an export given the upload's items.

``step_from`` reads them (pure, tolerant of anything a user's XCom may hold); ``load_run`` and
``recent_runs`` query the metadata DB.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_translate5 import DEFAULT_CONN_ID
from airflow_provider_translate5.links import TASK_ID_XCOM_KEY, TASK_URL_XCOM_KEY

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

RETURN_KEY = "return_value"
#: Rendered template fields that name translate5 ids or the connection.
IDS_FIELD = "translate5_task_ids"
ID_FIELD = "translate5_task_id"
CONN_FIELD = "translate5_conn_id"
#: Rendered field of an export given the upload's items (a translate5 operator's: it has ``CONN_FIELD`` too).
ITEMS_FIELD = "items"
#: Keys of a recorded task summary (``status.task_summary``) the view shows when translate5 does not answer.
SUMMARY_KEYS = ("task_name", "project_id", "state", "workflow_step_name")


@dataclass(frozen=True)
class Step:
    """One Airflow task instance of the run that worked on translate5, and what it recorded."""

    task_id: str
    map_index: int
    state: str | None
    conn_id: str
    #: The id the task instance named first (XCom ``translate5_task_id``): a task or a project.
    subject: int | None
    #: Its link into translate5 (XCom ``translate5_task_url``).
    url: str | None
    #: Every translate5 id it covers, in the order it named them (tasks, or projects whose tasks are unknown).
    ids: tuple[int, ...]
    #: translate5 project of a task, where the step recorded it.
    projects: Mapping[int, int] = field(default_factory=dict)
    #: What a wait recorded about each task when it ended (name, project, state, workflow step).
    summaries: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id} [{self.map_index}]"


def positive_id(value: Any) -> int | None:
    """A translate5 id as XCom or a rendered field holds it (``12``, ``"12"``); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if number > 0 else None
    return None


def ids_in(value: Any) -> list[int]:
    """Ids of a rendered ``translate5_task_ids``: a list, its text (``"[12, 13]"``), ``"12,13"`` or one id."""
    if isinstance(value, (list, tuple)):
        return [number for item in value if (number := positive_id(item)) is not None]
    if isinstance(value, str):
        parts = [part for part in re.split(r"[\s,\[\]]+", value) if part]
        if parts and all(part.isdigit() for part in parts):
            return [number for part in parts if (number := positive_id(part)) is not None]
        return []
    number = positive_id(value)
    return [] if number is None else [number]


def _read_items(value: Any, ids: list[int], projects: dict[int, int]) -> None:
    """The upload's ``items`` (``[{"project_id", "tasks": [{"id", ...}]}]``): their task ids and projects."""
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, Mapping):
            continue
        project = positive_id(item.get("project_id"))
        tasks = item.get("tasks")
        for entry in tasks if isinstance(tasks, list) else []:
            number = positive_id(entry.get("id")) if isinstance(entry, Mapping) else None
            if number is not None:
                ids.append(number)
                if project is not None:
                    projects[number] = project


def _summaries(value: Any) -> list[Mapping[str, Any]]:
    """Task summaries in a return value: a wait's ``tasks``, or a state change's list of summaries."""
    if isinstance(value, Mapping):
        value = value.get("tasks")
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping) and positive_id(item.get("id")) is not None]


def step_from(
    task_id: str,
    map_index: int,
    state: str | None,
    xcoms: Mapping[str, Any],
    rendered: Mapping[str, Any],
) -> Step | None:
    """The step a task instance's XComs and rendered fields describe; None if it named no translate5 id."""
    subject = positive_id(xcoms.get(TASK_ID_XCOM_KEY))
    ids: list[int] = []
    projects: dict[int, int] = {}
    summaries: dict[int, Mapping[str, Any]] = {}
    returned = xcoms.get(RETURN_KEY)
    for summary in _summaries(returned):
        number = positive_id(summary["id"])
        assert number is not None
        ids.append(number)
        summaries[number] = {key: summary.get(key) for key in SUMMARY_KEYS}
        project = positive_id(summary.get("project_id"))
        if project is not None:
            projects[number] = project
    if isinstance(returned, Mapping):  # the upload: per item its project and tasks, and every task id
        _read_items(returned.get("items"), ids, projects)
        ids.extend(ids_in(returned.get("task_ids")))
    _read_items(rendered.get(ITEMS_FIELD), ids, projects)  # the export of the upload's items
    ids.extend(ids_in(rendered.get(IDS_FIELD)))
    if subject is not None:
        ids.append(subject)
    ids.extend(ids_in(rendered.get(ID_FIELD)))
    if not ids:
        return None
    url = xcoms.get(TASK_URL_XCOM_KEY)
    conn_id = rendered.get(CONN_FIELD)
    return Step(
        task_id=task_id,
        map_index=map_index,
        state=state,
        conn_id=conn_id if isinstance(conn_id, str) and conn_id else DEFAULT_CONN_ID,
        subject=subject,
        url=url if isinstance(url, str) and url else None,
        ids=tuple(dict.fromkeys(ids)),
        projects=projects,
        summaries=summaries,
    )


@dataclass(frozen=True)
class RunRef:
    dag_id: str
    run_id: str


def load_run(session: Session, dag_id: str, run_id: str) -> list[Step]:
    """The steps of one DAG run, in task order (three small queries: XCom, rendered fields, states)."""
    return load_runs(session, [RunRef(dag_id, run_id)]).get(RunRef(dag_id, run_id), [])


def load_runs(session: Session, runs: Sequence[RunRef]) -> dict[RunRef, list[Step]]:
    """The steps of several runs, with one query per table for all of them."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as Rtif
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from sqlalchemy import and_, or_, select

    if not runs:
        return {}
    Key = tuple[str, str, str, int]

    def of(model: Any) -> Any:
        return or_(*(and_(model.dag_id == run.dag_id, model.run_id == run.run_id) for run in runs))

    xcoms: dict[Key, dict[str, Any]] = {}
    rows = session.execute(
        select(
            XComModel.dag_id,
            XComModel.run_id,
            XComModel.task_id,
            XComModel.map_index,
            XComModel.key,
            XComModel.value,
        )
        .where(of(XComModel))
        .where(XComModel.key.in_([TASK_ID_XCOM_KEY, TASK_URL_XCOM_KEY, RETURN_KEY]))
    )
    for row in rows:
        xcoms.setdefault((row.dag_id, row.run_id, row.task_id, row.map_index), {})[row.key] = (
            XComModel.deserialize_value(row)
        )
    rendered: dict[Key, Mapping[str, Any]] = {}
    for row in session.execute(
        select(Rtif.dag_id, Rtif.run_id, Rtif.task_id, Rtif.map_index, Rtif.rendered_fields).where(of(Rtif))
    ):
        fields = row.rendered_fields
        if isinstance(fields, Mapping) and (
            IDS_FIELD in fields or ID_FIELD in fields or (ITEMS_FIELD in fields and CONN_FIELD in fields)
        ):
            rendered[(row.dag_id, row.run_id, row.task_id, row.map_index)] = fields
    # Only task instances that named a translate5 id: another task's return value is none of our business.
    named = {key for key, values in xcoms.items() if TASK_ID_XCOM_KEY in values} | set(rendered)
    states: dict[Key, str | None] = {}
    order: dict[tuple[str, str, str], int] = {}
    for row in session.execute(
        select(
            TaskInstance.dag_id,
            TaskInstance.run_id,
            TaskInstance.task_id,
            TaskInstance.map_index,
            TaskInstance.state,
            TaskInstance.start_date,
        )
        .where(of(TaskInstance))
        .order_by(TaskInstance.start_date, TaskInstance.task_id, TaskInstance.map_index)
    ):
        key = (row.dag_id, row.run_id, row.task_id, row.map_index)
        states[key] = None if row.state is None else str(row.state)
        order.setdefault((row.dag_id, row.run_id, row.task_id), len(order))
    result: dict[RunRef, list[Step]] = {run: [] for run in runs}
    for key in sorted(named, key=lambda k: (order.get(k[:3], len(order)), k[2], k[3])):
        step = step_from(key[2], key[3], states.get(key), xcoms.get(key, {}), rendered.get(key, {}))
        if step is not None:
            result[RunRef(key[0], key[1])].append(step)
    return result


def recent_runs(session: Session, dag_ids: Iterable[str], limit: int) -> list[RunRef]:
    """The latest runs (newest first) of these DAGs in which an operator recorded a translate5 task."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import func, select

    allowed = list(dag_ids)
    if not allowed:
        return []
    latest = func.max(XComModel.timestamp)
    rows = session.execute(
        select(XComModel.dag_id, XComModel.run_id, latest)
        .where(XComModel.key == TASK_ID_XCOM_KEY, XComModel.dag_id.in_(allowed))
        .group_by(XComModel.dag_id, XComModel.run_id)
        .order_by(latest.desc())
        .limit(limit)
    )
    return [RunRef(row.dag_id, row.run_id) for row in rows]
