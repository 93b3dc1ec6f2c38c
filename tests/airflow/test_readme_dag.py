"""The DAG shown in README.md runs as written (only its storage URIs and poll interval are swapped).

README.md shows the section ``readme_dag`` of example_dags/translate5_building_blocks.py
(tests/test_docs_snippets.py keeps them equal); this runs that section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from t5dags import DagRunner

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
