"""The shared poller can be watched: triggerer log lines at a readable rate, Airflow metrics per poll.

The poller runs against the bundled simulator through Airflow's real metrics module (a recording backend
installed with ``stats.initialize``), as a triggerer would run it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
import structlog

from airflow_provider_translate5.client import Translate5Client
from airflow_provider_translate5.triggers import poller

POLLER_LOG = "airflow_provider_translate5.triggers.poller"


class RecordingStats:
    """A metrics backend for Airflow's stats module that remembers every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float, dict[str, Any]]] = []

    def incr(self, stat: str, count: int = 1, rate: float = 1, *, tags: dict[str, Any] | None = None) -> None:
        self.calls.append(("incr", stat, count, tags or {}))

    def decr(self, stat: str, count: int = 1, rate: float = 1, *, tags: dict[str, Any] | None = None) -> None:
        self.calls.append(("decr", stat, count, tags or {}))

    def gauge(
        self,
        stat: str,
        value: float,
        rate: float = 1,
        delta: bool = False,
        *,
        tags: dict[str, Any] | None = None,
    ) -> None:
        self.calls.append(("gauge", stat, value, tags or {}))

    def timing(self, stat: str, dt: Any, *, tags: dict[str, Any] | None = None) -> None:
        self.calls.append(("timing", stat, float(dt), tags or {}))

    def total(self, stat: str) -> float:
        return sum(value for kind, name, value, _ in self.calls if kind == "incr" and name == stat)

    def values(self, stat: str) -> list[float]:
        return [value for kind, name, value, _ in self.calls if kind == "gauge" and name == stat]


@pytest.fixture
def metrics(monkeypatch: pytest.MonkeyPatch) -> RecordingStats:
    """Airflow's metrics module (the one the triggerer initialises) sending to a recorder."""
    from airflow._shared.observability.metrics import stats

    recorder = RecordingStats()
    for name in ("_factory", "_backend", "_export_legacy_names"):
        monkeypatch.setattr(stats, name, getattr(stats, name))
    stats.initialize(factory=lambda: recorder, export_legacy_names=False)  # type: ignore[arg-type,return-value]
    return recorder


@pytest.fixture
def sim(translate5_simulator: Any, translate5_connection: str) -> Any:
    return translate5_simulator


def task_list_requests(sim: Any) -> int:
    return sum(1 for r in sim.requests if r.method == "GET" and r.path == "/editor/task")


def create_tasks(sim: Any, tmp_path: Path, count: int) -> list[int]:
    page = tmp_path / "page.html"
    page.write_text("<p>Hello.</p>", encoding="utf-8")
    with Translate5Client(sim.base_url, sim.token) as client:
        return [
            client.create_task(page, task_name=f"Page {n}", source_lang="en", target_lang="de").id
            for n in range(count)
        ]


async def take_snapshots(ids_per_wait: list[list[int]], polls: int, interval: float = 0.02) -> list[Any]:
    """Subscribe one wait per id list to the same poller and let it poll ``polls`` times."""
    async with asyncio.TaskGroup() as group:
        results = [group.create_task(_wait(ids, polls, interval)) for ids in ids_per_wait]
    return [r.result() for r in results]


async def _wait(ids: list[int], polls: int, interval: float) -> list[Any]:
    snapshots = []
    async with poller.subscribe(
        conn_id="translate5_default", poll_interval=interval, kind=poller.TASKS, ids=ids
    ) as subscription:
        for _ in range(polls):
            snapshots.append(await subscription.next())
    return snapshots


def poller_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == POLLER_LOG]


async def test_metrics_count_polls_requests_and_waits(
    sim: Any, tmp_path: Path, metrics: RecordingStats
) -> None:
    first, second = create_tasks(sim, tmp_path, 2)
    before = task_list_requests(sim)

    await take_snapshots([[first], [second]], polls=3)

    requests = task_list_requests(sim) - before
    assert requests >= 3
    # One poll is one request here (two ids fit one page), and the metrics say exactly what the server saw.
    assert metrics.total("translate5.poller.polls") == requests
    assert metrics.total("translate5.poller.requests") == requests
    assert metrics.total("translate5.poller.errors") == 0
    assert max(metrics.values("translate5.poller.waits")) == 2
    assert max(metrics.values("translate5.poller.ids")) == 2
    tags = {tuple(sorted(t.items())) for _, name, _, t in metrics.calls if name.startswith("translate5.")}
    assert tags == {(("conn_id", "translate5_default"), ("kind", "tasks"))}


