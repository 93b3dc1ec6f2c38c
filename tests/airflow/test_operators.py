"""The smaller operators and the waiting error paths, each in a real DAG run against the simulator."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from t5support import wait_imported

from airflow_provider_translate5.client import Translate5Client

from t5dags import DagRunner, dag_header, once_a_trigger_polls

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

TASK_ID = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"
TRANSLATOR = "{00000000-0000-4000-8000-000000000002}"


def test_upload_assign_notify_start_in_one_dag_run(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    # The operators as a DAG author chains them: ids handed on by templates over XCom, retry-safe steps.
    dag_id = "t5_lifecycle"
    source = (
        dag_header(dag_id)
        + f"""
with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source=ObjectStoragePath("file://{source_file()}"), task_name="Lifecycle",
        source_lang="en", target_lang="de", foreign_id="cms-page-42", auto_start_import=False,
    )
    assign = Translate5AssignJobOperator(
        task_id="assign", translate5_task_id={TASK_ID!r}, user_guid={TRANSLATOR!r},
        workflow_step_name="translation",
    )
    assign_again = Translate5AssignJobOperator(
        task_id="assign_again", translate5_task_id={TASK_ID!r}, user_guid={TRANSLATOR!r},
        workflow_step_name="translation",
    )
    notify = Translate5TriggerWorkflowOperator(
        task_id="notify", translate5_task_id={TASK_ID!r}, trigger="notifyAllUsersAboutTaskAssociation",
    )
    start = Translate5StartImportOperator(task_id="start", translate5_task_id={TASK_ID!r})
    imported = Translate5ImportSensor(
        task_id="imported", translate5_task_id={TASK_ID!r}, poke_interval=0.1, mode="reschedule",
    )
    upload >> assign >> assign_again >> notify >> start >> imported
"""
    )
    result = run_dag(source, dag_id)

    assert result.state == "success", result.output[-3000:]
    upload = result.xcom("upload")
    assert upload["foreign_id"] == "cms-page-42"
    assert upload["task_ids"] == [upload["id"]]  # one target language: a task, no project
    assert upload["state"] == "import"
    [job] = result.xcom("assign")
    assert job["user_guid"] == TRANSLATOR
    assert job["workflow_step_name"] == "translation"
    assert "staticAuthHash" not in job
    assert result.xcom("assign_again") == [job]  # kept, not assigned twice
    assert sim.requests.count("POST", f"/editor/task/{upload['id']}/job") == 1
    assert result.xcom("notify") == [{"trigger": "notifyAllUsersAboutTaskAssociation", "success": True}]
    assert result.xcom("imported")["tasks"][0]["state"] == "open"


def test_zip_export_unzipped_with_asset_event(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path], tmp_path: Path
) -> None:
    dag_id = "t5_zip_export"
    out = tmp_path / "exports"
    source = (
        dag_header(dag_id)
        + f"""
with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source={str(source_file())!r}, task_name="Zipped", source_lang="en",
        target_lang=["de", "fr"],
    )
    ended = Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_id={TASK_ID!r}, poke_interval=0.2, mode="reschedule",
    )
    export = Translate5ExportOperator(
        task_id="export", translate5_task_id={TASK_ID!r}, destination="file://{out}", unzip=True,
        outlets=[Asset("translate5://exports/zipped")],
    )
    zip_only = Translate5ExportOperator(
        task_id="zip_only", translate5_task_id={TASK_ID!r}, destination={str(tmp_path / "zips")!r},
    )
    upload >> ended >> [export, zip_only]
"""
    )
    result = run_dag(source, dag_id)

    assert result.state == "success", result.output[-3000:]
    written = result.xcom("export")
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert sorted(written) == sorted(f"file://{p}" for p in files)
    assert len({p.parent.name for p in files if p.parent != out}) >= 2  # one folder per project task
    assert not [p for p in out.rglob("*") if p.name.endswith((".part", ".zip"))]
    zips = sorted((tmp_path / "zips").iterdir())
    assert len(zips) == 2
    assert len({p.name for p in zips}) == 2  # unique names across the project's tasks
    assert all(zipfile.is_zipfile(p) for p in zips)
    assert asset_event_extra(dag_id, result.run_id) == {
        "uris": written,
        "translate5_task_id": result.xcom("upload")["id"],
    }


def asset_event_extra(dag_id: str, run_id: str) -> dict[str, Any]:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        events = session.scalars(
            select(AssetEvent).where(AssetEvent.source_dag_id == dag_id, AssetEvent.source_run_id == run_id)
        ).all()
        assert len(events) == 1
        return dict(events[0].extra)


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_timeout_fails_clearly_and_leaves_the_task(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path], deferrable: bool
) -> None:
    sim.set(workflow_auto_finish=None)
    client = Translate5Client(sim.base_url, sim.token)
    task = client.create_task(source_file(), task_name="Never reviewed", source_lang="en", target_lang="de")
    dag_id = f"t5_timeout_{'deferrable' if deferrable else 'poke'}"
    source = (
        dag_header(dag_id, retries=2)
        + f"""
