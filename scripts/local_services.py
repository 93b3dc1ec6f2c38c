"""Local servers for ``make airflow`` and ``make deployment-test``: on 127.0.0.1, stopped by their PID.

Every server is started in a session of its own, so stopping it (SIGTERM, then SIGKILL after a grace period)
reaches the helpers it forked (API server workers, Celery pool processes) and nothing else on the machine.
Output goes to one log file per server; a failure names the server and shows the end of its log.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


class ServiceError(RuntimeError):
    """A server did not start or stopped on its own; the message names it and quotes its log."""


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no log)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(f"  | {line}" for line in text[-lines:])


class Service:
    """One server process with its log file."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.stop_signal = stop_signal
        self.command = list(command)
        self.log = log
        self.env = dict(env) if env is not None else dict(os.environ)
        self.cwd = cwd
        self.user = user
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Service:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:  # a fresh log per start: readers must not find an old run's lines
            self.process = subprocess.Popen(
                self.command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                user=self.user,
                start_new_session=True,
            )
        return self

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise ServiceError(
                f"{self.name} stopped on its own (exit code {self.process.returncode}); "
                f"end of {self.log}:\n{tail(self.log)}"
            )

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM (or the server's own stop signal) to its process group, SIGKILL after ``grace`` seconds."""
        if self.process is None:
            return
        if self.process.poll() is None:
            _signal_group(self.pid, self.stop_signal)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(self.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # Helpers forked by the server (same session and group) may outlive it briefly.
        _signal_group(self.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, sig)


class Services:
    """Servers started in order and stopped in reverse order, also on Ctrl-C, SIGTERM or an error."""

    def __init__(self) -> None:
        self.started: list[Service] = []
        #: Folders removed once every server stopped (a database's data, for instance).
        self.scratch: list[Path] = []

    def start(self, service: Service) -> Service:
        self.started.append(service.start())
        return service

    def check_alive(self) -> None:
        for service in self.started:
            service.check_alive()

    def stop_all(self) -> None:
        while self.started:
            service = self.started.pop()
            try:
                service.stop()
            except Exception as exc:  # keep stopping the others
                print(f"could not stop {service.name} (pid {service.pid}): {exc}", file=sys.stderr)
        while self.scratch:
            shutil.rmtree(self.scratch.pop(), ignore_errors=True)

    @contextmanager
    def running(self) -> Iterator[Services]:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            yield self
        finally:
            self.stop_all()
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # run the clean-up of ``Services.running``


def wait_until(
    what: str, check: Callable[[], bool], timeout: float, services: Services | None = None, every: float = 0.5
) -> None:
    """Poll ``check`` until it is true; fail early when one of ``services`` died meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        if services is not None:
            services.check_alive()
        try:
            if check():
                return
        except Exception:  # not ready yet: connection refused, table missing ...  # noqa: S110
            pass
        if time.monotonic() > deadline:
            raise ServiceError(f"{what}: not ready within {timeout:.0f} s")
        time.sleep(every)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((LOOPBACK, port)) == 0


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (http on loopback only)
            return 200 <= int(answer.status) < 500
    except urllib.error.HTTPError as error:
        return error.code < 500


# ----- the servers --------------------------------------------------------------------------------


def start_simulator(
    services: Services, log: Path, *, import_seconds: float, workflow_seconds: float, port: int = 0
) -> dict[str, Any]:
    """The bundled translate5 simulator; returns what it printed (base_url, token, connection)."""
    service = services.start(
        Service(
            "translate5 simulator",
            [
                sys.executable,
                "-m",
                "airflow_provider_translate5.testing",
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--json",
                "--import-duration",
                str(import_seconds),
                "--workflow-auto-finish",
                str(workflow_seconds),
            ],
            log,
        )
    )
    info: dict[str, Any] = {}

    def printed() -> bool:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                info.update(json.loads(line))
                return True
        return False

    wait_until("translate5 simulator", printed, 60, services)
    del service
    return info


def debian_server(binary: str, package: str) -> str:
    """Path of a server from a Debian package; installed with apt-get when missing and we are root."""
    found = shutil.which(binary) or next(
        iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{binary}"))), None
    )
    if found:
        return str(found)
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ServiceError(f"{binary} is missing: install the Debian package {package}")
    print(f"installing the Debian package {package} (apt-get) ...", flush=True)
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:  # the package must not start a server of its own: ours listen on 127.0.0.1 and stop with us
        policy.write_text("#!/bin/sh\nexit 101\n", encoding="utf-8")
        policy.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    finally:
        if ours:
            policy.unlink()
    return debian_server(binary, package)


def start_postgres(services: Services, log: Path, port: int) -> str:
    """A throw-away PostgreSQL cluster (no fsync) with database and superuser ``airflow``; returns its URL."""
    postgres = Path(debian_server("postgres", "postgresql")).resolve()
    bindir = postgres.parent
    root = Path(tempfile.mkdtemp(prefix="t5-postgres-"))  # its own: the server's user must reach it
    services.scratch.append(root)
    data = root / "pgdata"
    data.mkdir()
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = "postgres"
        shutil.chown(root, user)
        shutil.chown(data, user)
    subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-U", "airflow", "--auth=trust", "-E", "UTF8"],
        check=True,
        user=user,
        stdout=subprocess.DEVNULL,
        cwd=root,
    )
    services.start(
        Service(
            "PostgreSQL",
            [
                str(postgres),
                "-D",
                str(data),
                "-h",
                LOOPBACK,
                "-p",
                str(port),
                "-k",
                str(data),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
            ],
            log,
            user=user,
            cwd=root,
            stop_signal=signal.SIGINT,  # "fast shutdown": does not wait for clients to disconnect
        )
    )
    wait_until("PostgreSQL", lambda: port_open(port), 60, services)
    psql = [str(bindir / "psql"), "-h", LOOPBACK, "-p", str(port), "-U", "airflow", "-d", "postgres"]
    wait_until(
        "PostgreSQL accepting queries",
        lambda: subprocess.run([*psql, "-c", "select 1"], capture_output=True).returncode == 0,
        60,
        services,
    )
    subprocess.run([*psql, "-q", "-c", "create database airflow"], check=True)
    return f"postgresql+psycopg2://airflow@{LOOPBACK}:{port}/airflow"


def start_redis(services: Services, root: Path, log: Path, port: int) -> str:
    redis = debian_server("redis-server", "redis-server")
    folder = root / "redis"
    folder.mkdir(parents=True)
    services.start(
        Service(
            "Redis",
            [
                redis,
                "--bind",
                LOOPBACK,
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            log,
        )
    )
    wait_until("Redis", lambda: port_open(port), 30, services)
    return f"redis://{LOOPBACK}:{port}/0"


def start_moto(services: Services, log: Path, port: int) -> str:
    """moto's S3 (and friends) server; returns its endpoint URL."""
    services.start(
        Service("moto server", [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)], log)
    )
    url = f"http://{LOOPBACK}:{port}"
    wait_until("moto server", lambda: http_ok(f"{url}/moto-api/"), 60, services)
    return url
