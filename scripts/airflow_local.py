"""``make airflow``: the Airflow UI on 127.0.0.1 with the translate5 simulator and the example DAGs, ready.

Starts the bundled translate5 simulator (workflows finish by themselves shortly after the import, as if
translators and reviewers were very fast), creates the ``translate5_default`` connection, fills the content
drop with sample CMS content, and runs ``airflow standalone`` (API server and UI, scheduler, DAG processor,
triggerer) with the example DAGs and short poll intervals. Then it prints the UI address and the login.
Ctrl-C stops everything it started. State lives in ``.airflow-local/`` (delete it for a fresh start).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_services import (
    LOOPBACK,
    Service,
    ServiceError,
    Services,
    free_port,
    http_ok,
    start_simulator,
    tail,
    wait_until,
)

REPO = Path(__file__).resolve().parent.parent
HOME = REPO / ".airflow-local"
LOGS = HOME / "logs-local"
EXAMPLE_DAGS = REPO / "example_dags"
SAMPLE_CONTENT = EXAMPLE_DAGS / "sample_content"
CONTENT_DROP = HOME / "content-drop"
CMS_IMPORT = HOME / "cms-import"
EXPORTS = HOME / "exports"
#: The simulated translators and reviewers finish this many seconds after the import.
WORKFLOW_SECONDS = 30.0
IMPORT_SECONDS = 2.0
#: Seconds between status checks of the example sensors (their defaults are minutes).
POKE_INTERVAL = 5
PORT = int(os.environ.get("AIRFLOW_PORT", "8080"))
PASSWORDS = HOME / "simple_auth_manager_passwords.json.generated"


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__"))}
    # `airflow standalone` starts its components as `airflow ...` commands: this virtualenv's, first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        AIRFLOW_HOME=str(HOME),
        AIRFLOW__CORE__DAGS_FOLDER=str(EXAMPLE_DAGS),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__API__HOST=LOOPBACK,
        AIRFLOW__API__PORT=str(PORT),
        AIRFLOW__API__BASE_URL=f"http://{LOOPBACK}:{PORT}",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://{LOOPBACK}:{PORT}/execution/",
        # Shows the UI's "Test" button (see docs/getting-started.md for its caveat on Airflow 3.3.2).
        AIRFLOW__CORE__TEST_CONNECTION="Enabled",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="10",
        # LocalExecutor starts one worker process per parallelism slot (default 32: 43 processes, ~6 GB RSS on
        # a 2-core machine). The examples never run more than a few task instances at once; deferred waits sit
        # in the triggerer, not in a slot.
        AIRFLOW__CORE__PARALLELISM=os.environ.get("AIRFLOW__CORE__PARALLELISM", "4"),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        # The examples' folders, as Airflow Variables (environment form: no database round trip).
        AIRFLOW_VAR_TRANSLATE5_CONTENT_DROP=CONTENT_DROP.as_uri(),
        AIRFLOW_VAR_TRANSLATE5_CMS_IMPORT=CMS_IMPORT.as_uri(),
        AIRFLOW_VAR_TRANSLATE5_EXPORT_FOLDER=EXPORTS.as_uri(),
        AIRFLOW_VAR_TRANSLATE5_INSTANT_CONTENT_DROP=CONTENT_DROP.as_uri(),
        AIRFLOW_VAR_TRANSLATE5_INSTANT_CMS_IMPORT=(HOME / "instant-import").as_uri(),
        TRANSLATE5_EXAMPLE_POKE_INTERVAL=str(POKE_INTERVAL),
    )
    return env


def airflow(env: dict[str, str], *args: str) -> None:
    import subprocess

    log = LOGS / "cli.log"
    with log.open("ab") as out:
        result = subprocess.run([sys.executable, "-m", "airflow", *args], env=env, stdout=out, stderr=out)
    if result.returncode != 0:
        raise ServiceError(f"airflow {' '.join(args[:2])} failed; end of {log}:\n{tail(log)}")


def prepare_content() -> None:
    CONTENT_DROP.mkdir(parents=True, exist_ok=True)
    if not any(CONTENT_DROP.rglob("*")):
        shutil.copytree(SAMPLE_CONTENT, CONTENT_DROP, dirs_exist_ok=True)
    for folder in (CMS_IMPORT, EXPORTS):
        folder.mkdir(parents=True, exist_ok=True)


def login() -> str:
    """The admin login Airflow's simple auth manager generated on its first start."""
    if PASSWORDS.exists():
        passwords = json.loads(PASSWORDS.read_text(encoding="utf-8"))
        return ", ".join(f"{user} / {password}" for user, password in passwords.items())
    return f"see {PASSWORDS}"


