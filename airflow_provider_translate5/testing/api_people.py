"""Users and customers with translate5's list filters (``User``/``CustomerController::indexAction``).

Both controllers filter ``loadAll()`` with the ExtJS ``filter`` parameter on their DB columns and count
``total`` after filtering. User rows look like the recorded real answer: roles as a comma-separated string,
``coordinatorGroup`` null, no password field.
"""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_translate5.testing import catalog, filters, views
from airflow_provider_translate5.testing.protocol import Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Store, User

USER_FIELDS = ("id", "userGuid", "firstName", "surName", "gender", "login", "email", "roles", "locale")
CUSTOMER_FIELDS = ("id", "name", "number")


def user_row(store: Store, user: User) -> dict[str, Any]:
    """The recorded row shape (section 43), from the simulator's own view of a user."""
    return views.user_out(store, user)


def _listed(ctx: Ctx, rows: list[dict[str, Any]], fields: tuple[str, ...]) -> Response:
    rules = filters.parse_filters(ctx.req.param("filter"), fields)
    found = [row for row in rows if filters.matches(row, rules, lambda _row: [])]
    return ctx.json({"rows": found, "total": len(found)})


def users(ctx: Ctx, _: re.Match[str]) -> Response:
    with ctx.store.lock:
        rows = [user_row(ctx.store, user) for user in ctx.store.users.values()]
    return _listed(ctx, rows, USER_FIELDS)


def customers(ctx: Ctx, _: re.Match[str]) -> Response:
    as_text = ctx.config.numbers_as_strings  # ids arrive as JSON strings from translate5's DB layer
    rows = [
        {"id": str(c.id) if as_text else c.id, "name": c.name, "number": c.number} for c in catalog.CUSTOMERS
    ]
    return _listed(ctx, rows, CUSTOMER_FIELDS)


ROUTES: list[Route] = [
    route("GET", r"/editor/user", users),
    route("GET", r"/editor/customer", customers),
]
