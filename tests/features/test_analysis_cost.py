"""The analysis operator prices the analysis: rates per match band, read strictly, never a silent 0."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from t5dags import DagRunner, dag_header

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

TASK_ID = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"
#: Rates as a run's params give them: rendered to JSON text.
RATES_TEMPLATE = "{{ {'100': 0.03, 'noMatch': 0.125} | tojson }}"


def _dag(dag_id: str, source: Path, body: str) -> str:
    return (
        dag_header(dag_id)
        + f"""
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow_provider_translate5.operators.analysis import (
    Translate5AssignLanguageResourcesOperator,
    Translate5MatchAnalysisOperator,
)

with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source=ObjectStoragePath("file://{source}"), task_name="Quote",
        source_lang="en", target_lang=["de", "fr"],
    )
    imported = Translate5ImportSensor(task_id="imported", translate5_task_id={TASK_ID!r}, poke_interval=0.1)
    resources = Translate5AssignLanguageResourcesOperator(
        task_id="resources", translate5_task_id={TASK_ID!r}, language_resources=["Demo TM"],
    )
    upload >> imported >> resources
"""
        + body
    )


def test_the_cost_is_priced_from_the_analysis_and_a_bad_rate_fails_naming_its_band(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    body = f"""
    priced = Translate5MatchAnalysisOperator(
        task_id="priced", translate5_task_id={TASK_ID!r}, poke_interval=0.05, deferrable=False,
        rates={RATES_TEMPLATE!r}, currency="{{{{ 'EUR' }}}}",
    )
    rendered_bad = Translate5MatchAnalysisOperator(
        task_id="rendered_bad", translate5_task_id={TASK_ID!r}, poke_interval=0.05,
        rates={{"100": 0.03, "noMatch": "{{{{ 'free' }}}}"}}, currency="EUR",
    )
    unpriced = Translate5MatchAnalysisOperator(
        task_id="unpriced", translate5_task_id={TASK_ID!r}, poke_interval=0.05, deferrable=False,
        rates={{"100": 0.03}}, currency="EUR", trigger_rule="all_done",
    )
    resources >> priced >> rendered_bad >> unpriced
"""
    result = run_dag(_dag("t5_analysis_cost", source_file(), body), "t5_analysis_cost")

    analysis = result.xcom("priced")
    words = {band: count for band, count in analysis["bands"].items() if count}
    assert words
    assert set(words) <= {"100", "noMatch"}, analysis["bands"]
    rates = {"100": Decimal("0.03"), "noMatch": Decimal("0.125")}
    amounts = {
        band: (Decimal(str(count)) * rates[band]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for band, count in words.items()
    }
    assert analysis["cost"] == {
        "currency": "EUR",
        "lines": [
            {"band": band, "units": count, "rate": str(rates[band]), "amount": str(amounts[band])}
            for band, count in words.items()
        ],
        "total": str(sum(amounts.values())),
    }
    upload = result.xcom("upload")
    assert [t["report_url"] for t in analysis["tasks"]] == [
        f"{sim.base_url}/editor/plugins_matchanalysis_matchanalysis/export?taskGuid="
        + sim.task(task_id)["taskGuid"].replace("{", "%7B").replace("}", "%7D")
        + "&type=exportXml&unitType=word"
        for task_id in upload["task_ids"]
    ]

    # A rendered rate that is not a number fails before any analysis is started, naming its band.
    assert result.states["rendered_bad"] == "failed"
    assert "the rate of match band 'noMatch' must be a finite, non-negative number, got 'free'" in (
        result.output
    )
    # A band with words but no rate fails the task once the words are known: no cost with a silent 0.
    assert result.states["unpriced"] == "failed"
    assert "no rate for match band(s) 'noMatch'" in result.output
    assert result.xcom("unpriced") is None
    started = sim.requests.count("PUT", prefix="/editor/task/")
    assert started == 2 * len(upload["task_ids"])  # priced and unpriced analysed each task; rendered_bad none


def test_bad_rates_are_refused_when_the_dag_is_parsed() -> None:
    from airflow_provider_translate5.operators.analysis import Translate5MatchAnalysisOperator

    with pytest.raises(ValueError, match=r"the rate of match band '90-99' must be a finite.*nan"):
        Translate5MatchAnalysisOperator(
            task_id="a", translate5_task_id=1, rates={"100": 0.03, "90-99": float("nan")}, currency="EUR"
        )
    with pytest.raises(ValueError, match="rates and currency go together"):
        Translate5MatchAnalysisOperator(task_id="a", translate5_task_id=1, rates={"100": 0.03})
    with pytest.raises(ValueError, match="currency must name"):
        Translate5MatchAnalysisOperator(task_id="a", translate5_task_id=1, rates={"100": 0.03}, currency=" ")
    # A template or an XComArg is read when the task runs.
    Translate5MatchAnalysisOperator(
        task_id="a", translate5_task_id=1, rates="{{ params.rates | tojson }}", currency="EUR"
    )
