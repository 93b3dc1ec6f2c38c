"""The several-pages example DAG (pre-translate, default jobs, deadlines, batch export) against the simulator.

What a team checks after such a run: every page's tasks were pre-translated, staffed with the customer's
default jobs and given the order's deadlines, and one queued batch export put a ZIP per task into the folder.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from example_runs import run_example

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

#: A log record at level error or above, as ``dag.test()`` prints it (structlog's console renderer).
ERROR_LINE = re.compile(r"\[(error|critical|exception)\s*\]", re.IGNORECASE)
PAGES = ("about-us.html", "2026-11-release-notes.md", "trail-runner-x.xliff")
TARGETS = ("de", "fr")


def _deadlines(days: int, before: date, after: date) -> set[str]:
    """The deadline the DAG sets, for whichever day the run computed it on (a run may cross midnight)."""
    return {f"{day + timedelta(days=days)} 17:00:00" for day in (before, after)}


def _requests(sim: Any, method: str, path: str) -> list[str]:
    """Paths of the simulator's recorded requests matching ``method`` and the ``path`` pattern."""
    return [r.path for r in sim.requests if r.method == method and re.fullmatch(path, r.path)]


def test_pages_are_pretranslated_staffed_and_delivered_in_one_batch(
    sim: Any,
    airflow_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    delivery = tmp_path / "delivery"
    before = date.today()
    result = run_example(
        "translate5_pretranslate_batch_export.py",
        "translate5_pretranslate_batch_export",
        tmp_path,
        monkeypatch,
        capfd,
        run_conf={"delivery": delivery.as_uri(), "translation_days": 5, "review_days": 7},
    )
    after = date.today()

    assert result.state == "success", result.output[-4000:]
    # A successful run logs no error: the batch export read the projects (a mapped task's results, pulled
    # lazily) one past their end, which Airflow logged as "[error] XCom not found" (issue 23).
    assert [line for line in result.output.splitlines() if ERROR_LINE.search(line)] == []
    tasks = [t for t in sim.store.tasks.values() if not t.is_project]
    assert sorted(t.row["taskName"] for t in tasks) == sorted(
        f"{p} - en / {t}" for p in PAGES for t in TARGETS
    )
    assert {t.row["customerId"] for t in tasks} == {2}  # "1000" is ACME Content Team's customer number

    # Pre-translated: one pre-translation per task (with the TM and the MT assigned), no bare analysis.
    pretranslated = _requests(sim, "PUT", r"/editor/task/(\d+)/pretranslation/operation")
    assert sorted(pretranslated) == sorted(f"/editor/task/{t.id}/pretranslation/operation" for t in tasks)
    assert _requests(sim, "PUT", r"/editor/task/\d+/analysis/operation") == []

    # Staffed with the customer's default jobs; each job carries its step's deadline.
    translation_due = _deadlines(5, before, after)
    review_due = _deadlines(7, before, after)
    for task in tasks:
        jobs = {(j["login"], j["workflowStepName"]): j["deadlineDate"] for j in sim.store.task_jobs(task)}
        assert set(jobs) == {("translator1", "translation"), ("reviewer1", "reviewing")}, task.id
        assert jobs[("translator1", "translation")] in translation_due
        assert jobs[("reviewer1", "reviewing")] in review_due

    # One queued batch export for all six tasks, downloaded once; no synchronous export.
    assert len(_requests(sim, "POST", r"/editor/taskuserassoc/batchset")) == 1
    assert len(_requests(sim, "GET", r"/editor/queuedexport/[^/]+/download")) == 1
    assert _requests(sim, "GET", r"/editor/task/export/id/\d+") == []
    zips = sorted(delivery.glob("*.zip"))
    assert sorted(p.name.split("-", 1)[0] for p in zips) == sorted(str(t.id) for t in tasks)
    for path in zips:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        assert any(name.endswith(PAGES) for name in names), (path.name, names)
