"""The client's rules for local input, checked before any request: ids, required texts, paging numbers.

One module for them so every call (and every feature module) refuses the same mistakes with the same words.
It imports nothing of the client but its errors, so any client module can use it at import time.
"""

from __future__ import annotations

from airflow_provider_translate5.client.coerce import to_int
from airflow_provider_translate5.client.errors import Translate5ValueError


def positive_id(value: int | str, what: str = "task id") -> int:
    """Ids go into URL paths: accept only positive integers (or their text), never arbitrary strings."""
    number = None if isinstance(value, bool) else to_int(value)
    if number is None or number < 1 or (isinstance(value, str) and not value.strip().isdigit()):
        raise Translate5ValueError(f"{what} must be a positive integer, got {value!r}")
    return number


def non_empty(value: str | None, what: str) -> str:
    """A text translate5 needs: a string with something in it (returned unchanged)."""
    if not isinstance(value, str) or not value.strip():
        raise Translate5ValueError(f"{what} must be a non-empty string")
    return value


def count(value: int, what: str, minimum: int, note: str = "") -> int:
    """Paging numbers: a real integer (``True`` is not 1) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise Translate5ValueError(f"{what} must be an integer >= {minimum}{note}, got {value!r}")
    return value
