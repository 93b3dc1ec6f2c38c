"""``translate5_cms_roundtrip`` with drops larger than one run may take, failing batches, a missing drop.

Airflow refuses to map more than ``[core] max_map_length`` task instances; the tests set it to 2, so a few
files stand for a drop of many thousands (the benchmark in ``bench/scale.py`` runs 10,000 for real).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from examples_support import ExampleRunner, files_below, uri

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

DAG_ID = "translate5_cms_roundtrip"


def drop_with(folder: Path, names: list[str]) -> Path:
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<p>Text of {name}.</p><p>Second sentence.</p>", encoding="utf-8")
    return folder


def manifest(cms_import: Path) -> dict[str, Any]:
    return dict(json.loads((cms_import / ".translate5-manifest.json").read_text(encoding="utf-8")))


def taken(run: Any) -> list[list[str]]:
    return list(run.taken())


def foreign_id_lookups(sim: Any) -> list[int]:
    """How many foreignIds each lookup by foreignId asked for."""
    from urllib.parse import parse_qs

    lookups = [r for r in sim.requests if r.method == "GET" and "foreignId" in (r.query or "")]
    return [len(json.loads(parse_qs(r.query)["filter"][0])[0]["value"]) for r in lookups]


def test_a_drop_larger_than_max_map_length_is_worked_off_over_successive_runs(
    translate5_simulator: Any, run_example: ExampleRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "2")
    names = [f"pages/page-{n}.html" for n in range(7)]
    drop, cms_import = drop_with(tmp_path / "drop", names), tmp_path / "cms-import"
    conf = {"content_drop": uri(drop), "cms_import": uri(cms_import), "batch_size": 2}

    first = run_example(DAG_ID, **conf)

    assert first.state == "success", first.states
    assert taken(first) == [names[0:2], names[2:4]]  # 2 batches of 2: all Airflow may map
    # per batch, not per item: the upload's lookup before its creates and its check after, for both items
    assert foreign_id_lookups(translate5_simulator) == [2, 2, 2, 2]
    assert manifest(cms_import)["backlog"]["left_for_next_run"] == names[4:]
    assert files_below(cms_import / "de") == names[:4]

    second = run_example(DAG_ID, **conf)

    assert second.state == "success", second.states
    assert taken(second) == [names[4:6], names[6:]]
    assert "backlog" not in manifest(cms_import)  # nothing left over
    assert sorted(manifest(cms_import)["items"]) == names
    assert files_below(cms_import / "fr") == names

    third = run_example(DAG_ID, **conf)

    assert third.state == "success", third.states
    assert taken(third) == []
    assert translate5_simulator.requests.count("POST", "/editor/task") == len(names)  # each ordered once


def test_a_failed_batch_fails_the_run_after_the_others_are_delivered(
    translate5_simulator: Any, run_example: ExampleRunner, tmp_path: Path
) -> None:
    # The simulator fails the import of a file whose name contains "import-error".
    names = ["a.html", "b-import-error.html", "c.html"]
    drop, cms_import = drop_with(tmp_path / "drop", names), tmp_path / "cms-import"
    conf = {"content_drop": uri(drop), "cms_import": uri(cms_import), "batch_size": 1}

    run = run_example(DAG_ID, **conf)

    assert run.state == "failed"
    assert run.states[("translate.wait_for_import", 1)] == "failed"
    assert run.states[("deliver", -1)] == "success"
    assert run.states[("report_failed_batches", -1)] == "failed"
    assert sorted(manifest(cms_import)["items"]) == ["a.html", "c.html"]
    assert files_below(cms_import / "de") == ["a.html", "c.html"]

    (drop / "b-import-error.html").rename(drop / "b.html")  # the CMS editor fixes the file
    again = run_example(DAG_ID, **conf)

    assert again.state == "success", again.states
    assert taken(again) == [["b.html"]]
    assert files_below(cms_import / "de") == ["a.html", "b.html", "c.html"]
    assert translate5_simulator.requests.count("POST", "/editor/task") == 4


def test_a_missing_content_drop_fails_the_run_naming_the_folder(
    translate5_simulator: Any, run_example: ExampleRunner, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-drop"
    run = run_example(DAG_ID, content_drop=uri(missing), cms_import=uri(tmp_path / "cms-import"))

    assert run.state == "failed"
    assert run.states[("find_changed_content", -1)] == "failed"
    assert translate5_simulator.requests.count("POST", "/editor/task") == 0