def main() -> int:
    HOME.mkdir(exist_ok=True)
    LOGS.mkdir(exist_ok=True)
    env = environment()
    services = Services()
    try:
        with services.running():
            print("Starting the translate5 simulator ...", flush=True)
            sim = start_simulator(
                services,
                LOGS / "simulator.log",
                import_seconds=IMPORT_SECONDS,
                workflow_seconds=WORKFLOW_SECONDS,
            )
            print(f"Preparing Airflow in {HOME.relative_to(REPO)} (airflow db migrate) ...", flush=True)
            airflow(env, "db", "migrate")
            # In the metadata DB (not an environment variable), so it shows under Admin -> Connections.
            _replace_connection(env, sim["connection"])
            prepare_content()
            print(
                "Starting airflow standalone (API server, scheduler, DAG processor, triggerer) ...",
                flush=True,
            )
            services.start(
                Service(
                    "airflow standalone",
                    [sys.executable, "-m", "airflow", "standalone"],
                    LOGS / "standalone.log",
                    env,
                    # Not the repository root: there the editable install's *.egg-info is importable too, so
                    # Airflow would see the provider's plugin entry point twice ("already registered").
                    cwd=HOME,
                )
            )
            url = f"http://{LOOPBACK}:{PORT}"
            wait_until("the Airflow UI", lambda: http_ok(f"{url}/api/v2/version"), 240, services)
            wait_until("the login", PASSWORDS.exists, 60, services)
            drop = CONTENT_DROP.relative_to(REPO)
            print(
                f"""
Airflow is running: {url}
  login:                 {login()}
  translate5 simulator:  {sim["base_url"]} (connection translate5_default; workflows end by themselves
                         {WORKFLOW_SECONDS:.0f} s after the import)
  content drop:          {drop}/ (sample CMS content)
  translations arrive in {CMS_IMPORT.relative_to(REPO)}/<language>/
  logs:                  {LOGS.relative_to(REPO)}/ (Airflow's own: {HOME.relative_to(REPO)}/logs/)

Open the DAG translate5_cms_roundtrip, press "Trigger" and watch it: the waits for the import and the
translation are deferred to the triggerer; after about a minute the translations are delivered.
translate5_asset_translate (trigger it with {{"sources": ["file://{drop.resolve()}/pages/about-us.html"]}})
shows the extra link "translate5 task" on its upload task instance (Details tab, "Extra Links").
Test the connection in a shell (the UI's Test button fails on Airflow 3.3.2, see docs/getting-started.md):
  export AIRFLOW_HOME=.airflow-local AIRFLOW__CORE__TEST_CONNECTION=Enabled
  .venv/bin/airflow connections test translate5_default
Press Ctrl-C to stop everything.""",
                flush=True,
            )
            while True:
                services.check_alive()
                time.sleep(2)
    except ServiceError as error:
        print(f"\nmake airflow failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped Airflow and the simulator.")
    return 0


def _replace_connection(env: dict[str, str], connection_json: str) -> None:
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "airflow", "connections", "delete", "translate5_default"],
        env=env,
        capture_output=True,
    )
    airflow(env, "connections", "add", "translate5_default", "--conn-json", connection_json)


if __name__ == "__main__":
    raise SystemExit(main())
