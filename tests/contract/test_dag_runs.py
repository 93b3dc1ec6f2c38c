"""Whole DAG runs with ``dag.test()`` against the server under test: the README's DAG and the CMS round trip.

Nobody translates on a test server, so a background thread plays the project manager: every task of this
run that has imported gets a job (if it has none) and its jobs are finished, which ends the workflow the
DAGs wait for. It touches only tasks whose name carries this run's tag.
"""

from __future__ import annotations

import hashlib
import json
import re
import runpy
import textwrap
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from contract_support import Cleanup, T5Http, finish_workflow_as_pm, unique, xliff

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "example_dags"

#: Seconds a whole DAG run may take (a real import takes ~10 s per task, an export ~3 s).
DAG_DEADLINE = 480
#: Seconds between two looks of the workflow finisher at the task list.
POLL_SECONDS = 2.0
#: Tries per task before the finisher reports it (a job or finish call a busy server refused once).
MAX_TRIES = 3
XLIFF_NS = "{urn:oasis:names:tc:xliff:document:1.2}"

pytestmark = [pytest.mark.dagrun, pytest.mark.timeout(DAG_DEADLINE + 120)]


class WorkflowFinisher:
    """Finishes, as PM, the workflow of every imported task whose name contains ``marker``."""

    def __init__(
        self,
        http: T5Http,
        user_guid: str,
        marker: str,
        cleanup: Cleanup,
        ready: Callable[[], bool] = lambda: True,
    ) -> None:
        self.http, self.user_guid, self.marker, self.cleanup = http, user_guid, marker, cleanup
        self.ready = ready  # the translators start once this says so (e.g. after an order was ended)
        self.failures: dict[str, list[str]] = {}
        self.finished: set[str] = set()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="t5-contract-finisher", daemon=True)

    def __enter__(self) -> WorkflowFinisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=150)

    def _run(self) -> None:
        sort = json.dumps([{"property": "id", "direction": "DESC"}])
        listing_errors: list[str] = []
        while not self._stop.wait(POLL_SECONDS):
            if not self.ready():
                continue
            try:
                rows = self.http.list_tasks(sort=sort, start=0, limit=100)["rows"]
            except Exception as error:  # a busy real server: the next look may work
                listing_errors.append(repr(error))
                if len(listing_errors) > MAX_TRIES * 5:
                    self.errors.append(f"listing the tasks kept failing: {listing_errors[-3:]}")
                    return
                continue
            for row in rows:
                if self.marker in row["taskName"]:
                    self._handle(row)

    def _handle(self, row: dict[str, Any]) -> None:
        task_id = str(row["id"])
        self.cleanup.task(task_id)
        failed = self.failures.get(task_id, [])
        # a project row has no jobs; a task still importing is picked up on a later look
        if row["taskType"] == "project" or task_id in self.finished or row["state"] != "open":
            return
        if len(failed) >= MAX_TRIES:
            return
        try:
            finish_workflow_as_pm(self.http, task_id, self.user_guid)
        except Exception as error:  # tried again on the next look, reported once the tries are used up
            failed.append(repr(error))
            self.failures[task_id] = failed
            if len(failed) == MAX_TRIES:
                self.errors.append(f"task {task_id}: finishing its workflow failed {MAX_TRIES}x: {failed}")
            return
        self.finished.add(task_id)


