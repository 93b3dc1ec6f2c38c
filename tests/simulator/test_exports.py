"""Exports (translate5-api.md §6): names, headers, pseudo-translated content, conflicts."""

from __future__ import annotations

import io
import threading
import zipfile

import requests

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import create_task, url, wait_for, wait_state


def _ready_task(sim: Translate5Simulator, api: requests.Session, **fields: object) -> dict[str, object]:
    row = create_task(sim, api, **fields)  # type: ignore[arg-type]
    return wait_state(sim, api, int(row["id"]))


def test_default_zip_export(sim: Translate5Simulator, api: requests.Session) -> None:
    task = _ready_task(sim, api, taskName="News")
    response = api.get(url(sim, f"/editor/task/export/id/{task['id']}"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert (
        response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''News.zip; filename=News.zip"
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["hello.xlf"]
    text = archive.read("hello.xlf").decode()
    assert "<target>[de] Hello world</target>" in text
    assert '<target state="new">[de] Good <g id="1">morning</g></target>' in text
    guid_dir = api.get(url(sim, f"/editor/task/export/id/{task['id']}/taskguiddirectory/1"))
    assert zipfile.ZipFile(io.BytesIO(guid_dir.content)).namelist() == [f"{task['taskGuid']}/hello.xlf"]


def test_diff_and_xliff2_path_params(sim: Translate5Simulator, api: requests.Session) -> None:
    task = _ready_task(sim, api, taskName="News")
    diff = api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"diff": 1})
    # translate5 names it with an en dash; filename* carries it percent-encoded (section 6 of the API notes)
    assert (
        "filename*=UTF-8''News%20%E2%80%93%20with%20tracked%20changes.zip"
        in diff.headers["Content-Disposition"]
    )
    xliff2 = api.get(url(sim, f"/editor/task/export/id/{task['id']}/format/xliff2"))
    archive = zipfile.ZipFile(io.BytesIO(xliff2.content))
    content = archive.read(archive.namelist()[0]).decode()
    assert 'version="2.0"' in content
    assert "<target>[de] Hello world</target>" in content


def test_filetranslation_of_a_text_file(sim: Translate5Simulator, api: requests.Session) -> None:
    files = {"importUpload": ("page.html", b"<h1>Welcome</h1>\n<p>Read <b>more</b></p>\n\n")}
    task = _ready_task(sim, api, targetLang="de-DE", files=files)
    response = api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"format": "filetranslation"})
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].endswith("filename=page_de-DE.html")
    assert response.text == "<h1>[de-DE] Welcome</h1>\n<p>[de-DE] Read <b>[de-DE] more</b></p>\n\n"


def test_plain_text_lines_get_the_marker(sim: Translate5Simulator, api: requests.Session) -> None:
    task = _ready_task(sim, api, files={"importUpload": ("a.txt", b"one\r\n\r\ntwo")})
    response = api.get(url(sim, f"/editor/task/export/id/{task['id']}/format/filetranslation"))
    assert response.content == b"[de] one\r\n\r\n[de] two"


def test_utf8_file_names_in_content_disposition(sim: Translate5Simulator, api: requests.Session) -> None:
    task = _ready_task(sim, api, taskName="Übersetzung")
    response = api.get(url(sim, f"/editor/task/export/id/{task['id']}"))
    assert "filename*=UTF-8''%C3%9Cbersetzung.zip" in response.headers["Content-Disposition"]


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
    wait_for(lambda: sim.store.tasks[int(task["id"])].export_running)
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
    assert api.get(url(sim, f"/editor/task/{task['id']}")).json()["rows"]["state"] == "ExcelExported"
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
    assert api.get(url(sim, f"/editor/task/{task['id']}")).json()["rows"]["state"] == "open"


def test_generated_export_is_a_valid_streamed_zip(sim: Translate5Simulator, api: requests.Session) -> None:
    task = _ready_task(sim, api)
    sim.set(generated_export_size=3_000_000)
    with api.get(url(sim, f"/editor/task/export/id/{task['id']}"), stream=True) as response:
        assert int(response.headers["Content-Length"]) > 3_000_000
        data = b"".join(response.iter_content(1 << 16))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    member = archive.read(archive.namelist()[0])
    assert len(member) == 3_000_000
    assert member.startswith(b"[de] generated segment")
    text = api.get(url(sim, f"/editor/task/export/id/{task['id']}"), params={"format": "filetranslation"})
    assert len(text.content) == 3_000_000
