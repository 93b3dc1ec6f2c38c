"""``translate5_cms_roundtrip``: a page that changes while its translation is still open in translate5.

Run 1 orders the drop, but the translators do not finish within its wait (the test shortens the wait that
is 30 days in the DAG), so the run ends with the orders open. The CMS then changes pages. translate5's
reimport cannot bring a changed source into an open order (it applies targets only), so the next run orders
the new content anew and the open order is superseded: ended in translate5 and never delivered. The
simulated translators translate by prefixing ``[<language>] ``; a delivery is checked unit by unit against
that translation of the page the CMS holds.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_translate5.client import Translate5Client

from examples_support import FAST_POKE_INTERVAL, ExampleRun, ExampleRunner, parse_example_dags, uri

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

DAG_ID = "translate5_cms_roundtrip"
XLIFF = "products/trail-runner-x.xliff"
HTML = "pages/about-us.html"
MARKDOWN = "blog/2026-11-release-notes.md"
XLIFF_NS = "{urn:oasis:names:tc:xliff:document:1.2}"
LANGS = ("de", "fr")


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
def run_briefly(
    run_example: ExampleRunner, conf: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Callable[[], ExampleRun]:
    """A run that stops waiting for the translators after 2 s, leaving its orders open.

    ``TRANSLATE5_EXAMPLE_TRANSLATION_WAIT`` (read at parse time) as a scheduled DAG would set it below its
    interval: the batches end as skipped. (``run_example`` is requested for the Airflow settings it makes.)
    """

    def run() -> ExampleRun:
        monkeypatch.setenv("TRANSLATE5_EXAMPLE_TRANSLATION_WAIT", "2")
        try:
            dag_run = parse_example_dags().dags[DAG_ID].test(run_conf=conf)
        finally:
            monkeypatch.delenv("TRANSLATE5_EXAMPLE_TRANSLATION_WAIT")  # later runs wait as long as needed
        states = {(ti.task_id, ti.map_index): str(ti.state) for ti in dag_run.get_task_instances()}
        return ExampleRun(DAG_ID, dag_run.run_id, str(dag_run.state), states)

    return run


@pytest.fixture
def first_run(run_briefly: Callable[[], ExampleRun], cms_import: Path) -> ExampleRun:
    """Run 1: orders the drop; the translators are not done when it stops waiting."""
    first = run_briefly()
    assert first.state == "success", first.states  # nothing failed: the translators are not done yet
    assert first.task_states("translate.wait_for_translation") == ["skipped"]
    assert sorted(manifest(cms_import)["open"]) == [MARKDOWN, HTML, XLIFF]
    return first


@pytest.fixture
def client(translate5_simulator: Any) -> Iterator[Translate5Client]:
    with Translate5Client(translate5_simulator.base_url, translate5_simulator.token) as t5:
        yield t5


class Translators:
    """Finish the workflow of every imported task that is open, once ``ready()`` says so.

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
                task = row["state"] == "open" and row["taskType"] != "project"
                if task and row["workflowStepName"] != "workflowEnded":
                    self.sim.finish_workflow(int(row["id"]))


def created(sim: Any) -> int:
    return int(sim.requests.count("POST", "/editor/task"))


def reimports(sim: Any) -> int:
    return sum(1 for r in sim.requests if r.method == "POST" and r.path.startswith("/editor/taskid/"))


def ended_tasks(sim: Any) -> int:
    with sim.store.lock:
        return sum(1 for task in sim.store.tasks.values() if task.row["state"] == "end")


def manifest(cms_import: Path) -> dict[str, Any]:
    return dict(json.loads((cms_import / ".translate5-manifest.json").read_text(encoding="utf-8")))


def projects_of(client: Translate5Client, item: str) -> list[Any]:
    """The translate5 projects the roundtrip created for ``item`` (its foreignIds start with the item)."""
    slug = item.replace("/", "-")
    found = [
        t for t in client.iter_tasks(projects_only=True) if (t.foreign_id or "").startswith(f"cms:{slug}@")
    ]
    return sorted(found, key=lambda project: project.id)


