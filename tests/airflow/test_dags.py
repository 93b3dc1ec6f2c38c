"""Whole DAGs under ``dag.test()`` against the simulator: what a user runs, in poke and deferrable mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_translate5.client import Translate5Client

from t5dags import DagRunner, dag_header, once_a_trigger_polls

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

PROJECT_ID = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"
TASK_IDS = "{{ ti.xcom_pull(task_ids='upload')['task_ids'] }}"  # rendered as text "[2, 3]"


def e2e_dag(dag_id: str, source: Path, out: Path, *, deferrable: bool) -> str:
    return (
        dag_header(dag_id)
        + f"""
with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source={str(source)!r}, task_name="Homepage", source_lang="en",
        target_lang=["de", "fr"], foreign_name="cms",
    )
    imported = Translate5ImportSensor(
        task_id="imported", translate5_task_id={PROJECT_ID!r}, poke_interval=0.2, deferrable={deferrable},
    )
    ended = Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_ids=upload.output["task_ids"], poke_interval=0.2,
        deferrable={deferrable},
    )
    export = Translate5ExportOperator(
        task_id="export", translate5_task_id={PROJECT_ID!r}, destination={str(out / "export")!r},
        format="filetranslation", outlets=[Asset("translate5://exports/homepage")],
    )
    upload >> imported >> ended >> export
"""
    )


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_cms_to_translate5_and_back(
    sim: Any,
    run_dag: DagRunner,
    source_file: Callable[..., Path],
    tmp_path: Path,
    deferrable: bool,
) -> None:
    if deferrable:  # the reviewers finish only while the workflow wait is deferred
        sim.set(workflow_auto_finish=None)
        # After the import: the import wait's last look, then the workflow wait's first look (it defers).
        reviewers = once_a_trigger_polls(
            sim,
            lambda ids: [sim.finish_workflow(i) for i in sorted(ids)],
            polls=2,
            after=lambda ids: all(sim.task(i)["state"] == "open" for i in ids),
        )
    source = source_file("homepage.html")
    dag_id = f"t5_e2e_{'deferrable' if deferrable else 'poke'}"
    result = run_dag(e2e_dag(dag_id, source, tmp_path / "out", deferrable=deferrable), dag_id)

    chain = ("upload", "imported", "ended", "export")
    assert result.states == dict.fromkeys(chain, "success"), result.output[-3000:]
    exported = sorted((tmp_path / "out" / "export").iterdir())
    assert [p.name for p in exported] == ["homepage_de.html", "homepage_fr.html"]
    assert "[de] Hello world." in exported[0].read_text(encoding="utf-8")
    assert "[fr] Hello world." in exported[1].read_text(encoding="utf-8")
    assert result.xcom("export") == [p.as_uri() for p in exported]

    upload = result.xcom("upload")
    assert upload["task_ids"] == [upload["id"] + 1, upload["id"] + 2]  # one task per target language
    assert upload["foreign_id"] == f"airflow:{dag_id}/{result.run_id}/upload"
    assert not upload["reattached"]
    link = f"{sim.base_url}/editor/#project/{upload['id']}/focus"
    for task_id in ("upload", "imported", "ended", "export"):
        assert result.xcom(task_id, "translate5_task_url") == link
        assert result.xcom(task_id, "_link_Translate5TaskLink") == link
    assert result.xcom("ended")["task_ids"] == upload["task_ids"]
    if deferrable:  # the workflow wait ran in the triggerer, which logged the progress
        reviewers.join(timeout=5)
        assert "Deferring: waiting for translate5 task(s)" in result.output
        assert "Translate5TaskStateTrigger" in result.output
        assert "workflow step workflowEnded" in result.output

    # token sessions expire on the server: no task spends a request on a logout the real server refuses (403)
    assert sim.requests.count("DELETE", prefix="/editor/session/") == 0

    # secrets never reach the log output of the whole run or any XCom
    assert sim.token not in result.output
    assert sim.token not in result.all_xcom_text()
    assert sim.token.split(":", 1)[1] not in result.output


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_instant_translate_pretranslation_delivers_the_translated_file(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path], tmp_path: Path, deferrable: bool
) -> None:
    dag_id = f"t5_instant_{'deferrable' if deferrable else 'poke'}"
    out = tmp_path / "instant"
    source = (
        dag_header(dag_id)
        + f"""
