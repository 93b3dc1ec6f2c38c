"""N deferred waits in one event loop, like a triggerer: the real triggers, or naive per-task polling.

``python -m bench.coalescing_worker MODE INTERVAL STEADY_INTERVALS FINISH_IDS WAIT_IDS`` (ids comma-separated)

* ``trigger``: one ``Translate5TaskStateTrigger`` per task (condition ``workflow_ended``), each consumed
  through its async ``run()`` generator as the triggerer does; they share the coalescing poller.
* ``naive``: one coroutine per task calling ``client.get_task`` in a thread every interval (one shared
  client, the loop's default executor), which is what a trigger without coalescing costs.

Phases: a warm-up of 1.5 intervals; a steady phase of ``STEADY_INTERVALS`` intervals in which the
simulator's request log and this process's CPU time are read before and after; then each task of
``FINISH_IDS`` gets its workflow finished through the simulator's control API at a random point of the poll
cycle, and the time until its wait yields is measured. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import urllib.request
from typing import Any

WORKFLOW_ENDED = "workflowEnded"


def _control(method: str, path: str) -> Any:
    base = json.loads(os.environ["AIRFLOW_CONN_TRANSLATE5_DEFAULT"])["host"]
    request = urllib.request.Request(f"{base}/_simulator{path}", method=method)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read() or b"null")


async def _trigger_wait(task_id: int, interval: float, done: dict[int, asyncio.Future[float]]) -> None:
    from airflow_provider_translate5.triggers import Translate5TaskStateTrigger

    trigger = Translate5TaskStateTrigger(
        translate5_task_ids=[task_id],
        condition="workflow_ended",
        poll_interval=interval,
        end_time=time.time() + 3600,
    )
    async for event in trigger.run():
        if event.payload["status"] != "success":
            raise RuntimeError(f"trigger for {task_id} ended with {event.payload}")
        done[task_id].set_result(time.monotonic())


async def _naive_wait(
    client: Any, task_id: int, interval: float, done: dict[int, asyncio.Future[float]]
) -> None:
    while True:
        task = await asyncio.to_thread(client.get_task, task_id)
        if task.workflow_step_name == WORKFLOW_ENDED:
            done[task_id].set_result(time.monotonic())
            return
        await asyncio.sleep(interval)


async def _main(
    mode: str, interval: float, steady: int, finish_ids: list[int], wait_ids: list[int]
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    all_ids = finish_ids + wait_ids
    done: dict[int, asyncio.Future[float]] = {task_id: loop.create_future() for task_id in all_ids}
    client = None
    if mode == "naive":
        from airflow_provider_translate5.hooks.translate5 import Translate5Hook

        client = await Translate5Hook().aget_conn()
        waits = [_naive_wait(client, task_id, interval, done) for task_id in all_ids]
    else:
        waits = [_trigger_wait(task_id, interval, done) for task_id in all_ids]
    tasks = [loop.create_task(wait) for wait in waits]
    try:
        await asyncio.sleep(1.5 * interval)
        _control("DELETE", "/requests")
        cpu0, t0 = time.process_time(), time.monotonic()
        await asyncio.sleep(steady * interval)
        counts = _control("GET", "/requests")["counts"]
        cpu1, t1 = time.process_time(), time.monotonic()
        intervals = (t1 - t0) / interval
        latencies = []
        rng = random.Random(len(all_ids))
        for task_id in finish_ids:
            await asyncio.sleep(rng.uniform(0, interval))
            finished_at = time.monotonic()
            await asyncio.to_thread(_control, "POST", f"/tasks/{task_id}/finish_workflow")
            seen_at = await asyncio.wait_for(asyncio.shield(done[task_id]), timeout=10 * interval + 30)
            latencies.append(seen_at - finished_at)
        failed = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception()]
        if failed:
            raise RuntimeError(f"{len(failed)} wait(s) failed, first: {failed[0]!r}")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if client is not None:
            client.close()
    return {
        "mode": mode,
        "n": len(all_ids),
        "interval": interval,
        "requests_per_interval": sum(counts.values()) / intervals,
        "cpu_per_interval": (cpu1 - cpu0) / intervals,
        "counts": counts,
        "intervals": intervals,
        "latencies": latencies,
    }


def main(argv: list[str]) -> int:
    mode, interval, steady, finish, wait = argv
    if mode not in ("trigger", "naive"):
        raise SystemExit(f"unknown mode {mode!r}")
    ids = [[int(i) for i in text.split(",") if i] for text in (finish, wait)]
    result = asyncio.run(_main(mode, float(interval), int(steady), ids[0], ids[1]))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
