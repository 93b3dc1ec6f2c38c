"""Fault injection: the next N matching API requests misbehave in a chosen way.

Faults never sleep on their own (except ``latency``, which adds exactly what was asked), so tests that
exercise retries stay fast. Rules are consumed in the order they were added; one request consumes at most
one rule. ``/_simulator`` control calls are never affected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KINDS = (
    "error",  # 5xx (or any status) with translate5's JSON error body
    "maintenance",  # 503 HTML maintenance page + x-translate5-maintenance-message header
    "rate_limit",  # 429 with Retry-After
    "latency",  # sleep `seconds`, then answer normally
    "drop_mid_body",  # process normally, send headers and part of the body, then close the connection
    "cut_body",  # like drop_mid_body, but close-delimited (no Content-Length) and closed cleanly: no error
    "truncated_zip",  # the body cut to `fraction` of its bytes, sent with a Content-Length of what is left
    "lose_response",  # process (commit!) normally, then close the connection without any answer
    "disconnect",  # close the connection without processing the request at all
    "export_maintenance",  # 200 with the pre-maintenance text instead of the file (exports only)
)


@dataclass
class Fault:
    kind: str
    remaining: int
    method: str | None = None
    path: str | None = None  # path prefix, e.g. "/editor/task"
    status: int = 500
    error_code: str | None = None
    message: str = ""
    retry_after: int = 1
    seconds: float = 0.0
    fraction: float = 0.5  # cut_body / truncated_zip: the share of the body that is sent

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return not (self.path and not path.startswith(self.path))

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _share(fraction: float) -> float:
    if not 0 <= fraction < 1:
        raise ValueError(f"fraction must be at least 0 and below 1, got {fraction!r}")
    return float(fraction)


class Faults:
    """``sim.faults``: add rules with the helpers below; each returns its rule (``remaining`` counts down)."""

    def __init__(self, expire_sessions: Callable[[], None]) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._expire_sessions = expire_sessions

    def add(self, kind: str, count: int = 1, **options: Any) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if "fraction" in options:
            options["fraction"] = _share(options["fraction"])
        fault = Fault(kind, int(count), **options)
        with self._lock:
            self._rules.append(fault)
        return fault

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        error_code: str | None = None,
        message: str = "Internal Server Error (injected by the translate5 simulator)",
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        return self.add(
            "error", count, status=status, error_code=error_code, message=message, method=method, path=path
        )

    def export_running(self, count: int = 1, *, path: str = "/editor/task/export") -> Fault:
        """Exports answer 409 E1538 as if another export of the task were still running."""
        return self.fail_next(
            count,
            status=409,
            error_code="E1538",
            message="There is already an export of this task running.",
            method="GET",
            path=path,
        )

    def export_maintenance(self, count: int = 1, *, path: str = "/editor/task/export") -> Fault:
        """In the 30 minutes before a scheduled maintenance translate5 answers an export with HTTP 200 and
        the text "Maintenance is scheduled, exports are not possible at the moment." - no file headers."""
        return self.add("export_maintenance", count, method="GET", path=path)

    def maintenance(
        self,
        count: int = 1,
        *,
        message: str = "Scheduled maintenance",
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        return self.add("maintenance", count, message=message, method=method, path=path)

    def rate_limit(
        self, count: int = 1, *, retry_after: int = 1, method: str | None = None, path: str | None = None
    ) -> Fault:
        return self.add("rate_limit", count, retry_after=retry_after, method=method, path=path)

    def latency(
        self, seconds: float, count: int = 1, *, method: str | None = None, path: str | None = None
    ) -> Fault:
        return self.add("latency", count, seconds=seconds, method=method, path=path)

    def drop_mid_body(self, count: int = 1, *, method: str | None = None, path: str | None = None) -> Fault:
        return self.add("drop_mid_body", count, method=method, path=path)

    def cut_body(
        self, count: int = 1, *, fraction: float = 0.5, method: str | None = None, path: str | None = None
    ) -> Fault:
        """How a connection cut looks on the recorded server, which frames every answer by closing the
        connection: headers without Content-Length, ``fraction`` of the body, then a clean close (FIN).
        Nothing in the transfer shows that the body is incomplete; only its format can."""
        return self.add("cut_body", count, fraction=fraction, method=method, path=path)

    def truncated_zip(
        self, count: int = 1, *, fraction: float = 0.5, method: str | None = None, path: str | None = None
    ) -> Fault:
        """A truncated file served as if it were whole (a broken cache or proxy): ``fraction`` of the body
        with a Content-Length that matches it, so the byte count agrees and only the ZIP check can tell."""
        return self.add("truncated_zip", count, fraction=fraction, method=method, path=path)

    def lose_response(self, count: int = 1, *, method: str | None = "POST", path: str | None = None) -> Fault:
        """The request is processed and committed (e.g. a task IS created), but no answer ever arrives."""
        return self.add("lose_response", count, method=method, path=path)

    def disconnect(self, count: int = 1, *, method: str | None = None, path: str | None = None) -> Fault:
        return self.add("disconnect", count, method=method, path=path)

    def expire_sessions(self) -> None:
        """Forget all server sessions now: cookie-only requests get 401, token requests get a new session."""
        self._expire_sessions()

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._rules:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._rules.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
