"""An overall deadline per API call, on top of requests' per-read timeout.

requests' ``timeout`` bounds each socket read, not a whole answer: a server (or proxy) that sends one byte
every few seconds keeps a call alive for ever. A :class:`Deadline` is armed once per call (all its retries
and the body of a streamed download included); when it passes, a timer thread shuts the socket of the
request in flight down, so whatever read is blocked returns at once, and the reader raises
:class:`~airflow_provider_translate5.client.errors.Translate5TimeoutError`.

The socket is known from the moment the request is sent when the client's own ``requests.Session`` is used
(its adapter records it); with a caller's session it is known once the headers have arrived.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_CURRENT = threading.local()


class Deadline:
    """A point in time after which the call in this thread is cut off (``seconds=None``: never)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._end = None if seconds is None else time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer: threading.Timer | None = None
        self.expired = False
        if seconds is not None:
            self._timer = threading.Timer(seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def remaining(self) -> float | None:
        return None if self._end is None else max(self._end - time.monotonic(), 0.0)

    def passed(self) -> bool:
        return self.expired or (self._end is not None and time.monotonic() >= self._end)

    def attach(self, sock: Any) -> None:
        """The socket of the request in flight: shut down if the deadline passes (or has passed)."""
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sock = sock
            expired = self.expired
        if expired:
            _shutdown(sock)

    def attach_response(self, response: Any) -> None:
        """Find the socket behind a requests response (a caller's session, headers already received)."""
        raw = getattr(response, "raw", None)
        sock = getattr(getattr(raw, "_connection", None), "sock", None)
        if sock is None:
            # http.client lets go of the connection's socket when the answer ends by closing it; the
            # response's file still reads from it.
            file = getattr(getattr(raw, "_fp", None), "fp", None)
            sock = getattr(getattr(file, "raw", None), "_sock", None)
        self.attach(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sock = self._sock
        if sock is not None:
            _shutdown(sock)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._sock = None

    def __enter__(self) -> Deadline:
        _CURRENT.deadline = self
        return self

    def __exit__(self, *exc: object) -> None:
        _CURRENT.deadline = None


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _current() -> Deadline | None:
    return getattr(_CURRENT, "deadline", None)


class _WatchedHTTPConnection(HTTPConnection):
    def getresponse(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        deadline = _current()
        if deadline is not None:
            deadline.attach(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    """The same watch over TLS (the MRO runs the watch first, then HTTPS' own connection)."""


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections report their socket to the deadline of the call in flight."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager
