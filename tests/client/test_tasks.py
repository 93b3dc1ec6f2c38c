"""Task calls: URLs, methods, fields sent, and how the answers are parsed."""

from __future__ import annotations

import io
import json
import re

import pytest

from airflow_provider_translate5.client import (
    Filter,
    Sort,
    Translate5AuthError,
    Translate5ValueError,
)

from .conftest import task_row

GUID = "{0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0}"


def test_list_tasks_sends_paging_filter_sort_and_projects_only(client, answer, sent):
    answer("GET", "/editor/task", {"total": "12", "rows": [task_row(1), task_row(2, id="2")]})
    page = client.list_tasks(
        filters=[Filter.eq("foreignId", "cms-1"), Filter.in_("state", ["open", "end"])],
        sort=[Sort.desc("orderdate")],
        start=10,
        limit=2,
        projects_only=True,
    )
    assert page.total == 12
    assert [t.id for t in page.rows] == [1, 2]
    query = sent[0].query
    assert query["start"] == ["10"]
    assert query["limit"] == ["2"]
    assert query["projectsOnly"] == ["1"]
    assert json.loads(query["filter"][0]) == [
        {"operator": "eq", "property": "foreignId", "value": "cms-1"},
        {"operator": "in", "property": "state", "value": ["open", "end"]},
    ]
    assert json.loads(query["sort"][0]) == [{"property": "orderdate", "direction": "DESC"}]


def test_list_tasks_without_options_sends_only_start(client, answer, sent):
    answer("GET", "/editor/task", {"total": 0, "rows": []})
    assert client.list_tasks().rows == []
    assert sent[0].query == {"start": ["0"]}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": -1}, "start must be an integer >= 0, got -1"),
        ({"start": "3"}, "start must be an integer >= 0, got '3'"),
        ({"limit": 0}, "limit must be an integer >= 1 (or None for all rows), got 0"),
        ({"limit": -5}, "limit must be an integer >= 1 (or None for all rows), got -5"),
        ({"limit": True}, "limit must be an integer >= 1 (or None for all rows), got True"),
    ],
)
def test_list_tasks_refuses_bad_paging_before_any_request(client, requests_mock, kwargs, message):
    with pytest.raises(Translate5ValueError, match=re.escape(message)):
        client.list_tasks(**kwargs)
    assert requests_mock.call_count == 0


def test_iter_tasks_pages_until_total_and_skips_duplicates(client, answer, sent):
    answer(
        "GET",
        "/editor/task",
        responses=[
            {"json": {"total": 5, "rows": [task_row(1), task_row(2)]}},
            {"json": {"total": 5, "rows": [task_row(2), task_row(3)]}},  # a row moved between pages
            {"json": {"total": 5, "rows": [task_row(4)]}},
        ],
    )
    assert [t.id for t in client.iter_tasks(page_size=2)] == [1, 2, 3, 4]
    assert [(s.query["start"], s.query["limit"]) for s in sent] == [
        (["0"], ["2"]),
        (["2"], ["2"]),
        (["4"], ["2"]),
    ]


def test_iter_tasks_stops_on_an_empty_page_even_if_total_says_more(client, answer, sent):
    answer(
        "GET",
        "/editor/task",
        responses=[
            {"json": {"total": 50, "rows": [task_row(1), task_row(2)]}},
            {"json": {"total": 50, "rows": []}},
        ],
    )
    assert [t.id for t in client.iter_tasks(page_size=2)] == [1, 2]
    assert len(sent) == 2


def test_iter_tasks_stops_when_total_is_reached(client, answer, sent):
    answer("GET", "/editor/task", {"total": 2, "rows": [task_row(1), task_row(2)]})
    assert len(list(client.iter_tasks(page_size=2))) == 2
    assert len(sent) == 1


