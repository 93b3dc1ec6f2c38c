"""Triggers for deferred translate5 waits (run in the Airflow triggerer)."""

from __future__ import annotations

from airflow_provider_translate5.triggers.batchexport import Translate5BatchExportTrigger
from airflow_provider_translate5.triggers.operation import Translate5OperationTrigger
from airflow_provider_translate5.triggers.translate5 import (
    Translate5PretranslationTrigger,
    Translate5TaskStateTrigger,
)

__all__ = [
    "Translate5BatchExportTrigger",
    "Translate5OperationTrigger",
    "Translate5PretranslationTrigger",
    "Translate5TaskStateTrigger",
]
