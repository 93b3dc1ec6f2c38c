"""Job updates by person (kept for the import path; the operators live in :mod:`.workflow`)."""

from __future__ import annotations

from airflow_provider_translate5.operators.workflow import (
    Translate5AssignDefaultJobsOperator,
    Translate5UpdateJobOperator,
)

__all__ = ["Translate5AssignDefaultJobsOperator", "Translate5UpdateJobOperator"]
