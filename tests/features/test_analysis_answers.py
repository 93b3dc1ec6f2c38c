"""How an analysis answer becomes numbers a person can approve (answer shape of MatchAnalysisController)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import jinja2

from airflow_provider_translate5.client.analysis import MatchAnalysis

EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "translate5_analyse_approve.py"

FIELDS = [
    {"name": "id", "type": "int"},
    {"name": "created"},
    {"name": "unitCountTotal", "type": "number"},
    {"name": "102", "begin": "102", "end": "102", "type": "number"},
    {"name": "100", "begin": "100", "end": "100", "type": "number"},
    {"name": "90", "begin": "90", "end": "99", "type": "number"},
    {"name": "50", "begin": "50", "end": "89", "type": "number"},
]
ANSWER = {
    "rows": [
        {"resourceName": "", "resourceType": "auto-propagated", "unitCountTotal": 18, "102": 18, "100": 0,
         "90": 0, "50": 0, "noMatch": 0, "created": "2026-12-02 04:20:00"},
        {"resourceName": "Main TM", "resourceType": "tm", "unitCountTotal": "16", "102": 0, "100": "4",
         "90": "2", "50": 0, "noMatch": "10", "created": "2026-12-02 04:20:00"},
        {"resourceName": "amount", "resourceType": 0, "102": 1.8, "100": 0.4, "90": 0.6, "50": 0,
         "noMatch": 12.0, "unitCountTotal": 14.8, "priceAdjustment": 5, "finalAmount": 19.8},
        {"resourceName": "summary", "resourceType": "", "unitCountTotal": 34, "102": 18, "100": 4, "90": 2,
         "50": 0, "noMatch": 10},
    ],
    "metaData": {"fields": FIELDS, "pricingPresetId": 3, "currency": "EUR", "noPricing": False},
}  # fmt: skip


def test_bands_come_from_the_summary_row_with_translate5s_bounds() -> None:
    analysis = MatchAnalysis.from_api(ANSWER, task_guid="{t}", unit_type="word")
    assert analysis.analysed
    assert analysis.total == 34
    assert analysis.bands == {"102": 18, "100": 4, "90-99": 2, "50-89": 0, "noMatch": 10}
    assert [(r["name"], r["total"]) for r in analysis.resources] == [("", 18), ("Main TM", 16)]
    assert (analysis.amount, analysis.currency) == (19.8, "EUR")  # the price row, not counted as words
    assert analysis.created == "2026-12-02 04:20:00"


def test_no_analysis_yet() -> None:
    analysis = MatchAnalysis.from_api(
        {"rows": [], "metaData": {"fields": FIELDS}}, task_guid="{t}", unit_type="word"
    )
    assert (analysis.analysed, analysis.total, analysis.bands, analysis.amount) == (False, 0.0, {}, None)


def test_the_approval_form_shows_the_counts_that_matter() -> None:
    body = runpy.run_path(str(EXAMPLE), run_name="approval_body")["APPROVAL_BODY"]
    analysis = {
        "task_ids": [69],
        "unit_type": "word",
        "total": 34.0,
        "bands": {"102": 18.0, "100": 4.0, "90-99": 0.0},
    }

    class TaskInstance:
        def xcom_pull(self, task_ids: str) -> Any:
            return {"analyse": analysis, "order": {"name": "about-us.html"}}[task_ids]

    params = {"target_langs": ["de", "fr"], "translator": "translator1", "reviewer": "reviewer1"}
    text = jinja2.Template(body).render(ti=TaskInstance(), params=params)
    assert "**34 words** to translate" in text
    assert "about-us.html into de, fr" in text
    assert "| 102 | 18 |" in text
    assert "| 100 | 4 |" in text
    assert "90-99" not in text  # empty bands are left out of the table
    assert "assign translator1 and reviewer1" in text
