"""What a real translate5 answers (bodies and headers copied from recorded answers), and what the client makes
of it. Section numbers refer to the recorded transcripts summarised in docs/compatibility.md."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from airflow_provider_translate5.client import (
    Translate5ConflictError,
    Translate5LimitError,
    Translate5PermissionError,
    Translate5ResponseError,
    Translate5ValueError,
)
from airflow_provider_translate5.client.limits import Limits

from .conftest import BASE, LANGUAGES, task_row

JSON_TWICE = {"Content-Type": "application/json, application/json"}  # two headers, joined by requests


def put_answer(state: str) -> dict:
    """Sections 67/68: PUT answers carry progress counters beside ``rows``; numbers arrive as strings."""
    return {
        "taskEditable": 3,
        "taskFinished": 3,
        "taskProgress": 1,
        "userProgress": False,
        "rows": task_row(64, id="64", entityVersion="27", state=state, projectId="64"),
    }


def test_a_duplicated_json_content_type_is_parsed(client, answer):
    answer("GET", "/editor/task/64", {"rows": task_row(64, id="64")}, headers=JSON_TWICE)
    assert client.get_task(64).id == 64


def test_delete_answering_200_with_an_empty_body_is_nothing_to_parse(client, answer):
    answer("DELETE", "/editor/task/64", text="", headers=JSON_TWICE)  # section 84
    assert client.delete_task(64) is None


@pytest.mark.parametrize(("call", "state"), [("end_task", "end"), ("reopen_task", "open")])
def test_end_and_reopen_tolerate_the_extra_top_level_keys_of_a_put_answer(client, answer, sent, call, state):
    answer("PUT", "/editor/task/64", put_answer(state), headers=JSON_TWICE)
    task = getattr(client, call)(64)
    assert (task.id, task.state, task.entity_version) == (64, state, 27)
    assert json.loads(sent[0].value("data")) == {"state": state}


@pytest.mark.parametrize(
    ("call", "state", "kept"), [("end_task", "end", "import"), ("reopen_task", "open", "ExcelExported")]
)
def test_a_state_change_translate5_silently_ignored_is_an_error_naming_the_state(
    client, answer, call, state, kept
):
    answer("PUT", "/editor/task/64", put_answer(kept), headers=JSON_TWICE)
    with pytest.raises(Translate5ConflictError) as caught:
        getattr(client, call)(64)
    assert f"ignored state='{state}'" in str(caught.value)
    assert f"in state '{kept}'" in str(caught.value)
    assert not caught.value.terminal


def test_a_redirect_to_login_is_a_permission_error_and_never_followed(client, answer, requests_mock):
    # Sections 51/52: a plain editor's token on a job endpoint.
    answer(
        "GET",
        "/editor/task/64/job",
        text="",
        status=302,
        headers={"Location": "/login", "Content-type": "text/html; charset=utf-8"},
    )
    requests_mock.get(BASE + "/login", text="<html>login page</html>")
    with pytest.raises(Translate5PermissionError, match="login page") as caught:
        client.list_jobs(64)
    assert caught.value.terminal
    assert [r.path for r in requests_mock.request_history] == ["/editor/task/64/job"]


def test_an_xml_answer_is_a_clear_error_naming_the_accept_header(client, answer, sent):
    # Section 02: without Accept: application/json translate5 answers XML (a proxy may drop the header).
    answer(
        "GET",
        "/editor/session/current",
        text='<?xml version="1.0"?>\n<response><state>authenticated</state></response>',
        headers={"Content-Type": "application/json, application/xml"},
    )
    with pytest.raises(Translate5ResponseError, match=r"XML, not JSON.*Accept: application/json"):
        client.whoami()
    assert sent[0].headers["Accept"] == "application/json"


def test_pathological_json_nesting_is_a_response_error_not_a_recursion_error(client, answer):
    answer("GET", "/editor/task/64", text="[" * 100_000 + "]" * 100_000, headers=JSON_TWICE)
    with pytest.raises(Translate5ResponseError, match="nested too deeply"):
        client.get_task(64)


def test_a_json_answer_over_the_limit_is_refused_without_reading_it_all(make_client, requests_mock):
    client = make_client(limits=Limits(max_json_bytes=1000))
    read: list[int] = []

    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[override]
            read.append(len(buffer))
            buffer[:] = b" " * len(buffer)
            return len(buffer)

    requests_mock.get(BASE + "/editor/task", body=Endless(), headers=JSON_TWICE)
    with pytest.raises(Translate5LimitError, match="more than 1000 bytes of JSON") as caught:
        client.list_tasks()
    assert caught.value.terminal
    assert sum(read) < 1 << 20  # stopped right after the limit, not at the end of a 200 MB list


def test_an_error_listed_as_nested_lists_reads_as_text(client, answer):
    body = {  # section 82
        "errorCode": "E1046",
        "httpStatus": 409,
        "errorMessage": "The current task status does not allow that action.",
        "message": "Conflict",
        "success": False,
        "errorsTranslated": [["The current status of the task prohibits this action!"]],
    }
    answer("DELETE", "/editor/task/70", body, status=409, headers=JSON_TWICE)
    with pytest.raises(Translate5ConflictError) as caught:
        client.delete_task(70)
    assert "The current status of the task prohibits this action!" in str(caught.value)
    assert "[" not in str(caught.value)


def test_languages_are_fetched_once_per_process_and_server(make_client, answer, sent):
    answer("GET", "/editor/language", {"rows": LANGUAGES, "total": len(LANGUAGES)})
    for _ in range(3):
        with make_client() as client:
            assert client.resolve_language("de").id == 4
    assert [s.path for s in sent] == ["/editor/language"]


def test_malformed_language_codes_fail_without_any_request(client, requests_mock):
    with pytest.raises(Translate5ValueError, match='did you mean "en-GB"'):
        client.resolve_language("en_GB")
    assert requests_mock.call_count == 0


def test_get_tasks_asks_for_many_ids_in_few_requests(client, answer, sent):
    answer(
        "GET",
        "/editor/task",
        responses=[
            {"json": {"total": "2", "rows": [task_row(1, id="1"), task_row(2, id="2")]}},
            {"json": {"total": "1", "rows": [task_row(3, id="3")]}},
        ],
    )
    found = client.get_tasks([1, "2", 3, 4, 1], page_size=2)
    assert sorted(found) == [1, 2, 3]  # 4 no longer exists
    assert [json.loads(s.query["filter"][0])[0]["value"] for s in sent] == [[1, 2], [3, 4]]
    assert [s.query["limit"] for s in sent] == [["2"], ["2"]]


# -- create_task: what is checked before the upload, and how several targets are sent ----------------------


@pytest.mark.usefixtures("languages")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_lang": ["de", "de"]}, "the same language twice"),
        ({"target_lang": ["de", "lcid-1031"]}, "the same language twice"),
        ({"target_lang": ["de", ""]}, "empty language"),
        ({"target_lang": []}, "at least one language"),
        ({"foreign_id": "x" * 121}, "at most 120"),
        ({"task_name": "n" * 256}, "at most 255"),
        ({"file_types": ["pivot"]}, "need relais_lang"),
        ({"file_types": ["reference"], "target_lang": ["de", "fr"]}, "at least one work file"),
    ],
)
def test_create_task_refuses_what_translate5_would_refuse_before_sending_anything(
    client, requests_mock, kwargs, message
):
    args = {"task_name": "t", "source_lang": "en", "target_lang": "de", **kwargs}
    with pytest.raises(Translate5ValueError, match=message):
        client.create_task(("a.xlf", io.BytesIO(b"<xliff/>")), **args)
    assert [r.path for r in requests_mock.request_history if r.method == "POST"] == []


def _package(sent_files):
    assert len(sent_files) == 1
    field, name, content = sent_files[0]
    assert (field, name) == ("importUpload", "import-package.zip")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


PROJECT = {
    "success": True,
    "rows": {
        **task_row(68, id="68", taskType="project", state="project", targetLang="0"),
        "projectTasks": [
            task_row(69, id="69", taskType="projectTask", projectId="68"),
            task_row(70, id="70", taskType="projectTask", projectId="68", targetLang="6"),
        ],
    },
}


@pytest.mark.usefixtures("languages")
def test_one_plain_file_with_two_targets_goes_as_an_import_package(
    client, answer, sent, tmp_path, monkeypatch
):
    # Section 20: a plain file with two targetLang[] is a 500 on translate5; section 21: a package works.
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    answer("POST", "/editor/task", PROJECT)
    source = tmp_path / "About us ÄÖ.xlf"
    source.write_bytes(b"<xliff>about</xliff>")
    project = client.create_task(source, task_name="CMS bundle", source_lang="en", target_lang=["de", "fr"])
    create = sent[-1]
    assert _package(create.files) == {"workfiles/About us ÄÖ.xlf": b"<xliff>about</xliff>"}
    assert create.values("targetLang[]") == ["de", "fr"]
    assert create.values("importUpload_type[]") == []
    assert project.task_ids == [69, 70]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["About us ÄÖ.xlf"]  # the package file is gone


@pytest.mark.usefixtures("languages")
def test_file_types_with_several_targets_become_package_folders(client, answer, sent):
    answer("POST", "/editor/task", PROJECT)
    client.create_task(
        [("a.xlf", io.BytesIO(b"a")), ("a_en.xlf", io.BytesIO(b"p")), ("brief.pdf", io.BytesIO(b"r"))],
        task_name="typed",
        source_lang="de",
        target_lang=["fr", "en-GB"],
        relais_lang="en",
        file_types=["workfiles", "pivot", "reference"],
    )
    assert _package(sent[-1].files) == {
        "workfiles/a.xlf": b"a",
        "relais/a_en.xlf": b"p",
        "referenceFiles/brief.pdf": b"r",
    }
    assert sent[-1].values("importUpload_type[]") == []
    assert sent[-1].value("relaisLang") == "en"


@pytest.mark.usefixtures("languages")
def test_file_types_with_one_target_are_sent_with_that_target_as_every_files_language(client, answer, sent):
    # translate5 ignores importUpload_type[] unless importUpload_language[] comes too.
    answer("POST", "/editor/task", {"success": True, "rows": task_row(64, id="64")})
    client.create_task(
        [("about.xlf", io.BytesIO(b"a")), ("styleguide.xlf", io.BytesIO(b"s"))],
        task_name="with reference",
        source_lang="en",
        target_lang="de",
        file_types=["workfiles", "reference"],
    )
    create = sent[-1]
    assert create.values("importUpload_type[]") == ["workfiles", "reference"]
    assert create.values("importUpload_language[]") == ["de", "de"]
    assert [(f[0], f[1]) for f in create.files] == [
        ("importUpload[]", "about.xlf"),
        ("importUpload[]", "styleguide.xlf"),
    ]


@pytest.mark.usefixtures("languages")
def test_file_languages_send_both_per_file_lists_with_the_plain_files(client, answer, sent):
    answer("POST", "/editor/task", PROJECT)
    client.create_task(
        [("a.xlf", io.BytesIO(b"a")), ("b.xlf", io.BytesIO(b"b"))],
        task_name="per file",
        source_lang="en",
        target_lang=["de", "fr"],
        file_languages=["de", "fr"],
    )
    create = sent[-1]
    assert create.values("importUpload_type[]") == ["workfiles", "workfiles"]
    assert create.values("importUpload_language[]") == ["de", "fr"]
    assert [(f[0], f[1]) for f in create.files] == [("importUpload[]", "a.xlf"), ("importUpload[]", "b.xlf")]


@pytest.mark.usefixtures("languages")
def test_a_zip_package_with_two_targets_is_sent_as_it_is(client, answer, sent):
    answer("POST", "/editor/task", PROJECT)
    client.create_task(
        ("bundle.zip", io.BytesIO(b"PK\x03\x04...")),
        task_name="z",
        source_lang="en",
        target_lang=["de", "fr"],
    )
    assert sent[-1].files == [("importUpload", "bundle.zip", b"PK\x03\x04...")]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"deadline": 0},
        {"deadline": -5},
        {"deadline": float("nan")},
        {"deadline": float("inf")},
        {"max_json_bytes": 0},
        {"max_download_bytes": True},
        {"max_download_bytes": "1GB"},
    ],
)
def test_limits_refuse_values_that_bound_nothing(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(Translate5ValueError, match=name):
        Limits(**kwargs)


def test_a_language_missing_from_an_old_cached_list_is_looked_up_once_more(
    make_client, answer, sent, monkeypatch
):
    from airflow_provider_translate5.client import client as module

    added = {"id": 7, "langName": "Italian", "lcid": 1040, "rfc5646": "it"}
    answer(
        "GET",
        "/editor/language",
        responses=[{"json": {"rows": LANGUAGES}}, {"json": {"rows": [*LANGUAGES, added]}}],
    )
    with make_client() as client:
        assert client.resolve_language("de").id == 4
        with pytest.raises(Translate5ValueError, match="unknown language 'it'"):
            client.resolve_language("it")  # the list is fresh: no second request
    monkeypatch.setattr(module, "LANGUAGES_RECHECK_AFTER", 0.0)  # the cached list is now "old"
    with make_client() as client:
        assert client.resolve_language("it").id == 7  # added on the server after the first lookup
        with pytest.raises(Translate5ValueError, match="unknown language 'xx'"):
            client.resolve_language("xx")
    assert [s.path for s in sent] == ["/editor/language"] * 3


def test_a_job_delete_answering_only_a_workflow_notice_succeeds_without_a_version_header(
    client, answer, sent
):
    # Section 75: 200 with an "errors" list holding a German notice, no rows; section 74: a wrong
    # Mqi-Entity-Version is a 409, so the client sends none unless asked to.
    notice = {
        "origin": "core",
        "msg": 'Der Workflow Schritt der Aufgabe wurde zu "{0}" geändert!',
        "id": -1,
        "data": "No workflow",
        "type": "notice",
    }
    answer("DELETE", "/editor/task/70/job/3", {"errors": [notice]}, headers=JSON_TWICE)
    assert client.delete_job(70, 3) is None
    assert "Mqi-Entity-Version" not in sent[0].headers
