"""One shared poller per (connection, poll interval, kind) in a triggerer's event loop.

Translators take days, so hundreds of deferred waits may sit in one triggerer. Polling each translate5 task
on its own would cost one request per task per interval; instead every waiting trigger subscribes its task ids
to a shared poller, which asks translate5 once per interval for *all* of them (a task-list request with
``filter in id``, paged) and fans the rows out to the subscribers. The InstantTranslate file list is one
request for all files anyway, so it is shared the same way.

The registry is per event loop: a poller is an asyncio task and cannot outlive or cross its loop
(``dag.test()`` runs every trigger in a fresh loop). A poller stops when its last subscriber leaves. A failed
poll (after the client's own retries) is reported to the subscribers; the poller goes on for those that stay.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from airflow_provider_translate5.triggers import status

if TYPE_CHECKING:
    from airflow_provider_translate5.client import Translate5Client

log = logging.getLogger(__name__)

#: Kinds of remote state a poller can watch.
TASKS: Final = "tasks"
PRETRANSLATED_FILES: Final = "pretranslated_files"

#: Ids per task-list request; translate5 answers a page of this size comfortably.
DEFAULT_PAGE_SIZE: Final = 500

Fetch = Callable[["Translate5Client", Sequence[int], int], Mapping[int, Any]]


def fetch_tasks(client: Translate5Client, ids: Sequence[int], page_size: int) -> dict[int, Any]:
    """All requested tasks that still exist: one list request per ``page_size`` ids."""
    from airflow_provider_translate5.client import Filter

    found: dict[int, Any] = {}
    for start in range(0, len(ids), page_size):
        chunk = list(ids[start : start + page_size])
        page = client.list_tasks(filters=[Filter.in_("id", chunk)], limit=page_size)
        found.update((task.id, task) for task in page.rows)
    return found


def fetch_pretranslated_files(client: Translate5Client, ids: Sequence[int], page_size: int) -> dict[int, Any]:
    """The InstantTranslate file list (one request, whatever the number of files)."""
    wanted = set(ids)
    return {
        entry.task_id: entry for entry in client.list_pretranslated_files().files if entry.task_id in wanted
    }


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


class Poller:
    """Polls translate5 for the union of its subscribers' ids, once per interval."""

    def __init__(self, *, conn_id: str, poll_interval: float, kind: str, page_size: int) -> None:
        self.conn_id = conn_id
        self.poll_interval = poll_interval
        self.kind = kind
        self.page_size = page_size
        self.polls = 0
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
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"translate5-poller-{self.conn_id}-{self.kind}-{self.poll_interval}"
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
        loop = asyncio.get_running_loop()
        next_poll = loop.time()
        while self._subscribers:
            await self.poll_once()
            # A fixed rate, not "interval after the poll": a slow poll must not stretch every interval.
            next_poll = max(next_poll + self.poll_interval, loop.time())
            await asyncio.sleep(next_poll - loop.time())

    async def poll_once(self) -> None:
        # Only the subscribers present now get this poll's rows: one that joins while the request runs was
        # not asked about, and would read its tasks' absence as "deleted". It gets the next poll.
        subscribers = list(self._subscribers)
        ids = sorted(set().union(*(sub.ids for sub in subscribers)))
        try:
            client = await self._get_client()
            found = await asyncio.to_thread(self._fetch, client, ids, self.page_size)
        except Exception as exc:
            terminal = status.is_terminal_error(exc)
            log.warning(
                "translate5 poll for %d id(s) on connection %r failed%s: %s",
                len(ids),
                self.conn_id,
                "" if terminal else " (the client's retries are exhausted)",
                exc,
            )
            failure = Snapshot(
                items={},
                error=f"{type(exc).__name__}: {exc}",
                terminal=terminal,
                outage=status.is_outage(exc),
            )
            for sub in subscribers:
                sub.publish(failure)
            return
        finally:
            self.polls += 1
        for sub in subscribers:
            sub.publish(Snapshot(items={i: found[i] for i in sub.ids if i in found}))

    async def _get_client(self) -> Translate5Client:
        if self._client is None:
            from airflow_provider_translate5.hooks.translate5 import Translate5Hook

            self._client = await Translate5Hook(translate5_conn_id=self.conn_id).aget_conn()
        return self._client


PollerKey = tuple[str, float, str]
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
) -> AsyncIterator[Subscription]:
    """Share the poller for ``(conn_id, poll_interval, kind)`` for as long as the block runs."""
    if kind not in _FETCHERS:
        raise ValueError(f"unknown poll kind {kind!r}; expected one of {sorted(_FETCHERS)}")
    pollers = active_pollers()
    key = (conn_id, float(poll_interval), kind)
    poller = pollers.get(key)
    if poller is None:
        poller = pollers[key] = Poller(
            conn_id=conn_id, poll_interval=poll_interval, kind=kind, page_size=page_size
        )
    subscription = Subscription(ids=frozenset(int(i) for i in ids))
    poller.add(subscription)
    try:
        yield subscription
    finally:
        if poller.remove(subscription) and pollers.get(key) is poller:
            del pollers[key]
