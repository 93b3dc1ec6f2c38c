"""pytest fixtures that give a test a running translate5 simulator (loaded via the ``pytest11`` entry point).

pytest imports this module in *every* user's test session once the provider is installed, so it imports
nothing but pytest at module level; the simulator itself is imported when a fixture is first used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_translate5.testing.server import Translate5Simulator

CONN_ID = "translate5_default"


@pytest.fixture
def translate5_simulator_options() -> dict[str, Any]:
    """Knobs for ``translate5_simulator``; override this fixture (or parametrize indirectly) to change."""
    return {"import_duration": 0.1}


@pytest.fixture
def translate5_simulator(
    request: pytest.FixtureRequest, translate5_simulator_options: dict[str, Any]
) -> Iterator[Translate5Simulator]:
    """A translate5 simulator on 127.0.0.1, started for one test and stopped (temp files removed) after it.

    ``@pytest.mark.parametrize("translate5_simulator", [{"numbers_as_strings": True}], indirect=True)``
    merges the given knobs over ``translate5_simulator_options``.
    """
    from airflow_provider_translate5.testing.server import Translate5Simulator

    options = dict(translate5_simulator_options)
    param = getattr(request, "param", None)
    if isinstance(param, dict):
        options.update(param)
    with Translate5Simulator(**options) as sim:
        yield sim


@pytest.fixture
def translate5_connection(translate5_simulator: Translate5Simulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point Airflow's ``translate5_default`` connection at the simulator (env var only, no metadata DB)."""
    value = translate5_simulator.airflow_connection_json(conn_id=CONN_ID)
    json.loads(value)  # fail here, not inside Airflow, if the JSON were ever malformed
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", value)
    return CONN_ID
