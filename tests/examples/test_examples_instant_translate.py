"""``translate5_instant_translate`` end to end: machine pre-translation straight into the CMS folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examples_support import ExampleRunner, files_below, sample_items, uri

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

DAG_ID = "translate5_instant_translate"


def test_pretranslates_each_item_into_each_language_once(
    translate5_simulator: Any, run_example: ExampleRunner, content_drop: Path, tmp_path: Path
) -> None:
    cms_import = tmp_path / "cms-import"
    conf = {"content_drop": uri(content_drop), "cms_import": uri(cms_import)}

    run = run_example(DAG_ID, **conf)

    assert run.state == "success", run.states
    items = sample_items()
    delivered = [f"{lang}/{item}" for lang in ("de", "fr") for item in items]
    assert files_below(cms_import) == sorted([".translate5-manifest.json", *delivered])
    html = (cms_import / "fr/pages/about-us.html").read_text(encoding="utf-8")
    assert "<h2>[fr] Our promise</h2>" in html
    assert run.xcom("record") == {
        item: [uri(cms_import / lang / item) for lang in ("de", "fr")] for item in items
    }
    assert translate5_simulator.requests.count("POST", "/editor/instanttranslateapi/filepretranslate") == 6
    assert translate5_simulator.requests.count("POST", "/editor/task") == 0  # no project, no workflow

    again = run_example(DAG_ID, **conf)

    assert again.state == "success"
    assert again.xcom("find_changed_content") == []
    assert translate5_simulator.requests.count("POST", "/editor/instanttranslateapi/filepretranslate") == 6
