"""The analyse -> approve -> translate example DAG, run end to end against the simulator.

``dag.test()`` parks the human-in-the-loop approval (Airflow 3.3: ``awaiting_input``) until a response is
recorded from outside; :func:`approve` records one as the Required Actions UI does (the API server's
``update_hitl_detail``), after reading the text the person would have read. Everything else runs for real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from example_runs import run_example

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

DAG_ID = "translate5_analyse_approve"
#: Rates of this run (not the example's defaults): 0.125 per word makes half cents that must round up.
RATES = {"104": 0, "103": 0.03, "102": 0.03, "101": 0.03, "100": 0.03, "90-99": 0.09, "80-89": 0.12}
RATES |= {"70-79": 0.15, "60-69": 0.18, "50-59": 0.18, "noMatch": 0.125}


@contextmanager
def approve(answer: str = "Approve", deadline: float = 300.0) -> Iterator[Future[dict[str, Any]]]:
    """Answer the run's approval once it waits for a person; the future gives the subject and body shown."""
    from airflow._shared.timezones import timezone
    from airflow.models import import_all_models
    from airflow.models.hitl import HITLDetail, HITLUser
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import handle_event_submit
    from airflow.triggers.base import TriggerEvent
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    import_all_models()  # the thread's first query configures the mappers: all of them must be known
    shown: Future[dict[str, Any]] = Future()
    stop = threading.Event()

    def answered() -> bool:
        with create_session() as session:
            ti = session.scalars(
                select(TaskInstance).where(
                    TaskInstance.dag_id == DAG_ID,
                    TaskInstance.task_id == "approve_cost",
                    TaskInstance.state == TaskInstanceState.AWAITING_INPUT,
                )
            ).first()
            if ti is None:
                return False
            detail = session.scalars(select(HITLDetail).where(HITLDetail.ti_id == ti.id)).one()
            shown.set_result({"subject": detail.subject, "body": detail.body})
            detail.responded_by = HITLUser(id="1", name="pm")
            detail.responded_at = timezone.utcnow()
            detail.chosen_options = [answer]
            detail.params_input = {}
            session.add(detail)
            handle_event_submit(
                TriggerEvent(detail.as_resume_event_payload()), task_instance=ti, session=session
            )
            return True

    def respond() -> None:
        end = time.monotonic() + deadline
        problem: Exception = TimeoutError("the approval never waited for an answer")
        while not stop.is_set() and time.monotonic() < end:
            try:
                if answered():
                    return
            except Exception as exc:  # e.g. the DB busy with the run: try again, report the last one
                problem = exc
            stop.wait(0.2)
        shown.set_exception(problem)

    thread = threading.Thread(target=respond, daemon=True)
    thread.start()
    try:
        yield shown
    finally:
        stop.set()
        thread.join(timeout=10)


@contextmanager
def translators_work(sim: Any, deadline: float = 300.0) -> Iterator[dict[int, str]]:
    """translate5's users at work: once a task has its reviewer's job, its people finish their steps (the
    simulator's ``finish_step``, which works only on jobs the workflow opened). Gives each task's workflow
    step as the assignments left it, before anyone worked."""
    seen: dict[int, str] = {}
    stop = threading.Event()

    def work() -> None:
        end = time.monotonic() + deadline
        while not stop.is_set() and time.monotonic() < end:
            with sim.store.lock:
                tasks = [t for t in sim.store.tasks.values() if not t.is_project and t.id not in seen]
                ready = [
                    (t.id, t.row["workflowStepName"])
                    for t in tasks
                    if any(j["workflowStepName"] == "reviewing" for j in sim.store.task_jobs(t))
                ]
            for task_id, step in ready:
                seen[task_id] = step
                sim.finish_workflow(task_id)
            stop.wait(0.1)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(timeout=10)


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("translate5_simulator", [{"workflow_auto_finish": None}], indirect=True)
def test_the_approval_shows_the_cost_and_an_approved_order_is_translated_and_delivered(
    sim: Any,
    airflow_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    delivery = tmp_path / "delivery"
    with approve() as shown, translators_work(sim) as assigned:
        result = run_example(
            "translate5_analyse_approve.py",
            DAG_ID,
            tmp_path,
            monkeypatch,
            capfd,
            run_conf={
                "delivery": delivery.as_uri(),
                "target_langs": ["de", "fr"],
                "rates": RATES,
                "currency": "CHF",
            },
        )

    assert result.state == "success", result.output[-4000:]
    body = shown.result(timeout=0)["body"]
    # The cost the person approved, computed here from the counts the analysis read from translate5.
    analysis = result.xcom("analyse")
    counted = {band: count for band, count in analysis["bands"].items() if count}
    assert counted, analysis
    amounts = {band: _money(Decimal(str(n)) * Decimal(str(RATES[band]))) for band, n in counted.items()}
    total = sum(amounts.values(), Decimal("0.00"))
    assert total > 0
    assert f"**Estimated cost: {total} CHF** for {analysis['total']} words" in body
    for band, count in counted.items():
        assert f"| {band} | {count} | {Decimal(str(RATES[band]))} | {amounts[band]} |" in body
    assert f"| **Total** | {analysis['total']} | | **{total}** |" in body
    # One link per task to translate5's analysis report, which translate5 serves for that task.
    upload = result.xcom("upload")
    for task_id in upload["task_ids"]:
        (entry,) = [t for t in analysis["tasks"] if t["task_id"] == task_id]
        assert f"[task {task_id}]({entry['report_url']})" in body
        report = requests.get(entry["report_url"], headers={"Translate5AuthToken": sim.token}, timeout=30)
        assert report.status_code == 200
        assert report.content.startswith(b"<?xml")
        assert sim.task(task_id)["taskGuid"] in report.text

    reports = sorted(p.name for p in (delivery / "reports").iterdir())
    assert reports == sorted(f"match-analysis-{i}.xml" for i in upload["task_ids"])
    jobs = [j for task_id in upload["task_ids"] for j in sim.store.task_jobs(sim.store.task(task_id))]
    assert sorted(j["workflowStepName"] for j in jobs) == [
        "reviewing",
        "reviewing",
        "translation",
        "translation",
    ]
    # The translator's job opened (the workflow started), the reviewer's waited for its step.
    assert [j["state"] for j in result.xcom("assign_translator")] == ["open", "open"]
    assert [j["state"] for j in result.xcom("assign_reviewer")] == ["waiting", "waiting"]
    assert assigned == {task_id: "translation" for task_id in upload["task_ids"]}
    delivered = [p for p in delivery.rglob("*") if p.is_file() and "reports" not in p.parts]
    assert len(delivered) == 2  # one translated file per target language


def test_a_rate_that_is_not_a_number_is_refused_before_the_run_starts(
    sim: Any,
    airflow_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError) as refused:  # as the trigger form and the REST API refuse it
        run_example(
            "translate5_analyse_approve.py",
            DAG_ID,
            tmp_path,
            monkeypatch,
            capfd,
            run_conf={"rates": {**RATES, "90-99": "0,09"}},  # a decimal comma: never read as 0 or 9
        )

    assert "Invalid input for param rates: '0,09' is not of type 'number'" in str(refused.value)
    assert "On instance['90-99']" in str(refused.value)  # the band is named
    assert sim.requests.count("POST", "/editor/task") == 0  # nothing uploaded
