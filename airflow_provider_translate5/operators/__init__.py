"""Operators for translate5: upload, import, workflow, export, InstantTranslate."""

from __future__ import annotations

from airflow_provider_translate5.operators.analysis import (
    Translate5AssignLanguageResourcesOperator,
    Translate5MatchAnalysisOperator,
    Translate5PretranslateOperator,
)
from airflow_provider_translate5.operators.batchexport import Translate5BatchExportOperator
from airflow_provider_translate5.operators.people import (
    Translate5AssignDefaultJobsOperator,
    Translate5UpdateJobOperator,
)
from airflow_provider_translate5.operators.reimport import Translate5ReimportFileOperator
from airflow_provider_translate5.operators.translate5 import (
    Translate5AssignJobOperator,
    Translate5DeleteTaskOperator,
    Translate5EndTaskOperator,
    Translate5ExportOperator,
    Translate5InstantTranslatePretranslateOperator,
    Translate5RenameTaskOperator,
    Translate5ReopenTaskOperator,
    Translate5StartImportOperator,
    Translate5TriggerWorkflowOperator,
    Translate5UploadTaskOperator,
    Translate5WriteTmOperator,
)

__all__ = [
    "Translate5AssignDefaultJobsOperator",
    "Translate5AssignJobOperator",
    "Translate5AssignLanguageResourcesOperator",
    "Translate5BatchExportOperator",
    "Translate5DeleteTaskOperator",
    "Translate5EndTaskOperator",
    "Translate5ExportOperator",
    "Translate5InstantTranslatePretranslateOperator",
    "Translate5MatchAnalysisOperator",
    "Translate5PretranslateOperator",
    "Translate5ReimportFileOperator",
    "Translate5RenameTaskOperator",
    "Translate5ReopenTaskOperator",
    "Translate5StartImportOperator",
    "Translate5TriggerWorkflowOperator",
    "Translate5UpdateJobOperator",
    "Translate5UploadTaskOperator",
    "Translate5WriteTmOperator",
]
