"""People, not GUIDs: users and customers resolved by what DAG authors know, and job updates by person."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from t5support import wait_imported

from airflow_provider_translate5.client import Translate5Client, Translate5ValueError

from t5dags import DagRunner, dag_header

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sim: Any) -> Iterator[Translate5Client]:
    with Translate5Client(sim.base_url, sim.token) as t5:
        yield t5


def test_user_by_login_email_or_guid_gives_the_same_person(client: Translate5Client) -> None:
    by_login = client.resolve_user("reviewer1")  # an address of its own (translator1 shares one)
    assert by_login.login == "reviewer1"
    assert by_login.user_guid.startswith("{")
    assert by_login.user_guid.endswith("}")
    assert by_login.email
    assert client.resolve_user(by_login.email.upper()) == by_login  # e-mail addresses ignore case
    assert client.user_guid(by_login.user_guid.strip("{}").upper()) == by_login.user_guid
    assert client.user_guid(" reviewer1 ") == by_login.user_guid


def test_roles_are_read_from_translate5s_comma_separated_string(sim: Any, client: Translate5Client) -> None:
    [row] = [r for r in client.list_users() if r.login == "translator1"]
    assert isinstance(row.raw["roles"], str)  # "editor,taskOverview" (part 2, §130)
    assert row.roles == tuple(row.raw["roles"].split(","))
    assert len(row.roles) > 1


def test_unknown_user_is_named_in_the_error(client: Translate5Client) -> None:
    with pytest.raises(Translate5ValueError, match="login 'nobody'"):
        client.resolve_user("nobody")
    with pytest.raises(Translate5ValueError, match=r"e-mail address 'nobody@example\.org'"):
        client.resolve_user("nobody@example.org")
    with pytest.raises(Translate5ValueError, match="non-empty"):
        client.resolve_user("  ")


def test_shared_e_mail_address_is_refused_not_guessed(client: Translate5Client) -> None:
    shared = client.resolve_user("translator1").email  # as on the recorded server: noreply@translate5.net
    with pytest.raises(
        Translate5ValueError, match=r"3 translate5 users .*\(manager, translator1, translator2\)"
    ):
        client.resolve_user(str(shared))
    assert client.resolve_user("translator2").email == shared  # the login still tells them apart


def test_customer_by_id_number_or_name(client: Translate5Client) -> None:
    by_number = client.resolve_customer("1000")
    assert by_number.number == "1000"
    assert client.resolve_customer(by_number.id) == by_number
    assert client.resolve_customer(by_number.name.upper()) == by_number
    with pytest.raises(Translate5ValueError, match="'no such customer'"):
        client.resolve_customer("no such customer")


def test_update_job_moves_the_deadline_and_finishes_the_job(sim: Any, client: Translate5Client) -> None:
    task = _imported_task(sim, client)
    job = client.create_job(task, user_guid=client.user_guid("translator1"), workflow_step_name="translation")
    moved = client.update_job(task, job.id, deadline_date="2030-01-31T17:00:00")
    assert moved.raw["deadlineDate"] == "2030-01-31 17:00:00"
    finished = client.update_job(task, job.id, state="finished")
    assert finished.state == "finished"
    [listed] = client.list_jobs(task)
    assert (listed.state, listed.raw["deadlineDate"]) == ("finished", "2030-01-31 17:00:00")
    put = [r for r in sim.requests if r.method == "PUT" and r.path == f"/editor/task/{task}/job/{job.id}"]
    assert len(put) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "at least one change"),
        ({"state": "done"}, "job state must be one of"),
        ({"deadline_date": "31.01.2030"}, "YYYY-MM-DD HH:MM:SS"),
        ({"deadline_date": "2030-01-31"}, "YYYY-MM-DD HH:MM:SS"),  # no time: not midnight by guess
        ({"deadline_date": "2030-01-31 17:00:00+01:00"}, "server_timezone"),
    ],
)
def test_bad_job_update_is_refused_before_any_request(
    sim: Any, client: Translate5Client, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(Translate5ValueError, match=message):
        client.update_job(1, 1, **kwargs)
    assert sim.requests.count("PUT") == 0


@pytest.mark.parametrize(
    "deadline",
    ["2030-01-31T16:00:00Z", "2030-01-31T17:00:00+01:00", datetime(2030, 1, 31, 16, tzinfo=timezone.utc)],
)
def test_a_deadline_with_a_zone_is_refused_unless_the_server_zone_is_known(
    sim: Any, client: Translate5Client, deadline: str | datetime
) -> None:
    """translate5 would drop the zone and keep 16:00 or 17:00 as its local time (part 2, §141)."""
    task = _imported_task(sim, client)
    translator = client.user_guid("translator1")
    with pytest.raises(Translate5ValueError, match=r"carries a time zone.*'server_timezone'"):
        client.create_job(
            task, user_guid=translator, workflow_step_name="translation", deadline_date=deadline
        )
    job = client.create_job(task, user_guid=translator, workflow_step_name="translation")
    with pytest.raises(Translate5ValueError, match="carries a time zone"):
        client.update_job(task, job.id, deadline_date=deadline)
    assert sim.requests.count("PUT") == 0
    assert [j.raw["deadlineDate"] for j in client.list_jobs(task)] == [None]


@pytest.mark.parametrize(
    ("zone", "deadline", "stored"),
    [
        ("Europe/Berlin", "2030-01-31T16:00:00Z", "2030-01-31 17:00:00"),  # winter: UTC+1
        (
            "Europe/Berlin",
            datetime(2030, 7, 31, 16, tzinfo=timezone.utc),
            "2030-07-31 18:00:00",
        ),  # summer: +2
        ("America/New_York", "2030-01-31 17:00:00+01:00", "2030-01-31 11:00:00"),
        ("Europe/Berlin", "2030-01-31 17:00:00", "2030-01-31 17:00:00"),  # naive: the server's time as it is
    ],
)
def test_a_deadline_with_a_zone_is_sent_in_the_configured_server_zone(
    sim: Any, zone: str, deadline: str | datetime, stored: str
) -> None:
    with Translate5Client(sim.base_url, sim.token, server_timezone=zone) as client:
        task = _imported_task(sim, client)
        translator = client.user_guid("translator1")
        job = client.create_job(
            task, user_guid=translator, workflow_step_name="translation", deadline_date=deadline
        )
        assert job.raw["deadlineDate"] == stored
        moved = client.update_job(task, job.id, deadline_date=deadline)
        assert moved.raw["deadlineDate"] == stored


def test_the_connection_extra_server_timezone_converts_deadlines(
    sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_translate5.hooks.translate5 import Translate5ConnectionConfigError, Translate5Hook

    conn = {"conn_type": "translate5", "host": sim.base_url, "password": sim.token}
    monkeypatch.setenv(
        "AIRFLOW_CONN_T5_ZONE", json.dumps({**conn, "extra": {"server_timezone": "Europe/Berlin"}})
    )
    client = Translate5Hook("t5_zone").get_conn()
    task = _imported_task(sim, client)
    job = client.create_job(
        task, user_guid=client.user_guid("translator1"), workflow_step_name="translation",
        deadline_date="2030-01-31T16:00:00Z",
    )  # fmt: skip
    assert job.raw["deadlineDate"] == "2030-01-31 17:00:00"

    monkeypatch.setenv(
        "AIRFLOW_CONN_T5_MARS", json.dumps({**conn, "extra": {"server_timezone": "Mars/Olympus"}})
    )
    with pytest.raises(Translate5ConnectionConfigError, match=r"connection 't5_mars'.*Mars/Olympus"):
        Translate5Hook("t5_mars").get_conn()


def test_an_unknown_server_zone_is_refused_when_the_client_is_made(sim: Any) -> None:
    with pytest.raises(Translate5ValueError, match=r"IANA time zone name.*'Mars/Olympus'"):
        Translate5Client(sim.base_url, sim.token, server_timezone="Mars/Olympus")


def test_a_notice_on_a_successful_answer_is_logged_not_failed(
    sim: Any, client: Translate5Client, caplog: pytest.LogCaptureFixture
) -> None:
    """translate5 answers a job that moves the workflow step with a German notice under ``errors``."""
    task = _imported_task(sim, client)
    with caplog.at_level(logging.WARNING, logger="airflow_provider_translate5.client"):
        job = client.create_job(  # created open, it starts the workflow (part 1 §45)
            task, user_guid=client.user_guid("translator1"), workflow_step_name="translation", state="open"
        )
    assert job.workflow_step_name == "translation"
    assert f"translate5 notice on POST /editor/task/{task}/job: " in caplog.text
    assert 'Der Workflow Schritt der Aufgabe wurde zu "Translation" geändert!' in caplog.text


@pytest.mark.dagrun
def test_update_job_operator_by_login(sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]) -> None:
    dag_id = "t5_update_job"
    task_id = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"
    source = (
        dag_header(dag_id)
        + f"""