@pytest.mark.parametrize("page_size", [0, -1, 2.0])
def test_iter_tasks_and_get_tasks_refuse_a_bad_page_size_at_the_call(client, requests_mock, page_size):
    message = f"page_size must be an integer >= 1, got {page_size!r}"
    with pytest.raises(Translate5ValueError, match=re.escape(message)):
        client.iter_tasks(page_size=page_size)  # not only when iterated
    with pytest.raises(Translate5ValueError, match=re.escape(message)):
        client.get_tasks([1], page_size=page_size)
    assert requests_mock.call_count == 0


def test_get_task_parses_the_rows_object(client, answer, sent):
    answer(
        "GET",
        "/editor/task/7",
        {"rows": task_row(7, entityVersion="9", lastErrors=[{"message": "boom"}], customField1="kept")},
    )
    task = client.get_task("7")
    assert (task.id, task.entity_version, task.last_errors) == (7, 9, ["boom"])
    assert task.raw["customField1"] == "kept"
    assert (sent[0].method, sent[0].path) == ("GET", "/editor/task/7")


@pytest.mark.parametrize("bad", ["7/../../x", "", "abc", 0, -3, True, "7.5"])
def test_ids_in_paths_must_be_positive_integers(client, requests_mock, bad):
    message = f"task id must be a positive integer, got {bad!r}"
    with pytest.raises(Translate5ValueError, match=re.escape(message)):
        client.get_task(bad)
    assert requests_mock.call_count == 0


def test_find_tasks_by_foreign_id_is_one_request_for_the_top_level_entries(client, answer, sent):
    # Transcript 34: projectsOnly=1 lists projects and single-target tasks, each upload's one root entry.
    answer(
        "GET",
        "/editor/task",
        {
            "total": "2",
            "rows": [
                task_row(68, taskType="project", projectId="68", foreignId="cms-1"),
                task_row(64, taskType="default", projectId="64", foreignId="cms-1"),
            ],
        },
    )
    found = client.find_tasks_by_foreign_id("cms-1")
    assert [t.id for t in found] == [68, 64]
    assert len(sent) == 1
    assert sent[0].query["projectsOnly"] == ["1"]
    assert json.loads(sent[0].query["filter"][0]) == [
        {"operator": "eq", "property": "foreignId", "value": "cms-1"}
    ]


def test_find_tasks_by_foreign_id_refuses_what_translate5_cannot_store(client, requests_mock):
    with pytest.raises(Translate5ValueError, match="at most 120"):
        client.find_tasks_by_foreign_id("x" * 121)
    assert requests_mock.call_count == 0


def test_project_tasks_of_a_project_lists_its_tasks(client, answer, sent):
    answer(
        "GET", "/editor/task/10", {"rows": task_row(10, taskType="project", state="project", targetLang=0)}
    )
    answer(
        "GET", "/editor/task", {"total": 2, "rows": [task_row(11, projectId=10), task_row(12, projectId=10)]}
    )
    assert [t.id for t in client.project_tasks(10)] == [11, 12]
    assert json.loads(sent[1].query["filter"][0]) == [
        {"operator": "eq", "property": "projectId", "value": 10}
    ]


def test_project_tasks_of_a_plain_task_is_the_task(client, answer):
    answer("GET", "/editor/task/7", {"rows": task_row(7)})
    assert [t.id for t in client.project_tasks(7)] == [7]


