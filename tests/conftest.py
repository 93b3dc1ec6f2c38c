"""Test-session setup shared by every test.

Airflow reads its configuration when first imported, so the isolated AIRFLOW_HOME must be set here, before any
test module imports Airflow; nothing a test does may touch the developer's own ~/airflow.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from t5support import RecordingTaskInstance

_HOME = Path(tempfile.mkdtemp(prefix="t5-airflow-home-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)  # the home (and its metadata DB) dies with the run
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_HOME / "dags")
# The simulator answers in milliseconds: tests may poll faster than the 1 s a DAG may poll a real translate5.
os.environ.setdefault("AIRFLOW__TRANSLATE5__MIN_POLL_INTERVAL", "0.01")
(_HOME / "dags").mkdir(exist_ok=True)

REPO = Path(__file__).resolve().parent.parent

#: Fixtures that start a simulator (a real HTTP server): a test using one is an integration test.
#: (``canned`` and ``trickling``: the local HTTP servers of tests/reliability.)
_SERVER_FIXTURES = frozenset(
    {"translate5_simulator", "translate5_connection", "sim", "tagged_server", "canned", "trickling"}
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that starts the simulator through a fixture ``integration``, so that
    ``-m "not integration"`` starts no server even where a module forgot its marker."""
    for item in items:
        if _SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _fresh_language_cache() -> None:
    """The client caches languages per process and server (base URL); every test starts as a new process
    would, so tests that mock the same URL with different language lists cannot see each other's."""
    module = sys.modules.get("airflow_provider_translate5.client.client")
    if module is not None:  # not imported yet: nothing cached, and nothing imported for it
        module._LANGUAGES.clear()


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Create the SQLite metadata DB once per test session (needed by dag.test())."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return _HOME


@pytest.fixture
def task_instance() -> type[RecordingTaskInstance]:
    """``task_instance(first_reschedule=None, try_number=1, ...)`` builds a task instance that records XCom
    pushes (t5support.RecordingTaskInstance)."""
    return RecordingTaskInstance


@pytest.fixture
def sim(translate5_simulator: Any, translate5_connection: str) -> Any:
    """The simulator, with Airflow's ``translate5_default`` connection (env var) pointing at it."""
    return translate5_simulator
