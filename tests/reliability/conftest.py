"""Fixtures for the reliability suite: a fast simulator, fast retries, an Airflow-like operator driver and a
tiny canned HTTP(S) server for answers the simulator cannot give (malformed bodies, crafted ZIPs, TLS).

Nothing here sleeps on its own: faults are the simulator's immediate ones and every retry policy waits
milliseconds, so the whole suite stays fast.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_translate5.client import RetryPolicy, Translate5Client

#: What every client in this suite uses: a few quick attempts, no jitter, milliseconds between them.
FAST_RETRY = RetryPolicy(max_attempts=4, backoff=0.01, max_backoff=0.05, jitter=False)
TEXT = "<p>Hello world.</p><p>Second sentence.</p>"


@pytest.fixture
def translate5_simulator_options() -> dict[str, Any]:
    return {"import_duration": 0.05}


@pytest.fixture(autouse=True)
def fast_default_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients built without an explicit policy (by operators, the trigger poller) retry fast too.

    Only the waiting time changes; which failures are retried stays the client's own decision.
    """
    from airflow_provider_translate5.client import transport

    monkeypatch.setattr(transport, "RetryPolicy", lambda: FAST_RETRY)


@pytest.fixture
def sim(translate5_simulator: Any, translate5_connection: str) -> Any:
    """The simulator, with Airflow's ``translate5_default`` connection (env var) pointing at it."""
    return translate5_simulator


@pytest.fixture
def make_client(sim: Any) -> Iterator[Callable[..., Translate5Client]]:
    clients: list[Translate5Client] = []

    def build(**kwargs: Any) -> Translate5Client:
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("timeout", (2.0, 10.0))
        client = Translate5Client(sim.base_url, sim.token, **kwargs)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., Translate5Client]) -> Translate5Client:
    return make_client()


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "page.html"
    path.parent.mkdir(exist_ok=True)
    path.write_text(TEXT, encoding="utf-8")
    return path


# -- driving operators the way Airflow does, without a DAG run --------------------------------------------


@dataclass
class FakeTI:
    """The parts of a task instance the translate5 operators use: identity and ``xcom_push``."""

    dag_id: str = "reliability"
    run_id: str = "manual__2024-01-01T00:00:00+00:00"
    task_id: str = "upload"
    map_index: int = -1
    try_number: int = 1
    xcoms: dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


def context_for(ti: FakeTI | None = None) -> dict[str, Any]:
    return {"ti": ti or FakeTI()}


async def first_event(trigger: Any) -> dict[str, Any]:
    """Like the triggerer: take the first event, then close the generator."""
    events = trigger.run()
    try:
        event = await anext(events)
    finally:
        await events.aclose()
    return dict(event.payload)


def run_like_airflow(operator: Any, context: dict[str, Any] | None = None) -> Any:
    """``execute``; when it defers, run the trigger (as the triggerer would) and resume the operator."""
    from airflow.sdk.exceptions import TaskDeferred

    context = context or context_for()
    try:
        return operator.execute(context)
    except TaskDeferred as deferred:
        event = asyncio.run(first_event(deferred.trigger))
        return getattr(operator, deferred.method_name)(context, event)


# -- a tiny server for answers translate5 (and the simulator) would never give ------------------------------

Answer = tuple[int, dict[str, str], bytes]


class CannedServer:
    """Answers ``routes[(METHOD, path)]`` (or ``routes[path]``); everything else is 404. Loopback only."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[Any, Answer | Callable[[BaseHTTPRequestHandler], Answer]] = {}
        self.seen: list[tuple[str, str]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                canned.seen.append((self.command, path))
                route = canned.routes.get((self.command, path), canned.routes.get(path))
                if route is None:
                    route = (404, {"Content-Type": "application/json"}, b'{"success": false}')
                status, headers, body = route(self) if callable(route) else route
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_PUT = do_DELETE = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._server.server_address[1]}"

    def json(
        self, path: str, body: bytes | str, status: int = 200, method: str = "GET", **headers: str
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.routes[(method, path)] = (status, {"Content-Type": "application/json", **headers}, data)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def canned() -> Iterator[CannedServer]:
    server = CannedServer()
    yield server
    server.stop()


def wait_imported(client: Translate5Client, task_ids: list[int], timeout: float = 5.0) -> None:
    """Poll (every 20 ms) until translate5 finished importing the tasks."""
    import time

    deadline = time.monotonic() + timeout
    while any(client.get_task(i).state == "import" for i in task_ids):
        assert time.monotonic() < deadline, "import did not finish"
        time.sleep(0.02)