def ended_by(run: ExampleRun) -> list[int]:
    """The translate5 tasks a run ended as superseded."""
    return sorted(task["id"] for task in run.xcom("end_superseded_orders"))


def reopened_by(run: ExampleRun) -> list[int]:
    """The translate5 tasks a run reopened because a reverted change made their order current again."""
    return sorted(task["id"] for task in run.xcom("reopen_reverted_orders"))


def tasks_of(client: Translate5Client, *projects: Any) -> list[int]:
    return sorted(task.id for project in projects for task in client.project_tasks(project.id))


def task_states(client: Translate5Client, project: Any) -> set[tuple[str, bool]]:
    """``(state, workflow ended)`` of the project's tasks."""
    return {(t.state, t.workflow_step_name == "workflowEnded") for t in client.project_tasks(project.id)}


def states_in_simulator(sim: Any, project_id: int) -> set[str]:
    with sim.store.lock:
        return {
            t.row["state"]
            for t in sim.store.tasks.values()
            if t.row["projectId"] == project_id and not t.is_project
        }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def units(text: str) -> list[tuple[str, str]]:
    """``(source, target)`` of every trans-unit of an XLIFF 1.2 file (``""`` without a target)."""

    def content(element: ET.Element | None) -> str:
        return "".join(element.itertext()) if element is not None else ""

    return [
        (content(unit.find(f"{XLIFF_NS}source")), content(unit.find(f"{XLIFF_NS}target")))
        for unit in ET.fromstring(text).iter(f"{XLIFF_NS}trans-unit")
    ]


def assert_delivered_translation_of(page: Path, cms_import: Path) -> None:
    """Each language's delivery is, unit for unit, the translation of the page as it is now."""
    sources = [source for source, _ in units(page.read_text(encoding="utf-8"))]
    for lang in LANGS:
        delivered = (cms_import / lang / XLIFF).read_text(encoding="utf-8")
        assert units(delivered) == [(source, f"[{lang}] {source}") for source in sources], lang


