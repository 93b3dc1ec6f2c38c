"""The calls beyond the task life cycle, mixed into :class:`Translate5Client` in one place.

Each feature lives in its own module (people and jobs, match analysis and pre-translation); this class only
joins them, so ``client.py`` needs one base class however many features there are.
"""

from __future__ import annotations

from airflow_provider_translate5.client.analysis import AnalysisMixin
from airflow_provider_translate5.client.batchexport import BatchExportMixin
from airflow_provider_translate5.client.defaultjobs import DefaultJobsMixin
from airflow_provider_translate5.client.langres import LanguageResourceMixin
from airflow_provider_translate5.client.people import PeopleMixin
from airflow_provider_translate5.client.plugins import PluginsMixin
from airflow_provider_translate5.client.reimport import ReimportMixin


class FeaturesMixin(
    PeopleMixin,
    DefaultJobsMixin,
    LanguageResourceMixin,
    AnalysisMixin,
    ReimportMixin,
    BatchExportMixin,
    PluginsMixin,
):
    """People, default jobs, job updates, resources, analysis, pre-translation, reimport, batch export, and
    which optional plugins the server offers."""
