"""What a DAG author meets before anything runs: cheap imports, templated fields, retry-safe keys."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from airflow_provider_translate5.operators import (
    Translate5ExportOperator,
    Translate5InstantTranslatePretranslateOperator,
    Translate5UploadTaskOperator,
)
from airflow_provider_translate5.operators.translate5 import FOREIGN_ID_MAX_LENGTH, idempotency_key
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
    for heavy in ("client", "hooks", "triggers", "_files"):
        assert not [name for name in added if heavy in name], added


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (
            Translate5UploadTaskOperator,
            {"source", "task_name", "target_lang", "foreign_id", "translate5_conn_id"},
        ),
        (Translate5ImportSensor, {"translate5_task_id", "translate5_conn_id"}),
        (Translate5WorkflowEndedSensor, {"translate5_task_id", "translate5_conn_id"}),
        (Translate5ExportOperator, {"translate5_task_id", "destination", "translate5_conn_id"}),
        (Translate5InstantTranslatePretranslateOperator, {"source", "destination", "translate5_conn_id"}),
    ],
)
def test_ids_paths_and_names_are_templated(cls: type, fields: set[str]) -> None:
    assert fields <= set(cls.template_fields)


def ti(**overrides: object) -> dict[str, SimpleNamespace]:
    values = {"dag_id": "cms_sync", "run_id": "manual__2024-01-01", "task_id": "upload", "map_index": -1}
    return {"ti": SimpleNamespace(**{**values, **overrides})}


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

    from airflow_provider_translate5.operators._base import check_trigger_event

    with pytest.raises(AirflowException, match="unexpected event"):
        check_trigger_event(event)  # type: ignore[arg-type]


def test_resuming_maps_event_statuses_to_airflow_outcomes() -> None:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

    from airflow_provider_translate5.operators._base import check_trigger_event

    ok = {"status": "success", "message": "done", "translate5_task_ids": [1]}
    assert check_trigger_event(ok) is ok
    with pytest.raises(AirflowSensorTimeout, match="Timed out"):
        check_trigger_event({"status": "timeout", "message": "Timed out waiting"})
    with pytest.raises(AirflowFailException, match="deleted"):
        check_trigger_event({"status": "error", "message": "deleted", "terminal": True})
    with pytest.raises(AirflowException, match="HTTP 502") as retryable:
        check_trigger_event({"status": "error", "message": "HTTP 502", "terminal": False})
    assert not isinstance(retryable.value, AirflowFailException)
