"""What a DAG author meets before anything runs: cheap imports, templated fields, retry-safe keys."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from t5support import RecordingTaskInstance

from airflow_provider_translate5.base import idempotency_key
from airflow_provider_translate5.client.checks import MAX_FOREIGN_ID as FOREIGN_ID_MAX_LENGTH
from airflow_provider_translate5.operators import (
    Translate5AssignJobOperator,
    Translate5ExportOperator,
    Translate5InstantTranslatePretranslateOperator,
    Translate5UploadTaskOperator,
    Translate5WriteTmOperator,
)
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor


def test_importing_operators_and_sensors_loads_no_client_http_or_trigger_code() -> None:
    code = (
        "import sys, json\n"
        "import airflow.sdk\n"
        "from airflow.sdk import BaseOperator, BaseSensorOperator\n"
        "before = set(sys.modules)\n"
        "import airflow_provider_translate5.operators, airflow_provider_translate5.sensors\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    added = json.loads(out.strip().splitlines()[-1])
    # only our own small modules and the Task SDK (DAG files import it anyway): no requests, no zipfile
    assert all(name.startswith(("airflow_provider_translate5.", "airflow.sdk")) for name in added), added
    for heavy in ("client", "hooks", "triggers", "translate5.files"):
        assert not [name for name in added if heavy in name], added


def test_checking_an_upload_when_the_dag_is_parsed_loads_only_the_clients_rules() -> None:
    """The upload checks literal target languages with the client's rule (client.checks), not with a copy,
    and that costs no HTTP code at parse time."""
    code = (
        "import sys, json\n"
        "import airflow.sdk\n"
        "from airflow_provider_translate5.operators import Translate5UploadTaskOperator\n"
        "before = set(sys.modules)\n"
        "Translate5UploadTaskOperator(task_id='u', source='a.html', task_name='A', source_lang='en',\n"
        "                             target_lang=['de', 'fr'])\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    added = json.loads(out.strip().splitlines()[-1])
    assert "requests" not in added, added
    assert {name for name in added if name.startswith("airflow_provider_translate5.")} <= {
        "airflow_provider_translate5.client",
        "airflow_provider_translate5.client.checks",
        "airflow_provider_translate5.client.coerce",
        "airflow_provider_translate5.client.errors",
    }, added


def render(operator: Any, **params: Any) -> Any:
    """Render the operator's templated fields as Airflow does before ``execute``."""
    operator.render_template_fields({"params": params, "ds": "2024-01-01"})
    return operator


def test_ids_paths_names_and_kwargs_dicts_are_rendered() -> None:
    upload = render(
        Translate5UploadTaskOperator(
            task_id="u",
            source="{{ params.dir }}/page.html",
            task_name="Page {{ params.page }}",
            source_lang="{{ params.src }}",
            target_lang=["{{ params.dst }}", "fr"],
            foreign_id="cms-{{ params.page }}",
            create_task_kwargs={"task_nr": "{{ params.page }}", "deadline_date": "{{ ds }} 18:00:00"},
        ),
        dir="/data",
        page=42,
        src="en",
        dst="de",
    )
    assert (upload.source, upload.task_name, upload.foreign_id) == ("/data/page.html", "Page 42", "cms-42")
    assert (upload.source_lang, upload.target_lang) == ("en", ["de", "fr"])
    assert upload.create_task_kwargs == {"task_nr": "42", "deadline_date": "2024-01-01 18:00:00"}

    export = render(
        Translate5ExportOperator(
            task_id="e",
            translate5_task_id="{{ params.id }}",
            translate5_task_ids="{{ params.ids }}",
            destination="s3://bucket/{{ ds }}/",
            format="{{ params.format }}",
        ),
        id=7,
        ids=[8, 9],
        format="xliff2",
    )
    assert (export.translate5_task_id, export.destination, export.format) == (
        "7",
        "s3://bucket/2024-01-01/",
        "xliff2",
    )

    assign = render(
        Translate5AssignJobOperator(
            task_id="a",
            translate5_task_id="7",
            user_guid="{{ params.user }}",
            workflow_step_name="{{ params.step }}",
            state="{{ params.state }}",
            extra={"segmentrange": "{{ params.range }}"},
        ),
        user="translator1",
        step="reviewing",
        state="open",
        range="1-10",
    )
    assert (assign.user_guid, assign.workflow_step_name, assign.state) == ("translator1", "reviewing", "open")
    assert assign.extra == {"segmentrange": "1-10"}

    pre = render(
        Translate5InstantTranslatePretranslateOperator(
            task_id="p",
            source="{{ params.file }}",
            source_lang="en",
            target_lang="{{ params.dst }}",
            destination="/out/{{ params.dst }}/",
        ),
        file="/data/page.html",
        dst="de",
    )
    assert (pre.source, pre.target_lang, pre.destination) == ("/data/page.html", "de", "/out/de/")
    for sensor_cls in (Translate5ImportSensor, Translate5WorkflowEndedSensor):
        sensor = render(sensor_cls(task_id="s", translate5_task_id="{{ params.id }}"), id=7)
        assert str(sensor.translate5_task_id) == "7"


def test_the_pre_release_parameter_names_are_refused_naming_them() -> None:
    """0.1.0 was never released with them: no alias, the DAG's parse fails naming the parameter to use."""
    from airflow.sdk.exceptions import AirflowException

    with pytest.raises((TypeError, AirflowException), match="missing keyword argument 'source_lang'"):
        Translate5WriteTmOperator(  # type: ignore[call-arg]
            task_id="tm", source_language="en", target_lang="de", source_text="Hello", target_text="Hallo"
        )
    with pytest.raises((TypeError, AirflowException), match="source_language"):
        Translate5WriteTmOperator(  # type: ignore[call-arg]
            task_id="tm",
            source_lang="en",
            source_language="en",
            target_lang="de",
            source_text="a",
            target_text="b",
        )
    new = Translate5WriteTmOperator(
        task_id="tm", source_lang="en", target_lang="de", source_text="Hello", target_text="Hallo"
    )
    assert [new.source_lang, new.target_lang, new.source_text, new.target_text] == [
        "en",
        "de",
        "Hello",
        "Hallo",
    ]