async def test_metrics_count_pages_as_requests(sim: Any, tmp_path: Path, metrics: RecordingStats) -> None:
    ids = create_tasks(sim, tmp_path, 3)
    before = task_list_requests(sim)
    async with poller.subscribe(
        conn_id="translate5_default", poll_interval=0.02, kind=poller.TASKS, ids=ids, page_size=2
    ) as subscription:
        snapshot = await subscription.next()
    assert sorted(snapshot.items) == sorted(ids)
    assert task_list_requests(sim) - before == 2  # three ids in pages of two
    assert metrics.total("translate5.poller.requests") == 2
    assert metrics.total("translate5.poller.polls") == 1


async def test_a_failed_poll_is_counted_and_logged_once_with_its_ids(
    sim: Any, tmp_path: Path, metrics: RecordingStats, caplog: pytest.LogCaptureFixture
) -> None:
    (task_id,) = create_tasks(sim, tmp_path, 1)
    sim.faults.fail_next(1, status=403, message="Forbidden", method="GET", path="/editor/task")
    caplog.set_level(logging.INFO, logger=POLLER_LOG)

    (snapshots,) = await take_snapshots([[task_id]], polls=3)

    assert snapshots[0].error is not None
    assert snapshots[0].terminal
    assert [s.error for s in snapshots[1:]] == [None, None]
    assert metrics.total("translate5.poller.errors") == 1
    assert metrics.total("translate5.poller.polls") == 3
    warnings = [r for r in caplog.records if r.name == POLLER_LOG and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(task_id) in warnings[0].getMessage()
    assert "403" in warnings[0].getMessage() or "Forbidden" in warnings[0].getMessage()
    assert any("succeed again after 1 failed poll" in m for m in poller_messages(caplog))


async def test_the_log_summarises_at_most_once_a_minute(
    sim: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ids = create_tasks(sim, tmp_path, 2)
    caplog.set_level(logging.INFO, logger=POLLER_LOG)

    await take_snapshots([[ids[0]], [ids[1]]], polls=10)

    messages = poller_messages(caplog)
    summaries = [m for m in messages if "since the last report" in m]
    assert len(summaries) == 1, messages  # ten polls in well under a minute: one line, not ten
    assert f"2 wait(s) on 2 id(s) [{ids[0]}, {ids[1]}]" in summaries[0]
    assert sum("poller started" in m for m in messages) == 1
    assert sum("poller stopped" in m for m in messages) == 1
    joined = [m for m in messages if m.startswith("waiting for translate5 id(s)")]
    assert len(joined) == 2
    assert "now shared by 2 wait(s)" in joined[1]


def test_summary_lines_carry_the_counts_since_the_previous_line(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    report = poller.PollReport(conn_id="t5", kind=poller.TASKS, poll_interval=30, clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger=POLLER_LOG)
    for _ in range(4):  # two minutes at one poll per 30 s
        report.polled(waits=3, ids=[1, 2, 3], requests=1, seconds=0.1, error=None)
        now[0] += 30
    report.polled(waits=3, ids=[1, 2, 3], requests=1, seconds=0.1, error="Boom")
    now[0] += 30
    report.polled(waits=3, ids=[1, 2, 3], requests=1, seconds=0.1, error="Boom")

    summaries = [m for m in poller_messages(caplog) if "since the last report" in m]
    # t=0 (first poll), t=60, t=150 (the repeated failure is summarised, not logged again)
    assert len(summaries) == 3
    assert "1 poll(s), 1 request(s), 0 failed" in summaries[0]
    assert "2 poll(s), 2 request(s), 0 failed" in summaries[1]
    assert "3 poll(s), 3 request(s), 2 failed" in summaries[2]
    assert sum("poll failed" in m for m in poller_messages(caplog)) == 1


def test_many_ids_are_shortened_in_log_lines() -> None:
    text = poller.describe_ids(list(range(1, 501)))
    assert text.startswith("1, 2, 3,")
    assert text.endswith("(+480 more)")
    assert "21" not in text.split(", ")


async def test_poller_logs_outside_the_log_context_of_the_wait_that_started_it(
    sim: Any, tmp_path: Path
) -> None:
    """Airflow's triggerer routes a log line to a task's log by the trigger id bound in the context."""
    (task_id,) = create_tasks(sim, tmp_path, 1)
    seen: list[tuple[str, dict[str, Any]]] = []

    class ContextRecorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append((record.getMessage(), dict(structlog.contextvars.get_contextvars())))

    handler = ContextRecorder(level=logging.INFO)
    logger = logging.getLogger(POLLER_LOG)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        structlog.contextvars.bind_contextvars(trigger_id=42)
        try:
            await take_snapshots([[task_id]], polls=2)
        finally:
            structlog.contextvars.unbind_contextvars("trigger_id")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)

    joined = [ctx for message, ctx in seen if message.startswith("waiting for translate5")]
    poller_lines = [ctx for message, ctx in seen if "translate5 poller" in message]
    assert joined == [{"trigger_id": 42}]  # the wait's own line goes to its task log
    assert poller_lines
    assert all("trigger_id" not in ctx for ctx in poller_lines)
