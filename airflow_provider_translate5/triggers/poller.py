"""One shared poller per (connection, poll interval, kind) in a triggerer's event loop.

Translators take days, so hundreds of deferred waits may sit in one triggerer. Polling each translate5 task
on its own would cost one request per task per interval; instead every waiting trigger subscribes its task ids
to a shared poller, which asks translate5 once per interval for *all* of them (a task-list request with
``filter in id``, paged) and fans the rows out to the subscribers. The InstantTranslate file list is one
request for all files anyway, so it is shared the same way.

The registry is per event loop: a poller is an asyncio task and cannot outlive or cross its loop
(``dag.test()`` runs every trigger in a fresh loop). A poller stops when its last subscriber leaves. A failed
poll (after the client's own retries) is reported to the subscribers; the poller goes on for those that stay.

Coalescing is invisible from a single task's log, so the poller reports itself (see :class:`PollReport`):
it logs to the triggerer's own log (its asyncio task runs outside every trigger's log context) what it polls
at most once a minute, every failure once plus a summary while it lasts, and it emits Airflow metrics
(``translate5.poller.*``) on every poll. Each wait logs into its task's log which poller it joined.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

from airflow_provider_translate5.wait import classify

if TYPE_CHECKING:
    from airflow_provider_translate5.client import Translate5Client

log = logging.getLogger(__name__)

#: Kinds of remote state a poller can watch.
TASKS: Final = "tasks"
PRETRANSLATED_FILES: Final = "pretranslated_files"

#: Ids per task-list request; translate5 answers a page of this size comfortably.
DEFAULT_PAGE_SIZE: Final = 500

#: The poller's log summary comes at most this often (seconds); a failure is logged at once.
LOG_EVERY: Final = 60.0
#: Ids named in a log line; the rest are counted.
LOGGED_IDS: Final = 20
#: Prefix of the Airflow metrics (StatsD/OpenTelemetry) the pollers emit.
METRIC_PREFIX: Final = "translate5.poller"

#: ``fetch(client, ids, page_size) -> (rows by id, number of API requests made)``
Fetch = Callable[["Translate5Client", Sequence[int], int], tuple[Mapping[int, Any], int]]


def fetch_tasks(client: Translate5Client, ids: Sequence[int], page_size: int) -> tuple[dict[int, Any], int]:
    """All requested tasks that still exist (the client's lookup: one request per ``page_size`` ids)."""
    distinct = len(set(ids))
    return dict(client.get_tasks(ids, page_size=page_size)), -(-distinct // page_size)


def fetch_pretranslated_files(
    client: Translate5Client, ids: Sequence[int], page_size: int
) -> tuple[dict[int, Any], int]:
    """The InstantTranslate file list (one request, whatever the number of files)."""
    wanted = set(ids)
    files = client.list_pretranslated_files().files
    return {entry.task_id: entry for entry in files if entry.task_id in wanted}, 1


_FETCHERS: Final[dict[str, Fetch]] = {TASKS: fetch_tasks, PRETRANSLATED_FILES: fetch_pretranslated_files}


@dataclass(frozen=True)
class Snapshot:
    """What one poll saw, restricted to one subscriber's ids.

    ``error`` is set when the poll failed; ``terminal`` then says whether polling again could ever help, and
    ``outage`` that translate5 was unreachable or unavailable (a wait rides that out until its deadline).
    """

    items: Mapping[int, Any]
    error: str | None = None
    terminal: bool = False
    outage: bool = False


@dataclass(eq=False)
class Subscription:
    """A trigger's view of a shared poller: the latest snapshot for its ids."""

    ids: frozenset[int]
    _latest: Snapshot | None = None
    _fresh: asyncio.Event = field(default_factory=asyncio.Event)

    def publish(self, snapshot: Snapshot) -> None:
        # Keep only the newest: a subscriber that fell behind needs the current state, not the history.
        self._latest = snapshot
        self._fresh.set()

    async def next(self) -> Snapshot:
        """Wait for the next poll that happened after the previous call."""
        await self._fresh.wait()
        self._fresh.clear()
        assert self._latest is not None
        return self._latest


class _StatsModule(Protocol):
    def incr(self, stat: str, count: int | None = None, *, tags: dict[str, Any] | None = None) -> None: ...
    def gauge(self, stat: str, value: float, *, tags: dict[str, Any] | None = None) -> None: ...
    def timing(self, stat: str, dt: float, *, tags: dict[str, Any] | None = None) -> None: ...


def _stats() -> _StatsModule | None:
    """Airflow's metrics module of this process, or None where Airflow is not installed.

    The triggerer initialises the core module (``airflow.observability.stats``) with the configured backend;
    the task SDK's copy is initialised only in task processes, so the core one is asked first.
    """
    for module in ("airflow.observability.stats", "airflow.sdk.observability.stats"):
        try:
            return cast("_StatsModule", importlib.import_module(module))
        except ImportError:
            continue
    return None


def describe_ids(ids: Sequence[int]) -> str:
    """``1, 2, 3`` or ``1, 2, … (+480 more)``: ids for a log line that stays readable at any scale."""
    shown = ", ".join(str(i) for i in ids[:LOGGED_IDS])
    return shown if len(ids) <= LOGGED_IDS else f"{shown}, … (+{len(ids) - LOGGED_IDS} more)"


class PollReport:
    """What a poller tells operators: log lines at a readable rate and a metric per poll.

    Counts accumulate between log summaries, so a line says what happened since the previous one
    (``polls``, ``requests``, ``failures``), whatever the poll interval.
    """

    def __init__(self, *, conn_id: str, kind: str, poll_interval: float, clock: Callable[[], float]) -> None:
        self.conn_id = conn_id
        self.kind = kind
        self.poll_interval = poll_interval
        self._clock = clock
        self._tags = {"conn_id": conn_id, "kind": kind}
        self._last_log: float | None = None
        self._polls = self._requests = self._failures = 0
        self._failing_since: int | None = None  # failures in a row, None while polls succeed
        self._last_error: str | None = None

    def _emit(self, name: str, value: float, kind: str) -> None:
        stats = _stats()
        if stats is None:
            return
        stat = f"{METRIC_PREFIX}.{name}"
        try:
            if kind == "incr":
                stats.incr(stat, int(value), tags=self._tags)
            elif kind == "gauge":
                stats.gauge(stat, value, tags=self._tags)
            else:
                stats.timing(stat, value, tags=self._tags)
        except Exception:  # a metrics backend must never stop a wait
            log.debug("could not emit metric %s", stat, exc_info=True)

    def started(self) -> None:
        log.info(
            "translate5 poller started: connection %r, %s, one poll every %g s for all waits",
            self.conn_id,
            self.kind,
            self.poll_interval,
        )

    def stopped(self, polls: int) -> None:
        log.info(
            "translate5 poller stopped: connection %r, %s, no waits left (%d poll(s) in all)",
            self.conn_id,
            self.kind,
            polls,
        )

    def polled(
        self, *, waits: int, ids: Sequence[int], requests: int, seconds: float, error: str | None
    ) -> None:
        """Account one poll: metrics now, a log line when one is due."""
        self._polls += 1
        self._requests += requests
        self._emit("polls", 1, "incr")
        self._emit("requests", requests, "incr")
        self._emit("waits", waits, "gauge")
        self._emit("ids", len(ids), "gauge")
        self._emit("poll_duration", seconds * 1000.0, "timing")
        now = self._clock()
        if error is not None:
            self._failures += 1
            self._emit("errors", 1, "incr")
            first = self._failing_since is None
            self._failing_since = (self._failing_since or 0) + 1
            if first or error != self._last_error:
                self._last_error = error
                log.warning(
                    "translate5 poll failed on connection %r (%s, %d wait(s), ids %s): %s",
                    self.conn_id,
                    self.kind,
                    waits,
                    describe_ids(ids),
                    error,
                )
                return
        elif self._failing_since is not None:
            log.info(
                "translate5 polls on connection %r succeed again after %d failed poll(s)",
                self.conn_id,
                self._failing_since,
            )
            self._failing_since = None
            self._last_error = None
        if self._last_log is not None and now - self._last_log < LOG_EVERY:
            return
        log.info(
            "translate5 poller on connection %r (%s, every %g s): %d wait(s) on %d id(s) [%s]; "
            "%d poll(s), %d request(s), %d failed since the last report",
            self.conn_id,
            self.kind,
            self.poll_interval,
            waits,
            len(ids),
            describe_ids(ids),
            self._polls,
            self._requests,
            self._failures,
        )
        self._last_log = now
        self._polls = self._requests = self._failures = 0


class Poller:
    """Polls translate5 for the union of its subscribers' ids, once per interval."""

    def __init__(
        self,
        *,
        conn_id: str,
        poll_interval: float,
        kind: str,
        page_size: int,
        hook_params: Mapping[str, Any] | None = None,
    ) -> None:
        self.conn_id = conn_id
        self.hook_params = dict(hook_params or {})
        self.poll_interval = poll_interval
        self.kind = kind
        self.page_size = page_size
        self.polls = 0
        self.report = PollReport(
            conn_id=conn_id, kind=kind, poll_interval=poll_interval, clock=time.monotonic
        )
        self._fetch = _FETCHERS[kind]
        self._subscribers: list[Subscription] = []
        self._task: asyncio.Task[None] | None = None
        self._client: Translate5Client | None = None

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def add(self, subscription: Subscription) -> None:
        self._subscribers.append(subscription)
        if self._task is None:
            # An empty context: the poller serves every wait, so its log lines belong in the triggerer's log,
            # not in the log of whichever task happened to start it (Airflow routes by context variables).
            self._task = contextvars.Context().run(
                asyncio.get_running_loop().create_task,
                self._run(),
                name=f"translate5-poller-{self.conn_id}-{self.kind}-{self.poll_interval}",
            )

    def remove(self, subscription: Subscription) -> bool:
        """Drop a subscriber; returns True when the poller stopped because nobody is left."""
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)
        if self._subscribers:
            return False
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._client is not None:
            # close() ends the server session with a request: never on the event loop.
            client, self._client = self._client, None
            asyncio.get_running_loop().run_in_executor(None, client.close)
        return True

    async def _run(self) -> None:
        # Waits started together (a triggerer picking up many deferred tasks) subscribe before the first poll.
        await asyncio.sleep(0)
        self.report.started()
        loop = asyncio.get_running_loop()
        next_poll = loop.time()
        try:
            while self._subscribers:
                await self.poll_once()
                # A fixed rate, not "interval after the poll": a slow poll must not stretch every interval.
                next_poll = max(next_poll + self.poll_interval, loop.time())
                await asyncio.sleep(next_poll - loop.time())
        finally:
            # Here, in the poller's own task, so the line goes to the triggerer's log like the others.
            self.report.stopped(self.polls)

    async def poll_once(self) -> None:
        # Only the subscribers present now get this poll's rows: one that joins while the request runs was
        # not asked about, and would read its tasks' absence as "deleted". It gets the next poll.
        subscribers = list(self._subscribers)
        ids = sorted(set().union(*(sub.ids for sub in subscribers)))
        started = time.monotonic()
        try:
            client = await self._get_client()
            found, requests = await asyncio.to_thread(self._fetch, client, ids, self.page_size)
        except Exception as exc:
            outage, terminal = classify(exc)
            self.report.polled(
                waits=len(subscribers),
                ids=ids,
                # A failed poll made at least one request unless the client could not even be built.
                requests=1 if self._client is not None else 0,
                seconds=time.monotonic() - started,
                error=f"{type(exc).__name__}: {exc}"
                + ("" if terminal else " (the client's retries are exhausted)"),
            )
            failure = Snapshot(
                items={},
                error=f"{type(exc).__name__}: {exc}",
                terminal=terminal,
                outage=outage,
            )
            for sub in subscribers:
                sub.publish(failure)
            return
        finally:
            self.polls += 1
        self.report.polled(
            waits=len(subscribers), ids=ids, requests=requests, seconds=time.monotonic() - started, error=None
        )
        for sub in subscribers:
            sub.publish(Snapshot(items={i: found[i] for i in sub.ids if i in found}))

    async def _get_client(self) -> Translate5Client:
        if self._client is None:
            self._client = await connect(self.conn_id, self.hook_params)
        return self._client


async def connect(conn_id: str, hook_params: Mapping[str, Any] | None = None) -> Translate5Client:
    """A client for a trigger: the connection, with the waiting operator's ``hook_params`` over it."""
    from airflow_provider_translate5.hooks.translate5 import Translate5Hook

    return await Translate5Hook(translate5_conn_id=conn_id, **dict(hook_params or {})).aget_conn()


PollerKey = tuple[str, float, str, str]
_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[PollerKey, Poller]] = (
    weakref.WeakKeyDictionary()
)


