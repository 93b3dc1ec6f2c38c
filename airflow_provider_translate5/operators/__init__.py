"""Operators for translate5, grouped by what they do.

:mod:`.tasks` (task lifecycle), :mod:`.workflow` (jobs and workflow), :mod:`.export`,
:mod:`.instanttranslate` (InstantTranslate and TM), :mod:`.analysis` (analysis and pre-translation),
:mod:`.reimport`, :mod:`.batchexport`. What they share lives in :mod:`airflow_provider_translate5.base`.
"""

from __future__ import annotations

from airflow_provider_translate5.operators.analysis import (
    Translate5AssignLanguageResourcesOperator,
    Translate5MatchAnalysisOperator,
    Translate5PretranslateOperator,
)
from airflow_provider_translate5.operators.batchexport import Translate5BatchExportOperator
from airflow_provider_translate5.operators.export import Translate5ExportOperator
from airflow_provider_translate5.operators.instanttranslate import (
    Translate5InstantTranslatePretranslateOperator,
    Translate5WriteTmOperator,
)
from airflow_provider_translate5.operators.reimport import Translate5ReimportFileOperator
from airflow_provider_translate5.operators.tasks import (
    Translate5DeleteTaskOperator,
    Translate5EndTaskOperator,
    Translate5RenameTaskOperator,
    Translate5ReopenTaskOperator,
    Translate5StartImportOperator,
    Translate5UploadTaskOperator,
)
from airflow_provider_translate5.operators.workflow import (
    Translate5AssignDefaultJobsOperator,
    Translate5AssignJobOperator,
    Translate5TriggerWorkflowOperator,
    Translate5UpdateJobOperator,
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
