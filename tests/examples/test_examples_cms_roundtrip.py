"""``translate5_cms_roundtrip`` end to end: content drop -> translate5 simulator -> CMS import folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from examples_support import ExampleRunner, files_below, sample_items, uri

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

DAG_ID = "translate5_cms_roundtrip"


def created_tasks(sim: Any) -> int:
    return int(sim.requests.count("POST", "/editor/task"))


def ordered(run: Any) -> list[Any]:
    """The items a run took, in order."""
    return list(run.taken_items())


def test_translates_every_item_into_every_language_and_delivers_it(
    translate5_simulator: Any, run_example: ExampleRunner, content_drop: Path, tmp_path: Path
) -> None:
    cms_import = tmp_path / "cms-import"
    run = run_example(DAG_ID, content_drop=uri(content_drop), cms_import=uri(cms_import))

    assert run.state == "success", run.states
    items = sample_items()
    delivered = [f"{lang}/{item}" for lang in ("de", "fr") for item in items]
    assert files_below(cms_import) == sorted([".translate5-manifest.json", *delivered])  # staging cleaned up

    html = (cms_import / "de/pages/about-us.html").read_text(encoding="utf-8")
    assert "<h1>[de] About Alpine Outfitters</h1>" in html
    assert '<a href="/contact">[de] Visit our workshop</a>' in html  # markup kept, text translated
    markdown = (cms_import / "fr/blog/2026-11-release-notes.md").read_text(encoding="utf-8")
    assert markdown.startswith("[fr] # Winter collection 2026")
    xliff = (cms_import / "fr/products/trail-runner-x.xliff").read_text(encoding="utf-8")
    assert "<target>[fr] Add to cart</target>" in xliff

    summary = run.xcom("deliver")
    assert [entry["item"] for entry in summary] == items
    ui = f"{translate5_simulator.base_url}/editor/#project/"
    for entry in summary:
        assert entry["translate5_url"] == f"{ui}{entry['translate5_id']}/focus"
        assert set(entry["languages"]) == {"de", "fr"}
        for lang, info in entry["languages"].items():
            assert info["file"] == uri(cms_import / lang / entry["item"])
            task = translate5_simulator.store.tasks[info["translate5_task_id"]].row
            assert task["projectId"] == entry["translate5_id"]
            assert task["taskName"] == f"{entry['item']} - en / {lang}"  # the project's task for lang
            assert task["workflowStepName"] == "workflowEnded"  # what the translators finished
    tasks = {info["translate5_task_id"] for entry in summary for info in entry["languages"].values()}
    assert len(tasks) == 6  # a task per item and language

    manifest = json.loads((cms_import / ".translate5-manifest.json").read_text(encoding="utf-8"))["items"]
    assert sorted(manifest) == items
    assert all(entry["languages"] == ["de", "fr"] for entry in manifest.values())
    assert created_tasks(translate5_simulator) == 3  # one project per item, both languages in it


def test_runs_again_only_for_new_or_changed_content(
    translate5_simulator: Any, run_example: ExampleRunner, content_drop: Path, tmp_path: Path
) -> None:
    conf = {"content_drop": uri(content_drop), "cms_import": uri(tmp_path / "cms-import")}
    assert run_example(DAG_ID, **conf).state == "success"
    assert created_tasks(translate5_simulator) == 3

    unchanged = run_example(DAG_ID, **conf)
    assert unchanged.state == "success"
    assert unchanged.xcom("find_changed_content") == []
    assert unchanged.task_states("translate.upload") == ["skipped"]
    assert created_tasks(translate5_simulator) == 3

    page = content_drop / "pages/about-us.html"
    page.write_text(page.read_text(encoding="utf-8").replace("About Alpine", "Meet Alpine"), encoding="utf-8")
    changed = run_example(DAG_ID, **conf)
    assert changed.state == "success"
    assert [item["task_name"] for item in ordered(changed)] == ["pages/about-us.html"]
    assert created_tasks(translate5_simulator) == 4
    html = (tmp_path / "cms-import/de/pages/about-us.html").read_text(encoding="utf-8")
    assert "<h1>[de] Meet Alpine Outfitters</h1>" in html


def test_a_new_target_language_is_ordered_alone(
    translate5_simulator: Any, run_example: ExampleRunner, content_drop: Path, tmp_path: Path
) -> None:
    cms_import = tmp_path / "cms-import"
    conf = {"content_drop": uri(content_drop), "cms_import": uri(cms_import)}
    assert run_example(DAG_ID, **conf, target_langs=["de"]).state == "success"
    german = (cms_import / "de/pages/about-us.html").stat().st_mtime_ns

    run = run_example(DAG_ID, **conf, target_langs=["de", "it"])

    assert run.state == "success"
    assert [[task["target_lang"] for task in item["tasks"]] for item in ordered(run)] == [["it"]] * 3
    assert created_tasks(translate5_simulator) == 6
    assert (cms_import / "it/pages/about-us.html").read_text(encoding="utf-8").count("[it] ") > 5
    assert (cms_import / "de/pages/about-us.html").stat().st_mtime_ns == german
    manifest = json.loads((cms_import / ".translate5-manifest.json").read_text(encoding="utf-8"))["items"]
    assert all(entry["languages"] == ["de", "it"] for entry in manifest.values())