def active_pollers() -> dict[PollerKey, Poller]:
    """The pollers of the running event loop (for tests and diagnostics)."""
    return _registries.setdefault(asyncio.get_running_loop(), {})


@asynccontextmanager
async def subscribe(
    *,
    conn_id: str,
    poll_interval: float,
    kind: str,
    ids: Sequence[int],
    page_size: int = DEFAULT_PAGE_SIZE,
    hook_params: Mapping[str, Any] | None = None,
) -> AsyncIterator[Subscription]:
    """Share the poller for ``(conn_id, poll_interval, kind, hook_params)`` for as long as the block runs."""
    if kind not in _FETCHERS:
        raise ValueError(f"unknown poll kind {kind!r}; expected one of {sorted(_FETCHERS)}")
    pollers = active_pollers()
    key = (conn_id, float(poll_interval), kind, json.dumps(hook_params or {}, sort_keys=True))
    poller = pollers.get(key)
    if poller is None:
        poller = pollers[key] = Poller(
            conn_id=conn_id,
            poll_interval=poll_interval,
            kind=kind,
            page_size=page_size,
            hook_params=hook_params,
        )
    subscription = Subscription(ids=frozenset(int(i) for i in ids))
    poller.add(subscription)
    # Logged in the waiting task's own log: where its state comes from, and how many share the requests.
    log.info(
        "waiting for translate5 id(s) %s through the shared poller of connection %r (%s, every %g s), "
        "now shared by %d wait(s)",
        describe_ids(sorted(subscription.ids)),
        conn_id,
        kind,
        poll_interval,
        poller.subscriber_count,
    )
    try:
        yield subscription
    finally:
        if poller.remove(subscription) and pollers.get(key) is poller:
            del pollers[key]
