"""How the translate5 view reads what a run recorded and what translate5 answered: strictly, and saying what
it does not know (no database, no server: rows shaped like the recorded ones, transcripts §30/§32/§48)."""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from airflow_provider_translate5.client import Task
from airflow_provider_translate5.links import TASK_ID_XCOM_KEY, TASK_URL_XCOM_KEY
from airflow_provider_translate5.ui import page
from airflow_provider_translate5.ui.overview import Look, build, overdue
from airflow_provider_translate5.ui.records import step_from

NOW = datetime(2027, 1, 16, 12, 0, tzinfo=timezone.utc)
BASE = "https://t5.example"
LANGUAGES = {5: "en", 4: "de", 7: "fr"}


def row(task_id: int, project_id: int, **fields: Any) -> Task:
    """A task list row as recorded: ids and counts as strings."""
    data = {
        "id": str(task_id),
        "taskGuid": f"{{guid-{task_id}}}",
        "taskName": f"Page - en / de ({task_id})",
        "sourceLang": "5",
        "targetLang": "4",
        "state": "open",
        "workflowStepName": "translation",
        "taskType": "projectTask",
        "projectId": str(project_id),
        "segmentCount": "4",
        "segmentEditableCount": "4",
        "segmentFinishCount": "1",
        "deadlineDate": None,
        "users": [],
        **fields,
    }
    return Task.from_api(data)


def job(**fields: Any) -> dict[str, Any]:
    return {
        "id": "1",
        "login": "translator1",
        "longUserName": "Lator One, Trans (translator1)",
        "role": "translator",
        "workflowStepName": "translation",
        "state": "open",
        "deadlineDate": None,
        **fields,
    }


def test_a_step_reads_what_the_operators_record_and_ignores_anything_else() -> None:
    wait = step_from(
        "wait",
        2,
        "success",
        {
            TASK_ID_XCOM_KEY: 12,
            TASK_URL_XCOM_KEY: f"{BASE}/editor/#project/11/12/focus",
            "return_value": {
                "id": 11,
                "task_ids": [12, 13],
                "tasks": [
                    {
                        "id": 12,
                        "task_name": "A",
                        "project_id": 11,
                        "state": "open",
                        "workflow_step_name": "x",
                    },
                    {"id": "13", "project_id": "11"},
                    {"id": True},
                    "junk",
                ],
            },
        },
        {"translate5_task_ids": "[12, 13, 14]", "translate5_conn_id": "t5_prod"},
    )
    assert wait is not None
    assert (wait.label, wait.conn_id, wait.subject) == ("wait [2]", "t5_prod", 12)
    assert wait.ids == (12, 13, 14)
    assert wait.projects == {12: 11, 13: 11}
    assert wait.summaries[12]["task_name"] == "A"

    upload = step_from(
        "upload",
        -1,
        "success",
        {
            "return_value": {
                "items": [{"project_id": 20, "tasks": [{"id": 21}, {"id": "22"}]}],
                "task_ids": [21, 22],
            }
        },
        {"translate5_conn_id": "translate5_default", "translate5_task_ids": "not ids"},
    )
    assert upload is not None
    assert (upload.label, upload.ids, upload.projects) == ("upload", (21, 22), {21: 20, 22: 20})

    assert step_from("other", -1, "success", {"return_value": {"task_ids": [-1, "x"]}}, {}) is None


def test_tasks_are_grouped_by_project_with_strict_progress_and_their_jobs() -> None:
    step = step_from("wait", -1, "running", {TASK_ID_XCOM_KEY: 12}, {"translate5_task_ids": [12, 13, 31]})
    assert step is not None
    rows = {
        12: row(12, 11, users=[job()]),
        13: row(13, 11, targetLang="7", segmentFinishCount="1,5"),  # not a count: never shown as 1 or 0
        31: row(31, 31, taskType="default", segmentEditableCount="0", segmentCount="0", users=None),
    }
    view = build("dag", "run", [step], [Look("translate5_default", BASE, rows, LANGUAGES)], NOW)
    assert [project.id for project in view.projects] == [11, 31]
    first, second = view.projects[0].tasks
    assert view.projects[0].url == f"{BASE}/editor/#project/11/focus"
    assert (first.languages, first.finished, first.total, first.percent) == ("en → de", 1, 4, 25)
    assert first.url == f"{BASE}/editor/#project/11/12/focus"
    assert [job.user for job in first.assignments or []] == ["Lator One, Trans (translator1)"]
    assert (second.languages, second.finished, second.total) == ("en → fr", None, 4)
    single = view.projects[1].tasks[0]
    assert single.url == f"{BASE}/editor/#project/31/focus"
    assert single.assignments is None  # the row had no job list: unknown, not "nobody"
    html = page.run_page(view)
    assert "1 of 4 segments (25 %)" in html
    assert html.count("not reported") == 1
    assert "not in translate5's answer" in html


