"""``python -m bench [BENCHMARK ...] [--quick] [--no-fail] [--quiet-load L]`` (see ``bench.report.ORDER``).

Runs the chosen benchmarks (default: all), saves their results under ``.bench/results/`` and rebuilds
``docs/performance.md`` from every saved result. Exits 1 when a goal of a benchmark run now was missed (a
performance regression is a bug), unless ``--no-fail``. On a shared machine each benchmark first waits (up
to ``--quiet-wait`` seconds) until the 1-minute load average is below ``--quiet-load``; the load it started
under is recorded on the page either way.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import signal
import sys
import time
from collections.abc import Sequence

from bench.common import code_version
from bench.report import ORDER, load_results, write_page


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "benchmarks", nargs="*", metavar="BENCHMARK", help=f"any of {', '.join(ORDER)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer runs (smoke test)")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a goal is missed")
    parser.add_argument(
        "--quiet-load",
        type=float,
        default=1.5,
        metavar="L",
        help="before each benchmark, wait until the 1-minute load average is below L (0: do not wait)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=600.0,
        metavar="S",
        help="wait at most S seconds for a quiet machine, then run anyway (default: 600)",
    )
    return parser


def wait_for_quiet(limit: float, max_wait: float, poll: float = 20.0) -> dict[str, float | bool]:
    """Wait until the 1-minute load average is below ``limit`` (at most ``max_wait`` s); say how it went."""
    started = time.monotonic()
    while limit > 0 and os.getloadavg()[0] >= limit and time.monotonic() - started < max_wait:
        print(
            f"   load average {os.getloadavg()[0]:.2f} >= {limit:g}; waiting for a quieter machine",
            flush=True,
        )
        time.sleep(min(poll, max(0.0, max_wait - (time.monotonic() - started))))
    load = os.getloadavg()
    return {
        "limit": limit,
        "waited": round(time.monotonic() - started),
        "quiet": limit <= 0 or load[0] < limit,
        "load1": load[0],
        "load5": load[1],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = set(args.benchmarks) - set(ORDER)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(ORDER)}")
    chosen = [name for name in ORDER if name in (args.benchmarks or ORDER)]
    knobs = [f"{k}={shlex.quote(v)}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_SCALE_")]
    command = " ".join(
        [*knobs, "python -m bench", shlex.join(list(argv if argv is not None else sys.argv[1:]))]
    )
    os.environ.setdefault("MPLBACKEND", "Agg")
    # SIGTERM unwinds like an exception, so every benchmark stops the processes it started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.perf_counter()
    missed: list[str] = []
    for name in chosen:
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        start_load = wait_for_quiet(args.quiet_load, args.quiet_wait)
        code = code_version()
        result = module.run(args.quick, command.strip())
        result.start_load = start_load
        code_after = code_version()
        result.code = (
            code if code_after == code else f"{code} at the start, {code_after} at the end (changed mid-run)"
        )
        result.save()
        for goal in result.goals:
            verdict = "holds" if goal.holds else "MISSED"
            print(f"   {verdict:6} {goal.name}: {goal.measured} (target {goal.target})", flush=True)
        missed += [f"{name}: {goal.name}" for goal in result.missed]
        page = write_page(load_results())
        print(f"   {name} took {result.seconds:.0f} s; wrote {page}", flush=True)
    print(f"all done in {time.perf_counter() - started:.0f} s", flush=True)
    if missed:
        print("goals missed:\n  " + "\n  ".join(missed), file=sys.stderr)
        return 0 if args.no_fail else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
