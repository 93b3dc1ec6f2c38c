"""Exports and downloads: streamed, named safely, written atomically."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from airflow_provider_translate5.client import (
    Translate5APIError,
    Translate5ConnectionError,
    Translate5LimitError,
    Translate5MaintenanceError,
    Translate5ResponseError,
    Translate5ValueError,
)
from airflow_provider_translate5.client.limits import Limits

from .conftest import BASE

EXPORT = BASE + "/editor/task/export/id/7"


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


ZIP = zip_of({"page_de.html": b"<p>[de] Hello world.</p>"})
XLSX = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
# Transcript 61: the filetranslation export names the file with RAW UTF-8, as text/html, no Content-Length.
FILETRANSLATION_NAME = "attachment; filename*=UTF-8''About us ÄÖ_de.xlf; filename=About us ÄÖ_de.xlf"
FILETRANSLATION_HEADERS = {
    "Content-Disposition": FILETRANSLATION_NAME.encode("utf-8").decode("latin-1"),  # as http.client gives it
    "Content-type": "text/html; charset=utf-8",
    "Connection": "close",
}
XLIFF = b'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2"></xliff>\n'
# Translate5's answer in the 30 minutes before a scheduled maintenance (TaskController::exportAction).
PRE_MAINTENANCE = "Maintenance is scheduled, exports are not possible at the moment."


class Broken(io.RawIOBase):
    """A body that delivers some bytes and then loses the connection."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        chunk = self._data.read(min(len(buffer), 10))
        if not chunk:
            raise ConnectionResetError(104, "Connection reset by peer")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_open_export_sends_the_parameters_and_names_the_file_from_the_header(client, requests_mock):
    requests_mock.get(
        EXPORT,
        content=b"translated",
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Length": "10",
            "Content-Disposition": "attachment; filename*=UTF-8''Seite%20%C3%BCber_de.html; "
            "filename=Seite_de.html",
        },
    )
    with client.open_export(7, format="filetranslation", diff=True, taskguiddirectory=False) as download:
        assert download.filename == "Seite über_de.html"
        assert download.content_type == "application/octet-stream"
        assert download.content_length == 10
        assert b"".join(download.iter_bytes()) == b"translated"
    request = requests_mock.last_request
    assert request.headers["Accept"] == "application/json"
    assert request.url.endswith("/editor/task/export/id/7?format=filetranslation&diff=1&taskguiddirectory=0")
    assert request.stream is True


def test_export_task_into_a_directory_uses_the_sanitised_server_name(client, requests_mock, tmp_path):
    requests_mock.get(
        EXPORT, content=ZIP, headers={"Content-Disposition": "attachment; filename=../../evil.zip"}
    )
    path = client.export_task(7, tmp_path)
    assert path == tmp_path / "evil.zip"
    assert path.read_bytes() == ZIP
    assert [p.name for p in tmp_path.iterdir()] == ["evil.zip"]


def test_export_task_to_a_file_path(client, requests_mock, tmp_path):
    requests_mock.get(EXPORT, content=ZIP, headers={"Content-Type": "application/zip"})
    target = tmp_path / "sub" / "out.zip"
    assert client.export_task(7, target) == target
    assert target.read_bytes() == ZIP


def test_fallback_name_when_the_server_sends_none(client, requests_mock, tmp_path):
    requests_mock.get(EXPORT, content=ZIP, headers={"Content-Type": "application/zip"})
    assert client.export_task(7, tmp_path).name == "task-7.zip"


def test_an_interrupted_download_leaves_nothing_at_the_destination(client, requests_mock, tmp_path):
    requests_mock.get(EXPORT, body=Broken(ZIP), headers={"Content-Disposition": "attachment; filename=t.zip"})
    (tmp_path / "keep.txt").write_text("other file")
    with pytest.raises(Translate5ConnectionError) as caught:
        client.export_task(7, tmp_path)
    assert "GET /editor/task/export/id/7" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_an_interrupted_download_does_not_replace_an_existing_file(client, requests_mock, tmp_path):
    target = tmp_path / "out.zip"
    target.write_bytes(b"previous export")
    requests_mock.get(EXPORT, body=Broken(ZIP))
    with pytest.raises(Translate5ConnectionError):
        client.export_task(7, target)
    assert target.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.zip"]


