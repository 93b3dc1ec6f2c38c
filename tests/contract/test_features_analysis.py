"""Contract: the MatchAnalysis plugin's operations and results, as recorded (transcripts-2 §115, §120-126,
§162-163).

- ``PUT …/analysis/operation`` and ``…/pretranslation/operation`` answer at once with the task row, still
  ``open`` and unlocked; the work runs later, under translate5's lock, which it may take while the task still
  reads ``open``. The provider's wait (``status.evaluate_operation``: lock released AND a new analysis) must
  end with a free task and a new analysis on any server.
- The results: band counts and ``unitCountTotal`` are JSON numbers in every row; the text columns are
  strings in resource rows, ``""`` in the summary row and the number ``0`` in the amount row; the amount row
  is there for words only (``unitType=character`` has none), and ``metaData.noPricing`` says whether it is a
  price.

A server without the plugin or without a language resource for the suite's language pair skips the
dependent tests with one line saying what is missing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from contract_support import POLL_SECONDS, SOURCE, STATE_DEADLINE, TARGET, Cleanup, T5Http, import_owned_task

from airflow_provider_translate5 import status
from airflow_provider_translate5.client import Translate5Client, Translate5NotFoundError
from airflow_provider_translate5.client.analysis import ANALYSIS_PATH
from airflow_provider_translate5.client.langres import LanguageResource
from airflow_provider_translate5.wait import block_until_done

#: The text columns of a row: strings in resource rows, "" in the summary row, 0 in the amount row (§124).
TEXT_COLUMNS = ("created", "errorCount", "internalFuzzy")


@pytest.fixture
def fresh_task(t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str]) -> dict[str, Any]:
    """An imported task of its own (the three-unit XLIFF page): assignments and analyses change it."""
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


@dataclass
class _Waiter:
    """What the provider's wait needs of the step that waits: a client and a log."""

    client: Translate5Client
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("contract.analysis"))


def _run(
    client: Translate5Client,
    task: dict[str, Any],
    start: Callable[[], Mapping[str, Any]],
    operation: status.Operation = status.ANALYSIS,
) -> str:
    """Start the operation, check its answer, wait as the operators do; the new analysis' ``created``."""
    task_id, guid = int(task["id"]), str(task["taskGuid"])
    before = client.get_analysis(guid).created
    answer = start()
    rows = answer.get("rows") or {}
    assert rows.get("state") == "open", (
        f"the {operation.name}'s answer: {dict(rows)!r}"
    )  # queued (§115, §123)
    event = block_until_done(
        _Waiter(client),
        operation,
        [task_id],
        {task_id: before},
        interval=POLL_SECONDS,
        end_time=time.time() + STATE_DEADLINE,
    )
    assert event["status"] == "success", event["message"]
    row = client.get_task(task_id)
    assert (row.state, status.internal_lock(row)) == ("open", None)
    created = client.get_analysis(guid).created
    assert created is not None
    assert created != before
    return created


