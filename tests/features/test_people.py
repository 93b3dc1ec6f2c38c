"""People, not GUIDs: users and customers resolved by what DAG authors know, and job updates by person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_translate5.client import Translate5Client, Translate5ValueError
from airflow_provider_translate5.testing.state import User

from t5dags import DagRunner, dag_header

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sim: Any) -> Iterator[Translate5Client]:
    with Translate5Client(sim.base_url, sim.token) as t5:
        yield t5


def test_user_by_login_email_or_guid_gives_the_same_person(client: Translate5Client) -> None:
    by_login = client.resolve_user("translator1")
    assert by_login.login == "translator1"
    assert by_login.user_guid.startswith("{")
    assert by_login.user_guid.endswith("}")
    assert by_login.email
    assert client.resolve_user(by_login.email.upper()) == by_login  # e-mail addresses ignore case
    assert client.user_guid(by_login.user_guid.strip("{}").upper()) == by_login.user_guid
    assert client.user_guid(" translator1 ") == by_login.user_guid


def test_unknown_user_is_named_in_the_error(client: Translate5Client) -> None:
    with pytest.raises(Translate5ValueError, match="login 'nobody'"):
        client.resolve_user("nobody")
    with pytest.raises(Translate5ValueError, match=r"e-mail address 'nobody@example\.org'"):
        client.resolve_user("nobody@example.org")
    with pytest.raises(Translate5ValueError, match="non-empty"):
        client.resolve_user("  ")


def test_shared_e_mail_address_is_refused_not_guessed(
    sim: Any, client: Translate5Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_translate5.testing import api_people

    email = client.resolve_user("translator1").email
    twin = User(
        99, "{00000000-0000-4000-8000-000000000099}", "translator1b", "Twin", "Translator", ("editor",)
    )
    sim.store.users[twin.guid] = twin
    original = api_people.user_row

    def same_address(store: Any, user: User) -> dict[str, Any]:  # translate5 allows shared addresses
        return {**original(store, user), "email": email} if user is twin else original(store, user)

    monkeypatch.setattr(api_people, "user_row", same_address)
    with pytest.raises(Translate5ValueError, match=r"2 translate5 users .*\(translator1, translator1b\)"):
        client.resolve_user(str(email))
    assert client.resolve_user("translator1b").user_guid == twin.guid  # the login still tells them apart


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
        ({"deadline_date": "2030-01-31 17:00:00+01:00"}, "YYYY-MM-DD HH:MM:SS"),
    ],
)
def test_bad_job_update_is_refused_before_any_request(
    sim: Any, client: Translate5Client, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(Translate5ValueError, match=message):
        client.update_job(1, 1, **kwargs)
    assert sim.requests.count("PUT") == 0


def test_aware_deadline_is_refused(client: Translate5Client) -> None:
    from datetime import datetime, timezone

    with pytest.raises(Translate5ValueError, match="naive datetime"):
        client.update_job(1, 1, deadline_date=datetime(2030, 1, 31, 17, tzinfo=timezone.utc))


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
    import time

    task = client.create_task(
        ("page.html", io.BytesIO(b"<p>Hello</p>")), task_name="T", source_lang="en", target_lang="de"
    )
    deadline = time.monotonic() + 10
    while client.get_task(task.id).state == "import":
        assert time.monotonic() < deadline, "import did not finish"
        time.sleep(0.05)
    return task.id
