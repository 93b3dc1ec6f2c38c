"""Benchmark 5: per-item client overhead against a real translate5, versus the same calls made with curl.

Runs only when ``TRANSLATE5_CONTRACT_URL`` and ``TRANSLATE5_CONTRACT_TOKEN`` name a translate5 (the same
variables as the contract suite; the token of a PM/admin user). One item is what the examples do per content
item, with one target language: create a task from a small XLIFF file (``POST /editor/task``), check it
until the import ended (``GET /editor/task/{id}`` every second), export the translated file
(``filetranslation``) and delete the task again (``DELETE /editor/task/{id}?force=1``). The client side uses
one :class:`Translate5Client` for all items, as a worker does; the curl side makes the same requests with
one curl process each. Items alternate between the two sides; the headline is the median of the per-pair
ratios, since the server's own import time (most of an item) drifts with its load.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, machine_facts, median, now_utc
from bench.report import Goal, Result, Table

URL_ENV, TOKEN_ENV = "TRANSLATE5_CONTRACT_URL", "TRANSLATE5_CONTRACT_TOKEN"
SOURCE = REPO / "example_dags" / "sample_content" / "products" / "trail-runner-x.xliff"
LIMIT_PERCENT = 3.0
IMPORT_TIMEOUT = 600.0
CHECK_EVERY = 1.0


class _Curl:
    """The item's requests made with curl, one process per request (what a shell script would do)."""

    def __init__(self, base_url: str, token: str, folder: Path) -> None:
        self.base, self.token, self.folder = base_url.rstrip("/"), token, folder
        self.requests = 0

    def call(self, *args: str, url: str) -> tuple[int, bytes]:
        body = self.folder / "body"
        command = [
            "curl",
            "-sS",
            "-o",
            str(body),
            "-w",
            "%{http_code}",
            "-H",
            f"Translate5AuthToken: {self.token}",
            "-H",
            "Accept: application/json",
            *args,
            f"{self.base}{url}",
        ]
        done = subprocess.run(command, capture_output=True, check=True, timeout=600)
        self.requests += 1
        return int(done.stdout.decode() or 0), body.read_bytes() if body.exists() else b""

    def item(self, name: str) -> None:
        status, body = self.call(
            "-X",
            "POST",
            "-F",
            f"importUpload=@{SOURCE}",
            "-F",
            "sourceLang=en",
            "-F",
            "targetLang=de",
            "-F",
            f"taskName={name}",
            "-F",
            f"foreignId={name}",
            url="/editor/task",
        )
        if status != 200:
            raise RuntimeError(f"curl create answered {status}: {body[:300]!r}")
        task_id = int(json.loads(body)["rows"]["id"])
        deadline = time.monotonic() + IMPORT_TIMEOUT
        while True:
            _, body = self.call(url=f"/editor/task/{task_id}")
            if json.loads(body)["rows"]["state"] not in ("import", "preparation"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {task_id} still importing after {IMPORT_TIMEOUT:.0f} s")
            time.sleep(CHECK_EVERY)
        status, _ = self.call(url=f"/editor/task/export/id/{task_id}?format=filetranslation")
        if status != 200:
            raise RuntimeError(f"curl export answered {status}")
        self.call("-X", "DELETE", url=f"/editor/task/{task_id}?force=1")


def _client_item(client: Any, name: str, folder: Path) -> None:
    task = client.create_task(SOURCE, task_name=name, source_lang="en", target_lang="de", foreign_id=name)
    deadline = time.monotonic() + IMPORT_TIMEOUT
    while client.get_task(task.id).state in ("import", "preparation"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task.id} still importing after {IMPORT_TIMEOUT:.0f} s")
        time.sleep(CHECK_EVERY)
    with client.open_export(task.id, format="filetranslation") as download:
        for _ in download.iter_bytes():
            pass
    client.delete_task(task.id, force=True)


def _skipped(command: str, started: float, quick: bool) -> Result:
    line = f"Skipped: set {URL_ENV} and {TOKEN_ENV} to a translate5 to measure the client against curl."
    print(f"   {line}", flush=True)
    return Result(
        name="realserver",
        title="5. Against a real translate5: client overhead per item versus curl",
        summary=__doc__.split("\n\n", 1)[1].strip().replace("\n", " "),
        command=command,
        date=now_utc(),
        quick=quick,
        seconds=time.perf_counter() - started,
        machine=machine_facts(),
        notes=[line],
    )


def run(quick: bool, command: str) -> Result:
    started = time.perf_counter()
    base_url, token = os.environ.get(URL_ENV, ""), os.environ.get(TOKEN_ENV, "")
    if not base_url or not token:
        return _skipped(command, started, quick)
    from airflow_provider_translate5.client import Translate5Client

    pairs = 2 if quick else 7
    stamp = time.strftime("%H%M%S")
    client_times: list[float] = []
    curl_times: list[float] = []
    with (
        tempfile.TemporaryDirectory(prefix="t5-bench-") as tmp,
        Translate5Client(base_url, token=token) as client,
    ):
        folder = Path(tmp)
        curl = _Curl(base_url, token, folder)
        for index in range(pairs):
            sides = ("client", "curl") if index % 2 == 0 else ("curl", "client")
            for side in sides:
                name = f"bench-{side}-{stamp}-{index}"
                t0 = time.perf_counter()
                if side == "client":
                    _client_item(client, name, folder)
                    client_times.append(time.perf_counter() - t0)
                else:
                    curl.item(name)
                    curl_times.append(time.perf_counter() - t0)
            print(
                f"  pair {index + 1}/{pairs}: client {client_times[-1]:.2f} s, curl {curl_times[-1]:.2f} s",
                flush=True,
            )
    ratios = [c / k for c, k in zip(client_times, curl_times, strict=True)]
    overhead = (median(ratios) - 1) * 100
    return Result(
        name="realserver",
        title="5. Against a real translate5: client overhead per item versus curl",
        summary=__doc__.split("\n\n", 1)[1].strip().replace("\n", " "),
        command=command,
        date=now_utc(),
        quick=quick,
        seconds=time.perf_counter() - started,
        machine={**machine_facts(), "translate5": base_url.split("//", 1)[-1].split("/", 1)[0]},
        goals=[
            Goal(
                "client overhead per item vs curl",
                f"≤ {LIMIT_PERCENT:.0f}% (within noise)",
                f"{overhead:+.1f}% (median of {pairs} pair ratios)",
                overhead <= LIMIT_PERCENT,
                f"Requests per item: curl {curl.requests / pairs:.1f}.",
            )
        ],
        tables=[
            Table(
                "Seconds per item",
                ["side", "median", "min", "max", "items"],
                [
                    [side, f"{median(t):.2f}", f"{min(t):.2f}", f"{max(t):.2f}", str(len(t))]
                    for side, t in (("client", client_times), ("curl", curl_times))
                ],
            )
        ],
        data={"client": client_times, "curl": curl_times},
    )
