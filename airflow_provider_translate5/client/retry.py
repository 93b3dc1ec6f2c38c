"""How long to wait between attempts, and for how many attempts.

Which failures are retried is decided by the transport (it knows whether a request may have been processed);
this module only does the arithmetic, so tests can swap ``sleep`` and switch jitter off.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from airflow_provider_translate5.client.errors import Translate5ValueError


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded attempts, Retry-After honoured up to a cap.

    :param max_attempts: total attempts including the first one (1 = never retry).
    :param backoff: base delay in seconds; retry *n* waits up to ``backoff * 2 ** (n - 1)``.
    :param max_backoff: cap for one computed delay.
    :param jitter: wait a uniformly random time in ``[0, delay]`` so many workers do not retry in lockstep.
    :param max_retry_after: cap for a server-requested ``Retry-After`` wait.
    :param sleep: how to wait (injectable for tests).
    """

    max_attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: bool = True
    max_retry_after: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise Translate5ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name in ("backoff", "max_backoff", "max_retry_after"):
            if getattr(self, name) < 0:
                raise Translate5ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry_number`` (1 = the first retry)."""
        if retry_after is not None and math.isfinite(retry_after):
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_backoff, self.backoff * 2 ** max(retry_number - 1, 0))
        return random.uniform(0.0, ceiling) if self.jitter else ceiling


def derived_deadline(connect: float, read: float, policy: RetryPolicy) -> float:
    """The overall deadline of one call when none is set: the longest a call may take without trickling.

    Each of the ``max_attempts`` attempts may spend ``connect`` seconds connecting, ``read`` seconds until
    the answer starts (translate5 builds an export before it sends the first byte) and ``read`` seconds more
    for the rest of the answer; between two attempts the policy pauses at most its backoff ceiling::

        max_attempts * (connect + 2 * read)
            + sum(min(max_backoff, backoff * 2 ** (n - 1)) for n in 1 .. max_attempts - 1)

    With the defaults (10 s connect, 300 s read, 5 attempts, 0.5 s doubling backoff) that is
    5 * 610 + 7.5 = 3057.5 s, about 51 minutes; with a 30 s read timeout about 6 minutes. A server that
    sends each byte just within the read timeout is cut there instead of holding the call for ever. A longer
    ``Retry-After`` than the backoff is honoured only while the deadline allows (the retries then end early),
    and a download that legitimately streams for longer needs an explicit ``Limits(deadline=...)``.
    """
    ceilings = (policy.backoff * 2.0 ** (n - 1) for n in range(1, policy.max_attempts))
    pauses = sum(min(policy.max_backoff, ceiling) for ceiling in ceilings)
    return policy.max_attempts * (connect + 2 * read) + pauses


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # "nan", "inf" and the like are no usable wait: fall back to the policy's own backoff.
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - (now or datetime.now(timezone.utc))).total_seconds(), 0.0)
