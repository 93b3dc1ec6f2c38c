"""Each download is checked by what it is before it is handed over; answers are read by their body.

The answers here are framed like the recorded translate5's (no Content-Length, transcripts part 1 §61)
unless a test says otherwise, so a cut body looks complete to the transfer and only its format can tell.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest

from airflow_provider_translate5.client import Translate5TransferError
from airflow_provider_translate5.client.verify import BodyCheck, BrokenBody

from .conftest import BASE, task_row

EXPORT = BASE + "/editor/task/export/id/7"
CLIENT_LOG = "airflow_provider_translate5.client"
XLIFF = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2"><file><body>'
    + b"".join(b'<trans-unit id="%d"><source>Unit %d</source></trans-unit>' % (n, n) for n in range(50))
    + b"</body></file></xliff>\n"
)


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def named(name: str, **headers: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename={name}", **headers}


ZIP = zip_of({"page_de.html": b"<p>[de] Hello world.</p>" * 40, "about_de.html": b"<p>[de] About.</p>" * 40})


def test_a_zip_export_without_its_central_directory_is_not_delivered(client, requests_mock, tmp_path):
    requests_mock.get(EXPORT, content=ZIP[: len(ZIP) * 3 // 5], headers=named("Task.zip"))

    with pytest.raises(Translate5TransferError, match="not a complete ZIP archive") as caught:
        client.export_task(7, tmp_path)

    assert caught.value.retryable
    assert "GET /editor/task/export/id/7" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_zip_member_that_fails_its_crc_is_not_delivered(client, requests_mock, tmp_path):
    body = bytearray(zip_of({"page_de.html": b"<p>[de] Hello world.</p>"}, zipfile.ZIP_STORED))
    body[45] ^= 0xFF  # a byte of the member's data (after its 30-byte header and name); structure intact
    requests_mock.get(EXPORT, content=bytes(body), headers=named("Task.zip"))

    with pytest.raises(Translate5TransferError, match=r"'page_de.html' is damaged \(Bad CRC-32"):
        client.export_task(7, tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_a_zip_based_file_is_checked_as_a_zip_by_its_name(client, requests_mock, tmp_path):
    docx = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>" * 100})
    requests_mock.get(
        EXPORT, content=docx[:-30], headers=named("page_de.docx", **{"Content-type": "text/html"})
    )

    with pytest.raises(Translate5TransferError, match="ZIP"):
        client.export_task(7, tmp_path, format="filetranslation")

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["page_de.xlf", "page_de.sdlxliff", "report.xml"])
def test_xml_that_ends_before_its_document_is_not_delivered(client, requests_mock, tmp_path, name):
    requests_mock.get(EXPORT, content=XLIFF[: len(XLIFF) // 2], headers=named(name))

    with pytest.raises(Translate5TransferError, match="XML ends before its document does"):
        client.export_task(7, tmp_path, format="filetranslation")

    assert list(tmp_path.iterdir()) == []


def test_a_json_file_that_does_not_parse_is_not_delivered(client, requests_mock, tmp_path):
    requests_mock.get(BASE + "/editor/x", content=b'{"greeting": ["Hallo", "Bonj', headers=named("data.json"))

    with (
        pytest.raises(Translate5TransferError, match="JSON does not parse"),
        client.open_download("/editor/x") as d,
    ):
        b"".join(d.iter_bytes())


def test_fewer_bytes_than_announced_are_a_transfer_error(client, requests_mock, tmp_path):
    requests_mock.get(EXPORT, content=b"<p>half</p>", headers=named("a.html", **{"Content-Length": "40"}))

    with pytest.raises(Translate5TransferError, match="ended after 11 of the 40 bytes announced"):
        client.export_task(7, tmp_path, format="filetranslation")

    assert list(tmp_path.iterdir()) == []


def test_a_body_no_rule_can_check_is_delivered_and_logged_as_unverifiable_with_its_size(
    client, requests_mock, tmp_path, caplog
):
    page = b"<p>[de] Hello world.</p>" * 10
    requests_mock.get(EXPORT, content=page, headers=named("page_de.html", **{"Content-type": "text/html"}))
    caplog.set_level(logging.INFO, CLIENT_LOG)

    path = client.export_task(7, tmp_path, format="filetranslation")

    assert path.read_bytes() == page
    lines = [r.getMessage() for r in caplog.records if "could not be verified" in r.getMessage()]
    assert lines == [f"download 'page_de.html' ({len(page)} bytes) could not be verified: no length was "
                     "announced and its format (text) has no check"]  # fmt: skip


def test_a_text_with_a_content_length_is_verified_by_its_length(client, requests_mock, tmp_path, caplog):
    page = b"<p>[de] Hello world.</p>"
    headers = named("page_de.html", **{"Content-Length": str(len(page))})
    requests_mock.get(EXPORT, content=page, headers=headers)
    caplog.set_level(logging.DEBUG, CLIENT_LOG)

    client.export_task(7, tmp_path, format="filetranslation")

    assert any("verified: complete by its framing" in r.getMessage() for r in caplog.records)
    assert not any("could not be verified" in r.getMessage() for r in caplog.records)


def test_a_zip_under_several_content_types_and_no_name_is_named_and_kept_by_its_body(
    client, requests_mock, tmp_path
):
    requests_mock.get(EXPORT, content=ZIP, headers={"Content-Type": "application/json, application/zip"})

    path = client.export_task(7, tmp_path, format="importArchive")

    assert path.name == "task-7-importArchive.zip"
    assert path.read_bytes() == ZIP


def test_an_xml_report_labelled_json_is_delivered_as_the_xml_it_is(client, requests_mock):
    report = b'<?xml version="1.0" encoding="UTF-8"?>\n<task name="analyse"><batchTotal/></task>\n'
    requests_mock.get(
        BASE + "/editor/plugins_matchanalysis_matchanalysis/export",
        content=report,
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''Match-Analysis%20-%20T.xml; "
            "filename=Match-Analysis%20-%20T.xml",
            "Content-Type": "application/json, application/json",  # part 2 §125, as requests joins them
        },
    )

    with client.open_analysis_report("{g}") as download:
        assert b"".join(download.iter_bytes()) == report

    assert download.filename == "Match-Analysis - T.xml"


@pytest.mark.parametrize("prefix", [b"\xef\xbb\xbf", b" \r\n\xef\xbb\xbf"], ids=["bom", "whitespace-bom"])
def test_an_envelope_after_a_byte_order_mark_is_an_api_error(client, requests_mock, tmp_path, prefix):
    from airflow_provider_translate5.client import Translate5APIError

    envelope = b'{"success": false, "httpStatus": 500, "errorMessage": "Export failed"}'
    requests_mock.get(EXPORT, content=prefix + envelope, headers=named("Task.zip"))

    with pytest.raises(Translate5APIError, match="Export failed"):
        client.export_task(7, tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_a_json_answer_cut_after_its_headers_is_repeated_for_a_read_but_not_for_a_create(
    client, answer, sent, sleeps, languages, tmp_path
):
    whole = json.dumps({"rows": task_row(5)})
    answer("GET", "/editor/task/5", responses=[{"text": whole[:40]}, {"text": whole}])

    assert client.get_task(5).task_name == "Task 5"
    assert [s.path for s in sent] == ["/editor/task/5", "/editor/task/5"]

    answer("POST", "/editor/task", responses=[{"text": '{"success": true, "rows": {"id": "9", "taskN'}])
    page = tmp_path / "page.html"
    page.write_text("<p>Hello</p>")
    with pytest.raises(Translate5TransferError, match=r"POST /editor/task arrived incomplete") as caught:
        client.create_task(page, task_name="Once", source_lang="en", target_lang="de")

    assert caught.value.retryable
    assert [s.method for s in sent].count("POST") == 1  # translate5 may have saved it: never sent twice


# -- the rules themselves ------------------------------------------------------------------------------------


def test_an_xml_encoding_expat_cannot_read_is_unverifiable_not_broken():
    body = b'<?xml version="1.0" encoding="EBCDIC-XYZ"?><a/>'
    check = BodyCheck("page.xlf")
    check.feed(body)
    assert check.finish() is None


def test_zip_members_over_the_unpacked_limit_are_left_unread_with_a_warning(caplog):
    body = zip_of({"small.txt": b"x" * 10, "large.txt": b"y" * 5000})
    check = BodyCheck("Task.zip", max_unpacked=1000)
    check.feed(body)
    caplog.set_level(logging.WARNING, CLIENT_LOG)

    assert check.finish() == "ZIP central directory complete, 1 member(s) CRC-checked"
    assert "1 of 2 member(s) not CRC-checked" in caplog.text
    assert "large.txt" in caplog.text


@pytest.mark.parametrize(
    ("name", "body", "kind"),
    [
        ("download", ZIP, "zip"),  # no extension: by the first bytes
        ("task-7.json", ZIP, "zip"),  # the body wins over a name
        ("download", b'\xef\xbb\xbf<?xml version="1.0"?><a/>', "xml"),
        ("download", b' {"a": 1}', "json"),
        ("page_de.html", b'<?xml version="1.0"?><html/>', "text"),  # HTML need not be well-formed
        ("notes.txt", b"plain", "text"),
    ],
)
def test_what_a_body_is_comes_from_its_bytes_and_its_name(name, body, kind):
    check = BodyCheck(name)
    check.feed(body)
    check.finish()
    assert check.kind == kind


def test_a_broken_body_says_what_is_wrong():
    check = BodyCheck("a.xlf")
    with pytest.raises(BrokenBody, match="XML is not well-formed"):
        check.feed(b"<xliff><file></xliff>")
