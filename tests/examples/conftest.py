"""Run the shipped example DAGs, unchanged, with ``dag.test()`` against the simulator.

``dag.test()`` syncs the DAG bundle of ``[core] dags_folder`` to the metadata DB before running, so that
folder is pointed at ``example_dags/`` itself: the tests run exactly the files a user copies.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "example_dags"
SAMPLE_CONTENT = EXAMPLE_DAGS / "sample_content"

#: Imports take 0.1 s, workflows end by themselves 0.5 s after the import, waits check every 0.2 s.
FAST_SIMULATOR = {"import_duration": 0.1, "workflow_auto_finish": 0.5}
FAST_POKE_INTERVAL = "0.2"


def parse_example_dags() -> Any:
    """Parse ``example_dags/`` the way the DAG processor does (bundle folder on ``sys.path``)."""
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=str(EXAMPLE_DAGS), bundle_path=EXAMPLE_DAGS, bundle_name="dags-folder")


@pytest.fixture
def translate5_simulator_options() -> dict[str, Any]:
    return dict(FAST_SIMULATOR)


@pytest.fixture(scope="session")
def example_dag_bag() -> Any:
    """The example DAGs, parsed once with short poke intervals (read when a DAG file is parsed)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRANSLATE5_EXAMPLE_POKE_INTERVAL", FAST_POKE_INTERVAL)
        bag = parse_example_dags()
    assert not bag.import_errors, bag.import_errors
    return bag


@pytest.fixture(scope="session")
def example_dags(example_dag_bag: Any) -> dict[str, Any]:
    return dict(example_dag_bag.dags)


@dataclass
class ExampleRun:
    """What a user looks at after a run: the run state, task states and return values."""

    dag_id: str
    run_id: str
    state: str
    states: dict[tuple[str, int], str]

    def xcom(self, task_id: str, map_index: int = -1, key: str = "return_value") -> Any:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            row = session.scalars(
                select(XComModel).where(
                    XComModel.dag_id == self.dag_id,
                    XComModel.run_id == self.run_id,
                    XComModel.task_id == task_id,
                    XComModel.map_index == map_index,
                    XComModel.key == key,
                )
            ).first()
            return None if row is None else XComModel.deserialize_value(row)

    def task_states(self, task_id: str) -> list[str]:
        return [state for (tid, _), state in sorted(self.states.items()) if tid == task_id]


ExampleRunner = Callable[..., ExampleRun]


@pytest.fixture
def run_example(
    airflow_db: Path,
    example_dags: dict[str, Any],
    translate5_connection: str,
    monkeypatch: pytest.MonkeyPatch,
) -> ExampleRunner:
    """``run_example(dag_id, **run_conf)``: one ``dag.test()`` run of an example DAG."""
    import airflow.settings as settings

    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(EXAMPLE_DAGS))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(EXAMPLE_DAGS))  # read once at import by the bundle
    monkeypatch.setenv("TRANSLATE5_EXAMPLE_POKE_INTERVAL", FAST_POKE_INTERVAL)

    def run(dag_id: str, **conf: Any) -> ExampleRun:
        dag_run = example_dags[dag_id].test(run_conf=conf or None)
        states = {(ti.task_id, ti.map_index): str(ti.state) for ti in dag_run.get_task_instances()}
        return ExampleRun(dag_id, dag_run.run_id, str(dag_run.state), states)

    return run


@pytest.fixture
def content_drop(tmp_path: Path) -> Path:
    """A content drop filled with the sample content the demo uses."""
    drop = tmp_path / "content-drop"
    shutil.copytree(SAMPLE_CONTENT, drop)
    return drop


def sample_items() -> list[str]:
    return sorted(str(p.relative_to(SAMPLE_CONTENT)) for p in SAMPLE_CONTENT.rglob("*") if p.is_file())


def uri(path: Path) -> str:
    return path.as_uri()


def files_below(folder: Path) -> list[str]:
    return sorted(os.path.relpath(p, folder) for p in folder.rglob("*") if p.is_file())
