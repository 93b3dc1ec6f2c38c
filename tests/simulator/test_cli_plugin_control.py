"""The CLI entry point, the pytest fixtures and the /_simulator control API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import requests
from t5support import eventually

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import create_task, url


@pytest.mark.integration
def test_cli_prints_how_to_connect_answers_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_translate5.testing",
            "--port",
            "0",
            "--import-duration",
            "0.05",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        base_url = lines[0].rsplit(" ", 1)[-1].strip()
        token = lines[1].split(": ", 1)[1].strip()
        assert lines[2].startswith("export AIRFLOW_CONN_TRANSLATE5_DEFAULT=")
        response = requests.get(
            base_url + "/editor/session/current",
            headers={"Accept": "application/json", "Translate5AuthToken": token},
        )
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0


@pytest.mark.integration
def test_cli_json_hands_out_a_translator_token() -> None:
    """The contract suite needs an editor's app token without the control API: ``--json`` prints one."""
    fixed = "7:" + "T" * 36
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_translate5.testing", "--json", "--user-token", fixed],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert info["user_token"] == fixed
        as_user = {"Accept": "application/json", "Translate5AuthToken": info["user_token"]}
        me = requests.get(info["base_url"] + "/editor/session/current", headers=as_user).json()
        assert (me["user"]["login"], me["user"]["roles"]) == (
            "translator1",
            ["editor", "taskOverview", "basic", "noRights"],
        )
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0


def test_connection_fixture_sets_airflow_env(
    translate5_connection: str, translate5_simulator: Translate5Simulator
) -> None:
    assert translate5_connection == "translate5_default"
    value = json.loads(os.environ["AIRFLOW_CONN_TRANSLATE5_DEFAULT"])
    assert value == {
        "conn_type": "translate5",
        "host": translate5_simulator.base_url,
        "password": translate5_simulator.token,
    }


@pytest.fixture
def translate5_simulator_options() -> dict[str, object]:
    return {"import_duration": 0.01, "filelist_as_list": True}


def test_options_fixture_can_be_overridden(translate5_simulator: Translate5Simulator) -> None:
    assert translate5_simulator.config.filelist_as_list is True
    assert translate5_simulator.config.import_duration == 0.01


def test_explicit_token_must_be_token_shaped() -> None:
    with pytest.raises(ValueError, match="app token"):
        Translate5Simulator(token="secret")
    assert Translate5Simulator(token="12:" + "a" * 36).token == "12:" + "a" * 36


def test_control_api(sim: Translate5Simulator, api: requests.Session) -> None:
    info = requests.get(url(sim, "/_simulator")).json()
    assert info["token"] == sim.token
    assert "knobs" in info
    knobs = requests.post(url(sim, "/_simulator/knobs"), json={"workflow_auto_finish": 0.01}).json()
    assert knobs["workflow_auto_finish"] == 0.01
    assert requests.post(url(sim, "/_simulator/knobs"), json={"nope": 1}).status_code == 400
    row = create_task(sim, api)
    eventually(lambda: sim.task(row["id"])["workflowStepName"] == "workflowEnded", what="the workflow to end")
    requests.post(url(sim, "/_simulator/knobs"), json={"workflow_auto_finish": None})
    second = create_task(sim, api)
    eventually(lambda: sim.task(second["id"])["state"] == "open", what="the second task to import")
    step = requests.post(url(sim, f"/_simulator/tasks/{second['id']}/finish_step")).json()
    assert step["rows"]["workflowStepName"] == "workflowEnded"  # only jobs end a workflow: one was added
    jobs = api.get(url(sim, f"/editor/task/{second['id']}/job")).json()["rows"]
    assert [(j["login"], j["state"]) for j in jobs] == [("translator1", "finished")]
    ended = requests.post(url(sim, f"/_simulator/tasks/{second['id']}/finish_workflow")).json()
    assert ended["rows"]["workflowStepName"] == "workflowEnded"
    log = requests.get(url(sim, "/_simulator/requests")).json()
    assert log["counts"]["POST /editor/task"] == 2
    assert all(not r["path"].startswith("/_simulator") for r in log["requests"])
    assert sim.requests.count("POST", "/editor/task") == 2
    added = requests.post(url(sim, "/_simulator/faults"), json={"kind": "error", "count": 1, "status": 504})
    assert added.json()["faults"][0]["status"] == 504
    assert api.get(url(sim, "/editor/language")).status_code == 504
    requests.post(url(sim, "/_simulator/sessions/expire"))
    assert sim.store.sessions == {}
    assert requests.delete(url(sim, "/_simulator/requests")).json()["requests"] == []
    assert requests.post(url(sim, "/_simulator/reset")).json() == {"success": True}
    assert api.get(url(sim, "/editor/task")).json()["total"] == "0"


@pytest.mark.integration
def test_stop_removes_temp_files() -> None:
    sim = Translate5Simulator(import_duration=0.01).start()
    root = sim.store.root
    with requests.Session() as api:
        api.headers.update({"Accept": "application/json", "Translate5AuthToken": sim.token})
        create_task(sim, api)
    assert any(root.rglob("hello.xlf"))
    sim.stop()
    assert not root.exists()


def test_cli_help_explains_every_flag() -> None:
    from airflow_provider_translate5.testing.__main__ import _parser

    parser = _parser()
    unexplained = [a.dest for a in parser._actions if not a.help]
    assert unexplained == []
    text = parser.format_help()
    assert "``" not in text  # plain text, no raw reStructuredText
    assert "/_simulator" in text