with dag:
    Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_id={task.id}, poke_interval=0.2, timeout=1, deferrable={deferrable},
    )
"""
    )
    result = run_dag(source, dag_id)

    assert result.states == {"ended": "failed"}
    assert result.tries["ended"] == 1  # a sensor timeout is final
    assert "imed out" in result.output
    assert (
        f"translate5 task {task.id} to reach the end of their workflow; nothing was changed" in result.output
    )
    # the link was published before waiting, so it is there although the sensor failed
    assert result.xcom("ended", "translate5_task_url") == f"{sim.base_url}/editor/#project/{task.id}/focus"
    assert client.get_task(task.id).state == "open"


def test_task_deleted_while_deferred_fails_without_retry(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    sim.set(workflow_auto_finish=None)
    client = Translate5Client(sim.base_url, sim.token)
    task = client.create_task(source_file(), task_name="Deleted by a PM", source_lang="en", target_lang="de")
    dag_id = "t5_deleted"
    source = (
        dag_header(dag_id, retries=2)
        + f"""
with dag:
    Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_id={task.id}, poke_interval=0.2, timeout=60, deferrable=True,
    )
"""
    )
    pm = once_a_trigger_polls(sim, lambda ids: client.delete_task(task.id, force=True))
    result = run_dag(source, dag_id)
    pm.join(timeout=5)

    assert result.states == {"ended": "failed"}
    assert result.tries["ended"] == 1
    assert f"translate5 task {task.id} no longer exist" in result.output


def test_pretranslation_that_translate5_refuses_fails_with_its_errors(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path], tmp_path: Path
) -> None:
    dag_id = "t5_not_pretranslated"
    source = (
        dag_header(dag_id, retries=2)
        + f"""
with dag:
    Translate5InstantTranslatePretranslateOperator(
        task_id="pretranslate", source={str(source_file("not-pretranslated.html"))!r}, source_lang="en",
        target_lang="de", destination={str(tmp_path / "out" / "result.html")!r}, poke_interval=0.1,
        deferrable=True,
    )
"""
    )
    result = run_dag(source, dag_id)

    assert result.states == {"pretranslate": "failed"}
    assert result.tries["pretranslate"] == 1
    assert "could not be pre-translated" in result.output
    assert not (tmp_path / "out" / "result.html").exists()


def test_validation_errors_fail_without_retry(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    dag_id = "t5_bad_language"
    source = (
        dag_header(dag_id, retries=2)
        + f"""
with dag:
    Translate5UploadTaskOperator(
        task_id="upload", source={str(source_file())!r}, task_name="Klingon", source_lang="en",
        target_lang="tlh-XX",
    )
"""
    )
    result = run_dag(source, dag_id)

    assert result.states == {"upload": "failed"}
    assert result.tries["upload"] == 1
    assert sim.token not in result.output


def test_export_interrupted_mid_body_leaves_no_file(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path], tmp_path: Path
) -> None:
    client = Translate5Client(sim.base_url, sim.token)
    task = client.create_task(source_file(), task_name="Flaky", source_lang="en", target_lang="de")
    sim.set(generated_export_size=4 * 1024 * 1024)
    sim.faults.drop_mid_body(10, method="GET", path="/editor/task/export")
    out = tmp_path / "out"
    dag_id = "t5_export_dropped"
    source = (
        dag_header(dag_id)
        + f"""
with dag:
    Translate5ExportOperator(
        task_id="export", translate5_task_id={task.id}, destination={str(out)!r},
    )
"""
    )
    result = run_dag(source, dag_id)

    assert result.states == {"export": "failed"}
    assert sim.requests.count("GET", f"/editor/task/export/id/{task.id}") >= 1
    assert not out.exists()  # as before the export: neither the file, nor a partial one, nor the folder


def test_ids_flow_from_the_upload_to_the_export_without_lookups(
    sim: Any, source_file: Callable[..., Path], tmp_path: Path, task_instance: Any
) -> None:
    from airflow_provider_translate5.operators import Translate5ExportOperator, Translate5UploadTaskOperator

    ti = task_instance()
    upload = Translate5UploadTaskOperator(
        task_id="upload",
        source=str(source_file()),
        task_name="Ids",
        source_lang="en",
        target_lang=["de", "fr"],
    ).execute({"ti": ti})  # type: ignore[typeddict-item]
    client = Translate5Client(sim.base_url, sim.token)
    wait_imported(client, upload["task_ids"])
    lookups = sim.requests.count("GET", prefix="/editor/task")

    written = Translate5ExportOperator(
        task_id="export",
        translate5_task_id=upload["id"],
        translate5_task_ids=upload["task_ids"],
        destination=str(tmp_path / "out"),
        format="filetranslation",
    ).execute({"ti": ti})  # type: ignore[typeddict-item]

    assert sorted(Path(u).name for u in written) == ["page_de.html", "page_fr.html"]
    exports = sim.requests.count("GET", prefix="/editor/task/export")
    assert sim.requests.count("GET", prefix="/editor/task") - lookups == exports == 2  # no task lookups
    assert ti.xcom["translate5_task_id"] == upload["id"]  # the link is published all the same
