"""``make demo-features``: the example DAGs of the localization team features, against the bundled simulator.

Runs the example DAGs of the features end to end, one after the other, against one simulator:

``translate5_analyse_approve`` - quote first, translate after approval: upload, import, language resources,
match analysis (word counts per match band and translate5's XML report), the approval, jobs for a translator
and a reviewer given by login, the wait for the end of the workflow, and the export into a delivery folder.

``translate5_pretranslate_batch_export`` - several pages in one run: a project per page for the customer
"ACME Content Team", language resources by name, pre-translation, the customer's default jobs, deadlines for
the translator and the reviewer, the wait for the end of the workflows, and one queued batch export of all
tasks into a delivery folder.

The approval is a human-in-the-loop step: in a real Airflow a person clicks "Approve" in the UI. Nobody is
there to click in a demo, so the run marks that one step successful - which is exactly what an approval does
for the steps after it - with ``airflow dags test --mark-success-pattern '^approve_cost$'``. Everything else
runs for real. The demo prints the word counts the approver would have seen and where the files landed.

Last, the CMS roundtrip runs twice on one XLIFF page: run 1 orders it and stops waiting after 5 s
(``TRANSLATE5_EXAMPLE_TRANSLATION_WAIT``), leaving the order open; the page changes; run 2 orders the new
page and ends the open order (superseded: never delivered). The simulated translators start only once the
old order is ended, and the demo checks the delivery against the new page, unit by unit.

It reuses the plumbing of ``scripts/demo.py`` (isolated AIRFLOW_HOME, simulator child process, step output,
failure report) below ``.demo/features/``; nothing outside it is touched and nothing is left running.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
import sys
import threading
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import demo as base  # scripts/demo.py, next to this file

DAG_ID = "translate5_analyse_approve"
#: The DAG's human-in-the-loop step, answered "Approve" for the demo (see the module docstring).
APPROVAL_TASK = "approve_cost"
TARGET_LANGS = ("de", "fr")
BATCH_DAG_ID = "translate5_pretranslate_batch_export"

base.DEMO = base.REPO / ".demo" / "features"
base.AIRFLOW_HOME = base.DEMO / "airflow"
base.LOGS = base.DEMO / "logs"
DELIVERY = base.DEMO / "delivery"
BATCH_DELIVERY = base.DEMO / "batch-delivery"
ROUNDTRIP_DAG_ID = "translate5_cms_roundtrip"
CHANGE_DROP = base.DEMO / "changed-page" / "content-drop"
CHANGE_CMS = base.DEMO / "changed-page" / "cms-import"
XLIFF_ITEM = "products/trail-runner-x.xliff"
#: What the CMS changes in the page while it is in translation.
CMS_EDIT = ("Add to cart", "Add to basket")
XLIFF_NS = "{urn:oasis:names:tc:xliff:document:1.2}"


def log_of(dag_id: str) -> Path:
    return base.LOGS / f"dags-test-{dag_id}.log"


def run_dag(
    connection: str,
    dag_id: str,
    conf: dict[str, Any],
    *options: str,
    log: Path | None = None,
    env_extra: dict[str, str] | None = None,
) -> None:
    env = base.airflow_env({"AIRFLOW_CONN_TRANSLATE5_DEFAULT": connection, **(env_extra or {})})
    log = log or log_of(dag_id)
    print(f"      airflow dags test {dag_id} {' '.join(options)}".rstrip())
    print(f"      (log: {base.relative(log)})", flush=True)
    command = [sys.executable, "-m", "airflow", "dags", "test", dag_id, "--conf", json.dumps(conf), *options]
    base.run_logged(command, log, env, base.DAG_TIMEOUT, f"airflow dags test {dag_id}")


def run_analyse_approve(connection: str) -> None:
    conf = {"delivery": DELIVERY.as_uri(), "target_langs": list(TARGET_LANGS)}
    print(
        f"      The approval step {APPROVAL_TASK!r} is answered 'Approve' for you: nobody is there to click"
    )
    run_dag(connection, DAG_ID, conf, "--mark-success-pattern", f"^{APPROVAL_TASK}$")


def run_pretranslate_batch_export(connection: str) -> None:
    conf = {"delivery": BATCH_DELIVERY.as_uri(), "target_langs": list(TARGET_LANGS)}
    run_dag(connection, BATCH_DAG_ID, conf)


def simulator(base_url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """The simulator's control API (``/_simulator``): knobs and the request log."""
    data = None if body is None else json.dumps(body).encode()
    url = f"{base_url}/_simulator{path}"
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (http on loopback only)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (http on loopback only)
        text = answer.read()
    return json.loads(text) if text.strip() else None


