"""``make demo-features``: the example DAGs of the localization team features, against the bundled simulator.

Runs two example DAGs end to end, one after the other, against one simulator:

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

It reuses the plumbing of ``scripts/demo.py`` (isolated AIRFLOW_HOME, simulator child process, step output,
failure report) below ``.demo/features/``; nothing outside it is touched and nothing is left running.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import time
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


def log_of(dag_id: str) -> Path:
    return base.LOGS / f"dags-test-{dag_id}.log"


def run_dag(connection: str, dag_id: str, conf: dict[str, Any], *options: str) -> None:
    env = base.airflow_env({"AIRFLOW_CONN_TRANSLATE5_DEFAULT": connection})
    log = log_of(dag_id)
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


def report(base_url: str) -> None:
    print(f"\n== {DAG_ID} ==")
    analysis = xcom("analyse")
    upload = xcom("upload")
    print(f"\nMatch analysis the approver saw ({analysis['unit_type']}s, summed over the project's tasks):\n")
    for band, count in analysis["bands"].items():
        if count:
            print(f"  {band:>8}: {count:8.0f}")
    print(f"  {'total':>8}: {analysis['total']:8.0f}")
    print("\nReports from translate5:")
    for uri in analysis.get("reports", []):
        print(f"  {uri}")
    project = upload["id"]
    print(f"\nApproved -> translator1 and reviewer1 got their jobs on project {project}")
    print(f"  ({base_url}/editor/#project/{project}/focus); the simulator ended the workflow for them.")
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


def report_batch(base_url: str) -> None:
    print(f"\n== {BATCH_DAG_ID} ==")
    uploads = xcoms(BATCH_DAG_ID, "upload")
    print(f"\n{len(uploads)} pages ordered for customer 1000 (ACME Content Team), a project each:")
    for upload in uploads:
        project = upload["id"]
        print(f"  {upload['taskName']}: project {project} ({base_url}/editor/#project/{project}/focus)")
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
        with base.step(1, 5, f"Preparing an isolated Airflow in {base.relative(base.AIRFLOW_HOME)}"):
            base.prepare_airflow()
        current = "start the translate5 simulator"
        with base.step(2, 5, "Starting the bundled translate5 simulator"):
            info = simulator.start()
            ends = f"{base.WORKFLOW_SECONDS:.0f} s after the import"
            print(f"      {info['base_url']}; its workflows end {ends}")
        current = f"run the DAG {DAG_ID}"
        with base.step(3, 5, f"Running {DAG_ID}: upload, analyse, approve, assign, wait, export"):
            run_analyse_approve(info["connection"])
        current = f"run the DAG {BATCH_DAG_ID}"
        with base.step(4, 5, f"Running {BATCH_DAG_ID}: pages, pre-translate, staff, wait, batch export"):
            run_pretranslate_batch_export(info["connection"])
        current = "stop the simulator"
        with base.step(5, 5, "Stopping the simulator"):
            simulator.stop()
        current = "show what happened"
        report(info["base_url"])
        report_batch(info["base_url"])
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
