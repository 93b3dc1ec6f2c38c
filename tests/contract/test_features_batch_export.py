"""Contract: translate5's queued batch export and its token's life cycle, as recorded (part 2 §151-156).

``POST /editor/taskuserassoc/batchset`` with ``batchType=export``, ``taskIds``, ``projectsAndTasks``
(``TaskbatchController::indexAction``) answers ``nextUrl`` ``/editor/queuedexport/<token>?title=Export``
(§151); ``…/<token>/status`` prints ``{"ready":false|true}`` served as ``text/html`` (§152-153);
``…/<token>/download`` sends ``export.zip`` as ``application/octet-stream`` with one ``<task id>-<task
name>.zip`` per task (§154), then translate5 deletes it: a second download and the status answer the REST
envelope 404 "Token no longer exists" (§155-156).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest
import requests
from contract_support import POLL_SECONDS, Cleanup, T5Http, content_types, describe, import_owned_task
from t5support import eventually

from airflow_provider_translate5.client import (
    Translate5Client,
    Translate5NotFoundError,
    Translate5PermissionError,
    Translate5QueuedExportGoneError,
)

BATCH_DEADLINE = 300.0
GONE = "Token no longer exists"


@pytest.fixture
def queued(
    t5_http: T5Http, t5_client: Translate5Client, cleanup: Cleanup, unique_name: Callable[[str], str]
) -> tuple[int, str]:
    """A task and the token of its queued export (skipped where the server offers no queued export)."""
    task_id = int(
        import_owned_task(t5_http, cleanup, unique_name("batch-export"), file_name="about-us.xlf")["id"]
    )
    try:
        token = t5_client.start_batch_export([task_id])
    except (Translate5NotFoundError, Translate5PermissionError) as exc:
        pytest.skip(f"this translate5 offers no queued batch export to the contract token ({exc})")
    return task_id, token


def _status(t5_http: T5Http, token: str) -> requests.Response:
    return t5_http.get(f"/editor/queuedexport/{token}/status")


def _assert_gone(response: requests.Response) -> None:
    assert response.status_code == 404, describe(response)
    assert "application/json" in content_types(response), describe(response)
    envelope = response.json()
    assert envelope["errorMessage"] == GONE, describe(response)
    assert envelope["httpStatus"] == 404
    assert envelope["success"] is False


def test_the_token_answers_as_recorded_from_queued_to_gone(t5_http: T5Http, queued: tuple[int, str]) -> None:
    task_id, token = queued

    first = _status(t5_http, token)  # §152: JSON text served as text/html, no REST view
    assert first.status_code == 200, describe(first)
    assert "text/html" in content_types(first), describe(first)
    assert json.loads(first.text) in ({"ready": False}, {"ready": True}), describe(first)
    eventually(
        lambda: json.loads(_status(t5_http, token).text),
        lambda answer: answer == {"ready": True},  # §153
        what=f"queued export {token}",
        timeout=BATCH_DEADLINE,
        interval=POLL_SECONDS,
    )

    download = t5_http.get(f"/editor/queuedexport/{token}/download")  # §154
    assert download.status_code == 200, describe(download)
    assert content_types(download) == "application/octet-stream", describe(download)
    assert "export.zip" in download.headers.get("Content-Disposition", "")
    with zipfile.ZipFile(io.BytesIO(download.content)) as batch:
        [member] = batch.namelist()
        assert member.startswith(f"{task_id}-"), member
        assert member.endswith(".zip"), member
        with zipfile.ZipFile(io.BytesIO(batch.read(member))) as task_zip:
            assert any(n.endswith("about-us.xlf") for n in task_zip.namelist()), task_zip.namelist()

    _assert_gone(t5_http.get(f"/editor/queuedexport/{token}/download"))  # §155: fetched exactly once
    _assert_gone(_status(t5_http, token))  # §156: not even the status is left


def test_the_client_reads_the_status_by_its_body_fetches_once_then_names_the_gone_token(
    queued: tuple[int, str], counting_client: tuple[Translate5Client, list[str]]
) -> None:
    task_id, token = queued
    client, sent = counting_client
    eventually(  # the status is text/html: read by its body
        lambda: client.batch_export_ready(token),
        what=f"queued export {token}",
        timeout=BATCH_DEADLINE,
        interval=POLL_SECONDS,
    )
    with client.open_batch_export(token) as download:
        data = b"".join(download.iter_bytes())
    with zipfile.ZipFile(io.BytesIO(data)) as batch:
        assert [name.split("-", 1)[0] for name in batch.namelist()] == [str(task_id)]
    sent.clear()

    with pytest.raises(Translate5QueuedExportGoneError) as again:
        with client.open_batch_export(token):
            pass
    with pytest.raises(Translate5QueuedExportGoneError) as status:
        client.batch_export_ready(token)

    assert GONE in str(again.value)
    assert "export the tasks anew" in str(again.value)
    assert GONE in str(status.value)
    assert not again.value.terminal  # a new export of the same tasks can succeed
    download_path = f"/editor/queuedexport/{token}/download"
    assert [entry for entry in sent if entry.endswith(download_path)] == [f"GET {download_path}"]  # no retry
