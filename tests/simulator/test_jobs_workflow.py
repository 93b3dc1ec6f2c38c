"""Jobs, workflow steps and the workflow trigger, as recorded (sections 43-55, 70-76)."""

from __future__ import annotations

import json
from typing import Any

import requests
from t5support import eventually

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import PACKAGE, STALE_ENTITY_VERSION, create_task, url, wait_state

TRANSLATOR = "{00000000-0000-4000-8000-000000000002}"
REVIEWER = "{00000000-0000-4000-8000-000000000003}"
MANAGER = "{00000000-0000-4000-8000-000000000001}"


def _job(api: requests.Session, sim: Translate5Simulator, task: Any, data: dict[str, Any], **kw: Any) -> Any:
    return api.post(url(sim, f"/editor/task/{task}/job"), data={"data": json.dumps(data)}, **kw)


def test_job_create_list_update_delete(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api)
    task = wait_state(sim, api, row["id"])
    created = _job(api, sim, task["taskGuid"], {"userGuid": TRANSLATOR, "workflowStepName": "translation"})
    assert created.status_code == 200, created.text
    job = created.json()["rows"]
    assert job["role"] == "translator"
    assert job["state"] == "waiting"  # translate5's default (part 2 §138)
    assert job["login"] == "translator1"
    listed = api.get(url(sim, f"/editor/task/{row['id']}/job")).json()
    assert listed["total"] == 1
    assert listed["rows"][0]["id"] == job["id"]
    assert api.get(url(sim, f"/editor/task/{row['id']}")).json()["rows"]["users"][0]["userGuid"] == TRANSLATOR
    updated = api.put(
        url(sim, f"/editor/task/{row['id']}/job/{job['id']}"), data={"data": json.dumps({"state": "edit"})}
    )
    assert updated.json()["rows"]["state"] == "edit"
    deleted = api.delete(url(sim, f"/editor/task/{row['id']}/job/{job['id']}"), params={"force": 1})
    assert deleted.status_code == 200
    assert api.get(url(sim, f"/editor/task/{row['id']}/job")).json()["total"] == 0


def test_job_errors(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api)
    task_id = row["id"]
    plain_fields = api.post(
        url(sim, f"/editor/task/{task_id}/job"),
        data={"userGuid": TRANSLATOR, "workflowStepName": "translation"},
    )
    assert (plain_fields.status_code, plain_fields.json()["errorCode"]) == (
        422,
        "E1012",
    )  # only `data` counts
    unknown = _job(api, sim, task_id, {"userGuid": "{nobody}", "workflowStepName": "translation"})
    assert unknown.json()["errorCode"] == "E1012"
    first = _job(api, sim, task_id, {"userGuid": REVIEWER, "workflowStepName": "reviewing", "state": "open"})
    assert first.status_code == 200
    assert first.json()["rows"]["state"] == "open"
    duplicate = _job(api, sim, task_id, {"userGuid": REVIEWER, "workflowStepName": "reviewing"})
    assert (duplicate.status_code, duplicate.json()["errorCode"]) == (422, "E1012")
    ignored = _job(
        api,
        sim,
        task_id,
        {"userGuid": TRANSLATOR, "workflowStepName": "translation"},
        headers={"Mqi-Entity-Version": "1"},
    )
    assert ignored.status_code == 200  # job POST ignores Mqi-Entity-Version
    job_url = url(sim, f"/editor/task/{task_id}/job/{ignored.json()['rows']['id']}")
    stale = api.delete(job_url, headers={"Mqi-Entity-Version": "999"})
    assert stale.status_code == 409  # section 74
    assert stale.json() == STALE_ENTITY_VERSION


