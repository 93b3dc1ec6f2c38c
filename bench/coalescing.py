"""Benchmark 3: many deferred waits in one triggerer-like process, coalesced versus naive per-task polling.

For N = 10, 100 and 1,000 translate5 tasks, a fresh process (``bench/coalescing_worker.py``) runs N waits in
one asyncio event loop: the real ``Translate5TaskStateTrigger`` objects through their async ``run()``
generators (connection from an ``AIRFLOW_CONN_`` variable pointing at the simulator), or, as the baseline,
one ``client.get_task`` per task per interval. Measured: HTTP requests per poll interval (the simulator's
request log), CPU time per interval of the waiting process (``time.process_time``), and detection latency:
tasks get their workflow finished through the simulator's control API at random points of the poll cycle,
and the time until their wait yields is taken.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import (
    PYTHON,
    SimulatorProcess,
    airflow_env,
    machine_facts,
    median,
    now_utc,
    run_child,
    scratch,
)
from bench.report import Goal, Result, Table, new_figure, save_figure

FULL_NS = (10, 100, 1000)
QUICK_NS = (10, 100)
MODES = ("trigger", "naive")


def _page_size() -> int:
    from airflow_provider_translate5.triggers.poller import DEFAULT_PAGE_SIZE

    return int(DEFAULT_PAGE_SIZE)


def _create_tasks(sim: SimulatorProcess, count: int) -> list[int]:
    source = scratch("coalescing") / "segment.txt"
    source.write_text("One sentence to translate.\n")

    def create(index: int) -> int:
        with sim.client() as client:
            task = client.create_task(source, task_name=f"wait {index}", source_lang="en", target_lang="de")
            return int(task.id)

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(create, range(count)))
    return ids


def run(quick: bool, command: str) -> Result:
    started = time.perf_counter()
    ns = QUICK_NS if quick else FULL_NS
    interval = 1.0 if quick else 2.0
    steady = 3 if quick else 5
    finishes = 3 if quick else 5
    page_size = _page_size()
    results: list[dict[str, Any]] = []
    with SimulatorProcess("--import-duration", "0.01") as sim:
        print(f"coalescing: simulator at {sim.base_url} (pid {sim.pid})", flush=True)
        reserve_needed = finishes * len(ns) * len(MODES)
        ids = _create_tasks(sim, max(ns) + reserve_needed)
        waiting, reserve = ids[: max(ns)], ids[max(ns) :]
        time.sleep(1.0)  # let the imports finish: waits start on imported tasks
        env = airflow_env(AIRFLOW_CONN_TRANSLATE5_DEFAULT=sim.connection)
        for n in ns:
            for mode in MODES:
                finish_ids, reserve = reserve[:finishes], reserve[finishes:]
                wait_ids = waiting[: n - finishes]
                cmd = [PYTHON, "-m", "bench.coalescing_worker", mode, str(interval), str(steady)]
                cmd += [",".join(map(str, finish_ids)), ",".join(map(str, wait_ids))]
                row = run_child(cmd, env=env, timeout=600).json()
                results.append(row)
                print(
                    f"  N={n:5} {mode:8} {row['requests_per_interval']:7.1f} req/interval, "
                    f"CPU {row['cpu_per_interval'] * 1000:7.1f} ms/interval, latency median "
                    f"{median(row['latencies']):.2f} s max {max(row['latencies']):.2f} s",
                    flush=True,
                )
    return _result(results, ns, interval, steady, finishes, page_size, quick, command, started)


def _result(
    results: list[dict[str, Any]],
    ns: tuple[int, ...],
    interval: float,
    steady: int,
    finishes: int,
    page_size: int,
    quick: bool,
    command: str,
    started: float,
) -> Result:
    by = {(r["n"], r["mode"]): r for r in results}
    rows = []
    for n in ns:
        for mode in MODES:
            r = by[(n, mode)]
            rows.append(
                [
                    str(n),
                    "coalesced triggers" if mode == "trigger" else "naive per-task polling",
                    f"{r['requests_per_interval']:.1f}",
                    str(math.ceil(n / page_size)) if mode == "trigger" else str(n),
                    f"{r['cpu_per_interval'] * 1000:.1f}",
                    f"{median(r['latencies']):.2f}",
                    f"{max(r['latencies']):.2f}",
                ]
            )
    goals = []
    for n in ns:
        r = by[(n, "trigger")]
        limit = math.ceil(n / page_size)
        # A window of k intervals holds k or k + 1 polls depending on where the poller's phase falls (a poll
        # sent just before the log reset is recorded just after it), so allow exactly one boundary poll.
        requests = r["requests_per_interval"] * r["intervals"]
        holds = requests <= limit * (math.floor(r["intervals"] + 1e-6) + 1)
        goals.append(
            Goal(
                f"requests per interval, N = {n}",
                f"≤ ceil(N / {page_size}) = {limit}",
                f"{r['requests_per_interval']:.2f} (naive: {by[(n, 'naive')]['requests_per_interval']:.1f})",
                holds,
                _requests_note(r, limit, interval, holds),
            )
        )
    for n in ns:
        r = by[(n, "trigger")]
        worst = max(r["latencies"])
        holds = worst <= interval
        goals.append(
            Goal(
                f"detection latency, N = {n}",
                f"≤ one poll interval ({interval:g} s)",
                f"max {worst:.2f} s, median {median(r['latencies']):.2f} s of {len(r['latencies'])}",
                holds,
                "" if holds else _latency_note(r, worst, interval, page_size),
            )
        )
    return Result(
        name="coalescing",
        title="3. Coalesced waiting: many deferred waits in one triggerer",
        summary=__doc__.split("\n\n", 1)[1].strip().replace("\n", " ")
        + f" Poll interval {interval:g} s, steady phase {steady} intervals, {finishes} finished tasks "
        "per run "
        f"for latency; the poller's page size is {page_size} ids per list request.",
        command=command,
        date=now_utc(),
        quick=quick,
        seconds=time.perf_counter() - started,
        machine=machine_facts(),
        goals=goals,
        tables=[
            Table(
                "Per poll interval, in one process",
                [
                    "N",
                    "waits",
                    "requests / interval",
                    "expected",
                    "CPU ms / interval",
                    "latency median s",
                    "latency max s",
                ],
                rows,
                "Requests by endpoint (trigger runs): "
                + "; ".join(f"N={n}: {by[(n, 'trigger')]['counts']}" for n in ns),
            )
        ],
        figures=_plots(by, ns, interval),
        notes=[_latency_caveat(by, ns, interval, finishes)],
        data={"runs": results},
    )


def _requests_note(run: dict[str, Any], limit: int, interval: float, holds: bool) -> str:
    if not holds:
        return f"{run['requests_per_interval'] - limit:.2f} requests per interval too many"
    if run["requests_per_interval"] > limit + 0.05:
        return (
            f"{run['requests_per_interval'] * run['intervals']:.0f} requests in a window of "
            f"{run['intervals']:.1f} intervals: one poll fell on the window's edge (counted in, not extra)"
        )
    if run["requests_per_interval"] < limit - 0.05:
        period = interval * limit / run["requests_per_interval"]
        return (
            f"fewer than {limit}: polls ran every {period:.2f} s on average instead of every {interval:g} s "
            "(the poller runs at a fixed rate, so a poll longer than the interval delays the next one)"
        )
    return ""


def _latency_caveat(
    by: dict[tuple[int, str], dict[str, Any]], ns: tuple[int, ...], interval: float, finishes: int
) -> str:
    """What the latency goal's few samples do and do not show."""
    headroom = min(interval - max(by[(n, "trigger")]["latencies"]) for n in ns)
    big = max(ns)
    share = 100 * by[(big, "naive")]["requests_per_interval"] / big
    naive_worst = max(by[(big, "naive")]["latencies"])
    return (
        f"Detection latency is sampled {finishes} times per N at random points of the poll cycle. It is not "
        "bounded by the interval by construction: a workflow that ends after translate5 has read its page "
        "but before that poll's answer reaches the triggers is only seen by the next poll, so the worst case "
        "is one interval plus one poll's own duration (longer with more pages: two list requests at "
        f"N = 1000). The smallest headroom in this run was {headroom:.2f} s; an unlucky sample can exceed "
        "the interval, most likely at the largest N. "
        f"The naive baseline does not keep up at N = {big}: it completes {share:.0f}% of the {big} requests "
        "per interval it needs (its `get_task` calls queue for the event loop's default thread pool and one "
        f"simulator), so its worst latency is {naive_worst:.1f} s."
    )


