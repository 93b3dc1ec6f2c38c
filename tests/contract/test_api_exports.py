"""Exports, raw: every format the provider offers, their headers and bodies, and the Excel round trip.

What the client's download handling relies on: a ZIP by default (file name percent-encoded), the single
translated file for ``filetranslation`` with a RAW UTF-8 file name and ``text/html`` as its type, a JSON
envelope served as ``text/html`` for an unknown format, and the Excel lock that only a re-import lifts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from contract_support import (
    UPLOAD_NAME,
    XLSX,
    Cleanup,
    T5Http,
    content_types,
    describe,
    import_owned_task,
    unique,
    wait_for_state,
    zip_names,
)


@pytest.fixture(scope="module")
def task(t5_http: T5Http, session_cleanup: Cleanup) -> dict[str, Any]:
    """An imported task of the file ``About us ÄÖ.xlf`` (en -> de), exported by the tests below."""
    return import_owned_task(t5_http, session_cleanup, unique("export ÄÖ"), file_name=UPLOAD_NAME)


def raw_disposition(response: requests.Response) -> str:
    """Content-Disposition as the server sent it: http.client decodes header bytes as latin-1."""
    return response.headers["Content-Disposition"].encode("latin-1").decode("utf-8")


def export(http: T5Http, task_id: str, path: str = "", **params: str) -> requests.Response:
    response = http.get(f"/editor/task/export/id/{task_id}{path}", params=params or None)
    assert response.status_code == 200, describe(response)
    return response


def test_default_export_is_a_zip_of_the_original_files(t5_http: T5Http, task: dict[str, Any]) -> None:
    response = export(t5_http, task["id"])
    assert "application/zip" in content_types(response)
    disposition = raw_disposition(response)
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition
    # the task name, umlauts transliterated, percent-encoded
    assert f"{task['taskName'][:-2].replace(' ', '%20')}AO.zip" in disposition
    assert response.content.startswith(b"PK\x03\x04")
    assert zip_names(response.content) == [UPLOAD_NAME]


def test_filetranslation_is_the_translated_file_with_a_raw_utf8_name(
    t5_http: T5Http, task: dict[str, Any]
) -> None:
    response = export(t5_http, task["id"], format="filetranslation")
    assert "text/html" in content_types(response)
    disposition = raw_disposition(response)
    assert "filename*=UTF-8''About us ÄÖ_de.xlf" in disposition
    assert "filename=About us ÄÖ_de.xlf" in disposition
    assert response.content.lstrip().startswith(b"<?xml")
    assert b"<xliff" in response.content
    assert b"We translate websites." in response.content


def test_xliff2_export_is_a_zip_with_one_xliff(t5_http: T5Http, task: dict[str, Any]) -> None:
    response = export(t5_http, task["id"], format="xliff2")
    assert "application/zip" in content_types(response)
    names = zip_names(response.content)
    assert len(names) == 1
    assert names[0].endswith(".xliff")


@pytest.mark.parametrize(("path", "params"), [("/diff/1", {}), ("", {"diff": "1"})], ids=["path", "query"])
def test_diff_export_in_both_parameter_styles(
    t5_http: T5Http, task: dict[str, Any], path: str, params: dict[str, str]
) -> None:
    response = export(t5_http, task["id"], path, **params)
    assert "application/zip" in content_types(response)
    assert "with%20tracked%20changes.zip" in raw_disposition(response)
    assert zip_names(response.content) == [UPLOAD_NAME]


def test_taskguiddirectory_puts_files_below_the_task_guid(t5_http: T5Http, task: dict[str, Any]) -> None:
    response = export(t5_http, task["id"], taskguiddirectory="1")
    names = zip_names(response.content)
    assert f"{task['taskGuid']}/{UPLOAD_NAME}" in names
    assert all(name.startswith(f"{task['taskGuid']}/") for name in names)


def test_import_archive_is_a_zip_labelled_json_first(t5_http: T5Http, task: dict[str, Any]) -> None:
    """Part 2, section 150: two Content-Type headers, ``application/json`` first, then ``application/zip``,
    over the ZIP of the task's import data, named ``<task name> - ImportArchive.zip``."""
    response = export(t5_http, task["id"], format="importArchive")
    assert response.raw.headers.getlist("Content-Type") == ["application/json", "application/zip"]
    assert raw_disposition(response).endswith("%20-%20ImportArchive.zip")
    assert response.content.startswith(b"PK\x03\x04")
    assert f"workfiles/{UPLOAD_NAME}" in zip_names(response.content)


def test_unknown_format_is_a_500_envelope_served_as_html(t5_http: T5Http, task: dict[str, Any]) -> None:
    response = t5_http.get(f"/editor/task/export/id/{task['id']}", params={"format": "doesnotexist"})
    assert response.status_code == 500, describe(response)
    assert "text/html" in content_types(response)
    body = response.json()
    assert body["success"] is False
    assert body["httpStatus"] == 500
    assert "doesnotexist" in body["errorMessage"]


def test_excel_export_locks_the_task_until_reimport(
    t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str]
) -> None:
    task_id = str(import_owned_task(t5_http, cleanup, unique_name("excel"), file_name="about.xlf")["id"])

    exported = t5_http.get(f"/editor/task/{task_id}/excelexport")
    assert exported.status_code == 200, describe(exported)
    cleanup.excel_file(task_id, exported.content)  # clean-up must re-import it to be able to delete
    assert XLSX in content_types(exported)
    assert ".xlsx" in raw_disposition(exported)
    assert "xl/workbook.xml" in zip_names(exported.content)

    locked = t5_http.task(task_id)
    assert locked["state"] == "ExcelExported"
    assert locked["locked"]

    refused = t5_http.delete(f"/editor/task/{task_id}")
    assert refused.status_code == 409, describe(refused)
    assert refused.json()["errorCode"] == "E1046"
    forced = t5_http.delete(f"/editor/task/{task_id}", params={"force": 1})
    assert forced.status_code == 409, describe(forced)
    assert forced.json()["errorCode"] == "E1046"

    reimport = t5_http.post(
        f"/editor/task/{task_id}/excelreimport",
        files=[("excelreimportUpload", ("about.xlsx", exported.content, XLSX))],
    )
    assert reimport.status_code == 200, describe(reimport)
    row = wait_for_state(t5_http, task_id, lambda r: r["state"] == "open", "Excel re-import")
    assert row["locked"] is None

    deleted = t5_http.delete(f"/editor/task/{task_id}")
    assert deleted.status_code == 200, describe(deleted)
