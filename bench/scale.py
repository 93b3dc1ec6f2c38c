"""Benchmark 4: the CMS round-trip example DAG, 1,000 and 10,000 items, real scheduler and triggerer.

``example_dags/translate5_cms_roundtrip.py`` runs unchanged from the repository's ``example_dags/`` folder
with its default params but ``batch_size``: items travel in batches, a mapped task group per batch composed
of the provider's operators (the batch's orders read from a file, ``Translate5UploadTaskOperator`` with
``items=`` ordering a project with two target languages per item, the deferrable import and workflow sensors
on the upload's ``task_ids``, ``Translate5ExportOperator`` with ``items=``), then one delivery. Airflow runs
as separate processes (``airflow scheduler``, ``dag-processor``, ``triggerer``, ``api-server``;
LocalExecutor) on SQLite in an isolated ``AIRFLOW_HOME`` under ``.bench/``, against the simulator; the sizes
run one after the other in the same Airflow, each from an empty translate5. translate5 holds each stage until
Airflow has handed all its waits to the triggerer (see ``_Gates``), then imports take 2 s and workflows
finish by themselves 2 s later (``workflow_auto_finish``). While a run goes, the task-instance table is
sampled every second: which task instances hold a worker slot (``running``) and which wait in the triggerer
(``deferred``), and the resident memory of the scheduler and of the triggerer. Every request to translate5 is
counted by endpoint.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON,
    REPO,
    SimulatorProcess,
    airflow_env,
    machine_facts,
    now_utc,
    run_child,
    scratch,
    stop_process_group,
)
from bench.report import Goal, Result, Table, new_figure, save_figure

DAG_ID = "translate5_cms_roundtrip"
SENSORS = ("translate.wait_for_import", "translate.wait_for_translation")
#: (items, batch_size param): the DAG's default batches of 250. ``BENCH_SCALE_SIZES`` (e.g. ``10000:250``)
#: runs a subset; ``100000:250`` is the size issue 21 asks about (memory growing with the drop or not).
SIZES, QUICK_SIZES = ((1000, 250), (10000, 250)), ((20, 250),)
REQUESTS_PER_ITEM_GOAL = 3.5  # two target languages (issue 21)
COMPONENTS = (("scheduler",), ("dag-processor",), ("triggerer",))
POKE_INTERVAL = 2.0
HOLD = 1e7  # seconds: an import that does not end until released
RELEASE_SECONDS = 2.0
SETTLED = frozenset({"deferred", "success", "failed", "upstream_failed", "skipped"})
STRETCH_LIMIT = 60.0  # a sensor running longer than this at a stretch held its slot while waiting
PARALLELISM = 16
MEMORY = ("scheduler", "triggerer")  # whose resident memory is sampled: does it grow with the drop?
PARAGRAPH = "<p>Our trail shoes are made for long distances and rough ground. Item {n}, paragraph {p}.</p>\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Airflow:
    """The Airflow processes of one run; every one is killed (its process group) when the block ends."""

    def __init__(self, home: Path, env: dict[str, str], api_port: int) -> None:
        self.home, self.env, self.api_port = home, env, api_port
        self.procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> _Airflow:
        logs = self.home / "process-logs"
        logs.mkdir(parents=True, exist_ok=True)
        commands = [*COMPONENTS, ("api-server", "--port", str(self.api_port), "--host", "127.0.0.1")]
        for args in commands:
            with (logs / f"{args[0]}.log").open("wb") as log:
                self.procs.append(
                    subprocess.Popen(
                        [PYTHON, "-m", "airflow", *args],
                        env=self.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            stop_process_group(proc, grace=15)

    def rss_mib(self, component: str) -> float:
        """Resident memory of a component: the scheduler's own process (its LocalExecutor workers run the
        task instances and are not counted), the triggerer with its processes (the triggers run in a child
        process it supervises)."""
        import psutil

        proc = self.procs[[args[0] for args in (*COMPONENTS, ("api-server",))].index(component)]
        try:
            root = psutil.Process(proc.pid)
            family = [root, *root.children(recursive=True)] if component == "triggerer" else [root]
        except psutil.Error:
            return 0.0
        total = 0
        for member in family:
            with contextlib.suppress(psutil.Error):
                total += member.memory_info().rss
        return total / 2**20

    def check_alive(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"Airflow process {proc.args!r} exited with {proc.returncode}; see {self.home}"
                )


def _wait_until(what: str, check: Any, timeout: float, airflow: _Airflow) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        airflow.check_alive()
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(1)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def _query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
        return list(conn.execute(sql, params).fetchall())


def _api_healthy(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5) as answer:
        return bool(answer.status == 200)


def _sample(db: Path, run_id: str) -> tuple[str | None, list[tuple[str, int, str | None]]]:
    run = _query(db, "SELECT state FROM dag_run WHERE dag_id = ? AND run_id = ?", DAG_ID, run_id)
    tis = _query(
        db,
        "SELECT task_id, map_index, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
        DAG_ID,
        run_id,
    )
    return (run[0][0] if run else None), [(t, int(m), s) for t, m, s in tis]


class _Gates:
    """Let translate5 finish a stage only once Airflow's sensors for it are all waiting.

    Imports are held (a huge ``import_duration``) until every ``wait_for_import`` is deferred, then take
    ``RELEASE_SECONDS``; workflows get ``workflow_auto_finish`` only once every ``wait_for_translation`` is
    deferred. With fixed durations instead, 200 items keep Airflow busy longer than translate5 needs, so
    the sensors would find everything done on their first check and no wait would be measured. A sensor that
    kept its worker slot would never reach ``deferred``: its stage is then released after ``stage_timeout``.
    """

    def __init__(self, sim: SimulatorProcess, items: int, stage_timeout: float) -> None:
        self.sim, self.items, self.stage_timeout = sim, items, stage_timeout
        self.first_seen: dict[str, float] = {}
        self.released: dict[str, float] = {}
        self.deferred_at_release: dict[str, int] = {}
        self.holding_at_release: dict[str, int] = {}
        self.notes: list[str] = []

    def update(self, moment: float, tis: list[tuple[str, int, str | None]]) -> None:
        for sensor, knob in zip(SENSORS, ("import_duration", "workflow_auto_finish"), strict=True):
            if sensor in self.released:
                continue
            states = [s for t, _, s in tis if t == sensor]
            if not states or all(s is None for s in states):
                continue
            self.first_seen.setdefault(sensor, moment)
            deferred = sum(1 for s in states if s == "deferred")
            everyone = len(states) == self.items and deferred == self.items
            settled = len(states) == self.items and all(s in SETTLED for s in states)
            late = moment - self.first_seen[sensor] > self.stage_timeout
            if settled or late:
                self.sim.knobs(**{knob: RELEASE_SECONDS})
                self.released[sensor] = moment
                self.deferred_at_release[sensor] = deferred
                # Not started yet (no state) holds nothing; started and neither deferred nor ended does.
                self.holding_at_release[sensor] = sum(1 for s in states if s is not None and s not in SETTLED)
                print(
                    f"  {moment:5.0f} s: released {sensor} ({deferred} of {self.items} deferred)", flush=True
                )
                if not everyone:
                    ended = dict(Counter(s for s in states if s != "deferred"))
                    self.notes.append(
                        f"`{sensor}`: {deferred} of {self.items} sensors were deferred when translate5 was "
                        f"let finish ({'stage timeout' if late and not settled else 'the others had ended'}: "
                        f"{ended})."
                    )


_EXC_VALUE = re.compile(r'"exc_type":"(\w+)","exc_value":"((?:[^"\\]|\\.)*)"')


def failures(home: Path, run_id: str, samples: list[tuple[float, list[tuple[str, int, str | None]]]]) -> str:
    """Which task instances failed, and the first exception in their logs (ids replaced, so they group)."""
    last = samples[-1][1] if samples else []
    failed = sorted((t, m) for t, m, s in last if s == "failed")
    if not failed:
        return ""
    reasons: Counter[str] = Counter()
    for task_id, map_index in failed:
        folder = home / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={task_id}"
        folder = folder / f"map_index={map_index}" if map_index >= 0 else folder
        found = "no exception in the task log"
        for log in sorted(folder.glob("attempt=*.log"), reverse=True):
            match = _EXC_VALUE.search(log.read_text(errors="replace"))
            if match:
                found = f"{match.group(1)}: " + re.sub(r"\b\d+\b", "N", match.group(2))
                break
        reasons[found] += 1
    by_task = Counter(t for t, _ in failed)
    text = (
        "failed: "
        + ", ".join(f"{n} `{t}`" for t, n in by_task.items())
        + ". Reasons: "
        + "; ".join(f"{n}x {reason}" for reason, n in reasons.most_common())
    )
    if any("no longer exist" in reason for reason in reasons):
        text += (
            ". The simulator never deletes tasks here, so this report is false: before commit 9782c41 the "
            "cause was a wait joining the shared poller mid-poll and being handed an answer that did not ask "
            "for its ids (triggers/poller.py `Poller.poll_once`); if it shows again, something else causes it"
        )
    return text


def _endpoint(key: str) -> str:
    """``GET /editor/task/17`` -> ``GET /editor/task/{id}``; session ids (logout) never reach the page."""
    return re.sub(r"/(\d+|[A-Za-z0-9]{16,})(?=/|$)", "/{id}", key)


def _content(folder: Path, items: int) -> None:
    for n in range(items):
        page = folder / "pages" / f"{n // 1000:02d}" / f"page-{n:05d}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(PARAGRAPH.format(n=n, p=p) for p in range(5))
        page.write_text(f"<html><body><h1>Page {n}</h1>\n{body}</body></html>\n")


@dataclass
class _Run:
    """What one size's DAG run showed."""

    items: int
    batch_size: int
    wall: float = 0.0
    final_state: str | None = None
    samples: list[tuple[float, list[tuple[str, int, str | None]]]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    gates: _Gates | None = None
    failed_note: str = ""
    notes: list[str] = field(default_factory=list)
    delivered: int = 0
    #: resident MiB per component: at the trigger, and the peak while the run went
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)


