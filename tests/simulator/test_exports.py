"""Exports: names, headers, pseudo-translated content, conflicts - as recorded (sections 60-66, 80-83)."""

from __future__ import annotations

import io
import re
import socket
import threading
import zipfile
from urllib.parse import urlsplit

import requests
from t5support import eventually

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import create_task, url, wait_state


def _ready_task(sim: Translate5Simulator, api: requests.Session, **fields: object) -> dict[str, object]:
    row = create_task(sim, api, **fields)  # type: ignore[arg-type]
    return wait_state(sim, api, int(row["id"]))


def _raw_head(sim: Translate5Simulator, path: str) -> bytes:
    """The raw status line and header bytes of an answer (requests decodes header values as latin-1)."""
    parts = urlsplit(sim.base_url)
    with socket.create_connection((parts.hostname, parts.port)) as conn:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n"
            f"Translate5AuthToken: {sim.token}\r\n\r\n"
        )
        conn.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
    return data.split(b"\r\n\r\n", 1)[0]


def test_default_zip_export(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 60: the name is the task name transliterated, percent-encoded in both parts; no
    Content-Length, Connection: close, no version header."""
    task = _ready_task(sim, api, taskName="About us ÄÖ (renamed)")
    response = api.get(url(sim, f"/editor/task/export/id/{task['id']}"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename*=UTF-8''About%20us%20AO%20%28renamed%29.zip; "
        "filename=About%20us%20AO%20%28renamed%29.zip"
    )
    assert "Content-Length" not in response.headers
    assert "Transfer-Encoding" not in response.headers
    assert response.headers["Connection"] == "close"
    assert "X-Translate5-Version" not in response.headers
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["hello.xlf"]
    text = archive.read("hello.xlf").decode()
    assert "<target>[de] Hello world</target>" in text
    assert '<target state="new">[de] Good <g id="1">morning</g></target>' in text


def test_taskguiddirectory(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 65: a ``{taskGuid}/`` folder entry, then the files inside it."""
    task = _ready_task(sim, api, taskName="News")
    for answer in (
        api.get(url(sim, f"/editor/task/export/id/{task['id']}/taskguiddirectory/1")),
        api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"taskguiddirectory": 1}),
    ):
        names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
        assert names == [f"{task['taskGuid']}/", f"{task['taskGuid']}/hello.xlf"]


def test_diff_path_and_query_style(sim: Translate5Simulator, api: requests.Session) -> None:
    """Sections 63/64: both spellings; the name gets "- with tracked changes" (no space before the dash)."""
    task = _ready_task(sim, api, taskName="About us ÄÖ (renamed)")
    expected = (
        "attachment; filename*=UTF-8''About%20us%20AO%20%28renamed%29-%20with%20tracked%20changes.zip; "
        "filename=About%20us%20AO%20%28renamed%29-%20with%20tracked%20changes.zip"
    )
    by_path = api.get(url(sim, f"/editor/task/export/id/{task['id']}/diff/1"))
    by_query = api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"diff": 1})
    for answer in (by_path, by_query):
        assert answer.headers["Content-Disposition"] == expected
        assert zipfile.ZipFile(io.BytesIO(answer.content)).namelist() == ["hello.xlf"]


def test_xliff2_is_one_export_file(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 62: a ZIP named like the default export holding ONE ``export-<date>.xliff``."""
    task = _ready_task(sim, api, taskName="News")
    xliff2 = api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"format": "xliff2"})
    assert xliff2.headers["Content-Disposition"].endswith("filename=News.zip")
    archive = zipfile.ZipFile(io.BytesIO(xliff2.content))
    [name] = archive.namelist()
    assert re.fullmatch(r"export-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.xliff", name)
    content = archive.read(name).decode()
    assert 'version="2.0"' in content
    assert "<target>[de] Hello world</target>" in content
    by_path = api.get(url(sim, f"/editor/task/export/id/{task['id']}/format/xliff2"))
    assert len(zipfile.ZipFile(io.BytesIO(by_path.content)).namelist()) == 1


def test_unknown_format_is_a_500_printed_as_html(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 66 (the issue text claimed a ZIP; the recording shows this 500)."""
    task = _ready_task(sim, api)
    answer = api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"format": "doesnotexist"})
    assert answer.status_code == 500
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["X-Translate5-Version"] == "development"
    assert answer.json() == {
        "message": "Internal Server Error",
        "errorMessage": "Context &quot;doesnotexist&quot; does not exist",
        "httpStatus": 500,
        "errorCode": None,
        "success": False,
    }


