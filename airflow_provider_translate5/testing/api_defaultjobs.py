"""Customers' default jobs (``GET /editor/customers/:customerId/workflow/:workflow/default-job``).

Rows as ``DefaultUserJobViewDataProvider::buildJobView`` builds them (ids and languages as DB strings, like
every translate5 row). The simulator has one customer with default jobs: "ACME Content Team" (number 1000)
has translator1 (translation) and reviewer1 (reviewing) for English into German and into French in the
``default`` workflow. Unlike translate5 the simulator does not assign them at import, so a DAG (or a test)
applies them with ``Translate5Client.apply_default_jobs``.
"""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_translate5.testing import catalog
from airflow_provider_translate5.testing.protocol import ApiError, Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route

#: (id, customer number, login, step, source, target) of the simulator's default jobs.
_DEFAULT_JOBS = (
    (1, "1000", "translator1", "translation", "en", "de"),
    (2, "1000", "reviewer1", "reviewing", "en", "de"),
    (3, "1000", "translator1", "translation", "en", "fr"),
    (4, "1000", "reviewer1", "reviewing", "en", "fr"),
)


def _rows(ctx: Ctx, customer_id: int, workflow: str) -> list[dict[str, Any]]:
    rows = []
    for job_id, number, login, step, source, target in _DEFAULT_JOBS:
        customer = catalog.find_customer(number)
        user = ctx.store.user_by_login(login)
        if customer is None or customer.id != customer_id or user is None or workflow != "default":
            continue
        rows.append(
            {
                "id": str(job_id),
                "customerId": str(customer.id),
                "userGuid": user.guid,
                "sourceLang": str(catalog.resolve_language(source)),
                "targetLang": str(catalog.resolve_language(target)),
                "workflow": workflow,
                "workflowStepName": step,
                "deadlineDate": "0",
                "trackchangesShow": "1",
                "trackchangesShowAll": "1",
                "trackchangesAcceptReject": "0",
                "type": 1,
                "groupId": None,
                "isCoordinatorGroupJob": False,
            }
        )
    return rows


def default_jobs(ctx: Ctx, match: re.Match[str]) -> Response:
    customer_id = int(match.group(1))
    if not any(c.id == customer_id for c in catalog.CUSTOMERS):
        raise ApiError.not_found("Customer", match.group(1))
    with ctx.store.lock:
        rows = _rows(ctx, customer_id, match.group(2))
    return ctx.json({"rows": rows, "total": len(rows)})


ROUTES: list[Route] = [
    route("GET", r"/editor/customers/(\d+)/workflow/([^/]+)/default-job", default_jobs, pm_only=True),
]
