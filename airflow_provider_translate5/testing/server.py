"""The HTTP layer and the public :class:`Translate5Simulator` object.

One ThreadingHTTPServer (daemon threads) on 127.0.0.1 answers every request: control calls go to
``control.py``; API calls pass fault injection, body decoding, authentication, routing and a handler, and the
answer is written by hand (so headers may carry UTF-8 file names and faults can cut a body in half).
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import struct
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from airflow_provider_translate5.testing import (
    api_editor,
    api_export,
    api_features,
    api_instant,
    api_jobs,
    api_session,
    api_tasks,
    control,
    routing,
)
from airflow_provider_translate5.testing.bodies import BodyReader, read_body
from airflow_provider_translate5.testing.config import SimulatorConfig
from airflow_provider_translate5.testing.faults import Fault, Faults
from airflow_provider_translate5.testing.protocol import (
    HTML_TYPE,
    ApiError,
    Request,
    Response,
    status_line_reason,
)
from airflow_provider_translate5.testing.state import Store, is_token_shaped, new_session_id, new_token
from airflow_provider_translate5.testing.views import raw_row

log = logging.getLogger(__name__)

ROUTES: list[routing.Route] = [
    *api_session.ROUTES,
    *api_features.ROUTES,
    *api_export.ROUTES,
    *api_jobs.ROUTES,
    *api_tasks.ROUTES,
    *api_instant.ROUTES,
    *api_editor.ROUTES,
]
TICK = 0.02
MAINTENANCE_PAGE = (
    "<!DOCTYPE html><html><head><title>translate5 - maintenance</title></head><body>"
    "<h1>Maintenance</h1><p>translate5 is currently in maintenance mode. Please try again later.</p>"
    "</body></html>"
)
EXPORT_MAINTENANCE_TEXT = "Maintenance is scheduled, exports are not possible at the moment."


class RequestRecord(NamedTuple):
    method: str
    path: str
    query: str


class RequestLog:
    """``sim.requests``: every API request (not control calls), in arrival order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def record(self, method: str, path: str, query: str) -> None:
        with self._lock:
            self._records.append(RequestRecord(method, path, query))

    def __iter__(self) -> Iterator[RequestRecord]:
        with self._lock:
            return iter(list(self._records))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def count(self, method: str | None = None, path: str | None = None, *, prefix: str | None = None) -> int:
        """Requests with this method and exact path (or path prefix)."""
        return sum(
            1
            for r in self
            if (method is None or r.method == method.upper())
            and (path is None or r.path.rstrip("/") == path.rstrip("/"))
            and (prefix is None or r.path.startswith(prefix))
        )

    def counts(self) -> dict[str, int]:
        return dict(Counter(f"{r.method} {r.path}" for r in self))

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def _parse_cookies(header: str | None) -> dict[str, str]:
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    try:
        jar = SimpleCookie()
        jar.load(header)
        cookies = {key: morsel.value for key, morsel in jar.items()}
    except CookieError:
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            cookies[key] = value
    return cookies