def _one_run(
    sim: SimulatorProcess, env: dict[str, str], home: Path, airflow: _Airflow, items: int, batch_size: int
) -> _Run:
    """Trigger the DAG for a content drop of ``items`` files and sample it until it ends."""
    base = scratch(f"scale-{items}")
    drop, cms = base / "content-drop", base / "cms-import"
    _content(drop, items)
    batches = -(-items // batch_size)
    timeout = float(os.environ.get("BENCH_SCALE_TIMEOUT") or 300.0 + 0.45 * items)
    result = _Run(items, batch_size)
    sim.reset()  # an empty translate5 (and request log) for every size
    sim.knobs(import_duration=HOLD, workflow_auto_finish=None)
    run_id = f"bench-scale-{items}"
    conf = {"content_drop": drop.as_uri(), "cms_import": cms.as_uri(), "batch_size": batch_size}
    trigger = run_child(
        [PYTHON, "-m", "airflow", "dags", "trigger", DAG_ID, "--run-id", run_id, "--conf", json.dumps(conf)],
        env=env,
        timeout=300,
    )
    if trigger.returncode != 0:
        raise RuntimeError(f"airflow dags trigger failed: {trigger.stderr[-3000:]}")
    t0 = time.monotonic()
    print(f"  {items} items ({batches} batches): triggered; sampling every second", flush=True)
    # A stage may take as long as all uploads (or exports) of the run; only then is the gate a safety net.
    gates = _Gates(sim, batches, stage_timeout=max(600.0, 0.3 * items))
    last_print = 0.0
    db = home / "airflow.db"
    result.memory = {name: (airflow.rss_mib(name),) * 2 for name in MEMORY}
    while time.monotonic() - t0 < timeout:
        airflow.check_alive()
        for name, (start, peak) in result.memory.items():
            result.memory[name] = (start, max(peak, airflow.rss_mib(name)))
        with contextlib.suppress(sqlite3.OperationalError):
            result.final_state, tis = _sample(db, run_id)
            moment = time.monotonic() - t0
            result.samples.append((moment, tis))
            gates.update(moment, tis)
            if time.monotonic() - last_print > 30:
                last_print = time.monotonic()
                print(f"  {moment:5.0f} s: {dict(Counter(s for _, _, s in tis))}", flush=True)
            if result.final_state in ("success", "failed"):
                break
        time.sleep(1)
    else:
        result.notes.append(
            f"The {items}-item run did not finish within {timeout:.0f} s; figures cover what happened until "
            "then."
        )
    result.wall = time.monotonic() - t0
    result.counts = sim.request_counts()
    result.gates = gates
    result.notes += gates.notes
    result.failed_note = failures(home, run_id, result.samples)
    result.delivered = sum(1 for p in (cms / "de").rglob("*") if p.is_file()) if (cms / "de").exists() else 0
    print(
        f"  {items} items: {result.final_state} after {result.wall:.0f} s, "
        f"{sum(result.counts.values()) / items:.2f} requests per item, {result.delivered} delivered (de)",
        flush=True,
    )
    return result


def run(quick: bool, command: str) -> Result:
    started = time.perf_counter()
    sizes: tuple[tuple[int, int], ...] = QUICK_SIZES if quick else SIZES
    if os.environ.get("BENCH_SCALE_SIZES"):
        sizes = tuple(
            (int(n), int(b or 250))
            for n, _, b in (part.partition(":") for part in os.environ["BENCH_SCALE_SIZES"].split(","))
        )
    home = scratch("scale") / "airflow-home"
    port = _free_port()
    runs: list[_Run] = []
    with SimulatorProcess("--import-duration", str(HOLD)) as sim:
        print(f"scale: simulator at {sim.base_url}; sizes {sizes}; AIRFLOW_HOME {home}", flush=True)
        env = airflow_env(
            home,
            AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "example_dags"),
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__PARALLELISM=str(PARALLELISM),
            AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG="256",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
            AIRFLOW__API__PORT=str(port),
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_free_port()),
            AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(_free_port()),
            AIRFLOW__API__SECRET_KEY=secrets.token_hex(16),
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
            AIRFLOW_CONN_TRANSLATE5_DEFAULT=sim.connection,
            TRANSLATE5_EXAMPLE_POKE_INTERVAL=str(POKE_INTERVAL),
        )
        migrate = run_child([PYTHON, "-m", "airflow", "db", "migrate"], env=env, timeout=600)
        if migrate.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed: {migrate.stderr[-3000:]}")
        db = home / "airflow.db"
        with _Airflow(home, env, port) as airflow:
            _wait_until("the API server", lambda: _api_healthy(port), 300, airflow)
            _wait_until(
                "the DAG to be parsed",
                lambda: _query(db, "SELECT 1 FROM serialized_dag WHERE dag_id = ?", DAG_ID),
                300,
                airflow,
            )
            for items, batch_size in sizes:
                runs.append(_one_run(sim, env, home, airflow, items, batch_size))
                # Saved after each size: a later size that hangs or is stopped keeps the earlier figures.
                partial = _result(runs, quick, command, started)
                partial.notes.append(f"Saved after the {items}-item run, before the remaining sizes.")
                partial.save()
    return _result(runs, quick, command, started)


