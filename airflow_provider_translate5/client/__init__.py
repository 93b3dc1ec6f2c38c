"""translate5 API client, usable without Airflow.

>>> from airflow_provider_translate5.client import Translate5Client
>>> with Translate5Client("https://t5.example.org", token) as t5:  # doctest: +SKIP
...     task = t5.create_task("page.html", task_name="Page", source_lang="en", target_lang=["de", "fr"])

Names load on first use (PEP 562): the operators check a DAG's literal values with the client's rules
(:mod:`.checks`) when the DAG is parsed, without loading ``requests`` and the HTTP code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_translate5.client.analysis import MatchAnalysis
    from airflow_provider_translate5.client.client import Translate5Client
    from airflow_provider_translate5.client.errors import (
        Classification,
        Translate5APIError,
        Translate5AuthError,
        Translate5BadRequestError,
        Translate5ConflictError,
        Translate5ConnectionError,
        Translate5Error,
        Translate5LimitError,
        Translate5LockedError,
        Translate5MaintenanceError,
        Translate5NotFoundError,
        Translate5PageError,
        Translate5PermissionError,
        Translate5PluginMissingError,
        Translate5QueuedExportGoneError,
        Translate5RateLimitError,
        Translate5ResponseError,
        Translate5ServerError,
        Translate5TimeoutError,
        Translate5TransferError,
        Translate5ValidationError,
        Translate5ValueError,
    )
    from airflow_provider_translate5.client.files import Download, UploadFile, UploadSource, safe_filename
    from airflow_provider_translate5.client.filters import OPERATORS, Filter, Sort
    from airflow_provider_translate5.client.limits import Limits
    from airflow_provider_translate5.client.models import (
        ImportProgress,
        Job,
        Language,
        PretranslatedFile,
        PretranslatedFileList,
        Task,
        TaskPage,
        WorkflowStepProgress,
    )
    from airflow_provider_translate5.client.people import Customer, User
    from airflow_provider_translate5.client.retry import RetryPolicy
    from airflow_provider_translate5.client.states import TaskState

#: Where each public name lives (the module of this package it is loaded from).
_HOMES = {
    "Classification": "errors",
    "Customer": "people",
    "Download": "files",
    "Filter": "filters",
    "ImportProgress": "models",
    "Job": "models",
    "Language": "models",
    "Limits": "limits",
    "MatchAnalysis": "analysis",
    "OPERATORS": "filters",
    "PretranslatedFile": "models",
    "PretranslatedFileList": "models",
    "RetryPolicy": "retry",
    "Sort": "filters",
    "Task": "models",
    "TaskPage": "models",
    "TaskState": "states",
    "Translate5APIError": "errors",
    "Translate5AuthError": "errors",
    "Translate5BadRequestError": "errors",
    "Translate5Client": "client",
    "Translate5ConflictError": "errors",
    "Translate5ConnectionError": "errors",
    "Translate5Error": "errors",
    "Translate5LimitError": "errors",
    "Translate5LockedError": "errors",
    "Translate5MaintenanceError": "errors",
    "Translate5NotFoundError": "errors",
    "Translate5PageError": "errors",
    "Translate5PermissionError": "errors",
    "Translate5PluginMissingError": "errors",
    "Translate5QueuedExportGoneError": "errors",
    "Translate5RateLimitError": "errors",
    "Translate5ResponseError": "errors",
    "Translate5ServerError": "errors",
    "Translate5TimeoutError": "errors",
    "Translate5TransferError": "errors",
    "Translate5ValidationError": "errors",
    "Translate5ValueError": "errors",
    "UploadFile": "files",
    "UploadSource": "files",
    "User": "people",
    "WorkflowStepProgress": "models",
    "safe_filename": "files",
}


if not TYPE_CHECKING:  # type checkers read the imports above: an unknown name stays an error

    def __getattr__(name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
        globals()[name] = value  # the next lookup is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_HOMES})


__all__ = [
    "OPERATORS",
    "Classification",
    "Customer",
    "Download",
    "Filter",
    "ImportProgress",
    "Job",
    "Language",
    "Limits",
    "MatchAnalysis",
    "PretranslatedFile",
    "PretranslatedFileList",
    "RetryPolicy",
    "Sort",
    "Task",
    "TaskPage",
    "TaskState",
    "Translate5APIError",
    "Translate5AuthError",
    "Translate5BadRequestError",
    "Translate5Client",
    "Translate5ConflictError",
    "Translate5ConnectionError",
    "Translate5Error",
    "Translate5LimitError",
    "Translate5LockedError",
    "Translate5MaintenanceError",
    "Translate5NotFoundError",
    "Translate5PageError",
    "Translate5PermissionError",
    "Translate5PluginMissingError",
    "Translate5QueuedExportGoneError",
    "Translate5RateLimitError",
    "Translate5ResponseError",
    "Translate5ServerError",
    "Translate5TimeoutError",
    "Translate5TransferError",
    "Translate5ValidationError",
    "Translate5ValueError",
    "UploadFile",
    "UploadSource",
    "User",
    "WorkflowStepProgress",
    "safe_filename",
]
