"""Task list, creation, import, update and delete, as the recorded real server answered them."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import pytest
import requests
from t5support import eventually

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import PACKAGE, STALE_ENTITY_VERSION, XLIFF, create_task, url, wait_state, zipped

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


def _languages(sim: Translate5Simulator, api: requests.Session) -> dict[str, dict[str, Any]]:
    return {row["rfc5646"]: row for row in api.get(url(sim, "/editor/language")).json()["rows"]}


def test_languages(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 04: ids, lcid, rtl and hidden are strings, ``total`` is a number."""
    body = api.get(url(sim, "/editor/language")).json()
    assert body["total"] == len(body["rows"])
    by_rfc = {row["rfc5646"]: row for row in body["rows"]}
    for code in ("de", "de-DE", "en", "en-GB", "en-US", "fr", "fr-FR", "it", "es", "nl", "pl", "ja", "zh-CN"):
        assert code in by_rfc
    assert by_rfc["de-DE"]["lcid"] == "1031"
    assert by_rfc["de"]["id"].isdigit()
    assert (by_rfc["de"]["rtl"], by_rfc["de"]["hidden"]) == ("0", "0")
    assert by_rfc["en"] == {
        "id": "5",
        "langName": "Englisch",
        "lcid": "9",
        "rfc5646": "en",
        "iso3166Part1alpha2": "gb",
        "sublanguage": "en-GB",
        "rtl": "0",
        "iso6393": "eng",
        "hidden": "0",
        "localizedName": "English",
    }
    assert set(by_rfc["de"]) >= {"id", "langName", "lcid", "rfc5646", "rtl", "iso6393", "localizedName"}


