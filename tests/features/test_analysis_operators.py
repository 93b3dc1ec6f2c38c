"""The analysis operators in real DAG runs: assign, analyse (in the worker and the triggerer), report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from t5dags import DagRunner, dag_header

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

TASK_ID = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"


def _dag(dag_id: str, source: Path, body: str) -> str:
    return (
        dag_header(dag_id)
        + f"""
from airflow_provider_translate5.operators.analysis import (
    Translate5AssignLanguageResourcesOperator,
    Translate5MatchAnalysisOperator,
    Translate5PretranslateOperator,
)

with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source=ObjectStoragePath("file://{source}"), task_name="Quote",
        source_lang="en", target_lang=["de", "fr"],
    )
    imported = Translate5ImportSensor(task_id="imported", translate5_task_id={TASK_ID!r}, poke_interval=0.1)
"""
        + body
    )


def test_analyse_and_pretranslate_a_project(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path], tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    body = f"""
    resources = Translate5AssignLanguageResourcesOperator(
        task_id="resources", translate5_task_id={TASK_ID!r},
        language_resources="{{{{ ['Demo TM', 'ZDemoMT'] }}}}",  # a template renders the list as its text
    )
    analyse = Translate5MatchAnalysisOperator(
        task_id="analyse", translate5_task_id={TASK_ID!r}, poke_interval=0.05, deferrable=False,
        report="xml", report_destination={str(reports)!r},
    )
    pretranslate = Translate5PretranslateOperator(
        task_id="pretranslate", translate5_task_id={TASK_ID!r}, poke_interval=0.05, deferrable=True,
        pretranslate_matchrate="{{{{ 100 }}}}", pretranslate_mt="{{{{ True }}}}",  # as from a run's params
    )
    upload >> imported >> resources >> analyse >> pretranslate
"""
    result = run_dag(_dag("t5_analyse", source_file(), body), "t5_analyse")

    assert result.state == "success", result.output[-3000:]
    upload = result.xcom("upload")
    assigned = result.xcom("resources")
    assert sorted(assigned) == sorted(str(i) for i in upload["task_ids"])
    assert {r["name"] for rows in assigned.values() for r in rows} == {"Demo TM", "ZDemoMT"}
    analysis = result.xcom("analyse")
    assert analysis["task_ids"] == upload["task_ids"]
    words = sum(int(sim.task(task_id)["wordCount"]) for task_id in upload["task_ids"])
    assert analysis["total"] == words > 0
    assert sum(analysis["bands"].values()) == words
    assert list(analysis["bands"])[-1] == "noMatch"
    assert [t["task_id"] for t in analysis["tasks"]] == upload["task_ids"]
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        f"match-analysis-{i}.xml" for i in upload["task_ids"]
    )
    assert all(p.read_bytes().startswith(b"<?xml") for p in reports.iterdir())
    assert analysis["reports"] == [(reports / f"match-analysis-{i}.xml").as_uri() for i in upload["task_ids"]]
    assert result.xcom("pretranslate")["total"] == words
    assert all(sim.task(task_id)["state"] == "open" for task_id in upload["task_ids"])


def test_analysis_without_language_resources_fails_at_once(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    body = f"""
    analyse = Translate5MatchAnalysisOperator(
        task_id="analyse", translate5_task_id={TASK_ID!r}, poke_interval=0.05
    )
    upload >> imported >> analyse
"""
    result = run_dag(_dag("t5_analyse_bare", source_file(), body), "t5_analyse_bare")

    assert result.states["analyse"] == "failed"
    assert "have no language resource assigned" in result.output
    assert sim.requests.count("PUT", prefix="/editor/task/") == 0  # nothing started


def test_bad_arguments_are_refused_when_the_dag_is_parsed() -> None:
    from airflow_provider_translate5.operators.analysis import (
        Translate5AssignLanguageResourcesOperator,
        Translate5MatchAnalysisOperator,
        Translate5PretranslateOperator,
    )

    with pytest.raises(ValueError, match="unit_type"):
        Translate5MatchAnalysisOperator(task_id="a", translate5_task_id=1, unit_type="pages")
    with pytest.raises(ValueError, match="give both or neither"):
        Translate5MatchAnalysisOperator(task_id="a", translate5_task_id=1, report="xml")
    with pytest.raises(ValueError, match=r"0\.\.100"):
        Translate5PretranslateOperator(task_id="a", translate5_task_id=1, pretranslate_matchrate=120)
    with pytest.raises(ValueError, match="at least one language resource"):
        Translate5AssignLanguageResourcesOperator(task_id="a", translate5_task_id=1, language_resources=[])


@pytest.mark.parametrize(
    ("given", "assigned"),
    [
        ("['Demo TM', 7]", ["Demo TM", 7]),  # "{{ params.language_resources }}" as Jinja renders it
        ("Demo TM, legal", ["Demo TM, legal"]),  # one name: names may contain commas
        (("Demo TM",), ["Demo TM"]),
    ],
)
def test_language_resources_as_a_dag_gives_them(given: Any, assigned: list[Any]) -> None:
    from airflow_provider_translate5.base import rendered_list

    assert rendered_list(given, "language_resources") == assigned


def test_a_template_that_renders_no_list_is_named() -> None:
    from airflow_provider_translate5.base import rendered_list

    with pytest.raises(ValueError, match=r"language_resources: cannot read \"\['Demo TM'\" as a list"):
        rendered_list("['Demo TM'", "language_resources")


def test_pretranslation_options_are_read_as_rendered_or_named_when_wrong() -> None:
    from airflow_provider_translate5.operators.analysis import Translate5PretranslateOperator

    operator = Translate5PretranslateOperator(
        task_id="p",
        translate5_task_id=1,
        pretranslate_matchrate="{{ params.rate }}",
        pretranslate_mt="{{ params.mt }}",
    )  # templates: nothing can be checked before the run
    operator.pretranslate_matchrate, operator.pretranslate_mt = "80", "False"  # what Jinja rendered
    assert operator._read_options() == {
        "pretranslate_matchrate": 80,
        "pretranslate_tm_and_term": None,
        "pretranslate_mt": False,
    }
    operator.pretranslate_mt = "maybe"
    with pytest.raises(ValueError, match="pretranslate_mt must be true or false, got 'maybe'"):
        operator._read_options()
    with pytest.raises(ValueError, match=r"pretranslate_matchrate must be 0\.\.100, got '101'"):
        Translate5PretranslateOperator(task_id="q", translate5_task_id=1, pretranslate_matchrate="101")
