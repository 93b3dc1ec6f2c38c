"""The analyse -> approve -> translate example DAG, run end to end against the simulator.

``dag.test()`` cannot click "Approve": it keeps a human-in-the-loop task waiting for an answer from the UI.
The approval is marked successful instead (``mark_success_pattern``), which is what an approval does for the
tasks after it; everything else runs for real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from example_runs import run_example

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]


def test_approved_order_is_translated_and_delivered(
    sim: Any,
    airflow_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    delivery = tmp_path / "delivery"
    result = run_example(
        "translate5_analyse_approve.py",
        "translate5_analyse_approve",
        tmp_path,
        monkeypatch,
        capfd,
        run_conf={"delivery": delivery.as_uri(), "target_langs": ["de", "fr"]},
        mark_success_pattern="^approve_cost$",
    )

    assert result.state == "success", result.output[-4000:]
    analysis = result.xcom("analyse")
    assert analysis["total"] > 0
    upload = result.xcom("upload")
    reports = sorted(p.name for p in (delivery / "reports").iterdir())
    assert reports == sorted(f"match-analysis-{i}.xml" for i in upload["task_ids"])
    jobs = [j for task_id in upload["task_ids"] for j in sim.store.task_jobs(sim.store.task(task_id))]
    assert sorted(j["workflowStepName"] for j in jobs) == [
        "reviewing",
        "reviewing",
        "translation",
        "translation",
    ]
    delivered = [p for p in delivery.rglob("*") if p.is_file() and "reports" not in p.parts]
    assert len(delivered) == 2  # one translated file per target language
