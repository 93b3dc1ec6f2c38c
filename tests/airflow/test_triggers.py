"""Triggers against the simulator: round trips, verdicts, timeouts, failures, and coalesced polling."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from t5support import eventually

from airflow_provider_translate5.client import Translate5Client
from airflow_provider_translate5.triggers import Translate5PretranslationTrigger, Translate5TaskStateTrigger
from airflow_provider_translate5.triggers.poller import active_pollers

from t5dags import first_event, polled_ids

integration = pytest.mark.integration


def waiting_for(ids: list[int], condition: str, *, seconds: float = 30.0) -> Translate5TaskStateTrigger:
    """A trigger as a deferred sensor builds it, looking every 50 ms, giving up after ``seconds``."""
    return Translate5TaskStateTrigger(
        translate5_task_ids=ids, condition=condition, poll_interval=0.05, end_time=time.time() + seconds
    )


def assert_terminal_error(event: dict[str, Any], says: str) -> None:
    """The wait failed for good (no Airflow retry would help) and its message says why."""
    assert event["status"] == "error", event
    assert event["terminal"] is True
    assert says in event["message"]


@pytest.fixture
def client(sim: Any) -> Translate5Client:
    return Translate5Client(sim.base_url, sim.token)


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.html"
    path.write_text("<p>Hello world.</p>", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "trigger",
    [
        Translate5TaskStateTrigger(
            translate5_task_ids=[2, 3],
            condition="workflow_ended",
            translate5_conn_id="t5",
            poll_interval=5,
            end_time=1_900_000_000.5,
            accept_end_state=True,
            page_size=50,
        ),
        Translate5PretranslationTrigger(translate5_task_ids=[9], poll_interval=2, end_time=None),
    ],
)
def test_serialize_round_trips_with_plain_json(trigger: Any) -> None:
    classpath, kwargs = trigger.serialize()
    assert json.loads(json.dumps(kwargs)) == kwargs
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(__import__(module, fromlist=[name]), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)


def test_unknown_condition_is_refused_when_deferring_not_later() -> None:
    with pytest.raises(ValueError, match="unknown condition"):
        Translate5TaskStateTrigger(translate5_task_ids=[1], condition="exported")


@integration
async def test_import_success_carries_task_summaries(client: Translate5Client, page: Path) -> None:
    project = client.create_task(page, task_name="Page", source_lang="en", target_lang=["de", "fr"])
    trigger = waiting_for(project.task_ids, "imported")
    event = await first_event(trigger)
    assert event["status"] == "success"
    assert event["translate5_task_ids"] == project.task_ids
    assert [t["id"] for t in event["tasks"]] == project.task_ids
    assert {t["state"] for t in event["tasks"]} == {"open"}
    assert active_pollers() == {}  # the shared poller stopped with its last subscriber


@integration
async def test_import_error_is_terminal_and_quotes_the_server(
    client: Translate5Client, tmp_path: Path
) -> None:
    bad = tmp_path / "import-error.html"
    bad.write_text("<p>x</p>", encoding="utf-8")
    task = client.create_task(bad, task_name="Broken", source_lang="en", target_lang="de")
    trigger = waiting_for(task.task_ids, "imported")
    event = await first_event(trigger)
    assert_terminal_error(event, "The import of the task failed")


@integration
async def test_task_deleted_while_waiting_is_a_terminal_error(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    sim.set(workflow_auto_finish=None)
    task = client.create_task(page, task_name="Doomed", source_lang="en", target_lang="de")
    trigger = waiting_for([task.id], "workflow_ended")

    async def delete_soon() -> None:
        await asyncio.to_thread(eventually, lambda: [task.id] in polled_ids(sim), what="a poll of the task")
        await asyncio.to_thread(client.delete_task, task.id, force=True)

    deleter = asyncio.create_task(delete_soon())
    event = await first_event(trigger)
    await deleter
    assert_terminal_error(event, f"{task.id} no longer exist")


@integration
async def test_timeout_says_what_it_waited_for_and_leaves_the_task(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    sim.set(workflow_auto_finish=None)
    task = client.create_task(page, task_name="Slow", source_lang="en", target_lang="de")
    trigger = waiting_for([task.id], "workflow_ended", seconds=1.5)
    event = await first_event(trigger)
    assert event["status"] == "timeout"
    assert f"translate5 task {task.id} to reach the end of their workflow" in event["message"]
    assert "nothing was changed in translate5" in event["message"]
    assert "Slow" in event["message"]  # the last state seen is part of the message
    assert client.get_task(task.id).state == "open"


@integration
async def test_failed_poll_is_ridden_out_until_translate5_answers(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    task = client.create_task(page, task_name="Page", source_lang="en", target_lang="de")
    sim.faults.fail_next(1, status=500, method="GET", path="/editor/task")
    trigger = waiting_for([task.id], "imported")
    event = await first_event(trigger)
    assert event["status"] == "success"
    assert sim.faults.pending() == []  # the failed poll happened, and the wait went on


@integration
async def test_poll_refused_by_translate5_is_a_terminal_error(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    task = client.create_task(page, task_name="Page", source_lang="en", target_lang="de")
    sim.faults.fail_next(1, status=403, method="GET", path="/editor/task")
    trigger = waiting_for([task.id], "imported")
    event = await first_event(trigger)
    # no access: neither waiting nor retrying helps
    assert_terminal_error(event, f"Could not read translate5 task {task.id}")


@integration
async def test_pretranslation_trigger_reports_the_download_url_or_the_failure(
    client: Translate5Client, tmp_path: Path
) -> None:
    good = tmp_path / "good.html"
    good.write_text("<p>Hello</p>", encoding="utf-8")
    bad = tmp_path / "not-pretranslated.html"
    bad.write_text("<p>Hello</p>", encoding="utf-8")
    good_id = client.file_pretranslate(good, source="en", target="de")
    bad_id = client.file_pretranslate(bad, source="en", target="de")
    deadline = time.time() + 30
    good_event, bad_event = await asyncio.gather(
        *(
            first_event(
                Translate5PretranslationTrigger(
                    translate5_task_ids=[i], poll_interval=0.05, end_time=deadline
                )
            )
            for i in (good_id, bad_id)
        )
    )
    assert good_event["status"] == "success"
    assert good_event["download_url"].startswith("/editor/task/export/id/")
    assert_terminal_error(bad_event, "could not be pre-translated")


@integration
async def test_many_deferred_waits_share_one_request_per_interval(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    sim.set(workflow_auto_finish=None)
    targets = ["de", "fr", "it", "es", "nl", "pt"]
    projects = [
        client.create_task(page, task_name=f"P{i}", source_lang="en", target_lang=targets) for i in range(2)
    ]
    task_ids = [task_id for project in projects for task_id in project.task_ids]
    assert len(task_ids) == 12
    await asyncio.to_thread(
        eventually,
        lambda: all(t.state == "open" for t in client.list_tasks().rows),
        what="every task to import",
    )
    sim.requests.clear()
    interval = 0.2
    triggers = [
        Translate5TaskStateTrigger(
            translate5_task_ids=[task_id],
            condition="workflow_ended",
            poll_interval=interval,
            end_time=time.time() + 30,
            page_size=5,
        )
        for task_id in task_ids
    ]

    polls_while_all_waited: list[list[int]] = []

    async def translators_finish() -> None:
        await asyncio.to_thread(  # three complete poll rounds while all wait
            eventually, lambda: len(polled_ids(sim)) >= 3 * 3, what="three poll rounds"
        )
        polls_while_all_waited.extend(polled_ids(sim))
        for project in projects:
            await asyncio.to_thread(sim.finish_workflow, project.id)

    started = time.monotonic()
    finisher = asyncio.create_task(translators_finish())
    events = await asyncio.gather(*(first_event(t) for t in triggers))
    elapsed = time.monotonic() - started
    await finisher

    assert {e["status"] for e in events} == {"success"}
    # While all 12 triggers waited, every poll round was 3 requests (pages of 5 ids) covering all 12 ids:
    # one request per page per interval, not one per waiting trigger.
    complete = len(polls_while_all_waited) // 3 * 3  # a round may have been in flight at the snapshot
    rounds = [polls_while_all_waited[i : i + 3] for i in range(0, complete, 3)]
    assert len(rounds) >= 2
    for poll_round in rounds:
        assert [len(ids) for ids in poll_round] == [5, 5, 2]
        assert sorted(i for ids in poll_round for i in ids) == sorted(task_ids)
    # Over the whole wait: at most 3 requests per interval, and nothing polled one task at a time.
    assert sim.requests.count("GET", "/editor/task") == len(polled_ids(sim)) <= 3 * (elapsed / interval + 2)
    assert active_pollers() == {}


@integration
async def test_a_wait_that_joins_during_a_slow_poll_is_not_told_its_task_is_gone(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    first = client.create_task(page, task_name="First", source_lang="en", target_lang="de")
    second = client.create_task(page, task_name="Second", source_lang="en", target_lang="de")
    sim.requests.clear()
    sim.faults.latency(0.5, 1, method="GET", path="/editor/task")  # the first poll is slow ...

    async def join_late() -> dict[str, Any]:
        await asyncio.to_thread(  # ... the second wait joins
            eventually, lambda: sim.requests.count("GET", "/editor/task") >= 1, what="the first poll"
        )
        return await first_event(
            waiting_for([second.id], "imported")
        )  # while the first poll's answer is still delayed

    events = await asyncio.gather(first_event(waiting_for([first.id], "imported")), join_late())

    assert [e["status"] for e in events] == ["success", "success"], events


@integration
@pytest.mark.parametrize("translate5_simulator_options", [{"import_duration": 1.0}])
async def test_a_deferred_import_wait_logs_the_import_progress_like_poke_mode(
    client: Translate5Client, page: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    task = client.create_task(page, task_name="Progress", source_lang="en", target_lang="de")
    trigger = waiting_for(task.task_ids, "imported")
    event = await first_event(trigger)
    assert event["status"] == "success"
    log = capfd.readouterr().out
    assert f"translate5 task {task.id} (Progress): state import" in log
    assert "workers done" in log  # the import percent and workers, read from importprogress