def ti(**overrides: Any) -> dict[str, RecordingTaskInstance]:
    identity: dict[str, Any] = {"dag_id": "cms_sync", "run_id": "manual__2024-01-01", "task_id": "upload"}
    return {"ti": RecordingTaskInstance(**{**identity, **overrides})}


def test_idempotency_key_names_the_task_instance_not_the_try() -> None:
    assert idempotency_key(ti()) == "airflow:cms_sync/manual__2024-01-01/upload"  # type: ignore[arg-type]
    assert idempotency_key(ti(map_index=3)) == "airflow:cms_sync/manual__2024-01-01/upload/3"  # type: ignore[arg-type]


def test_long_idempotency_keys_are_hashed_to_fit_translate5() -> None:
    long = ti(dag_id="d" * 200)
    key = idempotency_key(long)  # type: ignore[arg-type]
    assert len(key) <= FOREIGN_ID_MAX_LENGTH
    assert key.startswith("airflow:sha256:")
    assert key == idempotency_key(ti(dag_id="d" * 200))  # type: ignore[arg-type]
    assert key != idempotency_key(ti(dag_id="d" * 201))  # type: ignore[arg-type]


def test_deferrable_default_follows_airflow_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "true")
    assert Translate5ImportSensor(task_id="s", translate5_task_id=1).deferrable is True
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "false")
    assert Translate5ImportSensor(task_id="s", translate5_task_id=1).deferrable is False
    assert Translate5ImportSensor(task_id="s", translate5_task_id=1, deferrable=True).deferrable is True


@pytest.mark.parametrize("event", [None, {}, {"status": "done"}, "success"])
def test_resuming_with_a_malformed_event_never_succeeds(event: object) -> None:
    from airflow.sdk.exceptions import AirflowException

    from airflow_provider_translate5.base import check_trigger_event

    with pytest.raises(AirflowException, match="unexpected event"):
        check_trigger_event(event)  # type: ignore[arg-type]


def test_resuming_maps_event_statuses_to_airflow_outcomes() -> None:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

    from airflow_provider_translate5.base import check_trigger_event

    ok = {"status": "success", "message": "done", "translate5_task_ids": [1]}
    assert check_trigger_event(ok) is ok
    with pytest.raises(AirflowSensorTimeout, match="Timed out"):
        check_trigger_event({"status": "timeout", "message": "Timed out waiting"})
    with pytest.raises(AirflowFailException, match="deleted"):
        check_trigger_event({"status": "error", "message": "deleted", "terminal": True})
    with pytest.raises(AirflowException, match="HTTP 502") as retryable:
        check_trigger_event({"status": "error", "message": "HTTP 502", "terminal": False})
    assert not isinstance(retryable.value, AirflowFailException)


@pytest.mark.parametrize(
    "verdict",
    [
        ("success", "done", True),
        ("timeout", "Timed out", True),
        ("error", "deleted", True),
        ("error", "502", False),
    ],
)
def test_a_wait_ends_as_one_event_shape_read_back_the_same(verdict: tuple[str, str, bool]) -> None:
    """Triggers and waits in the worker encode their end the one way; resuming reads the same verdict."""
    from airflow_provider_translate5 import status
    from airflow_provider_translate5.wait import event, verdict_of

    sent = status.Verdict(*verdict)
    payload = event(sent, translate5_task_ids=[1])
    assert verdict_of(payload) == sent
    assert payload["translate5_task_ids"] == [1]
    assert ("terminal" in payload) is (sent.status == "error")  # terminal is said for errors only


@pytest.mark.parametrize("given", [[8, 9], (8, "9"), "[8, 9]", "8,9", "8, 9", "8 9", ["8", " 9 "]])
def test_ids_are_read_the_one_way_whatever_form_the_dag_gives(given: Any) -> None:
    """Sensors, export and batch export read a list, its rendered text, or comma/blank separated ids."""
    from airflow_provider_translate5.base import rendered_ids

    assert rendered_ids(given) == [8, 9]
    assert rendered_ids(8) == rendered_ids("8") == [8]


def test_a_mapped_tasks_results_are_read_up_to_their_length_never_past_it() -> None:
    """Airflow pulls a mapped task's results item by item (``upload.output.map(project_id)``); a read past
    the end is a request it logs as an error ("XCom not found") in a run that succeeds."""
    from collections.abc import Sequence

    from airflow_provider_translate5.base import rendered_ids

    class Pulled(Sequence[int]):
        def __init__(self) -> None:
            self.read: list[int] = []

        def __len__(self) -> int:
            return 2

        def __getitem__(self, index: Any) -> Any:
            self.read.append(index)
            return [8, 9][index]

    pulled = Pulled()
    assert rendered_ids(pulled) == [8, 9]
    assert pulled.read == [0, 1]


def test_an_export_given_unreadable_ids_fails_without_retries_naming_them() -> None:
    from airflow.sdk.exceptions import AirflowFailException

    export = Translate5ExportOperator(
        task_id="e", translate5_task_id=7, translate5_task_ids="[8, x]", destination="/tmp/out"
    )
    with pytest.raises(AirflowFailException, match=r"cannot read '\[8, x\]'"):
        export._task_ids({})  # type: ignore[arg-type]
