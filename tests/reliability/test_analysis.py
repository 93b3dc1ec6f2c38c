"""Match analysis when translate5's numbers cannot be read, or its task reads ``open`` before the work is done

A person approves a cost on these numbers, so a count that is not a finite, non-negative number fails the
analysis naming it (never 0); and a wait that looks before translate5's worker even started must not end.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_translate5.client import Task, Translate5Client
from airflow_provider_translate5.operators.analysis import Translate5MatchAnalysisOperator

from .conftest import context_for, run_like_airflow

PAGE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" '
    b'xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="about-us" source-language="en" '
    b'target-language="de" datatype="plaintext"><body>'
    b"<trans-unit id='1'><source>About us</source><target/></trans-unit>"
    b"<trans-unit id='2'><source>We translate websites.</source><target/></trans-unit>"
    b"</body></file></xliff>"
)
UNREADABLE = ["1,234", None, float("nan"), -500, float("inf")]


@pytest.fixture
def task(sim: Any, client: Translate5Client) -> Task:
    """An imported task with the MT assigned: its analysis counts every word in band 70."""
    created = client.create_task([("page.xlf", io.BytesIO(PAGE))], task_name="Quote", source_lang="en",
                                 target_lang="de")  # fmt: skip
    from t5support import wait_imported

    wait_imported(client, [created.id])
    client.assign_language_resources(created.task_guid, ["ZDemoMT"])
    return created


@pytest.fixture
def summary_count(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Any], None]:
    """Make the simulator's next analyses answer ``value`` for ``key`` in their summary row."""
    from airflow_provider_translate5.testing import api_analysis

    def corrupt(key: str, value: Any) -> None:
        original = api_analysis._rows

        def rows(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
            answer = original(*args, **kwargs)
            answer[-1][key] = value
            return answer

        monkeypatch.setattr(api_analysis, "_rows", rows)

    return corrupt


def analyse(task: Task, **kwargs: Any) -> Translate5MatchAnalysisOperator:
    kwargs.setdefault("deferrable", False)
    return Translate5MatchAnalysisOperator(
        task_id="analyse", translate5_task_id=task.id, poke_interval=0.02, timeout=30, **kwargs
    )


@pytest.mark.parametrize("value", UNREADABLE, ids=["1,234", "null", "NaN", "-500", "inf"])
def test_an_unreadable_count_fails_the_analysis_naming_the_field(
    task: Task, summary_count: Callable[[str, Any], None], value: Any
) -> None:
    summary_count("70", value)

    with pytest.raises(AirflowFailException) as failed:
        run_like_airflow(analyse(task))

    assert f"unreadable '70' in the summary row: {value!r}" in str(failed.value)


def test_an_unreadable_count_never_reaches_the_approval(
    sim: Any,
    airflow_db: Path,
    summary_count: Callable[[str, Any], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    tests = Path(__file__).resolve().parents[1]
    monkeypatch.syspath_prepend(str(tests / "airflow"))  # example_runs' helpers, shared with the features
    monkeypatch.syspath_prepend(str(tests / "features"))
    from example_runs import run_example

    summary_count("unitCountTotal", "1,234")
    result = run_example(
        "translate5_analyse_approve.py",
        "translate5_analyse_approve",
        tmp_path,
        monkeypatch,
        capfd,
        run_conf={"delivery": (tmp_path / "delivery").as_uri(), "target_langs": ["de"]},
    )

    assert result.states["analyse"] == "failed"
    assert result.tries["analyse"] == 1  # terminal: the same numbers would come again
    assert "unreadable 'unitCountTotal' in the summary row: '1,234'" in result.output
    assert result.states["approve_cost"] == "upstream_failed"  # nobody is asked to approve
    assert result.states["assign_translator"] == "upstream_failed"
    assert not any(sim.store.task_jobs(t) for t in list(sim.store.tasks.values()))


@pytest.mark.parametrize("translate5_simulator", [{"import_duration": 1.0}], indirect=True)
@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "triggerer"])
def test_a_fast_first_poll_does_not_end_the_wait_before_the_analysis_ran(
    sim: Any, client: Translate5Client, task: Task, deferrable: bool
) -> None:
    result = run_like_airflow(analyse(task, deferrable=deferrable), context_for())

    words = int(sim.task(task.id)["wordCount"])
    assert result["total"] == words > 0
    assert result["bands"]["70-79"] == words
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", result["tasks"][0]["created"])
    row = sim.task(task.id)
    assert (row["state"], row["lockedInternalSessionUniqId"]) == ("open", None)
