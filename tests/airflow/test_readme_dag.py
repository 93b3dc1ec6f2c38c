"""The DAG shown in README.md runs as written (only its storage URIs and poll interval are swapped).

README.md shows the section ``readme_dag`` of example_dags/translate5_building_blocks.py
(tests/test_docs_snippets.py keeps them equal); this runs that section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from t5dags import DagRunner, polled_ids

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]


def readme_dag_source() -> str:
    example = (REPO / "example_dags" / "translate5_building_blocks.py").read_text(encoding="utf-8")
    match = re.search(r"^# \[START readme_dag\]\n(.*?)^# \[END readme_dag\]$", example, re.S | re.M)
    assert match, "example_dags/translate5_building_blocks.py lost the README's DAG"
    return match.group(1)


def test_the_readme_dag_translates_into_every_language(sim: Any, run_dag: DagRunner, tmp_path: Path) -> None:
    page = tmp_path / "product-page.html"
    page.write_text("<h1>Trail Runner X</h1><p>Light and fast.</p>", encoding="utf-8")
    out = tmp_path / "content-import" / "product-page"
    source = readme_dag_source()
    source = source.replace("s3://cms@content-drop/product-page.html", str(page))
    source = source.replace("s3://cms@content-import/product-page/", str(out))
    source = source.replace("deferrable=True", "deferrable=True, poke_interval=0.2")
    assert str(page) in source, "the README's source URI changed; update this test"
    assert str(out) in source, "the README's destination URI changed; update this test"
    source = source.replace("\ntranslate_product_page()\n", "\ndag = translate_product_page()\n")

    result = run_dag(source, "translate_product_page")

    assert result.state == "success", result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == ["product-page_de.html", "product-page_fr.html"]
    assert "[de]" in (out / "product-page_de.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "translate5_simulator", [{"import_duration": 0, "workflow_auto_finish": 0}], indirect=True
)
def test_the_readme_dag_makes_six_requests_for_one_page_in_two_languages(
    sim: Any, run_dag: DagRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a server that answers at once: the language list, the create, one look per wait, and one
    download per language. The ids flow from step to step; nothing is looked up twice."""
    from airflow_provider_translate5.client import client

    monkeypatch.setattr(client, "_LANGUAGES", {})  # a worker process starts without the languages
    page = tmp_path / "product-page.html"
    page.write_text("<h1>Trail Runner X</h1><p>Light and fast.</p>", encoding="utf-8")
    out = tmp_path / "out"
    source = readme_dag_source()
    source = source.replace("s3://cms@content-drop/product-page.html", str(page))
    source = source.replace("s3://cms@content-import/product-page/", str(out))
    source = source.replace("\ntranslate_product_page()\n", "\ndag = translate_product_page()\n")

    result = run_dag(source, "translate_product_page")

    assert result.state == "success", result.output
    de, fr = result.xcom("upload")["task_ids"]
    assert [f"{r.method} {r.path}" for r in sim.requests] == [
        "GET /editor/language",  # checks every language before the create (and names the tasks' ones)
        "POST /editor/task",  # the first try of a derived key: no lookup before, no check after
        "GET /editor/task",  # the import wait: one list request by id
        "GET /editor/task",  # the workflow wait: the same
        f"GET /editor/task/export/id/{de}",
        f"GET /editor/task/export/id/{fr}",
    ]
    assert polled_ids(sim) == [[de, fr], [de, fr]]  # the two list requests are the waits' looks by id
    assert sorted(p.name for p in out.iterdir()) == ["product-page_de.html", "product-page_fr.html"]