def requests_to(base_url: str, pattern: str) -> int:
    """How many requests since the scene began matched ``METHOD path`` (ids in paths as digits)."""
    counts = simulator(base_url, "GET", "/requests")["counts"]
    return sum(n for key, n in counts.items() if re.fullmatch(pattern, key))


def ended_tasks(info: dict[str, Any]) -> list[int]:
    """The ids of the translate5 tasks in state ``end``, asked through translate5's API like any client."""
    from airflow_provider_translate5.client import Translate5Client

    with Translate5Client(info["base_url"], info["token"]) as t5:
        return sorted(task.id for task in t5.iter_tasks() if task.state == "end")


def run_changed_page_scene(info: dict[str, Any]) -> tuple[int, list[int]]:
    """The CMS roundtrip twice: run 1 stops waiting and leaves its order open; the page changes; run 2 orders
    the new page and ends the open order. The simulated translators start only once it is ended.

    Returns how many orders (``POST /editor/task``) the two runs placed, and the tasks ended.
    """
    connection, base_url = info["connection"], info["base_url"]
    (CHANGE_DROP / XLIFF_ITEM).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(base.SAMPLE_CONTENT / XLIFF_ITEM, CHANGE_DROP / XLIFF_ITEM)
    conf = {"content_drop": CHANGE_DROP.as_uri(), "cms_import": CHANGE_CMS.as_uri()}
    simulator(base_url, "DELETE", "/requests")
    simulator(base_url, "POST", "/knobs", {"workflow_auto_finish": None})  # the translators take their time
    print(f"      run 1: orders {XLIFF_ITEM}; waits 5 s for the translators, then leaves the order open")
    wait_briefly = {"TRANSLATE5_EXAMPLE_TRANSLATION_WAIT": "5"}
    run_dag(connection, ROUNDTRIP_DAG_ID, conf, log=log_of("roundtrip-run-1"), env_extra=wait_briefly)
    page = CHANGE_DROP / XLIFF_ITEM
    page.write_text(page.read_text(encoding="utf-8").replace(*CMS_EDIT), encoding="utf-8")
    print(f"      the CMS changes the page while it is in translation: {CMS_EDIT[0]!r} -> {CMS_EDIT[1]!r}")

    def translators() -> None:  # work once the superseded order (both its tasks) is ended
        deadline = time.monotonic() + base.DAG_TIMEOUT
        while time.monotonic() < deadline:
            if len(ended_tasks(info)) >= len(TARGET_LANGS):
                break
            time.sleep(0.5)
        simulator(base_url, "POST", "/knobs", {"workflow_auto_finish": 1.0})

    watcher = threading.Thread(target=translators, daemon=True)
    watcher.start()
    print("      run 2: orders the new page, ends the open order (superseded), waits, delivers")
    run_dag(connection, ROUNDTRIP_DAG_ID, conf, log=log_of("roundtrip-run-2"))
    watcher.join(timeout=10)
    return requests_to(base_url, r"POST /editor/task"), ended_tasks(info)


def units(path: Path) -> list[tuple[str, str]]:
    """``(source, target)`` of every trans-unit of an XLIFF 1.2 file."""
    import xml.etree.ElementTree as ET

    def text(element: Any) -> str:
        return "".join(element.itertext()) if element is not None else ""

    root = ET.fromstring(path.read_bytes())  # noqa: S314 (the demo's own delivery, written just now)
    return [
        (text(unit.find(f"{XLIFF_NS}source")), text(unit.find(f"{XLIFF_NS}target")))
        for unit in root.iter(f"{XLIFF_NS}trans-unit")
    ]


