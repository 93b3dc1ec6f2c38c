"""Results of one benchmark (goals, tables, plots) and the ``docs/performance.md`` page built from them.

Each benchmark saves its result as JSON under ``.bench/results/``; the page is rebuilt from every saved
result, so running one benchmark refreshes its section and keeps the others (each section names the command
and date that produced it).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import DOCS, IMG_DIR, RESULTS_DIR

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ORDER = ("transfers", "parse", "coalescing", "scale")
PAGE = DOCS / "performance.md"


@dataclass
class Goal:
    """A target from issue 6 and whether this run met it; ``note`` says by how much and why when missed."""

    name: str
    target: str
    measured: str
    holds: bool
    note: str = ""


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class Result:
    name: str
    title: str
    summary: str
    command: str
    date: str
    quick: bool
    seconds: float
    machine: dict[str, str]
    goals: list[Goal] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)  # (path relative to docs/, caption)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def save(self) -> Path:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"{self.name}.json"
        path.write_text(json.dumps(asdict(self), indent=1))
        return path

    @classmethod
    def load(cls, path: Path) -> Result:
        raw = json.loads(path.read_text())
        raw["goals"] = [Goal(**g) for g in raw["goals"]]
        raw["tables"] = [Table(**t) for t in raw["tables"]]
        raw["figures"] = [tuple(f) for f in raw["figures"]]
        return cls(**raw)

    @property
    def missed(self) -> list[Goal]:
        return [goal for goal in self.goals if not goal.holds]


def new_figure(width: float = 7.0, height: float = 3.6) -> Figure:
    """A figure on the Agg backend (no display needed)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig


def save_figure(fig: Figure, name: str) -> str:
    """Write ``docs/img/perf-<name>.png``; returns the path relative to ``docs/`` for the page."""
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    path = IMG_DIR / f"perf-{name}.png"
    fig.savefig(path)
    return str(path.relative_to(DOCS))


def _table(table: Table) -> list[str]:
    lines = [f"**{table.title}**", ""] if table.title else []
    lines.append("| " + " | ".join(table.headers) + " |")
    lines.append("| " + " | ".join("---" for _ in table.headers) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in table.rows]
    if table.note:
        lines += ["", table.note]
    return [*lines, ""]


def _verdict(goal: Goal) -> str:
    return "**holds**" if goal.holds else "**MISSED**"


def _section(result: Result) -> list[str]:
    lines = [f"## {result.title}", "", result.summary, ""]
    lines += [
        f"Produced by `{result.command}` on {result.date} in {result.seconds:.0f} s"
        + (" (quick smoke variant: smaller sizes, fewer runs)." if result.quick else "."),
        "",
    ]
    if result.goals:
        lines += ["| goal | target | measured | verdict |", "| --- | --- | --- | --- |"]
        lines += [f"| {g.name} | {g.target} | {g.measured} | {_verdict(g)} |" for g in result.goals]
        lines.append("")
        lines += [f"- {g.name}: {g.note}" for g in result.goals if g.note]
        lines.append("")
    for table in result.tables:
        lines += _table(table)
    for path, caption in result.figures:
        lines += [f"![{caption}]({path})", "", f"*{caption}*", ""]
    for note in result.notes:
        lines += [note, ""]
    return lines


def load_results() -> dict[str, Result]:
    found = {}
    for name in ORDER:
        path = RESULTS_DIR / f"{name}.json"
        if path.exists():
            found[name] = Result.load(path)
    return found


def write_page(results: dict[str, Result]) -> Path:
    """Rebuild ``docs/performance.md`` from every saved result."""
    latest = max(results.values(), key=lambda r: r.date) if results else None
    lines = [
        "# Performance",
        "",
        "Benchmarks of the provider against the bundled translate5 simulator on loopback (issue 6). The",
        "simulator always runs as a separate process, so its CPU and memory never count against the measured",
        "process. Figures are medians of several runs; ratios compare runs made side by side in the same",
        "benchmark run. Regenerate everything with `make bench` (`python -m bench`); one benchmark with",
        "`python -m bench transfers|parse|coalescing|scale`; `--quick` is a fast smoke variant and",
        "`--no-fail` keeps the exit code 0 when a goal is missed. The code is in `bench/`.",
        "",
    ]
    if latest is not None:
        lines += ["## Machine", "", "| fact | value |", "| --- | --- |"]
        lines += [f"| {key} | {value} |" for key, value in latest.machine.items()]
        lines.append("")
        lines += [
            "## Goals at a glance",
            "",
            "| benchmark | goal | measured | verdict |",
            "| --- | --- | --- | --- |",
        ]
        for result in results.values():
            lines += [
                f"| {result.name} | {g.name} ({g.target}) | {g.measured} | {_verdict(g)} |"
                for g in result.goals
            ]
        lines.append("")
    for name in ORDER:
        if name in results:
            lines += _section(results[name])
        else:
            lines += [f"## {name}", "", f"Not run yet: `python -m bench {name}`.", ""]
    PAGE.write_text("\n".join(lines).rstrip() + "\n")
    return PAGE
