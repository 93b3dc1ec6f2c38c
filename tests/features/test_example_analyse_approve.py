"""The analyse -> approve -> translate example DAG, run end to end against the simulator.

``dag.test()`` cannot click "Approve": it keeps a human-in-the-loop task waiting for an answer from the UI.
The approval is marked successful instead (``mark_success_pattern``), which is what an approval does for the
tasks after it; everything else runs for real.
"""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path
from typing import Any

import pytest

from t5dags import DagResult

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "translate5_analyse_approve.py"


def _run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> tuple[DagResult, Path]:
    import airflow.settings as settings

    dags = tmp_path / "dags"
    shutil.copytree(EXAMPLE.parent / "sample_content", dags / "sample_content")
    shutil.copy(EXAMPLE, dags / EXAMPLE.name)
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(dags))
    monkeypatch.setenv("TRANSLATE5_EXAMPLE_POKE_INTERVAL", "0.1")
    dag = runpy.run_path(str(dags / EXAMPLE.name), run_name="t5_example_analyse_approve")[
        "translate5_analyse_approve"
    ]()
    delivery = tmp_path / "delivery"
    capfd.readouterr()
    run = dag.test(
        run_conf={"delivery": delivery.as_uri(), "target_langs": ["de", "fr"]},
        mark_success_pattern="^approve_cost$",
    )
    out = capfd.readouterr()
    tis = run.get_task_instances()
    result = DagResult(
        dag_id=dag.dag_id,
        run_id=run.run_id,
        state=str(run.state),
        states={ti.task_id: str(ti.state) for ti in tis},
        tries={ti.task_id: ti.try_number for ti in tis},
        output=out.out + out.err,
    )
    return result, delivery


def test_approved_order_is_translated_and_delivered(
    sim: Any,
    airflow_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    result, delivery = _run(tmp_path, monkeypatch, capfd)

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