def report_changed_page(orders: int, ended: list[int]) -> None:
    print(f"\n== {ROUNDTRIP_DAG_ID}: a page that changes while in translation ==\n")
    manifest = json.loads((CHANGE_CMS / ".translate5-manifest.json").read_text(encoding="utf-8"))
    entry, log = manifest["items"].get(XLIFF_ITEM), log_of("roundtrip-run-2")
    left = [key for key, order in manifest.get("superseded", {}).items() if not order.get("ended_at")]
    if entry is None or "open" in manifest or left or orders != 2:
        message = f"{XLIFF_ITEM} was not delivered from a new order after the change ({orders} orders placed)"
        raise base.StepFailed(message, log)
    print(f"translate5 orders for {XLIFF_ITEM}: {orders}. Run 2 ordered the new page (project")
    print(f"{entry['translate5_task_id']}) and ended the tasks of the open order, which held the old page")
    print(f"({', '.join(map(str, ended))}: superseded, never delivered). A reimport could not have updated")
    print("that order: translate5 never applies a changed source. Delivered, unit by unit the translation")
    print("of the new page:")
    sources = [source for source, _ in units(CHANGE_DROP / XLIFF_ITEM)]
    for lang in TARGET_LANGS:
        path = CHANGE_CMS / lang / XLIFF_ITEM
        if units(path) != [(source, f"[{lang}] {source}") for source in sources]:
            raise base.StepFailed(f"{base.relative(path)} is not the translation of the new page", log)
        print(f"  {base.relative(path)}")
        for line in base.excerpt(path, lang, lines=6):
            if CMS_EDIT[1] in line:
                print(f"      {line}")


def xcoms(dag_id: str, task_id: str) -> list[Any]:
    """A task's return values (one per mapped instance), read from the demo's own Airflow database."""
    with sqlite3.connect(base.AIRFLOW_HOME / "airflow.db") as db:
        rows = db.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND key = 'return_value' "
            "ORDER BY map_index",
            (dag_id, task_id),
        ).fetchall()
    if not rows:
        message = f"the DAG ran but task {task_id!r} returned nothing"
        raise base.StepFailed(message, log_of(dag_id))
    return [json.loads(value) if isinstance(value, str | bytes) else value for (value,) in rows]


def xcom(task_id: str, dag_id: str = DAG_ID) -> Any:
    """The return value of an unmapped task (the demo's database holds one run per DAG)."""
    return xcoms(dag_id, task_id)[0]


def report() -> None:
    print(f"\n== {DAG_ID} ==")
    analysis = xcom("analyse")
    upload = xcom("upload")
    print(f"\nMatch analysis the approver saw ({analysis['unit_type']}s, summed over the project's tasks):\n")
    for band, count in analysis["bands"].items():
        if count:
            print(f"  {band:>8}: {count:8.0f}")
    print(f"  {'total':>8}: {analysis['total']:8.0f}")
    cost = analysis.get("cost")
    if cost:
        print(f"\nEstimated cost the approver saw ({cost['currency']}, the DAG's rates per band):\n")
        for line in cost["lines"]:
            print(f"  {line['band']:>8}: {line['units']:8} x {line['rate']} = {line['amount']}")
        print(f"  {'total':>8}: {cost['total']}")
    print("\nReports from translate5:")
    for uri in analysis.get("reports", []):
        print(f"  {uri}")
    project = upload["id"]
    print(f"\nApproved -> translator1 and reviewer1 got their jobs on project {project};")
    print("  the simulator ended the workflow for them.")
    delivered = sorted(
        p for p in DELIVERY.rglob("*") if p.is_file() and "reports" not in p.relative_to(DELIVERY).parts
    )
    if len(delivered) < len(TARGET_LANGS):
        raise base.StepFailed(f"expected a file per target language in {base.relative(DELIVERY)}", None)
    print(f"\nTranslated files delivered to {base.relative(DELIVERY)}:")
    for path in delivered:
        print(f"  {base.relative(path)}")
    print(
        "\nIn `make airflow` (or your Airflow) the run stops at 'approve_cost' until someone answers it"
        "\nin the UI (Required actions); 'Reject', or no answer within three days, skips everything after it."
    )


