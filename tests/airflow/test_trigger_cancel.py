"""A trigger Airflow cancels (task cleared or marked, triggerer shutting down) stops, even when the cancel
arrives in the same loop step as the poller's next snapshot."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_translate5.triggers.translate5 import next_snapshot


class _Subscription:
    def __init__(self) -> None:
        self.snapshot: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def next(self) -> str:
        return await self.snapshot


async def test_a_cancel_that_comes_with_a_snapshot_stops_the_wait() -> None:
    subscription = _Subscription()
    waiting = asyncio.ensure_future(next_snapshot(subscription, timeout=30))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    subscription.snapshot.set_result("snapshot")  # the poller delivers ...
    waiting.cancel()  # ... and Airflow cancels the trigger, in one loop step

    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_snapshot_is_returned_and_a_silent_poller_times_out() -> None:
    subscription = _Subscription()
    subscription.snapshot.set_result("snapshot")
    assert await next_snapshot(subscription, timeout=30) == "snapshot"

    with pytest.raises(asyncio.TimeoutError):
        await next_snapshot(_Subscription(), timeout=0.01)