def test_single_target_create_returns_projecttasks_object(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    row = create_task(sim, api, foreignId="cms-42", foreignName="cms")
    assert set(row) >= TASK_COLUMNS
    assert re.fullmatch(r"\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}", row["taskGuid"])
    assert row["taskType"] == "default"
    assert row["state"] == "import"
    assert row["lockedInternalSessionUniqId"] == "*translate5InternalLock*import"
    assert row["workflowStepName"] == "no workflow"
    assert row["projectId"] == row["id"]
    assert isinstance(row["id"], str)
    assert isinstance(row["projectTasks"], dict)
    assert row["projectTasks"]["id"] == row["id"]
    assert row["projectTasks"]["projectId"] is None  # section 10
    langs = _languages(sim, api)
    assert row["sourceLang"] == langs["en"]["id"]
    assert row["targetLang"] == langs["de"]["id"]
    assert row["foreignId"] == "cms-42"


@pytest.mark.parametrize("targets", [{"targetLang[]": ["de", "fr-FR"]}, {"targetLang": "de,fr-FR"}])
def test_multi_target_create_returns_project_and_list(
    sim: Translate5Simulator, api: requests.Session, targets: dict[str, Any]
) -> None:
    row = create_task(
        sim, api, taskName="Launch", foreignId="cms-7", foreignName="cms", files=PACKAGE, **targets
    )
    assert row["taskType"] == "project"
    assert row["state"] == "project"
    assert row["targetLang"] == "0"
    assert row["workflowStepName"] == ""
    assert row["locked"] is None
    tasks = row["projectTasks"]
    assert isinstance(tasks, list)
    assert [t["taskName"] for t in tasks] == ["Launch - en / de", "Launch - en / fr-FR"]
    assert all(t["taskType"] == "projectTask" and t["projectId"] == row["id"] for t in tasks)
    assert {t["state"] for t in tasks} == {"import"}
    assert all(t["foreignId"] == "cms-7" and t["foreignName"] == "cms" for t in tasks)
    for task in tasks:
        assert wait_state(sim, api, task["id"])["state"] == "open"


def test_language_formats_numeric_and_lcid(sim: Translate5Simulator, api: requests.Session) -> None:
    langs = _languages(sim, api)
    row = create_task(sim, api, sourceLang=str(langs["en"]["id"]), targetLang="lcid-1031")
    assert row["targetLang"] == langs["de-DE"]["id"]


def test_one_plain_file_with_two_targets_is_a_500_and_leaves_nothing(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    """Section 20/31: HTTP 500, no task left; the ids were used up (the next task skips them)."""
    before = create_task(sim, api)
    data = {"taskName": "plain", "sourceLang": "en", "targetLang[]": ["de", "fr"], "foreignId": "cms-plain"}
    failed = api.post(url(sim, "/editor/task"), data=data, files={"importUpload": ("plain.xlf", XLIFF)})
    assert failed.status_code == 500
    assert failed.json() == {
        "errorCode": None,
        "httpStatus": 500,
        "errorMessage": "Cannot refresh row as parent is missing",
        "message": "Internal Server Error",
        "success": False,
    }
    rule = [{"operator": "eq", "value": "cms-plain", "property": "foreignId"}]
    assert _filter(sim, api, rule).json() == {"total": "0", "rows": []}
    after = create_task(sim, api, files=PACKAGE, targetLang="de,fr")
    assert int(after["id"]) == int(before["id"]) + 4  # project + two tasks consumed by the failure
    for skipped in range(int(before["id"]) + 1, int(after["id"])):
        assert api.get(url(sim, f"/editor/task/{skipped}")).status_code == 404


def test_missing_source_language_is_a_php_type_error(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 38: not a validation error but a 500 with PHP's TypeError text."""
    data = {"taskName": "missing source", "targetLang": "de"}
    answer = api.post(url(sim, "/editor/task"), data=data, files={"importUpload": ("plain.xlf", XLIFF)})
    assert answer.status_code == 500
    assert answer.json()["errorCode"] is None
    assert (
        "resolveLanguage(): Argument #1 ($identifier) must be of type string|int, null given"
        in (answer.json()["errorMessage"])
    )
    assert (
        _filter(sim, api, [{"operator": "eq", "value": "missing source", "property": "taskName"}]).json()[
            "total"
        ]
        == "0"
    )


def test_missing_upload_is_422_and_leaves_a_stub_behind(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    """Sections 39, 39a, 39b: 422 E1026, yet a task stays (import, unlocked, no project); a plain DELETE
    removes it."""
    sim.set(import_duration=0)  # an import it started would be over at the next request
    data = {"taskName": "missing file", "sourceLang": "en", "targetLang": "de"}
    answer = api.post(url(sim, "/editor/task"), data=data)
    assert answer.status_code == 422
    assert answer.reason == "Unknown Status Code"
    assert answer.json() == {
        "errorCode": "E1026",
        "httpStatus": 422,
        "errorMessage": "422 Unprocessable Entity on FileUpload",
        "message": "Unprocessable Entity",
        "success": False,
        "errors": {"importUpload": ["fileUploadErrorIniSize"]},
        "errorsTranslated": {
            "importUpload": [
                "There were no uploaded work files found, or the uploaded files are exceeding the maximum "
                "allowed size."
            ]
        },
    }
    found = _filter(sim, api, [{"operator": "eq", "value": "missing file", "property": "taskName"}]).json()
    assert found["total"] == "1"
    stub = found["rows"][0]
    assert (stub["state"], stub["locked"], stub["projectId"]) == ("import", None, None)
    assert (stub["entityVersion"], stub["foreignId"], stub["workflowStepName"]) == ("0", "", "")
    assert api.get(url(sim, f"/editor/task/{stub['id']}")).json()["rows"]["state"] == "import"
    deleted = api.delete(url(sim, f"/editor/task/{stub['id']}"))
    assert (deleted.status_code, deleted.content) == (200, b"")


def test_invalid_target_language(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 40: E1033 names the RESOLVED value "0", errorsTranslated is German, no stub stays."""
    data = {"taskName": "bad language", "sourceLang": "en", "targetLang": "xx-INVALID"}
    answer = api.post(url(sim, "/editor/task"), data=data, files={"importUpload": ("plain.xlf", XLIFF)})
    assert answer.status_code == 422
    assert answer.json() == {
        "errorCode": "E1033",
        "httpStatus": 422,
        "errorMessage": 'The passed target language "0" is not valid.',
        "message": "Unprocessable Entity",
        "success": False,
        "errorsTranslated": {"targetLang": ['Die übergebene Zielsprache "0" ist ungültig!']},
    }
    assert api.get(url(sim, "/editor/task")).json()["total"] == "0"


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
    too_long = post(foreignId="x" * 121)
    assert too_long.status_code == 422
    assert too_long.json()["errors"] == [
        {"id": "foreignId", "msg": "The input is more than 120 characters long"}
    ]
    assert post(foreignId="x" * 120).status_code == 200
    assert post(taskName="n" * 256).status_code == 422
    assert post(workflow="nope").status_code == 422
    assert post(workflow="complex").status_code == 200


def test_upload_errors(sim: Translate5Simulator, api: requests.Session) -> None:
    data = {"taskName": "x", "sourceLang": "en", "targetLang": "de"}
    bad_ext = api.post(url(sim, "/editor/task"), data=data, files={"importUpload": ("a.exe", b"MZ")})
    assert bad_ext.status_code == 422
    assert bad_ext.json()["errorCode"] == "E1026"
    assert "importUpload" in bad_ext.json()["errors"]
    no_workfiles = api.post(
        url(sim, "/editor/task"), data=data, files={"importUpload": ("p.zip", zipped({"other/a.xlf": XLIFF}))}
    )
    assert no_workfiles.json()["errorCode"] == "E1039"
    empty = api.post(
        url(sim, "/editor/task"), data=data, files={"importUpload": ("p.zip", zipped({"workfiles/": b""}))}
    )
    assert empty.json()["errorCode"] == "E1040"
    assert api.get(url(sim, "/editor/task")).json()["total"] == "0"  # nothing half-created


def test_zip_package_and_legacy_proofread(sim: Translate5Simulator, api: requests.Session) -> None:
    package = zipped(
        {"proofRead/sub/a.xlf": XLIFF, "referenceFiles/brief.pdf": b"%PDF", "relais/sub/a.xlf": XLIFF}
    )
    row = create_task(sim, api, relaisLang="fr", files={"importUpload": ("pkg.zip", package)})
    assert row["referenceFiles"] == "1"
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


def test_file_types_count_only_with_file_languages(sim: Translate5Simulator, api: requests.Session) -> None:
    """Without ``importUpload_language[]`` translate5 ignores ``importUpload_type[]``: all are work files."""
    files = [("importUpload[]", ("a.xlf", XLIFF)), ("importUpload[]", ("guide.xlf", XLIFF))]
    data = {"taskName": "types", "sourceLang": "en", "targetLang": "de"}
    ignored = create_task(
        sim, api, files=files, **data, **{"importUpload_type[]": ["workfiles", "reference"]}
    )
    assert ignored["referenceFiles"] == "0"
    assert wait_state(sim, api, ignored["id"])["segmentCount"] == "4"
    typed = create_task(
        sim,
        api,
        files=files,
        **data,
        **{"importUpload_type[]": ["workfiles", "reference"], "importUpload_language[]": ["de", "de"]},
    )
    assert typed["referenceFiles"] == "1"
    assert wait_state(sim, api, typed["id"])["segmentCount"] == "2"


def test_import_progress_then_open(sim: Translate5Simulator, api: requests.Session) -> None:
    """Sections 14-16: numbers in progress, 100 and all workers done afterwards; the task is open, unlocked
    and stays at "no workflow" without jobs."""
    sim.set(import_duration=0.3)
    row = create_task(sim, api)
    progress = api.get(url(sim, "/editor/task/importprogress"), params={"taskGuid": row["taskGuid"]}).json()
    assert set(progress["progress"]) == {
        "progress", "workersDone", "workersTotal", "taskGuid", "workerRunning", "operationType"
    }  # fmt: skip
    assert 1 <= progress["progress"]["progress"] < 100
    assert progress["progress"]["operationType"] == "import"
    task = wait_state(sim, api, row["id"])
    assert task["state"] == "open"
    assert (task["locked"], task["lockedInternalSessionUniqId"], task["lockingUser"]) == (None, None, None)
    assert task["workflowStepName"] == "no workflow"
    assert task["segmentCount"] == "2"
    assert [s["workflowStep"] for s in task["workflowProgressSummary"]] == [
        "no workflow", "translation", "reviewing", "translatorCheck", "workflowEnded", "pmCheck", "visiting"
    ]  # fmt: skip
    done = api.get(url(sim, "/editor/task/importprogress"), params={"taskGuid": row["taskGuid"]}).json()
    assert done["progress"]["progress"] == 100
    assert done["progress"]["workersDone"] == done["progress"]["workersTotal"]
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
    sim.set(import_duration=0)  # an auto-started import would be over at the next request
    row = create_task(sim, api, autoStartImport=flag, targetLang="de,fr", files=PACKAGE)
    child = row["projectTasks"][0]["id"]
    assert api.get(url(sim, "/editor/task/importprogress"), params={"taskGuid": row["taskGuid"]}).json() == {
        "progress": []
    }
    assert sim.task(child)["state"] == "import"
    assert row["projectTasks"][0]["lockedInternalSessionUniqId"] == "*translate5InternalLock*import"
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
    project = create_task(sim, api, taskName="two", targetLang="de,fr", files=PACKAGE)
    everything = api.get(url(sim, "/editor/task")).json()
    assert everything["total"] == "3"  # the single task + two project tasks, no project row
    assert all(r["taskType"] != "project" for r in everything["rows"])
    assert {"customerName", "fileCount", "taskProgress", "qualityErrorCount"} <= set(everything["rows"][0])
    page = api.get(url(sim, "/editor/task"), params={"start": 1, "limit": 1}).json()
    assert page["total"] == "3"
    assert len(page["rows"]) == 1
    projects = api.get(url(sim, "/editor/task"), params={"projectsOnly": 1}).json()
    assert {r["id"] for r in projects["rows"]} == {single["id"], project["id"]}
    assert all("projectTasks" not in r for r in projects["rows"])  # section 34
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

    def ids(rules: Any) -> list[str]:
        response = _filter(sim, api, rules)
        assert response.status_code == 200, response.text
        return sorted((r["id"] for r in response.json()["rows"]), key=int)

    assert ids([{"operator": "like", "property": "taskName", "value": "ALPHA"}]) == [a["id"]]
    assert ids([{"operator": "in", "property": "foreignId", "value": ["A-1", "B-2"]}]) == [a["id"], b["id"]]
    in_ids = [{"operator": "in", "property": "id", "value": [int(a["id"]), int(b["id"])]}]  # section 32
    assert ids(in_ids) == [a["id"], b["id"]]
    assert ids([{"operator": "notInList", "property": "foreignId", "value": ["A-1"]}]) == [b["id"]]
    assert ids([{"operator": "eq", "property": "foreignId", "value": "B-2"}]) == [b["id"]]
    assert ids([{"operator": "gt", "property": "id", "value": a["id"]}]) == [b["id"]]
    assert ids([{"operator": "gteq", "property": "id", "value": a["id"]}]) == [a["id"], b["id"]]
    assert ids([{"operator": "lt", "property": "id", "value": b["id"]}]) == [a["id"]]
    assert ids([{"operator": "lteq", "property": "id", "value": a["id"]}]) == [a["id"]]
    assert ids([{"operator": "=", "property": "edit100PercentMatch", "value": True}]) == [a["id"]]
    assert ids([{"operator": "==", "property": "edit100PercentMatch", "value": False}]) == [b["id"]]
    assert ids([{"operator": "eq", "property": "foreignId", "value": ""}]) == [a["id"], b["id"]]  # skipped
    # ids as the poller sends them (numbers) and as a DAG author may (strings, a number text, junk)
    mixed = [{"operator": "in", "property": "id", "value": [a["id"], float(b["id"]), "x", 999999]}]
    assert ids(mixed) == [a["id"], b["id"]]
    assert ids([{"operator": "in", "property": "id", "value": [f"{b['id']}.0"]}]) == [b["id"]]
    assert ids([{"operator": "eq", "property": "foreignId", "value": "b-2"}]) == [b["id"]]  # *_ci collation


def test_filter_errors_are_http_500(sim: Translate5Simulator, api: requests.Session) -> None:
    unknown_op = _filter(sim, api, [{"operator": "startswith", "value": "x", "property": "foreignId"}])
    assert unknown_op.status_code == 500
    assert unknown_op.json() == {  # section 36, typo included
        "errorCode": "E1224",
        "httpStatus": 500,
        "errorMessage": 'Unkown filter operator "startswith" from ExtJS 5 Grid Filter!',
        "message": "Internal Server Error",
        "success": False,
    }
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


def test_sort_by_id_is_numeric(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 33: ids arrive as strings but sort like the DB integers they are ("10" after "9")."""
    ids = [create_task(sim, api, taskName=str(n))["id"] for n in range(10)]
    sort = json.dumps([{"property": "id", "direction": "DESC"}])
    page = api.get(url(sim, "/editor/task"), params={"sort": sort, "start": "0", "limit": "2"}).json()
    assert [r["id"] for r in page["rows"]] == [ids[9], ids[8]]
    assert page["total"] == "10"


def test_get_missing_task_is_404(sim: Translate5Simulator, api: requests.Session) -> None:
    response = api.get(url(sim, "/editor/task/99999999"))
    assert response.status_code == 404
    assert response.json() == {  # section 37
        "errorCode": None,
        "httpStatus": 404,
        "errorMessage": "Task Entity Not Found: Key: #PK; Value: 99999999",
        "message": "Not Found",
        "success": False,
    }


def test_put_rename_version_conflict_and_state_rules(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api)
    task = wait_state(sim, api, row["id"])
    version = task["entityVersion"]

    def put(data: dict[str, Any]) -> requests.Response:
        return api.put(url(sim, f"/editor/task/{row['id']}"), data={"data": json.dumps(data)})

    renamed = put({"taskName": "Renamed ÄÖ", "entityVersion": int(version)})
    assert renamed.status_code == 200
    assert list(renamed.json()) == ["taskEditable", "taskFinished", "taskProgress", "userProgress", "rows"]
    assert renamed.json()["rows"]["taskName"] == "Renamed ÄÖ"
    assert int(renamed.json()["rows"]["entityVersion"]) > int(version)
    stale = put({"taskName": "Again", "entityVersion": int(version)})
    assert stale.status_code == 409
    assert stale.json() == STALE_ENTITY_VERSION  # section 41
    ended = put({"state": "end", "entityVersion": int(version)})  # entityVersion ignored with state
    assert ended.status_code == 200
    assert ended.json()["rows"]["state"] == "end"
    assert ended.json()["taskEditable"] == 2
    reopened = api.put(
        url(sim, f"/editor/task/{row['id']}"),
        data=json.dumps({"state": "open"}),
        headers={"Content-Type": "application/json"},
    )
    assert reopened.json()["rows"]["state"] == "open"
    assert put({"state": "bogus"}).status_code == 422


def test_cancel_import_and_project_put(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.set(import_duration=5)
    row = create_task(sim, api, targetLang="de,fr", files=PACKAGE)
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
    not_forced = api.delete(url(sim, f"/editor/task/{single['id']}"), params={"force": 1})
    assert not_forced.status_code == 409  # force needs the taskForceDelete right
    sim.set(force_delete_right=True)
    forced = api.delete(url(sim, f"/editor/task/{single['id']}"), params={"force": 1})
    assert forced.status_code == 200
    assert forced.content == b""  # section 84
    assert forced.headers["Content-Type"] == "application/json, application/json"
    gone = api.get(url(sim, f"/editor/task/{single['id']}"))
    assert gone.status_code == 404
    assert gone.json()["errorMessage"] == f"Task Entity Not Found: Key: #PK; Value: {single['id']}"
    put_gone = api.put(url(sim, f"/editor/task/{single['id']}"), data={"data": '{"taskName":"x"}'})
    assert (put_gone.status_code, put_gone.json()["errorCode"]) == (409, "E1774")
    project = create_task(sim, api, targetLang="de,fr", files=PACKAGE)
    assert api.delete(url(sim, f"/editor/task/{project['id']}")).status_code == 200
    assert api.get(url(sim, "/editor/task")).json()["total"] == "0"


@pytest.mark.parametrize("translate5_simulator", [{"numbers_as_strings": False}], indirect=True)
def test_native_numbers_variant(translate5_simulator: Translate5Simulator) -> None:
    """``numbers_as_strings=False``: every id and counter a JSON number (robustness variant)."""
    sim = translate5_simulator
    with requests.Session() as api:
        api.headers.update({"Accept": "application/json", "Translate5AuthToken": sim.token})
        row = create_task(sim, api)
        assert isinstance(row["id"], int)
        assert isinstance(row["projectTasks"]["sourceLang"], int)
        listed = api.get(url(sim, "/editor/task"), params={"limit": 10}).json()
        assert isinstance(listed["total"], int)
        assert isinstance(listed["rows"][0]["entityVersion"], int)
        assert isinstance(api.get(url(sim, "/editor/language")).json()["rows"][0]["lcid"], int)


def test_callback_after_each_task_import(sim: Translate5Simulator, api: requests.Session) -> None:
    received: list[dict[str, Any]] = []
    with Translate5Simulator() as receiver:
        sim.set(callback_url=receiver.base_url + "/callback")
        row = create_task(sim, api, targetLang="de,fr", files=PACKAGE)
        eventually(lambda: len(sim.callbacks) == 2, what="a callback per task")
        received = sim.callbacks
        hits = receiver.requests.count("POST", "/callback")
    assert hits == 2
    assert {str(c["taskId"]) for c in received} == {t["id"] for t in row["projectTasks"]}
    assert {c["state"] for c in received} == {"open"}


def test_listing_while_other_requests_create_tasks(sim: Translate5Simulator, api: requests.Session) -> None:
    """Concurrent creates never make a list request fail (the store is read under its lock)."""
    headers = {"Accept": "application/json", "Translate5AuthToken": sim.token}
    created: list[int] = []

    def create_some() -> None:
        data = {"taskName": "busy", "sourceLang": "en", "targetLang": "de"}
        upload = {"importUpload": ("a.xlf", XLIFF)}
        with requests.Session() as own:
            own.headers.update(headers)
            for _ in range(8):
                answer = own.post(url(sim, "/editor/task"), data=data, files=upload)
                created.append(answer.status_code)

    workers = [threading.Thread(target=create_some) for _ in range(4)]
    for worker in workers:
        worker.start()
    listed = []
    while any(worker.is_alive() for worker in workers):
        listed.append(api.get(url(sim, "/editor/task")).status_code)
    for worker in workers:
        worker.join()
    assert set(listed) == {200}
    assert created == [200] * 32
    assert api.get(url(sim, "/editor/task")).json()["total"] == "32"