def report_batch() -> None:
    print(f"\n== {BATCH_DAG_ID} ==")
    uploads = xcoms(BATCH_DAG_ID, "upload")
    print(f"\n{len(uploads)} pages ordered for customer 1000 (ACME Content Team), a project each:")
    for upload in uploads:
        project = upload["id"]
        print(f"  {upload['task_name']}: project {project}")
    pretranslated = xcoms(BATCH_DAG_ID, "pretranslate")
    resources = sorted({r["name"] for p in pretranslated for t in p["tasks"] for r in t["resources"]})
    tasks = sum(len(p["task_ids"]) for p in pretranslated)
    print(f"\nPre-translated {tasks} tasks with {', '.join(resources)} (100 % TM matches, MT for the rest).")
    print("\nThe customer's default jobs, with this order's deadlines:")
    for step in ("translation_deadline", "review_deadline"):
        jobs = [job for per_page in xcoms(BATCH_DAG_ID, step) for job in per_page]
        due = sorted({job["deadline_date"] for job in jobs})
        print(f"  {jobs[0]['workflow_step_name']:>11}: {len(jobs)} jobs, due {', '.join(due)}")
    export = xcom("deliver", BATCH_DAG_ID)
    if export["mode"] != "queued" or len(export["files"]) != tasks:
        message = f"expected one queued batch export of {tasks} tasks, got {export['mode']} {export['files']}"
        raise base.StepFailed(message, log_of(BATCH_DAG_ID))
    print("\nOne queued batch export delivered a ZIP per task (<task id>-<task name>.zip) to")
    print(f"{base.relative(BATCH_DELIVERY)}, each holding the task's translated file:")
    for path in sorted(BATCH_DELIVERY.glob("*.zip"), key=lambda p: int(p.name.split("-", 1)[0])):
        with zipfile.ZipFile(path) as archive:
            inside = ", ".join(name for name in archive.namelist() if not name.endswith("/"))
        print(f"  {path.name:<36} {inside}")


def main() -> int:
    signal.signal(signal.SIGTERM, base._interrupt)
    started = time.monotonic()
    print(
        f"translate5 provider demo: the localization team features, with DAGs {DAG_ID} and {BATCH_DAG_ID}\n"
    )
    simulator = base.Simulator()
    current = "start"
    try:
        current = "prepare an isolated Airflow"
        with base.step(1, 6, f"Preparing an isolated Airflow in {base.relative(base.AIRFLOW_HOME)}"):
            base.prepare_airflow()
        current = "start the translate5 simulator"
        with base.step(2, 6, "Starting the bundled translate5 simulator"):
            info = simulator.start()
            ends = f"{base.WORKFLOW_SECONDS:.0f} s after the import"
            print(f"      {info['base_url']}; its workflows end {ends}")
        current = f"run the DAG {DAG_ID}"
        with base.step(3, 6, f"Running {DAG_ID}: upload, analyse, approve, assign, wait, export"):
            run_analyse_approve(info["connection"])
        current = f"run the DAG {BATCH_DAG_ID}"
        with base.step(4, 6, f"Running {BATCH_DAG_ID}: pages, pre-translate, staff, wait, batch export"):
            run_pretranslate_batch_export(info["connection"])
        current = f"run the DAG {ROUNDTRIP_DAG_ID} twice (a changed page)"
        with base.step(5, 6, f"Running {ROUNDTRIP_DAG_ID} twice: a page changes while in translation"):
            orders, ended = run_changed_page_scene(info)
        current = "stop the simulator"
        with base.step(6, 6, "Stopping the simulator"):
            simulator.stop()
        current = "show what happened"
        report()
        report_batch()
        report_changed_page(orders, ended)
    except base.StepFailed as error:
        return base.fail(error, current)
    except KeyboardInterrupt:
        print(f"\nInterrupted during: {current}. Stopped everything the demo started.", file=sys.stderr)
        return 130
    finally:
        simulator.stop()
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s. Logs: {base.relative(base.LOGS)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
