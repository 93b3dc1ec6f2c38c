"""``make demo-features``: quote first, translate after approval, against the bundled simulator.

Runs the example DAG ``translate5_analyse_approve`` end to end: upload, import, language resources, match
analysis (word counts per match band and translate5's XML report), the approval, jobs for a translator and a
reviewer given by login, the wait for the end of the workflow, and the export into a delivery folder.

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
from typing import Any

import demo as base  # scripts/demo.py, next to this file

DAG_ID = "translate5_analyse_approve"
#: The DAG's human-in-the-loop step, answered "Approve" for the demo (see the module docstring).
APPROVAL_TASK = "approve_cost"
TARGET_LANGS = ("de", "fr")

base.DEMO = base.REPO / ".demo" / "features"
base.AIRFLOW_HOME = base.DEMO / "airflow"
base.LOGS = base.DEMO / "logs"
DELIVERY = base.DEMO / "delivery"


def run_dag(connection: str) -> None:
    env = base.airflow_env({"AIRFLOW_CONN_TRANSLATE5_DEFAULT": connection})
    log = base.LOGS / "dags-test.log"
    conf = {"delivery": DELIVERY.as_uri(), "target_langs": list(TARGET_LANGS)}
    print(f"      airflow dags test {DAG_ID} --mark-success-pattern '^{APPROVAL_TASK}$'")
    print(f"      (log: {base.relative(log)}); the approval step {APPROVAL_TASK!r} is answered 'Approve'")
    print("      for you: nobody is there to click it", flush=True)
    command = [
        sys.executable,
        "-m",
        "airflow",
        "dags",
        "test",
        DAG_ID,
        "--conf",
        json.dumps(conf),
        "--mark-success-pattern",
        f"^{APPROVAL_TASK}$",
    ]
    base.run_logged(command, log, env, base.DAG_TIMEOUT, f"airflow dags test {DAG_ID}")


def xcom(task_id: str) -> Any:
    """A task's return value, read from the demo's own Airflow database (JSON in Airflow 3)."""
    with sqlite3.connect(base.AIRFLOW_HOME / "airflow.db") as db:
        row = db.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND key = 'return_value' "
            "ORDER BY timestamp DESC LIMIT 1",
            (DAG_ID, task_id),
        ).fetchone()
    if row is None:
        message = f"the DAG ran but task {task_id!r} returned nothing"
        raise base.StepFailed(message, base.LOGS / "dags-test.log")
    value = row[0]
    return json.loads(value) if isinstance(value, str | bytes) else value


def report(base_url: str) -> None:
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


def main() -> int:
    signal.signal(signal.SIGTERM, base._interrupt)
    started = time.monotonic()
    print(f"translate5 provider demo: analyse -> approve -> translate, with DAG {DAG_ID}\n")
    simulator = base.Simulator()
    current = "start"
    try:
        current = "prepare an isolated Airflow"
        with base.step(1, 4, f"Preparing an isolated Airflow in {base.relative(base.AIRFLOW_HOME)}"):
            base.prepare_airflow()
        current = "start the translate5 simulator"
        with base.step(2, 4, "Starting the bundled translate5 simulator"):
            info = simulator.start()
            ends = f"{base.WORKFLOW_SECONDS:.0f} s after the import"
            print(f"      {info['base_url']}; its workflows end {ends}")
        current = f"run the DAG {DAG_ID}"
        with base.step(3, 4, f"Running {DAG_ID}: upload, analyse, approve, assign, wait, export"):
            run_dag(info["connection"])
        current = "stop the simulator"
        with base.step(4, 4, "Stopping the simulator"):
            simulator.stop()
        current = "show what happened"
        report(info["base_url"])
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
