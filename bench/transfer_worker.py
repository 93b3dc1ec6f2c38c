"""One measured transfer through an operator's ``execute()``, in a process of its own.

``python -m bench.transfer_worker download TASK_ID DEST_URI`` runs ``Translate5ExportOperator``;
``python -m bench.transfer_worker upload SOURCE_URI FOREIGN_ID`` runs ``Translate5UploadTaskOperator``;
``python -m bench.transfer_worker profile-upload SOURCE_URI FOREIGN_ID`` runs that upload under cProfile and
prints the top costs instead.
The connection comes from ``AIRFLOW_CONN_TRANSLATE5_DEFAULT``. ``execute()`` gets a minimal context (a task
instance that records XCom pushes): the operators need nothing else. Prints one JSON line with the time
``execute()`` took and the RSS right before it; the parent reads the peak RSS from ``wait4``.
"""

from __future__ import annotations

import json
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

_REPO = f"{Path(__file__).resolve().parents[1]}/"
_STDLIB = f"{sysconfig.get_paths()['stdlib']}/"


class _TaskInstance:
    """What the operators use of ``context["ti"]``: ids for the idempotency key and ``xcom_push``."""

    dag_id = "bench"
    run_id = "bench"
    task_id = "transfer"
    map_index = -1

    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def upload_variants(source: str, repeats: int = 2) -> dict[str, list[float]]:
    """Time ``create_task`` with the same file handed over three ways, to attribute upload overhead.

    ``open_for_upload`` is what the upload operator uses for a URI source (the fsspec file, lineage reported
    once); ``ObjectStoragePath.open`` is what it used before commit 9782c41 (Airflow's proxy reports lineage
    on every call); ``local path`` lets the client open the file itself.
    """
    from airflow.sdk import ObjectStoragePath

    from airflow_provider_translate5.client import UploadFile
    from airflow_provider_translate5.files import open_for_upload
    from airflow_provider_translate5.hooks.translate5 import Translate5Hook

    client = Translate5Hook().get_conn()
    client.list_languages()
    path = ObjectStoragePath(source)
    timings: dict[str, list[float]] = {"open_for_upload": [], "ObjectStoragePath.open": [], "local path": []}
    for _ in range(repeats):
        for variant in timings:
            start = time.perf_counter()
            if variant == "local path":
                client.create_task(Path(path.path), task_name="v", source_lang="en", target_lang="de")
            else:
                before = variant == "ObjectStoragePath.open"
                opened = path.open("rb") if before else open_for_upload(path)  # type: ignore[no-untyped-call]
                with opened as handle:
                    upload = UploadFile(path.name, handle)
                    client.create_task(upload, task_name="v", source_lang="en", target_lang="de")
            timings[variant].append(time.perf_counter() - start)
    return timings


def main(argv: list[str]) -> int:
    from airflow.sdk import ObjectStoragePath

    from airflow_provider_translate5.operators import Translate5ExportOperator, Translate5UploadTaskOperator

    if argv[0] == "upload-variants":
        print(json.dumps(upload_variants(argv[1])))
        return 0
    mode, first, second = argv
    profile = mode == "profile-upload"
    mode = "upload" if profile else mode
    operator: Any
    if mode == "download":
        operator = Translate5ExportOperator(
            task_id="export", translate5_task_id=int(first), destination=ObjectStoragePath(second)
        )
    elif mode == "upload":
        operator = Translate5UploadTaskOperator(
            task_id="upload",
            source=ObjectStoragePath(first),
            task_name="bench upload",
            source_lang="en",
            target_lang="de",
            foreign_id=second,
        )
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    context: Any = {"ti": _TaskInstance(), "outlet_events": {}}
    rss_before = _rss()
    if profile:
        print(json.dumps(_profiled(lambda: operator.execute(context))))
        return 0
    start = time.perf_counter()
    result = operator.execute(context)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rss_before": rss_before, "result": result}))
    return 0


def _profiled(call: Any, top: int = 15) -> dict[str, Any]:
    """Run ``call`` under cProfile; the functions with the most own time (and their cumulative time)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(call)
    seconds = time.perf_counter() - start
    stats: Any = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.items():
        where = filename.split("site-packages/")[-1].removeprefix(_REPO).removeprefix(_STDLIB)
        rows.append(
            {"function": f"{where}:{line}({function})", "calls": calls, "own": own, "cum": cumulative}
        )
    rows.sort(key=lambda row: row["own"], reverse=True)
    return {"seconds": seconds, "top": rows[:top]}


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