from airflow_provider_translate5.operators.people import Translate5UpdateJobOperator

with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source=ObjectStoragePath("file://{source_file()}"), task_name="Deadline",
        source_lang="en", target_lang="de",
    )
    imported = Translate5ImportSensor(task_id="imported", translate5_task_id={task_id!r}, poke_interval=0.1)
    assign = Translate5AssignJobOperator(
        task_id="assign", translate5_task_id={task_id!r},
        user_guid="{{00000000-0000-4000-8000-000000000002}}", workflow_step_name="translation",
    )
    deadline = Translate5UpdateJobOperator(
        task_id="deadline", translate5_task_id={task_id!r}, user="translator1",
        deadline_date="2030-01-31 17:00:00",
    )
    nobody = Translate5UpdateJobOperator(
        task_id="nobody", translate5_task_id={task_id!r}, user="reviewer1", state="finished",
    )
    upload >> imported >> assign >> deadline >> nobody
"""
    )
    result = run_dag(source, dag_id)

    assert result.states["deadline"] == "success", result.output[-3000:]
    [job] = result.xcom("deadline")
    assert job["deadline_date"] == "2030-01-31 17:00:00"
    assert job["workflow_step_name"] == "translation"
    assert result.states["nobody"] == "failed"
    assert "reviewer1 has no job on translate5 task/project" in result.output


def _imported_task(sim: Any, client: Translate5Client) -> int:
    import io

    task = client.create_task(
        ("page.html", io.BytesIO(b"<p>Hello</p>")), task_name="T", source_lang="en", target_lang="de"
    )
    wait_imported(client, [task.id])
    return task.id