class _Server(ThreadingHTTPServer):
    """Daemon threads, and a listen backlog for bursts: with the default of 5, 64 concurrent uploads (a
    10,000-item benchmark) saw connections reset before the server accepted them."""

    daemon_threads = True
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sim: Translate5Simulator

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("translate5 simulator: " + format, *args)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle's algorithm and the client's
        # delayed ACK hold every keep-alive answer back for ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_GET

    # ----- request ---------------------------------------------------------------------------------------
    def _reader(self) -> BodyReader:
        length_header = self.headers.get("Content-Length")
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        length = int(length_header) if length_header and length_header.strip().isdigit() else None
        return BodyReader(self.rfile, length, chunked)

    def _handle(self) -> None:
        sim = self.sim
        parsed = urlsplit(self.path)
        path, method = unquote(parsed.path), self.command
        reader = self._reader()
        try:
            if path == "/_simulator" or path.startswith("/_simulator/"):
                self._send(control.handle(sim, method, path, reader))
                return
            sim.requests.record(method, path, parsed.query)
            fault = sim.faults.take(method, path)
            if fault is not None and fault.kind in (
                "error",
                "maintenance",
                "rate_limit",
                "disconnect",
                "export_maintenance",
            ):
                reader.drain()
                if fault.kind == "disconnect":
                    self._abort()
                else:
                    self._send(_fault_response(fault, sim.config.app_version))
                return
            if fault is not None and fault.kind == "latency":
                time.sleep(fault.seconds)
            if sim.config.latency > 0:
                time.sleep(sim.config.latency)
            upload_dir = Path(tempfile.mkdtemp(prefix="req-", dir=sim.store.root))
            try:
                response = self._api(
                    method, path, parse_qs(parsed.query, keep_blank_values=True), reader, upload_dir
                )
                if fault is not None and fault.kind == "lose_response":
                    self._abort()
                else:
                    self._send(response, cut=fault)
            finally:
                shutil.rmtree(upload_dir, ignore_errors=True)
        except (ConnectionError, OSError):  # the client went away; nothing left to answer
            self.close_connection = True

    def _api(
        self, method: str, path: str, query: dict[str, list[str]], reader: BodyReader, upload_dir: Path
    ) -> Response:
        sim = self.sim
        sim.fire_callbacks(sim.store.advance())
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(method, path, query, headers, _parse_cookies(headers.get("cookie")))
        session_id: str | None = None
        try:
            req.form, req.files, req.raw_json = read_body(
                reader, self.headers.get("Content-Type", ""), upload_dir
            )
            with sim.store.lock:
                auth = api_session.authenticate(req, sim.store)
            session_id = auth.session.id if auth.session is not None else None
            found, match = routing.find(ROUTES, method, path)
            if not found.public and auth.user is None:
                raise ApiError.unauthorized()
            csrf_free = auth.token_request or (auth.session is not None and auth.session.token_auth)
            if auth.user is not None and not found.csrf_exempt and not csrf_free:
                raise ApiError.unauthorized()  # CSRF protection: password sessions lack the CsrfToken header
            if found.pm_only and auth.user is not None and not sim.store.is_pm(auth.user):
                return _login_redirect()
            ctx = routing.Ctx(
                req, sim.store, sim.config, upload_dir, auth.user, auth.session, auth.token_request
            )
            response = found.handler(ctx, match)
            if ctx.session is not None:
                session_id = ctx.session.id  # a login started a new session
        except ApiError as err:
            response = err.response(req.accepts_json)
        except (ConnectionError, OSError):
            raise
        except Exception as exc:
            log.exception("translate5 simulator: handler failed")
            response = ApiError.coded(500, None, f"{type(exc).__name__}: {exc}").response()
        # translate5 starts a PHP session on every request, even when the app token alone authenticates it.
        response.headers.insert(0, ("Set-Cookie", api_session.cookie_header(session_id or new_session_id())))
        if response.rest or response.version_header:
            response.headers.append(("X-Translate5-Version", sim.config.app_version))
        # The REST view data may still reference the store's rows: serialise it while no request changes them
        # (a task list rendered during a concurrent create raised "dictionary changed size during iteration").
        with sim.store.lock:
            response.render(req.accepts_json)
        if sim.config.close_connections:
            response.close = True
        return response

    # ----- response --------------------------------------------------------------------------------------
    def _send(self, response: Response, *, cut: Fault | None = None) -> None:
        """Write the answer; ``cut`` (a body fault) sends only part of its body."""
        kind = cut.kind if cut is not None else None
        if cut is not None and kind in ("cut_body", "truncated_zip"):
            body = b"".join(response.iter_body())
            response.body = body[: int(len(body) * cut.fraction)]
            # cut_body: close-delimited, so the cut looks like the end; truncated_zip: a matching length.
            response.close = kind == "cut_body"
        length = response.body_length()
        lines = [f"HTTP/1.1 {response.status} {status_line_reason(response.status)}"]
        lines += [f"{k}: {v}" for k, v in response.headers]
        lines.append("Date: " + self.date_time_string())
        if response.close:
            self.close_connection = True  # the body ends where the connection does
        elif length is None:
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append(f"Content-Length: {length}")
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
        if self.command == "HEAD":
            return
        if kind == "drop_mid_body":
            self._send_truncated(response, length)
            return
        chunked = length is None and not response.close
        for data in response.iter_body():
            if chunked:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            else:
                self.wfile.write(data)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _send_truncated(self, response: Response, length: int | None) -> None:
        budget = max(1, (length or 2) // 2)
        for data in response.iter_body():
            piece = data[:budget]
            self.wfile.write(piece)
            budget -= len(piece)
            if budget <= 0:
                break
        self._abort(reset=response.close)

    def _abort(self, *, reset: bool = False) -> None:
        """Close mid-answer. A body without Content-Length can only be seen as cut by a connection RESET
        (a plain close would look like its regular end), so those get an RST."""
        self.close_connection = True
        try:
            self.wfile.flush()
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _login_redirect() -> Response:
    """What translate5's ACL answers a logged-in user without the right (sections 51, 52)."""
    return Response(302, [("Location", "/login"), ("Content-type", HTML_TYPE)], b"")


def _fault_response(fault: Fault, app_version: str) -> Response:
    if fault.kind == "maintenance":
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("x-translate5-shownotice", time.strftime("%Y-%m-%d %H:%M:%S")),
            ("x-translate5-maintenance-message", fault.message),
        ]
        return Response(503, headers, MAINTENANCE_PAGE.encode())
    if fault.kind == "rate_limit":
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Retry-After", str(fault.retry_after))]
        return Response(429, headers, b"<html><body><h1>429 Too Many Requests</h1></body></html>")
    if fault.kind == "export_maintenance":
        # TaskController::exportAction in the 30 minutes before a scheduled maintenance: 200, text, no file.
        return Response(200, [("Content-type", HTML_TYPE)], EXPORT_MAINTENANCE_TEXT.encode(), close=True)
    response = ApiError.coded(fault.status, fault.error_code, fault.message).response()
    response.render(True)
    response.headers.append(("X-Translate5-Version", app_version))
    return response


