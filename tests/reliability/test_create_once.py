"""Creation that stays single: an uncertain create never ends with two live tasks for one foreignId.

The simulator's ``latency`` fault holds a request BEFORE the server processes it, so a create held longer
than the client's read timeout is saved after the client gave up: before, during or after the retry,
depending on how long it is held. Every test ends by counting the live tasks for the key.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_translate5.client import (
    Filter,
    Translate5Client,
    Translate5ConnectionError,
    Translate5NotFoundError,
    Translate5PermissionError,
    Translate5ServerError,
    Translate5ValidationError,
)
from airflow_provider_translate5.once import CreateOnce, DuplicateNotRemovedError
from airflow_provider_translate5.operators import Translate5UploadTaskOperator

from .conftest import context_for

pytestmark = pytest.mark.integration

KEY = "cms-page-4711"


def upload(page: Path, *, read_timeout: float = 10.0, grace: float = 5.0, **kwargs: Any) -> Any:
    """A fresh operator, as every Airflow try parses the DAG anew; ``retry_delay`` 0 like a quick retry."""
    kwargs.setdefault("target_lang", "de")
    return Translate5UploadTaskOperator(
        task_id="upload",
        source=str(page),
        task_name="Once",
        source_lang="en",
        foreign_id=KEY,
        create_grace=timedelta(seconds=grace),
        hook_params={"timeout": (2.0, read_timeout)},
        retry_delay=timedelta(0),
        **kwargs,
    )


def live_units(client: Translate5Client, key: str = KEY) -> list[int]:
    """The ids of the projects/tasks that exist for the key (project tasks count as their project)."""
    rows = client.list_tasks(filters=[Filter.eq("foreignId", key)]).rows
    return sorted({row.project_id or row.id for row in rows})


def test_create_saved_after_the_read_timeout_is_found_by_the_same_try(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    sim.faults.latency(1.5, method="POST", path="/editor/task")  # saved 1.5 s after it was sent

    result = upload(page, read_timeout=0.5).execute(context_for())

    assert result["reattached"] is True  # the try's own create, found by the grace lookup
    assert live_units(client) == [result["id"]]
    assert sim.requests.count("POST", "/editor/task") == 1


def test_lost_answer_after_the_commit_is_found_at_once(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    sim.faults.lose_response(1, method="POST", path="/editor/task")  # committed, then the connection closed

    result = upload(page, target_lang=["de", "fr"]).execute(context_for())

    assert result["reattached"] is True
    assert live_units(client) == [result["id"]]
    assert len(result["task_ids"]) == 2  # the project's two tasks, none created twice
    assert sim.requests.count("POST", "/editor/task") == 1


def test_create_saved_while_the_retry_looks_is_reused_by_the_retry(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    sim.faults.latency(2.5, method="POST", path="/editor/task")
    with pytest.raises(Translate5ConnectionError):  # try 1 gives up after its (short) grace: retryable
        upload(page, read_timeout=0.3, grace=0.5).execute(context_for(try_number=1))
    assert live_units(client) == []  # still held: nothing saved yet

    # try 2 starts at once (retry_delay 0): it looks for the earlier try's task for its grace first
    result = upload(page, grace=5).execute(context_for(try_number=2))

    assert result["reattached"] is True
    assert live_units(client) == [result["id"]]
    assert sim.requests.count("POST", "/editor/task") == 1  # the retry never sent a second create


def test_create_saved_while_the_retry_creates_converges_on_the_lowest_id(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    # try 1's create is saved at ~1.6 s; try 2 (no pre-wait: its retry_delay covers its grace) sends its own
    # create at ~0.3 s, held 1.6 s, saved at ~1.9 s, after try 1's: its post-create check sees both.
    sim.faults.latency(1.6, count=2, method="POST", path="/editor/task")

    def first_try() -> None:
        with pytest.raises(Translate5ConnectionError):
            upload(page, read_timeout=0.2, grace=0.05).execute(context_for(try_number=1))

    first = threading.Thread(target=first_try)
    first.start()
    while sim.requests.count("POST", "/editor/task") < 1:
        threading.Event().wait(0.02)
    retry = upload(page, grace=0.05)
    retry.retry_delay = timedelta(seconds=60)
    threading.Event().wait(0.3)
    result = retry.execute(context_for(try_number=2))
    first.join()

    assert sim.requests.count("POST", "/editor/task") == 2  # two tasks were created ...
    assert live_units(client) == [result["id"]]  # ... one survives: the lower id (try 1's), the other deleted
    assert result["reattached"] is True
    assert sim.requests.count("DELETE", f"/editor/task/{result['id'] + 1}") == 1


def test_eight_concurrent_tries_end_with_one_task(sim: Any, client: Translate5Client, page: Path) -> None:
    sim.faults.latency(0.3, count=8, method="POST", path="/editor/task")  # all eight creates overlap
    start = threading.Barrier(8)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def one_try() -> None:
        operator = upload(page)
        start.wait()
        try:
            results.append(operator.execute(context_for()))
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one_try) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    survivors = live_units(client)
    assert len(survivors) == 1
    assert {result["id"] for result in results} == set(survivors)  # every try reports the survivor


def test_gateway_error_on_create_fails_the_try_retryably_and_the_retry_creates_one(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    sim.faults.fail_next(1, status=502, message="Bad Gateway", method="POST", path="/editor/task")
    with pytest.raises(Translate5ServerError):  # nothing appeared within the grace: Airflow retries
        upload(page, grace=0.3).execute(context_for(try_number=1))

    result = upload(page, grace=0.3).execute(context_for(try_number=2))

    assert result["reattached"] is False
    assert live_units(client) == [result["id"]]


def test_a_refused_create_removes_the_stub_translate5_saved_before_refusing() -> None:
    # translate5 saves the task row before it checks the upload: a 422 left a task in state "import" behind
    # (recorded on a real server). Here the server is a list: the create saves a stub, then refuses.
    @dataclass
    class Row:
        id: int
        project_id: int | None = None

    server: list[Row] = []

    def create() -> Row:
        server.append(Row(71))
        raise Translate5ValidationError(status=422, error_message="no work files")

    def delete(root: int) -> None:
        if not any(row.id == root for row in server):
            raise Translate5NotFoundError(status=404, error_message="gone")
        server[:] = [row for row in server if row.id != root]

    once = CreateOnce(
        lookup=lambda: list(server),
        create=create,
        root_of=lambda row: row.project_id or row.id,
        delete=delete,
        sleep=lambda _s: None,
    )
    with pytest.raises(Translate5ValidationError):
        once.run()
    assert server == []


def test_a_duplicate_that_cannot_be_deleted_fails_the_try_retryably() -> None:
    # Two units exist for the key (an earlier try's 4 and this try's 9); translate5 refuses to delete 9.
    @dataclass
    class Row:
        id: int
        project_id: int | None = None

    server: list[Row] = []

    def create() -> Row:
        server.append(Row(4))  # saved meanwhile by the earlier try
        server.append(Row(9))
        return server[-1]

    def delete(root: int) -> None:
        raise Translate5PermissionError(status=403, error_message="not allowed to delete")

    looks = iter([[]])  # the first look saw nothing (4 was still being saved); later looks see both

    once = CreateOnce(
        lookup=lambda: next(looks, list(server)),
        create=create,
        root_of=lambda row: row.project_id or row.id,
        delete=delete,
        sleep=lambda _s: None,
    )
    with pytest.raises(DuplicateNotRemovedError, match="delete it in translate5") as caught:
        once.run()

    assert caught.value.retryable  # the next try converges again on 4
    assert not caught.value.terminal
