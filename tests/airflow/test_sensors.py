"""Sensors without a scheduler: the requests one look costs, deferral, and reschedule pokes.

translate5 is played by requests-mock with rows shaped like the real server's (ids and counters as JSON
strings; transcript sections 11, 24, 32, 35); what is checked is which requests a wait makes and what it
hands to Airflow (``TaskDeferred``, XComs, the return value). Behaviour against a server is in test_dags.py.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib
import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests_mock
from airflow.sdk.exceptions import (
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
)

from airflow_provider_translate5.base import Translate5BaseOperator, WaitMixin
from airflow_provider_translate5.base import rendered_ids as parse_task_ids
from airflow_provider_translate5.client import RetryPolicy, Translate5Client
from airflow_provider_translate5.hooks.translate5 import Translate5Hook
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor
from airflow_provider_translate5.triggers import Translate5TaskStateTrigger

from t5dags import first_event

URL = "http://translate5.invalid"


def row(
    task_id: int, project_id: int, state: str = "open", step: str = "no workflow", **extra: Any
) -> dict[str, Any]:
    task_type = "project" if task_id == project_id and state == "project" else "projectTask"
    return {"id": str(task_id), "taskGuid": f"{{guid-{task_id}}}", "taskName": f"Bundle - {task_id}",
            "state": state, "workflowStepName": step, "projectId": str(project_id), "taskType": task_type,
            "userCount": "0", **extra}  # fmt: skip


class Server:
    """The task rows of a translate5, and the requests made to it."""

    def __init__(self, mock: requests_mock.Mocker) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.mock = mock
        mock.get(f"{URL}/editor/task", json=self._list)
        mock.get(re.compile(rf"{URL}/editor/task/\d+$"), json=self._one)
        mock.get(f"{URL}/editor/task/importprogress", json=self._progress)

    def _list(self, request: Any, context: Any) -> dict[str, Any]:
        query = parse_qs(urlsplit(request.url).query)
        rules = json.loads(query.get("filter", ["[]"])[0])
        rows = [r for r in self.rows.values() if r["state"] != "project"]
        for rule in rules:
            if rule["operator"] == "in":
                rows = [r for r in rows if int(r[rule["property"]]) in rule["value"]]
            elif rule["operator"] == "eq":
                rows = [r for r in rows if str(r[rule["property"]]) == str(rule["value"])]
        start, limit = int(query.get("start", ["0"])[0]), int(query.get("limit", ["1000000"])[0])
        return {"total": str(len(rows)), "rows": rows[start : start + limit]}

    def _one(self, request: Any, context: Any) -> dict[str, Any]:
        task_id = int(urlsplit(request.url).path.rsplit("/", 1)[1])
        if task_id not in self.rows:
            context.status_code = 404
            return {"errorCode": "E1019", "errorMessage": "Entity not found"}
        return {"rows": self.rows[task_id]}

    def _progress(self, request: Any, context: Any) -> dict[str, Any]:
        guid = parse_qs(urlsplit(request.url).query)["taskGuid"][0]
        running = "editor_Models_Import_Worker"
        return {"progress": {"progress": 40, "workersDone": 2, "workersTotal": 5, "taskGuid": guid,
                             "workerRunning": running, "operationType": "import"}}  # fmt: skip

    def requests(self) -> list[str]:
        """``GET /editor/task/68``, ``GET /editor/task id in [69, 70]`` ... for every request so far."""
        seen = []
        for request in self.mock.request_history:
            parts = urlsplit(request.url)
            rules = json.loads(parse_qs(parts.query).get("filter", ["[]"])[0])
            where = "".join(f" {r['property']} {r['operator']} {r['value']}" for r in rules)
            seen.append(f"{request.method} {parts.path}{where}")
        return seen


@pytest.fixture
def connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Airflow's default translate5 connection pointing at the mocked server (what a trigger reads)."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_TRANSLATE5_DEFAULT",
        json.dumps({"conn_type": "translate5", "host": URL, "password": "7:" + "a" * 36}),
    )


@pytest.fixture
def server() -> Iterator[Server]:
    with requests_mock.Mocker() as mock:
        yield Server(mock)


def wired(sensor: Any) -> Any:
    """The sensor with a client for the mocked server (instead of an Airflow connection)."""
    hook = Translate5Hook()
    # the client's own retries would pause between attempts: their backoff is not what is tested here
    hook._client = Translate5Client(URL, "7:" + "a" * 36, retry=RetryPolicy(max_attempts=2, backoff=0))
    sensor.hook = hook
    return sensor


def project(server: Server, *states: str, step: str = "no workflow") -> list[int]:
    server.rows[68] = row(68, 68, "project", step="")
    ids = [69 + i for i in range(len(states))]
    for task_id, state in zip(ids, states, strict=True):
        server.rows[task_id] = row(task_id, 68, state, step=step)
    return ids


@pytest.mark.parametrize("given", [[69, 70], "[69, 70]", "69,70"], ids=["list", "rendered-list", "text"])
def test_ids_from_the_upload_cost_one_batched_request_per_look(
    task_instance: Any, server: Server, given: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    project(server, "import", "import")
    sensor = wired(Translate5ImportSensor(task_id="imported", translate5_task_ids=given))
    ti = task_instance()
    assert not sensor.poke({"ti": ti})
    assert not sensor.poke({"ti": ti})
    server.rows[69]["state"] = server.rows[70]["state"] = "open"
    done = sensor.poke({"ti": ti})

    assert done.xcom_value["task_ids"] == [69, 70]  # camelCase: one more release
    assert done.xcom_value["id"] == 68  # the tasks' project, as if the project id had been given
    polls = [r for r in server.requests() if "importprogress" not in r]
    assert polls == ["GET /editor/task id in [69, 70]"] * 3
    assert ti.xcom["translate5_task_url"] == f"{URL}/editor/#project/68/focus"
    log = capfd.readouterr().out
    assert "translate5 task 69 (Bundle - 69): state import" in log
    assert (
        "import 40% (2/5 workers done, running editor_Models_Import_Worker)" in log
    )  # progress while waiting


def test_a_project_id_is_looked_up_once_per_try_then_polled_by_id(task_instance: Any, server: Server) -> None:
    project(server, "open", "open", step="translation")
    sensor = wired(Translate5WorkflowEndedSensor(task_id="ended", translate5_task_id=68))
    ti = task_instance()
    for _ in range(3):
        assert not sensor.poke({"ti": ti})
    assert server.requests() == [
        "GET /editor/task/68",
        "GET /editor/task projectId eq 68",
        "GET /editor/task id in [69, 70]",
        "GET /editor/task id in [69, 70]",
    ]


def test_a_thousand_tasks_are_one_request_per_page_of_500(task_instance: Any, server: Server) -> None:
    server.rows.update({i: row(i, i, "open", step="translation") for i in range(1, 1201)})
    sensor = wired(Translate5WorkflowEndedSensor(task_id="ended", translate5_task_ids=list(range(1, 1201))))
    assert not sensor.poke({"ti": task_instance()})
    polled = [
        json.loads(parse_qs(urlsplit(r.url).query)["filter"][0])[0]["value"]
        for r in server.mock.request_history
    ]
    assert [len(ids) for ids in polled] == [500, 500, 200]  # one look: three requests, not 1,200
    assert sorted(i for ids in polled for i in ids) == list(range(1, 1201))  # every task, once


def test_a_task_deleted_from_the_given_ids_fails_the_wait_without_retry(
    task_instance: Any, server: Server
) -> None:
    project(server, "open", "open", step="translation")
    sensor = wired(Translate5WorkflowEndedSensor(task_id="ended", translate5_task_ids=[69, 70]))
    ti = task_instance()
    assert not sensor.poke({"ti": ti})
    del server.rows[70]
    with pytest.raises(AirflowFailException, match="translate5 task 70 no longer exist"):
        sensor.poke({"ti": ti})


def test_deferrable_sensor_hands_the_ids_and_the_deadline_to_the_trigger(
    task_instance: Any, server: Server
) -> None:
    ids = project(server, "import", "open")
    sensor = wired(
        Translate5ImportSensor(
            task_id="imported",
            translate5_task_id="68",
            deferrable=True,
            poke_interval=7,
            timeout=600,
            translate5_conn_id="t5_prod",
        )
    )
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({"ti": task_instance()})

    trigger = deferred.value.trigger
    assert isinstance(trigger, Translate5TaskStateTrigger)
    assert deferred.value.method_name == "execute_complete"
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")  # the triggerer imports the class by this path
    assert getattr(importlib.import_module(module), name) is Translate5TaskStateTrigger
    assert json.loads(json.dumps(kwargs)) == kwargs  # what the triggerer stores is plain JSON
    assert kwargs["translate5_task_ids"] == ids
    assert kwargs["condition"] == "imported"
    assert kwargs["translate5_conn_id"] == "t5_prod"
    assert kwargs["poll_interval"] == 7
    assert before + 600 <= kwargs["end_time"] <= time.time() + 600
    # Airflow's own deferral timeout is only a safety net behind the trigger's readable timeout event
    assert deferred.value.timeout is not None
    assert deferred.value.timeout.total_seconds() > 600


def test_a_deadline_before_the_triggers_first_poll_still_names_what_the_sensor_saw(
    task_instance: Any, server: Server, connection: None
) -> None:
    """A busy triggerer may start a trigger only at its deadline; the timeout must not say "no answer"."""
    project(server, "import")
    sensor = wired(Translate5ImportSensor(task_id="imported", translate5_task_id=68, deferrable=True))
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({"ti": task_instance()})
    looked = len(server.requests())
    _classpath, kwargs = deferred.value.trigger.serialize()  # rebuilt from these, as the triggerer does
    late = Translate5TaskStateTrigger(**{**kwargs, "end_time": time.time() - 1})

    event = asyncio.run(first_event(late))

    assert event["status"] == "timeout"
    assert "Last seen: translate5 task 69 (Bundle - 69): state import" in event["message"]
    assert len(server.requests()) == looked  # the trigger never polled: the words are the sensor's look


def test_a_finished_import_does_not_defer_at_all(task_instance: Any, server: Server) -> None:
    project(server, "open", "open")
    sensor = wired(Translate5ImportSensor(task_id="imported", translate5_task_ids=[69, 70], deferrable=True))
    result = sensor.execute({"ti": task_instance()})
    assert [t["state"] for t in result["tasks"]] == ["open", "open"]


def test_resumed_sensor_returns_what_the_trigger_found_and_fails_on_its_errors() -> None:
    sensor = Translate5ImportSensor(task_id="imported", translate5_task_ids=[69, 70])
    tasks = [{"id": 69, "project_id": 68, "state": "open"}, {"id": 70, "project_id": 68, "state": "open"}]
    event = {"status": "success", "message": "done", "tasks": tasks, "translate5_task_ids": [69, 70]}
    result = sensor.execute_complete({}, event)
    assert (result["id"], result["task_ids"], result["tasks"]) == (68, [69, 70], tasks)
    with pytest.raises(AirflowFailException, match="deleted"):
        sensor.execute_complete({}, {"status": "error", "message": "deleted", "terminal": True})


def test_each_reschedule_poke_publishes_the_link_and_polls_by_id(task_instance: Any, server: Server) -> None:
    """Airflow clears a task's XComs at every reschedule poke: each poke pushes the link again."""
    project(server, "open", "open", step="translation")
    first = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    for ti in (task_instance(), task_instance(first_reschedule=first)):
        sensor = wired(
            Translate5WorkflowEndedSensor(task_id="ended", translate5_task_ids=[69, 70], mode="reschedule")
        )
        with pytest.raises(AirflowRescheduleException):
            sensor.execute({"ti": ti})
        assert ti.xcom["translate5_task_url"] == f"{URL}/editor/#project/68/focus"
    assert len(server.requests()) == 2


