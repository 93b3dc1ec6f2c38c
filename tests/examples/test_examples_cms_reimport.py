"""``translate5_cms_roundtrip``: a page that changes while its translation is still open in translate5.

Run 1 orders the drop, but the translators do not finish within its wait (the test shortens the wait that
is 30 days in the DAG), so the run ends with the orders open. The CMS then changes pages; run 2 reimports
the changed XLIFF into its open order instead of ordering it twice, orders the changed HTML page anew (no
reimport for it), goes back to the open order of the unchanged page, and delivers all three once the
translators finished.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_translate5.client import Translate5Client

from examples_support import (
    EXAMPLE_DAGS,
    FAST_POKE_INTERVAL,
    ExampleRun,
    ExampleRunner,
    parse_example_dags,
    uri,
)

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

DAG_ID = "translate5_cms_roundtrip"
XLIFF = "products/trail-runner-x.xliff"
HTML = "pages/about-us.html"
MARKDOWN = "blog/2026-11-release-notes.md"
REIMPORT_PATH = r"/editor/taskid/\d+/file"


@pytest.fixture
def translate5_simulator_options() -> dict[str, Any]:
    """Nobody finishes a workflow by themselves: each test decides when the translators are done."""
    return {"import_duration": 0.1, "workflow_auto_finish": None}


@pytest.fixture
def cms_import(tmp_path: Path) -> Path:
    return tmp_path / "cms-import"


@pytest.fixture
def conf(content_drop: Path, cms_import: Path) -> dict[str, str]:
    return {"content_drop": uri(content_drop), "cms_import": uri(cms_import)}


@pytest.fixture
def first_run(
    run_example: ExampleRunner, conf: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> ExampleRun:
    """Run 1: orders the drop, but stops waiting after 2 s (the translators are not done).

    ``TRANSLATE5_EXAMPLE_TRANSLATION_WAIT`` (read at parse time) as a scheduled DAG would set it below its
    interval: the batches end as skipped and the orders stay open in translate5. (``run_example`` is
    requested for the Airflow settings it makes.)
    """
    monkeypatch.setenv("TRANSLATE5_EXAMPLE_TRANSLATION_WAIT", "2")
    dag_run = parse_example_dags().dags[DAG_ID].test(run_conf=conf)
    monkeypatch.delenv("TRANSLATE5_EXAMPLE_TRANSLATION_WAIT")  # later runs wait as long as they need
    states = {(ti.task_id, ti.map_index): str(ti.state) for ti in dag_run.get_task_instances()}
    return ExampleRun(DAG_ID, dag_run.run_id, str(dag_run.state), states)


@pytest.fixture
def client(translate5_simulator: Any) -> Iterator[Translate5Client]:
    with Translate5Client(translate5_simulator.base_url, translate5_simulator.token) as t5:
        yield t5


class Translators:
    """Finish the workflow of every imported task, once ``ready()`` (run 2 got past its reimport decision).

    After ``patience`` seconds they finish anyway: a run that never gets ready then ends (and the test's
    assertions say what went wrong) instead of waiting the DAG's 30 days.
    """

    patience = 120.0

    def __init__(self, sim: Any, ready: Callable[[], bool]) -> None:
        self.sim, self.ready = sim, ready
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="t5-translators", daemon=True)

    def __enter__(self) -> Translators:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        deadline = time.monotonic() + self.patience
        while not self._stop.wait(float(FAST_POKE_INTERVAL)):
            if not self.ready() and time.monotonic() < deadline:
                continue
            with self.sim.store.lock:
                rows = [task.row for task in self.sim.store.tasks.values()]
            for row in rows:
                settled = row["state"] in ("open", "reimport") and row["taskType"] != "project"
                if settled and row["workflowStepName"] != "workflowEnded":
                    self.sim.finish_workflow(int(row["id"]))


def reimports(sim: Any) -> int:
    return sum(1 for r in sim.requests if r.method == "POST" and _is_reimport(r.path))


def _is_reimport(path: str) -> bool:
    return re.fullmatch(REIMPORT_PATH, path) is not None


def created(sim: Any) -> int:
    return int(sim.requests.count("POST", "/editor/task"))


def manifest(cms_import: Path) -> dict[str, Any]:
    return dict(json.loads((cms_import / ".translate5-manifest.json").read_text(encoding="utf-8")))


def projects_of(client: Translate5Client, item: str) -> list[Any]:
    """The translate5 projects the roundtrip created for ``item`` (its foreignIds start with the item)."""
    slug = item.replace("/", "-")
    return [
        t for t in client.iter_tasks(projects_only=True) if (t.foreign_id or "").startswith(f"cms:{slug}@")
    ]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_page_changed_while_in_translation_is_reimported_into_its_open_order(
    translate5_simulator: Any,
    first_run: ExampleRun,
    run_example: ExampleRunner,
    conf: dict[str, str],
    content_drop: Path,
    cms_import: Path,
    client: Translate5Client,
) -> None:
    first = first_run
    assert first.state == "success", first.states  # nothing failed: the translators are not done yet
    assert first.task_states("translate.wait_for_translation") == ["skipped"]
    opened = manifest(cms_import)["open"]
    assert sorted(opened) == [MARKDOWN, HTML, XLIFF]
    assert "items" not in manifest(cms_import) or not manifest(cms_import)["items"]  # nothing delivered
    [order] = projects_of(client, XLIFF)
    assert opened[XLIFF]["foreign_id"] == order.foreign_id
    assert opened[XLIFF]["sha256"] == sha256(content_drop / XLIFF)

    edit(content_drop / XLIFF, "Add to cart", "Add to basket")  # same trans-units, new wording
    edit(content_drop / HTML, "About Alpine", "Meet Alpine")  # HTML: translate5 cannot reimport it
    # the translators are done once both tasks (de, fr) of the XLIFF's order got the new version
    with Translators(translate5_simulator, lambda: reimports(translate5_simulator) == 2):
        second = run_example(DAG_ID, **conf)

    assert second.state == "success", second.states
    assert reimports(translate5_simulator) == 2
    assert [p.id for p in projects_of(client, XLIFF)] == [order.id]  # still one order for the page
    assert len(projects_of(client, MARKDOWN)) == 1  # unchanged: its open order was delivered
    assert len(projects_of(client, HTML)) == 2  # changed, not reimportable: ordered anew
    taken = {item["path"]: item for item in second.taken_items()}
    assert taken[XLIFF]["foreign_id"] == order.foreign_id

    for task_id in order.task_ids or [t.id for t in client.project_tasks(order.id)]:
        with client.open_export(task_id, format="filetranslation") as download:
            exported = b"".join(download.iter_bytes()).decode()
        assert "Add to basket" in exported  # the task's file is the new content
    for lang in ("de", "fr"):
        delivered = (cms_import / lang / XLIFF).read_text(encoding="utf-8")
        assert f"<target>[{lang}] Add to basket</target>" in delivered
        assert "Add to cart" not in delivered
    html = (cms_import / "de" / HTML).read_text(encoding="utf-8")
    assert "<h1>[de] Meet Alpine Outfitters</h1>" in html

    after = manifest(cms_import)
    assert after["items"][XLIFF]["sha256"] == sha256(content_drop / XLIFF)  # the new content is delivered
    assert after["items"][XLIFF]["languages"] == ["de", "fr"]
    assert "open" not in after  # every order delivered

    third = run_example(DAG_ID, **conf)  # nothing changed since: no order, no reimport
    assert third.state == "success", third.states
    assert third.xcom("find_changed_content") == []
    assert created(translate5_simulator) == 4
    assert reimports(translate5_simulator) == 2


def test_a_changed_xliff_with_new_segments_is_ordered_anew(
    translate5_simulator: Any,
    first_run: ExampleRun,
    run_example: ExampleRunner,
    conf: dict[str, str],
    content_drop: Path,
    cms_import: Path,
    caplog: pytest.LogCaptureFixture,
    client: Translate5Client,
) -> None:
    assert first_run.state == "success"
    [order] = projects_of(client, XLIFF)

    unit = '<trans-unit id="product.size">\n        <source>Sizes 36 to 47</source>\n      </trans-unit>\n'
    edit(content_drop / XLIFF, "    </body>", f"  {unit}    </body>")
    with Translators(translate5_simulator, lambda: created(translate5_simulator) == 4):
        second = run_example(DAG_ID, **conf)

    assert second.state == "success", second.states
    assert reimports(translate5_simulator) == 0
    kept, anew = sorted(projects_of(client, XLIFF), key=lambda project: project.id)  # ordered anew
    assert kept.id == order.id
    assert anew.foreign_id != order.foreign_id
    assert "segments were added or removed" in caplog.text
    delivered = (cms_import / "de" / XLIFF).read_text(encoding="utf-8")
    assert "<target>[de] Sizes 36 to 47</target>" in delivered
    assert manifest(cms_import)["items"][XLIFF]["sha256"] == sha256(content_drop / XLIFF)


def test_a_retried_reimport_waits_for_the_running_one_and_never_orders_twice(
    translate5_simulator: Any, first_run: ExampleRun, content_drop: Path, cms_import: Path
) -> None:
    """What ``find_changed_content`` does when Airflow retries it after its reimport was sent."""
    from airflow.sdk import ObjectStoragePath

    from airflow_provider_translate5.hooks import Translate5Hook

    sys.path.insert(0, str(EXAMPLE_DAGS))  # Airflow puts the DAG folder on sys.path the same way
    content_drop_module: Any = importlib.import_module("content_drop")
    batches: Any = importlib.import_module("translate5_batches")
    assert first_run.state == "success"
    edit(content_drop / XLIFF, "Add to cart", "Add to basket")
    drop, target = (ObjectStoragePath(uri(folder) + "/") for folder in (content_drop, cms_import))
    [item] = [
        i for i in content_drop_module.changed_items(drop, target, "en", ["de", "fr"]) if i["path"] == XLIFF
    ]
    translate5_simulator.set(import_duration=1.0)  # a reimport runs 1 s: the "retry" finds it running

    hook = Translate5Hook()
    try:
        [attempt] = batches.reimport_changed(hook, [item], 2)
        [retry] = batches.reimport_changed(hook, [item], 2)
    finally:
        hook.close()

    assert attempt == retry
    assert retry["foreign_id"] == item["reimport"]["foreign_id"]  # back to the open order
    assert retry["sha256"] == sha256(content_drop / XLIFF)
    assert "reimport" not in retry
    assert reimports(translate5_simulator) == 4  # both tasks, twice: the same content again
    assert created(translate5_simulator) == 3  # run 1's orders only
