"""What every answer looks like on the wire, and the calls of a second (editor) user - as recorded."""

from __future__ import annotations

import json
from typing import Any

import requests
from t5support import eventually

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import create_task, url, wait_state

NOTICE = 'Der Workflow Schritt der Aufgabe wurde zu "{0}" geändert!'


def _translator(sim: Translate5Simulator) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Accept": "application/json", "Translate5AuthToken": sim.user_token})
    return session


def _guid(api: requests.Session, sim: Translate5Simulator, login: str) -> str:
    rule = [{"operator": "eq", "value": login, "property": "login"}]
    body = api.get(url(sim, "/editor/user"), params={"filter": json.dumps(rule)}).json()
    assert body["total"] == 1
    return str(body["rows"][0]["userGuid"])


def _assign(api: requests.Session, sim: Translate5Simulator, task_id: Any, guid: str) -> requests.Response:
    data = {"userGuid": guid, "workflowStepName": "translation", "state": "open"}
    return api.post(url(sim, f"/editor/task/{task_id}/job"), data={"data": json.dumps(data)})


def test_json_answers_carry_content_type_twice_version_and_cookie(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    """Section 01: requests joins the two Content-Type headers; every answer sets the session cookie."""
    answer = api.get(url(sim, "/editor/session/current"))
    assert answer.headers["Content-Type"] == "application/json, application/json"
    assert answer.headers["X-Translate5-Version"] == "development"
    assert answer.headers["Set-Cookie"].startswith("zfExtended=")
    body = answer.json()
    assert body["state"] == "authenticated"
    user = body["user"]
    assert (user["login"], user["userName"], user["id"]) == ("manager", "Project Manager", 1)
    assert user["roles"][:3] == ["systemadmin", "admin", "pm"]
    assert "api" not in user["roles"]


def test_without_accept_json_the_answer_is_xml(sim: Translate5Simulator) -> None:
    """Section 02: XML, and the header list holds application/json AND application/xml."""
    answer = requests.get(url(sim, "/editor/session/current"), headers={"Translate5AuthToken": sim.token})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json, application/xml"
    assert answer.text.startswith('<?xml version="1.0"?>\n<response><state>authenticated</state><user>')
    assert "<roles><role>systemadmin</role><role>admin</role>" in answer.text
    assert "<restrictedClientIds/>" in answer.text


def test_wrong_token_is_a_401_printed_as_html(sim: Translate5Simulator) -> None:
    """Section 03: text/html, no version header, but a cookie."""
    headers = {"Translate5AuthToken": "1:thisIsNotAValidTokenAtAll0000000000", "Accept": "application/json"}
    answer = requests.get(url(sim, "/editor/session/current"), headers=headers)
    assert answer.status_code == 401
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "X-Translate5-Version" not in answer.headers
    assert "zfExtended=" in answer.headers["Set-Cookie"]
    assert answer.json() == {
        "success": False,
        "httpStatus": 401,
        "errorMessage": "<b>Fatal: Authentication Token: The token is not valid</b>",
    }


def test_user_list_and_jobs_have_the_real_shapes(sim: Translate5Simulator, api: requests.Session) -> None:
    """Sections 43-48: user rows with roles as a comma string and ids as strings; job answers with ids as
    strings, languages and type as numbers, and the workflow notice; the first job ends "no workflow"."""
    rule = [{"operator": "eq", "value": "translator1", "property": "login"}]
    users = api.get(url(sim, "/editor/user"), params={"filter": json.dumps(rule)}).json()
    assert users["total"] == 1
    translator = users["rows"][0]
    assert translator["roles"] == "editor,taskOverview"
    assert (translator["id"], translator["editable"]) == ("2", "1")
    row = create_task(sim, api)
    wait_state(sim, api, row["id"])
    assert api.get(url(sim, f"/editor/task/{row['id']}/job")).json() == {"rows": [], "total": 0}
    created = _assign(api, sim, row["id"], translator["userGuid"])
    assert created.status_code == 200
    body = created.json()
    assert list(body) == ["rows", "errors"]
    job = body["rows"]
    assert "entityVersion" not in job
    assert isinstance(job["id"], str)
    assert (job["sourceLang"], job["type"], job["segmentEditableCount"]) == (5, 1, "2")
    assert (job["role"], job["longUserName"]) == ("translator", "Lator One, Trans (translator1)")
    assert body["errors"] == [
        {"origin": "core", "msg": NOTICE, "id": -1, "data": "Translation", "type": "notice"}
    ]
    task = api.get(url(sim, f"/editor/task/{row['id']}")).json()["rows"]
    assert (task["workflowStepName"], task["userCount"]) == ("translation", "1")
    assert task["users"][0]["id"] == job["id"]


def test_translator_finishes_its_job_and_the_workflow_ends(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    """Sections 50-55: job endpoints redirect an editor to /login; its PUT userState=finished ends the
    workflow of a task with one job; the task stays open."""
    row = create_task(sim, api)
    wait_state(sim, api, row["id"])
    job = _assign(api, sim, row["id"], _guid(api, sim, "translator1")).json()["rows"]
    with _translator(sim) as translator:
        me = translator.get(url(sim, "/editor/session/current")).json()["user"]
        assert (me["login"], me["roles"]) == ("translator1", ["editor", "taskOverview", "basic", "noRights"])
        for answer in (
            translator.get(url(sim, f"/editor/task/{row['id']}/job"), allow_redirects=False),
            translator.put(
                url(sim, f"/editor/task/{row['id']}/job/{job['id']}"),
                data={"data": '{"state":"finished"}'},
                allow_redirects=False,
            ),
        ):
            assert answer.status_code == 302
            assert answer.headers["Location"] == "/login"
            assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
            assert answer.content == b""
        data = {"userState": "finished", "userStatePrevious": "open", "id": int(row["id"])}
        finished = translator.put(url(sim, f"/editor/task/{row['id']}"), data={"data": json.dumps(data)})
    assert finished.status_code == 200
    body = finished.json()
    assert list(body) == [
        "taskEditable", "taskFinished", "taskProgress", "userEditable", "userFinished", "userProgress", "rows"
    ]  # fmt: skip
    assert (body["taskFinished"], body["taskProgress"], body["userProgress"]) == (2, 1, 1)
    task = body["rows"]
    assert (task["state"], task["workflowStep"], task["workflowStepName"]) == ("open", "2", "workflowEnded")
    jobs = api.get(url(sim, f"/editor/task/{row['id']}/job")).json()["rows"]
    assert jobs[0]["state"] == "finished"
    assert jobs[0]["finishedDate"] is not None


def test_pm_finishes_the_job(sim: Translate5Simulator, api: requests.Session) -> None:
    """Sections 71/72: a PM may PUT the job to finished; the task moves to workflowEnded."""
    row = create_task(sim, api)
    wait_state(sim, api, row["id"])
    job = _assign(api, sim, row["id"], _guid(api, sim, "translator1")).json()["rows"]
    answer = api.put(
        url(sim, f"/editor/task/{row['id']}/job/{job['id']}"), data={"data": '{"state":"finished"}'}
    )
    assert answer.status_code == 200
    assert list(answer.json()) == ["rows"]
    assert answer.json()["rows"]["state"] == "finished"
    task = api.get(url(sim, f"/editor/task/{row['id']}")).json()["rows"]
    assert (task["workflowStepName"], task["workflowStep"], task["segmentFinishCount"]) == (
        "workflowEnded",
        "2",
        task["segmentCount"],
    )


def test_job_delete_answers_the_notice(sim: Translate5Simulator, api: requests.Session) -> None:
    """Sections 74/75: a stale Mqi-Entity-Version is a 409; without it 200 with only ``errors``."""
    row = create_task(sim, api)
    wait_state(sim, api, row["id"])
    job = _assign(api, sim, row["id"], _guid(api, sim, "translator1")).json()["rows"]
    job_url = url(sim, f"/editor/task/{row['id']}/job/{job['id']}")
    assert api.delete(job_url, headers={"Mqi-Entity-Version": "999"}).status_code == 409
    deleted = api.delete(job_url)
    assert deleted.status_code == 200
    assert deleted.json() == {
        "errors": [{"origin": "core", "msg": NOTICE, "id": -1, "data": "No workflow", "type": "notice"}]
    }
    assert api.get(url(sim, f"/editor/task/{row['id']}")).json()["rows"]["workflowStepName"] == "no workflow"


def test_workflow_auto_finish_assigns_a_job(sim: Translate5Simulator, api: requests.Session) -> None:
    """The demo knob: a task without jobs gets translator1 and reaches workflowEnded like a real one."""
    sim.set(workflow_auto_finish=0.01)
    row = create_task(sim, api)

    task = eventually(
        lambda: dict(api.get(url(sim, f"/editor/task/{row['id']}")).json()["rows"]),
        lambda task: task["workflowStepName"] == "workflowEnded",
        what="the workflow to end",
    )
    assert [u["login"] for u in task["users"]] == ["translator1"]
    assert task["state"] == "open"


def test_every_answer_can_be_framed_like_the_recorded_server(sim: Translate5Simulator) -> None:
    """Knob ``close_connections``: JSON answers too without Content-Length, ``Connection: close``."""
    headers = {"Accept": "application/json", "Translate5AuthToken": sim.token}
    sim.set(close_connections=False)
    kept = requests.get(url(sim, "/editor/task"), headers=headers)
    assert kept.headers["Content-Length"] == str(len(kept.content))
    assert "Connection" not in kept.headers
    sim.set(close_connections=True)
    closed = requests.get(url(sim, "/editor/task"), headers=headers)
    assert "Content-Length" not in closed.headers
    assert closed.headers["Connection"] == "close"
    assert closed.json() == {"total": "0", "rows": []}