def test_a_page_changed_while_in_translation_is_ordered_anew_and_its_open_order_ended(
    translate5_simulator: Any,
    first_run: ExampleRun,
    run_example: ExampleRunner,
    conf: dict[str, str],
    content_drop: Path,
    cms_import: Path,
    client: Translate5Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    [old_xliff] = projects_of(client, XLIFF)
    [old_html] = projects_of(client, HTML)
    edit(content_drop / XLIFF, "Add to cart", "Add to basket")
    edit(content_drop / HTML, "About Alpine", "Meet Alpine")
    # the translators work once the new orders exist and the superseded ones (2 tasks each) are ended
    sim = translate5_simulator
    with Translators(sim, lambda: created(sim) == 5 and ended_tasks(sim) == 4):
        second = run_example(DAG_ID, **conf)

    assert second.state == "success", second.states
    assert reimports(sim) == 0
    assert ended_by(second) == tasks_of(client, old_xliff, old_html)
    old, new = projects_of(client, XLIFF)
    assert old.id == old_xliff.id
    assert task_states(client, old) == {("end", False)}  # ended before anyone finished translating it
    assert task_states(client, new) == {("open", True)}
    assert len(projects_of(client, MARKDOWN)) == 1  # unchanged: its open order was delivered
    assert_delivered_translation_of(content_drop / XLIFF, cms_import)
    html = (cms_import / "de" / HTML).read_text(encoding="utf-8")
    assert "<h1>[de] Meet Alpine Outfitters</h1>" in html
    after = manifest(cms_import)
    assert after["items"][XLIFF]["sha256"] == sha256(content_drop / XLIFF)  # the new content is delivered
    assert after["items"][XLIFF]["translate5_task_id"] == new.id
    assert "open" not in after  # every order delivered
    # kept, ended, so that a reverted change reopens them; never delivered
    assert sorted(after["superseded"]) == sorted([old_xliff.foreign_id, old_html.foreign_id])
    assert all(order["ended_at"] for order in after["superseded"].values())
    assert f"{XLIFF} changed while its order {old_xliff.foreign_id} is open" in caplog.text

    third = run_example(DAG_ID, **conf)  # nothing changed since: no order, nothing ended
    assert third.state == "success", third.states
    assert third.xcom("find_changed_content") == []
    assert ended_by(third) == []
    assert reopened_by(third) == []
    assert created(sim) == 5


def test_the_export_of_a_superseded_order_is_never_delivered(
    translate5_simulator: Any,
    first_run: ExampleRun,
    run_example: ExampleRunner,
    run_briefly: Callable[[], ExampleRun],
    conf: dict[str, str],
    content_drop: Path,
    cms_import: Path,
    client: Translate5Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The old order's export waits in staging (its delivery failed) when the CMS changes the page."""
    sim = translate5_simulator
    [old] = projects_of(client, XLIFF)
    blocker = cms_import / "de" / "products"  # a file where the delivery needs a folder: its copy fails
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder", encoding="utf-8")
    with Translators(sim, lambda: True):
        second = run_example(DAG_ID, **conf)
    assert second.task_states("deliver") == ["failed"], second.states
    stale = [p for p in (cms_import / ".translate5-staging").rglob("*_de.xliff")]
    assert len(stale) == 1  # the old order's export, complete, waiting for a delivery
    blocker.unlink()
    edit(content_drop / XLIFF, "Add to cart", "Add to basket")

    third = run_briefly()  # orders the new content; its translators are not done when it stops waiting

    assert third.state == "success", third.states
    assert ended_by(third) == tasks_of(client, old)
    assert not (cms_import / "de" / XLIFF).exists()  # the stale export did not land
    assert not (cms_import / "fr" / XLIFF).exists()
    assert not stale[0].exists()
    assert f"{XLIFF}: the export of translate5 order {old.foreign_id} is NOT delivered" in caplog.text

    with Translators(sim, lambda: True):
        fourth = run_example(DAG_ID, **conf)
    assert fourth.state == "success", fourth.states
    assert_delivered_translation_of(content_drop / XLIFF, cms_import)
    assert manifest(cms_import)["items"][XLIFF]["sha256"] == sha256(content_drop / XLIFF)


def test_a_reverted_change_reopens_the_superseded_order(
    translate5_simulator: Any,
    first_run: ExampleRun,
    run_example: ExampleRunner,
    run_briefly: Callable[[], ExampleRun],
    conf: dict[str, str],
    content_drop: Path,
    cms_import: Path,
    client: Translate5Client,
) -> None:
    """A -> B -> A while in translation: A's order is ended as superseded, then reopened (not doubled)."""
    sim = translate5_simulator
    [order_a] = projects_of(client, XLIFF)
    edit(content_drop / XLIFF, "Add to cart", "Add to basket")
    second = run_briefly()
    assert ended_by(second) == tasks_of(client, order_a)
    assert task_states(client, order_a) == {("end", False)}
    [_, order_b] = projects_of(client, XLIFF)
    edit(content_drop / XLIFF, "Add to basket", "Add to cart")  # the CMS reverts the change

    def ready() -> bool:  # B ended as superseded, A reopened
        return states_in_simulator(sim, order_b.id) == {"end"} and states_in_simulator(sim, order_a.id) == {
            "open"
        }

    with Translators(sim, ready):
        third = run_example(DAG_ID, **conf)

    assert third.state == "success", third.states
    assert ended_by(third) == tasks_of(client, order_b)
    assert reopened_by(third) == tasks_of(client, order_a)
    assert [p.id for p in projects_of(client, XLIFF)] == [order_a.id, order_b.id]  # no third order
    assert task_states(client, order_a) == {("open", True)}
    assert task_states(client, order_b) == {("end", False)}
    assert_delivered_translation_of(content_drop / XLIFF, cms_import)
    assert manifest(cms_import)["items"][XLIFF]["translate5_task_id"] == order_a.id