def test_a_job_without_state_waits_and_only_opening_it_moves_the_workflow(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    """Part 2 §138/§140: translate5 creates a job ``waiting`` unless told otherwise; the workflow stays at "no
    workflow" (no notice) until the job is opened, and nobody can finish a waiting job."""
    row = create_task(sim, api)
    wait_state(sim, api, row["id"])
    created = _job(api, sim, row["id"], {"userGuid": TRANSLATOR, "workflowStepName": "translation"})
    reviewer = _job(api, sim, row["id"], {"userGuid": REVIEWER, "workflowStepName": "reviewing"})

    assert [created.json()["rows"]["state"], reviewer.json()["rows"]["state"]] == ["waiting", "waiting"]
    assert "errors" not in created.json()
    assert sim.finish_step(row["id"])["workflowStepName"] == "no workflow"  # a waiting job cannot be worked
    opened = api.put(
        url(sim, f"/editor/task/{row['id']}/job/{created.json()['rows']['id']}"),
        data={"data": json.dumps({"state": "open"})},
    )
    assert opened.json()["errors"][0]["data"] == "Translation"  # §140's notice: the workflow started
    task = api.get(url(sim, f"/editor/task/{row['id']}")).json()["rows"]
    assert task["workflowStepName"] == "translation"
    assert {u["workflowStepName"]: u["state"] for u in task["users"]} == {
        "translation": "open",
        "reviewing": "waiting",  # opened by translate5 when the translation is finished
    }
    second = _job(api, sim, row["id"], {"userGuid": MANAGER, "workflowStepName": "translation"})
    assert second.json()["rows"]["state"] == "waiting"  # the default, even in the task's current step


def test_legacy_taskuserassoc(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api)
    data = {"taskGuid": row["taskGuid"], "userGuid": TRANSLATOR, "workflowStepName": "translation"}
    created = api.post(url(sim, "/editor/taskuserassoc"), data={"data": json.dumps(data)})
    assert created.status_code == 200
    job_id = created.json()["rows"]["id"]
    assert api.get(url(sim, "/editor/taskuserassoc")).json()["total"] == 1
    assert api.delete(url(sim, f"/editor/taskuserassoc/{job_id}")).status_code == 200


def test_finish_step_moves_the_default_workflow(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api)
    wait_state(sim, api, row["id"])
    _job(api, sim, row["id"], {"userGuid": TRANSLATOR, "workflowStepName": "translation", "state": "open"})
    _job(api, sim, row["id"], {"userGuid": REVIEWER, "workflowStepName": "reviewing"})
    steps = []
    for _ in range(2):
        steps.append(sim.finish_step(row["id"])["workflowStepName"])
    assert steps == ["reviewing", "workflowEnded"]  # a step without jobs is skipped
    task = api.get(url(sim, f"/editor/task/{row['id']}")).json()["rows"]
    summary = {s["workflowStep"]: s["status"] for s in task["workflowProgressSummary"]}
    assert (summary["translation"], summary["reviewing"]) == ("finished", "finished")
    assert {u["state"] for u in task["users"]} == {"finished"}
    assert (task["state"], task["workflowStep"]) == ("open", "3")


def test_user_state_finished_finishes_the_step(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api)
    wait_state(sim, api, row["id"])
    _job(api, sim, row["id"], {"userGuid": MANAGER, "workflowStepName": "translation", "state": "open"})
    _job(api, sim, row["id"], {"userGuid": REVIEWER, "workflowStepName": "reviewing"})
    answer = api.put(url(sim, f"/editor/task/{row['id']}"), data={"data": '{"userState":"finished"}'})
    assert answer.json()["rows"]["workflowStepName"] == "reviewing"
    assert answer.json()["userFinished"] == answer.json()["userEditable"] == 2


def test_complex_workflow_and_finish_workflow(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api, workflow="complex", targetLang="de,fr", files=PACKAGE)
    for task in row["projectTasks"]:
        assert wait_state(sim, api, task["id"])["workflowStepName"] == "no workflow"
    sim.finish_workflow(row["id"])  # a project id finishes all its tasks
    for task in row["projectTasks"]:
        fetched = api.get(url(sim, f"/editor/task/{task['id']}")).json()["rows"]
        assert fetched["workflowStepName"] == "workflowEnded"
        assert (
            len(fetched["workflowProgressSummary"]) == 12
        )  # 8 steps + no workflow, ended, pmCheck, visiting


def test_workflow_auto_finish(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.set(workflow_auto_finish=0.05)
    row = create_task(sim, api)

    eventually(
        lambda: api.get(url(sim, f"/editor/task/{row['id']}")).json()["rows"]["workflowStepName"],
        lambda step: step == "workflowEnded",
        what="the workflow to end",
    )


def test_workflow_trigger(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api)
    ok = api.post(
        url(sim, f"/editor/task/{row['id']}/workflow"), data={"trigger": "notifyAllUsersAboutTaskAssociation"}
    )
    assert ok.json() == {"trigger": "notifyAllUsersAboutTaskAssociation", "success": True}
    bad = api.post(url(sim, f"/editor/task/{row['id']}/workflow"), data={"trigger": "notifyAllUsers"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["id"] == "trigger"
    assert "finishPrintApprovalJobs1" in bad.json()["validTrigger"]
    assert api.get(url(sim, f"/editor/task/{row['id']}/workflow")).status_code == 500
