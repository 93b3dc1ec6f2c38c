"""Deliveries that never destroy what was there, pre-translations paid once, bad input refused early."""

from __future__ import annotations

import errno
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from t5support import RecordingTaskInstance, wait_imported

from airflow_provider_translate5.client import Translate5Client
from airflow_provider_translate5.client import files as client_files
from airflow_provider_translate5.operators import (
    Translate5ExportOperator,
    Translate5InstantTranslatePretranslateOperator,
    Translate5UploadTaskOperator,
)
from airflow_provider_translate5.sensors import Translate5WorkflowEndedSensor

from .conftest import context_for, listing, run_like_airflow

pytestmark = pytest.mark.integration

PRETRANSLATE = "/editor/instanttranslateapi/filepretranslate"


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__TRANSLATE5__MIN_POLL_INTERVAL", "0.01")


def imported_task(client: Translate5Client, *pages: Path) -> int:
    task = client.create_task(list(pages), task_name="Delivery", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    return task.id


def test_reexport_unzipped_onto_a_full_disk_leaves_the_previous_export_as_it_was(
    sim: Any, client: Translate5Client, page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = page.with_name("about.html")
    second.write_text("<p>About us.</p>", encoding="utf-8")
    task_id = imported_task(client, page, second)
    out = tmp_path / "out"

    def export() -> Any:
        return Translate5ExportOperator(
            task_id="export", translate5_task_id=task_id, destination=str(out), unzip=True
        ).execute(context_for())

    first = export()
    assert len(first) >= 2  # the previous export, more than one member
    for path in out.rglob("*"):
        if path.is_file():
            path.write_bytes(b"previous export of " + path.name.encode())
    before = listing(out)

    real_write = client_files.write_atomically
    writes: list[Any] = []

    def disk_fills_up(chunks: Iterable[bytes], target: Any) -> Any:
        writes.append(target)
        if len(writes) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(chunks, target)

    monkeypatch.setattr(client_files, "write_atomically", disk_fills_up)
    with pytest.raises(OSError, match="No space left"):
        export()

    assert listing(out) == before  # every old file there, unchanged; nothing new, no partial or staging file


def test_an_unwritable_destination_is_refused_before_anything_is_sent(
    sim: Any, client: Translate5Client, page: Path, tmp_path: Path
) -> None:
    task_id = imported_task(client, page)
    blocker = tmp_path / "exports"
    blocker.write_bytes(b"a file where a folder should be")  # unwritable even for root

    with pytest.raises(AirflowFailException, match=r"not writable|cannot write"):
        Translate5ExportOperator(
            task_id="export", translate5_task_id=task_id, destination=str(blocker / "out")
        ).execute(context_for())
    with pytest.raises(AirflowFailException, match="not writable"):
        Translate5InstantTranslatePretranslateOperator(
            task_id="pre",
            source=str(page),
            source_lang="en",
            target_lang="de",
            destination=str(blocker / "x/"),
        ).execute(context_for())

    assert sim.requests.count("GET", prefix="/editor/task/export") == 0
    assert sim.requests.count("POST", PRETRANSLATE) == 0


def test_a_destination_that_is_the_source_is_refused_before_anything_is_sent(
    sim: Any, page: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="would overwrite the source"):  # when the DAG is parsed
        Translate5InstantTranslatePretranslateOperator(
            task_id="pre", source=str(page), source_lang="en", target_lang="de", destination=str(page)
        )
    templated = Translate5InstantTranslatePretranslateOperator(
        task_id="pre", source=str(page), source_lang="en", target_lang="de", destination="{{ params.out }}"
    )
    templated.destination = f"file://{page}"  # what the template rendered to: the source, as a URI
    before = page.read_bytes()

    with pytest.raises(AirflowFailException, match="would overwrite the source"):
        templated.execute(context_for())

    assert sim.requests.count("POST", PRETRANSLATE) == 0
    assert page.read_bytes() == before


class DyingTI(RecordingTaskInstance):
    """The worker dies right after InstantTranslate accepted the file (before anything was downloaded)."""

    def xcom_push(self, key: str, value: Any) -> None:
        if key == "translate5_pretranslation_id":
            raise SystemExit("worker killed")
        super().xcom_push(key, value)


def pretranslate(page: Path, out: Path) -> Translate5InstantTranslatePretranslateOperator:
    return Translate5InstantTranslatePretranslateOperator(
        task_id="pre",
        source=str(page),
        source_lang="en",
        target_lang="de",
        destination=str(out) + "/",
        poke_interval=0.02,
        timeout=timedelta(seconds=20),
        retry_delay=timedelta(minutes=10),
    )


def test_a_retried_pretranslation_reuses_the_earlier_upload(sim: Any, page: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit):
        pretranslate(page, out).execute(context_for(DyingTI(try_number=1)))
    assert sim.requests.count("POST", PRETRANSLATE) == 1

    written = pretranslate(page, out).execute(context_for(try_number=2))

    assert sim.requests.count("POST", PRETRANSLATE) == 1  # machine translation paid once
    assert Path(written.removeprefix("file://")).parent == out
    assert "__af" not in written  # the marker is not part of the delivered name
    assert "[de]" in Path(written.removeprefix("file://")).read_text()


def test_a_cleared_pretranslation_with_a_changed_source_uploads_the_new_file(
    sim: Any, page: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = pretranslate(page, out).execute(context_for())
    page.write_text("<p>Changed text.</p>", encoding="utf-8")  # the author fixed the source, cleared the task

    second = pretranslate(page, out).execute(context_for(try_number=2))

    assert sim.requests.count("POST", PRETRANSLATE) == 2  # new content: a new pre-translation
    assert first == second  # delivered under the same name, now with the new translation
    assert "[de] Changed text." in Path(second.removeprefix("file://")).read_text()


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_a_lost_pretranslation_answer_is_found_not_uploaded_again(
    sim: Any, page: Path, tmp_path: Path, deferrable: bool
) -> None:
    sim.faults.lose_response(1, method="POST", path=PRETRANSLATE)
    operator = pretranslate(page, tmp_path / "out")
    operator.deferrable = deferrable

    written = run_like_airflow(operator)

    assert sim.requests.count("POST", PRETRANSLATE) == 1
    assert "[de]" in Path(written.removeprefix("file://")).read_text()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda p: upload(p, target_lang=["de", "DE"]), "twice"),
        (lambda p: upload(p, target_lang=["de", " "]), "empty language"),
        (lambda p: upload(p, target_lang=[]), "at least one"),
        (lambda p: waiting(p, timeout=-5), "timeout must be positive"),
        (lambda p: waiting(p, timeout=timedelta(0)), "timeout must be positive"),
        (lambda p: waiting(p, poke_interval=0), "poke_interval must be positive"),
        (lambda p: upload(p, create_grace="5 minutes"), "create_grace must be a timedelta"),
    ],
    ids=[
        "duplicate-target",
        "empty-target",
        "no-target",
        "negative-timeout",
        "zero-timeout",
        "zero-poke",
        "grace",
    ],
)
def test_bad_input_is_refused_when_the_dag_is_parsed(build: Any, message: str, page: Path) -> None:
    with pytest.raises(ValueError, match=message):
        build(page)