with dag:
    Translate5InstantTranslatePretranslateOperator(
        task_id="pretranslate", source={str(source_file("homepage.html"))!r}, source_lang="en",
        target_lang="de", destination={str(out) + "/"!r}, poke_interval=0.2, deferrable={deferrable},
    )
"""
    )
    result = run_dag(source, dag_id)

    assert result.states == {"pretranslate": "success"}, result.output[-3000:]
    delivered = out / "homepage_de.html"
    assert result.xcom("pretranslate") == delivered.as_uri()
    assert "[de] Hello world." in delivered.read_text(encoding="utf-8")
    assert sim.token not in result.output


def test_lost_create_answer_creates_exactly_one_project(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    """translate5 saved the project but its answer was lost: the upload finds it instead of creating twice."""
    sim.faults.lose_response(1, method="POST", path="/editor/task")
    dag_id = "t5_lost_answer"
    source = (
        dag_header(dag_id, retries=1)
        + f"""
with dag:
    Translate5UploadTaskOperator(
        task_id="upload", source={str(source_file())!r}, task_name="Retry me", source_lang="en",
        target_lang=["de", "fr"],
    )
"""
    )
    result = run_dag(source, dag_id)

    assert result.states == {"upload": "success"}
    upload = result.xcom("upload")
    assert upload["reattached"] is True
    client = Translate5Client(sim.base_url, sim.token)
    projects = client.list_tasks(projects_only=True).rows
    assert [p.id for p in projects] == [upload["id"]]
    assert len(client.list_tasks().rows) == 2  # de + fr, not four
    assert sim.requests.count("POST", "/editor/task") == 1


def test_import_error_fails_without_retry_quoting_the_server(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    dag_id = "t5_import_error"
    source = (
        dag_header(dag_id, retries=3)
        + f"""
with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source={str(source_file("import-error.html"))!r}, task_name="Broken",
        source_lang="en", target_lang="de",
    )
    upload >> Translate5ImportSensor(
        task_id="imported", translate5_task_id={PROJECT_ID!r}, poke_interval=0.1, mode="reschedule",
    )
"""
    )
    result = run_dag(source, dag_id)

    assert result.states == {"upload": "success", "imported": "failed"}
    assert result.tries["imported"] == 1  # AirflowFailException: no retries although retries=3
    assert "The import of the task failed" in result.output


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_a_task_nobody_is_assigned_to_is_said_while_the_wait_goes_on_until_translators_finish(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path], mode: str
) -> None:
    """Issue 10: translate5 keeps a task without users at workflow step "no workflow"; the wait says so.

    Users can be assigned later, so the wait does not fail: here the translators finish after the sensor
    looked twice, and the run succeeds.
    """
    sim.set(workflow_auto_finish=None)
    translators = once_a_trigger_polls(
        sim, lambda ids: [sim.finish_workflow(i) for i in sorted(ids)], polls=2
    )
    dag_id = f"t5_no_users_{mode}"
    source = (
        dag_header(dag_id)
        + f"""
with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source={str(source_file())!r}, task_name="Nobody", source_lang="en",
        target_lang="de",
    )
    upload >> Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_ids={TASK_IDS!r}, poke_interval=0.2,
        mode={"reschedule" if mode == "reschedule" else "poke"!r}, deferrable={mode == "deferrable"},
    )
"""
    )
    result = run_dag(source, dag_id)
    translators.join(timeout=5)

    assert result.states == {"upload": "success", "ended": "success"}, result.output[-3000:]
    task_id = result.xcom("upload")["task_ids"][0]
    assert (
        f"translate5 task {task_id} (Nobody) has no users assigned (workflow step 'no workflow')"
        in result.output
    )
    assert "Still waiting." in result.output
    assert result.xcom("ended")["tasks"][0]["workflow_step_name"] == "workflowEnded"


def test_a_test_session_leaves_no_airflow_home_behind(tmp_path: Path) -> None:
    """The suite's temporary AIRFLOW_HOME (with its metadata DB) is removed when pytest exits."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/airflow/test_status.py"],
        cwd=repo,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        check=True,
        capture_output=True,
    )
    assert not list(tmp_path.glob("t5-airflow-home-*"))
