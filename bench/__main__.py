"""``python -m bench [transfers|parse|coalescing|scale ...] [--quick] [--no-fail]``.

Runs the chosen benchmarks (default: all), saves their results under ``.bench/results/`` and rebuilds
``docs/performance.md`` from every saved result. Exits 1 when a goal of a benchmark run now was missed (a
performance regression is a bug), unless ``--no-fail``.
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

from bench.report import ORDER, load_results, write_page


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "benchmarks", nargs="*", metavar="BENCHMARK", help=f"any of {', '.join(ORDER)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer runs (smoke test)")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a goal is missed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = set(args.benchmarks) - set(ORDER)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(ORDER)}")
    chosen = [name for name in ORDER if name in (args.benchmarks or ORDER)]
    command = "python -m bench " + shlex.join(list(argv if argv is not None else sys.argv[1:]))
    os.environ.setdefault("MPLBACKEND", "Agg")
    # SIGTERM unwinds like an exception, so every benchmark stops the processes it started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.perf_counter()
    missed: list[str] = []
    for name in chosen:
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        result = module.run(args.quick, command.strip())
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