def test_import_archive_and_excel_history(sim: Translate5Simulator, api: requests.Session) -> None:
    task = _ready_task(sim, api, taskName="Sheet")
    archive = api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"format": "importArchive"})
    # Part 2, section 150: two Content-Type headers, JSON first, and the task's name with " - ImportArchive".
    assert archive.raw.headers.getlist("Content-Type") == ["application/json", "application/zip"]
    assert archive.headers["Content-Disposition"].endswith("filename=Sheet%20-%20ImportArchive.zip")
    members = zipfile.ZipFile(io.BytesIO(archive.content))
    assert members.read("workfiles/hello.xlf").startswith(b"<?xml")
    history = api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"format": "excelhistory"})
    assert "xl/worksheets/sheet1.xml" in zipfile.ZipFile(io.BytesIO(history.content)).namelist()
    assert api.get(url(sim, f"/editor/task/{task['id']}")).json()["rows"]["state"] == "open"  # no lock


def test_export_maintenance_fault(sim: Translate5Simulator, api: requests.Session) -> None:
    """The 30 minutes before a scheduled maintenance: 200, a text, no file headers."""
    task = _ready_task(sim, api)
    sim.faults.export_maintenance()
    answer = api.get(url(sim, f"/editor/task/export/id/{task['id']}"))
    assert answer.status_code == 200
    assert answer.text == "Maintenance is scheduled, exports are not possible at the moment."
    assert "Content-Disposition" not in answer.headers
    assert api.get(url(sim, f"/editor/task/export/id/{task['id']}")).headers["Content-Type"] == (
        "application/zip"
    )


def test_filetranslation_of_a_text_file(sim: Translate5Simulator, api: requests.Session) -> None:
    files = {"importUpload": ("page.html", b"<h1>Welcome</h1>\n<p>Read <b>more</b></p>\n\n")}
    task = _ready_task(sim, api, targetLang="de-DE", files=files)
    response = api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"format": "filetranslation"})
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"  # section 61
    assert response.headers["Content-Disposition"].endswith("filename=page_de-DE.html")
    assert response.text == "<h1>[de-DE] Welcome</h1>\n<p>[de-DE] Read <b>[de-DE] more</b></p>\n\n"


def test_plain_text_lines_get_the_marker(sim: Translate5Simulator, api: requests.Session) -> None:
    task = _ready_task(sim, api, files={"importUpload": ("a.txt", b"one\r\n\r\ntwo")})
    response = api.get(url(sim, f"/editor/task/export/id/{task['id']}/format/filetranslation"))
    assert response.content == b"[de] one\r\n\r\n[de] two"