class Translate5Simulator:
    """A translate5 server on 127.0.0.1 for tests and demos; see the package docstring for what it covers.

    Knobs (``import_duration``, ``workflow_auto_finish``, ...) are the fields of :class:`SimulatorConfig`;
    they can be passed here, changed with :meth:`set` or via ``POST /_simulator/knobs``.
    """

    def __init__(
        self,
        port: int = 0,
        token: str | None = None,
        *,
        host: str = "127.0.0.1",
        user_token: str | None = None,
        **knobs: Any,
    ) -> None:
        for value in (token, user_token):
            if value is not None and not is_token_shaped(value):
                raise ValueError("tokens must look like translate5 app tokens: '<digits>:<36 alphanumerics>'")
        self.config = SimulatorConfig()
        self.config.update(**knobs)
        self.token = token or new_token()
        self.user_tokens = {
            "translator1": user_token or new_token(2),
            "reviewer1": new_token(3),
            "translator2": new_token(4),
        }
        """App tokens of the editor users (no PM rights: job endpoints answer them 302 to /login)."""
        self.host = host
        self._port = port
        self.store = Store(self.config, Path(tempfile.gettempdir()), self.token, self.user_tokens)
        self.requests = RequestLog()
        self.faults = Faults(self._expire_sessions)
        self.callbacks: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._root: Path | None = None

    # ----- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Translate5Simulator:
        if self._server is not None:
            return self
        self._root = Path(tempfile.mkdtemp(prefix="translate5-sim-"))
        self.store.root = self._root
        handler = type("Translate5SimHandler", (_Handler,), {"sim": self})
        server = _Server((self.host, self._port), handler)
        self._server = server
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True),
            threading.Thread(target=self._tick, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> Translate5Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _tick(self) -> None:
        while not self._stopping.wait(TICK):
            self.fire_callbacks(self.store.advance())

    @property
    def user_token(self) -> str:
        """The app token of ``translator1`` (roles editor, taskOverview), e.g. to finish its own job."""
        return self.user_tokens["translator1"]

    # ----- addresses -------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def airflow_connection_json(
        self, conn_id: str = "translate5_default", conn_type: str = "translate5"
    ) -> str:
        """Value for ``AIRFLOW_CONN_<CONN_ID>`` (JSON form); ``conn_id`` only documents which one."""
        del conn_id
        return json.dumps({"conn_type": conn_type, "host": self.base_url, "password": self.token})

    # ----- knobs and test actions ------------------------------------------------------------------------
    def set(self, **knobs: Any) -> None:
        with self.store.lock:
            self.config.update(**knobs)

    def describe(self) -> dict[str, Any]:
        with self.store.lock:
            tasks = len(self.store.tasks)
        return {
            "baseUrl": self.base_url,
            "token": self.token,
            "userTokens": dict(self.user_tokens),
            "knobs": self.config.as_dict(),
            "faults": [f.as_dict() for f in self.faults.pending()],
            "tasks": tasks,
        }

    def _task_action(self, task_id: int, action: str) -> dict[str, Any]:
        self.fire_callbacks(self.store.advance())
        with self.store.lock:
            task = self.store.task(task_id)
            if task is None:
                raise KeyError(f"no task {task_id}")
            getattr(self.store, action)(task)
            return raw_row(task)

    def finish_step(self, task_id: int) -> dict[str, Any]:
        """Act as the translator/reviewer of the current step: finish it (a project: all its tasks)."""
        return self._task_action(task_id, "finish_step")

    def finish_workflow(self, task_id: int) -> dict[str, Any]:
        """Finish every remaining step: workflowStepName becomes ``workflowEnded``."""
        return self._task_action(task_id, "finish_workflow")

    def task(self, task_id: int) -> dict[str, Any]:
        """A copy of the task's raw DB row (after applying due time-driven changes)."""
        self.fire_callbacks(self.store.advance())
        with self.store.lock:
            found = self.store.task(task_id)
            if found is None:
                raise KeyError(f"no task {task_id}")
            return raw_row(found)

    def reset(self) -> None:
        self.store.reset()
        self.faults.clear()
        self.requests.clear()
        self.callbacks.clear()

    def _expire_sessions(self) -> None:
        with self.store.lock:
            self.store.sessions.clear()

    # ----- import callback -------------------------------------------------------------------------------
    def fire_callbacks(self, rows: list[dict[str, Any]]) -> None:
        url = self.config.callback_url
        if not rows or not url:
            return
        for row in rows:
            threading.Thread(target=self._post_callback, args=(url, row), daemon=True).start()

    def _post_callback(self, url: str, row: dict[str, Any]) -> None:
        body = json.dumps(row, indent=4, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json; charset=utf-8",
            "Accept-charset": "UTF-8",
        }
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        outcome: dict[str, Any] = {"url": url, "taskId": row["id"], "state": row["state"]}
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - configured by the test
                outcome["status"] = answer.status
        except urllib.error.HTTPError as err:
            outcome["status"] = err.code  # translate5 only logs E1378 and does not retry
        except OSError as err:
            outcome["error"] = str(err)
        self.callbacks.append(outcome)
