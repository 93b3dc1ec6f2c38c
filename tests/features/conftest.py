"""Fixtures for the feature tests: the Airflow layer's simulator and DAG runner, reused (not copied).

``tests/airflow/conftest.py`` defines ``sim``, ``run_dag`` and ``source_file``; it is loaded here under its
own module name so these tests run the same kind of real DAG runs against the same fast simulator.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_AIRFLOW_TESTS = Path(__file__).resolve().parent.parent / "airflow"
sys.path.insert(0, str(_AIRFLOW_TESTS))  # t5dags, imported by the conftest below and by our tests

_spec = importlib.util.spec_from_file_location("t5_airflow_fixtures", _AIRFLOW_TESTS / "conftest.py")
assert _spec is not None
assert _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

run_dag = _fixtures.run_dag
# `sim` is moving to tests/conftest.py (shared by every area); once there it is found without this line.
if hasattr(_fixtures, "sim"):
    sim = _fixtures.sim
source_file = _fixtures.source_file
translate5_simulator_options = _fixtures.translate5_simulator_options
