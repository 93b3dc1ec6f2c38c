"""The first DAG of docs/getting-started.md runs as written on local files (only its folder and poll interval
are swapped for the test's), against the bundled simulator, with Airflow's own ``dag.test()``."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]


@pytest.fixture
def translate5_simulator_options() -> dict[str, Any]:
    return {"import_duration": 0.1, "workflow_auto_finish": 0.5}


def first_dag_source() -> str:
    guide = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    section = guide.split("## 4. Your first DAG", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "docs/getting-started.md lost its first DAG"
    return match.group(1)


def test_the_first_dag_of_the_guide_translates_local_files(
    translate5_connection: str,
    airflow_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import airflow.settings as settings

    content = tmp_path / "content"
    content.mkdir()
    (content / "product-page.html").write_text(
        "<h1>Trail Runner X</h1><p>Light and fast.</p>", encoding="utf-8"
    )
    source = first_dag_source()
    home_folder = '(Path.home() / "translate5-content")'
    assert home_folder in source, "the guide's folder changed; update this test"
    source = source.replace(home_folder, f"Path({str(content)!r})")
    source = source.replace("deferrable=True", "deferrable=True, poke_interval=0.2")
    source = source.replace("\ntranslate_product_page()\n", "\ndag = translate_product_page()\n")

    dags = tmp_path / "dags"
    dags.mkdir()
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(dags))
    path = dags / "translate_product_page.py"
    path.write_text(source, encoding="utf-8")
    dag = runpy.run_path(str(path), run_name="t5_getting_started")["dag"]

    run = dag.test()

    assert str(run.state) == "success"
    out = content / "translated" / "product-page"
    assert sorted(p.name for p in out.iterdir()) == ["product-page_de.html", "product-page_fr.html"]
    assert "[fr]" in (out / "product-page_fr.html").read_text(encoding="utf-8")
