"""Reimport of an updated file into the task that is already in translation (client and operator)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from t5support import eventually, wait_imported

from airflow_provider_translate5.client import Translate5Client, Translate5ConflictError, Translate5ValueError

from t5dags import DagRunner, dag_header

pytestmark = pytest.mark.integration

XLIFF = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
<file original="page.html" source-language="en" target-language="de" datatype="html"><body>
<trans-unit id="1"><source>{text}</source><target state="new">{target}</target></trans-unit>
</body></file></xliff>
"""


@pytest.fixture
def client(sim: Any) -> Iterator[Translate5Client]:
    with Translate5Client(sim.base_url, sim.token) as t5:
        yield t5


def page(text: str = "Hello", target: str = "") -> bytes:
    return XLIFF.format(text=text, target=target).encode()


def _imported(client: Translate5Client, name: str = "page.xlf", foreign_id: str = "cms-7") -> Any:
    body = io.BytesIO(page())
    task = client.create_task(
        (name, body), task_name="P", source_lang="en", target_lang="de", foreign_id=foreign_id
    )
    wait_imported(client, [task.id])
    return task


def test_reimport_updates_the_targets_and_runs_as_an_operation(sim: Any, client: Translate5Client) -> None:
    task = _imported(client)
    [listed] = client.list_task_files(task.id)
    assert client.find_task_file(task.id, "page.xlf") == listed
    sim.set(import_duration=3.0)  # operations last as long as imports: long enough to see this one run
    client.reimport_file(task.id, listed.id, ("page.xlf", io.BytesIO(page("Hello again", "Hallo"))))
    assert client.get_task(task.id).state == "open"  # queued at first, as recorded (§143)
    eventually(
        lambda: client.get_task(task.id).state,
        lambda state: state == "reimport",
        what="the reimport to start",
    )
    with pytest.raises(Translate5ConflictError):  # one operation at a time
        client.reimport_file(task.id, listed.id, ("page.xlf", io.BytesIO(b"<xliff/>")))
    eventually(
        lambda: client.get_task(task.id).state, lambda state: state != "reimport", what="the reimport to end"
    )
    with client.open_export(task.id, format="filetranslation") as download:
        exported = b"".join(download.iter_bytes())
    assert b'<source>Hello</source><target state="new">Hallo</target>' in exported  # the source is kept


def test_reimport_input_is_checked_before_the_upload(sim: Any, client: Translate5Client) -> None:
    task = _imported(client)
    before = len(sim.requests)
    with pytest.raises(Translate5ValueError, match="bilingual files"):
        client.reimport_file(task.id, 1, ("page.html", io.BytesIO(b"<p>Hi</p>")))
    assert len(sim.requests) == before
    with pytest.raises(Translate5ValueError, match=r"no file named 'other\.xlf' \(its files: page\.xlf\)"):
        client.find_task_file(task.id, "other.xlf")


@pytest.mark.dagrun
def test_reimport_operator_finds_the_task_by_foreign_id(
    sim: Any, client: Translate5Client, run_dag: DagRunner, tmp_path: Path, source_file: Callable[..., Path]
) -> None:
    task = _imported(client, foreign_id="cms-page-42")
    updated = tmp_path / "page.xlf"
    updated.write_bytes(page(target="Hallo"))
    source = (
        dag_header("t5_reimport")
        + f"""
from airflow_provider_translate5.operators.reimport import Translate5ReimportFileOperator

with dag:
    Translate5ReimportFileOperator(
        task_id="reimport", foreign_id="cms-page-42", source={str(updated)!r}, poke_interval=0.05,
        deferrable=True,
    )
    Translate5ReimportFileOperator(
        task_id="unknown", foreign_id="cms-page-43", source={str(updated)!r}, poke_interval=0.05,
    )
"""
    )
    result = run_dag(source, "t5_reimport")

    assert result.states["reimport"] == "success", result.output[-3000:]
    assert result.xcom("reimport") == {
        "id": task.id,
        "task_guid": task.task_guid,
        "file_id": client.list_task_files(task.id)[0].id,
        "file_name": "page.xlf",
        "state": "open",
        "sent": True,
    }
    assert result.states["unknown"] == "failed"
    assert "expected one translate5 task with foreignId 'cms-page-43', found none" in result.output


@pytest.mark.dagrun
def test_reimport_operator_picks_the_task_of_a_project_by_target_language(
    sim: Any, client: Translate5Client, run_dag: DagRunner, tmp_path: Path
) -> None:
    """The foreignId lookup answers the project only; its tasks (one per target language) carry the id."""
    body = io.BytesIO(page())
    project = client.create_task(
        ("page.xlf", body), task_name="P", source_lang="en", target_lang=["de", "fr"], foreign_id="cms-9"
    )
    wait_imported(client, [t.id for t in client.project_tasks(project.id)])
    tasks = client.project_tasks(project.id)
    by_lang = {client.resolve_language(t.target_lang or 0).rfc5646: t for t in tasks}
    updated = tmp_path / "page.xlf"
    updated.write_bytes(page(target="Bonjour"))
    source = (
        dag_header("t5_reimport_project")
        + f"""
from airflow_provider_translate5.operators.reimport import Translate5ReimportFileOperator

with dag:
    Translate5ReimportFileOperator(
        task_id="reimport", foreign_id="cms-9", target_lang="fr", source={str(updated)!r}, poke_interval=0.05,
    )
"""
    )
    result = run_dag(source, "t5_reimport_project")

    assert result.states["reimport"] == "success", result.output[-3000:]
    assert result.xcom("reimport")["id"] == by_lang["fr"].id

    def exported(task_id: int) -> bytes:
        with client.open_export(task_id, format="filetranslation") as download:
            return b"".join(download.iter_bytes())

    assert b">Bonjour</target>" in exported(by_lang["fr"].id)
    assert b">Bonjour</target>" not in exported(by_lang["de"].id)  # the other language's task is untouched