@pytest.mark.usefixtures("languages")
def test_create_task_single_target_sends_plain_fields_and_streams_the_file(client, answer, sent, tmp_path):
    source = tmp_path / "page.html"
    source.write_bytes(b"<p>Hello</p>")
    row = task_row(9, state="import", sourceLang="5", targetLang="4")
    answer("POST", "/editor/task", {"success": True, "rows": {**row, "projectTasks": row}})
    task = client.create_task(
        source,
        task_name="Page",
        source_lang="en",
        target_lang=4,
        foreign_id="cms-1",
        foreign_name="cms",
        customer_id=3,
        description="d",
        task_nr="N1",
        workflow="default",
        auto_start_import=False,
        edit_100_percent_match=True,
        lock_locked=False,
        enable_source_editing=True,
        usage_mode="cooperative",
        order_date="2025-01-01 00:00:00",
        deadline_date="2025-02-01 00:00:00",
        word_count=120,
        extra_fields={"customField1": "x"},
    )
    create = sent[-1]
    assert (create.method, create.path) == ("POST", "/editor/task")
    assert create.streamed  # a MultipartEncoder reading the file, not bytes in memory
    assert create.files == [("importUpload", "page.html", b"<p>Hello</p>")]
    assert dict(create.form) == {
        "taskName": "Page",
        "sourceLang": "en",
        "targetLang": "de",
        "foreignId": "cms-1",
        "foreignName": "cms",
        "customerId": "3",
        "description": "d",
        "taskNr": "N1",
        "workflow": "default",
        "autoStartImport": "0",
        "edit100PercentMatch": "1",
        "lockLocked": "0",
        "enableSourceEditing": "1",
        "usageMode": "cooperative",
        "orderdate": "2025-01-01 00:00:00",
        "deadlineDate": "2025-02-01 00:00:00",
        "wordCount": "120",
        "customField1": "x",
    }
    assert "data" not in dict(create.form)
    assert task.id == 9
    assert task.state == "import"
    assert task.source_lang == 5
    assert [t.id for t in task.project_tasks] == [9]
    assert task.task_ids == [9]


@pytest.mark.usefixtures("languages")
def test_create_task_with_several_targets_and_files_returns_the_project(client, answer, sent):
    project = task_row(20, taskType="project", state="project", targetLang=0)
    project["projectTasks"] = [
        task_row(21, taskType="projectTask", projectId=20, targetLang=4),
        task_row(22, taskType="projectTask", projectId="20", targetLang="6"),
    ]
    answer("POST", "/editor/task", {"success": True, "rows": project})
    task = client.create_task(
        [("a.html", io.BytesIO(b"a")), ("b.html", io.BytesIO(b"b")), ("ref.pdf", io.BytesIO(b"r"))],
        task_name="Multi",
        source_lang="en",
        target_lang=["de", "lcid-1036"],
        relais_lang="en-gb",
        file_types=["workfiles", "workfiles", "reference"],
        file_languages=["de", "fr", "de"],
        tbx=("terms.tbx", io.BytesIO(b"<tbx/>")),
        task_config=("task-config.ini", io.BytesIO(b"x=1")),
    )
    create = sent[-1]
    assert create.values("targetLang[]") == ["de", "fr"]
    assert create.values("targetLang") == []
    assert create.value("relaisLang") == "en-GB"
    assert create.values("importUpload_type[]") == ["workfiles", "workfiles", "reference"]
    assert create.values("importUpload_language[]") == ["de", "fr", "de"]
    assert [(f[0], f[1]) for f in create.files] == [
        ("importUpload[]", "a.html"),
        ("importUpload[]", "b.html"),
        ("importUpload[]", "ref.pdf"),
        ("importTbx", "terms.tbx"),
        ("taskConfig", "task-config.ini"),
    ]
    assert task.is_project
    assert task.task_ids == [21, 22]
    assert [t.target_lang for t in task.project_tasks] == [4, 6]


@pytest.mark.usefixtures("languages")
def test_create_task_unknown_language_fails_before_the_upload(client, requests_mock):
    with pytest.raises(Translate5ValueError, match="'xx'"):
        client.create_task(
            ("a.html", io.BytesIO(b"a")), task_name="x", source_lang="en", target_lang=["de", "xx"]
        )
    assert [r.method for r in requests_mock.request_history] == ["GET"]  # only the language list


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (("empty.html", io.BytesIO(b"")), "empty"),
        ("/nonexistent/file.html", "does not exist"),
        ([], "at least one file"),
        (42, "must be a path"),
    ],
)
def test_create_task_refuses_bad_files_before_any_request(client, requests_mock, files, message):
    with pytest.raises(Translate5ValueError, match=message):
        client.create_task(files, task_name="x", source_lang="en", target_lang="de")
    assert requests_mock.call_count == 0


