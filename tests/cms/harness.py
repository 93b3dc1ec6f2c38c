"""A real Strapi 5 for the CMS tests: started on a free 127.0.0.1 port, set up through its own APIs, stopped.

The Strapi project is ``tests/cms/strapi`` (installed by ``make cms-test`` with ``npm ci``). Each start gets
a fresh SQLite file and upload folder in a scratch directory and fresh secrets; the content types come from
the project's files. Setup goes through Strapi's admin API as a person would do it in the admin panel: the
first admin (``POST /admin/register-admin``), the locales (``POST /i18n/locales``) and a full-access API
token (``POST /admin/api-tokens``), which is what the DAG gets.

Strapi runs with telemetry and update checks off and without its admin panel (``config/``), and makes no
outgoing connection: traced with ``strace -f -e trace=connect`` from start through setup and API calls,
it opened none (5.54 on Node.js 20).

``python tests/cms/harness.py`` starts one and prints its URL and token until Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

PROJECT = Path(__file__).resolve().parent / "strapi"
STRAPI_BIN = PROJECT / "node_modules" / "@strapi" / "strapi" / "bin" / "strapi.js"
LOCALES = {"de": "German (de)", "fr": "French (fr)"}  # English (en) is Strapi's default locale
ADMIN = {
    "firstname": "Cms",
    "lastname": "Test",
    "email": "cms-test@example.org",
    "password": "Cms-test-" + secrets.token_hex(8),
}
START_TIMEOUT = 120.0  # seconds; a start takes about 10 s, more on a loaded machine


class HarnessError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(scratch: Path, port: int) -> dict[str, str]:
    """Strapi's settings for one start: loopback, fresh secrets, no telemetry, files in ``scratch``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRAPI_", "DATABASE_"))}
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        NODE_ENV="production",
        STRAPI_TELEMETRY_DISABLED="true",
        BROWSER="none",
        DATABASE_FILENAME=str(scratch / "data.db"),
        PUBLIC_DIR=str(scratch / "public"),
        APP_KEYS=",".join(secrets.token_hex(16) for _ in range(2)),
        **{
            name: secrets.token_hex(16)
            for name in (
                "ADMIN_JWT_SECRET",
                "API_TOKEN_SALT",
                "TRANSFER_TOKEN_SALT",
                "ENCRYPTION_KEY",
                "JWT_SECRET",
            )
        },
    )
    return env


@dataclass
class Strapi:
    """A running Strapi: its URL, the full-access API token, and an admin session for setup."""

    base_url: str
    process: subprocess.Popen[bytes]
    scratch: Path
    token: str = ""
    admin_jwt: str = ""
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.scratch / "strapi.log"

    def api(self) -> requests.Session:
        """A session with the API token, as the DAG uses it."""
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def stop(self) -> None:
        """Stop the process this harness started (by its PID), then remove its scratch files."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def start() -> Strapi:
    """Start Strapi, wait until it answers, and set it up; raises with its log if it does not come up."""
    if not STRAPI_BIN.exists():
        raise HarnessError(f"{STRAPI_BIN} is missing: run `make cms-test` (it runs npm ci in {PROJECT})")
    scratch = Path(tempfile.mkdtemp(prefix="strapi-cms-test-"))
    (scratch / "public" / "uploads").mkdir(parents=True)
    port = free_port()
    with (scratch / "strapi.log").open("wb") as log:
        process = subprocess.Popen(
            ["node", str(STRAPI_BIN), "start"],
            cwd=PROJECT,
            env=environment(scratch, port),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    strapi = Strapi(f"http://127.0.0.1:{port}", process, scratch)
    try:
        wait_until_up(strapi)
        set_up(strapi)
    except BaseException:
        strapi.stop()
        raise
    return strapi


def wait_until_up(strapi: Strapi, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if strapi.process.poll() is not None:
            raise HarnessError(f"Strapi exited with {strapi.process.returncode}:\n{strapi.log_tail()}")
        try:
            if requests.get(f"{strapi.base_url}/_health", timeout=2).status_code == 204:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise HarnessError(f"Strapi did not answer within {timeout:.0f} s:\n{strapi.log_tail()}")


def _ok(response: requests.Response) -> dict[str, object]:
    if not response.ok:
        raise HarnessError(
            f"{response.request.method} {response.url}: {response.status_code} {response.text}"
        )
    return dict(response.json())


def set_up(strapi: Strapi) -> None:
    """First admin, locales and a full-access API token, through Strapi's admin API."""
    registered = _ok(requests.post(f"{strapi.base_url}/admin/register-admin", json=ADMIN, timeout=30))
    strapi.admin_jwt = str(registered["data"]["token"])  # type: ignore[index]
    admin = requests.Session()
    admin.headers["Authorization"] = f"Bearer {strapi.admin_jwt}"
    for code, name in LOCALES.items():
        _ok(
            admin.post(
                f"{strapi.base_url}/i18n/locales",
                json={"code": code, "name": name, "isDefault": False},
                timeout=30,
            )
        )
    token = _ok(
        admin.post(
            f"{strapi.base_url}/admin/api-tokens",
            json={"name": "translate5-dag", "type": "full-access", "lifespan": None, "description": ""},
            timeout=30,
        )
    )
    strapi.token = str(token["data"]["accessKey"])  # type: ignore[index]


if __name__ == "__main__":
    running = start()
    print(f"Strapi at {running.base_url}\nAPI token {running.token}\nlog {running.log}\nCtrl-C stops it")
    try:
        running.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
