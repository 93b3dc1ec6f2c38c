"""Language resources on a task, match analysis and pre-translation operations, against the simulator."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_translate5.client import Translate5Client, Translate5ValueError

pytestmark = pytest.mark.integration

PAGE = b"<p>Hello world, this is a page.</p><p>A second sentence here.</p>"


@pytest.fixture
def client(sim: Any) -> Iterator[Translate5Client]:
    with Translate5Client(sim.base_url, sim.token) as t5:
        yield t5


def _settled(
    client: Translate5Client, task_id: int, busy: tuple[str, ...] = ("import", "matchanalysis")
) -> Any:
    deadline = time.monotonic() + 10
    while (task := client.get_task(task_id)).state in busy:
        assert time.monotonic() < deadline, f"task {task_id} stayed {task.state}"
        time.sleep(0.05)
    return task


def _task(client: Translate5Client, targets: Any = "de") -> Any:
    created = client.create_task(
        ("page.html", io.BytesIO(PAGE)), task_name="A", source_lang="en", target_lang=targets
    )
    for task in created.project_tasks:
        _settled(client, task.id)
    return created


def test_analysis_without_language_resources_does_nothing(client: Translate5Client) -> None:
    task = _task(client)
    client.start_analysis(task.id)
    assert client.get_task(task.id).state == "open"  # translate5 queues no analysis without resources
    assert client.get_analysis(task.task_guid).analysed is False


def test_assign_language_resources_by_name_or_id_once(sim: Any, client: Translate5Client) -> None:
    task = _task(client)
    tm = client.resolve_language_resource("demo tm")
    assigned = client.assign_language_resources(task.task_guid, ["Demo TM", tm.id])
    assert [(r.name, r.resource_type) for r in assigned] == [("Demo TM", "tm")]
    assert client.assign_language_resources(task.task_guid, [tm.id]) == assigned  # nothing assigned twice
    assert sim.requests.count("POST", "/editor/languageresourcetaskassoc") == 1
    with pytest.raises(Translate5ValueError, match="'No such TM'"):
        client.assign_language_resources(task.task_guid, ["No such TM"])
    [entry] = assigned
    assert entry.assoc_id is not None
    client.unassign_language_resource(entry.assoc_id)
    client.unassign_language_resource(entry.assoc_id)  # already gone: fine
    assert all(r.assoc_id is None for r in client.task_language_resources(task.task_guid))


def test_analysis_counts_every_word_once(client: Translate5Client) -> None:
    task = _task(client)
    client.assign_language_resources(task.task_guid, ["Demo TM", "ZDemoMT"])
    client.start_analysis(task.id, internal_fuzzy=True)
    assert client.get_task(task.id).state == "matchanalysis"
    words = _settled(client, task.id).raw["wordCount"]
    analysis = client.get_analysis(task.task_guid)
    assert analysis.analysed
    assert analysis.total == float(words) > 0
    assert sum(analysis.bands.values()) == analysis.total
    assert set(analysis.bands) >= {"100", "90-99", "50-59", "noMatch"}
    assert [r["name"] for r in analysis.resources] == ["Demo TM", "ZDemoMT"]
    assert analysis.as_dict()["bands"] == analysis.bands
    with client.open_analysis_report(task.task_guid) as report:
        xml = b"".join(report.iter_bytes())
    assert f'<total words="{words}"/>'.encode() in xml


def test_project_analysis_runs_for_each_task(client: Translate5Client) -> None:
    project = _task(client, ["de", "fr"])
    for task in project.project_tasks:
        client.assign_language_resources(task.task_guid, ["Demo TM"])
    client.start_pretranslation(project.id, pretranslate_matchrate=100, pretranslate_mt=False)
    for task in project.project_tasks:
        _settled(client, task.id)
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
