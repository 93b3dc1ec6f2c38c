"""Creation that stays single for a batch: one upload task instance creating many items keeps the upload's
guarantee per item (see docs/reliability.md), whatever fails in between."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_translate5.client import Translate5Client, Translate5Error
from airflow_provider_translate5.operators import Translate5UploadTaskOperator

from .conftest import TEXT, context_for

pytestmark = pytest.mark.integration


@pytest.fixture
def pages(tmp_path: Path) -> Callable[..., list[dict[str, Any]]]:
    """``pages(n, own_keys=True)``: n items as a task listing a drop hands them over."""

    def make(count: int = 3, *, own_keys: bool = True) -> list[dict[str, Any]]:
        items = []
        for number in range(count):
            path = tmp_path / "in" / f"page{number}.html"
            path.parent.mkdir(exist_ok=True)
            path.write_text(TEXT, encoding="utf-8")
            item: dict[str, Any] = {"source": str(path), "task_name": f"Page {number}"}
            if own_keys:
                item["foreign_id"] = f"cms:page-{number}"
            items.append(item)
        return items

    return make


def upload(items: list[dict[str, Any]], **kwargs: Any) -> Translate5UploadTaskOperator:
    """A fresh operator per try (Airflow parses the DAG anew), en -> de + fr, a quick retry."""
    from datetime import timedelta

    return Translate5UploadTaskOperator(
        task_id="upload",
        items=items,
        source_lang="en",
        target_lang=["de", "fr"],
        create_grace=kwargs.pop("grace", 0.3),
        retry_delay=timedelta(0),
        hook_params={"timeout": (2.0, 10.0)},
        **kwargs,
    )


def live_units(client: Translate5Client) -> dict[str, list[int]]:
    """The projects/tasks translate5 holds per foreignId (project tasks count as their project)."""
    units: dict[str, set[int]] = {}
    for row in client.list_tasks().rows:
        units.setdefault(row.foreign_id or "", set()).add(row.project_id or row.id)
    return {key: sorted(ids) for key, ids in units.items()}


def test_a_batch_retry_reattaches_what_the_failed_try_created_and_creates_the_rest(
    sim: Any, client: Translate5Client, pages: Callable[..., list[dict[str, Any]]]
) -> None:
    items = pages(own_keys=False)  # derived keys: try 1 creates without looking, try 2 looks first
    sim.faults.latency(0.0, method="POST", path="/editor/task")  # the first create passes untouched ...
    sim.faults.fail_next(
        1, status=502, message="Bad Gateway", method="POST", path="/editor/task"
    )  # ... not 2nd
    with pytest.raises(Translate5Error) as caught:  # nothing appeared within the grace: Airflow retries
        upload(items, concurrency=1).execute(context_for(try_number=1))
    assert not caught.value.terminal
    assert sim.requests.count("POST", "/editor/task") == 2  # the third item was not even tried
    sim.requests.clear()

    result = upload(items, concurrency=1).execute(context_for(try_number=2))

    assert sim.requests.count("POST", "/editor/task") == 2  # the two missing ones
    # lookups for all keys at once (a retry first looks for the rest for what retry_delay did not cover),
    # one list of the re-attached project's tasks: never a read per project
    assert {r.path for r in sim.requests if r.method == "GET"} == {"/editor/task"}
    assert [item["reattached"] for item in result["items"]] == [True, False, False]
    assert live_units(client) == {item["foreign_id"]: [item["id"]] for item in result["items"]}
    assert len(result["items"][0]["tasks"]) == 2


def test_a_lost_create_answer_in_a_batch_is_found_by_one_lookup_for_the_batch(
    sim: Any, client: Translate5Client, pages: Callable[..., list[dict[str, Any]]]
) -> None:
    sim.faults.lose_response(1, method="POST", path="/editor/task")  # saved, then the answer was lost

    result = upload(pages(), concurrency=2).execute(context_for())

    assert sim.requests.count("POST", "/editor/task") == 3  # never sent twice
    assert sum(item["reattached"] for item in result["items"]) == 1
    assert live_units(client) == {item["foreign_id"]: [item["id"]] for item in result["items"]}
    assert all(len(item["tasks"]) == 2 for item in result["items"])  # the found project's de + fr tasks


def test_two_concurrent_tries_of_a_batch_end_with_one_project_per_item(
    sim: Any, client: Translate5Client, pages: Callable[..., list[dict[str, Any]]]
) -> None:
    items = pages()
    sim.faults.latency(0.3, count=6, method="POST", path="/editor/task")  # the creates of both tries overlap
    start = threading.Barrier(2)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def one_try() -> None:
        operator = upload(items, concurrency=3)
        start.wait()
        try:
            results.append(operator.execute(context_for()))
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one_try) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sim.requests.count("POST", "/editor/task") == 6  # both tries created every item ...
    survivors = live_units(client)
    assert sorted(survivors) == ["cms:page-0", "cms:page-1", "cms:page-2"]
    assert all(len(ids) == 1 for ids in survivors.values())  # ... the lowest id per item survives
    for result in results:  # every try reports the survivors
        assert {item["foreign_id"]: [item["id"]] for item in result["items"]} == survivors


def test_a_refused_create_in_a_batch_fails_the_task_naming_the_item(
    sim: Any, client: Translate5Client, pages: Callable[..., list[dict[str, Any]]]
) -> None:
    sim.faults.latency(0.0, method="POST", path="/editor/task")
    sim.faults.fail_next(
        1, status=422, error_code="E1026", message="no work files", method="POST", path="/editor/task"
    )

    with pytest.raises(AirflowFailException) as caught:  # a refusal: no retries
        upload(pages(), concurrency=1).execute(context_for())

    assert str(caught.value).startswith("items[1] (foreign_id 'cms:page-1'): ")
    assert sorted(live_units(client)) == ["cms:page-0"]  # the third item was not created after the refusal
