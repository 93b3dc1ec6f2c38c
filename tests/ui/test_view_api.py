"""The translate5 view through Airflow's own API server app: what a user of a finished run sees, who may see
it, and what it shows while translate5 does not answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]


def run_path(view_run: Any, prefix: str = "/translate5") -> str:
    return f"{prefix}/dags/{view_run.dag_id}/runs/{quote(view_run.run_id, safe='')}"


def api_path(view_run: Any) -> str:
    return run_path(view_run, "/translate5/api")


def test_every_project_of_the_run_with_state_progress_and_assignees(view_run: Any) -> None:
    view_run.sim.requests.clear()
    answer = view_run.get(api_path(view_run))
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["problems"] == []
    assert [project["id"] for project in view["projects"]] == sorted(view_run.project_ids)
    tasks = [task for project in view["projects"] for task in project["tasks"]]
    assert sorted(task["id"] for task in tasks) == sorted(view_run.task_ids)
    for project in view["projects"]:
        assert project["url"].endswith(f"/editor/#project/{project['id']}/focus")
        assert sorted(task["languages"] for task in project["tasks"]) == ["en → de", "en → fr"]
        for task in project["tasks"]:
            expected = view_run.sim.task(task["id"])
            assert task["live"] is True
            assert task["project_id"] == project["id"]
            assert task["name"] == expected["taskName"]
            assert (task["state"], task["workflow_step"]) == (expected["state"], "workflowEnded")
            assert task["finished"] == expected["segmentFinishCount"] > 0
            assert task["total"] == expected["segmentEditableCount"]
            assert task["url"].endswith(f"/editor/#project/{project['id']}/{task['id']}/focus")
            # customer 1000's default jobs, finished by the simulated people
            jobs = {(job["role"], job["workflow_step"], job["state"]) for job in task["assignments"]}
            assert jobs == {("translator", "translation", "finished"), ("reviewer", "reviewing", "finished")}
            assert {"wait_for_translation", "upload"} <= set(task["steps"])
    # One batched request for all six tasks (the language list was fetched once, on the first page).
    assert view_run.sim.requests.count("GET", "/editor/task") == 1
    assert view_run.sim.requests.count(prefix="/editor/task/") == 0


def test_the_page_shows_each_task_with_its_progress(view_run: Any) -> None:
    answer = view_run.get(run_path(view_run))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert "translate5 is not answering" not in html
    for task_id in view_run.task_ids:
        row = view_run.sim.task(task_id)
        assert f'data-task-id="{task_id}"' in html
        assert row["taskName"] in html
        assert f"{row['segmentFinishCount']} of {row['segmentEditableCount']} segments" in html
    for project_id in view_run.project_ids:
        assert f'data-project-id="{project_id}"' in html


def test_the_mapped_waits_view_link_shows_only_its_project(view_run: Any, xcom: Any) -> None:
    for map_index, project_id in enumerate(view_run.project_ids):
        link = xcom(
            view_run.dag_id, view_run.run_id, "wait_for_import", "_link_Translate5ViewLink", map_index
        )
        parts = urlsplit(link)
        assert (parts.scheme, parts.netloc) == ("http", "airflow.test")  # [api] base_url
        answer = view_run.get(f"/translate5/api{parts.path.removeprefix('/translate5')}?{parts.query}")
        assert answer.status_code == 200, answer.text
        projects = answer.json()["projects"]
        assert [project["id"] for project in projects] == [project_id]
        assert len(projects[0]["tasks"]) == 2
        page = view_run.get(link.removeprefix("http://airflow.test")).text
        assert f"wait_for_import [{map_index}]" in page
        assert "Show the whole run" in page


@pytest.mark.parametrize("path", [run_path, api_path, lambda run: "/translate5/"])
def test_anonymous_requests_get_nothing(view_run: Any, path: Any) -> None:
    answer = view_run.get(path(view_run), user=None)
    assert answer.status_code == 401
    assert "Home page" not in answer.text


@pytest.mark.parametrize("cookie", [True, False])
def test_a_user_who_may_not_read_the_dag_gets_nothing(view_run: Any, cookie: bool) -> None:
    for path in (run_path(view_run), api_path(view_run)):
        answer = view_run.get(path, "outsider", cookie=cookie)
        assert answer.status_code == 403
        assert "Home page" not in answer.text
    # The overview of recent runs lists the run for a reader of the DAG, and not for the outsider.
    shown = view_run.get("/translate5/", "viewer", cookie=cookie).text
    assert f'data-dag-id="{view_run.dag_id}"' in shown
    assert view_run.run_id in shown
    hidden = view_run.get("/translate5/", "outsider", cookie=cookie)
    assert hidden.status_code == 200
    assert view_run.dag_id not in hidden.text
    assert view_run.run_id not in hidden.text  # (task names like "Home page" may belong to other DAGs' runs)


def test_with_translate5_down_it_shows_what_the_run_recorded(
    view_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_translate5.testing.server import Translate5Simulator
    from airflow_provider_translate5.ui import overview

    with Translate5Simulator() as gone:
        connection = gone.airflow_connection_json()  # a server that stops before the view asks it
    monkeypatch.setenv("AIRFLOW_CONN_TRANSLATE5_DEFAULT", connection)
    monkeypatch.setattr(overview, "_CLIENTS", {})
    view = view_run.get(api_path(view_run)).json()
    assert len(view["problems"]) == 1
    assert view["problems"][0].startswith("translate5 is not answering")
    tasks = [task for project in view["projects"] for task in project["tasks"]]
    assert sorted(task["id"] for task in tasks) == sorted(view_run.task_ids)
    for task in tasks:  # as the wait for the workflow recorded them when it ended
        recorded = view_run.sim.task(task["id"])
        assert task["live"] is False
        assert (task["name"], task["state"]) == (recorded["taskName"], recorded["state"])
        assert task["workflow_step"] == "workflowEnded"
        assert task["finished"] is None  # not known, and not shown as 0
        assert task["assignments"] is None
    page = view_run.get(run_path(view_run)).text
    assert "translate5 is not answering" in page
    assert page.count('class="task recorded"') == len(view_run.task_ids)
