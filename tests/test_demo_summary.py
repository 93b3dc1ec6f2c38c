"""``make demo``'s summary names only what is still there when it is printed: the simulator and its
translate5 projects are gone by then (the demo stops everything it started), the delivered files stay."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("t5_demo_script", REPO / "scripts" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_summary_names_delivered_files_and_no_link_into_the_stopped_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = load_demo()
    cms = tmp_path / ".demo" / "cms-import"
    items = ["blog/post.html", "pages/about.html"]
    for number, item in enumerate(items, start=3):
        for lang in demo.TARGET_LANGS:
            path = cms / lang / item
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"<p>[{lang}] Hello {number}.</p>\n", encoding="utf-8")
    manifest = {"items": {item: {"translate5_task_id": n} for n, item in enumerate(items, start=3)}}
    (cms / ".translate5-manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setattr(demo, "CMS_IMPORT", cms)
    monkeypatch.chdir(tmp_path)

    demo.report(items)
    said = capsys.readouterr().out

    assert "://" not in said  # the simulator's URLs died with it
    assert "translate5 project 3" in said
    assert "translate5 project 4" in said
    named = re.findall(r"^\s+(?:de|fr): (\S+)$", said, flags=re.MULTILINE)
    assert len(named) == len(items) * len(demo.TARGET_LANGS)
    assert all((tmp_path / path).is_file() for path in named), named
    assert "make airflow" in said  # where to look at projects while they exist
