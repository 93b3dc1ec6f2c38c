"""``make demo``: run the CMS -> translate5 -> CMS example DAG end to end against the bundled simulator.

Everything happens below ``.demo/`` (an isolated AIRFLOW_HOME with its own SQLite DB, the content drop, the
CMS import folder and the logs); nothing outside it is touched and nothing is left running. Each step says
what it does; if one fails, the demo names it, shows the end of its log and exits non-zero.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / ".demo"
AIRFLOW_HOME = DEMO / "airflow"
CONTENT_DROP = DEMO / "content-drop"
CMS_IMPORT = DEMO / "cms-import"
LOGS = DEMO / "logs"
EXAMPLE_DAGS = REPO / "example_dags"
SAMPLE_CONTENT = EXAMPLE_DAGS / "sample_content"
DAG_ID = "translate5_cms_roundtrip"
TARGET_LANGS = ("de", "fr")

SIMULATOR_START_TIMEOUT = 30.0
DAG_TIMEOUT = 300.0
#: Simulated human work: the translators and reviewers "finish" this many seconds after the import.
WORKFLOW_SECONDS = 3.0
LOG_TAIL_LINES = 40
#: Log lines worth repeating after a failure: error-level log records and exception messages.
ERROR_LINE = re.compile(r"\[error\s*\]|^[\w.]*(Error|Exception): ")


class StepFailed(Exception):
    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


def relative(path: Path) -> str:
    return os.path.relpath(path, Path.cwd())


@contextmanager
def step(number: int, total: int, title: str) -> Iterator[None]:
    print(f"[{number}/{total}] {title} ...", flush=True)
    started = time.monotonic()
    yield
    print(f"      done in {time.monotonic() - started:.1f} s", flush=True)


def airflow_env(extra: Mapping[str, str] = {}) -> dict[str, str]:
    """The environment every Airflow command of the demo runs with: isolated, and fast to poll."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW_", "AIRFLOW__"))}
    env.update(
        AIRFLOW_HOME=str(AIRFLOW_HOME),
        AIRFLOW__CORE__DAGS_FOLDER=str(EXAMPLE_DAGS),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        # The example DAG checks translate5 every minute while humans translate; the simulator is quicker.
        TRANSLATE5_EXAMPLE_POKE_INTERVAL="1",
    )
    env.update(extra)
    return env


def run_logged(command: list[str], log: Path, env: Mapping[str, str], timeout: float, what: str) -> None:
    with log.open("w", encoding="utf-8") as out:
        try:
            result = subprocess.run(
                command, stdout=out, stderr=subprocess.STDOUT, env=dict(env), cwd=REPO, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise StepFailed(f"{what} did not finish within {timeout:.0f} s", log) from None
    if result.returncode != 0:
        raise StepFailed(f"{what} failed (exit code {result.returncode})", log)


def prepare_airflow() -> None:
    if DEMO.exists():
        shutil.rmtree(DEMO)
    for folder in (AIRFLOW_HOME, LOGS):
        folder.mkdir(parents=True)
    airflow = [sys.executable, "-m", "airflow"]
    run_logged([*airflow, "db", "migrate"], LOGS / "db-migrate.log", airflow_env(), 300, "airflow db migrate")


def prepare_content_drop() -> list[str]:
    shutil.copytree(SAMPLE_CONTENT, CONTENT_DROP)
    items = sorted(str(p.relative_to(CONTENT_DROP)) for p in CONTENT_DROP.rglob("*") if p.is_file())
    for item in items:
        print(f"      {item}")
    return items


class Simulator:
    """The bundled translate5 simulator as a child process, always stopped on exit."""

    def __init__(self) -> None:
        self.log = LOGS / "simulator.log"
        self.process: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}

    def start(self) -> dict[str, Any]:
        command = [
            sys.executable,
            "-m",
            "airflow_provider_translate5.testing",
            "--port",
            "0",
            "--json",
            "--import-duration",
            "1",
            "--workflow-auto-finish",
            str(WORKFLOW_SECONDS),
        ]
        log = self.log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, text=True, cwd=REPO, env=airflow_env()
        )
        assert self.process.stdout is not None
        first_line: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._drain, args=(self.process.stdout, log, first_line), daemon=True).start()
        try:
            line = first_line.get(timeout=SIMULATOR_START_TIMEOUT)
        except queue.Empty:
            message = f"the simulator printed nothing within {SIMULATOR_START_TIMEOUT:.0f} s"
            raise StepFailed(message, self.log) from None
        try:
            self.info = json.loads(line)
            return self.info
        except ValueError:
            raise StepFailed(f"the simulator did not start (it printed {line.strip()!r})", self.log) from None

    @staticmethod
    def _drain(stdout: IO[str], log: IO[str], first_line: queue.Queue[str]) -> None:
        for number, line in enumerate(stdout):
            if number == 0:
                first_line.put(line)
            log.write(line)
            log.flush()
        first_line.put("")  # the process ended (possibly before printing anything)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_dag(connection: str) -> None:
    env = airflow_env(
        {
            "AIRFLOW_CONN_TRANSLATE5_DEFAULT": connection,
            # The DAG reads its folders from params or these Airflow Variables (as env vars, no DB needed).
            "AIRFLOW_VAR_TRANSLATE5_CONTENT_DROP": CONTENT_DROP.as_uri(),
            "AIRFLOW_VAR_TRANSLATE5_CMS_IMPORT": CMS_IMPORT.as_uri(),
        }
    )
    log = LOGS / "dags-test.log"
    print(f"      airflow dags test {DAG_ID}   (log: {relative(log)})", flush=True)
    command = [sys.executable, "-m", "airflow", "dags", "test", DAG_ID]
    run_logged(command, log, env, DAG_TIMEOUT, f"airflow dags test {DAG_ID}")