def test_create_task_refuses_mismatched_per_file_lists_before_any_request(client, requests_mock):
    with pytest.raises(Translate5ValueError, match="one entry per file"):
        client.create_task(
            [("a.html", io.BytesIO(b"a"))],
            task_name="x",
            source_lang="en",
            target_lang="de",
            file_types=["a", "b"],
        )
    with pytest.raises(Translate5ValueError, match="file_types"):
        client.create_task(
            [("a.html", io.BytesIO(b"a"))],
            task_name="x",
            source_lang="en",
            target_lang="de",
            file_types=["bogus"],
        )
    assert requests_mock.call_count == 0


def test_create_task_with_an_empty_path_fails_before_any_request(client, requests_mock, tmp_path):
    empty = tmp_path / "empty.xlf"
    empty.touch()
    with pytest.raises(Translate5ValueError, match="empty"):
        client.create_task(empty, task_name="x", source_lang="en", target_lang="de")
    assert requests_mock.call_count == 0


def test_start_import(client, answer, sent):
    answer("POST", "/editor/task/9/import", {"rows": task_row(9, state="import")})
    assert client.start_import(9).state == "import"
    assert (sent[0].method, sent[0].path) == ("POST", "/editor/task/9/import")


def test_import_progress_running_and_finished(client, answer, sent):
    progress = {
        "progress": "99.58",
        "workersDone": "10",
        "workersTotal": 11,
        "taskGuid": GUID,
        "workerRunning": "W",
    }
    answer(
        "GET",
        "/editor/task/importprogress",
        responses=[{"json": {"progress": progress}}, {"json": {"progress": []}}],
    )
    running = client.get_import_progress(GUID)
    assert running is not None
    assert (running.progress, running.workers_done, running.workers_total) == (99.58, 10, 11)
    assert client.get_import_progress(GUID) is None
    assert sent[0].query == {"taskGuid": [GUID]}


def test_update_task_sends_data_json_with_entity_version(client, answer, sent):
    answer("PUT", "/editor/task/7", {"rows": task_row(7, taskName="New", entityVersion=4)})
    task = client.rename_task(7, "New", entity_version=3)
    assert task.task_name == "New"
    assert sent[0].method == "PUT"
    assert sent[0].form == [("data", json.dumps({"taskName": "New", "entityVersion": 3}))]


@pytest.mark.parametrize(
    ("call", "state"), [("end_task", "end"), ("reopen_task", "open"), ("cancel_import", "error")]
)
def test_state_changes(client, answer, sent, call, state):
    answer("PUT", "/editor/task/7", {"rows": task_row(7, state=state)})
    assert getattr(client, call)(7).state == state
    assert json.loads(sent[0].value("data")) == {"state": state}


def test_delete_task_accepts_an_empty_body_and_forces_on_request(client, answer, sent):
    answer("DELETE", "/editor/task/7", text="")
    client.delete_task(7)
    client.delete_task(7, force=True)
    assert sent[0].query == {}
    assert sent[1].query == {"force": ["1"]}


def test_a_missing_ca_bundle_is_refused_at_construction(make_client):
    with pytest.raises(Translate5ValueError, match="CA bundle"):
        make_client(verify="/nonexistent/ca.pem")


def test_whoami_not_authenticated_is_an_auth_error(client, answer):
    answer("GET", "/editor/session/current", {"state": "not authenticated", "user": None}, status=404)
    with pytest.raises(Translate5AuthError, match="not authenticated"):
        client.whoami()


def test_whoami_404_from_a_wrong_base_url_stays_not_found(client, answer):
    from airflow_provider_translate5.client import Translate5NotFoundError

    answer("GET", "/editor/session/current", text="<h1>Not Found</h1>", status=404)
    with pytest.raises(Translate5NotFoundError):
        client.whoami()
