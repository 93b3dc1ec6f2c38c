"""A reimport runs once: a retry recognises its own reimport, running or finished, by what translate5 holds.

translate5's reimport answers ``{"success": true}`` at once and works in the background: queued (the task
still reads ``open``), then in state ``reimport`` (part 2 §143). Its import archive holds the last reimported
file byte for byte (§150): that is the marker the operator compares before sending, and what ends its wait.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_provider_translate5.client import (
    Task,
    Translate5Client,
    Translate5ConnectionError,
    Translate5NotFoundError,
)
from airflow_provider_translate5.operators.reimport import Translate5ReimportFileOperator

from .conftest import context_for, run_like_airflow

KEY = "cms-page-reimport"
REIMPORT = "/editor/taskid/"
XLIFF = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" '
    'xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="about-us" source-language="en" '
    'target-language="de" datatype="plaintext"><body>'
    "<trans-unit id='1'><source>About us</source><target>{target}</target></trans-unit>"
    "</body></file></xliff>"
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("translate5_simulator", [{"import_duration": 1.0}], indirect=True),
]


@pytest.fixture
def task(sim: Any, client: Translate5Client) -> Task:
    created = client.create_task(
        [("page.xlf", io.BytesIO(XLIFF.format(target="").encode()))],
        task_name="Reimport once",
        source_lang="en",
        target_lang="de",
        foreign_id=KEY,
    )
    from t5support import wait_imported

    wait_imported(client, [created.id])
    return created


def translated(tmp_path: Path, target: str) -> Path:
    path = tmp_path / target.replace(" ", "-") / "page.xlf"
    path.parent.mkdir(parents=True)
    path.write_text(XLIFF.format(target=target), encoding="utf-8")
    return path


def reimporter(source: Path, **kwargs: Any) -> Translate5ReimportFileOperator:
    """A fresh operator, as every Airflow try parses the DAG anew."""
    kwargs.setdefault("deferrable", False)
    kwargs.setdefault("timeout", 30)
    return Translate5ReimportFileOperator(
        task_id="reimport", foreign_id=KEY, source=str(source), poke_interval=0.02, **kwargs
    )


def sent(sim: Any) -> int:
    return sum(1 for r in sim.requests if r.method == "POST" and r.path.startswith(REIMPORT))


def exported(client: Translate5Client, task: Task) -> bytes:
    with client.open_export(task.id, format="filetranslation") as download:
        return b"".join(download.iter_bytes())


def wait_for(sim: Any, task: Task, state: str) -> None:
    deadline = time.monotonic() + 10
    while sim.task(task.id)["state"] != state:
        assert time.monotonic() < deadline, f"task {task.id} never reached {state!r}"
        time.sleep(0.01)


def lost_answer(sim: Any, source: Path) -> None:
    """Try 1: translate5 takes the reimport, but its answer never arrives: the try fails, retryably."""
    sim.faults.lose_response(1, method="POST", path=REIMPORT)
    with pytest.raises(Translate5ConnectionError):
        run_like_airflow(reimporter(source), context_for())
    assert sent(sim) == 1


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "triggerer"])
def test_a_retry_while_its_lost_reimport_runs_waits_for_it_and_sends_nothing(
    sim: Any, client: Translate5Client, task: Task, tmp_path: Path, deferrable: bool
) -> None:
    source = translated(tmp_path, "Über uns")
    lost_answer(sim, source)
    wait_for(sim, task, "reimport")  # Airflow's retry comes while translate5 works (it answered 409 E1046)

    result = run_like_airflow(reimporter(source, deferrable=deferrable), context_for(try_number=2))

    assert sent(sim) == 1  # the retry sent nothing
    assert result["sent"] is False
    assert "<target>Über uns</target>" in exported(client, task).decode()


def test_a_retry_after_its_lost_reimport_ran_does_not_reimport_again(
    sim: Any, client: Translate5Client, task: Task, tmp_path: Path
) -> None:
    """A second reimport of the same file later would overwrite what translators did meanwhile."""
    source = translated(tmp_path, "Über uns")
    lost_answer(sim, source)
    wait_for(sim, task, "reimport")
    wait_for(sim, task, "open")

    result = run_like_airflow(reimporter(source), context_for(try_number=2))

    assert sent(sim) == 1
    assert result["sent"] is False
    changed = translated(tmp_path, "Wir über uns")  # other content is another reimport: sent
    assert run_like_airflow(reimporter(changed), context_for())["sent"] is True
    assert sent(sim) == 2
    assert "<target>Wir über uns</target>" in exported(client, task).decode()


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "triggerer"])
def test_a_first_look_while_the_reimport_is_queued_does_not_end_the_wait(
    sim: Any, client: Translate5Client, task: Task, tmp_path: Path, deferrable: bool
) -> None:
    """The task reads ``open`` and unlocked for a while after the answer (§143): not done yet."""
    result = run_like_airflow(reimporter(translated(tmp_path, "Über uns"), deferrable=deferrable))

    assert "<target>Über uns</target>" in exported(client, task).decode()  # applied when it returned
    assert (result["state"], sim.task(task.id)["lockedInternalSessionUniqId"]) == ("open", None)
    assert result["sent"] is True


def test_a_deferred_reimport_resumes_once_when_the_archive_holds_the_file(
    sim: Any, client: Translate5Client, task: Task, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The triggerer waits for the operation (lock released AND the file archived): the operator resumes
    once, done, not at each look that finds the task free while the reimport is queued (a worker slot and
    a new deferral each; the wait for the task to be idle resumed it 6 times here)."""
    sim.set(import_duration=3.0)  # queued for ~0.4 s after the answer (§143): looks every 0.02 s see it
    triggers: list[Any] = []
    defer = Translate5ReimportFileOperator.defer

    def counted(self: Any, **kwargs: Any) -> None:
        triggers.append(kwargs["trigger"])
        defer(self, **kwargs)

    monkeypatch.setattr(Translate5ReimportFileOperator, "defer", counted)

    result = run_like_airflow(reimporter(translated(tmp_path, "Über uns"), deferrable=True))

    assert len(triggers) == 1
    assert (result["sent"], result["state"]) == (True, "open")
    assert "<target>Über uns</target>" in exported(client, task).decode()


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "triggerer"])
def test_a_reimport_seen_running_that_left_the_archive_unchanged_fails_at_once_without_retries(
    sim: Any, task: Task, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deferrable: bool
) -> None:
    """The wait saw translate5 run the reimport (state ``reimport``), then the task free and the archive
    without the file (E1475): no waiting changes that, and a retry would send the file again."""
    from airflow_provider_translate5.testing import api_reimport

    monkeypatch.setattr(api_reimport, "_reimported", lambda task_file, reimport: task_file)
    operator = reimporter(translated(tmp_path, "Über uns"), deferrable=deferrable, timeout=20)

    with pytest.raises(AirflowFailException) as failed:
        run_like_airflow(operator)

    message = str(failed.value)
    assert f"translate5 ran the reimport of translate5 task {task.id} but its import archive" in message
    assert "does not hold the page.xlf sent (E1475" in message
    assert sent(sim) == 1