def test_a_poll_interval_below_the_minimum_is_raised_to_it(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW__TRANSLATE5__MIN_POLL_INTERVAL")
    assert waiting(page, poke_interval=0.001).poke_interval == 1.0  # no DAG makes it hammer translate5
    sensor = Translate5WorkflowEndedSensor(task_id="done", translate5_task_id=5, poke_interval=0.001)
    assert sensor.poke_interval == 1.0  # sensors too
    monkeypatch.setenv("AIRFLOW__TRANSLATE5__MIN_POLL_INTERVAL", "5")
    assert waiting(page, poke_interval=timedelta(seconds=2)).poke_interval == 5.0  # the minimum is a setting
    minute = timedelta(minutes=1)
    slow = Translate5WorkflowEndedSensor(task_id="done", translate5_task_id=5, poke_interval=minute)
    assert slow.poke_interval == 60.0


def upload(page: Path, **kwargs: Any) -> Translate5UploadTaskOperator:
    kwargs.setdefault("target_lang", "de")
    return Translate5UploadTaskOperator(
        task_id="u", source=str(page), task_name="x", source_lang="en", **kwargs
    )


def waiting(page: Path, **kwargs: Any) -> Translate5InstantTranslatePretranslateOperator:
    return Translate5InstantTranslatePretranslateOperator(
        task_id="p", source=str(page), source_lang="en", target_lang="de", destination="/tmp/out/", **kwargs
    )
