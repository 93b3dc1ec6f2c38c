"""The client's rules for local input, checked before any request: ids, required texts, paging numbers, what
a new task needs (name, foreignId, target languages).

One module for them so every call (and every feature module) refuses the same mistakes with the same words.
It imports nothing of the client but its errors, so any client module can use it at import time, and the
operators check literal values with it when a DAG is parsed (the client package loads lazily: no HTTP).
"""

from __future__ import annotations

from collections.abc import Sequence

from airflow_provider_translate5.client.coerce import to_int
from airflow_provider_translate5.client.errors import Translate5ValueError

#: translate5's column limits (``editor_Models_Validator_Task``).
MAX_TASK_NAME = 255
MAX_FOREIGN_ID = 120


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


def task_name(value: str) -> str:
    """A task name translate5 stores: non-empty, at most ``MAX_TASK_NAME`` characters."""
    non_empty(value, "task_name")
    if len(value) > MAX_TASK_NAME:
        raise Translate5ValueError(
            f"task_name is {len(value)} characters long; translate5 stores at most {MAX_TASK_NAME}"
        )
    return value


def foreign_id(value: str) -> str:
    """A ``foreignId`` translate5 stores: non-empty, at most ``MAX_FOREIGN_ID`` characters."""
    non_empty(value, "foreign_id")
    if len(value) > MAX_FOREIGN_ID:
        raise Translate5ValueError(
            f"foreign_id is {len(value)} characters long; translate5 stores at most {MAX_FOREIGN_ID}"
        )
    return value


def target_languages(value: str | int | Sequence[str | int]) -> list[str | int]:
    """One target language or a list of them: at least one, none empty, none named twice (as written;
    the client checks the resolved codes again: ``de`` and ``lcid-1031`` are one language)."""
    targets = [value] if isinstance(value, (str, int)) else list(value or [])
    if not targets:
        raise Translate5ValueError("target_lang needs at least one language")
    if any(not str(target).strip() for target in targets):
        raise Translate5ValueError(f"target_lang contains an empty language: {targets!r}")
    distinct(targets, targets)
    return targets


def distinct(languages: Sequence[str | int], given: Sequence[str | int]) -> None:
    """No target language twice (compared case-insensitively): ``languages`` as written or as resolved codes
    of ``given``."""
    seen = [str(language).strip().lower() for language in languages]
    repeated = sorted({text for text in seen if seen.count(text) > 1})
    if repeated:
        raise Translate5ValueError(
            f"target_lang names the same language twice ({', '.join(repeated)}): {list(given)!r}"
        )