@pytest.fixture
def dags_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``dag.test()`` syncs the bundle of ``[core] dags_folder``; point it (and airflow.settings) here."""
    import airflow.settings as settings

    folder = tmp_path / "dags"
    folder.mkdir()
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(folder))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(folder))
    return folder


def readme_dag_source() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A DAG in a nutshell", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README.md lost its example DAG"
    return match.group(1)


def test_readme_dag_against_the_server(
    airflow_db: Path,
    airflow_connection: str,
    dags_folder: Path,
    tmp_path: Path,
    t5_http: T5Http,
    job_user_guid: str,
    cleanup: Cleanup,
) -> None:
    name = unique("readme")
    cleanup.task_name(name)
    page = tmp_path / "product-page.xliff"
    page.write_bytes(xliff(["Trail Runner X", "Light and fast."], original="product-page"))
    out = tmp_path / "content-import" / "product-page"
    source = readme_dag_source()
    replacements = {
        "s3://cms@content-drop/product-page.html": str(page),
        "s3://cms@content-import/product-page/": f"{out}/",
        'task_name="Product page"': f"task_name={name!r}",
        # the sensors give up (and the DAG fails) well before the test's own time limit
        "deferrable=True": "deferrable=True, poke_interval=1, timeout=DAG_DEADLINE",
        "\ntranslate_product_page()\n": "\ndag = translate_product_page()\n",
    }
    for old, new in replacements.items():
        assert old in source, f"the README's DAG changed ({old!r}); update this test"
        source = source.replace(old, new)
    path = dags_folder / "translate_product_page.py"
    path.write_text(f"DAG_DEADLINE = {DAG_DEADLINE}\n" + textwrap.dedent(source), encoding="utf-8")
    dag = runpy.run_path(str(path), run_name="t5_contract_readme")["dag"]

    with WorkflowFinisher(t5_http, job_user_guid, name, cleanup) as finisher:
        run = dag.test()
    assert not finisher.errors, finisher.errors

    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state) == "success", states
    assert sorted(p.name for p in out.iterdir()) == ["product-page_de.xliff", "product-page_fr.xliff"]
    for target in ("de", "fr"):
        text = (out / f"product-page_{target}.xliff").read_text(encoding="utf-8")
        assert "Light and fast." in text
    assert len(finisher.finished) == 2  # one task per target language went through the workflow


def roundtrip_dag(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The shipped ``translate5_cms_roundtrip``, parsed as the DAG processor does, checking every 1 s."""
    import airflow.settings as settings
    from airflow.dag_processing.dagbag import BundleDagBag

    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(EXAMPLE_DAGS))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(EXAMPLE_DAGS))
    monkeypatch.setenv("TRANSLATE5_EXAMPLE_POKE_INTERVAL", "1")  # read when the DAG file is parsed
    bag = BundleDagBag(dag_folder=str(EXAMPLE_DAGS), bundle_path=EXAMPLE_DAGS, bundle_name="dags-folder")
    assert not bag.import_errors, bag.import_errors
    return bag.dags["translate5_cms_roundtrip"]


def run_states(run: Any) -> dict[tuple[str, int], str]:
    return {(ti.task_id, ti.map_index): str(ti.state) for ti in run.get_task_instances()}


