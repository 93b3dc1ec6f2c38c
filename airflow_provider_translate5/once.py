"""Create remote work once per idempotency key, whatever happens to the answer of the create call.

A create whose outcome is unknown (read timeout, lost connection, a 502/504 from a proxy, a killed worker)
may still be saved by the server after the client gave up, even after an Airflow retry has started. So:

1. look the key up; anything found is re-used (an earlier try, run or concurrent try created it);
2. otherwise create; if the outcome is uncertain, keep looking the key up for ``grace`` seconds, as long
   as the server may still be saving what was sent, and re-use what appears (else re-raise: Airflow retries);
3. after a successful create look again: when several tries (or a late save) left more than one unit for the
   key, every try keeps the one with the LOWEST id and deletes the others, so all tries converge on the same
   survivor without talking to each other.

A retry starts ``retry_delay`` after the failed try; when that is shorter than ``grace`` the retry first
looks for the difference (``pre_wait``), because the earlier try's request may still be on its way.

A key that no earlier try or run can have used, and that no other try uses now (the first try of a task
instance whose key names that task instance), skips steps 1 and 3: nothing can be found, nobody else creates.
Step 2 stays: an uncertain create is looked up all the same.

:class:`CreateEach` does this for many keys at once (one task instance uploading a batch): each lookup is one
call for all keys, the creates run side by side. :class:`CreateOnce` is the same for one key.

No Airflow imports: the contract suite drives this against a real translate5 through a slow proxy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from airflow_provider_translate5.client import Classification, Translate5Error, Translate5NotFoundError

T = TypeVar("T")

log = logging.getLogger(__name__)


class DuplicateNotRemovedError(Translate5Error):
    """Several units exist for one idempotency key and a surplus one could not be deleted.

    Retryable, not terminal: the next try converges again (it keeps the same survivor and deletes the rest).
    """

    classification = Classification(retryable=True, outage=False, terminal=False)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The unit that survives for the key, and whether it existed before this call created anything."""

    unit: T
    reattached: bool
    removed: tuple[int, ...] = ()


