"""Contract: translate5's queued batch export (read from its source; no recording exists).

``POST /editor/taskuserassoc/batchset`` with ``batchType=export``, ``taskIds``, ``projectsAndTasks``
(``TaskbatchController::indexAction``, ``Task/BatchOperations/Handler/TaskBatchExport``) answers ``nextUrl``
``/editor/queuedexport/<token>?title=…``; ``…/<token>/status`` prints ``{"ready":false|true}`` and
``…/<token>/download`` sends one ZIP with ``<task id>-<task name>.zip`` per task (``BatchExportWorker``),
then deletes it: the token is unknown afterwards (``QueuedExportService::getRecordByToken`` -> 404).
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable

import pytest
from contract_support import Cleanup, T5Http, import_owned_task

from airflow_provider_translate5.client import (
    Translate5Client,
    Translate5NotFoundError,
    Translate5PermissionError,
)

BATCH_DEADLINE = 300.0


def test_queued_batch_export_of_a_task(
    t5_http: T5Http,
    t5_client: Translate5Client,
    cleanup: Cleanup,
    unique_name: Callable[[str], str],
) -> None:
    task_id = int(
        import_owned_task(t5_http, cleanup, unique_name("batch-export"), file_name="about-us.xlf")["id"]
    )

    try:
        token = t5_client.start_batch_export([task_id])
    except (Translate5NotFoundError, Translate5PermissionError) as exc:
        pytest.skip(f"this translate5 offers no queued batch export to the contract token ({exc})")
    ends = time.monotonic() + BATCH_DEADLINE
    while not t5_client.batch_export_ready(token):
        assert time.monotonic() < ends, f"queued export {token} not ready within {BATCH_DEADLINE:.0f} s"
        time.sleep(1)
    with t5_client.open_batch_export(token) as download:
        data = b"".join(download.iter_bytes())

    with zipfile.ZipFile(io.BytesIO(data)) as batch:
        [member] = batch.namelist()
        assert member.startswith(f"{task_id}-"), member
        assert member.endswith(".zip"), member
        with zipfile.ZipFile(io.BytesIO(batch.read(member))) as task_zip:
            assert any(n.endswith("about-us.xlf") for n in task_zip.namelist()), task_zip.namelist()
    with pytest.raises(Translate5NotFoundError):
        t5_client.batch_export_ready(token)  # downloaded once, then deleted by translate5
