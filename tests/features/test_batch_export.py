"""Several tasks exported through translate5's queued batch export, or task by task where it is absent."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from t5support import eventually, wait_imported

from airflow_provider_translate5.client import Translate5Client, Translate5NotFoundError, Translate5ValueError

from t5dags import DagRunner, dag_header

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sim: Any) -> Iterator[Translate5Client]:
    with Translate5Client(sim.base_url, sim.token) as t5:
        yield t5


def _imported(client: Translate5Client, name: str) -> int:
    task = client.create_task(
        (f"{name}.html", io.BytesIO(b"<p>Hello</p>")), task_name=name, source_lang="en", target_lang="de"
    )
    wait_imported(client, [task.id])
    return task.id


def test_queued_export_holds_each_task_export_and_is_gone_after_download(client: Translate5Client) -> None:
    first, second = _imported(client, "Home page"), _imported(client, "About")
    token = client.start_batch_export([first, second, first])
    eventually(lambda: client.batch_export_ready(token), what="the queued export to be ready")
    with client.open_batch_export(token) as download:
        data = b"".join(download.iter_bytes())
    with zipfile.ZipFile(io.BytesIO(data)) as batch:
        assert sorted(batch.namelist()) == sorted([f"{first}-Home-page.zip", f"{second}-About.zip"])
        with zipfile.ZipFile(io.BytesIO(batch.read(f"{second}-About.zip"))) as task_zip:
            assert any(name.endswith("About.html") for name in task_zip.namelist())
    with pytest.raises(Translate5NotFoundError), client.open_batch_export(token):
        pass  # translate5 deletes a batch export once it was downloaded


@pytest.mark.parametrize(
    ("ids", "message"),
    [([], "at least one task id"), ([1, "x"], "positive task ids"), (list(range(1, 32)), "at most 30")],
)
def test_bad_batches_are_refused_before_a_request(
    sim: Any, client: Translate5Client, ids: list[Any], message: str
) -> None:
    before = len(sim.requests)
    with pytest.raises(Translate5ValueError, match=message):
        client.start_batch_export(ids)
    with pytest.raises(Translate5ValueError, match="not a translate5 queued-export token"):
        client.batch_export_ready("../../editor/task")
    assert len(sim.requests) == before


def _dag(dag_id: str, source: Path, destination: Path, *, deferrable: bool = False) -> str:
    return (
        dag_header(dag_id)
        + f"""
from airflow_provider_translate5.operators import Translate5BatchExportOperator

with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source=ObjectStoragePath("file://{source}"), task_name="Batch page",
        source_lang="en", target_lang=["de", "fr"],
    )
    imported = Translate5ImportSensor(
        task_id="imported", poke_interval=0.1,
        translate5_task_id="{{{{ ti.xcom_pull(task_ids='upload')['id'] }}}}",
    )
    export = Translate5BatchExportOperator(
        task_id="export", translate5_task_ids=["{{{{ ti.xcom_pull(task_ids='upload')['id'] }}}}"],
        destination="{destination}", poke_interval=0.1, retries=0, deferrable={deferrable!r},
    )
    upload >> imported >> export
"""
    )


def _assert_one_zip_per_task(destination: Path, task_ids: list[int]) -> None:
    """``<task id>-<task name>.zip`` (names of a project's tasks end with their language pair)."""
    files = sorted(destination.iterdir())
    assert len(files) == len(task_ids)
    for task_id, path in zip(sorted(task_ids), files, strict=True):
        assert path.name.startswith(f"{task_id}-Batch-page-")
        assert path.suffix == ".zip"
        with zipfile.ZipFile(path) as task_zip:
            assert any(name.endswith(".html") for name in task_zip.namelist())


@pytest.mark.dagrun
@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_operator_uses_the_queued_export(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path], tmp_path: Path, deferrable: bool
) -> None:
    destination = tmp_path / "out"
    dag_id = f"t5_batch_queued_{deferrable}".lower()
    before = sim.config.export_duration
    sim.set(export_duration=0.5)  # the export is not ready at the first look
    try:
        result = run_dag(_dag(dag_id, source_file(), destination, deferrable=deferrable), dag_id)
    finally:
        sim.set(export_duration=before)

    assert result.states["export"] == "success", result.output[-3000:]
    exported = result.xcom("export")
    assert exported["mode"] == "queued"
    task_ids = result.xcom("upload")["task_ids"]
    assert sorted(exported["task_ids"]) == sorted(task_ids)
    _assert_one_zip_per_task(destination, task_ids)
    synchronous = [r for r in sim.requests if r.path.startswith("/editor/task/export/")]
    assert synchronous == []
    looks = [r for r in sim.requests if r.path.endswith("/status")]
    assert len(looks) >= 2  # waited: not ready at first, then ready


@pytest.mark.dagrun
def test_operator_falls_back_to_one_export_per_task_without_the_route(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path], tmp_path: Path
) -> None:
    sim.faults.add("error", count=5, method="POST", path="/editor/taskuserassoc/batchset", status=404)
    destination = tmp_path / "out"
    result = run_dag(_dag("t5_batch_fallback", source_file(), destination), "t5_batch_fallback")

    assert result.states["export"] == "success", result.output[-3000:]
    exported = result.xcom("export")
    assert exported["mode"] == "synchronous"
    task_ids = result.xcom("upload")["task_ids"]
    _assert_one_zip_per_task(destination, task_ids)  # the same files as the queued export
    assert "offers no queued batch export" in result.output
