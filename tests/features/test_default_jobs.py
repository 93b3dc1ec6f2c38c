"""A customer's default jobs: listed by customer number, applied to a task once, whatever the retries."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from t5support import wait_imported

from airflow_provider_translate5.client import Translate5Client, Translate5ValueError

from t5dags import DagRunner, dag_header

pytestmark = pytest.mark.integration

#: The simulator's customer with default jobs (translator1 translates, reviewer1 reviews en->de and en->fr).
ACME = "1000"


@pytest.fixture
def client(sim: Any) -> Iterator[Translate5Client]:
    with Translate5Client(sim.base_url, sim.token) as t5:
        yield t5


def _imported(client: Translate5Client, *, customer: str | None, target: str = "de") -> int:
    task = client.create_task(
        ("page.html", io.BytesIO(b"<p>Hello</p>")),
        task_name="Defaults",
        source_lang="en",
        target_lang=target,
        customer_id=customer,
    )
    wait_imported(client, [task.id])
    return task.id


def _people(client: Translate5Client, task_id: int) -> list[tuple[str, str | None]]:
    logins = {client.user_guid(login): login for login in ("translator1", "reviewer1")}
    return sorted(
        (logins.get(job.user_guid or "", "?"), job.workflow_step_name) for job in client.list_jobs(task_id)
    )


def test_default_jobs_of_a_customer_by_number(client: Translate5Client) -> None:
    jobs = client.list_default_jobs(ACME)
    translator, reviewer = client.user_guid("translator1"), client.user_guid("reviewer1")
    pairs = {(job.user_guid, job.workflow_step_name, job.target_lang) for job in jobs}
    german = client.resolve_language("de").id
    assert (translator, "translation", german) in pairs
    assert (reviewer, "reviewing", german) in pairs
    assert {job.workflow for job in jobs} == {"default"}
    assert client.list_default_jobs(ACME, workflow="complex") == []


def test_the_import_gives_a_task_its_customers_default_jobs(client: Translate5Client) -> None:
    """As on translate5 (part 2, §148): the jobs are there right after the import, the first step's open."""
    task_id = _imported(client, customer=ACME)
    jobs = {job.workflow_step_name: job for job in client.list_jobs(task_id)}
    assert _people(client, task_id) == [("reviewer1", "reviewing"), ("translator1", "translation")]
    assert (jobs["translation"].state, jobs["reviewing"].state) == ("open", "waiting")

    applied = client.apply_default_jobs(task_id)  # finds them: nobody is assigned twice

    assert [entry.created for entry in applied] == [False, False]
    assert sorted(entry.job.id for entry in applied) == sorted(job.id for job in jobs.values())


def test_apply_creates_removed_jobs_of_the_task_language_pair_once(
    sim: Any, client: Translate5Client
) -> None:
    task_id = _imported(client, customer=ACME)
    for job in client.list_jobs(task_id):  # held back, e.g. until a cost is approved
        client.delete_job(task_id, job.id)

    first = client.apply_default_jobs(task_id)
    assert [entry.created for entry in first] == [True, True]
    assert _people(client, task_id) == [("reviewer1", "reviewing"), ("translator1", "translation")]

    again = client.apply_default_jobs(task_id)  # a retry of the step

    assert [entry.created for entry in again] == [False, False]
    assert sorted(e.job.id for e in again) == sorted(e.job.id for e in first)
    assert len(client.list_jobs(task_id)) == 2
    posts = [r for r in sim.requests if r.method == "POST" and r.path == f"/editor/task/{task_id}/job"]
    assert len(posts) == 2


def test_applied_jobs_start_the_workflow_as_translate5s_import_does(client: Translate5Client) -> None:
    """translate5 creates a job ``waiting`` unless told otherwise, and a waiting job never starts the workflow
    (part 2 §138); applied after the import, the first step's job is opened, as the import opens it (§148)."""
    task_id = _imported(client, customer=ACME)
    for job in client.list_jobs(task_id):
        client.delete_job(task_id, job.id)
    assert client.get_task(task_id).workflow_step_name == "no workflow"

    client.apply_default_jobs(task_id)

    states = {job.workflow_step_name: job.state for job in client.list_jobs(task_id)}
    assert states == {"translation": "open", "reviewing": "waiting"}  # reviewing opens after translation
    assert client.get_task(task_id).workflow_step_name == "translation"


def test_a_person_already_assigned_is_kept(client: Translate5Client) -> None:
    task_id = _imported(client, customer=ACME)
    [reviewing] = [job for job in client.list_jobs(task_id) if job.workflow_step_name == "reviewing"]
    client.delete_job(task_id, reviewing.id)
    [mine] = client.list_jobs(task_id)

    applied = {entry.job.workflow_step_name: entry for entry in client.apply_default_jobs(task_id)}

    assert applied["translation"].job.id == mine.id
    assert not applied["translation"].created
    assert applied["reviewing"].created


def test_a_customer_without_default_jobs_gives_none(client: Translate5Client) -> None:
    task_id = _imported(client, customer=None)  # the default customer
    assert client.apply_default_jobs(task_id) == []
    assert client.list_jobs(task_id) == []


def test_bad_workflow_name_is_refused_before_a_request(sim: Any, client: Translate5Client) -> None:
    before = len(sim.requests)
    with pytest.raises(Translate5ValueError, match="workflow must be a translate5 workflow name"):
        client.list_default_jobs(2, workflow="a/b")
    assert len(sim.requests) == before


@pytest.mark.dagrun
def test_operator_assigns_every_task_of_a_project_and_fails_without_defaults(
    sim: Any, client: Translate5Client, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    dag_id = "t5_default_jobs"
    acme = "{{ ti.xcom_pull(task_ids='acme')['id'] }}"
    plain = "{{ ti.xcom_pull(task_ids='plain')['id'] }}"
    source = (
        dag_header(dag_id)
        + f"""
from airflow_provider_translate5.operators import Translate5AssignDefaultJobsOperator

with dag:
    acme = Translate5UploadTaskOperator(
        task_id="acme", source=ObjectStoragePath("file://{source_file()}"), task_name="Acme",
        source_lang="en", target_lang=["de", "fr"], customer_id="1000",
    )
    plain = Translate5UploadTaskOperator(
        task_id="plain", source=ObjectStoragePath("file://{source_file("other.html")}"), task_name="Plain",
        source_lang="en", target_lang="de",
    )
    acme_imported = Translate5ImportSensor(
        task_id="acme_imported", translate5_task_id={acme!r}, poke_interval=0.1
    )
    plain_imported = Translate5ImportSensor(
        task_id="plain_imported", translate5_task_id={plain!r}, poke_interval=0.1
    )
    defaults = Translate5AssignDefaultJobsOperator(task_id="defaults", translate5_task_id={acme!r})
    none = Translate5AssignDefaultJobsOperator(task_id="none", translate5_task_id={plain!r}, retries=2)
    acme >> acme_imported >> defaults
    plain >> plain_imported >> none
"""
    )
    result = run_dag(source, dag_id)

    assert result.states["defaults"] == "success", result.output[-3000:]
    applied = result.xcom("defaults")
    task_ids = result.xcom("acme")["task_ids"]
    assert sorted({entry["task_id"] for entry in applied}) == sorted(task_ids)
    assert not any(entry["created"] for entry in applied)  # the import gave them (§148): kept, not doubled
    for task_id in task_ids:
        assert _people(client, task_id) == [("reviewer1", "reviewing"), ("translator1", "translation")]
    assert result.states["none"] == "failed"
    assert result.tries["none"] == 1  # no retry can create default jobs
    assert "has no default jobs for workflow 'default'" in result.output
