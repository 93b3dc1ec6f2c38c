"""Exports and downloads: streamed, named safely, written atomically."""

from __future__ import annotations

import io

import pytest

from airflow_provider_translate5.client import (
    Translate5ConnectionError,
    Translate5ResponseError,
    Translate5ValueError,
)

from .conftest import BASE

EXPORT = BASE + "/editor/task/export/id/7"
ZIP = b"PK\x03\x04" + b"z" * 100


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
    requests_mock.get(EXPORT, body=io.BytesIO(body))
    with client.open_export(7) as download:
        sizes = [len(chunk) for chunk in download.iter_bytes()]
    assert max(sizes) <= 1 << 20
    assert sum(sizes) == len(body)


def test_a_maintenance_notice_instead_of_the_file_is_an_error(client, requests_mock, tmp_path):
    requests_mock.get(
        EXPORT,
        text="Maintenance in progress",
        headers={"Content-Type": "text/plain", "x-translate5-maintenance-message": "back soon"},
    )
    with pytest.raises(Translate5ResponseError, match="maintenance"):
        client.export_task(7, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_excel_export_and_reimport(client, requests_mock, answer, sent):
    requests_mock.get(BASE + "/editor/task/7/excelexport", content=b"xlsx")
    with client.open_excel_export(7) as download:
        assert download.filename == "task-7.xlsx"
        assert b"".join(download.iter_bytes()) == b"xlsx"
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


@pytest.mark.parametrize("url", ["https://evil.example.com/steal", "http://t5.example.org/editor/x", ""])
def test_open_download_never_sends_credentials_elsewhere(client, requests_mock, url):
    with pytest.raises(Translate5ValueError), client.open_download(url):
        pass
    assert requests_mock.call_count == 0