def test_a_reimport_that_never_shows_in_the_archive_fails_naming_why(
    sim: Any, task: Task, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """translate5 could not archive the file (E1475): the wait ends saying so, naming the file."""
    from airflow_provider_translate5.testing import api_reimport

    monkeypatch.setattr(api_reimport, "_reimported", lambda task_file, reimport: task_file)
    operator = reimporter(translated(tmp_path, "Über uns"), timeout=3)

    with pytest.raises(AirflowException, match=r"import archive does not hold the page\.xlf sent"):
        run_like_airflow(operator)
    assert sent(sim) == 1


def test_a_file_id_of_another_task_is_a_final_error_sent_once(
    sim: Any, client: Translate5Client, task: Task
) -> None:
    """translate5 answers PHP's 500 (§166); the same request would fail again, so it is not an outage."""
    other = client.create_task(
        [("other.xlf", io.BytesIO(XLIFF.format(target="").encode()))],
        task_name="Other",
        source_lang="en",
        target_lang="de",
    )
    from t5support import wait_imported

    wait_imported(client, [other.id])
    [foreign] = client.list_task_files(other.id)

    with pytest.raises(Translate5NotFoundError) as raised:
        client.reimport_file(task.id, foreign.id, ("page.xlf", io.BytesIO(XLIFF.format(target="x").encode())))

    assert (raised.value.status, raised.value.terminal, raised.value.outage) == (500, True, False)
    assert "the fileId is not one of the task's files" in str(raised.value)
    assert sent(sim) == 1
