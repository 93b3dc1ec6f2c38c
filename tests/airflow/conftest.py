"""Fixtures for the Airflow layer: a fast simulator and a runner for real DAGs under ``dag.test()``.

``dag.test()`` syncs the DAG bundle from ``[core] dags_folder`` to the metadata DB before running, so every
test writes its DAG file into its own folder and points both the environment variable and ``airflow.settings``
(read once at import, which is what the ``dags-folder`` bundle uses) at it.
"""

from __future__ import annotations

import logging
import runpy
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from t5dags import DagResult, DagRunner

#: Fast simulator timings: imports take 0.1 s, workflows finish by themselves 0.5 s after the import.
FAST = {"import_duration": 0.1, "workflow_auto_finish": 0.5}


@pytest.fixture
def translate5_simulator_options() -> dict[str, Any]:
    return dict(FAST)


@pytest.fixture
def run_dag(
    airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> DagRunner:
    """``run_dag(source, dag_id)``: write a DAG file into this test's dags folder, run it with dag.test()."""
    import airflow.settings as settings

    dags = tmp_path / "dags"
    dags.mkdir()
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(dags))
    # dag.test() leaves a stdlib log handler on a stream it closed after the first task: its later records
    # ("[DAG TEST] end task ...") are lost either way; without this each one adds a traceback to the output.
    monkeypatch.setattr(logging, "raiseExceptions", False)

    def run(source: str, dag_id: str) -> DagResult:
        path = dags / f"{dag_id}.py"
        path.write_text(textwrap.dedent(source))
        namespace = runpy.run_path(str(path), run_name=f"t5_dag_{dag_id}")
        dag = namespace["dag"]
        assert dag.dag_id == dag_id
        capfd.readouterr()
        run = dag.test()
        captured = capfd.readouterr()
        tis = run.get_task_instances()
        return DagResult(
            dag_id=dag_id,
            run_id=run.run_id,
            state=str(run.state),
            states={ti.task_id: str(ti.state) for ti in tis},
            tries={ti.task_id: ti.try_number for ti in tis},
            output=captured.out + captured.err,
        )

    return run


@pytest.fixture
def source_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a small translatable file and return its path."""

    def write(name: str = "page.html", text: str = "<p>Hello world.</p><p>Second sentence.</p>") -> Path:
        folder = tmp_path / "in"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
