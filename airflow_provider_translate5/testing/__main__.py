"""``python -m airflow_provider_translate5.testing``: run the simulator until SIGINT/SIGTERM.

Prints the base URL, the manager's app token, translator1's app token (an editor, e.g. for the contract
suite's ``TRANSLATE5_CONTRACT_USER_TOKEN``) and a ready-to-export ``AIRFLOW_CONN_TRANSLATE5_DEFAULT`` line,
so a demo, benchmark or contract run can point Airflow (or curl) at it right away.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from airflow_provider_translate5.testing.config import SimulatorConfig
from airflow_provider_translate5.testing.server import Translate5Simulator


def _parser() -> argparse.ArgumentParser:
    defaults = SimulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_translate5.testing", description=__doc__
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--token", default=None, help="app token to accept (default: a generated one)")
    parser.add_argument(
        "--user-token", default=None, help="app token of translator1, an editor (default: a generated one)"
    )
    parser.add_argument("--import-duration", type=float, default=defaults.import_duration)
    parser.add_argument("--export-duration", type=float, default=defaults.export_duration)
    parser.add_argument("--workflow-auto-finish", type=float, default=None, metavar="SECONDS")
    parser.add_argument(
        "--native-numbers",
        action="store_true",
        help="ids as JSON numbers (a variant; real servers send strings)",
    )
    parser.add_argument("--api-role", action="store_true", help="the manager may DELETE /editor/session")
    parser.add_argument("--filelist-as-list", action="store_true")
    parser.add_argument("--callback-url", default=None)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--generated-export-size", type=int, default=None, metavar="BYTES")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sim = Translate5Simulator(
        port=args.port,
        token=args.token,
        host=args.host,
        import_duration=args.import_duration,
        export_duration=args.export_duration,
        workflow_auto_finish=args.workflow_auto_finish,
        user_token=args.user_token,
        numbers_as_strings=not args.native_numbers,
        api_role=args.api_role,
        filelist_as_list=args.filelist_as_list,
        callback_url=args.callback_url,
        latency=args.latency,
        generated_export_size=args.generated_export_size,
    )
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    sim.start()
    try:
        connection = sim.airflow_connection_json()
        if args.json:
            line = {
                "base_url": sim.base_url,
                "token": sim.token,
                "user_token": sim.user_token,
                "user_tokens": sim.user_tokens,
                "connection": connection,
            }
            print(json.dumps(line))
        else:
            print(f"translate5 simulator listening on {sim.base_url}")
            print(f"app token: {sim.token}")
            print(f"export AIRFLOW_CONN_TRANSLATE5_DEFAULT={shlex.quote(connection)}")
            print(f"app token of translator1 (an editor): {sim.user_token}")
        sys.stdout.flush()
        while not stop.wait(0.2):
            pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
