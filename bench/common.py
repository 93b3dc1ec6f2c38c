"""What every benchmark needs: the simulator as a separate process, child-process measurement, statistics.

The simulator runs out of process so that its CPU time and memory never show up in the measured process;
it is driven through its ``/_simulator`` control API. Children are measured with ``os.wait4``, which gives
the peak RSS of exactly that child (not of every child ever reaped, like ``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / ".bench"
RESULTS_DIR = BENCH_DIR / "results"
DOCS = REPO / "docs"
IMG_DIR = DOCS / "img"
PYTHON = sys.executable
MIB = 1 << 20


def scratch(name: str) -> Path:
    """A fresh, empty folder under ``.bench/`` (its old content is removed)."""
    path = BENCH_DIR / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@contextlib.contextmanager
def memory_sink(name: str) -> Iterator[Path]:
    """A scratch folder on tmpfs (``/dev/shm``) when there is one, else under ``.bench/``; always removed.

    This machine's virtual disk writes at about 100 MB/s even into the page cache, slower than loopback
    HTTP: transfers written to it would measure the disk, not the client. tmpfs pages are not part of
    any process's RSS, so memory figures are unaffected.
    """
    shm = Path("/dev/shm")
    base = (
        shm
        if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 4 << 30
        else BENCH_DIR
    )
    path = base / f"translate5-bench-{name}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def airflow_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    """Environment for child processes that import Airflow: an isolated AIRFLOW_HOME under ``.bench/``."""
    home = home or BENCH_DIR / "airflow-home"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        PYTHONDONTWRITEBYTECODE="",
    )
    env.update(extra)
    return env


# ----- the simulator process -------------------------------------------------------------------------------


class SimulatorProcess:
    """``python -m airflow_provider_translate5.testing`` in its own process group, stopped on exit."""

    def __init__(self, *args: str, tmp: Path | None = None) -> None:
        self.args = list(args)
        self.tmp = tmp or BENCH_DIR / "simulator-tmp"
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.token = ""
        self.connection = ""

    def __enter__(self) -> SimulatorProcess:
        self.tmp.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, TMPDIR=str(self.tmp))  # uploads and task files land under .bench/
        cmd = [PYTHON, "-m", "airflow_provider_translate5.testing", "--port", "0", "--json", *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, start_new_session=True)
        assert self.proc.stdout is not None
        line = _readline_with_timeout(self.proc, 30.0)
        info = json.loads(line)
        self.base_url, self.token, self.connection = info["base_url"], info["token"], info["connection"]
        return self

    def __exit__(self, *exc: object) -> None:
        stop_process_group(self.proc)
        self.proc = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def control(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base_url}/_simulator{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read() or b"null")

    def knobs(self, **knobs: Any) -> None:
        self.control("POST", "/knobs", knobs)

    def request_counts(self) -> dict[str, int]:
        """Requests per ``METHOD path`` since the last :meth:`clear_requests`."""
        return dict(self.control("GET", "/requests")["counts"])

    def request_total(self) -> int:
        return sum(self.request_counts().values())

    def clear_requests(self) -> None:
        self.control("DELETE", "/requests")

    def reset(self) -> None:
        """Delete every task (and its files), session, fault and the request log."""
        self.control("POST", "/reset")

    def finish_workflow(self, task_id: int) -> None:
        self.control("POST", f"/tasks/{task_id}/finish_workflow")

    def client(self) -> Any:
        from airflow_provider_translate5.client import Translate5Client

        return Translate5Client(self.base_url, self.token)


def _readline_with_timeout(proc: subprocess.Popen[str], timeout: float) -> str:
    box: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not box or not box[0].strip():
        stop_process_group(proc)
        raise RuntimeError("the simulator did not start (no JSON line on stdout)")
    return box[0]


def stop_process_group(proc: subprocess.Popen[Any] | None, grace: float = 10.0) -> None:
    """SIGTERM the group a child leads (it was started with ``start_new_session``), then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


# ----- measured child processes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRun:
    """One finished child: wall time seen from outside, its own peak RSS, what it printed."""

    wall: float
    max_rss: int  # bytes
    cpu: float  # user + system seconds of the child
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The last line of stdout as JSON (children report their own timings that way)."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        if self.returncode != 0 or not lines:
            raise RuntimeError(f"child failed (exit {self.returncode}):\n{self.stderr[-3000:]}")
        return json.loads(lines[-1])


def run_child(
    cmd: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 600.0
) -> ChildRun:
    """Run a command; peak RSS from ``wait4`` is that child's alone (its own children are not included)."""
    out_dir = BENCH_DIR / "child-io"
    out_dir.mkdir(parents=True, exist_ok=True)
    with (
        (out_dir / "stdout").open("w+") as out,
        (out_dir / "stderr").open("w+") as err,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=dict(env or os.environ))
        timer = threading.Timer(timeout, lambda: _kill_quietly(proc.pid))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return ChildRun(wall, usage.ru_maxrss * 1024, cpu, proc.returncode, out.read(), err.read())


def _kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# ----- statistics ------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def spread(values: Sequence[float]) -> tuple[float, float]:
    """(min, max): with few runs, the range says more than a standard deviation."""
    return (min(values), max(values)) if values else (float("nan"), float("nan"))


def mib(value: float) -> float:
    return value / MIB


def human_size(size: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


# ----- facts about the machine -----------------------------------------------------------------------------


def machine_facts() -> dict[str, str]:
    """What a reader needs to compare figures across machines."""
    import psutil

    facts = {
        "cpus (nproc)": str(os.cpu_count()),
        "memory": f"{psutil.virtual_memory().total / (1 << 30):.1f} GiB",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "airflow": _version("apache-airflow"),
        "provider": _version("airflow-provider-translate5"),
        "requests": _version("requests"),
        "requests-toolbelt": _version("requests-toolbelt"),
        "curl": (
            subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split() or ["?"]
        )[1]
        if shutil.which("curl")
        else "not installed",
    }
    load = os.getloadavg()
    facts["load average at the end (1/5/15 min)"] = f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu model"] = line.split(":", 1)[1].strip()
                break
    return facts


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def code_version() -> str:
    """The last commit that changed the provider or the example DAGs; whether they have uncommitted changes.

    Commits that touch only other files (benchmarks, docs, tests) do not change what is measured.
    """

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    if os.environ.get("BENCH_CODE_VERSION"):  # a snapshot without .git (git archive) names its commit
        return os.environ["BENCH_CODE_VERSION"]
    code = ("--", "airflow_provider_translate5", "example_dags")
    commit = git("log", "-1", "--format=%h", *code) or "unknown"
    dirty = git("status", "--porcelain", *code)
    return commit + (" + uncommitted changes" if dirty else "")


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as took: ...`` then ``took[0]`` is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)