def _latency_note(run: dict[str, Any], worst: float, interval: float, page_size: int) -> str:
    pages = math.ceil(run["n"] / page_size)
    return (
        f"worst case {worst - interval:.2f} s ({100 * (worst / interval - 1):.0f}%) over. The poller runs at "
        f"a fixed rate; a workflow that ends just after translate5 answered its page waits a full interval "
        f"for the next poll and then for that poll's own {pages} list request(s) and the hand-over to the "
        f"trigger, so the worst case is the interval plus one poll's duration"
    )


def _plots(
    by: dict[tuple[int, str], dict[str, Any]], ns: tuple[int, ...], interval: float
) -> list[tuple[str, str]]:
    fig = new_figure(9.0, 3.2)
    labels = {"trigger": "coalesced triggers", "naive": "naive per-task polling"}
    panels: tuple[tuple[str, Callable[[dict[str, Any]], float], bool], ...] = (
        ("requests per interval", lambda r: r["requests_per_interval"], True),
        ("CPU ms per interval", lambda r: r["cpu_per_interval"] * 1000, True),
        ("max detection latency, s", lambda r: max(r["latencies"]), False),
    )
    for index, (title, value, log) in enumerate(panels):
        ax = fig.add_subplot(1, 3, index + 1)
        for mode, style in (("trigger", "o-"), ("naive", "s--")):
            ax.plot(ns, [value(by[(n, mode)]) for n in ns], style, label=labels[mode])
        ax.set_xscale("log")
        if log:
            ax.set_yscale("log")
        else:
            ax.axhline(interval, color="red", linestyle=":", label="poll interval")
        ax.set_xlabel("N waiting tasks")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return [
        (save_figure(fig, "coalescing"), "Coalesced triggers versus naive per-task polling, one process.")
    ]
