"""Run the shipped example DAGs, unchanged, with ``dag.test()`` against the simulator.

``dag.test()`` syncs the DAG bundle of ``[core] dags_folder`` to the metadata DB before running, so that
folder is pointed at ``example_dags/`` itself: the tests run exactly the files a user copies.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples_support import (
    EXAMPLE_DAGS,
    FAST_POKE_INTERVAL,
    FAST_SIMULATOR,
    SAMPLE_CONTENT,
    ExampleRun,
    ExampleRunner,
    parse_example_dags,
)
from moto_s3 import CONN_ID, MotoS3, start_moto


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
        # A freshly parsed DAG per run: dag.test() leaves a run's conf in the params of the DAG's tasks.
        dag_run = parse_example_dags().dags[dag_id].test(run_conf=conf or None)
        states = {(ti.task_id, ti.map_index): str(ti.state) for ti in dag_run.get_task_instances()}
        return ExampleRun(dag_id, dag_run.run_id, str(dag_run.state), states)

    return run


@pytest.fixture
def content_drop(tmp_path: Path) -> Path:
    """A content drop filled with the sample content the demo uses."""
    drop = tmp_path / "content-drop"
    shutil.copytree(SAMPLE_CONTENT, drop)
    return drop


@pytest.fixture(scope="session")
def s3() -> Iterator[MotoS3]:
    """S3 (moto server on 127.0.0.1) and the Airflow connection ``aws_t5`` to it, for the whole session.

    One server for all tests: Airflow caches an ObjectStoragePath's filesystem per connection id, so the
    endpoint must not change between tests (each test creates buckets of its own instead).
    """
    pytest.importorskip("moto.server", reason="moto[server] is a test dependency")
    pytest.importorskip("airflow.providers.amazon", reason="s3:// needs the Amazon provider")
    moto = start_moto()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", moto.connection_json())
        try:
            yield moto
        finally:
            moto.stop()
