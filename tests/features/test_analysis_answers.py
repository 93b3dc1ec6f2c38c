"""How an analysis answer becomes numbers a person can approve: the recorded answers (transcripts-2 §120,
§124, §163) and what happens to a count that cannot be read."""

from __future__ import annotations

import copy
import runpy
from pathlib import Path
from typing import Any

import jinja2
import pytest

from airflow_provider_translate5.client.analysis import MatchAnalysis
from airflow_provider_translate5.client.errors import Translate5DataError

EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "translate5_analyse_approve.py"

#: ``metaData`` of every recorded analysis answer (§120; §124 and §163 cut the same list).
META: dict[str, Any] = {
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "created"},
        {"name": "unitCountTotal", "type": "number"},
        {"name": "penalty", "type": "number"},
        *(
            {"name": str(b), "begin": str(b), "end": str(e), "type": "number"}
            for b, e in ((104, 104), (103, 103), (102, 102), (101, 101), (100, 100), (90, 99), (80, 89),
                         (70, 79), (60, 69), (50, 59))
        ),
        {"name": "noMatch", "begin": "noMatch", "end": "noMatch", "type": "number"},
    ],
    "pricingPresetId": "1",
    "currency": "",
    "noPricing": True,
}  # fmt: skip


def _bands(**counts: int) -> dict[str, int]:
    zero = {key: 0 for key in ("104", "103", "102", "101", "100", "90", "80", "70", "60", "50", "noMatch")}
    return {**zero, **counts}


#: §124: one MT resource (ZDemoMT en-de) on the three-unit page, unitType=word.
WORDS: dict[str, Any] = {
    "rows": [
        {"resourceName": "ZDemoMT en-de", "resourceColor": "cdcdcd", "resourceType": "mt",
         "created": "2026-12-07 23:34:51", "errorCount": "0", "internalFuzzy": "No", "unitCountTotal": 8,
         "penaltyTotal": 0, **_bands(**{"70": 8})},
        {"resourceName": "", "resourceColor": "", "resourceType": "auto-propagated",
         "created": "2026-12-07 23:34:51", "errorCount": "0", "internalFuzzy": "No", "unitCountTotal": 0,
         **_bands()},
        {"resourceName": "summary", "resourceColor": "", "resourceType": "", "created": "", "errorCount": "",
         "internalFuzzy": "", "unitCountTotal": 8, "penaltyTotal": "", **_bands(**{"70": 8})},
        {"resourceName": "amount", "resourceColor": 0, "resourceType": 0, "created": 0, "errorCount": 0,
         "internalFuzzy": 0, **_bands(), "unitCountTotal": 0, "priceAdjustment": 0, "finalAmount": 0},
    ],
    "metaData": META,
}  # fmt: skip
#: §163: the en-fr MT on an en-de task, unitType=character: no amount row.
CHARACTERS: dict[str, Any] = {
    "rows": [
        {"resourceName": "ZDemoMT en-fr", "resourceColor": "cdcdcd", "resourceType": "mt",
         "created": "2026-12-07 23:45:11", "errorCount": "0", "internalFuzzy": "No", "unitCountTotal": 47,
         "penaltyTotal": 0, **_bands(**{"70": 47})},
        {"resourceName": "", "resourceColor": "", "resourceType": "auto-propagated",
         "created": "2026-12-07 23:45:11", "errorCount": "0", "internalFuzzy": "No", "unitCountTotal": 0,
         **_bands()},
        {"resourceName": "summary", "resourceColor": "", "resourceType": "", "created": "", "errorCount": "",
         "internalFuzzy": "", "unitCountTotal": 47, "penaltyTotal": "", **_bands(**{"70": 47})},
    ],
    "metaData": META,
}  # fmt: skip


def test_the_recorded_word_analysis_reads_the_summary_row_and_no_price() -> None:
    analysis = MatchAnalysis.from_api(WORDS, task_guid="{t}", unit_type="word")

    assert analysis.analysed
    assert analysis.total == 8
    assert analysis.bands["70-79"] == 8
    assert sum(analysis.bands.values()) == 8
    assert list(analysis.bands)[-1] == "noMatch"
    assert [(r["name"], r["type"], r["total"]) for r in analysis.resources] == [
        ("ZDemoMT en-de", "mt", 8),
        ("", "auto-propagated", 0),
    ]
    assert (analysis.amount, analysis.currency) == (None, None)  # an amount row of zeros, but noPricing
    assert analysis.created == "2026-12-07 23:34:51"
    assert analysis.as_dict()["total"] == 8
    assert isinstance(analysis.as_dict()["total"], int)  # shown as 8, not 8.0


def test_the_recorded_character_analysis_has_no_amount_row_and_works() -> None:
    analysis = MatchAnalysis.from_api(CHARACTERS, task_guid="{t}", unit_type="character")

    assert (analysis.total, analysis.bands["70-79"], analysis.amount) == (47, 47, None)
    assert analysis.created == "2026-12-07 23:45:11"