def excerpt(path: Path, lang: str, lines: int = 3) -> list[str]:
    """The first translated lines (the simulator marks them with "[<lang>] ")."""
    marker = f"[{lang}]"
    found = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if marker in line]
    return [line if len(line) <= 100 else line[:97] + "..." for line in found[:lines]]


def report(items: list[str]) -> None:
    """What the demo leaves behind: the delivered files. The simulator (and its translate5 projects) stopped
    before this summary, so it names projects by id only, never by a link that no longer answers."""
    manifest_path = CMS_IMPORT / ".translate5-manifest.json"
    if not manifest_path.exists():
        message = f"the DAG succeeded but wrote no manifest to {relative(CMS_IMPORT)}"
        raise StepFailed(message, LOGS / "dags-test.log")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))["items"]
    print(f"\nTranslated content was delivered to {relative(CMS_IMPORT)}/<language>/<path>:\n")
    for item in items:
        entry = manifest.get(item)
        if entry is None:
            raise StepFailed(f"{item} was not delivered", LOGS / "dags-test.log")
        project = entry["translate5_task_id"]
        print(f"  {item}   (from translate5 project {project})")
        for lang in TARGET_LANGS:
            path = CMS_IMPORT / lang / item
            if not path.exists():
                raise StepFailed(f"{relative(path)} is missing", LOGS / "dags-test.log")
            print(f"    {lang}: {relative(path)}")
            for line in excerpt(path, lang):
                print(f"        {line}")
    print(
        "\nThe simulator pseudo-translates: every translated text starts with [<language>]. Against a real"
        "\ntranslate5, translators and reviewers do that work; see docs/getting-started.md to connect one."
        "\nThe simulator stopped with the demo, its projects with it. To click through a run, its translate5"
        "\nprojects and the Airflow UI while they exist, run `make airflow` (docs/getting-started.md)."
    )


def fail(error: StepFailed, current: str) -> int:
    print(f"\nDEMO FAILED in step: {current}\n  {error}", file=sys.stderr)
    if error.log is not None and error.log.exists():
        lines = error.log.read_text(encoding="utf-8", errors="replace").splitlines()
        print(f"\nLast {min(len(lines), LOG_TAIL_LINES)} lines of {relative(error.log)}:", file=sys.stderr)
        for line in lines[-LOG_TAIL_LINES:]:
            print(f"  | {line}", file=sys.stderr)
        errors = [line.strip() for line in lines if ERROR_LINE.search(line)]
        if errors:
            # Task errors scroll out of the tail quickly (retries, teardown): repeat the last ones here.
            print("\nErrors reported in that log (most recent last):", file=sys.stderr)
            for line in dict.fromkeys(errors[-8:]):
                print(f"  ! {line[:300]}", file=sys.stderr)
    return 1


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM too: run the cleanup below instead of dying with children left behind


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    print(f"translate5 provider demo: CMS content -> translate5 (simulated) -> CMS, with DAG {DAG_ID}\n")
    simulator = Simulator()
    current = "start"
    try:
        current = "prepare an isolated Airflow"
        with step(1, 5, f"Preparing an isolated Airflow in {relative(AIRFLOW_HOME)} (airflow db migrate)"):
            prepare_airflow()
        current = "prepare the content drop"
        with step(2, 5, f"Filling the content drop {relative(CONTENT_DROP)} with sample CMS content"):
            items = prepare_content_drop()
        current = "start the translate5 simulator"
        with step(3, 5, "Starting the bundled translate5 simulator"):
            info = simulator.start()
            print(f"      {info['base_url']}; its workflows end {WORKFLOW_SECONDS:.0f} s after the import")
        current = f"run the DAG {DAG_ID}"
        with step(4, 5, f"Running {DAG_ID}: upload, wait for import and workflow, export, deliver"):
            run_dag(info["connection"])
        current = "stop the simulator"
        with step(5, 5, "Stopping the simulator"):
            simulator.stop()
        current = "check the delivered files"
        report(items)
    except StepFailed as error:
        return fail(error, current)
    except KeyboardInterrupt:
        print(f"\nInterrupted during: {current}. Stopped everything the demo started.", file=sys.stderr)
        return 130
    finally:
        simulator.stop()
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s. Logs: {relative(LOGS)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