def test_deadlines_are_overdue_only_when_certainly_past() -> None:
    # Without the server's zone a deadline text means another moment in every zone: past only 12 h later.
    assert not overdue("2027-01-16 01:00:00", None, NOW)
    assert overdue("2027-01-15 23:59:00", None, NOW)
    # With it (connection extra server_timezone): exactly.
    assert overdue("2027-01-16 12:30:00", ZoneInfo("Europe/Berlin"), NOW)  # 11:30 UTC
    assert not overdue("2027-01-16 13:30:00", ZoneInfo("Europe/Berlin"), NOW)
    assert not overdue("soon", None, NOW)
    assert not overdue(None, None, NOW)

    finished = job(state="finished", deadlineDate="2027-01-01 00:00:00")
    late = job(id="2", deadlineDate="2027-01-01 00:00:00")
    rows = {12: row(12, 11, users=[finished, late], deadlineDate="2027-01-01 00:00:00")}
    step = step_from("wait", -1, None, {TASK_ID_XCOM_KEY: 12}, {})
    assert step is not None
    [task] = (
        build("d", "r", [step], [Look("translate5_default", BASE, rows, LANGUAGES)], NOW).projects[0].tasks
    )
    assert [job.overdue for job in task.assignments or []] == [False, True]
    assert task.overdue
    ended = {12: row(12, 11, workflowStepName="workflowEnded", deadlineDate="2027-01-01 00:00:00")}
    [done] = (
        build("d", "r", [step], [Look("translate5_default", BASE, ended, LANGUAGES)], NOW).projects[0].tasks
    )
    assert not done.overdue


def test_what_translate5_does_not_list_and_projects_without_known_tasks() -> None:
    export = step_from("export", -1, "success", {TASK_ID_XCOM_KEY: 40}, {"translate5_task_id": "40"})
    wait = step_from("wait", -1, "success", {TASK_ID_XCOM_KEY: 12}, {"translate5_task_ids": [12]})
    upload = step_from(
        "upload", -1, "success", {"return_value": {"items": [{"project_id": 50, "tasks": []}]}}, {}
    )
    assert export is not None
    assert wait is not None
    assert upload is None  # an item without tasks names nothing
    project_row = Task.from_api({"id": "40", "taskType": "project", "projectId": "40", "taskName": "Bundle"})
    view = build(
        "d", "r", [export, wait], [Look("translate5_default", BASE, {40: project_row}, LANGUAGES)], NOW
    )
    by_id = {project.id: project for project in view.projects}
    assert by_id[40].tasks == []  # a project row is no task
    [gone] = by_id[None].tasks
    assert (gone.id, gone.missing, gone.live) == (12, True, False)
    html = page.run_page(view)
    assert "Its tasks are not recorded in this run." in html
    assert "not listed by translate5" in html


@pytest.mark.parametrize("name", ['<script>alert("x")</script>', "A & B"])
def test_the_page_escapes_what_translate5_and_the_run_say(name: str) -> None:
    step = step_from("wait", -1, "success", {TASK_ID_XCOM_KEY: 12}, {})
    assert step is not None
    rows = {12: row(12, 11, taskName=name, users=[job(longUserName=name)])}
    html = page.run_page(build('d"<', "r", [step], [Look("translate5_default", BASE, rows, LANGUAGES)], NOW))
    assert name not in html
    assert html.count(escape(name)) >= 2  # the task's name and the user's


def test_translate5_down_is_said_and_what_was_recorded_is_shown() -> None:
    step = step_from(
        "wait",
        -1,
        "deferred",
        {TASK_ID_XCOM_KEY: 12, TASK_URL_XCOM_KEY: f"{BASE}/editor/#project/11/12/focus"},
        {"translate5_task_ids": [12]},
    )
    assert step is not None
    problem = "translate5 is not answering: could not connect to https://t5.example"
    view = build("d", "r", [step], [Look("translate5_default", problem=problem)], NOW)
    [task] = view.projects[0].tasks
    assert (task.live, task.missing, task.url) == (False, False, f"{BASE}/editor/#project/11/12/focus")
    html = page.run_page(view)
    assert problem in html
    assert 'role="alert"' in html
