"""Route table plumbing: what a handler receives (:class:`Ctx`) and how a URL finds its handler."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_translate5.testing.config import SimulatorConfig
from airflow_provider_translate5.testing.protocol import ApiError, Request, Response, json_response
from airflow_provider_translate5.testing.state import Session, Store, Task, User


@dataclass
class Ctx:
    req: Request
    store: Store
    config: SimulatorConfig
    upload_dir: Path
    user: User | None = None
    session: Session | None = None
    token_request: bool = False

    @property
    def me(self) -> User:
        """The authenticated user (routes that reach a handler without one are public ones)."""
        return self.user if self.user is not None else self.store.manager

    def json(self, payload: Any, status: int = 200) -> Response:
        return json_response(payload, status)

    def task_or_404(self, task_id: str) -> Task:
        task = self.store.task(task_id)
        if task is None:
            raise ApiError.not_found("Task", task_id)
        return task


Handler = Callable[[Ctx, "re.Match[str]"], Response]


@dataclass(frozen=True)
class Route:
    methods: frozenset[str] | None  # None = any method (e.g. /editor/task/ID/import)
    pattern: re.Pattern[str]
    handler: Handler
    public: bool = False  # reachable without authentication (session endpoints)
    csrf_exempt: bool = False  # works with a password session (session, export, excelexport)
    pm_only: bool = False  # other users get translate5's ACL answer: 302 to /login


def route(
    methods: str | None,
    pattern: str,
    handler: Handler,
    *,
    public: bool = False,
    csrf_exempt: bool = False,
    pm_only: bool = False,
) -> Route:
    method_set = None if methods is None else frozenset(methods.split())
    return Route(method_set, re.compile(pattern + r"/?$"), handler, public, csrf_exempt, pm_only)


def find(routes: list[Route], method: str, path: str) -> tuple[Route, re.Match[str]]:
    path_matched = False
    for candidate in routes:
        match = candidate.pattern.match(path)
        if match is None:
            continue
        path_matched = True
        if candidate.methods is None or method in candidate.methods:
            return candidate, match
    if path_matched:
        raise ApiError.coded(405, None, f"Method {method} is not allowed here")
    raise ApiError.coded(404, None, f"The requested URL {path} was not found")
