"""Process faults: the triggerer restarts, the worker dies between create and push, translate5 restarts."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, TaskDeferred
from t5support import RecordingTaskInstance, eventually, first_event, wait_imported

from airflow_provider_translate5.client import (
    Filter,
    RetryPolicy,
    Translate5Client,
)
from airflow_provider_translate5.operators import Translate5UploadTaskOperator
from airflow_provider_translate5.sensors import Translate5WorkflowEndedSensor
from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import FAST_RETRY, context_for

pytestmark = pytest.mark.integration

MODES = pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])


def rebuild(serialized: tuple[str, dict[str, Any]]) -> Any:
    """What the triggerer does after a restart: import the class path, call it with the stored kwargs."""
    classpath, kwargs = serialized
    module, _, name = classpath.rpartition(".")
    return getattr(import_module(module), name)(**json.loads(json.dumps(kwargs)))  # as stored in the DB


def run_then_kill(trigger: Any, polled: Callable[[], bool]) -> None:
    """Run a trigger in its own event loop until ``polled()`` holds, then throw it away mid-wait (a triggerer
    crash)."""

    async def crash() -> None:
        waiting = asyncio.ensure_future(first_event(trigger))
        await asyncio.to_thread(eventually, lambda: polled() or waiting.done(), what="the trigger to poll")
        assert not waiting.done(), "the wait ended before the simulated crash"
        # A crash stops the trigger wherever it is; one cancel() may not: before Python 3.12,
        # asyncio.wait_for swallows a cancellation that comes with the poll it awaits (the trigger then
        # polled on to its deadline: the restart test failed 1 run in 7 on a loaded machine).
        while not waiting.done():
            waiting.cancel()
            await asyncio.wait({waiting}, timeout=0.1)

    asyncio.run(crash())


def polls(sim: Any) -> int:
    """Task-list requests so far: the sensor's first look, then the trigger's polls."""
    return sim.requests.count("GET", "/editor/task")


def deferred_trigger(sensor: Any) -> Any:
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(context_for())
    return deferred.value.trigger


def test_triggerer_restart_resumes_from_serialized_kwargs(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    task = client.create_task(page, task_name="Resume", source_lang="en", target_lang=["de", "fr"])
    wait_imported(client, task.task_ids)
    sensor = Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_id=task.id, poke_interval=0.05, timeout=30, deferrable=True
    )
    trigger = deferred_trigger(sensor)
    stored = trigger.serialize()
    looked = polls(sim)

    run_then_kill(trigger, polled=lambda: polls(sim) >= looked + 2)  # it really was polling before the crash
    for task_id in task.task_ids:  # the translators finish while no triggerer is running
        sim.finish_workflow(task_id)
    resumed = rebuild(stored)
    event = asyncio.run(first_event(resumed))

    assert event["status"] == "success"
    assert time.time() < resumed.end_time
    assert resumed.end_time == trigger.end_time
    result = sensor.execute_complete(context_for(), event)
    assert result["task_ids"] == task.task_ids
    assert {t["workflow_step_name"] for t in result["tasks"]} == {"workflowEnded"}


def test_triggerer_restart_keeps_the_absolute_deadline(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    task = client.create_task(page, task_name="Never done", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    step = client.get_task(task.id).workflow_step_name
    sensor = Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_id=task.id, poke_interval=0.05, timeout=3, deferrable=True
    )
    started = time.time()
    trigger = deferred_trigger(sensor)
    deadline = trigger.end_time
    assert started + 3 <= deadline <= time.time() + 3  # absolute: the start of the try plus the timeout

    looked = polls(sim)
    run_then_kill(trigger, polled=lambda: polls(sim) > looked)
    eventually(lambda: time.time() > deadline, what="the deadline to pass while no triggerer runs")
    before = polls(sim)
    event = asyncio.run(first_event(rebuild(trigger.serialize())))

    assert event["status"] == "timeout"
    # Past its deadline, the rebuilt trigger ends at once; a restarted clock would poll for another 3 s.
    assert polls(sim) - before <= 1
    assert "nothing was changed in translate5" in event["message"]
    assert client.get_task(task.id).workflow_step_name == step  # untouched


class DyingTI(RecordingTaskInstance):
    """The worker is killed (OOM, node loss) right after translate5 created the task, before any XCom."""

    def xcom_push(self, key: str, value: Any) -> None:
        raise SystemExit("worker killed")


def test_worker_dies_after_create_and_the_next_try_reattaches(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    def upload() -> Translate5UploadTaskOperator:  # each try parses the DAG anew: a fresh operator
        return Translate5UploadTaskOperator(
            task_id="upload", source=str(page), task_name="Once", source_lang="en", target_lang=["de", "fr"]
        )

    with pytest.raises(SystemExit):
        upload().execute(context_for(DyingTI(try_number=1)))
    assert sim.requests.count("POST", "/editor/task") == 1  # created, but nobody knows its id
    ti = RecordingTaskInstance(try_number=2)
    result = upload().execute(context_for(ti))

    assert result["reattached"] is True
    assert ti.xcom["translate5_task_id"] == result["id"]
    projects = client.list_tasks(filters=[Filter.eq("foreignId", result["foreign_id"])], projects_only=True)
    assert [p.id for p in projects.rows] == [result["id"]]
    assert sim.requests.count("POST", "/editor/task") == 1


# -- translate5 restarts while a wait is running ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Restartable:
    """A simulator on a fixed port that can go away and come back, with its state kept or lost."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.port = free_port()
        self.sim = Translate5Simulator(port=self.port, import_duration=0.05).start()
        self.restarts = 0
        monkeypatch.setenv("AIRFLOW_CONN_TRANSLATE5_DEFAULT", self.sim.airflow_connection_json())

    def stop(self) -> None:
        self.sim.stop()

    def start(self, *, keep_state: bool) -> None:
        if not keep_state:  # a fresh process: empty database, same address and token
            self.sim = Translate5Simulator(port=self.port, token=self.sim.token, import_duration=0.05)
        self.sim.start()
        self.restarts += 1


