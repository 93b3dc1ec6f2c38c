"""Task list, creation, import, update and delete (translate5-api.md §2-§5, §10)."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from typing import Any

import pytest
import requests

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import XLIFF, create_task, url, wait_for, wait_state

TASK_COLUMNS = {
    "id", "entityVersion", "modified", "created", "taskGuid", "taskNr", "foreignId", "foreignName",
    "foreignState", "taskName", "description", "sourceLang", "targetLang", "relaisLang", "locked",
    "lockingUser", "lockedInternalSessionUniqId", "state", "workflow", "workflowStep", "workflowStepName",
    "pmGuid", "pmName",
    "createdByUserGuid", "wordCount", "userCount", "referenceFiles", "terminologie", "enableSourceEditing",
    "edit100PercentMatch", "lockLocked", "emptyTargets", "diffExportUsable", "reimportable", "orderdate",
    "enddate", "deadlineDate", "importAppVersion", "customerId", "usageMode", "segmentCount",
    "segmentEditableCount", "segmentFinishCount", "taskType", "projectId",
}  # fmt: skip


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _languages(sim: Translate5Simulator, api: requests.Session) -> dict[str, dict[str, Any]]:
    return {row["rfc5646"]: row for row in api.get(url(sim, "/editor/language")).json()["rows"]}


def test_languages(sim: Translate5Simulator, api: requests.Session) -> None:
    body = api.get(url(sim, "/editor/language")).json()
    assert body["total"] == len(body["rows"])
    by_rfc = {row["rfc5646"]: row for row in body["rows"]}
    for code in ("de", "de-DE", "en", "en-GB", "en-US", "fr", "fr-FR", "it", "es", "nl", "pl", "ja", "zh-CN"):
        assert code in by_rfc
    assert by_rfc["de-DE"]["lcid"] == 1031
    assert set(by_rfc["de"]) >= {"id", "langName", "lcid", "rfc5646", "rtl", "iso6393"}


def test_single_target_create_returns_projecttasks_object(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    row = create_task(sim, api, foreignId="cms-42", foreignName="cms")
    assert set(row) >= TASK_COLUMNS
    assert re.fullmatch(r"\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}", row["taskGuid"])
    assert row["taskType"] == "default"
    assert row["state"] == "import"
    assert row["projectId"] == row["id"]
    assert isinstance(row["projectTasks"], dict)
    assert row["projectTasks"]["id"] == row["id"]
    langs = _languages(sim, api)
    assert row["sourceLang"] == langs["en"]["id"]
    assert row["targetLang"] == langs["de"]["id"]
    assert row["foreignId"] == "cms-42"


@pytest.mark.parametrize("targets", [{"targetLang[]": ["de", "fr-FR"]}, {"targetLang": "de,fr-FR"}])
def test_multi_target_create_returns_project_and_list(
    sim: Translate5Simulator, api: requests.Session, targets: dict[str, Any]
) -> None:
    row = create_task(sim, api, taskName="Launch", foreignId="cms-7", foreignName="cms", **targets)
    assert row["taskType"] == "project"
    assert row["state"] == "project"
    assert row["targetLang"] == 0
    tasks = row["projectTasks"]
    assert isinstance(tasks, list)
    assert [t["taskName"] for t in tasks] == ["Launch - en / de", "Launch - en / fr-FR"]
    assert all(t["taskType"] == "projectTask" and t["projectId"] == row["id"] for t in tasks)
    assert all(t["foreignId"] == "cms-7" and t["foreignName"] == "cms" for t in tasks)
    for task in tasks:
        assert wait_state(sim, api, task["id"])["state"] == "open"


def test_language_formats_numeric_and_lcid(sim: Translate5Simulator, api: requests.Session) -> None:
    langs = _languages(sim, api)
    row = create_task(sim, api, sourceLang=str(langs["en"]["id"]), targetLang="lcid-1031")
    assert row["targetLang"] == langs["de-DE"]["id"]


def test_create_validation_errors(sim: Translate5Simulator, api: requests.Session) -> None:
    files = {"importUpload": ("a.xlf", XLIFF)}
    missing = api.post(url(sim, "/editor/task"), data={"sourceLang": "en"}, files=files)
    assert missing.status_code == 422
    body = missing.json()
    assert {e["id"] for e in body["errors"]} == {"taskName", "targetLang"}
    assert body["errorMessage"] == "input validation failure"
    assert body["httpStatus"] == 422

    def post(**fields: Any) -> requests.Response:
        data = {"taskName": "x", "sourceLang": "en", "targetLang": "de", **fields}
        return api.post(url(sim, "/editor/task"), data=data, files=files)

    assert post(sourceLang="xx-XX").json()["errorCode"] == "E1032"
    target = post(targetLang="de,qq")
    assert target.status_code == 422
    assert target.json()["errorCode"] == "E1033"
    assert "targetLang" in target.json()["errorsTranslated"]
    customer = post(customerId="4711")
    assert (customer.status_code, customer.json()["errorCode"]) == (422, "E1064")
    assert post(customerId="1000").status_code == 200  # customer number works like the id
    assert post(workflow="nope").status_code == 422
    assert post(workflow="complex").status_code == 200


def test_upload_errors(sim: Translate5Simulator, api: requests.Session) -> None:
    data = {"taskName": "x", "sourceLang": "en", "targetLang": "de"}
    bad_ext = api.post(url(sim, "/editor/task"), data=data, files={"importUpload": ("a.exe", b"MZ")})
    assert bad_ext.status_code == 422
    assert bad_ext.json()["errorCode"] == "E1026"
    assert "importUpload" in bad_ext.json()["errors"]
    none = api.post(url(sim, "/editor/task"), data=data)
    assert (none.status_code, none.json()["errorCode"]) == (422, "E1026")
    no_workfiles = api.post(
        url(sim, "/editor/task"), data=data, files={"importUpload": ("p.zip", _zip({"other/a.xlf": XLIFF}))}
    )
    assert no_workfiles.json()["errorCode"] == "E1039"
    empty = api.post(
        url(sim, "/editor/task"), data=data, files={"importUpload": ("p.zip", _zip({"workfiles/": b""}))}
    )
    assert empty.json()["errorCode"] == "E1040"
    assert api.get(url(sim, "/editor/task")).json()["total"] == 0  # nothing half-created


def test_zip_package_and_legacy_proofread(sim: Translate5Simulator, api: requests.Session) -> None:
    package = _zip(
        {"proofRead/sub/a.xlf": XLIFF, "referenceFiles/brief.pdf": b"%PDF", "relais/sub/a.xlf": XLIFF}
    )
    row = create_task(sim, api, relaisLang="fr", files={"importUpload": ("pkg.zip", package)})
    assert row["referenceFiles"] == 1
    assert wait_state(sim, api, row["id"])["state"] == "open"


def test_several_files_with_types_and_languages(sim: Translate5Simulator, api: requests.Session) -> None:
    files = [
        ("importUpload[]", ("de.txt", b"Hallo\n")),
        ("importUpload[]", ("fr.txt", b"Salut\n")),
        ("importUpload[]", ("style.pdf", b"%PDF")),
    ]
    data = {
        "taskName": "multi",
        "sourceLang": "en",
        "targetLang[]": ["de", "fr"],
        "importUpload_language[]": ["de", "fr", ""],
        "importUpload_type[]": ["workfiles", "workfiles", "reference"],
    }
    response = api.post(url(sim, "/editor/task"), data=data, files=files)
    assert response.status_code == 200, response.text
    missing_lang = {**data, "importUpload_language[]": ["de", "de", ""]}
    conflict = api.post(url(sim, "/editor/task"), data=missing_lang, files=files)
    assert (conflict.status_code, conflict.json()["errorCode"]) == (409, "E1369")


def test_import_progress_then_open(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.set(import_duration=0.3)
    row = create_task(sim, api)
    progress = api.get(url(sim, "/editor/task/importprogress"), params={"taskGuid": row["taskGuid"]}).json()
    assert set(progress["progress"]) == {
        "progress", "workersDone", "workersTotal", "taskGuid", "workerRunning", "operationType"
    }  # fmt: skip
    assert 0 <= progress["progress"]["progress"] < 100
    task = wait_state(sim, api, row["id"])
    assert task["state"] == "open"
    assert task["workflowStepName"] == "translation"
    assert task["segmentCount"] == 2
    assert [s["workflowStep"] for s in task["workflowProgressSummary"]] == [
        "translation", "reviewing", "translatorCheck"
    ]  # fmt: skip
    done = api.get(url(sim, "/editor/task/importprogress"), params={"taskGuid": row["taskGuid"]}).json()
    assert done == {"progress": []}
    missing = api.get(url(sim, "/editor/task/importprogress"))
    assert (missing.status_code, missing.json()["errorCode"]) == (422, "E1339")


def test_import_error_test_hook(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api, files={"importUpload": ("will-import-error.xlf", XLIFF)})
    task = wait_state(sim, api, row["id"])
    assert task["state"] == "error"
    assert task["lastErrors"]
    assert task["lastErrors"][0]["message"]


@pytest.mark.parametrize("flag", ["0", ""])
def test_auto_start_import_off_waits_for_import_call(
    sim: Translate5Simulator, api: requests.Session, flag: str
) -> None:
    row = create_task(sim, api, autoStartImport=flag, targetLang="de,fr")
    child = row["projectTasks"][0]["id"]
    time.sleep(0.15)  # three import durations: an auto-started import would be done by now
    assert api.get(url(sim, "/editor/task/importprogress"), params={"taskGuid": row["taskGuid"]}).json() == {
        "progress": []
    }
    assert sim.task(child)["state"] == "import"
    started = api.put(url(sim, f"/editor/task/{row['id']}/import"))  # any method, project id starts all
    assert started.status_code == 200
    assert "rows" in started.json()
    for task in row["projectTasks"]:
        assert wait_state(sim, api, task["id"])["state"] == "open"


def test_php_bool_cast_of_auto_start_import(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api, autoStartImport="false")  # (bool)"false" is TRUE in PHP
    assert wait_state(sim, api, row["id"])["state"] == "open"


def test_list_paging_projects_and_heavy_extras(sim: Translate5Simulator, api: requests.Session) -> None:
    single = create_task(sim, api, taskName="one")
    project = create_task(sim, api, taskName="two", targetLang="de,fr")
    everything = api.get(url(sim, "/editor/task")).json()
    assert everything["total"] == 3  # the single task + two project tasks, no project row
    assert all(r["taskType"] != "project" for r in everything["rows"])
    assert "lastErrors" not in everything["rows"][0]
    page = api.get(url(sim, "/editor/task"), params={"start": 1, "limit": 1}).json()
    assert page["total"] == 3
    assert len(page["rows"]) == 1
    assert "lastErrors" in page["rows"][0]
    projects = api.get(url(sim, "/editor/task"), params={"projectsOnly": 1}).json()
    assert {r["id"] for r in projects["rows"]} == {single["id"], project["id"]}
    by_project = api.get(
        url(sim, "/editor/task"),
        params={"filter": json.dumps([{"operator": "eq", "property": "projectId", "value": project["id"]}])},
    ).json()
    assert sorted(r["id"] for r in by_project["rows"]) == sorted(t["id"] for t in project["projectTasks"])


def _filter(sim: Translate5Simulator, api: requests.Session, rules: Any, **params: Any) -> requests.Response:
    return api.get(url(sim, "/editor/task"), params={"filter": json.dumps(rules), **params})


def test_filter_operators(sim: Translate5Simulator, api: requests.Session) -> None:
    a = create_task(sim, api, taskName="Alpha news", foreignId="A-1", edit100PercentMatch="1")
    b = create_task(sim, api, taskName="Beta blog", foreignId="B-2")

    def ids(rules: Any) -> list[int]:
        response = _filter(sim, api, rules)
        assert response.status_code == 200, response.text
        return sorted(r["id"] for r in response.json()["rows"])

    assert ids([{"operator": "like", "property": "taskName", "value": "ALPHA"}]) == [a["id"]]
    assert ids([{"operator": "in", "property": "foreignId", "value": ["A-1", "B-2"]}]) == [a["id"], b["id"]]
    assert ids([{"operator": "notInList", "property": "foreignId", "value": ["A-1"]}]) == [b["id"]]
    assert ids([{"operator": "eq", "property": "foreignId", "value": "B-2"}]) == [b["id"]]
    assert ids([{"operator": "gt", "property": "id", "value": a["id"]}]) == [b["id"]]
    assert ids([{"operator": "gteq", "property": "id", "value": a["id"]}]) == [a["id"], b["id"]]
    assert ids([{"operator": "lt", "property": "id", "value": b["id"]}]) == [a["id"]]
    assert ids([{"operator": "lteq", "property": "id", "value": a["id"]}]) == [a["id"]]
    assert ids([{"operator": "=", "property": "edit100PercentMatch", "value": True}]) == [a["id"]]
    assert ids([{"operator": "==", "property": "edit100PercentMatch", "value": False}]) == [b["id"]]
    assert ids([{"operator": "eq", "property": "foreignId", "value": ""}]) == [a["id"], b["id"]]  # skipped


def test_filter_errors_are_http_500(sim: Translate5Simulator, api: requests.Session) -> None:
    unknown_op = _filter(sim, api, [{"operator": "neq", "property": "id", "value": 1}])
    assert (unknown_op.status_code, unknown_op.json()["errorCode"]) == (500, "E1224")
    unknown_field = _filter(sim, api, [{"operator": "eq", "property": "nope", "value": 1}])
    assert (unknown_field.status_code, unknown_field.json()["errorCode"]) == (500, "E1223")
    bad_json = api.get(url(sim, "/editor/task"), params={"filter": "[{"})
    assert (bad_json.status_code, bad_json.json()["errorCode"]) == (500, "E1220")
    assert bad_json.json()["message"] == "Internal Server Error"


def test_sort(sim: Translate5Simulator, api: requests.Session) -> None:
    create_task(sim, api, taskName="b")
    create_task(sim, api, taskName="a")
    sort = json.dumps(
        [{"property": "taskName", "direction": "asc"}, {"property": "bogus", "direction": "ASC"}]
    )
    names = [r["taskName"] for r in api.get(url(sim, "/editor/task"), params={"sort": sort}).json()["rows"]]
    assert names == ["a", "b"]
    desc = json.dumps([{"property": "taskName", "direction": "DESC"}])
    names = [r["taskName"] for r in api.get(url(sim, "/editor/task"), params={"sort": desc}).json()["rows"]]
    assert names == ["b", "a"]


def test_get_missing_task_is_404(sim: Translate5Simulator, api: requests.Session) -> None:
    response = api.get(url(sim, "/editor/task/12345"))
    assert response.status_code == 404
    assert response.json()["httpStatus"] == 404


def test_put_rename_version_conflict_and_state_rules(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api)
    task = wait_state(sim, api, row["id"])
    version = task["entityVersion"]

    def put(data: dict[str, Any]) -> requests.Response:
        return api.put(url(sim, f"/editor/task/{row['id']}"), data={"data": json.dumps(data)})

    renamed = put({"taskName": "Renamed", "entityVersion": version})
    assert renamed.status_code == 200
    assert renamed.json()["rows"]["taskName"] == "Renamed"
    assert renamed.json()["rows"]["entityVersion"] == version + 1
    stale = put({"taskName": "Again", "entityVersion": version})
    assert stale.status_code == 409
    assert stale.json() == {
        "message": "Conflict",
        "errorMessage": (
            "The displayed data was changed in the meantime on the server. Please refresh your view!"
        ),
        "httpStatus": 409,
        "errorCode": None,
        "success": False,
    }
    ended = put({"state": "end", "entityVersion": version})  # entityVersion ignored with state
    assert ended.status_code == 200
    assert ended.json()["rows"]["state"] == "end"
    reopened = api.put(
        url(sim, f"/editor/task/{row['id']}"),
        data=json.dumps({"state": "open"}),
        headers={"Content-Type": "application/json"},
    )
    assert reopened.json()["rows"]["state"] == "open"
    assert put({"state": "bogus"}).status_code == 422


def test_cancel_import_and_project_put(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.set(import_duration=5)
    row = create_task(sim, api, targetLang="de,fr")
    child = row["projectTasks"][0]["id"]
    cancelled = api.put(url(sim, f"/editor/task/{child}"), data={"data": json.dumps({"state": "error"})})
    assert cancelled.json()["rows"]["state"] == "error"
    dropped = api.put(
        url(sim, f"/editor/task/{row['projectTasks'][1]['id']}"), data={"data": '{"state":"end"}'}
    )
    assert dropped.json()["rows"]["state"] == "import"  # silently dropped while importing
    project = api.put(url(sim, f"/editor/task/{row['id']}"), data={"data": '{"taskName":"x"}'})
    assert (project.status_code, project.json()["errorCode"]) == (409, "E1284")


def test_delete_task_and_project(sim: Translate5Simulator, api: requests.Session) -> None:
    single = create_task(sim, api)
    wait_state(sim, api, single["id"])
    api.put(url(sim, f"/editor/task/{single['id']}"), data={"data": '{"userState":"edit"}'})
    in_use = api.delete(url(sim, f"/editor/task/{single['id']}"))
    assert (in_use.status_code, in_use.json()["errorCode"]) == (409, "E1042")
    forced = api.delete(url(sim, f"/editor/task/{single['id']}"), params={"force": 1})
    assert forced.status_code == 200
    assert forced.content == b""
    assert api.get(url(sim, f"/editor/task/{single['id']}")).status_code == 404
    gone = api.put(url(sim, f"/editor/task/{single['id']}"), data={"data": '{"taskName":"x"}'})
    assert (gone.status_code, gone.json()["errorCode"]) == (409, "E1774")
    project = create_task(sim, api, targetLang="de,fr")
    assert api.delete(url(sim, f"/editor/task/{project['id']}")).status_code == 200
    assert api.get(url(sim, "/editor/task")).json()["total"] == 0


@pytest.mark.parametrize("translate5_simulator", [{"numbers_as_strings": True}], indirect=True)
def test_numbers_as_strings(translate5_simulator: Translate5Simulator) -> None:
    sim = translate5_simulator
    with requests.Session() as api:
        api.headers.update({"Accept": "application/json", "Translate5AuthToken": sim.token})
        row = create_task(sim, api)
        assert isinstance(row["id"], str)
        assert row["id"].isdigit()
        assert isinstance(row["projectTasks"]["sourceLang"], str)
        listed = api.get(url(sim, "/editor/task"), params={"limit": 10}).json()
        assert isinstance(listed["total"], int)
        assert isinstance(listed["rows"][0]["entityVersion"], str)
        assert isinstance(api.get(url(sim, "/editor/language")).json()["rows"][0]["lcid"], str)
        error = api.get(url(sim, "/editor/task/999")).json()
        assert error["httpStatus"] == 404


def test_callback_after_each_task_import(sim: Translate5Simulator, api: requests.Session) -> None:
    received: list[dict[str, Any]] = []
    with Translate5Simulator() as receiver:
        sim.set(callback_url=receiver.base_url + "/callback")
        row = create_task(sim, api, targetLang="de,fr")
        wait_for(lambda: len(sim.callbacks) == 2)
        received = sim.callbacks
        hits = receiver.requests.count("POST", "/callback")
    assert hits == 2
    assert {c["taskId"] for c in received} == {t["id"] for t in row["projectTasks"]}
    assert {c["state"] for c in received} == {"open"}
