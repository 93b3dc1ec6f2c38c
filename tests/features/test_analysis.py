"""Match analysis and pre-translation operations against the simulator, which runs them as the recorded
server did (transcripts-2 §115, §121-124, §162-163): the operation answers the task row still ``open``, the
task stays ``open`` and unlocked while the work is queued, then reads ``open`` while the worker already holds
its lock, then ``matchanalysis``, and ends ``open`` with a new analysis."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from t5support import eventually, wait_imported

from airflow_provider_translate5 import status
from airflow_provider_translate5.client import Task, Translate5Client, Translate5ValueError

pytestmark = pytest.mark.integration

#: The contract suite's three-unit page (8 words, 47 characters: "About us", "We translate websites.",
#: "Contact us today.").
PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="about-us" source-language="en" target-language="de" datatype="plaintext"><body>
    <trans-unit id="1"><source>About us</source><target/></trans-unit>
    <trans-unit id="2"><source>We translate websites.</source><target/></trans-unit>
    <trans-unit id="3"><source>Contact us today.</source><target/></trans-unit>
  </body></file>
</xliff>
"""


@pytest.fixture
def client(sim: Any) -> Iterator[Translate5Client]:
    with Translate5Client(sim.base_url, sim.token) as t5:
        yield t5


def _imported(client: Translate5Client, targets: Any = "de") -> Task:
    created = client.create_task(
        [("page.xlf", io.BytesIO(PAGE))], task_name="A", source_lang="en", target_lang=targets
    )
    wait_imported(client, [t.id for t in created.project_tasks])
    return created


def _done(
    client: Translate5Client,
    tasks: list[Task],
    before: dict[int, str | None],
    operation: status.Operation = status.ANALYSIS,
) -> dict[int, Task]:
    """Wait until the operation is done by the provider's rule; the task rows then."""
    ids = [t.id for t in tasks]

    def look() -> tuple[status.Verdict, dict[int, Task]]:
        found = client.get_tasks(ids)
        after = {t.id: client.get_analysis(t.task_guid).created for t in tasks}
        return status.evaluate_operation(operation, ids, found, before=before, after=after), found

    verdict, found = eventually(
        look, lambda seen: seen[0].status != status.WAITING, what=f"the {operation.name} of tasks {ids}"
    )
    assert verdict.status == status.SUCCESS, verdict.message
    return found


def test_analysis_without_language_resources_does_nothing(client: Translate5Client) -> None:
    task = _imported(client)
    answer = client.start_analysis(task.id)
    assert answer["rows"]["state"] == "open"  # the task row, as for any operation (§121)
    assert client.get_task(task.id).state == "open"  # translate5 queues no analysis without resources
    assert client.get_analysis(task.task_guid).analysed is False


@pytest.mark.parametrize("translate5_simulator", [{"import_duration": 1.0}], indirect=True)
def test_an_operation_is_queued_then_holds_its_lock_while_the_task_still_reads_open(
    client: Translate5Client,
) -> None:
    task = _imported(client)
    client.assign_language_resources(task.task_guid, ["ZDemoMT"])
    answer = client.start_analysis(task.id)
    seen: list[tuple[str, str | None]] = [
        (answer["rows"]["state"], answer["rows"]["lockedInternalSessionUniqId"])
    ]
    deadline = time.monotonic() + 10
    while not (seen[-1] == ("open", None) and client.get_analysis(task.task_guid).analysed):
        assert time.monotonic() < deadline, f"the analysis did not end: {seen}"
        row = client.get_task(task.id)
        look = (row.state, row.raw["lockedInternalSessionUniqId"])
        if look != seen[-1]:
            seen.append(look)
        time.sleep(0.01)

    lock = "*translate5InternalLock*"
    assert seen == [
        ("open", None),  # the answer, and the task while the worker is queued (§115)
        ("open", f"{lock}matchanalysis"),  # the worker holds the task, the state still says open (§162)
        ("matchanalysis", f"{lock}matchanalysis"),
        ("matchanalysis", f"{lock}autoqa"),
        ("matchanalysis", None),  # unlocked, and still not done (§115)
        ("open", None),
    ]


def test_analysis_counts_every_unit_once_in_its_best_band(client: Translate5Client) -> None:
    task = _imported(client)
    client.assign_language_resources(task.task_guid, ["Demo TM", "ZDemoMT"])
    client.start_analysis(task.id, internal_fuzzy=True)
    row = _done(client, [task], {task.id: None})[task.id]

    words = client.get_analysis(task.task_guid)
    assert words.total == float(row.raw["wordCount"]) > 0
    assert words.bands["70-79"] == words.total  # the MT's match rate (§124), not noMatch
    assert sum(words.bands.values()) == words.total
    assert [(r["name"], r["total"]) for r in words.resources] == [
        ("Demo TM", 0),
        ("ZDemoMT", words.total),
        ("", 0),  # the auto-propagated row: repetitions
    ]
    assert words.amount is None  # the amount row is there, but translate5 did not price it (noPricing)
    characters = client.get_analysis(task.task_guid, unit_type="character")
    assert characters.total == 47  # the page's source characters, as the recorded server counted (§163)
    assert characters.amount is None
    assert characters.created == words.created


def test_a_new_analysis_replaces_the_old_one(client: Translate5Client) -> None:
    task = _imported(client)
    client.assign_language_resources(task.task_guid, ["Demo TM"])
    client.start_analysis(task.id)
    _done(client, [task], {task.id: None})
    first = client.get_analysis(task.task_guid).created
    client.start_analysis(task.id)
    _done(client, [task], {task.id: first})
    again = client.get_analysis(task.task_guid)
    assert again.created is not None
    assert first is not None
    assert again.created > first
    assert again.bands["noMatch"] == again.total  # the empty demo TM finds nothing


def test_project_pretranslation_analyses_each_task(client: Translate5Client) -> None:
    project = _imported(client, ["de", "fr"])
    for task in project.project_tasks:
        client.assign_language_resources(task.task_guid, ["Demo TM"])
    client.start_pretranslation(project.id, pretranslate_matchrate=100, pretranslate_mt=False)
    found = _done(client, project.project_tasks, {t.id: None for t in project.project_tasks})
    assert {t.state for t in found.values()} == {"open"}
    for task in project.project_tasks:
        assert client.get_analysis(task.task_guid).analysed


def test_bad_analysis_input_is_refused_before_any_request(sim: Any, client: Translate5Client) -> None:
    with pytest.raises(Translate5ValueError, match="unit_type"):
        client.get_analysis("{x}", unit_type="page")
    with pytest.raises(Translate5ValueError, match="report must be one of"):
        with client.open_analysis_report("{x}", report="pdf"):
            pass
    with pytest.raises(Translate5ValueError, match=r"0\.\.100"):
        client.start_pretranslation(1, pretranslate_matchrate=101)
    assert len(sim.requests) == 0
