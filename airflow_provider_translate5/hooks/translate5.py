"""Translate5Hook: turns an Airflow Connection into a :class:`Translate5Client`.

The hook adapts configuration and nothing else: every URL, retry and parsing rule lives in the client, so the
client stays usable without Airflow and operators never build URLs themselves.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow.sdk import BaseHook

from airflow_provider_translate5 import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_provider_translate5.client import Translate5Client

log = logging.getLogger(__name__)


class Translate5ConnectionConfigError(ValueError):
    """The Airflow connection cannot describe a translate5 server (raised before any HTTP call)."""


def _as_bool(value: Any, name: str) -> bool:
    # URI-form connections deliver extras as strings ("false"), which a plain bool() would turn into True.
    from airflow_provider_translate5.client.coerce import to_flag

    flag = to_flag(value)
    if flag is not None or not str(value).strip():  # an empty extra counts as false
        return bool(flag)
    raise Translate5ConnectionConfigError(f"connection extra {name!r} must be true or false, got {value!r}")


def _as_seconds(value: Any, name: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise Translate5ConnectionConfigError(  # noqa: B904 - the cause is the value quoted in the message
            f"connection extra {name!r} must be a number of seconds, got {value!r}"
        )
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0:
        raise Translate5ConnectionConfigError(
            f"connection extra {name!r} must be a positive number of seconds, got {value!r}"
        )
    return seconds


def client_kwargs_from_connection(conn: Connection, extra: Mapping[str, Any]) -> dict[str, Any]:
    """Translate a translate5 Connection into Translate5Client keyword arguments.

    Kept separate from the hook so the sync (worker) and async (triggerer) paths share it exactly.
    """
    conn_id = conn.conn_id
    host = (conn.host or "").strip()
    if not host:
        raise Translate5ConnectionConfigError(
            f"connection {conn_id!r} has no host: set it to the translate5 base URL, e.g. https://translate5.example.org"
        )
    parts = urlsplit(host)
    if "://" not in host:  # the client checks URLs; this names the usual cause (the URI form of a connection)
        raise Translate5ConnectionConfigError(
            f"connection {conn_id!r}: host {host!r} is not a base URL with scheme; use e.g. "
            f"https://{host.strip('/') or 'translate5.example.org'} (in an AIRFLOW_CONN_ "
            "environment variable use the JSON form, which can hold a scheme in the host)"
        )
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        log.warning(
            "Connection %r uses plain http: the app token travels unencrypted. Use https in production.",
            conn_id,
        )
    if conn.port and parts.port is None:
        host = f"{parts.scheme}://{parts.netloc}:{conn.port}{parts.path}"
    token = conn.password
    if not token:
        raise Translate5ConnectionConfigError(
            f"connection {conn_id!r} has no password: put the translate5 app token there "
            '(create one with `./translate5.sh auth:apptoken:add LOGIN "Airflow"` or in the translate5 UI)'
        )
    kwargs: dict[str, Any] = {"base_url": host, "token": token, "login": conn.login or None}
    read_timeout = _as_seconds(extra.get("timeout", 300), "timeout")
    connect_timeout = _as_seconds(extra.get("connect_timeout", 10), "connect_timeout")
    kwargs["timeout"] = (connect_timeout, read_timeout)
    deadline = extra.get("deadline")
    if deadline is not None and str(deadline).strip():  # unset: derived from the timeouts and retries
        from airflow_provider_translate5.client.limits import Limits

        kwargs["limits"] = Limits(deadline=_as_seconds(deadline, "deadline"))
    verify: bool | str = _as_bool(extra.get("verify", True), "verify")
    ca_bundle = extra.get("ca_bundle")
    if ca_bundle:
        if verify is False:
            raise Translate5ConnectionConfigError(
                f"connection {conn_id!r} sets both verify=false and ca_bundle; choose one"
            )
        verify = str(ca_bundle)
    elif verify is False:
        log.warning("Connection %r has TLS verification turned off.", conn_id)
    kwargs["verify"] = verify
    proxies = extra.get("proxies")
    if proxies:
        if isinstance(proxies, str):
            import json

            try:
                proxies = json.loads(proxies)
            except ValueError:
                raise Translate5ConnectionConfigError(  # noqa: B904 - the message says it all
                    f"connection {conn_id!r}: extra 'proxies' is not a JSON object"
                )
        if not isinstance(proxies, Mapping):
            raise Translate5ConnectionConfigError(
                f"connection {conn_id!r}: extra 'proxies' must be a JSON object"
            )
        kwargs["proxies"] = {str(k): str(v) for k, v in proxies.items()}
    zone = extra.get("server_timezone")
    if zone is not None and str(zone).strip():  # deadlines with a zone are converted into it (the client)
        kwargs["server_timezone"] = str(zone).strip()
    return kwargs


def _mask(secret: str) -> None:
    """Mask a secret the client learned (session id, cookie) in this process's logs.

    Only here: the values appear nowhere but in this process (the task runner or the triggerer), and
    ``mask_secret`` would also send them to Airflow's supervisor as a ``MaskSecret`` message, which
    ``airflow dags test`` prints in full at DEBUG ("Sending request msg=MaskSecret(value=...)").
    """
    from airflow.sdk import log as sdk_log

    masker = getattr(sdk_log, "_secrets_masker", None)
    if masker is None:  # a future Airflow without the in-process masker: mask the documented way
        sdk_log.mask_secret(secret)
        return
    masker().add_mask(secret)


class Translate5Hook(BaseHook):
    """Interact with translate5 through an Airflow connection of type ``translate5``.

    :param translate5_conn_id: Airflow connection: host = base URL incl. scheme, password = app token,
        login = optional (log in once with the app token as password and reuse the session cookie).
    :param client_kwargs: passed to :class:`Translate5Client` (e.g. ``retry=RetryPolicy(...)``), overriding
        what the connection says.
    """

    conn_name_attr = "translate5_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "translate5"
    hook_name = "translate5"

    def __init__(self, translate5_conn_id: str = default_conn_name, **client_kwargs: Any) -> None:
        super().__init__()
        self.translate5_conn_id = translate5_conn_id
        self.client_kwargs = client_kwargs
        self._client: Translate5Client | None = None

    def _build(self, conn: Connection, extra: Mapping[str, Any]) -> Translate5Client:
        from airflow_provider_translate5.client import Translate5Client, Translate5ValueError

        kwargs = client_kwargs_from_connection(conn, extra)  # the user agent is the client's own default
        # Session ids and cookies learned at runtime are as powerful as the token: mask them in task logs.
        kwargs["on_secret"] = _mask
        kwargs.update(self.client_kwargs)
        try:
            return Translate5Client(**kwargs)
        except Translate5ValueError as exc:  # e.g. the client's base URL rule: name the connection
            raise Translate5ConnectionConfigError(f"connection {conn.conn_id!r}: {exc}") from exc

    def get_conn(self) -> Translate5Client:
        """The client for this connection, built once per hook instance."""
        if self._client is None:
            conn = self.get_connection(self.translate5_conn_id)
            self._client = self._build(conn, conn.extra_dejson)
        return self._client

    @property
    def client(self) -> Translate5Client:
        return self.get_conn()

    async def aget_conn(self) -> Translate5Client:
        """Like :meth:`get_conn`, for triggers: resolving the connection must not block the event loop."""
        if self._client is None:
            from airflow.providers.common.compat.connection import (
                get_async_connection,
                get_async_extra_dejson,
            )

            conn = await get_async_connection(self.translate5_conn_id, hook=self)
            extra = await get_async_extra_dejson(conn)
            # Building masks the token; mask_secret talks to the supervisor synchronously: off the loop.
            self._client = await asyncio.to_thread(self._build, conn, extra)
        return self._client

    @property
    def base_url(self) -> str:
        return self.get_conn().base_url

    def task_url(self, translate5_task_id: int | str, project_id: int | str | None = None) -> str:
        """Link to a task or project in translate5's web UI (the "translate5 task" extra link)."""
        return task_ui_url(self.base_url, translate5_task_id, project_id)

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated call, then one request per optional plugin, so that the UI/CLI "Test
        connection" (run on a worker in 3.3) also tells which plugins the DAGs can use on this server."""
        try:
            client = self.get_conn()
            state = client.whoami()
            plugins = client.optional_plugins()
        except Exception as exc:  # the UI shows the message; the exception types are the client's own
            return False, str(exc)
        finally:
            self.close()  # end the server session the test opened
        user = state.get("user") or {}
        login = user.get("login", "?") if isinstance(user, Mapping) else "?"
        version = client.server_version or "unknown version"
        offered = "; ".join(str(plugin) for plugin in plugins)
        return True, f"Connected to translate5 ({version}) at {client.base_url} as {login}. {offered}"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def task_ui_url(base_url: str, translate5_task_id: int | str, project_id: int | str | None = None) -> str:
    """translate5's project overview focused on a project, or on one task inside its project.

    translate5's UI routes (``ProjectPanelViewController.js``) are ``#project/<projectId>/focus`` and
    ``#project/<projectId>/<taskId>/focus``; a task id alone in the first form reads as "project not found"
    unless the task is a single-target task (translate5 sets ``projectId == id`` for those).
    """
    task_id = int(translate5_task_id)
    base = f"{base_url.rstrip('/')}/editor/#project"
    if project_id is None or int(project_id) == task_id:
        return f"{base}/{task_id}/focus"
    return f"{base}/{int(project_id)}/{task_id}/focus"
