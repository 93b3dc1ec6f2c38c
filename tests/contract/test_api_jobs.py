"""Jobs and the workflow, raw: assigning users, the notify trigger, finishing jobs, reaching workflowEnded.

The PM path (a PM finishes the job with ``PUT .../job/<id>``) always runs; the editor path (the assigned
user finishes with ``PUT /editor/task/<id> userState=finished``) runs when ``TRANSLATE5_CONTRACT_USER_TOKEN``
is given.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from contract_support import (
    Cleanup,
    T5Http,
    describe,
    import_owned_task,
    recorded_type,
    wait_for_state,
)


@pytest.fixture
def task_id(t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str]) -> str:
    """A freshly imported task nobody is assigned to."""
    return str(import_owned_task(t5_http, cleanup, unique_name("jobs"), file_name="about.xlf")["id"])


def test_pm_assigns_notifies_and_finishes_until_workflow_ended(
    t5_http: T5Http, task_id: str, job_user_guid: str
) -> None:
    empty = t5_http.ok("GET", f"/editor/task/{task_id}/job")
    assert isinstance(empty["total"], int), recorded_type(empty["total"], int, "total of a job list")
    assert empty == {"rows": [], "total": 0}
    assert t5_http.task(task_id)["workflowStepName"] == "no workflow"

    response = t5_http.create_job(task_id, job_user_guid)
    assert response.status_code == 200, describe(response)
    body = response.json()
    job = body["rows"]
    assert isinstance(job["id"], str), recorded_type(job["id"], str, "rows.id of POST .../job")
    assert job["userGuid"] == job_user_guid
    assert job["workflowStepName"] == "translation"
    assert job["role"] == "translator"
    assert job["state"] == "open"
    assert "entityVersion" not in job  # job rows carry no version a client could send back
    assert all(entry["type"] == "notice" for entry in body.get("errors", []))

    listed = t5_http.ok("GET", f"/editor/task/{task_id}/job")
    assert listed["total"] == 1
    assert [row["id"] for row in listed["rows"]] == [job["id"]]

    trigger = t5_http.ok(
        "POST", f"/editor/task/{task_id}/workflow", data={"trigger": "notifyAllUsersAboutTaskAssociation"}
    )
    assert trigger == {"trigger": "notifyAllUsersAboutTaskAssociation", "success": True}
    row = t5_http.task(task_id)
    assert row["workflowStepName"] == "translation"
    assert [user["id"] for user in row["users"]] == [job["id"]]  # the full row lists the jobs

    finished = t5_http.put(
        f"/editor/task/{task_id}/job/{job['id']}", data={"data": json.dumps({"state": "finished"})}
    )
    assert finished.status_code == 200, describe(finished)
    assert finished.json()["rows"]["state"] == "finished"

    row = wait_for_state(
        t5_http, task_id, lambda r: r["workflowStepName"] == "workflowEnded", "workflow end after PM finish"
    )
    assert row["state"] == "open"  # the workflow ended, the task is not ended by itself
    [done] = t5_http.jobs(task_id)
    assert done["state"] == "finished"
    assert done["finishedDate"]


def test_a_job_created_without_state_waits_and_only_opening_it_moves_the_workflow(
    t5_http: T5Http, task_id: str, job_user_guid: str
) -> None:
    """Recorded (part 2 §138, §140): translate5 creates a job ``waiting`` unless the POST says otherwise; the
    task stays at ``no workflow`` without a notice until the job is opened, which moves the step (notice)."""
    data = {"userGuid": job_user_guid, "workflowStepName": "translation"}
    response = t5_http.post(f"/editor/task/{task_id}/job", data={"data": json.dumps(data)})
    assert response.status_code == 200, describe(response)
    body = response.json()
    assert body["rows"]["state"] == "waiting"
    assert "errors" not in body  # no notice: the workflow step did not change
    assert t5_http.task(task_id)["workflowStepName"] == "no workflow"

    opened = t5_http.put(
        f"/editor/task/{task_id}/job/{body['rows']['id']}", data={"data": json.dumps({"state": "open"})}
    )
    assert opened.status_code == 200, describe(opened)
    assert opened.json()["rows"]["state"] == "open"
    notices = opened.json().get("errors", [])
    assert [(notice["type"], notice["data"]) for notice in notices] == [("notice", "Translation")]
    assert t5_http.task(task_id)["workflowStepName"] == "translation"


def test_job_delete_checks_only_a_sent_entity_version(
    t5_http: T5Http, task_id: str, job_user_guid: str
) -> None:
    response = t5_http.create_job(task_id, job_user_guid)
    assert response.status_code == 200, describe(response)
    job_id = response.json()["rows"]["id"]

    stale = t5_http.delete(f"/editor/task/{task_id}/job/{job_id}", headers={"Mqi-Entity-Version": "999"})
    assert stale.status_code == 409, describe(stale)
    assert stale.json()["httpStatus"] == 409
    assert [job["id"] for job in t5_http.jobs(task_id)] == [job_id]

    deleted = t5_http.delete(f"/editor/task/{task_id}/job/{job_id}")
    assert deleted.status_code == 200, describe(deleted)
    assert "rows" not in deleted.json()
    assert t5_http.jobs(task_id) == []


def test_editor_finishes_own_job_and_the_workflow_ends(
    t5_http: T5Http, t5_user_http: T5Http, task_id: str, job_user_guid: str
) -> None:
    editor = t5_user_http.current_user()
    assert editor["userGuid"] == job_user_guid
    response = t5_http.create_job(task_id, job_user_guid)
    assert response.status_code == 200, describe(response)
    job_id = response.json()["rows"]["id"]

    if not {"pm", "admin", "systemadmin"} & set(editor["roles"]):
        # a plain editor has no job endpoints: a redirect to the login page, not a JSON 403
        listed = t5_user_http.get(f"/editor/task/{task_id}/job")
        assert listed.status_code == 302, describe(listed)
        assert listed.headers["Location"].endswith("/login")
        finish = t5_user_http.put(
            f"/editor/task/{task_id}/job/{job_id}", data={"data": json.dumps({"state": "finished"})}
        )
        assert finish.status_code == 302, describe(finish)

    done = t5_user_http.put_task(
        task_id, {"userState": "finished", "userStatePrevious": "open", "id": int(task_id)}
    )
    assert done.status_code == 200, describe(done)
    body = done.json()
    assert {"taskEditable", "taskFinished", "taskProgress", "userProgress"} <= set(body)
    row = wait_for_state(
        t5_http, task_id, lambda r: r["workflowStepName"] == "workflowEnded", "workflow end after editor"
    )
    assert row["state"] == "open"
    [job] = t5_http.jobs(task_id)
    assert job["state"] == "finished"
