"""Authentication (app token header/field, zfExtended cookie, ``sid``) and ``/editor/session`` (§1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from airflow_provider_translate5.testing.protocol import ApiError, Request, Response, empty_response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Session, Store, User

COOKIE = "zfExtended"
TOKEN_HEADER = "Translate5AuthToken"  # noqa: S105 - a header name


@dataclass
class Auth:
    user: User | None
    session: Session | None
    token_request: bool
    set_cookie: str | None  # session id to hand out with Set-Cookie


def _invalid_token(req: Request) -> ApiError:
    payload = {
        "success": False,
        "httpStatus": 401,
        "errorMessage": "<b>Fatal: Authentication Token: The token is not valid</b>",
    }
    text = None if req.accepts_json else "Authentication Token: The token is not valid!"
    return ApiError(401, payload, text=text)


def cookie_header(session_id: str) -> str:
    return f"{COOKIE}={session_id}; path=/; HttpOnly; SameSite=Lax"


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
        if token.strip() != store.token:
            raise _invalid_token(req)
        if session is not None and session.user_guid == store.manager.guid:
            return Auth(store.manager, session, True, None)
        session = store.new_session(store.manager, token_auth=True)
        return Auth(store.manager, session, True, session.id)
    if session is None:
        return Auth(None, None, False, None)
    return Auth(store.users.get(session.user_guid), session, False, None)


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
    if passwd == ctx.store.token and user.guid == ctx.store.manager.guid:
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
    response = ctx.json(payload)
    response.headers.append(("Set-Cookie", cookie_header(session.id)))
    return response


def status(ctx: Ctx, _: re.Match[str]) -> Response:
    """GET /editor/session/<anything>: the state of THIS request's authentication (the id is ignored)."""
    if ctx.user is None:
        return ctx.json({"state": "not authenticated", "user": None}, 404)
    return ctx.json({"state": "authenticated", "user": ctx.user.row()})


def logout(ctx: Ctx, match: re.Match[str]) -> Response:
    ctx.store.sessions.pop(match.group(1), None)
    return empty_response()


ROUTES: list[Route] = [
    route("POST", r"/editor/session", login, public=True, csrf_exempt=True),
    route("GET", r"/editor/session/([^/]+)", status, public=True, csrf_exempt=True),
    route("DELETE", r"/editor/session/([^/]+)", logout, public=True, csrf_exempt=True),
]
