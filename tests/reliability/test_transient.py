"""Transient faults: the client waits them out (bounded, logged), and downloads never leave half files."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import ObjectStoragePath
from airflow.sdk.exceptions import AirflowFailException
from t5support import wait_imported

from airflow_provider_translate5.client import (
    RetryPolicy,
    Translate5Client,
    Translate5ConnectionError,
    Translate5MaintenanceError,
    Translate5ServerError,
)
from airflow_provider_translate5.operators import Translate5ExportOperator

from .conftest import context_for

pytestmark = pytest.mark.integration

CLIENT_LOG = "airflow_provider_translate5.client"


def retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == CLIENT_LOG and "retrying" in r.getMessage()]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_5xx_burst_is_retried_and_logged(
    sim: Any, client: Translate5Client, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    sim.faults.fail_next(3, status=status, method="GET", path="/editor/task")
    caplog.set_level(logging.WARNING, CLIENT_LOG)

    assert client.list_tasks().rows == []

    assert sim.requests.count("GET", "/editor/task") == 4  # three failures, then the answer
    lines = retry_lines(caplog)
    assert [f"attempt {n}/4" in line for n, line in zip((2, 3, 4), lines, strict=True)] == [True] * 3
    assert all(f"HTTP {status}" in line for line in lines)
    assert not any(sim.token in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_error_on_create_is_not_retried_blindly(
    sim: Any, client: Translate5Client, page: Path, status: int
) -> None:
    # A proxy's 502/504 may come after translate5 created the task: retrying could create a second one.
    sim.faults.fail_next(1, status=status, method="POST", path="/editor/task")

    with pytest.raises(Translate5ServerError, match=f"HTTP {status}"):
        client.create_task(page, task_name="Once", source_lang="en", target_lang="de")

    assert sim.requests.count("POST", "/editor/task") == 1


def test_maintenance_page_is_waited_out_then_reported(sim: Any, client: Translate5Client) -> None:
    sim.faults.maintenance(2, message="Upgrade to 7.0 until 14:00")
    assert client.whoami()["state"] == "authenticated"
    assert sim.requests.count("GET", "/editor/session/current") == 3

    sim.faults.maintenance(4, message="Upgrade to 7.0 until 14:00")
    with pytest.raises(Translate5MaintenanceError) as caught:
        client.whoami()
    assert caught.value.status == 503
    assert "Upgrade to 7.0 until 14:00" in str(caught.value)
    assert "<html" not in str(caught.value).lower()


def test_rate_limit_honours_retry_after(sim: Any, make_client: Any, page: Path) -> None:
    waits: list[float] = []
    client = make_client(retry=RetryPolicy(max_attempts=4, backoff=0.01, jitter=False, sleep=waits.append))
    sim.faults.rate_limit(2, retry_after=7, method="POST", path="/editor/task")

    task = client.create_task(page, task_name="Throttled", source_lang="en", target_lang="de")

    assert waits == [7.0, 7.0]  # the server's Retry-After, not our own backoff
    assert sim.requests.count("POST", "/editor/task") == 3
    assert [t.id for t in client.list_tasks().rows] == [task.id]  # 429 = not processed: safe to resend


def test_read_timeout_is_retried_then_reported(sim: Any, make_client: Any) -> None:
    client = make_client(timeout=(2.0, 0.2))
    sim.faults.latency(0.5, 1, method="GET", path="/editor/task")
    assert client.list_tasks().rows == []
    assert sim.requests.count("GET", "/editor/task") == 2

    sim.faults.latency(0.5, 4, method="GET", path="/editor/language")
    with pytest.raises(Translate5ConnectionError) as caught:
        client.list_languages()
    assert "read timeout" in str(caught.value)
    assert "GET /editor/language" in str(caught.value)
    assert sim.token not in str(caught.value)


def test_slow_server_below_the_timeout_just_works(sim: Any, make_client: Any, page: Path) -> None:
    sim.set(latency=0.15)
    client = make_client(timeout=(2.0, 1.0))

    task = client.create_task(page, task_name="Slow", source_lang="en", target_lang="de")
    assert client.get_task(task.id).task_name == "Slow"

    assert sim.requests.count("POST", "/editor/task") == 1
    assert sim.requests.count("GET", f"/editor/task/{task.id}") == 1  # no retry needed


def _imported_task(sim: Any, client: Translate5Client, page: Path, *, targets: Any = "de") -> Any:
    task = client.create_task(page, task_name="Export me", source_lang="en", target_lang=targets)
    wait_imported(client, task.task_ids)
    for task_id in task.task_ids:
        sim.finish_workflow(task_id)
    return task


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def test_connection_reset_mid_download_leaves_no_partial_file(
    sim: Any, client: Translate5Client, page: Path, tmp_path: Path
) -> None:
    sim.set(generated_export_size=3 * 1024 * 1024)  # big enough to be cut in the middle of the stream
    task = _imported_task(sim, client, page)
    (tmp_path / "reference").mkdir()
    reference = client.export_task(task.id, tmp_path / "reference")
    out = tmp_path / "out"
    out.mkdir()

    sim.faults.drop_mid_body(1, method="GET", path="/editor/task/export")
    with pytest.raises(Translate5ConnectionError, match="could not talk to translate5"):
        client.export_task(task.id, out)
    assert _files(out) == []  # no half file, no temp file

    written = client.export_task(task.id, out)  # the retry starts from scratch
    assert _files(out) == [reference.name]
    with zipfile.ZipFile(written) as archive, zipfile.ZipFile(reference) as expected:
        assert archive.testzip() is None
        # the same members with the same bytes (the archive's timestamps may differ by a second)
        assert {i.filename: archive.read(i) for i in archive.infolist()} == {
            i.filename: expected.read(i) for i in expected.infolist()
        }


def test_export_operator_reset_mid_download_into_object_storage(
    sim: Any, client: Translate5Client, page: Path, tmp_path: Path
) -> None:
    task = _imported_task(sim, client, page, targets=["de", "fr"])
    folder = ObjectStoragePath(f"file://{tmp_path / 'exports'}")
    operator = Translate5ExportOperator(
        task_id="export", translate5_task_id=task.id, destination=folder, format="filetranslation"
    )
    # The first file arrives, the second one is cut off: the whole try fails and Airflow retries it.
    sim.faults.add("drop_mid_body", 1, method="GET", path=f"/editor/task/export/id/{task.task_ids[1]}")

    with pytest.raises(Translate5ConnectionError) as caught:
        operator.execute(context_for())
    assert not isinstance(caught.value, AirflowFailException)  # network trouble: left to Airflow's retries
    assert not folder.exists()  # as it was: all files or none, not even the complete first one

    written = operator.execute(context_for())
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["page_de.html", "page_fr.html"]
    assert written == [f"file://{tmp_path / 'exports' / n}" for n in names]
    for name, lang in zip(names, ("de", "fr"), strict=True):
        assert (folder / name).read_text() == translated(lang)


def translated(lang: str) -> str:
    return f"<p>[{lang}] Hello world.</p><p>[{lang}] Second sentence.</p>"
