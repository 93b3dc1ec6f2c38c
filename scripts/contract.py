"""``make contract``: run the contract suite (tests/contract) against a translate5.

With ``TRANSLATE5_CONTRACT_URL`` and ``TRANSLATE5_CONTRACT_TOKEN`` set, the suite runs against that server
(e.g. your staging translate5). Without a URL, the bundled simulator is started on a free 127.0.0.1 port, the
suite runs against it, and the simulator is stopped again by its PID, whatever the outcome. Arguments are
passed on to pytest (``make contract ARGS="-k export -x"``, or a file of the suite to run only that one).

``TRANSLATE5_CONTRACT_SIMULATOR_ARGS`` adds flags to the simulator, e.g. real-server timing
(``"--import-duration 10 --export-duration 3"``) to check that no test depends on a fast import.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "tests" / "contract"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def run_suite(env: dict[str, str], args: Sequence[str]) -> int:
    """pytest on the whole suite, or on the files/tests of it named in ``args``."""
    named = any(not arg.startswith("-") and (REPO / arg.split("::", 1)[0]).exists() for arg in args)
    paths = [] if named else [str(SUITE.relative_to(REPO))]
    command = [sys.executable, "-m", "pytest", *paths, "-p", "no:cacheprovider", *args]
    suite = subprocess.Popen(command, cwd=REPO, env=env)
    try:
        return suite.wait()
    finally:
        stop(suite)  # only still running when this script is being stopped


def start_simulator() -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start ``python -m airflow_provider_translate5.testing --json``; returns it and the suite's settings."""
    command = [sys.executable, "-m", "airflow_provider_translate5.testing", "--json", "--host", "127.0.0.1"]
    command += shlex.split(os.environ.get("TRANSLATE5_CONTRACT_SIMULATOR_ARGS", ""))
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(START_TIMEOUT)
    if not line or not line[0].strip():
        stop(process)
        raise SystemExit(f"the simulator did not start within {START_TIMEOUT:.0f} s")
    info = json.loads(line[0])
    settings = {
        "TRANSLATE5_CONTRACT_URL": str(info["base_url"]),
        "TRANSLATE5_CONTRACT_TOKEN": str(info["token"]),
    }
    if info.get("user_token"):  # an editor (translator1): the suite also runs the assigned user's steps
        settings["TRANSLATE5_CONTRACT_USER_TOKEN"] = str(info["user_token"])
    return process, settings


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # runs the ``finally`` that stops the simulator


def main(args: Sequence[str]) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    env = dict(os.environ)
    if env.get("TRANSLATE5_CONTRACT_URL", "").strip():
        print(f"contract suite against {env['TRANSLATE5_CONTRACT_URL']}", flush=True)
        return run_suite(env, args)
    process, settings = start_simulator()
    url = settings["TRANSLATE5_CONTRACT_URL"]
    print(f"contract suite against the bundled simulator at {url} (pid {process.pid})", flush=True)
    try:
        env.pop("TRANSLATE5_CONTRACT_USER_TOKEN", None)  # a token of another server means nothing here
        env.update(settings)
        return run_suite(env, args)
    finally:
        stop(process)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
