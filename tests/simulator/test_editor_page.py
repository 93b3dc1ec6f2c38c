"""``/editor``: a link into translate5's web UI lands on a page of the simulator that says what it is and
shows the tasks (translate5 itself answers it with its browser application; the simulator has none)."""

from __future__ import annotations

from html import unescape
from urllib.parse import urlsplit

import requests

from airflow_provider_translate5.hooks.translate5 import task_ui_url
from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import PACKAGE, create_task, url, wait_state


def test_a_task_link_lands_on_a_page_that_shows_the_task(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    single = create_task(sim, api, taskName="Single page", targetLang="de")
    project = create_task(sim, api, taskName="Bundle", files=PACKAGE, **{"targetLang[]": ["de", "fr"]})
    task = wait_state(sim, api, int(single["id"]))
    children = [dict(t) for t in project["projectTasks"]]
    link = task_ui_url(sim.base_url, int(children[1]["id"]), int(project["id"]))
    parts = urlsplit(link)
    assert parts.fragment == f"project/{project['id']}/{children[1]['id']}/focus"

    page = requests.get(f"{sim.base_url}{parts.path}", timeout=10)  # a browser: no token, no fragment

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = unescape(page.text)
    assert "translate5 simulator" in html
    assert "not translate5: it has no editor" in html
    row = f'<tr data-task-id="{task["id"]}" data-project-id="{task["projectId"]}">'
    assert row in html
    for cell in ("Single page", "en → de", task["state"], task["workflowStepName"]):
        assert f"<td>{cell}</td>" in html
    for child in children:
        assert f'data-task-id="{child["id"]}" data-project-id="{project["id"]}"' in html
        assert f"<td>{child['taskName']}</td>" in html
    assert f'data-task-id="{project["id"]}"' not in html  # the project itself is no task to show


def test_the_api_routes_below_editor_still_answer_json(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    answer = api.get(url(sim, "/editor/task"))
    assert answer.status_code == 200
    assert answer.json()["rows"] == []
