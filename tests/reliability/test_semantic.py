"""Semantic faults: lost answers, expired sessions, conflicts, failed imports, deleted tasks, long waits."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout
from t5support import eventually, wait_imported

from airflow_provider_translate5.client import (
    Filter,
    RetryPolicy,
    Translate5Client,
    Translate5ConflictError,
    Translate5ServerError,
)
from airflow_provider_translate5.hooks.translate5 import Translate5Hook
from airflow_provider_translate5.operators import Translate5RenameTaskOperator, Translate5UploadTaskOperator
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

from .conftest import FAST_RETRY, context_for, run_like_airflow

pytestmark = pytest.mark.integration

MODES = pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])


def test_lost_create_answer_then_airflow_retry_creates_one_project(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    # Nothing is found in the try's grace lookup (the 502 came before anything was saved): try 1 fails
    # retryably; try 2 of the same task instance creates the project once.
    sim.faults.fail_next(1, status=502, message="Bad Gateway", method="POST", path="/editor/task")
    sim.faults.lose_response(1, method="POST", path="/editor/task")

    def upload() -> Translate5UploadTaskOperator:
        return Translate5UploadTaskOperator(
            task_id="upload",
            source=str(page),
            task_name="Lost",
            source_lang="en",
            target_lang=["de", "fr"],
            create_grace=0.2,
        )

    with pytest.raises(Translate5ServerError) as caught:  # try 1: a gateway error, nothing saved
        upload().execute(context_for(try_number=1))
    assert not isinstance(caught.value, AirflowFailException)  # so Airflow retries
    result = upload().execute(context_for(try_number=2))  # try 2: saved, but its answer is lost

    assert result["reattached"] is True  # found by its own grace lookup
    projects = client.list_tasks(filters=[Filter.eq("foreignId", result["foreign_id"])], projects_only=True)
    assert [p.id for p in projects.rows] == [result["id"]]
    assert len(client.list_tasks().rows) == 2  # de + fr, not four
    assert sim.requests.count("POST", "/editor/task") == 2


@pytest.mark.parametrize("login", [None, "manager"], ids=["token-header", "session-login"])
def test_expired_session_reauthenticates_transparently(
    sim: Any, make_client: Any, caplog: pytest.LogCaptureFixture, login: str | None
) -> None:
    client = make_client(login=login)
    client.whoami()
    sim.faults.expire_sessions()
    caplog.set_level(logging.INFO, "airflow_provider_translate5.client")

    assert client.list_tasks().rows == []
    assert client.whoami()["state"] == "authenticated"

    assert sim.requests.count("POST", "/editor/session") == (2 if login else 0)
    if login:  # the cookie alone authenticates: it was refused once, then a new login
        assert "re-authenticating" in caplog.text
    assert sim.token not in caplog.text


def test_stale_entity_version_is_a_clear_conflict(sim: Any, client: Translate5Client, page: Path) -> None:
    task = client.create_task(page, task_name="Versioned", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    current = client.get_task(task.id)
    client.rename_task(task.id, "Someone else's name", entity_version=current.entity_version)

    with pytest.raises(Translate5ConflictError) as caught:
        client.rename_task(task.id, "Mine", entity_version=current.entity_version)

    assert caught.value.status == 409
    assert f"HTTP 409 on PUT /editor/task/{task.id}: The displayed data was changed" in str(caught.value)
    assert client.get_task(task.id).task_name == "Someone else's name"  # nothing overwritten


def test_rename_operator_refetches_and_retries_after_a_concurrent_change(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    task = client.create_task(page, task_name="Original", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    # A PM renames the task right after the operator read it: the operator's entityVersion is now stale.
    session = requests.Session()
    interfered = threading.Event()

    def someone_else_edits(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.request.method == "GET" and not interfered.is_set():
            interfered.set()
            client.update_task(task.id, {"description": "edited by a PM"})

    session.hooks["response"].append(someone_else_edits)
    operator = Translate5RenameTaskOperator(task_id="rename", translate5_task_id=task.id, task_name="Renamed")
    operator.__dict__["hook"] = Translate5Hook(retry=FAST_RETRY, session=session)

    summary = operator.execute(context_for())

    assert interfered.is_set()
    assert summary["task_name"] == "Renamed"
    row = client.get_task(task.id)
    assert (row.task_name, row.raw["description"]) == ("Renamed", "edited by a PM")  # both edits kept
    assert sim.requests.count("PUT", f"/editor/task/{task.id}") == 3  # PM, stale try, fresh try


def test_export_already_running_is_waited_out(sim: Any, make_client: Any, page: Path, tmp_path: Path) -> None:
    waits: list[float] = []
    client = make_client(retry=RetryPolicy(max_attempts=5, backoff=0.01, jitter=False, sleep=waits.append))
    task = client.create_task(page, task_name="Busy", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    sim.faults.export_running(2)

    written = client.export_task(task.id, tmp_path, format="filetranslation")

    assert written.read_text(encoding="utf-8").startswith("<p>[de] Hello world.")
    assert sim.requests.count("GET", f"/editor/task/export/id/{task.id}") == 3
    assert len(waits) == 2


@MODES
def test_import_error_fails_fast_quoting_the_server(
    sim: Any, client: Translate5Client, tmp_path: Path, deferrable: bool
) -> None:
    bad = tmp_path / "import-error.html"
    bad.write_text("<p>x</p>", encoding="utf-8")
    task = client.create_task(bad, task_name="Broken", source_lang="en", target_lang="de")
    sensor = Translate5ImportSensor(
        task_id="imported", translate5_task_id=task.id, poke_interval=0.02, timeout=10, deferrable=deferrable
    )

    with pytest.raises(AirflowFailException) as caught:  # fails the task, skipping Airflow's retries
        run_like_airflow(sensor)

    wait_imported(client, task.task_ids)
    [server_error] = client.get_task(task.id).last_errors
    assert server_error in str(caught.value)
    assert f"translate5 task {task.id} (Broken) is in state 'error'" in str(caught.value)


@MODES
def test_task_deleted_while_waited_on_fails_clearly(
    sim: Any, client: Translate5Client, page: Path, deferrable: bool
) -> None:
    task = client.create_task(page, task_name="Doomed", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    sensor = Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_id=task.id, poke_interval=0.05, timeout=10, deferrable=deferrable
    )
    task_url = f"/editor/task/{task.id}"
    looked_up = sim.requests.count("GET", task_url)

    def delete_once_the_wait_has_seen_it() -> None:  # deleted *while* waited on, whatever the machine's load
        eventually(lambda: sim.requests.count("GET", task_url) > looked_up, what="a look of the wait")
        client.delete_task(task.id, force=True)

    deleter = threading.Thread(target=delete_once_the_wait_has_seen_it)
    deleter.start()

    with pytest.raises(AirflowFailException) as caught:  # fails at the deletion, not at the 10 s timeout
        run_like_airflow(sensor)
    deleter.join()

    message = str(caught.value)
    assert str(task.id) in message
    # the same words in poke and deferrable mode
    assert "no longer exist (deleted while Airflow was waiting" in message
    assert client.list_tasks().rows == []


@MODES
def test_workflow_that_never_ends_times_out_leaving_the_task(
    sim: Any, client: Translate5Client, page: Path, deferrable: bool
) -> None:
    task = client.create_task(page, task_name="Forever", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    before = client.get_task(task.id)
    sensor = Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_id=task.id, poke_interval=0.05, timeout=3, deferrable=deferrable
    )

    with pytest.raises(AirflowSensorTimeout) as caught:
        run_like_airflow(sensor)

    # the same words in poke and deferrable mode: which task, that nothing was touched, what was last seen
    message = str(caught.value)
    assert message.startswith(f"Timed out waiting for translate5 task {task.id} to reach the end of")
    assert "nothing was changed in translate5" in message
    assert f"Last seen: translate5 task {task.id} (Forever): state open" in message
    after = client.get_task(task.id)  # still there, untouched: not deleted, not ended
    assert (after.state, after.workflow_step_name) == ("open", before.workflow_step_name)
    assert sim.requests.count("DELETE", prefix="/editor/task") == 0
    assert sim.requests.count("PUT", prefix="/editor/task") == 0


def test_sessions_token_clients_send_no_logout_and_a_refused_logout_is_named(
    sim: Any, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token_client = make_client()
    token_client.whoami()
    token_client.close()
    assert sim.requests.count("DELETE", prefix="/editor/session/") == 0  # token sessions expire by themselves

    login_client = make_client(login="manager")
    login_client.whoami()
    with caplog.at_level(logging.WARNING):
        login_client.close()  # the simulator, like translate5, answers 403 without the `api` role

    assert sim.requests.count("DELETE", prefix="/editor/session/") == 1
    assert "api" in caplog.text  # the warning names the role the user lacks, nothing is swallowed
    assert sim.token not in caplog.text