def _stretches(samples: list[tuple[float, list[tuple[str, int, str | None]]]]) -> list[float]:
    """Longest continuous ``running`` stretch (s) of every sensor task instance that ever ran."""
    longest: dict[tuple[str, int], float] = {}
    since: dict[tuple[str, int], float] = {}
    for moment, tis in samples:
        running = {(t, m) for t, m, s in tis if t in SENSORS and s == "running"}
        for key in running:
            since.setdefault(key, moment)
            longest[key] = max(longest.get(key, 0.0), moment - since[key])
        for key in list(since):
            if key not in running:
                del since[key]
    return list(longest.values())


def _slot_goal(run: _Run) -> Goal:
    gates = run.gates
    assert gates is not None
    samples = run.samples
    times = [t for t, _ in samples]
    step = [b - a for a, b in itertools.pairwise(times)] + [1.0]
    sensor_running = [sum(1 for t, _, s in tis if t in SENSORS and s == "running") for _, tis in samples]
    sensor_deferred = [sum(1 for t, _, s in tis if t in SENSORS and s == "deferred") for _, tis in samples]
    running_seconds = sum(r * d for r, d in zip(sensor_running, step, strict=True))
    deferred_seconds = sum(r * d for r, d in zip(sensor_deferred, step, strict=True))
    stretches = _stretches(samples)
    longest = max(stretches, default=0.0)
    none_holding = bool(gates.released) and not any(gates.holding_at_release.values())
    holds = bool(samples) and none_holding and longest < STRETCH_LIMIT
    waits = {s: gates.released[s] - gates.first_seen[s] for s in SENSORS if s in gates.released}
    return Goal(
        f"worker slots held while waiting ({run.items} items)",
        "none",
        "sensors deferred when translate5 finished: "
        + ", ".join(f"{gates.deferred_at_release.get(s, 0)}/{gates.items} `{s}`" for s in SENSORS)
        + "; not deferred but still waiting: "
        + ", ".join(f"{gates.holding_at_release.get(s, 0)} `{s}`" for s in gates.released)
        + f"; longest sensor stretch in `running` {longest:.0f} s",
        holds,
        "translate5 let each stage finish only when no sensor of it was left outside the triggerer "
        + ", ".join(f"(`{s}` waited up to {w:.0f} s)" for s, w in waits.items())
        + f". Sensor time in a worker slot (process start-up, first check, resume): {running_seconds:.0f} "
        f"slot-seconds in all, against {deferred_seconds:.0f} task-seconds deferred; peak "
        f"{max(sensor_running, default=0)} sensors running at once, peak {max(sensor_deferred, default=0)} "
        "deferred."
        + (
            ""
            if holds
            else " Missed: a waiting sensor was not deferred when its stage ended, or one ran longer "
            f"than {STRETCH_LIMIT:.0f} s at a stretch."
        ),
    )