def test_cms_roundtrip_example_against_the_server(
    airflow_db: Path,
    airflow_connection: str,
    tmp_path: Path,
    t5_http: T5Http,
    job_user_guid: str,
    cleanup: Cleanup,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dag = roundtrip_dag(monkeypatch)
    marker = unique("cms")
    drop = tmp_path / "content-drop"
    (drop / "pages").mkdir(parents=True)
    item = f"pages/{marker}-about.xliff"
    # the run tag in the text makes the content (and so the DAG's foreignId) new on every run
    (drop / item).write_bytes(xliff(["About us", "We translate websites.", marker], original="about"))
    cleanup.task_name(item)
    cms_import = tmp_path / "cms-import"

    conf = {"content_drop": drop.as_uri(), "cms_import": cms_import.as_uri()}
    with WorkflowFinisher(t5_http, job_user_guid, marker, cleanup) as finisher:
        run = dag.test(run_conf=conf)
    assert not finisher.errors, finisher.errors

    assert str(run.state) == "success", run_states(run)
    for target in ("de", "fr"):
        delivered = cms_import / target / item
        assert delivered.is_file(), sorted(str(p) for p in cms_import.rglob("*"))
        assert "We translate websites." in delivered.read_text(encoding="utf-8")
    manifest = json.loads((cms_import / ".translate5-manifest.json").read_text(encoding="utf-8"))["items"]
    assert list(manifest) == [item]
    assert len(finisher.finished) == 2


def xliff_units(text: str) -> list[tuple[str, str]]:
    """``(source, target)`` of every trans-unit of an XLIFF 1.2 file (``""`` without a target)."""

    def content(element: ET.Element | None) -> str:
        return "".join(element.itertext()) if element is not None else ""

    return [
        (content(unit.find(f"{XLIFF_NS}source")), content(unit.find(f"{XLIFF_NS}target")))
        for unit in ET.fromstring(text).iter(f"{XLIFF_NS}trans-unit")
    ]


def test_cms_roundtrip_orders_a_page_changed_while_in_translation_anew(
    airflow_db: Path,
    airflow_connection: str,
    tmp_path: Path,
    t5_http: T5Http,
    job_user_guid: str,
    cleanup: Cleanup,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run 1 stops waiting for the translators; the page changes; run 2 orders the new page and ends the open
    order. translate5's reimport could not bring the new text into the open order: it never applies a
    changed source (part 2 §143-145). The delivery is, word for word, the server's translation of the NEW
    page, and nothing of the old order is ever delivered.

    The translation wait of run 1 is cut to a few seconds (as ``TRANSLATE5_EXAMPLE_TRANSLATION_WAIT`` would);
    nobody works on any task until run 2 has ordered the new page and ended the old order.
    """
    marker = unique("changed")
    drop = tmp_path / "content-drop"
    (drop / "pages").mkdir(parents=True)
    item = f"pages/{marker}-about.xliff"
    page = drop / item
    page.write_bytes(xliff(["About us", "We translate websites.", marker], original="about"))
    cleanup.task_name(item)  # the projects and their tasks carry the item's path as name
    cms_import = tmp_path / "cms-import"
    conf = {"content_drop": drop.as_uri(), "cms_import": cms_import.as_uri()}

    def manifest() -> dict[str, Any]:
        path = cms_import / ".translate5-manifest.json"
        return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}

    first_dag = roundtrip_dag(monkeypatch)
    wait = first_dag.get_task("translate.wait_for_translation")
    wait.timeout, wait.retries = 5.0, 0
    first = first_dag.test(run_conf=conf)
    assert str(first.state) == "success", run_states(first)  # the batch ends skipped, its order stays open
    assert run_states(first)[("translate.wait_for_translation", 0)] == "skipped", run_states(first)
    [old] = t5_http.tasks_where("foreignId", manifest()["open"][item]["foreign_id"], projects_only=True)

    new_units = ["About us", "We translate websites and apps.", marker]
    page.write_bytes(xliff(new_units, original="about"))

    def old_order_ended() -> bool:  # the translators start once run 2 ended the superseded order
        try:
            rows = t5_http.project_tasks(old["id"])
        except Exception:  # a busy real server: the next look may work
            return False
        return bool(rows) and all(row["state"] == "end" for row in rows)

    with WorkflowFinisher(t5_http, job_user_guid, marker, cleanup, ready=old_order_ended) as finisher:
        second = roundtrip_dag(monkeypatch).test(run_conf=conf)
    assert not finisher.errors, finisher.errors

    assert str(second.state) == "success", run_states(second)
    projects = t5_http.tasks_where("taskName", item, projects_only=True)
    [new] = [p for p in projects if str(p["id"]) != str(old["id"])]  # ordered anew, once
    ended = {(row["state"], row["workflowStepName"]) for row in t5_http.project_tasks(old["id"])}
    assert all(state == "end" and step != "workflowEnded" for state, step in ended), (
        ended
    )  # nobody worked on it
    assert len(finisher.finished) == 2  # the new order's two tasks
    after = manifest()
    assert after["items"][item]["sha256"] == hashlib.sha256(page.read_bytes()).hexdigest()
    assert str(after["items"][item]["translate5_task_id"]) == str(new["id"])
    assert "open" not in after
    assert list(after["superseded"]) == [old["foreignId"]]  # kept, so that a reverted change reopens it
    assert after["superseded"][old["foreignId"]]["ended_at"]
    for task in t5_http.project_tasks(new["id"]):
        response = t5_http.get(f"/editor/task/export/id/{task['id']}", params={"format": "filetranslation"})
        assert response.status_code == 200, response.text[:300]
        found = re.search(r"_([A-Za-z-]+)\.xliff", response.headers.get("Content-Disposition", ""))
        assert found, response.headers
        delivered = (cms_import / found.group(1) / item).read_bytes()
        assert [source for source, _ in xliff_units(delivered.decode())] == new_units  # word for word
        assert delivered == response.content  # the server's translation of the new page, as delivered
