"""Raw HTTP facts of task creation, import, lookup and change: what the client's parsing relies on.

Each assertion is something the recorded real translate5 showed (ids and most numbers as JSON strings,
``total`` a string in task lists, a project answer for several targets, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from contract_support import (
    PAGE,
    SECOND_PAGE,
    SECOND_TARGET,
    SOURCE,
    TARGET,
    XLIFF_TYPE,
    Cleanup,
    T5Http,
    as_recorded,
    create_owned_task,
    describe,
    import_package,
    recorded_type,
    wait_for_import,
)


@pytest.fixture(scope="module")
def language_ids(t5_http: T5Http) -> dict[str, str]:
    """rfc5646 code -> language id (as the string task rows report it)."""
    payload = t5_http.ok("GET", "/editor/language")
    assert isinstance(payload["rows"], list)
    total = payload["total"]
    assert isinstance(total, int), recorded_type(total, int, "total of GET /editor/language")
    return {row["rfc5646"]: str(row["id"]) for row in payload["rows"]}


def create(http: T5Http, cleanup: Cleanup, name: str, **fields: Any) -> dict[str, Any]:
    """Create a one-file en -> de task (``fields`` override/add form fields); returns the ``rows`` object."""
    body = create_owned_task(http, cleanup, name, **fields)
    assert body["success"] is True
    return dict(body["rows"])


#: ``importUpload_type[]`` of two uploaded files: the first a work file, the second a reference file.
WORK_AND_REFERENCE = (("importUpload_type[]", "workfiles"), ("importUpload_type[]", "reference"))


def import_two_files(http: T5Http, name: str, second_file: str, *fields: tuple[str, str]) -> dict[str, Any]:
    """Upload ``PAGE`` and ``SECOND_PAGE`` (as ``second_file``) into one en -> de task, the form fields
    ``fields`` added; returns the row once imported. ``name`` must be registered for the clean-up."""
    response = http.create_task(
        [
            ("importUpload[]", ("about.xlf", PAGE, XLIFF_TYPE)),
            ("importUpload[]", (second_file, SECOND_PAGE, XLIFF_TYPE)),
        ],
        [("taskName", name), ("foreignId", name), ("sourceLang", SOURCE), ("targetLang", TARGET), *fields],
    )
    assert response.status_code == 200, describe(response)
    return wait_for_import(http, response.json()["rows"]["id"])


def test_language_list_gives_codes_and_string_ids(language_ids: dict[str, str]) -> None:
    missing = {SOURCE, TARGET, SECOND_TARGET} - set(language_ids)
    assert not missing, f"the suite needs the languages {SOURCE}, {TARGET}, {SECOND_TARGET}, not: {missing}"
    assert all(value.isdigit() for value in language_ids.values())


def test_create_single_file_task_then_start_its_import(
    t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str], language_ids: dict[str, str]
) -> None:
    name = unique_name("single ÄÖ")
    rows = create(
        t5_http, cleanup, name, foreignName="CMS page 4711", description="Created by the CMS connector",
        autoStartImport="0",
    )  # fmt: skip
    # ids and numbers are JSON strings; the one-target answer is a task whose projectTasks is ONE object
    assert isinstance(rows["id"], str), recorded_type(rows["id"], str, "rows.id of the create answer")
    assert rows["id"].isdigit()
    version = rows["entityVersion"]
    assert isinstance(version, str), recorded_type(version, str, "rows.entityVersion")
    assert rows["taskGuid"].startswith("{")
    assert rows["taskName"] == name
    assert rows["foreignId"] == name
    assert rows["foreignName"] == "CMS page 4711"
    assert rows["description"] == "Created by the CMS connector"
    assert rows["sourceLang"] == language_ids[SOURCE]
    assert rows["targetLang"] == language_ids[TARGET]
    assert rows["projectId"] == rows["id"]
    assert isinstance(rows["projectTasks"], dict)
    assert rows["projectTasks"]["id"] == rows["id"]
    # not started yet, yet indistinguishable by state from a running import
    assert rows["state"] == "import"
    assert rows["workflowStepName"] == "no workflow"
    task_id = rows["id"]
    assert t5_http.task(task_id)["state"] == "import"

    started = t5_http.ok("POST", f"/editor/task/{task_id}/import")
    assert started["rows"]["id"] == task_id

    progress = t5_http.ok("GET", "/editor/task/importprogress", params={"taskGuid": rows["taskGuid"]})
    assert isinstance(progress["progress"], dict), progress
    assert progress["progress"]["operationType"] == "import"
    assert 0 <= progress["progress"]["progress"] <= 100

    final = wait_for_import(t5_http, task_id)
    assert final["state"] == "open"
    assert final["locked"] is None
    as_recorded(final["segmentCount"], "3", "segmentCount")
    assert final["workflowStepName"] == "no workflow"  # nobody assigned yet

    done = t5_http.ok("GET", "/editor/task/importprogress", params={"taskGuid": rows["taskGuid"]})["progress"]
    assert done["progress"] == 100
    assert done["workersDone"] == done["workersTotal"]


def test_create_with_every_documented_field(
    t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str], imported_task: dict[str, Any]
) -> None:
    name = unique_name("fields")
    rows = create(
        t5_http,
        cleanup,
        name,
        foreignName="Foreign name",
        description="Every field",
        taskNr="T-4711",
        workflow="default",
        edit100PercentMatch="1",
        lockLocked="1",
        usageMode="cooperative",
        orderdate="2026-12-01 00:00:00",
        deadlineDate="2027-01-15 12:00:00",
        customerId=imported_task["customerId"],
        wordCount="42",
        relaisLang="",
        autoStartImport="1",
    )
    as_recorded(rows["wordCount"], "42", "wordCount")
    as_recorded(rows["relaisLang"], "0", "relaisLang")  # empty: no pivot language
    assert rows["taskNr"] == "T-4711"
    assert rows["workflow"] == "default"
    as_recorded(rows["edit100PercentMatch"], "1", "edit100PercentMatch")
    as_recorded(rows["lockLocked"], "1", "lockLocked")
    assert rows["usageMode"] == "cooperative"
    assert rows["orderdate"] == "2026-12-01 00:00:00"
    assert rows["deadlineDate"] == "2027-01-15 12:00:00"
    assert rows["customerId"] == imported_task["customerId"]
    final = wait_for_import(t5_http, rows["id"])
    assert final["state"] == "open"
    assert final["taskNr"] == "T-4711"


def test_several_files_in_one_task(t5_http: T5Http, cleanup: Cleanup) -> None:
    final = import_two_files(t5_http, cleanup.owned_name("two files"), "products.xlf")
    as_recorded(final["segmentCount"], "5", "segmentCount")


def test_file_types_count_only_with_file_languages(t5_http: T5Http, cleanup: Cleanup) -> None:
    """A reference file is imported as reference only when its language list is sent along."""
    final = import_two_files(
        t5_http,
        cleanup.owned_name("reference"),
        "styleguide.xlf",
        *WORK_AND_REFERENCE,
        ("importUpload_language[]", TARGET),
        ("importUpload_language[]", TARGET),
    )
    as_recorded(final["segmentCount"], "3", "segmentCount")  # only the work file has segments
    as_recorded(final["referenceFiles"], "1", "referenceFiles")


def test_file_types_without_file_languages_are_ignored(t5_http: T5Http, cleanup: Cleanup) -> None:
    """Why the client always sends file languages: without them the reference file is translated too."""
    final = import_two_files(t5_http, cleanup.owned_name("types only"), "styleguide.xlf", *WORK_AND_REFERENCE)
    as_recorded(final["segmentCount"], "5", "segmentCount")
    as_recorded(final["referenceFiles"], "0", "referenceFiles")


def test_one_plain_file_with_two_targets_is_a_500_and_leaves_nothing(
    t5_http: T5Http, cleanup: Cleanup
) -> None:
    name = cleanup.owned_name("plain two targets")
    response = t5_http.create_task(
        [("importUpload", ("plain.xlf", PAGE, XLIFF_TYPE))],
        [
            ("taskName", name),
            ("foreignId", name),
            ("sourceLang", SOURCE),
            ("targetLang[]", TARGET),
            ("targetLang[]", SECOND_TARGET),
        ],
    )
    assert response.status_code == 500, describe(response)
    assert response.json()["success"] is False
    assert t5_http.tasks_where("foreignId", name) == []
    assert t5_http.tasks_where("foreignId", name, projects_only=True) == []


@pytest.fixture(scope="module")
def project(t5_http: T5Http, session_cleanup: Cleanup, language_ids: dict[str, str]) -> dict[str, Any]:
    """A ZIP import package (two work files) created for two targets: the create answer (a project)."""
    name = session_cleanup.owned_name("bundle")
    package = import_package({"about.xlf": PAGE, "products.xlf": SECOND_PAGE})
    response = t5_http.create_task(
        [("importUpload", ("package.zip", package, "application/zip"))],
        [
            ("taskName", name),
            ("foreignId", name),
            ("foreignName", "CMS bundle"),
            ("sourceLang", SOURCE),
            ("targetLang[]", TARGET),
            ("targetLang[]", SECOND_TARGET),
        ],
    )
    assert response.status_code == 200, describe(response)
    rows = dict(response.json()["rows"])
    session_cleanup.task(rows["id"])
    wait_for_import(t5_http, rows["id"])
    return rows


def test_zip_package_with_two_targets_gives_a_project_with_one_task_per_target(
    t5_http: T5Http, project: dict[str, Any], language_ids: dict[str, str]
) -> None:
    assert project["taskType"] == "project"
    assert project["state"] == "project"
    as_recorded(project["targetLang"], "0", "targetLang")
    tasks = project["projectTasks"]
    assert isinstance(tasks, list)
    assert len(tasks) == 2
    assert {task["targetLang"] for task in tasks} == {language_ids[TARGET], language_ids[SECOND_TARGET]}
    for task in tasks:
        assert task["taskType"] == "projectTask"
        assert task["projectId"] == project["id"]
        assert task["foreignId"] == project["foreignId"]
        assert task["foreignName"] == "CMS bundle"
    assert {task["taskName"] for task in tasks} == {
        f"{project['taskName']} - {SOURCE} / {TARGET}",
        f"{project['taskName']} - {SOURCE} / {SECOND_TARGET}",
    }

    # GET of the project: the project row, without projectTasks
    row = t5_http.task(project["id"])
    assert row["taskType"] == "project"
    assert "projectTasks" not in row

    # each project task imported both work files
    for task in tasks:
        imported = t5_http.task(task["id"])
        assert imported["state"] == "open"
        as_recorded(imported["segmentCount"], "5", "segmentCount")


def test_project_tasks_by_project_id_filter(t5_http: T5Http, project: dict[str, Any]) -> None:
    payload = t5_http.list_tasks([{"operator": "eq", "value": int(project["id"]), "property": "projectId"}])
    as_recorded(payload["total"], "2", "total of a task list")
    assert sorted(row["id"] for row in payload["rows"]) == sorted(t["id"] for t in project["projectTasks"])


def test_find_by_foreign_id_and_projects_only(t5_http: T5Http, project: dict[str, Any]) -> None:
    rule = [{"operator": "eq", "value": project["foreignId"], "property": "foreignId"}]
    tasks = t5_http.list_tasks(rule)
    assert isinstance(tasks["total"], str), recorded_type(tasks["total"], str, "total of a task list")
    assert {row["taskType"] for row in tasks["rows"]} == {"projectTask"}
    assert int(tasks["total"]) == 2

    projects = t5_http.list_tasks(rule, projectsOnly=1)
    assert [row["id"] for row in projects["rows"]] == [project["id"]]
    assert projects["rows"][0]["taskType"] == "project"
    assert "projectTasks" not in projects["rows"][0]


def test_filter_in_sort_and_paging(
    t5_http: T5Http, project: dict[str, Any], imported_task: dict[str, Any]
) -> None:
    ids = [int(imported_task["id"])] + [int(task["id"]) for task in project["projectTasks"]]
    rule = [{"operator": "in", "value": ids, "property": "id"}]
    found = t5_http.list_tasks(rule)
    assert sorted(int(row["id"]) for row in found["rows"]) == sorted(ids)
    as_recorded(found["total"], str(len(ids)), "total of a task list")

    sort = json.dumps([{"property": "id", "direction": "DESC"}])
    first = t5_http.list_tasks(rule, sort=sort, start=0, limit=2)
    second = t5_http.list_tasks(rule, sort=sort, start=2, limit=2)
    as_recorded(first["total"], str(len(ids)), "total (every match, not the page)")
    assert [int(row["id"]) for row in first["rows"] + second["rows"]] == sorted(ids, reverse=True)
    assert len(first["rows"]) == 2


def test_update_with_stale_entity_version_is_409_then_current_one_works(
    t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str]
) -> None:
    name = unique_name("rename")
    task_id = create(t5_http, cleanup, name)["id"]
    current = wait_for_import(t5_http, task_id)
    version = int(current["entityVersion"])

    stale = t5_http.put_task(task_id, {"taskName": f"{name} (renamed)", "entityVersion": version - 1})
    assert stale.status_code == 409, describe(stale)
    body = stale.json()
    assert body["httpStatus"] == 409
    assert body["success"] is False
    assert t5_http.task(task_id)["taskName"] == name

    response = t5_http.put_task(task_id, {"taskName": f"{name} (renamed)", "entityVersion": version})
    assert response.status_code == 200, describe(response)
    rows = response.json()["rows"]
    assert rows["taskName"] == f"{name} (renamed)"
    assert int(rows["entityVersion"]) > version


def test_end_and_reopen(t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str]) -> None:
    task_id = create(t5_http, cleanup, unique_name("end"))["id"]
    row = wait_for_import(t5_http, task_id)

    ended = t5_http.put_task(task_id, {"state": "end", "entityVersion": int(row["entityVersion"])})
    assert ended.status_code == 200, describe(ended)
    body = ended.json()
    assert body["rows"]["state"] == "end"
    assert {"taskEditable", "taskFinished", "taskProgress"} <= set(body)  # extra top-level keys of a PUT
    assert t5_http.task(task_id)["state"] == "end"

    version = int(t5_http.task(task_id)["entityVersion"])
    reopened = t5_http.put_task(task_id, {"state": "open", "entityVersion": version})
    assert reopened.status_code == 200, describe(reopened)
    assert reopened.json()["rows"]["state"] == "open"
    assert t5_http.task(task_id)["state"] == "open"


def test_delete_answers_an_empty_200_then_the_task_is_404(
    t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str]
) -> None:
    task_id = create(t5_http, cleanup, unique_name("delete"))["id"]
    wait_for_import(t5_http, task_id)

    response = t5_http.delete(f"/editor/task/{task_id}")
    assert response.status_code == 200, describe(response)
    assert response.content.strip() == b""

    gone = t5_http.get(f"/editor/task/{task_id}")
    assert gone.status_code == 404, describe(gone)
    assert gone.json()["httpStatus"] == 404
