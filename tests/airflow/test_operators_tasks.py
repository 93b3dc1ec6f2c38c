"""The task-changing operators one by one, executed as a worker would (no DAG run): one failure each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from t5support import RecordingTaskInstance, wait_imported

from airflow_provider_translate5.client import Translate5Client
from airflow_provider_translate5.operators import (
    Translate5DeleteTaskOperator,
    Translate5EndTaskOperator,
    Translate5RenameTaskOperator,
    Translate5ReopenTaskOperator,
    Translate5WriteTmOperator,
)

pytestmark = pytest.mark.integration


def run(operator: Any) -> tuple[Any, dict[str, Any]]:
    """``execute`` with a task instance that records what the operator pushes."""
    ti = RecordingTaskInstance(task_id=operator.task_id)
    try:
        return operator.execute({"ti": ti}), ti.xcom
    finally:
        operator.hook.close()


@pytest.fixture
def client(sim: Any) -> Iterator[Translate5Client]:
    client = Translate5Client(sim.base_url, sim.token)
    yield client
    client.close()


@pytest.fixture
def task_id(client: Translate5Client, source_file: Callable[..., Path]) -> int:
    task = client.create_task(source_file(), task_name="Lifecycle", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    return task.id


def test_rename_rereads_and_retries_once_after_a_concurrent_change(
    sim: Any, client: Translate5Client, task_id: int
) -> None:
    sim.faults.fail_next(
        1, status=409, message="The displayed data was changed in the meantime on the server.", method="PUT"
    )

    summary, pushed = run(
        Translate5RenameTaskOperator(task_id="rename", translate5_task_id=task_id, task_name="Renamed")
    )

    assert summary["task_name"] == "Renamed"
    assert client.get_task(task_id).task_name == "Renamed"
    assert sim.requests.count("PUT", f"/editor/task/{task_id}") == 2
    assert pushed["translate5_task_id"] == task_id  # the link is published


def test_end_then_reopen(client: Translate5Client, task_id: int) -> None:
    ended, _ = run(Translate5EndTaskOperator(task_id="end", translate5_task_id=task_id))
    assert [t["state"] for t in ended] == ["end"]
    assert client.get_task(task_id).state == "end"

    reopened, _ = run(Translate5ReopenTaskOperator(task_id="reopen", translate5_task_id=task_id))
    assert [t["state"] for t in reopened] == ["open"]
    assert client.get_task(task_id).state == "open"


def test_end_and_reopen_many_task_ids_without_a_lookup(
    sim: Any, client: Translate5Client, source_file: Callable[..., Path]
) -> None:
    project = client.create_task(source_file(), task_name="Many", source_lang="en", target_lang=["de", "fr"])
    wait_imported(client, project.task_ids)
    sim.set(force_delete_right=True)
    gone = client.create_task(source_file(), task_name="Gone", source_lang="en", target_lang="it")
    wait_imported(client, gone.task_ids)
    client.delete_task(gone.id, force=True)  # deleted in translate5 since it was ordered: skipped
    ids = [*project.task_ids, gone.id]
    sim.requests.clear()

    ended, pushed = run(Translate5EndTaskOperator(task_id="end", translate5_task_ids=ids))

    assert [(t["id"], t["state"]) for t in ended] == [(i, "end") for i in project.task_ids]
    assert [r.method for r in sim.requests] == ["PUT", "PUT", "PUT"]  # one per id, nothing looked up
    assert pushed["translate5_task_id"] == project.task_ids[0]
    reopened, _ = run(Translate5ReopenTaskOperator(task_id="reopen", translate5_task_ids=str(ids)))
    assert {client.get_task(i).state for i in project.task_ids} == {"open"}
    assert len(reopened) == 2
    sim.requests.clear()
    assert run(Translate5EndTaskOperator(task_id="none", translate5_task_ids=[]))[0] == []
    assert list(sim.requests) == []  # nothing to end: not even a session
    with pytest.raises(ValueError, match="not both"):
        Translate5EndTaskOperator(task_id="both", translate5_task_id=1, translate5_task_ids=[1])


def test_delete_counts_a_task_already_gone_as_deleted(
    sim: Any, client: Translate5Client, task_id: int
) -> None:
    sim.set(force_delete_right=True)
    deleted, _ = run(Translate5DeleteTaskOperator(task_id="delete", translate5_task_id=task_id, force=True))
    again, _ = run(Translate5DeleteTaskOperator(task_id="delete_again", translate5_task_id=task_id))

    assert deleted == again == task_id  # a retry or re-run of the delete succeeds too
    assert client.list_tasks().rows == []


def test_write_tm_returns_the_memory_translate5_keeps_for_that_language_pair(sim: Any) -> None:
    def write(target_lang: str, target_text: str) -> Any:
        created, _ = run(
            Translate5WriteTmOperator(
                task_id="tm",
                source_lang="en",
                target_lang=target_lang,
                source_text="Hello",
                target_text=target_text,
            )
        )
        return created

    german = write("de", "Hallo")
    german_again = write("de", "Guten Tag")
    french = write("fr", "Bonjour")

    # the ids are the memories translate5 created for each pair: the same one for every en->de write
    assert german == german_again == [sim.store.tm_ids[("en", "de")]]
    assert french == [sim.store.tm_ids[("en", "fr")]]
    assert german != french
    assert sim.requests.count("POST", "/editor/instanttranslateapi/writetm") == 3