@dataclass
class CreateEach(Generic[T]):
    """The calls that make a kind of remote unit idempotent, for many keys (tasks by ``foreignId``).

    :param lookup: every unit row currently on the server for any of the keys (as few calls as it can).
    :param key_of: the key a row carries; rows of other keys are ignored.
    :param create: the non-idempotent create call for a key.
    :param root_of: the id of the unit a row belongs to (a project task's project id; a task's own id).
    :param delete: delete a unit by its root id (a project with its tasks).
    :param fetch: the row of a unit by root id, when the lookup showed only some of its rows.
    :param grace: seconds the server may still be saving after an uncertain create.
    :param poll_interval: seconds between lookups while waiting.
    :param concurrency: creates at a time. The first create that fails stops new ones: after an uncertain
        one, the keys in doubt are looked up for ``grace`` seconds (one lookup per poll for all) before the
        rest is created; after a terminal one, the batch fails.
    :param label: how log lines name a key's unit ("translate5 task of items[3]").
    """

    lookup: Callable[[Sequence[str]], Sequence[T]]
    key_of: Callable[[T], str | None]
    create: Callable[[str], T]
    root_of: Callable[[T], int]
    delete: Callable[[int], None]
    fetch: Callable[[int], T] | None = None
    grace: float = 300.0
    poll_interval: float = 5.0
    concurrency: int = 1
    what: str = "task"
    label: Callable[[str], str] | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def run(
        self, keys: Sequence[str], *, pre_wait: float = 0.0, fresh: Collection[str] = ()
    ) -> dict[str, Outcome[T]]:
        """The surviving unit of every key, creating what does not exist.

        :param pre_wait: seconds to look for an earlier try's units first (see :func:`retry_pre_wait`).
        :param fresh: keys no earlier try or run can have used and no other try uses now: created without
            the lookup before and the check after.
        """
        outcomes: dict[str, Outcome[T]] = {}
        known = [key for key in keys if key not in fresh]
        found = self._look(known) if known else {}
        missing = [key for key in known if key not in found]
        if missing and pre_wait > 0:
            log.info(
                "Looking for the %s of an earlier try for up to %.0f s before creating (its request may "
                "still be on its way to the server)",
                self._name(missing),
                pre_wait,
            )
            found.update(self._poll(missing, pre_wait))
        for key, rows in found.items():
            outcomes[key] = self._converge(rows, reattached=True)
        pending = [key for key in keys if key not in outcomes]
        while pending:
            created, failed, pending = self._create_all(pending)
            # The post-create check: concurrent tries (or a late save) may have created more than one. When a
            # lower id exists, this try's own unit is the duplicate: it is deleted and the other one re-used.
            checked = [key for key in created if key not in fresh]
            rows_of = self._look(checked) if checked else {}
            for key, unit in created.items():
                outcomes[key] = (
                    Outcome(unit, False) if key in fresh else self._settle(unit, rows_of.get(key, []))
                )
            if failed:
                outcomes.update(self._recover(failed))
        return outcomes

    def _create_all(self, keys: Sequence[str]) -> tuple[dict[str, T], dict[str, Translate5Error], list[str]]:
        """Create ``concurrency`` at a time until one fails: (created, failed, not tried)."""
        self._stop.clear()
        results: list[tuple[str, T | None, BaseException | None]]
        if self.concurrency <= 1 or len(keys) <= 1:
            results = []
            for key in keys:
                results.append(self._attempt(key))
                if self._stop.is_set():
                    break
        else:
            workers = min(self.concurrency, len(keys))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="t5-create") as pool:
                results = list(pool.map(self._attempt, keys))
        created: dict[str, T] = {}
        failed: dict[str, Translate5Error] = {}
        tried: set[str] = set()
        for key, unit, error in results:
            if isinstance(error, Translate5Error):
                failed[key] = error
            elif error is not None:
                raise error  # not the server's answer (a bug, a file that vanished): nothing to recover
            elif unit is not None:
                created[key] = unit
            else:
                continue
            tried.add(key)
        return created, failed, [key for key in keys if key not in tried]

    def _attempt(self, key: str) -> tuple[str, T | None, BaseException | None]:
        if self._stop.is_set():
            return key, None, None
        try:
            return key, self.create(key), None
        except Exception as exc:
            self._stop.set()
            return key, None, exc

    def _recover(self, failed: dict[str, Translate5Error]) -> dict[str, Outcome[T]]:
        """After failed creates: a refused one fails the whole run (stubs removed); uncertain ones are looked
        up for ``grace`` seconds and re-used when they appear (else the first error is raised: retry)."""
        terminal = [key for key, exc in failed.items() if exc.terminal]
        if terminal:
            self._remove_stubs(terminal, failed[terminal[0]])
            raise failed[terminal[0]]
        keys = list(failed)
        log.warning(
            "The outcome of creating the %s is unknown (%s); looking it up for up to %.0f s in case the "
            "server is still saving it",
            self._name(keys),
            failed[keys[0]],
            self.grace,
        )
        found = self._poll(keys, self.grace, look_first=True)
        lost = [key for key in keys if key not in found]
        if lost:
            log.warning(
                "No %s appeared within %.0f s; leaving it to the next try", self._name(lost), self.grace
            )
            raise failed[lost[0]]
        return {key: self._converge(rows, reattached=True) for key, rows in found.items()}

    def _look(self, keys: Sequence[str]) -> dict[str, list[T]]:
        """The rows of each key that has any."""
        wanted = set(keys)
        found: dict[str, list[T]] = {}
        for row in self.lookup(keys):
            key = self.key_of(row)
            if key in wanted:
                found.setdefault(key, []).append(row)
        return found

    def _poll(self, keys: Sequence[str], seconds: float, *, look_first: bool = False) -> dict[str, list[T]]:
        """Look the keys up until each has appeared or ``seconds`` passed; what appeared."""
        deadline = self.clock() + seconds
        found: dict[str, list[T]] = {}
        while True:
            if not look_first:
                self.sleep(max(0.0, min(self.poll_interval, deadline - self.clock())))
            look_first = False
            missing = [key for key in keys if key not in found]
            try:
                found.update(self._look(missing))
            except Translate5Error as exc:
                if exc.terminal:
                    raise
                log.info("Lookup failed (%s); trying again", exc)
            if len(found) == len(keys) or self.clock() >= deadline:
                return found

    def _settle(self, created: T, rows: Sequence[T]) -> Outcome[T]:
        """The outcome of a unit this try created, given what the check after the create saw."""
        outcome = self._converge([created, *rows], reattached=False)
        if self.root_of(outcome.unit) != self.root_of(created):
            return Outcome(outcome.unit, True, outcome.removed)
        return outcome

    def _converge(self, rows: Sequence[T], *, reattached: bool) -> Outcome[T]:
        units: dict[int, list[T]] = {}
        for row in rows:
            units.setdefault(self.root_of(row), []).append(row)
        survivor = min(units)
        removed = []
        for root in sorted(units):
            if root == survivor:
                continue
            log.warning(
                "Deleting duplicate %s %s for the same idempotency key; keeping %s (the lowest id)",
                self.what,
                root,
                survivor,
            )
            self._delete(root)
            removed.append(root)
        return Outcome(self._representative(survivor, units[survivor]), reattached, tuple(removed))

    def _representative(self, root: int, rows: list[T]) -> T:
        for row in rows:
            if getattr(row, "id", None) == root:
                return row
        if self.fetch is not None:
            return self.fetch(root)
        return rows[0]

    def _delete(self, root: int) -> None:
        deadline = self.clock() + self.grace
        while True:
            try:
                self.delete(root)
                return
            except Translate5NotFoundError:
                return  # another try deleted it already
            except Translate5Error as exc:
                # A task that is still being imported may refuse deletion for a moment (409/423).
                if exc.terminal and getattr(exc, "status", None) not in (409, 423):
                    raise DuplicateNotRemovedError(
                        f"could not delete duplicate {self.what} {root}: {exc}; delete it in translate5"
                    ) from exc
                if self.clock() >= deadline:
                    raise DuplicateNotRemovedError(
                        f"could not delete duplicate {self.what} {root} within {self.grace:.0f} s: {exc}"
                    ) from exc
                log.info("Deleting duplicate %s %s failed (%s); trying again", self.what, root, exc)
                self.sleep(self.poll_interval)

    def _remove_stubs(self, keys: Sequence[str], exc: Translate5Error) -> None:
        """translate5 may save a task row before refusing the create (a 422 left one in state ``import``)."""
        try:
            stubs = [row for rows in self._look(keys).values() for row in rows]
        except Translate5Error:
            return
        for root in sorted({self.root_of(row) for row in stubs}):
            log.warning("Deleting %s %s left behind by the refused create (%s)", self.what, root, exc)
            try:
                self.delete(root)
            except Translate5Error as error:
                log.warning("Could not delete %s %s: %s", self.what, root, error)

    def _name(self, keys: Sequence[str]) -> str:
        """How log lines name the units of ``keys``: the kind, and which ones when there is a ``label``."""
        if self.label is None:
            return self.what
        shown = ", ".join(self.label(key) for key in keys[:5])
        more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
        return f"{self.what} of {shown}{more}"


@dataclass
class CreateOnce(Generic[T]):
    """:class:`CreateEach` for one key (InstantTranslate files, a single upload): the calls take no key.

    :param lookup: every unit (rows) currently on the server for the key.
    :param create: the non-idempotent create call.
    The other parameters are :class:`CreateEach`'s.
    """

    lookup: Callable[[], Sequence[T]]
    create: Callable[[], T]
    root_of: Callable[[T], int]
    delete: Callable[[int], None]
    fetch: Callable[[int], T] | None = None
    grace: float = 300.0
    poll_interval: float = 5.0
    what: str = "task"
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def run(self, *, pre_wait: float = 0.0, fresh: bool = False) -> Outcome[T]:
        each: CreateEach[T] = CreateEach(
            lookup=lambda _keys: self.lookup(),
            key_of=lambda _row: "",
            create=lambda _key: self.create(),
            root_of=self.root_of,
            delete=self.delete,
            fetch=self.fetch,
            grace=self.grace,
            poll_interval=self.poll_interval,
            what=self.what,
            sleep=self.sleep,
            clock=self.clock,
        )
        return each.run([""], pre_wait=pre_wait, fresh=[""] if fresh else ())[""]