@pytest.mark.parametrize(
    ("value", "problem"),
    [("[69, x]", "cannot read"), ([69, 0], "positive task ids"), ("", "is empty"), ([True], "positive")],
)
def test_bad_task_ids_are_refused_naming_the_value(value: Any, problem: str) -> None:
    with pytest.raises(AirflowFailException, match=problem):
        parse_task_ids(value)


@pytest.mark.parametrize(
    ("settings", "problem"),
    [({"timeout": 0}, "timeout must be positive"), ({"poke_interval": 0}, "poke_interval must be positive")],
)
def test_a_wait_that_would_end_at_once_or_hammer_translate5_is_refused(
    settings: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        Translate5WorkflowEndedSensor(task_id="done", translate5_task_id=5, **settings)


def test_a_sensor_without_ids_is_refused_when_the_dag_is_parsed() -> None:
    with pytest.raises(ValueError, match="translate5_task_ids"):
        Translate5ImportSensor(task_id="imported")


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_a_task_nobody_is_assigned_to_is_said_in_the_log_and_the_wait_goes_on(
    task_instance: Any, server: Server, mode: str, connection: None, capfd: pytest.CaptureFixture[str]
) -> None:
    """Issue 10: a task without users sits at workflow step "no workflow" (transcript section 15)."""
    server.rows[64] = row(64, 64, "open", step="no workflow")
    server.rows[64]["taskType"] = "default"
    sensor = wired(
        Translate5WorkflowEndedSensor(
            task_id="ended",
            translate5_task_id=64,
            poke_interval=0.05,
            timeout=1,
            mode="reschedule" if mode == "reschedule" else "poke",
            deferrable=mode == "deferrable",
        )
    )
    expected = (
        "Timed out waiting for translate5 task 64 to reach the end of their workflow; nothing was changed in "
        "translate5. Last seen: translate5 task 64 (Bundle - 64): state open, workflow step no workflow"
    )
    if mode == "poke":
        with pytest.raises(AirflowSensorTimeout) as timed_out:
            sensor.execute({"ti": task_instance()})
        assert str(timed_out.value) == expected
        assert len(server.requests()) > 3  # it looked again and again, and said it only once
    elif mode == "reschedule":
        with pytest.raises(AirflowRescheduleException):
            sensor.execute({"ti": task_instance()})
    else:
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute({"ti": task_instance()})
        event = asyncio.run(first_event(deferred.value.trigger))
        assert event["status"] == "timeout"
        assert event["message"] == expected  # the same words as in poke mode
    log = capfd.readouterr().out
    said = "translate5 task 64 (Bundle - 64) has no users assigned (workflow step 'no workflow')"
    # once where the sensor looked, and once more in the triggerer's part of the log when deferred
    assert log.count(said) == (2 if mode == "deferrable" else 1)


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_skip_on_timeout_ends_a_wait_that_ran_out_as_skipped_but_errors_still_fail(
    task_instance: Any, server: Server, connection: None, deferrable: bool
) -> None:
    """For DAGs that wait a while per run and come back later: the task stays open in translate5."""
    server.rows[64] = row(64, 64, "open", step="translation")
    server.rows[64]["taskType"] = "default"

    def sensor(task_id: str) -> Any:
        return wired(
            Translate5WorkflowEndedSensor(
                task_id=task_id,
                translate5_task_id=64,
                poke_interval=0.05,
                timeout=0.5,
                deferrable=deferrable,
                skip_on_timeout=True,
            )
        )

    def run(waiting: Any) -> None:
        if not deferrable:
            waiting.execute({"ti": task_instance()})
            return
        with pytest.raises(TaskDeferred) as deferred:
            waiting.execute({"ti": task_instance()})
        waiting.execute_complete({}, asyncio.run(first_event(deferred.value.trigger)))

    with pytest.raises(AirflowSkipException) as skipped:
        run(sensor("ended"))
    assert str(skipped.value).startswith("Timed out waiting for translate5 task 64 to reach the end of")
    assert "Last seen: translate5 task 64 (Bundle - 64): state open, workflow step translation" in str(
        skipped.value
    )
    assert "Skipped (skip_on_timeout)" in str(skipped.value)

    server.rows[64].update(state="error", lastErrors=[{"message": "E1166: the file is not XML"}])
    with pytest.raises(AirflowFailException, match="E1166"):
        run(sensor("broken"))


@pytest.mark.parametrize("change", ["deleted", "import error"])
def test_poke_and_deferrable_mode_fail_with_the_same_words(
    task_instance: Any, server: Server, change: str, connection: None
) -> None:
    ids = project(server, "import", "import")
    if change == "deleted":
        del server.rows[70]
    else:
        server.rows[70].update(state="error", lastErrors=[{"message": "E1166: the file is not XML"}])
    sensor = wired(Translate5ImportSensor(task_id="imported", translate5_task_ids=ids))
    with pytest.raises(AirflowFailException) as poked:
        sensor.poke({"ti": task_instance()})

    trigger = Translate5TaskStateTrigger(
        translate5_task_ids=ids, condition="imported", poll_interval=0.05, end_time=time.time() + 30
    )
    event = asyncio.run(first_event(trigger))
    assert event["status"] == "error"
    assert event["terminal"] is True
    assert event["message"] == str(poked.value)
    expected = "70 no longer exist" if change == "deleted" else "E1166: the file is not XML"
    assert expected in event["message"]


def test_an_outage_is_ridden_out_in_poke_mode_and_said_once(
    task_instance: Any, server: Server, capfd: pytest.CaptureFixture[str]
) -> None:
    ids = project(server, "import", "import")
    sensor = wired(Translate5ImportSensor(task_id="imported", translate5_task_ids=ids))
    ti = task_instance()
    maintenance = server.mock.get(f"{URL}/editor/task", status_code=503, text="<html>Maintenance</html>")
    assert not sensor.poke({"ti": ti})
    assert not sensor.poke({"ti": ti})
    server.mock.get(f"{URL}/editor/task", json=server._list)
    server.rows[69]["state"] = server.rows[70]["state"] = "open"
    assert sensor.poke({"ti": ti})
    log = capfd.readouterr().out
    assert log.count("translate5 is not answering") == 1
    assert log.count("translate5 answers again") == 1
    assert maintenance.call_count >= 2


def test_a_refused_look_fails_at_once_naming_what_was_waited_for(task_instance: Any, server: Server) -> None:
    server.mock.get(f"{URL}/editor/task", status_code=403, json={"errorMessage": "No access"})
    sensor = wired(Translate5ImportSensor(task_id="imported", translate5_task_ids=[69, 70]))
    with pytest.raises(
        AirflowFailException, match=r"^Could not read translate5 tasks 69, 70: .*403.*No access"
    ):
        sensor.poke({"ti": task_instance()})


class _WaitForImport(WaitMixin, Translate5BaseOperator):
    """A DAG author's own waiting operator: starts nothing, hands the wait to the triggerer."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.configure_wait(deferrable=True, poke_interval=1, timeout=60)

    def execute(self, context: Any) -> None:
        self.defer_until(
            Translate5TaskStateTrigger, task_ids=[69], end_time=self.deadline(), condition="imported"
        )


def test_a_waiting_operators_hook_params_reach_the_triggerer(connection: None, server: Server) -> None:
    """The client the trigger builds in the triggerer gets the operator's hook_params (stored with it)."""
    from airflow.serialization.serialized_objects import BaseSerialization

    server.rows[69] = row(69, 68, "open")
    operator = _WaitForImport(task_id="w", hook_params={"user_agent": "dag-team-42", "timeout": (5, 60)})
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({})
    classpath, kwargs = deferred.value.trigger.serialize()
    stored = json.loads(json.dumps(BaseSerialization.serialize(kwargs)))  # as the triggerer stores kwargs
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**BaseSerialization.deserialize(stored))

    assert asyncio.run(first_event(rebuilt))["status"] == "success"
    assert {r.headers["User-Agent"] for r in server.mock.request_history} == {"dag-team-42"}


def test_hook_params_that_cannot_reach_the_triggerer_are_refused_when_the_dag_is_parsed() -> None:
    with pytest.raises(ValueError, match=r"hook_params\['retry'\] is a RetryPolicy.*deferrable=False"):
        _WaitForImport(task_id="w", hook_params={"retry": RetryPolicy(max_attempts=2)})
