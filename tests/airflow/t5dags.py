"""Helpers for test DAGs: the result of a ``dag.test()`` run and the header of a generated DAG file.

(A plain module beside the tests, not ``conftest``: test modules import from it.)
"""

from __future__ import annotations

import json
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from t5support import eventually
from t5support import first_event as first_event  # one copy for every test folder (re-exported)


@dataclass
class DagResult:
    """What a user looks at after a DAG run: task states, tries, XComs and the log output."""

    dag_id: str
    run_id: str
    state: str
    states: dict[str, str]
    tries: dict[str, int]
    output: str

    def xcom(self, task_id: str, key: str = "return_value") -> Any:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            row = session.scalars(
                select(XComModel).where(
                    XComModel.dag_id == self.dag_id,
                    XComModel.run_id == self.run_id,
                    XComModel.task_id == task_id,
                    XComModel.key == key,
                )
            ).first()
            return None if row is None else XComModel.deserialize_value(row)

    def all_xcom_text(self) -> str:
        """Every XCom of the run as stored (to prove no secret is in there)."""
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            rows = session.scalars(
                select(XComModel).where(XComModel.dag_id == self.dag_id, XComModel.run_id == self.run_id)
            ).all()
            return "\n".join(f"{r.task_id} {r.key} {json.dumps(r.value)}" for r in rows)


DagRunner = Callable[..., DagResult]


def dag_header(dag_id: str, **default_args: Any) -> str:
    """The first lines of a test DAG file (imports and the DAG context), as a string to append tasks to."""
    args = {"retries": 0, **default_args}
    return textwrap.dedent(
        f"""
        import datetime
        import pendulum
        from airflow.sdk import DAG, Asset, ObjectStoragePath
        from airflow_provider_translate5.operators import *
        from airflow_provider_translate5.sensors import *

        dag = DAG(
            {dag_id!r},
            schedule=None,
            start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
            default_args={{**{args!r}, "retry_delay": datetime.timedelta(seconds=0)}},
        )
        """
    )


def polled_ids(sim: Any) -> list[list[int]]:
    """The ids of every task-list request that filtered by id, in order."""
    polls = []
    for record in sim.requests:
        if record.method == "GET" and record.path == "/editor/task":
            filters = json.loads(parse_qs(record.query).get("filter", ["[]"])[0])
            for rule in filters:
                if rule.get("property") == "id" and rule.get("operator") == "in":
                    polls.append([int(i) for i in rule["value"]])
    return polls


def once_a_trigger_polls(
    sim: Any,
    action: Callable[[set[int]], Any],
    timeout: float = 120.0,
    *,
    polls: int = 1,
    after: Callable[[set[int]], bool] | None = None,
) -> threading.Thread:
    """Run ``action(polled task ids)`` in the background once a wait polled the task list ``polls`` times.

    Tests use it to change translate5 (finish a workflow, delete a task) while a wait is provably running
    (deferred, or poking by id), without depending on how fast the machine runs the DAG up to that point.
    With ``polls=2`` the wait has certainly seen (and logged) the state before the change. ``after``: count
    only the polls made once ``after(polled ids)`` holds (e.g. every task imported: the import wait's polls
    of the same ids do not count then).
    """

    counted_from: int | None = None if after is not None else 0

    def counted() -> tuple[int, set[int]]:
        """(polls counted so far, every id polled)"""
        nonlocal counted_from
        seen = polled_ids(sim)
        ids = {task_id for poll in seen for task_id in poll}
        if counted_from is None and ids and after is not None and after(ids):
            counted_from = len(seen)
        return (0 if counted_from is None else len(seen) - counted_from), ids

    def watch() -> None:
        _, ids = eventually(
            counted,
            lambda seen: seen[0] >= polls,
            what=f"{polls} poll(s) by id (last seen: polls counted, ids polled)",
            timeout=timeout,
            interval=0.05,
        )
        action(ids)

    thread = threading.Thread(target=watch, name="t5-remote-change", daemon=True)
    thread.start()
    return thread