def test_a_truncated_body_is_detected(client, requests_mock, tmp_path):
    requests_mock.get(EXPORT, content=ZIP, headers={"Content-Length": str(len(ZIP) + 50)})
    with pytest.raises(Translate5ConnectionError):
        client.export_task(7, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_downloads_are_read_in_chunks_of_at_most_one_mebibyte(client, requests_mock):
    body = b"x" * (3 * (1 << 20) + 5)
    requests_mock.get(
        EXPORT, body=io.BytesIO(body), headers={"Content-Disposition": "attachment; filename=a.txt"}
    )
    with client.open_export(7, format="filetranslation") as download:
        sizes = [len(chunk) for chunk in download.iter_bytes()]
    assert max(sizes) <= 1 << 20
    assert sum(sizes) == len(body)


def test_a_maintenance_notice_instead_of_the_file_is_an_error(client, requests_mock, tmp_path):
    requests_mock.get(
        EXPORT,
        text="Maintenance in progress",
        headers={"Content-Type": "text/plain", "x-translate5-maintenance-message": "back soon"},
    )
    with pytest.raises(Translate5MaintenanceError, match="back soon"):
        client.export_task(7, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_excel_export_and_reimport(client, requests_mock, answer, sent):
    # Transcript 80: an xlsx named after the task, percent-encoded, no Content-Length.
    requests_mock.get(
        BASE + "/editor/task/7/excelexport",
        content=XLSX,
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''CMS%20bundle%20-%20en%20%2F%20fr.xlsx; "
            "filename=CMS%20bundle%20-%20en%20%2F%20fr.xlsx",
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    with client.open_excel_export(7) as download:
        assert download.filename == "CMS bundle - en _ fr.xlsx"
        assert b"".join(download.iter_bytes()) == XLSX
    answer("POST", "/editor/task/7/excelreimport", {"success": True})
    assert client.excel_reimport(7, ("task.xlsx", io.BytesIO(b"xlsx"))) == {"success": True}
    assert sent[-1].files == [("excelreimportUpload", "task.xlsx", b"xlsx")]
    assert sent[-1].streamed


def test_open_download_of_a_relative_url_keeps_its_query(client, requests_mock):
    requests_mock.get(BASE + "/editor/task/export/id/2237?format=filetranslation", content=b"file")
    with client.open_download("/editor/task/export/id/2237?format=filetranslation") as download:
        assert b"".join(download.iter_bytes()) == b"file"
    assert requests_mock.last_request.qs == {"format": ["filetranslation"]}


def test_open_download_with_a_path_prefix_is_not_doubled(make_client, requests_mock):
    client = make_client(base_url=BASE + "/t5")
    requests_mock.get(BASE + "/t5/editor/task/export/id/1", content=b"a")
    with client.open_download("/t5/editor/task/export/id/1") as download:
        assert b"".join(download.iter_bytes()) == b"a"
    with client.open_download("/editor/task/export/id/1") as download:
        assert b"".join(download.iter_bytes()) == b"a"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://evil.example.com/steal", "refusing to send translate5 credentials to 'evil.example.com'"),
        ("http://t5.example.org/editor/x", "refusing to send translate5 credentials to 't5.example.org'"),
        ("", "url_path must be a non-empty string"),
    ],
)
def test_open_download_never_sends_credentials_elsewhere(client, requests_mock, url, message):
    with pytest.raises(Translate5ValueError, match=re.escape(message)), client.open_download(url):
        pass
    assert requests_mock.call_count == 0


def test_a_filetranslation_export_keeps_its_raw_utf8_name_and_needs_no_content_length(
    client, requests_mock, tmp_path
):
    requests_mock.get(EXPORT, content=XLIFF, headers=FILETRANSLATION_HEADERS)
    with client.open_export(7, format="filetranslation") as download:
        assert download.content_length is None
    path = client.export_task(7, tmp_path, format="filetranslation")
    assert path == tmp_path / "About us ÄÖ_de.xlf"
    assert path.read_bytes() == XLIFF


@pytest.mark.integration
def test_a_raw_utf8_name_through_a_real_http_connection(tmp_path):
    """http.client hands the raw header bytes over as latin-1; the name still comes out right."""
    from t5support import RawServer

    from airflow_provider_translate5.client import Translate5Client

    from .conftest import TOKEN

    server = RawServer(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-type: text/html; charset=utf-8\r\n"
        + b"Content-Disposition: "
        + FILETRANSLATION_NAME.encode("utf-8")
        + b"\r\n\r\n"
        + XLIFF
    )
    try:
        with Translate5Client(server.url, TOKEN) as client:
            path = client.export_task(7, tmp_path, format="filetranslation")
    finally:
        server.close()
    assert path.name == "About us ÄÖ_de.xlf"
    assert path.read_bytes() == XLIFF


def test_the_pre_maintenance_text_is_a_retryable_maintenance_error_never_a_file(
    client, requests_mock, tmp_path
):
    requests_mock.get(EXPORT, text=PRE_MAINTENANCE, headers={"Content-type": "text/html; charset=utf-8"})
    with pytest.raises(Translate5MaintenanceError) as caught:
        client.export_task(7, tmp_path, format="filetranslation")
    assert caught.value.retryable
    assert not caught.value.terminal
    assert "exports are not possible" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content_type", ["application/octet-stream", "application/zip", "text/html; charset=utf-8", ""]
)
def test_an_error_envelope_is_an_error_whatever_its_content_type(
    client, requests_mock, tmp_path, content_type
):
    envelope = (
        b'{"success": false, "httpStatus": 409, "errorCode": "E1538", "errorMessage": "export running"}'
    )
    requests_mock.get(
        EXPORT,
        content=envelope,
        headers={"Content-Type": content_type, "Content-Disposition": "attachment; filename=x.zip"},
    )
    with pytest.raises(Translate5APIError, match="export running"):
        client.export_task(7, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_json_instead_of_an_export_file_is_an_error(client, requests_mock, tmp_path):
    requests_mock.get(
        EXPORT, content=b'{"rows": []}', headers={"Content-Type": "application/json, application/json"}
    )
    with pytest.raises(Translate5ResponseError, match="JSON instead of the export file"):
        client.export_task(7, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["package", "transfer", "doesnotexist", "html"])
def test_export_formats_that_answer_no_file_are_refused_before_any_request(client, requests_mock, fmt):
    with pytest.raises(Translate5ValueError, match=fmt), client.open_export(7, format=fmt):
        pass
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("fmt", [None, "filetranslation", "xliff2", "importArchive", "excelhistory"])
def test_export_formats_that_answer_a_file_are_sent(client, requests_mock, fmt):
    requests_mock.get(EXPORT, content=ZIP, headers={"Content-Type": "application/zip"})
    with client.open_export(7, format=fmt) as download:
        assert b"".join(download.iter_bytes()) == ZIP
    assert requests_mock.last_request.qs.get("format") == ([fmt.lower()] if fmt else None)


def test_a_gzip_bomb_stops_at_the_download_limit_and_leaves_nothing(make_client, requests_mock, tmp_path):
    import gzip

    client = make_client(limits=Limits(max_download_bytes=1 << 20))
    bomb = gzip.compress(b"\0" * (8 << 20))  # 8 MiB of zeros in a few KiB
    assert len(bomb) < 64 << 10
    requests_mock.get(
        EXPORT,
        body=io.BytesIO(bomb),
        headers={"Content-Encoding": "gzip", "Content-Disposition": "attachment; filename=x.txt"},
    )
    with pytest.raises(Translate5LimitError, match="1048576 decoded bytes") as caught:
        client.export_task(7, tmp_path, format="filetranslation")
    assert caught.value.terminal
    assert list(tmp_path.iterdir()) == []


def test_a_json_download_over_the_json_limit_is_refused(make_client, requests_mock):
    client = make_client(limits=Limits(max_json_bytes=100))
    requests_mock.get(
        BASE + "/editor/x",
        content=b'{"a": "' + b"x" * 500 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    with (
        pytest.raises(Translate5LimitError, match="more than 100 bytes of JSON"),
        client.open_download("/editor/x"),
    ):
        pass


def test_a_json_file_that_is_no_envelope_is_delivered_by_a_plain_download(client, requests_mock):
    body = b'{"greeting": "Hallo", "success": true}'
    requests_mock.get(BASE + "/editor/x", content=body, headers={"Content-Type": "application/json"})
    with client.open_download("/editor/x") as download:
        assert b"".join(download.iter_bytes()) == body


def test_a_downloaded_text_that_merely_mentions_maintenance_is_a_file(client, requests_mock):
    page = b"<p>Maintenance is scheduled for Sunday; the shop stays open.</p>" + b"<p>more</p>" * 500
    requests_mock.get(BASE + "/editor/x", content=page, headers={"Content-Type": "text/html"})
    with client.open_download("/editor/x") as download:
        assert b"".join(download.iter_bytes()) == page
