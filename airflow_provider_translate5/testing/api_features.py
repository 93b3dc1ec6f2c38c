"""Routes of the features beyond the task life cycle, registered in the server's route table as one entry."""

from __future__ import annotations

from airflow_provider_translate5.testing import (
    api_analysis,
    api_batchexport,
    api_defaultjobs,
    api_langres,
    api_people,
    api_reimport,
)
from airflow_provider_translate5.testing.routing import Route

ROUTES: list[Route] = [
    *api_people.ROUTES,
    *api_defaultjobs.ROUTES,
    *api_langres.ROUTES,
    *api_analysis.ROUTES,
    *api_reimport.ROUTES,
    *api_batchexport.ROUTES,
]
