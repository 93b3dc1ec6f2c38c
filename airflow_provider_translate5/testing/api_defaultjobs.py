"""Customers' default jobs (``GET /editor/customers/:customerId/workflow/:workflow/default-job``).

Rows as the recorded server answers them (part 2, §134/§136): ids and languages as strings, ``type`` a
number, ``deadlineDate`` null, a customer without default jobs ``rows: []``. The simulator's default jobs are
``catalog.DEFAULT_JOBS``: "ACME Content Team" (number 1000) has translator1 (translation) and reviewer1
(reviewing) for English into German and into French in the ``default`` workflow. As on translate5, the
import gives a task of that customer these jobs itself (§148, ``Store._assign_default_jobs``); applying them
again with ``Translate5Client.apply_default_jobs`` finds them there.
"""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_translate5.testing import catalog
from airflow_provider_translate5.testing.protocol import ApiError, Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route


def _rows(ctx: Ctx, customer_id: int, workflow: str) -> list[dict[str, Any]]:
    rows = []
    for job_id, (number, login, step, source, target) in enumerate(catalog.DEFAULT_JOBS, start=1):
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
                "deadlineDate": None,
                "trackchangesShow": "1",
                "trackchangesShowAll": "1",
                "trackchangesAcceptReject": "1",
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
