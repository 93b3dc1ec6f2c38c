"""Benchmark 2: what importing the provider's operators and sensors adds to a DAG file's parse time.

Interleaved rounds of fresh interpreters: ``import airflow.sdk`` alone, ``import airflow.sdk,
airflow_provider_translate5.operators, airflow_provider_translate5.sensors``, and for comparison the same for
the dbt Cloud provider's and the HTTP provider's job operator and sensor (the order rotates every round).
The headline is the median of the per-round ratios to ``airflow.sdk`` alone, which cancels slow drifts of
the machine; the other providers are measured in the same rounds, so the comparison is like for like.
``-X importtime`` then shows where the provider's own import time goes, and a ``sys.modules`` diff lists
every module the provider loads beyond ``airflow.sdk``.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict

from bench.common import PYTHON, airflow_env, machine_facts, median, now_utc, run_child, spread
from bench.report import Goal, Result, Table, new_figure, save_figure

BASE = "import airflow.sdk"
WITH_PROVIDER = (
    "import airflow.sdk, airflow_provider_translate5.operators, airflow_provider_translate5.sensors"
)
#: The same kind of DAG-file import for two other providers: their job operator and its sensor.
OTHERS = {
    "dbt Cloud provider": "import airflow.sdk; "
    "from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator; "
    "from airflow.providers.dbt.cloud.sensors.dbt import DbtCloudJobRunSensor",
    "HTTP provider": "import airflow.sdk; "
    "from airflow.providers.http.operators.http import HttpOperator; "
    "from airflow.providers.http.sensors.http import HttpSensor",
}
LIMIT_PERCENT = 3.0
PROVIDER_PREFIX = "airflow_provider_translate5"
_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
_NEW_MODULES = (
    "import sys, airflow.sdk; before = set(sys.modules); "
    "import airflow_provider_translate5.operators, airflow_provider_translate5.sensors; "
    "import json; print(json.dumps(sorted(set(sys.modules) - before)))"
)


def _time_import(code: str) -> tuple[float, float]:
    """(wall, CPU) seconds of a fresh interpreter running ``code``."""
    child = run_child([PYTHON, "-c", code], env=airflow_env(), timeout=120)
    if child.returncode != 0:
        raise RuntimeError(f"{code!r} failed: {child.stderr[-2000:]}")
    return child.wall, child.cpu


def _importtime(runs: int) -> tuple[dict[str, tuple[float, float]], float]:
    """Median (self, cumulative) µs per provider module under ``-X importtime``, and the provider's total µs.

    The total is the cumulative time of the provider modules imported at top level (not from another
    provider module), so nested modules are not counted twice.
    """
    samples: dict[str, list[tuple[int, int]]] = defaultdict(list)
    totals: list[float] = []
    for _ in range(runs):
        child = run_child([PYTHON, "-X", "importtime", "-c", WITH_PROVIDER], env=airflow_env(), timeout=120)
        total = 0
        for line in child.stderr.splitlines():
            match = _IMPORTTIME.match(line)
            if match and match.group(4).startswith(PROVIDER_PREFIX) and "editable" not in match.group(4):
                samples[match.group(4)].append((int(match.group(1)), int(match.group(2))))
                if not match.group(3).strip(" ") and len(match.group(3)) <= 1:
                    total += int(match.group(2))
        totals.append(total)
    medians = {name: (median([s for s, _ in v]), median([c for _, c in v])) for name, v in samples.items()}
    return medians, median(totals)


def _new_modules() -> list[str]:
    child = run_child([PYTHON, "-c", _NEW_MODULES], env=airflow_env(), timeout=120)
    return list(json.loads(child.stdout.strip().splitlines()[-1]))


def _installed(code: str) -> bool:
    return run_child([PYTHON, "-c", code], env=airflow_env(), timeout=120).returncode == 0


def run(quick: bool, command: str) -> Result:
    started = time.perf_counter()
    pairs = 6 if quick else 30
    _time_import(WITH_PROVIDER)  # warm the page cache and byte-code caches for both variants
    others = {name: code for name, code in OTHERS.items() if _installed(code)}
    missing = sorted(set(OTHERS) - set(others))
    base: list[float] = []
    with_provider: list[float] = []
    cpu_ratios: list[float] = []
    other_ratios: dict[str, list[float]] = {name: [] for name in others}
    other_times: dict[str, list[float]] = {name: [] for name in others}
    variants = [BASE, WITH_PROVIDER, *others.values()]
    for index in range(pairs):
        shift = index % len(variants)
        order = variants[shift:] + variants[:shift]
        timings = {code: _time_import(code) for code in order}
        base.append(timings[BASE][0])
        with_provider.append(timings[WITH_PROVIDER][0])
        cpu_ratios.append(timings[WITH_PROVIDER][1] / timings[BASE][1])
        for name, code in others.items():
            other_times[name].append(timings[code][0])
            other_ratios[name].append(timings[code][0] / timings[BASE][0])
        print(
            f"  round {index + 1:2}/{pairs}: sdk {base[-1]:.3f} s, +translate5 {with_provider[-1]:.3f} s "
            f"(CPU {cpu_ratios[-1]:.3f}x)"
            + "".join(f", {name} {other_ratios[name][-1]:.3f}x" for name in others),
            flush=True,
        )
    ratios = [w / b for w, b in zip(with_provider, base, strict=True)]
    cpu_overhead = (median(cpu_ratios) - 1) * 100
    overhead = (median(ratios) - 1) * 100
    overhead_of_medians = (median(with_provider) / median(base) - 1) * 100
    modules, total_us = _importtime(3 if quick else 7)
    top = sorted(modules.items(), key=lambda item: item[1][0], reverse=True)
    own_ms = sum(self_us for self_us, _ in modules.values()) / 1000
    cumulative_ms = total_us / 1000
    new = _new_modules()
    foreign = sorted(m for m in new if not m.startswith(PROVIDER_PREFIX))

    holds = overhead <= LIMIT_PERCENT
    goal = Goal(
        "extra parse time of operators + sensors",
        f"≤ {LIMIT_PERCENT:.0f}%",
        f"{overhead:+.1f}% (median of {pairs} round ratios; {overhead_of_medians:+.1f}% between medians)"
        + "".join(f"; {name} {(median(r) - 1) * 100:+.1f}%" for name, r in other_ratios.items()),
        holds,
        "The provider's modules themselves take "
        f"{own_ms:.0f} ms (sum of self times under -X importtime) on top of `import airflow.sdk`'s "
        f"{median(base) * 1000:.0f} ms median wall time. CPU time (user + system, less sensitive to other "
        f"load on the machine) grows {cpu_overhead:+.1f}% (median of round ratios)."
        + ("" if holds else f" Misses by {overhead - LIMIT_PERCENT:.1f} points."),
    )
    fig = new_figure(7.0, 3.4)
    ax = fig.add_subplot(1, 2, 1)
    ax.boxplot([base, with_provider], tick_labels=["airflow.sdk", "+ operators, sensors"])
    ax.set_ylabel("wall time of the interpreter, s")
    ax.set_title(f"{pairs} interleaved rounds")
    ax.grid(alpha=0.3)
    ax = fig.add_subplot(1, 2, 2)
    ax.plot(range(1, pairs + 1), [(r - 1) * 100 for r in ratios], "o-", markersize=3)
    ax.axhline(LIMIT_PERCENT, color="red", linestyle="--", label=f"goal {LIMIT_PERCENT:.0f}%")
    ax.axhline(overhead, color="green", label=f"median {overhead:+.1f}%")
    ax.set_xlabel("pair")
    ax.set_ylabel("extra time, %")
    ax.set_title("per-pair overhead")
    ax.legend()
    ax.grid(alpha=0.3)
    figure = save_figure(fig, "parse")
    low, high = spread(base)
    low_p, high_p = spread(with_provider)
    return Result(
        name="parse",
        title="2. DAG parse cost: importing operators and sensors",
        summary=__doc__.split("\n\n", 1)[1].strip().replace("\n", " ")
        + (
            f" Not installed, so not measured: {', '.join(missing)} (install the `bench` extra)."
            if missing
            else ""
        ),
        command=command,
        date=now_utc(),
        quick=quick,
        seconds=time.perf_counter() - started,
        machine=machine_facts(),
        goals=[goal],
        tables=[
            Table(
                "Extra parse time over `import airflow.sdk`, measured in the same rounds",
                ["import", "median of round ratios", "between medians"],
                [["translate5 operators + sensors", f"{overhead:+.1f}%", f"{overhead_of_medians:+.1f}%"]]
                + [
                    [
                        f"{name}: `{code.split('; ', 1)[1]}`",
                        f"{(median(r) - 1) * 100:+.1f}%",
                        f"{(median(other_times[name]) / median(base) - 1) * 100:+.1f}%",
                    ]
                    for (name, code), r in zip(others.items(), other_ratios.values(), strict=True)
                ],
            ),
            Table(
                "Wall time of the interpreter (s)",
                ["variant", "median", "min-max", "runs"],
                [
                    ["`" + BASE + "`", f"{median(base):.3f}", f"{low:.3f}-{high:.3f}", str(pairs)],
                    [
                        "`" + WITH_PROVIDER + "`",
                        f"{median(with_provider):.3f}",
                        f"{low_p:.3f}-{high_p:.3f}",
                        str(pairs),
                    ],
                ],
            ),
            Table(
                "Provider modules under `-X importtime` (median µs; top contributors first)",
                ["module", "self µs", "cumulative µs"],
                [[f"`{name}`", f"{s:.0f}", f"{c:.0f}"] for name, (s, c) in top[:10]],
                f"Cumulative for the two packages together: about {cumulative_ms:.0f} ms. Modules loaded "
                f"beyond `airflow.sdk`: {len(new)}, of them not the provider's own: "
                + (", ".join(f"`{m}`" for m in foreign) if foreign else "none")
                + " (no `requests`, no client, no hook at parse time).",
            ),
        ],
        figures=[(figure, "Parse cost: interpreter wall time per variant and per-pair overhead.")],
        data={
            "base": base,
            "with_provider": with_provider,
            "others": other_ratios,
            "importtime": modules,
            "new_modules": new,
        },
    )
