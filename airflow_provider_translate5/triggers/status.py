"""Moved to :mod:`airflow_provider_translate5.status`; this shim goes as soon as no module imports it."""

from __future__ import annotations

from airflow_provider_translate5.status import (
    ERROR,
    EVENT_STATUSES,
    SUCCESS,
    TIMEOUT,
    WAITING,
    Verdict,
    describe_file,
    evaluate_pretranslation,
    task_summary,
)
from airflow_provider_translate5.wait import classify

__all__ = [
    "ERROR",
    "EVENT_STATUSES",
    "SUCCESS",
    "TIMEOUT",
    "WAITING",
    "Verdict",
    "describe_file",
    "evaluate_pretranslation",
    "is_outage",
    "is_terminal_error",
    "task_summary",
]


def is_terminal_error(exc: BaseException) -> bool:
    return classify(exc)[1]


def is_outage(exc: BaseException) -> bool:
    return classify(exc)[0]
