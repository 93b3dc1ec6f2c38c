"""Authentication (app token header/field, zfExtended cookie, ``sid``) and ``/editor/session``.

Every answer carries ``Set-Cookie: zfExtended=...`` (translate5 starts a PHP session even for app-token
requests); the server adds it, with :func:`cookie_header`, for the session found or started here.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from airflow_provider_translate5.testing.protocol import ApiError, Request, Response, empty_response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import PASSWORD_SESSION_LIFETIME, Session, Store, User

COOKIE = "zfExtended"
TOKEN_HEADER = "Translate5AuthToken"  # noqa: S105 - a header name


@dataclass
class Auth:
    user: User | None
    session: Session | None
    token_request: bool


def cookie_header(session_id: str) -> str:
    """The cookie exactly as the recorded server set it (10 days, no HttpOnly)."""
    lifetime = int(PASSWORD_SESSION_LIFETIME)
    expires = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + lifetime))
    return f"{COOKIE}={session_id}; expires={expires}; Max-Age={lifetime}; path=/; SameSite=Lax"


def authenticate(req: Request, store: Store) -> Auth:
    """Resolve who is calling; a bad token is rejected before routing, even with a valid cookie."""
    header_token = req.header(TOKEN_HEADER)
    field_tokens = req.form.get(TOKEN_HEADER)
    token = header_token if header_token is not None else (field_tokens[-1] if field_tokens else None)
    sid_param = req.param("sid")
    session = store.session(sid_param) if sid_param else None
    if session is None:
        session = store.session(req.cookies.get(COOKIE))
    if token is not None:
        user = store.user_by_token(token)
        if user is None:
            raise ApiError.invalid_token()
        if session is None or session.user_guid != user.guid:
            session = store.new_session(user, token_auth=True)
        return Auth(user, session, True)
    if session is None:
        return Auth(None, None, False)
    return Auth(store.users.get(session.user_guid), session, False)


def login(ctx: Ctx, _: re.Match[str]) -> Response:
    data = ctx.req.data()
    user_login = str(data.get("login") or ctx.req.param("login") or "").strip()
    passwd = str(data.get("passwd") or ctx.req.param("passwd") or "").strip()
    errors = []
    if not user_login:
        errors.append(("login", "No user name given."))
    if not passwd:
        errors.append(("passwd", "No password given."))
    if errors:
        raise ApiError.validation(errors)
    user = ctx.store.user_by_login(user_login)
    if user is None:
        raise ApiError.coded(403, None, "No access granted!")
    if ctx.store.user_by_token(passwd) == user:
        session = ctx.store.new_session(user, token_auth=True)
    elif passwd == ctx.config.password:
        session = ctx.store.new_session(user, token_auth=False)
    else:
        raise ApiError.coded(403, None, "No access granted!")
    payload: dict[str, object] = {"sessionId": session.id, "sessionToken": session.session_token}
    task_ref = ctx.req.param("taskGuid") or data.get("taskGuid")
    if task_ref:
        task = ctx.store.task(str(task_ref))
        if task is not None:
            payload["taskUrlPath"] = f"/editor/taskid/{task.id}/"
    ctx.session = session  # the server sets the cookie of this new session
    return ctx.json(payload)


def status(ctx: Ctx, _: re.Match[str]) -> Response:
    """GET /editor/session/<anything>: the state of THIS request's authentication (the id is ignored)."""
    if ctx.user is None:
        return ctx.json({"state": "not authenticated", "user": None}, 404)
    return ctx.json({"state": "authenticated", "user": ctx.user.session_row(ctx.store.roles(ctx.user))})


def logout(ctx: Ctx, match: re.Match[str]) -> Response:
    """Only users with the ``api`` role may end a session (section 86): others get an empty 403."""
    if ctx.user is None or "api" not in ctx.store.roles(ctx.user):
        raise ApiError.printed(403, "")
    ctx.store.sessions.pop(match.group(1), None)
    return empty_response()


ROUTES: list[Route] = [
    route("POST", r"/editor/session", login, public=True, csrf_exempt=True),
    route("GET", r"/editor/session/([^/]+)", status, public=True, csrf_exempt=True),
    route("DELETE", r"/editor/session/([^/]+)", logout, public=True, csrf_exempt=True),
]
