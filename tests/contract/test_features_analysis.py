"""Contract: language resources on a task and the MatchAnalysis plugin (routes read from translate5's source).

No recording of these calls exists; they follow ``LanguageresourceinstanceController``,
``LanguageresourcetaskassocController`` and the MatchAnalysis plugin (``Init::handleOnAnalysisOperation``,
``MatchAnalysisController``). A server without the plugin or without a language resource for the suite's
language pair skips the dependent tests with one line saying what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from contract_support import SOURCE, TARGET, Cleanup, T5Http, import_owned_task

from airflow_provider_translate5.client import Translate5Client, Translate5NotFoundError
from airflow_provider_translate5.client.langres import LanguageResource

ANALYSIS_DEADLINE = 300.0
#: States of a task no operation runs on (``matchanalysis`` and any other operation state are waited out).
SETTLED = ("open", "unconfirmed", "end", "error")


@pytest.fixture
def fresh_task(t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str]) -> dict[str, Any]:
    """An imported task of its own: assignments and analyses change it."""
    return import_owned_task(t5_http, cleanup, unique_name("analysis"), file_name="page.xlf")


def _fitting(client: Translate5Client, task: dict[str, Any]) -> LanguageResource:
    fitting = client.task_language_resources(str(task["taskGuid"]))
    if not fitting:
        pytest.skip(
            f"no language resource for {SOURCE}->{TARGET} on this server (create a TM or enable ZDemoMT)"
        )
    return next((r for r in fitting if r.resource_type == "tm"), fitting[0])


def _plugin_active(client: Translate5Client, task: dict[str, Any]) -> None:
    try:
        client.get_analysis(str(task["taskGuid"]))
    except Translate5NotFoundError:
        pytest.skip("the MatchAnalysis plugin is not active on this server")


def _settle(client: Translate5Client, task_id: int) -> str:
    """The task's state once its operation ended (the MatchAnalysis plugin locks it while it runs)."""
    deadline = time.monotonic() + ANALYSIS_DEADLINE
    while (state := client.get_task(task_id).state) not in SETTLED:
        assert time.monotonic() < deadline, f"the operation on task {task_id} did not end (state {state})"
        time.sleep(2)
    return state


def test_language_resources_are_listed_and_assigned_once(
    t5_client: Translate5Client, fresh_task: dict[str, Any]
) -> None:
    resource = _fitting(t5_client, fresh_task)
    assert resource.id in {r.id for r in t5_client.list_language_resources()}
    guid = str(fresh_task["taskGuid"])
    assigned = t5_client.assign_language_resources(guid, [resource.id])
    assert [r.id for r in assigned] == [resource.id]
    again = t5_client.assign_language_resource(guid, resource.id)  # a duplicate answers the existing one
    assert int(again["id"]) == assigned[0].assoc_id
    assert assigned[0].assoc_id is not None
    t5_client.unassign_language_resource(assigned[0].assoc_id)
    assert all(r.assoc_id is None for r in t5_client.task_language_resources(guid) if r.id == resource.id)


def test_analysis_without_resources_leaves_the_task_alone(
    t5_client: Translate5Client, fresh_task: dict[str, Any]
) -> None:
    _plugin_active(t5_client, fresh_task)
    if any(r.assoc_id for r in t5_client.task_language_resources(str(fresh_task["taskGuid"]))):
        pytest.skip("this server assigns its customer's default language resources to every new task")
    t5_client.start_analysis(fresh_task["id"])
    assert _settle(t5_client, int(fresh_task["id"])) == "open"
    assert t5_client.get_analysis(str(fresh_task["taskGuid"])).analysed is False


def test_analysis_gives_word_counts_per_band(t5_client: Translate5Client, fresh_task: dict[str, Any]) -> None:
    _plugin_active(t5_client, fresh_task)
    resource = _fitting(t5_client, fresh_task)
    guid, task_id = str(fresh_task["taskGuid"]), int(fresh_task["id"])
    t5_client.assign_language_resources(guid, [resource.id])
    t5_client.start_analysis(task_id)
    assert _settle(t5_client, task_id) == "open"
    analysis = t5_client.get_analysis(guid)
    assert analysis.analysed
    assert analysis.total > 0
    assert sum(analysis.bands.values()) == pytest.approx(analysis.total)
    assert "noMatch" in analysis.bands
    assert resource.name in [r["name"] for r in analysis.resources]
    with t5_client.open_analysis_report(guid) as report:
        assert b"".join(report.iter_bytes()).lstrip().startswith(b"<?xml")


def test_pretranslation_fills_from_the_assigned_resources_and_analyses_along(
    t5_client: Translate5Client, fresh_task: dict[str, Any]
) -> None:
    """``PUT /editor/task/{id}/pretranslation/operation`` (``Init.php::handleOnPretranslationOperation``)."""
    _plugin_active(t5_client, fresh_task)
    resource = _fitting(t5_client, fresh_task)
    guid, task_id = str(fresh_task["taskGuid"]), int(fresh_task["id"])
    t5_client.assign_language_resources(guid, [resource.id])
    t5_client.start_pretranslation(
        task_id, pretranslate_matchrate=100, pretranslate_tm_and_term=True, pretranslate_mt=True
    )
    assert _settle(t5_client, task_id) == "open"
    analysis = t5_client.get_analysis(guid)  # the pre-translation runs an analysis along
    assert analysis.analysed
    assert analysis.total > 0
    assert resource.name in [r["name"] for r in analysis.resources]