@pytest.fixture
def restartable(monkeypatch: pytest.MonkeyPatch) -> Iterator[Restartable]:
    server = Restartable(monkeypatch)
    yield server
    server.stop()


def outage_during_wait(
    restartable: Restartable,
    monkeypatch: pytest.MonkeyPatch,
    page: Path,
    *,
    deferrable: bool,
    comes_back: str | None,
    after_pauses: int = 1,
    timeout: float = 30,
) -> Any:
    """Start a workflow wait, stop translate5 mid-wait; it comes back at the client's ``after_pauses``-th
    retry pause (``comes_back`` = "kept" or "lost" state) or not at all (None). Returns the outcome or raises.
    """
    from airflow_provider_translate5.client import transport

    client = Translate5Client(restartable.sim.base_url, restartable.sim.token, retry=FAST_RETRY)
    task = client.create_task(page, task_name="Outage", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    task_id = task.id

    pauses = 0

    def pause(seconds: float) -> None:
        nonlocal pauses
        pauses += 1
        if comes_back is not None and restartable.restarts == 0 and pauses >= after_pauses:
            restartable.start(keep_state=comes_back == "kept")
            if comes_back == "kept":
                restartable.sim.finish_workflow(task_id)  # the translators were busy meanwhile

    policy = RetryPolicy(max_attempts=3, backoff=0.01, jitter=False, sleep=pause)
    monkeypatch.setattr(transport, "RetryPolicy", lambda: policy)
    sensor = Translate5WorkflowEndedSensor(
        task_id="ended",
        translate5_task_id=task_id,
        poke_interval=0.05,
        timeout=timeout,
        deferrable=deferrable,
    )
    context = context_for()
    if not deferrable:
        assert not sensor.poke(context)  # waiting normally ...
        restartable.stop()  # ... when translate5 goes away
        return sensor.execute(context)
    trigger = deferred_trigger(sensor)
    restartable.stop()
    event = asyncio.run(first_event(trigger))
    return sensor.execute_complete(context, event)


@MODES
def test_simulator_restart_with_state_kept_recovers(
    restartable: Restartable, monkeypatch: pytest.MonkeyPatch, page: Path, deferrable: bool
) -> None:
    result = outage_during_wait(restartable, monkeypatch, page, deferrable=deferrable, comes_back="kept")

    assert restartable.restarts == 1
    assert [t["workflow_step_name"] for t in result["tasks"]] == ["workflowEnded"]


@MODES
def test_simulator_restart_with_state_lost_fails_clearly(
    restartable: Restartable, monkeypatch: pytest.MonkeyPatch, page: Path, deferrable: bool
) -> None:
    with pytest.raises(AirflowFailException) as caught:  # the task can never come back: no retries
        outage_during_wait(restartable, monkeypatch, page, deferrable=deferrable, comes_back="lost")

    assert restartable.restarts == 1
    message = str(caught.value)
    assert "translate5 task 1 no longer exist" in message  # the same words in both modes


@MODES
def test_outage_longer_than_the_retries_is_waited_out(
    restartable: Restartable, monkeypatch: pytest.MonkeyPatch, page: Path, deferrable: bool, capfd: Any
) -> None:
    # 3 attempts = 2 pauses per poll: translate5 comes back only after two whole polls failed.
    result = outage_during_wait(
        restartable, monkeypatch, page, deferrable=deferrable, comes_back="kept", after_pauses=5
    )

    assert restartable.restarts == 1
    assert [t["workflow_step_name"] for t in result["tasks"]] == ["workflowEnded"]
    output = "".join(capfd.readouterr())  # Airflow's task/trigger logger writes to the console
    assert "translate5 is not answering" in output
    assert "still waiting" in output


@MODES
def test_outage_until_the_deadline_times_out_clearly(
    restartable: Restartable, monkeypatch: pytest.MonkeyPatch, page: Path, deferrable: bool
) -> None:
    with pytest.raises(AirflowSensorTimeout) as caught:
        outage_during_wait(restartable, monkeypatch, page, deferrable=deferrable, comes_back=None, timeout=3)

    assert not isinstance(caught.value, AirflowFailException)  # Airflow's retries still apply
    if deferrable:
        assert "the last look failed" in str(caught.value)
        assert f"could not talk to translate5 at http://127.0.0.1:{restartable.port}" in str(caught.value)
