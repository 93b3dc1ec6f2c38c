"""Fixtures of the real-CMS tests: one Strapi 5 for the session, and the example-DAG runner of tests/examples.

The tests that use ``strapi_server`` start Node.js and Strapi (about 10 s, 250 MB); they run with ``make
cms-test``, which installs the Strapi project first and sets ``TRANSLATE5_CMS_TEST=1``. Elsewhere (``make
test``) they are skipped; the tests without a server run everywhere.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "examples"), str(HERE.parents[1] / "example_dags")]

import harness  # noqa: E402  (found through the sys.path entry above)


def _examples_conftest() -> object:
    """tests/examples/conftest.py, whose fixtures run the example DAGs; reused here rather than copied."""
    spec = importlib.util.spec_from_file_location(
        "examples_conftest", HERE.parent / "examples" / "conftest.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_examples = _examples_conftest()
translate5_simulator_options = _examples.translate5_simulator_options  # type: ignore[attr-defined]
example_dag_bag = _examples.example_dag_bag  # type: ignore[attr-defined]
example_dags = _examples.example_dags  # type: ignore[attr-defined]
run_example = _examples.run_example  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need the real Strapi run only in ``make cms-test``; the others run everywhere."""
    if os.environ.get("TRANSLATE5_CMS_TEST") == "1":
        return
    skip = pytest.mark.skip(reason="needs Node.js and the Strapi project: run `make cms-test`")
    for item in items:
        if "strapi_server" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def strapi_server() -> Iterator[harness.Strapi]:
    """A real Strapi 5 for the whole session (set up once: locales, API token), stopped at the end."""
    server = harness.start()
    try:
        yield server
    finally:
        server.stop()
