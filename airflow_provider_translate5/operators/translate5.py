"""The operators' first home, kept for the import path: every class that was here, from where it lives now.

New code imports from :mod:`airflow_provider_translate5.operators`.
"""

from __future__ import annotations

from airflow_provider_translate5.base import Translate5BaseOperator
from airflow_provider_translate5.operators.export import Translate5ExportOperator
from airflow_provider_translate5.operators.instanttranslate import (
    Translate5InstantTranslatePretranslateOperator,
    Translate5WriteTmOperator,
)
from airflow_provider_translate5.operators.tasks import (
    Translate5DeleteTaskOperator,
    Translate5EndTaskOperator,
    Translate5RenameTaskOperator,
    Translate5ReopenTaskOperator,
    Translate5StartImportOperator,
    Translate5UploadTaskOperator,
)
from airflow_provider_translate5.operators.workflow import (
    Translate5AssignJobOperator,
    Translate5TriggerWorkflowOperator,
)

__all__ = [
    "Translate5AssignJobOperator",
    "Translate5BaseOperator",
    "Translate5DeleteTaskOperator",
    "Translate5EndTaskOperator",
    "Translate5ExportOperator",
    "Translate5InstantTranslatePretranslateOperator",
    "Translate5RenameTaskOperator",
    "Translate5ReopenTaskOperator",
    "Translate5StartImportOperator",
    "Translate5TriggerWorkflowOperator",
    "Translate5UploadTaskOperator",
    "Translate5WriteTmOperator",
]
