"""The translate5 view's FastAPI app, mounted by Airflow's API server at ``/translate5``.

Read-only, and behind Airflow's own authentication and DAG-level authorization: Airflow does not protect a
plugin's routes, so every route depends on ``requires_access_dag`` (read access to the DAG's XComs, the same
right Airflow's XCom pages need), which resolves the user from the UI's session cookie or a bearer token. An
anonymous request gets 401, a user who may not read the DAG 403, and the overview of recent runs lists only
DAGs the user may read.

Imported only when the API server first serves the view (see ``plugin``), so its imports may be heavy; they
stay at module level because FastAPI reads the route signatures' annotations at run time.
"""

from dataclasses import asdict
from typing import Annotated, Any
from urllib.parse import quote

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import ReadableXComFilterDep, requires_access_dag
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from airflow_provider_translate5.ui import overview, page, records

#: Runs the overview of recent runs shows (each with its projects; one batched request for all of them).
RECENT_RUNS = 10

_read_xcom = Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.XCOM))


def _run_view(
    session: Any, dag_id: str, run_id: str, task_id: str | None, map_index: int | None
) -> overview.RunView:
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    found = session.scalar(select(DagRun.id).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
    if found is None:
        raise HTTPException(404, f"DAG run {run_id!r} of DAG {dag_id!r} not found")
    steps = records.load_run(session, dag_id, run_id)
    if task_id is not None:
        steps = [
            step
            for step in steps
            if step.task_id == task_id and (map_index is None or step.map_index == map_index)
        ]
    session.rollback()  # end the read transaction before the (slower) request to translate5
    return overview.build(dag_id, run_id, steps, overview.look_all(steps))


def _as_json(view: overview.RunView) -> dict[str, Any]:
    return {
        "dag_id": view.dag_id,
        "run_id": view.run_id,
        "checked_at": view.checked_at.isoformat(),
        "problems": view.problems,
        "projects": [asdict(project) for project in view.projects],
        "steps": [
            {"task_id": s.task_id, "map_index": s.map_index, "state": s.state, "ids": list(s.ids)}
            for s in view.steps
        ],
    }


def create_app() -> FastAPI:
    app = FastAPI(
        title="translate5 view",
        description="What the translate5 provider's operators ordered and waited for, per DAG run.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    # Airflow's permission filters read the auth manager from the app that serves the request: this one.
    # Built at the first request, so the API server has set its auth manager up by now.
    app.state.auth_manager = get_auth_manager()

    @app.get("/", response_class=HTMLResponse, dependencies=[_read_xcom])
    def recent(request: Request, session: SessionDep, readable: ReadableXComFilterDep) -> str:
        runs = records.recent_runs(session, readable.value or set(), RECENT_RUNS)
        by_run = records.load_runs(session, runs)
        session.rollback()
        steps = [step for run in runs for step in by_run[run]]
        looks = overview.look_all(steps)
        root = request.scope.get("root_path", "").rstrip("/")
        views = [
            (
                overview.build(run.dag_id, run.run_id, by_run[run], looks),
                f"{root}/dags/{quote(run.dag_id, safe='')}/runs/{quote(run.run_id, safe='')}",
            )
            for run in runs
        ]
        return page.index_page(views, RECENT_RUNS)

    @app.get("/dags/{dag_id}/runs/{run_id:path}", response_class=HTMLResponse, dependencies=[_read_xcom])
    def run(
        request: Request,
        dag_id: str,
        run_id: str,
        session: SessionDep,
        task_id: Annotated[str | None, Query()] = None,
        map_index: Annotated[int | None, Query()] = None,
    ) -> str:
        view = _run_view(session, dag_id, run_id, task_id, map_index)
        if task_id is None:
            return page.run_page(view)
        only = task_id if map_index is None or map_index < 0 else f"{task_id} [{map_index}]"
        whole = str(request.url.remove_query_params(["task_id", "map_index"]).path)
        return page.run_page(view, only=only, whole_run_url=whole)

    @app.get("/api/dags/{dag_id}/runs/{run_id:path}", dependencies=[_read_xcom])
    def run_json(
        dag_id: str,
        run_id: str,
        session: SessionDep,
        task_id: Annotated[str | None, Query()] = None,
        map_index: Annotated[int | None, Query()] = None,
    ) -> dict[str, Any]:
        return _as_json(_run_view(session, dag_id, run_id, task_id, map_index))

    return app
