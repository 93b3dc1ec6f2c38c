"""Deliveries are verified before they are committed, and answers are read by their body, not their label.

The recorded translate5 frames every answer by closing the connection (no Content-Length, no chunking:
transcripts part 1, section 61), so a cut transfer looks like a complete one; only the file's format can
tell. The simulator's ``cut_body`` and ``truncated_zip`` faults cut answers that way.
"""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from t5support import eventually, wait_imported

from airflow_provider_translate5.client import (
    Translate5APIError,
    Translate5Client,
    Translate5ConnectionError,
    Translate5ResponseError,
)
from airflow_provider_translate5.operators import (
    Translate5ExportOperator,
    Translate5InstantTranslatePretranslateOperator,
)

from .conftest import FAST_RETRY, CannedServer, context_for

pytestmark = pytest.mark.integration

EXPORT = "/editor/task/export/id/"
TOKEN = "1:" + "a1B2" * 9
XLIFF = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">\n'
    '  <file original="page" source-language="en" target-language="de" datatype="plaintext"><body>\n'
    + "".join(
        f'    <trans-unit id="{n}"><source>Sentence number {n} of the page.</source><target/></trans-unit>\n'
        for n in range(1, 200)
    )
    + "  </body></file>\n</xliff>\n"
)
ROW = json.dumps({"rows": {"id": "5", "taskGuid": "{g}", "taskName": "t", "state": "open"}})


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__TRANSLATE5__MIN_POLL_INTERVAL", "0.01")


