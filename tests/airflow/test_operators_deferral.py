"""Fast checks of what the waiting operator hands to Airflow: the deferral, its trigger, its XCom pushes.

No DAG run: the operator is executed directly against the simulator, as a worker would, and the
``TaskDeferred`` it raises is inspected the way Airflow serializes it for the triggerer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred
from t5support import eventually

from airflow_provider_translate5.operators import Translate5InstantTranslatePretranslateOperator

pytestmark = pytest.mark.integration


@pytest.fixture
def translate5_simulator_options() -> dict[str, Any]:
    return {"import_duration": 30.0}  # the pre-translation is still running at the first look


def test_the_pretranslation_defers_with_an_absolute_deadline_after_publishing_its_id(
    sim: Any, source_file: Callable[..., Path], tmp_path: Path, task_instance: Any
) -> None:
    ti = task_instance(task_id="pre")
    operator = Translate5InstantTranslatePretranslateOperator(
        task_id="pre",
        source=str(source_file()),
        source_lang="en",
        target_lang="de",
        destination=str(tmp_path / "out") + "/",
        poke_interval=timedelta(seconds=20),
        timeout=timedelta(minutes=10),
        deferrable=True,
    )
    started = time.time()

    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({"ti": ti})  # type: ignore[typeddict-item]

    file_id = ti.xcom["translate5_pretranslation_id"]  # published before the wait: a retry finds it
    classpath, kwargs = deferred.value.trigger.serialize()
    assert classpath.endswith("Translate5PretranslationTrigger")
    assert kwargs["translate5_task_ids"] == [file_id]
    assert kwargs["translate5_conn_id"] == "translate5_default"
    assert kwargs["poll_interval"] == 20.0
    assert started + 600 - 5 <= kwargs["end_time"] <= time.time() + 600  # absolute, from the timeout
    assert deferred.value.method_name == "execute_complete"
    assert sim.requests.count("POST", "/editor/instanttranslateapi/filepretranslate") == 1


def test_resuming_with_the_triggers_event_downloads_without_uploading_again(
    sim: Any, source_file: Callable[..., Path], tmp_path: Path, task_instance: Any
) -> None:
    ti = task_instance(task_id="pre")
    operator = Translate5InstantTranslatePretranslateOperator(
        task_id="pre",
        source=str(source_file()),
        source_lang="en",
        target_lang="de",
        destination=str(tmp_path / "out") + "/",
        deferrable=True,
    )
    context = {"ti": ti}
    with pytest.raises(TaskDeferred):
        operator.execute(context)  # type: ignore[arg-type]
    file_id = ti.xcom["translate5_pretranslation_id"]
    sim.set(import_duration=0.0)
    entry = eventually(
        lambda: _ready(operator, file_id), what="the simulator's pre-translation", interval=0.1
    )

    event = {"status": "success", "message": "ready", "download_url": entry.download_url}
    written = operator.execute_complete(context, event)  # type: ignore[arg-type]

    assert Path(written.removeprefix("file://")).read_text(encoding="utf-8").startswith("<p>[de]")
    assert sim.requests.count("POST", "/editor/instanttranslateapi/filepretranslate") == 1


@pytest.mark.parametrize("event", [None, {"status": "error", "message": "erroneous", "terminal": True}])
def test_resuming_with_a_failure_event_never_writes_a_file(
    sim: Any, source_file: Callable[..., Path], tmp_path: Path, event: Any, task_instance: Any
) -> None:
    operator = Translate5InstantTranslatePretranslateOperator(
        task_id="pre",
        source=str(source_file()),
        source_lang="en",
        target_lang="de",
        destination=str(tmp_path),
    )
    with pytest.raises(Exception) as caught:
        operator.execute_complete({"ti": task_instance(task_id="pre")}, event)  # type: ignore[arg-type]

    if event is not None:
        assert isinstance(caught.value, AirflowFailException)  # terminal: no Airflow retries
    assert not (tmp_path / "out").exists()


def _ready(operator: Translate5InstantTranslatePretranslateOperator, file_id: int) -> Any:
    entry = operator.client.list_pretranslated_files().get(file_id)
    return entry if entry is not None and entry.download_url else None
