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

No Airflow imports: the contract suite drives this against a real translate5 through a slow proxy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
class CreateOnce(Generic[T]):
    """The calls that make a kind of remote unit idempotent (tasks by ``foreignId``, InstantTranslate files).

    :param lookup: every unit (rows) currently on the server for the key.
    :param create: the non-idempotent create call.
    :param root_of: the id of the unit a row belongs to (a project task's project id; a task's own id).
    :param delete: delete a unit by its root id (a project with its tasks).
    :param fetch: the row of a unit by root id, when the lookup showed only some of its rows.
    :param grace: seconds the server may still be saving after an uncertain create.
    :param poll_interval: seconds between lookups while waiting.
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

    def run(self, *, pre_wait: float = 0.0) -> Outcome[T]:
        found = self.lookup()
        if not found and pre_wait > 0:
            log.info(
                "Looking for the %s of an earlier try for up to %.0f s before creating one (its request may "
                "still be on its way to the server)",
                self.what,
                pre_wait,
            )
            found = self._poll(pre_wait)
        if found:
            return self._converge(found, reattached=True)
        try:
            created = self.create()
        except Translate5Error as exc:
            if exc.terminal:
                self._remove_stubs(exc)
                raise
            log.warning(
                "The outcome of creating the %s is unknown (%s); looking it up for up to %.0f s in case the "
                "server is still saving it",
                self.what,
                exc,
                self.grace,
            )
            found = self._poll(self.grace, look_first=True)
            if not found:
                log.warning("No %s appeared within %.0f s; leaving it to the next try", self.what, self.grace)
                raise
            return self._converge(found, reattached=True)
        # The post-create check: concurrent tries (or a late save) may have created more than one. When a
        # lower id exists, this try's own unit is the duplicate: it is deleted and the other one re-used.
        outcome = self._converge([created, *self.lookup()], reattached=False)
        if self.root_of(outcome.unit) != self.root_of(created):
            return Outcome(outcome.unit, True, outcome.removed)
        return outcome

    def _poll(self, seconds: float, *, look_first: bool = False) -> Sequence[T]:
        deadline = self.clock() + seconds
        while True:
            if not look_first:
                self.sleep(max(0.0, min(self.poll_interval, deadline - self.clock())))
            look_first = False
            try:
                found = self.lookup()
            except Translate5Error as exc:
                if exc.terminal:
                    raise
                log.info("Lookup failed (%s); trying again", exc)
                found = []
            if found or self.clock() >= deadline:
                return found

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

    def _remove_stubs(self, exc: Translate5Error) -> None:
        """translate5 may save a task row before refusing the create (a 422 left one in state ``import``)."""
        try:
            stubs = self.lookup()
        except Translate5Error:
            return
        for root in sorted({self.root_of(row) for row in stubs}):
            log.warning("Deleting %s %s left behind by the refused create (%s)", self.what, root, exc)
            try:
                self.delete(root)
            except Translate5Error as error:
                log.warning("Could not delete %s %s: %s", self.what, root, error)
