"""translate5 API client, usable without Airflow.

>>> from airflow_provider_translate5.client import Translate5Client
>>> with Translate5Client("https://t5.example.org", token) as t5:  # doctest: +SKIP
...     task = t5.create_task("page.html", task_name="Page", source_lang="en", target_lang=["de", "fr"])
"""

from __future__ import annotations

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