def _result(runs: list[_Run], quick: bool, command: str, started: float) -> Result:
    goals: list[Goal] = []
    tables: list[Table] = []
    summary_rows = []
    endpoints: dict[int, Counter[str]] = {}
    for run in runs:
        total = sum(run.counts.values())
        per_item = total / run.items
        by_endpoint: Counter[str] = Counter()
        for key, value in run.counts.items():
            by_endpoint[_endpoint(key)] += value
        endpoints[run.items] = by_endpoint
        ok = run.final_state == "success"
        goals.append(
            Goal(
                f"run completes ({run.items} items)",
                "DAG run state success, every item delivered",
                f"{run.final_state} after {run.wall:.0f} s, {run.delivered}/{run.items} delivered",
                ok and run.delivered == run.items,
                "" if ok else run.failed_note or "see the notes below",
            )
        )
        goals.append(
            Goal(
                f"requests per item ({run.items} items, two target languages)",
                f"≤ {REQUESTS_PER_ITEM_GOAL:g}",
                f"{per_item:.2f} ({total} requests)",
                ok and per_item <= REQUESTS_PER_ITEM_GOAL,
                "Every request the simulator answered while the run went, by endpoint in the table below.",
            )
        )
        goals.append(_slot_goal(run))
        running_all = [sum(1 for _, _, s in tis if s == "running") for _, tis in run.samples]
        summary_rows.append(
            [
                str(run.items),
                f"{-(-run.items // run.batch_size)} of {run.batch_size}",
                f"{run.wall:.0f}",
                f"{run.wall / run.items * 1000:.0f}",
                str(run.final_state),
                str(total),
                f"{per_item:.2f}",
                str(run.delivered),
                str(max(running_all, default=0)),
            ]
        )
        last = run.samples[-1][1] if run.samples else []
        states = Counter((t, s) for t, _, s in last)
        tables.append(
            Table(
                f"Task instances at the end ({run.items} items)",
                ["task", "states"],
                [
                    [t, ", ".join(f"{s}: {n}" for (tt, s), n in sorted(states.items(), key=str) if tt == t)]
                    for t in sorted({t for t, _ in states})
                ],
            )
        )
    sizes = [run.items for run in runs]
    all_endpoints = sorted({e for c in endpoints.values() for e in c}, key=lambda e: -endpoints[sizes[-1]][e])
    tables.insert(
        0,
        Table(
            "Runs",
            [
                "items",
                "batches",
                "wall time s",
                "ms per item",
                "final state",
                "requests",
                "requests per item",
                "delivered (de)",
                "peak running",
            ],
            summary_rows,
        ),
    )
    tables.insert(
        1,
        Table(
            "Resident memory (MiB): when the run was triggered, and its peak while it went",
            ["items", *[f"{name} {when}" for name in MEMORY for when in ("at start", "peak")]],
            [
                [
                    str(run.items),
                    *[f"{value:.0f}" for name in MEMORY for value in run.memory.get(name, (0, 0))],
                ]
                for run in runs
            ],
            "The scheduler's own process (its LocalExecutor workers, which run the task instances, are not "
            "counted); the triggerer with its child processes (the triggers run in one). The sizes run one "
            "after the other in the same Airflow, so a start value is what the run before left.",
        ),
    )
    tables.insert(
        2,
        Table(
            "Requests per item by endpoint",
            ["endpoint", *[f"{n} items" for n in sizes]],
            [[f"`{e}`", *[f"{endpoints[n][e] / n:.3f}" for n in sizes]] for e in all_endpoints]
            + [["**total**", *[f"**{sum(endpoints[n].values()) / n:.2f}**" for n in sizes]]],
            "Ids in paths are replaced by `{id}`. Every item is a project with two target languages (two "
            "tasks): one `POST /editor/task` per item, one filetranslation export per task; the upload's "
            "foreignId lookups (before its creates and after) are per batch (`filter` `in`), and the waits "
            "of all batches share the triggerer's polls.",
        ),
    )
    fig = new_figure(8.0, 3.6 * len(runs))
    for index, run in enumerate(runs):
        times = [t for t, _ in run.samples]
        ax = fig.add_subplot(len(runs), 1, index + 1)
        ax.plot(
            times, [sum(1 for _, _, s in tis if s == "running") for _, tis in run.samples], label="running"
        )
        ax.plot(
            times,
            [sum(1 for t, _, s in tis if t in SENSORS and s == "deferred") for _, tis in run.samples],
            label="sensors deferred (no slot)",
        )
        ax.axhline(PARALLELISM, color="grey", linestyle=":", label=f"parallelism {PARALLELISM}")
        ax.set_xlabel("seconds since the DAG run was triggered")
        ax.set_ylabel("task instances")
        ax.set_title(f"{run.items} content items, sampled every second")
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    figure = save_figure(fig, "scale")
    notes = [note for run in runs for note in run.notes]
    notes.append(
        "SQLite: Airflow 3 accepts LocalExecutor on SQLite, and these runs used it. SQLite serialises every "
        "write (scheduler, triggerer, API server for the task processes), so this is a lower bound on what "
        f"Airflow itself can do; parallelism was set to {PARALLELISM} for a 2-core machine. Poke interval "
        f"{POKE_INTERVAL:g} s (the example's `TRANSLATE5_EXAMPLE_POKE_INTERVAL`, set for every process). The "
        "simulator answers in milliseconds; a real translate5 spends about 0.28 s of PHP time per call, so "
        "against a real server the requests per item, not Airflow, set the pace."
    )
    return Result(
        name="scale",
        title="4. Scale: the round-trip example DAG with " + " and ".join(f"{n:,}" for n in sizes) + " items",
        summary=__doc__.split("\n\n", 1)[1].strip().replace("\n", " "),
        command=command,
        date=now_utc(),
        quick=quick,
        seconds=time.perf_counter() - started,
        machine=machine_facts(),
        goals=goals,
        tables=tables,
        figures=[(figure, "Task instances over each run: worker slots in use versus sensors waiting.")],
        notes=notes,
        data={
            "runs": [
                {
                    "items": r.items,
                    "wall": r.wall,
                    "state": r.final_state,
                    "counts": r.counts,
                    "memory": r.memory,
                }
                for r in runs
            ]
        },
    )