@pytest.fixture
def xliff(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "page.xlf"
    path.parent.mkdir(exist_ok=True)
    path.write_text(XLIFF, encoding="utf-8")
    return path


def files_in(folder: Path) -> list[str]:
    """Everything under ``folder``, hidden staging and partial files included."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.exists() else []


def imported(sim: Any, client: Translate5Client, source: Path) -> int:
    task = client.create_task(source, task_name="Verify me", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    sim.finish_workflow(task.id)
    return task.id


def export(task_id: int, out: Path, **kwargs: Any) -> Translate5ExportOperator:
    return Translate5ExportOperator(
        task_id="export", translate5_task_id=task_id, destination=str(out), **kwargs
    )


def fails_retryably(operator: Any, context: Any = None) -> Translate5ConnectionError:
    """One try that must fail with a transfer error Airflow retries (never AirflowFailException)."""
    with pytest.raises(Translate5ConnectionError) as caught:
        operator.execute(context or context_for())
    assert not isinstance(caught.value, AirflowFailException)
    assert caught.value.retryable
    return caught.value


def test_a_cut_close_delimited_zip_export_is_never_delivered_and_is_retried_to_success(
    sim: Any, client: Translate5Client, page: Path, tmp_path: Path
) -> None:
    task_id = imported(sim, client, page)
    out = tmp_path / "out"
    sim.faults.cut_body(1, method="GET", path=EXPORT)  # half the ZIP, then a clean close: looks complete

    error = fails_retryably(export(task_id, out))

    assert "ZIP" in str(error)
    assert files_in(out) == []  # nothing delivered, not even a partial or staging file
    export(task_id, out).execute(context_for(try_number=2))
    assert files_in(out) == ["Verify me.zip"]
    with zipfile.ZipFile(out / "Verify me.zip") as archive:
        assert archive.testzip() is None
        assert "[de] Hello world." in archive.read("page.html").decode()


def test_a_cut_xliff_filetranslation_is_never_delivered_and_is_retried_to_success(
    sim: Any, client: Translate5Client, xliff: Path, tmp_path: Path
) -> None:
    task_id = imported(sim, client, xliff)
    out = tmp_path / "out"
    sim.faults.cut_body(1, method="GET", path=EXPORT)

    error = fails_retryably(export(task_id, out, format="filetranslation"))

    assert "XML" in str(error)
    assert files_in(out) == []
    export(task_id, out, format="filetranslation").execute(context_for(try_number=2))
    delivered = (out / "page_de.xlf").read_text(encoding="utf-8")
    assert delivered.rstrip().endswith("</xliff>")
    assert "Sentence number 199 of the page." in delivered


def test_a_cut_instanttranslate_download_is_never_delivered_and_is_retried_to_success(
    sim: Any, xliff: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    def pretranslate() -> Translate5InstantTranslatePretranslateOperator:
        return Translate5InstantTranslatePretranslateOperator(
            task_id="pre",
            source=str(xliff),
            source_lang="en",
            target_lang="de",
            destination=str(out) + "/",
            poke_interval=0.02,
            timeout=timedelta(seconds=20),
            retry_delay=timedelta(minutes=10),
        )

    sim.faults.cut_body(1, method="GET", path=EXPORT)  # the pre-translated file's downloadUrl

    fails_retryably(pretranslate())

    assert files_in(out) == []
    written = pretranslate().execute(context_for(try_number=2))
    delivered = Path(written.removeprefix("file://")).read_text(encoding="utf-8")
    assert delivered.rstrip().endswith("</xliff>")
    assert sim.requests.count("POST", "/editor/instanttranslateapi/filepretranslate") == 1  # paid once


def test_a_truncated_zip_with_unzip_is_retried_like_any_transfer_error(
    sim: Any, client: Translate5Client, page: Path, tmp_path: Path
) -> None:
    task_id = imported(sim, client, page)
    out = tmp_path / "out"
    # The byte count agrees with the Content-Length: only the archive itself shows the cut.
    sim.faults.truncated_zip(1, fraction=0.8, method="GET", path=EXPORT)

    fails_retryably(export(task_id, out, unzip=True))

    assert files_in(out) == []
    export(task_id, out, unzip=True).execute(context_for(try_number=2))
    assert "[de] Hello world." in (out / "Verify me" / "page.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("fault", ["cut_body", "drop_mid_body"])
def test_a_json_answer_cut_after_its_headers_is_retried_where_that_is_safe(
    sim: Any, client: Translate5Client, page: Path, fault: str
) -> None:
    task_id = imported(sim, client, page)
    sim.requests.clear()
    sim.faults.add(fault, 2, method="GET", path=f"/editor/task/{task_id}")

    assert client.get_task(task_id).task_name == "Verify me"  # cut twice, whole the third time
    assert sim.requests.count("GET", f"/editor/task/{task_id}") == 3

    # A create whose answer is cut may have been saved: it is not sent again (the operator's key covers it).
    sim.faults.add(fault, 1, method="POST", path="/editor/task")
    with pytest.raises(Translate5ConnectionError) as caught:
        client.create_task(page, task_name="Once", source_lang="en", target_lang="de")
    assert caught.value.retryable
    assert sim.requests.count("POST", "/editor/task") == 1


def test_an_error_envelope_over_64_kib_is_an_error_not_a_file(canned: CannedServer, tmp_path: Path) -> None:
    envelope = {
        "success": False,
        "httpStatus": 500,
        "errorMessage": "Export failed",
        "trace": "#0 /var/www/translate5/library/ZfExtended/Models/Worker.php(215)\n" * 2000,
    }
    body = json.dumps(envelope).encode()
    assert len(body) > 64 * 1024
    canned.routes[("GET", f"{EXPORT}5")] = (
        200,
        {"Content-Type": "application/octet-stream", "Content-Disposition": "attachment; filename=Task.zip"},
        body,
    )
    client = Translate5Client(canned.url, TOKEN, retry=FAST_RETRY)

    with pytest.raises(Translate5APIError, match="Export failed"):
        client.export_task(5, tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_an_error_envelope_with_a_byte_order_mark_is_an_error_not_a_file(
    canned: CannedServer, tmp_path: Path
) -> None:
    body = b'\xef\xbb\xbf{"success": false, "httpStatus": 409, "errorCode": "E1538", "errorMessage": "busy"}'
    canned.routes[("GET", f"{EXPORT}5")] = (
        200,
        {"Content-Type": "text/html; charset=utf-8", "Content-Disposition": "attachment; filename=Task.zip"},
        body,
    )
    client = Translate5Client(canned.url, TOKEN, retry=FAST_RETRY)

    with pytest.raises(Translate5APIError, match="busy") as caught:
        client.export_task(5, tmp_path)

    assert caught.value.error_code == "E1538"
    assert list(tmp_path.iterdir()) == []


def test_a_non_zip_body_where_the_zip_export_is_expected_is_an_error(
    canned: CannedServer, tmp_path: Path
) -> None:
    canned.routes[("GET", f"{EXPORT}5")] = (
        200,
        {"Content-Type": "application/zip", "Content-Disposition": "attachment; filename=Task.zip"},
        b"<html><body><p>Your session has ended. Please log in again.</p></body></html>",
    )
    client = Translate5Client(canned.url, TOKEN, retry=FAST_RETRY)

    with pytest.raises(Translate5ResponseError, match="not a ZIP"):
        client.export_task(5, tmp_path)  # format=None: the ZIP export

    assert list(tmp_path.iterdir()) == []


def test_the_import_archive_under_two_content_types_is_read_by_its_body(
    sim: Any, client: Translate5Client, page: Path, tmp_path: Path
) -> None:
    task_id = imported(sim, client, page)  # the simulator labels it application/json, then application/zip

    path = client.export_task(task_id, tmp_path, format="importArchive")

    assert path.name == "Verify me - ImportArchive.zip"
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["workfiles/page.html"]


def test_the_xml_analysis_report_labelled_json_is_read_by_its_body(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    task_id = imported(sim, client, page)
    guid = client.get_task(task_id).task_guid
    client.assign_language_resources(guid, [client.task_language_resources(guid)[0].id])
    client.start_analysis(task_id)
    eventually(lambda: client.get_analysis(guid).analysed, what="the simulator's analysis")

    with client.open_analysis_report(guid) as report:  # Content-Type: application/json, twice (section 125)
        body = b"".join(report.iter_bytes())

    assert report.filename.startswith("Match-Analysis - Verify me - ")
    assert report.filename.endswith(".xml")
    assert body.startswith(b"<?xml")
    assert b"<total words=" in body
