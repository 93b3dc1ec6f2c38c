"""Fixtures for the reliability suite: a fast simulator, fast retries, an Airflow-like operator driver and a
tiny canned HTTP(S) server for answers the simulator cannot give (malformed bodies, crafted ZIPs, TLS).

Nothing here sleeps on its own: faults are the simulator's immediate ones and every retry policy waits
milliseconds, so the whole suite stays fast.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from t5support import RecordingTaskInstance, first_event

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


def context_for(ti: RecordingTaskInstance | None = None, *, try_number: int = 1) -> dict[str, Any]:
    """The context a worker hands ``execute``: here only the task instance (the shared stand-in)."""
    return {"ti": ti or RecordingTaskInstance(try_number=try_number)}


def run_like_airflow(operator: Any, context: dict[str, Any] | None = None) -> Any:
    """``execute``; when it defers, run the trigger (as the triggerer would) and resume the operator, as often
    as it defers."""
    from airflow.sdk.exceptions import TaskDeferred

    context = context or context_for()
    step: Callable[[dict[str, Any]], Any] = operator.execute
    while True:
        try:
            return step(context)
        except TaskDeferred as deferred:
            event = asyncio.run(first_event(deferred.trigger))
            step = functools.partial(getattr(operator, deferred.method_name), event=event)


# -- a tiny server for answers translate5 (and the simulator) would never give ------------------------------

Answer = tuple[int, dict[str, str], bytes]


class CannedServer:
    """Answers ``routes[(METHOD, path)]`` (or ``routes[path]``); everything else is 404. Loopback only.

    A routed, many-request (optionally TLS) server, unlike t5support.RawServer (one connection, bytes exactly
    as given, for answers an HTTP library would not even produce)."""

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


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, hidden ones included, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