def test_a_priced_analysis_reports_its_final_amount() -> None:
    priced = copy.deepcopy(WORDS)
    priced["metaData"] = {**META, "noPricing": False, "currency": "EUR", "pricingPresetId": "3"}
    priced["rows"][3].update({"70": 1.6, "unitCountTotal": 1.6, "priceAdjustment": 5, "finalAmount": 6.6})

    analysis = MatchAnalysis.from_api(priced, task_guid="{t}", unit_type="word")

    assert (analysis.amount, analysis.currency) == (6.6, "EUR")
    assert analysis.total == 8  # the price row is not counted as words


def test_no_analysis_yet() -> None:
    analysis = MatchAnalysis.from_api({"rows": [], "metaData": META}, task_guid="{t}", unit_type="word")
    assert (analysis.analysed, analysis.total, analysis.bands, analysis.amount) == (False, 0.0, {}, None)


@pytest.mark.parametrize(
    ("row", "key", "named"),
    [
        (2, "70", "'70' in the summary row"),
        (2, "unitCountTotal", "'unitCountTotal' in the summary row"),
        (2, "noMatch", "'noMatch' in the summary row"),
        (0, "80", "'80' in the row of language resource 'ZDemoMT en-de'"),
        (1, "unitCountTotal", "'unitCountTotal' in the auto-propagated row"),
    ],
)
@pytest.mark.parametrize("value", ["1,234", None, float("nan"), -500, float("inf"), "", "8 words", True])
def test_a_count_that_is_not_a_finite_non_negative_number_is_an_error_naming_it(
    row: int, key: str, named: str, value: Any
) -> None:
    answer = copy.deepcopy(WORDS)
    answer["rows"][row][key] = value

    with pytest.raises(Translate5DataError, match=f"unreadable {named}: ") as raised:
        MatchAnalysis.from_api(answer, task_guid="{t}", unit_type="word")

    assert raised.value.terminal  # the same answer comes again: no retry
    assert repr(value) in str(raised.value)


def test_a_missing_count_is_an_error_not_zero() -> None:
    answer = copy.deepcopy(WORDS)
    del answer["rows"][2]["90"]

    with pytest.raises(Translate5DataError, match="unreadable '90' in the summary row: missing"):
        MatchAnalysis.from_api(answer, task_guid="{t}", unit_type="word")


def test_a_price_that_cannot_be_read_is_an_error_when_the_analysis_is_priced() -> None:
    priced = copy.deepcopy(WORDS)
    priced["metaData"] = {**META, "noPricing": False, "currency": "EUR"}
    priced["rows"][3]["finalAmount"] = "19,80"

    with pytest.raises(Translate5DataError, match="unreadable 'finalAmount' in the amount row: '19,80'"):
        MatchAnalysis.from_api(priced, task_guid="{t}", unit_type="word")


def test_plain_decimal_text_is_read_as_php_may_send_a_column() -> None:
    answer = copy.deepcopy(WORDS)
    answer["rows"][2].update({"unitCountTotal": "8", "70": "8.0"})

    assert MatchAnalysis.from_api(answer, task_guid="{t}", unit_type="word").bands["70-79"] == 8


def test_the_approval_form_shows_the_counts_and_cost_as_the_operator_returned_them() -> None:
    body = runpy.run_path(str(EXAMPLE), run_name="approval_body")["APPROVAL_BODY"]
    analysis = {
        "task_ids": [69],
        "unit_type": "word",
        "total": 1234,
        "bands": {"102": 18, "100": 4, "90-99": 0, "noMatch": 1211.5},
        "tasks": [{"task_id": 69, "report_url": "https://t5.example/editor/report?taskGuid=%7Bg%7D"}],
        "cost": {
            "currency": "EUR",
            "lines": [
                {"band": "102", "units": 18, "rate": "0.03", "amount": "0.54"},
                {"band": "100", "units": 4, "rate": "0.03", "amount": "0.12"},
                {"band": "noMatch", "units": 1211.5, "rate": "0.18", "amount": "218.07"},
            ],
            "total": "218.73",
        },
    }

    class TaskInstance:
        def xcom_pull(self, task_ids: str) -> Any:
            return {"analyse": analysis, "order": {"name": "about-us.html"}}[task_ids]

    params = {"target_langs": ["de", "fr"], "translator": "translator1", "reviewer": "reviewer1"}
    text = jinja2.Template(body).render(ti=TaskInstance(), params=params)
    assert "**Estimated cost: 218.73 EUR** for 1234 words" in text
    assert "about-us.html into de, fr" in text
    assert "| 102 | 18 | 0.03 | 0.54 |" in text
    assert "| noMatch | 1211.5 | 0.18 | 218.07 |" in text  # as returned: not cut to 1211
    assert "90-99" not in text  # bands without words are left out of the table
    assert "| **Total** | 1234 | | **218.73** |" in text
    assert "[task 69](https://t5.example/editor/report?taskGuid=%7Bg%7D)" in text
    assert "assign translator1 and reviewer1" in text
