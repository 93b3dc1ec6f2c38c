"""Helpers shared by test packages (a plain module, not a conftest: tests import from it).

``tests/`` is on ``sys.path`` because the top ``conftest.py`` lives there, so ``from t5support import ...``
works from every test folder.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


class RecordingTaskInstance:
    """The part of Airflow's task instance that operators and sensors touch outside a DAG run: identity
    (operators derive retry-safe markers from it), its XComs (kept in ``xcom``), the first reschedule date.
    Airflow ships no stand-in for its runtime task instance, so every test uses this one (fixture
    ``task_instance`` in tests/conftest.py, or a subclass that fails on purpose) instead of its own."""

    def __init__(
        self,
        first_reschedule: datetime.datetime | None = None,
        *,
        dag_id: str = "tests",
        run_id: str = "manual__2024-01-01T00:00:00+00:00",
        task_id: str = "task",
        map_index: int = -1,
        try_number: int = 1,
    ) -> None:
        self.xcom: dict[str, Any] = {}
        self.first_reschedule = first_reschedule
        self.dag_id, self.run_id, self.task_id = dag_id, run_id, task_id
        self.map_index, self.try_number = map_index, try_number

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value

    def xcom_pull(self, task_ids: Any = None, key: str = "return_value", map_indexes: Any = None) -> Any:
        """What this task instance pushed (a resumed deferred operator reads its own XComs back)."""
        return self.xcom.get(key)

    def get_first_reschedule_date(self, context: Any) -> datetime.datetime | None:
        return self.first_reschedule


async def first_event(trigger: Any) -> dict[str, Any]:
    """Run a trigger like the triggerer (and dag.test): take its first event, then close the generator."""
    events = trigger.run()
    try:
        event = await anext(events)
    finally:
        await events.aclose()
    return dict(event.payload)


def eventually(
    look: Callable[[], T],
    done: Callable[[T], object] = bool,
    *,
    what: str,
    timeout: float = 30.0,
    interval: float = 0.02,
) -> T:
    """Call ``look`` every ``interval`` seconds until ``done`` accepts its value (by default: a true value),
    and return that value.

    The one way a test waits: for what it checks, never for a fixed time. ``timeout`` only bounds the wait (a
    loaded machine may take longer, but never fails for it), so it is generous; when it runs out, the failure
    names ``what`` was awaited and the last value seen. An async test calls it in a thread
    (``await asyncio.to_thread(eventually, ...)``): the event loop must go on running what is awaited.
    """
    ends = time.monotonic() + timeout
    while True:
        value = look()
        if done(value):
            return value
        if time.monotonic() >= ends:
            raise AssertionError(f"waited {timeout:g} s for {what}; last seen: {value!r}")
        time.sleep(interval)


def wait_imported(client: Any, task_ids: Iterable[int]) -> None:
    """Wait until translate5 finished importing the tasks."""
    ids = list(task_ids)
    eventually(
        lambda: next((i for i in ids if client.get_task(i).state == "import"), None),
        lambda importing: importing is None,
        what=f"tasks {ids} to import (last seen: the first one still importing)",
    )


class RawServer:
    """A one-request HTTP server on 127.0.0.1 that answers with exactly the given bytes (headers as sent on
    the wire, e.g. raw UTF-8): ``head`` at once, then ``answer``, optionally one byte at a time with a pause
    before each (a trickling server). For answers no HTTP library would produce.

    Only for integration tests: stop it with :meth:`close`.
    """

    def __init__(self, answer: bytes, pause: float = 0.0, *, head: bytes = b"") -> None:
        self.head, self.answer, self.pause = head, answer, pause
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def _serve(self) -> None:
        try:
            conn, _ = self.server.accept()
        except OSError:  # closed before any request came
            return
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(self.head)
                if not self.pause:
                    conn.sendall(self.answer)
                    return
                for byte in self.answer:
                    if self.stop.wait(self.pause):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):  # wakes an accept() still waiting for the request
            self.server.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)
        self.server.close()