def test_filetranslation_name_is_raw_utf8(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 61: ``<uploaded stem>_<target>.<ext>`` as RAW UTF-8 bytes in both parts, unencoded."""
    task = _ready_task(sim, api, files={"importUpload": ("About us ÄÖ.xlf", b"<xliff/>")})
    head = _raw_head(sim, f"/editor/task/export/id/{task['id']}?format=filetranslation")
    assert (
        b"Content-Disposition: attachment; filename*=UTF-8''About us \xc3\x84\xc3\x96_de.xlf; "
        b"filename=About us \xc3\x84\xc3\x96_de.xlf" in head
    )
    assert b"Content-type: text/html; charset=utf-8" in head
    assert b"Content-Length" not in head
    assert b"Connection: close" in head


def test_excel_export_name_is_percent_encoded(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 80: the task name, "/" as %2F."""
    task = _ready_task(sim, api, taskName="CMS bundle - en / fr")
    answer = api.get(url(sim, f"/editor/task/{task['id']}/excelexport"))
    assert answer.headers["Content-Disposition"] == (
        "attachment; filename*=UTF-8''CMS%20bundle%20-%20en%20%2F%20fr.xlsx; "
        "filename=CMS%20bundle%20-%20en%20%2F%20fr.xlsx"
    )
    assert (
        answer.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_export_conflicts(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.set(import_duration=5)
    importing = create_task(sim, api)
    blocked = api.get(url(sim, f"/editor/task/export/id/{importing['id']}"))
    assert (blocked.status_code, blocked.json()["errorCode"]) == (409, "E1046")
    sim.set(import_duration=0.01, export_duration=0.4)
    task = wait_state(sim, api, importing["id"])
    results: list[int] = []
    export_url = url(sim, f"/editor/task/export/id/{task['id']}")
    headers = {"Accept": "application/json", "Translate5AuthToken": sim.token}
    first = threading.Thread(
        target=lambda: results.append(requests.get(export_url, headers=headers).status_code)
    )
    first.start()
    eventually(lambda: sim.store.tasks[int(task["id"])].export_running, what="the first export to run")
    second = api.get(export_url)
    first.join()
    assert (second.status_code, second.json()["errorCode"]) == (409, "E1538")
    assert results == [200]


def test_excel_export_and_reimport(sim: Translate5Simulator, api: requests.Session) -> None:
    task = _ready_task(sim, api, taskName="Sheet")
    not_exported = api.post(
        url(sim, f"/editor/task/{task['id']}/excelreimport"),
        files={"excelreimportUpload": ("x.xlsx", b"nope")},
    )
    assert not_exported.status_code == 200
    assert not_exported.json()["success"] is False
    exported = api.get(url(sim, f"/editor/task/{task['id']}/excelexport"))
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"].endswith("filename=Sheet.xlsx")
    workbook = zipfile.ZipFile(io.BytesIO(exported.content))
    assert "xl/worksheets/sheet1.xml" in workbook.namelist()
    assert "[de] Hello world" in workbook.read("xl/worksheets/sheet1.xml").decode()
    locked = api.get(url(sim, f"/editor/task/{task['id']}")).json()["rows"]
    assert locked["state"] == "ExcelExported"  # section 81
    assert locked["lockedInternalSessionUniqId"] == "*translate5InternalLock*ExcelExported"
    assert locked["locked"] is not None
    for params in ({}, {"force": 1}):  # sections 82/83: force needs the taskForceDelete right
        refused = api.delete(url(sim, f"/editor/task/{task['id']}"), params=params)
        assert refused.status_code == 409
        assert refused.json() == {
            "errorCode": "E1046",
            "httpStatus": 409,
            "errorMessage": "The current task status does not allow that action.",
            "message": "Conflict",
            "success": False,
            "errorsTranslated": [["The current status of the task prohibits this action!"]],
        }
    ended = api.put(url(sim, f"/editor/task/{task['id']}"), data={"data": '{"state":"end"}'})
    assert (ended.status_code, ended.json()["rows"]["state"]) == (200, "ExcelExported")  # silently dropped
    wrong = api.post(
        url(sim, f"/editor/task/{task['id']}/excelreimport"),
        files={"excelreimportUpload": ("x.xlsx", b"not a workbook")},
    )
    assert (wrong.status_code, wrong.json()["errorCode"]) == (422, "E1138")
    back = api.post(
        url(sim, f"/editor/task/{task['id']}/excelreimport"),
        files={"excelreimportUpload": ("Sheet.xlsx", exported.content)},
    )
    assert back.json()["success"] is True
    unlocked = api.get(url(sim, f"/editor/task/{task['id']}")).json()["rows"]
    assert (unlocked["state"], unlocked["locked"], unlocked["lockedInternalSessionUniqId"]) == (
        "open",
        None,
        None,
    )


def test_generated_export_is_a_valid_streamed_zip(sim: Translate5Simulator, api: requests.Session) -> None:
    task = _ready_task(sim, api)
    sim.set(generated_export_size=3_000_000)
    with api.get(url(sim, f"/editor/task/export/id/{task['id']}"), stream=True) as response:
        assert "Content-Length" not in response.headers  # the body ends with the connection
        data = b"".join(response.iter_content(1 << 16))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    member = archive.read(archive.namelist()[0])
    assert len(member) == 3_000_000
    assert member.startswith(b"[de] generated segment")
    text = api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"format": "filetranslation"})
    assert len(text.content) == 3_000_000
