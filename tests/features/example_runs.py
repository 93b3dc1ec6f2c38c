"""Run a DAG file of ``example_dags/`` with ``dag.test()``, as its own copy in the test's dags folder.

(A plain module beside the tests, not ``conftest``: test modules import from it.) ``dag.test()`` syncs the DAG
bundle from ``[core] dags_folder``, so the example and the sample content it reads are copied into the test's
own folder, and the example's waits poll every 0.1 s (``TRANSLATE5_EXAMPLE_POKE_INTERVAL``).
"""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path
from typing import Any

import pytest

from t5dags import DagResult

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"


def run_example(
    file_name: str,
    dag_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    **test_kwargs: Any,
) -> DagResult:
    """Run the example's DAG once (``test_kwargs`` go to ``dag.test()``: ``run_conf`` ...)."""
    import airflow.settings as settings

    dags = tmp_path / "dags"
    shutil.copytree(EXAMPLE_DAGS / "sample_content", dags / "sample_content")
    shutil.copy(EXAMPLE_DAGS / file_name, dags / file_name)
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(dags))
    monkeypatch.setenv("TRANSLATE5_EXAMPLE_POKE_INTERVAL", "0.1")
    dag = runpy.run_path(str(dags / file_name), run_name=f"t5_example_{dag_id}")[dag_id]()
    capfd.readouterr()
    run = dag.test(**test_kwargs)
    out = capfd.readouterr()
    tis = run.get_task_instances()
    return DagResult(
        dag_id=dag.dag_id,
        run_id=run.run_id,
        state=str(run.state),
        states={_label(ti.task_id, ti.map_index): str(ti.state) for ti in tis},
        tries={ti.task_id: ti.try_number for ti in tis},
        output=out.out + out.err,
    )


def _label(task_id: str, map_index: int) -> str:
    """``upload[2]`` for a mapped task's instances, the task id otherwise."""
    return f"{task_id}[{map_index}]" if map_index >= 0 else task_id