def _results(http: T5Http, guid: str, unit: str) -> dict[str, Any]:
    response = http.get(ANALYSIS_PATH, params={"taskGuid": guid, "unitType": unit})
    assert response.status_code == 200, response.text[:600]
    body: dict[str, Any] = response.json()
    return body


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_recorded_types(body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every count a JSON number, the text columns as recorded (§124, §163); the rows by kind."""
    bands = [str(f["name"]) for f in body["metaData"]["fields"] if isinstance(f, Mapping) and "begin" in f]
    assert bands[-1] == "noMatch"
    assert {"100", "90", "50"} <= set(bands)
    kinds: dict[str, dict[str, Any]] = {}
    for row in body["rows"]:
        name = row["resourceName"]
        kind = name if name in ("summary", "amount") else "resource"
        kinds.setdefault(kind, row)
        for key in (*bands, "unitCountTotal"):
            assert _is_number(row[key]), (
                f"{key!r} of the {name!r} row: {row[key]!r} (recorded: a JSON number)"
            )
        expected = {"summary": "", "amount": 0}.get(kind)
        for key in TEXT_COLUMNS:
            if expected is None:
                assert isinstance(row[key], str), (
                    f"{key!r} of the {name!r} row: {row[key]!r} (recorded: a string)"
                )
            else:
                seen = (type(row[key]).__name__, row[key])
                assert seen == (type(expected).__name__, expected), (
                    f"{key!r} of the {name!r} row: {row[key]!r} (recorded: {expected!r})"
                )
    return kinds


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
    t5_client: Translate5Client, t5_http: T5Http, fresh_task: dict[str, Any]
) -> None:
    _plugin_active(t5_client, fresh_task)
    if any(r.assoc_id for r in t5_client.task_language_resources(str(fresh_task["taskGuid"]))):
        pytest.skip("this server assigns its customer's default language resources to every new task")
    answer = t5_client.start_analysis(fresh_task["id"])
    assert answer["rows"]["state"] == "open"  # no error, no hint (§121)
    body = _results(t5_http, str(fresh_task["taskGuid"]), "word")
    assert body["rows"] == []  # "no analysis" is an empty list, not a 404 (§120, §122)
    assert isinstance(body["metaData"]["noPricing"], bool)
    assert t5_client.get_analysis(str(fresh_task["taskGuid"])).analysed is False


def test_analysis_gives_word_counts_per_band(
    t5_client: Translate5Client, t5_http: T5Http, fresh_task: dict[str, Any]
) -> None:
    _plugin_active(t5_client, fresh_task)
    resource = _fitting(t5_client, fresh_task)
    guid, task_id = str(fresh_task["taskGuid"]), int(fresh_task["id"])
    t5_client.assign_language_resources(guid, [resource.id])
    created = _run(t5_client, fresh_task, lambda: t5_client.start_analysis(task_id))

    body = _results(t5_http, guid, "word")
    kinds = _check_recorded_types(body)
    assert set(kinds) == {"resource", "summary", "amount"}
    summary = kinds["summary"]
    analysis = t5_client.get_analysis(guid)
    assert analysis.created == created
    assert analysis.total == summary["unitCountTotal"] > 0
    assert sum(analysis.bands.values()) == pytest.approx(analysis.total)
    assert "noMatch" in analysis.bands
    assert resource.name in [r["name"] for r in analysis.resources]
    if body["metaData"]["noPricing"] is True:  # the amount row is there, but it is no price (§124)
        assert analysis.amount is None
    else:
        assert analysis.amount == kinds["amount"]["finalAmount"]
    with t5_client.open_analysis_report(guid) as report:
        assert b"".join(report.iter_bytes()).lstrip().startswith(b"<?xml")


def test_character_counts_come_without_an_amount_row(
    t5_client: Translate5Client, t5_http: T5Http, fresh_task: dict[str, Any]
) -> None:
    _plugin_active(t5_client, fresh_task)
    resource = _fitting(t5_client, fresh_task)
    guid, task_id = str(fresh_task["taskGuid"]), int(fresh_task["id"])
    t5_client.assign_language_resources(guid, [resource.id])
    _run(t5_client, fresh_task, lambda: t5_client.start_analysis(task_id))

    kinds = _check_recorded_types(_results(t5_http, guid, "character"))
    assert set(kinds) == {"resource", "summary"}  # no amount row (§163)
    characters = t5_client.get_analysis(guid, unit_type="character")
    words = t5_client.get_analysis(guid, unit_type="word")
    assert characters.amount is None
    assert characters.total == kinds["summary"]["unitCountTotal"]
    assert characters.total > words.total > 0  # 47 characters for 8 words on the recorded server


def test_pretranslation_fills_from_the_assigned_resources_and_analyses_along(
    t5_client: Translate5Client, fresh_task: dict[str, Any]
) -> None:
    """``PUT /editor/task/{id}/pretranslation/operation``: an analysis is written along (§115, §116)."""
    _plugin_active(t5_client, fresh_task)
    resource = _fitting(t5_client, fresh_task)
    guid, task_id = str(fresh_task["taskGuid"]), int(fresh_task["id"])
    t5_client.assign_language_resources(guid, [resource.id])

    def start() -> Mapping[str, Any]:
        return t5_client.start_pretranslation(
            task_id, pretranslate_matchrate=100, pretranslate_tm_and_term=True, pretranslate_mt=True
        )

    _run(t5_client, fresh_task, start, status.PRETRANSLATION)
    analysis = t5_client.get_analysis(guid)
    assert analysis.analysed
    assert analysis.total > 0
    assert resource.name in [r["name"] for r in analysis.resources]
