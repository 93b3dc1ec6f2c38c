"""The single HTTP path of the client: authentication, bodies, retries and error mapping live only here.

Every call of :class:`~airflow_provider_translate5.client.Translate5Client` goes through
:meth:`Transport.request`, so auth, retry and secret-handling rules cannot drift between calls.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from airflow_provider_translate5.client.deadline import Deadline, DeadlineAdapter
from airflow_provider_translate5.client.errors import (
    EXPORT_RUNNING,
    Translate5APIError,
    Translate5AuthError,
    Translate5ConnectionError,
    Translate5LimitError,
    Translate5PermissionError,
    Translate5ResponseError,
    Translate5TimeoutError,
    Translate5TransferError,
    Translate5ValueError,
    error_from_response,
    response_error,
)
from airflow_provider_translate5.client.files import FormFields, UploadFields, multipart_encoder
from airflow_provider_translate5.client.limits import DERIVED, Limits
from airflow_provider_translate5.client.retry import RetryPolicy, derived_deadline, parse_retry_after
from airflow_provider_translate5.client.verify import BrokenBody, looks_like_json, parse_answer

log = logging.getLogger("airflow_provider_translate5.client")

TOKEN_HEADER = "Translate5AuthToken"  # noqa: S105 - a header name, not a secret
SESSION_COOKIE = "zfExtended"
VERSION_HEADER = "x-translate5-version"
ENTITY_VERSION_HEADER = "Mqi-Entity-Version"
REDACTED = "***"

_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9]{36}$")
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_OBJECT_PREFIX = re.compile(r"^<[^>]*>:\s*")

AUTH_HELP = (
    "translate5 >= 6.5.2 requires an app token for API access (shaped '<id>:<36 letters and digits>'); "
    'create one on the server with `./translate5.sh auth:apptoken:add LOGIN "Airflow"` or in the translate5 '
    "UI (app tokens of the user) and use it as the password"
)

Timeout = float | tuple[float, float]


API_ROLE_HINT = (
    "translate5 lets only users with the 'api' role delete a session; a token client needs no logout "
    "(its server sessions expire by themselves)"
)
_ERROR_BODY_LIMIT = 1 << 20  # enough for any error envelope; the rest of a huge error page is not read
_SEEN = threading.local()


class _RedactOwnRequests(logging.Filter):
    """Redact the secrets of the provider's request in flight from urllib3's DEBUG request lines.

    urllib3 logs each request line, and logging out puts the session id into the path
    (``DELETE /editor/session/<id>``). Only records emitted by this thread while one of the provider's
    requests is being sent are touched; other libraries' requests pass unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        transport = getattr(_SEEN, "transport", None)
        if transport is not None:
            record.msg, record.args = transport.redact(record.getMessage()), None
        return True


_REDACTION_INSTALLED = threading.Lock()
_redaction: _RedactOwnRequests | None = None


def _install_redaction() -> None:
    """Add the filter once, when the first client is built (never as a side effect of an import)."""
    global _redaction
    with _REDACTION_INSTALLED:
        if _redaction is None:
            _redaction = _RedactOwnRequests()
            logging.getLogger("urllib3.connectionpool").addFilter(_redaction)


def check_token(token: object) -> str:
    """Refuse anything that is not an app token before it is sent anywhere (a password would be leaked)."""
    text = token.strip() if isinstance(token, str) else ""
    if not _TOKEN_SHAPE.match(text):
        raise Translate5AuthError(
            status=None,
            error_message=f"the configured credential is not a translate5 app token. {AUTH_HELP}",
        )
    return text


def normalise_base_url(base_url: str) -> str:
    parts = urlsplit(str(base_url).strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Translate5ValueError(
            f"base_url must be an http(s) URL such as https://translate5.example.org, got {base_url!r}"
        )
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise Translate5ValueError("base_url must not contain credentials, a query or a fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _check_timeout(timeout: Timeout) -> Timeout:
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    if len(values) not in (1, 2) or not all(isinstance(v, (int, float)) and v > 0 for v in values):
        raise Translate5ValueError(f"timeout must be positive seconds or (connect, read), got {timeout!r}")
    return timeout


def _not_sent(exc: requests.RequestException) -> bool:
    """True only when the request provably never reached the server (safe to retry even a create)."""
    import urllib3.exceptions

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return False
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def _exception_retry_reason(exc: requests.RequestException, idempotent: bool) -> str | None:
    if isinstance(
        exc,
        (
            requests.exceptions.SSLError,
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidHeader,
        ),
    ):
        return None  # configuration problems: the next attempt fails the same way
    if _not_sent(exc):
        return "could not connect"
    if not idempotent:
        return None  # the server may have processed it: a blind retry could create a duplicate
    if isinstance(exc, requests.Timeout):
        return "read timeout"
    if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return "connection broken"
    return None


def _status_retry_reason(error: Translate5APIError, idempotent: bool) -> str | None:
    """Whether the transport repeats a call itself: the error says if a repeat may pass (``retryable``);
    only the transport knows whether the server may already have acted on a non-idempotent call."""
    if not error.retryable:
        return None
    # 429 and 503 are refusals before any work was done: safe to repeat even a create.
    if not idempotent and error.status not in (429, 503):
        return None
    reason = f"HTTP {error.status}"
    if error.error_code == EXPORT_RUNNING:
        reason += f" {EXPORT_RUNNING} (an export of this task is still running)"
    return reason


def _describe_exception(exc: BaseException) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        kind = "connect timeout"
    elif isinstance(exc, requests.Timeout):
        kind = "read timeout (no answer in time; exports and imports may need a longer timeout)"
    elif isinstance(exc, requests.exceptions.SSLError):
        kind = "TLS error (check the certificate or the CA bundle)"
    elif isinstance(exc, requests.exceptions.ProxyError):
        kind = "proxy error"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
        kind = "connection broken while receiving the body"
    else:
        kind = "connection failed"
    inner: Any = exc.args[0] if exc.args else exc
    detail = str(getattr(inner, "reason", inner) or type(exc).__name__)
    return f"{kind}: {_OBJECT_PREFIX.sub('', detail)[:300]}"


class Transport:
    """Sends requests to one translate5 server with one identity (app token, optionally a login session)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        login: str | None,
        timeout: Timeout,
        verify: bool | str,
        proxies: Mapping[str, str] | None,
        retry: RetryPolicy | None,
        on_secret: Callable[[str], None] | None,
        user_agent: str,
        session: requests.Session | None,
        limits: Limits | None = None,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self._token = check_token(token)
        self._login = login or None
        self._timeout = _check_timeout(timeout)
        if isinstance(verify, str) and not os.path.exists(verify):
            raise Translate5ValueError(f"CA bundle {verify!r} does not exist")
        self._verify = verify
        self._proxies = dict(proxies or {})
        self.retry = retry or RetryPolicy()
        self.limits = limits or Limits()
        connect, read = self._timeout if isinstance(self._timeout, tuple) else (self._timeout, self._timeout)
        #: Seconds one call may take in all (None: no overall deadline), see ``Limits.deadline``.
        self.deadline = (
            derived_deadline(connect, read, self.retry)
            if self.limits.deadline == DERIVED
            else self.limits.deadline
        )
        self._on_secret = on_secret
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = DeadlineAdapter()
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self._session = session
        self._headers = {"Accept": "application/json", "User-Agent": user_agent}
        self._secrets: set[str] = set()
        self._learn_secret(self._token)
        _install_redaction()
        self._session_id: str | None = None
        self._login_lock = threading.Lock()
        self.server_version: str | None = None
        origin = urlsplit(self.base_url)
        self._origin = f"{origin.scheme}://{origin.netloc}"
        self._prefix = origin.path

    def __repr__(self) -> str:
        mode = f"session login {self._login!r}" if self._login else "app token header"
        return f"Transport(base_url={self.base_url!r}, auth={mode})"

    # -- secrets --------------------------------------------------------------------------------------------

    def _learn_secret(self, value: str | None) -> None:
        if value and value not in self._secrets:
            self._secrets.add(value)
            if self._on_secret is not None:
                self._on_secret(value)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    # -- URLs -----------------------------------------------------------------------------------------------

    def url_for(self, path: str) -> str:
        """Absolute URL for an API path; absolute URLs are accepted only for this server (never leak auth)."""
        if path.startswith(("http://", "https://")):
            if path == self.base_url or path.startswith(self.base_url + "/"):
                return path
            raise Translate5ValueError(
                f"refusing to send translate5 credentials to {urlsplit(path).netloc or path!r}: "
                f"only URLs under {self.base_url} are allowed"
            )
        if not path.startswith("/"):
            path = "/" + path
        if self._prefix and (path == self._prefix or path.startswith(self._prefix + "/")):
            return self._origin + path  # the server already included its path prefix (e.g. a downloadUrl)
        return self.base_url + path

    # -- session handling -----------------------------------------------------------------------------------

    @property
    def session_mode(self) -> bool:
        return self._login is not None

    def _has_cookie(self) -> bool:
        return SESSION_COOKIE in self._session.cookies

    def _forget_session(self) -> None:
        self._session_id = None
        jar: Any = self._session.cookies  # typed as MutableMapping[str, str], iterates Cookie objects
        for cookie in list(jar):
            if cookie.name == SESSION_COOKIE:
                self._session.cookies.clear(cookie.domain, cookie.path, cookie.name)

    def _observe(self, response: requests.Response) -> None:
        version = response.headers.get(VERSION_HEADER)
        if version:
            self.server_version = version
        for cookie in response.cookies:
            if cookie.name == SESSION_COOKIE and cookie.value:
                self._learn_secret(cookie.value)
                # requests stores it too when the answer came from a real socket; adapters that do not
                # (test doubles, custom transports) must not turn every call into a new server session.
                self._session.cookies.set_cookie(cookie)

    def login(self) -> None:
        """Open a session with the app token as password; from then on the cookie alone authenticates."""
        if self._login is None:
            raise Translate5ValueError("login() needs a login name: create the client with login=...")
        self._forget_session()
        path = "/editor/session"
        try:
            payload = self.request_json(
                "POST",
                path,
                data={"login": self._login, "passwd": self._token},
                authenticate=False,
                idempotent=True,
            )
        except Translate5APIError as exc:
            if exc.status not in (401, 403, 422):
                raise
            raise Translate5AuthError(
                status=exc.status,
                error_message=f"translate5 refused the login of {self._login!r} with the app token "
                f"({exc.error_message})",
                method="POST",
                url=exc.url,
                errors=exc.errors,
                hint=f"the token must belong to that user. {AUTH_HELP}",
            ) from exc
        session_id = payload.get("sessionId") if isinstance(payload, Mapping) else None
        if not isinstance(session_id, str) or not session_id:
            raise self.unexpected("no sessionId in the login answer", "POST", path)
        self._learn_secret(session_id)
        token = payload.get("sessionToken")
        self._learn_secret(token if isinstance(token, str) else None)
        if not self._has_cookie():
            self._session.cookies.set(SESSION_COOKIE, session_id)
        self._session_id = session_id

    def _ensure_login(self) -> None:
        if self._session_id is None:
            with self._login_lock:
                if self._session_id is None:
                    self.login()

    def logout(self) -> None:
        """Delete the server session this client holds.

        translate5 allows that only to users with the ``api`` role: its 403 is logged as a warning (the
        session then simply expires on the server), any other failure is raised.
        """
        session_id = self._session_id or self._session.cookies.get(SESSION_COOKIE)
        if not session_id:
            return
        try:
            self.request_json("DELETE", f"/editor/session/{session_id}", authenticate=False, retry=False)
        except Translate5PermissionError as exc:
            log.warning("translate5 kept the session open (HTTP %s): %s", exc.status, API_ROLE_HINT)
        finally:
            self._forget_session()

    def close(self) -> None:
        """Release connections; a login-mode client also ends its session (a token client has none to end).

        A token client's server sessions expire by themselves, and deleting them needs the ``api`` role, so it
        sends no request here.
        """
        try:
            if self.session_mode:
                self.logout()
        except Exception as exc:  # best effort: closing must not fail a finished task
            log.warning("translate5 logout failed: %s", self.redact(str(exc)))
        finally:
            self._forget_session()
            if self._owns_session:
                self._session.close()

    # -- requests -------------------------------------------------------------------------------------------

    def connection_error(self, exc: BaseException, method: str, path: str) -> Translate5ConnectionError:
        timed_out = isinstance(exc, (requests.Timeout, TimeoutError))
        cls = Translate5TimeoutError if timed_out else Translate5ConnectionError
        return cls(
            self.redact(f"could not talk to translate5 at {self._origin} ({method} {path}): ")
            + self.redact(_describe_exception(exc))
        )

    def deadline_error(self, deadline: Deadline, method: str, path: str) -> Translate5TimeoutError:
        return Translate5TimeoutError(
            self.redact(
                f"translate5 at {self._origin} did not complete {method} {path} within the overall deadline "
                f"of {deadline.seconds:g} s (the server answers too slowly; "
                + (
                    "the deadline follows from the timeouts and retries unless set: "
                    if self.limits.deadline == DERIVED
                    else ""
                )
                + "raise Limits(deadline=...) if that is expected)"
            )
        )

    def json_limit_error(
        self, response: requests.Response, method: str, url: str, limit: int
    ) -> Translate5LimitError:
        """A JSON answer larger than ``Limits.max_json_bytes``: refused before it is read into memory."""
        return Translate5LimitError(
            f"translate5 answered {method} {self.redact(urlsplit(url).path)} with more than {limit} bytes of "
            "JSON; refused to read it into memory (page the request, or raise Limits(max_json_bytes=...))",
            method=method,
            url=self.redact(url),
            status=response.status_code,
            content_type=response.headers.get("Content-Type"),
        )

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        data: Any,
        fields: FormFields,
        uploads: UploadFields,
        headers: Mapping[str, str] | None,
        authenticate: bool,
        deadline: Deadline,
    ) -> requests.Response:
        all_headers = {**self._headers, **(headers or {})}
        if authenticate and not self.session_mode:
            all_headers[TOKEN_HEADER] = self._token
        form = list(fields)
        if data is not None:
            form.append(("data", json.dumps(data)))  # translate5's safe body format for every controller
        with contextlib.ExitStack() as stack:
            body: Any = form or None
            if uploads:
                body = multipart_encoder(form, uploads, stack)  # re-built (files rewound) for every attempt
                all_headers["Content-Type"] = body.content_type
            _SEEN.transport = self
            try:
                with deadline:
                    response = self._session.request(
                        method,
                        url,
                        params=params,
                        data=body,
                        headers=all_headers,
                        timeout=self._timeout,
                        verify=self._verify,
                        proxies=self._proxies,
                        stream=True,  # bodies are read below, within the limits
                        allow_redirects=False,  # a redirect would carry the token header to another place
                    )
            finally:
                _SEEN.transport = None
            deadline.attach_response(response)
            return response

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        fields: FormFields = (),
        uploads: UploadFields = (),
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        stream: bool = False,
        authenticate: bool = True,
        retry: bool = True,
    ) -> requests.Response:
        """Send one API call; return a 2xx response or raise a Translate5Error.

        :param data: JSON-able payload sent as the form field ``data``.
        :param fields: plain form fields (repeat a name for ``targetLang[]``-style arrays).
        :param uploads: files; turn the body into a streamed multipart form.
        :param idempotent: whether the server may safely see this twice; default by method. Non-idempotent
            calls are retried only when the server provably did not process them.
        :param stream: leave the body unread (a download); the response carries its deadline as
            ``t5_deadline``, which the reader must cancel. Otherwise the body is read here, up to
            ``limits.max_json_bytes``.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        url = self.url_for(path)
        shown = self.redact(urlsplit(url).path)
        attempts = self.retry.max_attempts if retry else 1
        attempt, reauthenticated = 0, False
        deadline = Deadline(self.deadline)
        handed_over = False
        try:
            while True:
                attempt += 1
                if authenticate and self.session_mode:
                    self._ensure_login()
                sent_cookie = self._has_cookie()
                try:
                    response = self._send(
                        method,
                        url,
                        params=params,
                        data=data,
                        fields=fields,
                        uploads=uploads,
                        headers=headers,
                        authenticate=authenticate,
                        deadline=deadline,
                    )
                except requests.RequestException as exc:
                    if deadline.passed():
                        raise self.deadline_error(deadline, method, shown) from exc
                    reason = _exception_retry_reason(exc, idempotent)
                    if (
                        reason
                        and attempt < attempts
                        and self._pause(attempt, attempts, reason, method, shown, None, deadline)
                    ):
                        continue
                    raise self.connection_error(exc, method, shown) from exc
                self._observe(response)
                if 200 <= response.status_code < 300:
                    if stream:
                        response.t5_deadline = deadline  # type: ignore[attr-defined]
                        handed_over = True  # the reader of the body cancels it
                        return response
                    try:
                        self._read_answer(response, deadline, method, url)
                    except Translate5ConnectionError:
                        # Cut after the headers: repeated like a failure before them, where that is safe.
                        reason = "answer cut short" if idempotent and not deadline.passed() else None
                        if (
                            reason
                            and attempt < attempts
                            and self._pause(attempt, attempts, reason, method, shown, None, deadline)
                        ):
                            continue
                        raise
                    return response
                if (
                    response.status_code == 401
                    and authenticate
                    and not reauthenticated
                    and (sent_cookie or self.session_mode)
                ):
                    # The session expired or was dropped: open a fresh one and try once more.
                    reauthenticated = True
                    response.close()
                    self._forget_session()
                    log.info(
                        "translate5 %s %s: session no longer valid (HTTP 401); re-authenticating",
                        method,
                        shown,
                    )
                    attempt -= 1
                    continue
                error = self._error(response, method, url, authenticate, deadline)
                reason = _status_retry_reason(error, idempotent)
                if (
                    reason
                    and attempt < attempts
                    and self._pause(attempt, attempts, reason, method, shown, error.retry_after, deadline)
                ):
                    continue
                raise error
        finally:
            if not handed_over:
                deadline.cancel()

    def _read_answer(self, response: requests.Response, deadline: Deadline, method: str, url: str) -> None:
        """Read a call's body; a JSON text that ends before its value does is a Translate5TransferError
        (translate5 frames answers by closing the connection, so a cut looks like an end)."""
        body = self.read_body(response, self.limits.max_json_bytes, deadline, method, url)
        if not looks_like_json(body):
            return
        try:
            response.t5_json = parse_answer(body)  # type: ignore[attr-defined]
        except BrokenBody as exc:
            raise Translate5TransferError(
                self.redact(f"translate5's answer to {method} {urlsplit(url).path} arrived incomplete: {exc}")
            ) from None
        except (ValueError, RecursionError):
            pass  # not JSON after all: json_of says what it is

    def read_body(
        self,
        response: requests.Response,
        limit: int | None,
        deadline: Deadline,
        method: str,
        url: str,
        *,
        truncate: bool = False,
    ) -> bytes:
        """Read the (decoded) body into ``response.content``, at most ``limit`` bytes.

        Beyond the limit: an error, or with ``truncate`` just the first ``limit`` bytes (error pages).
        """
        shown = self.redact(urlsplit(url).path)
        parts: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=1 << 16):
                size += len(chunk)
                if limit is not None and size > limit:
                    if truncate:
                        parts.append(chunk[: len(chunk) - (size - limit)])
                        break
                    response.close()
                    raise self.json_limit_error(response, method, url, limit)
                parts.append(chunk)
        except requests.RequestException as exc:
            if deadline.passed():
                raise self.deadline_error(deadline, method, shown) from exc
            raise self.connection_error(exc, method, shown) from exc
        finally:
            response.close()
        if deadline.expired:
            raise self.deadline_error(deadline, method, shown)
        body = b"".join(parts)
        response._content = body  # requests' own cache of the body: .text and .json() read it
        response._content_consumed = True  # type: ignore[attr-defined]
        return body

    def _pause(
        self,
        attempt: int,
        attempts: int,
        reason: str,
        method: str,
        shown: str,
        retry_after: float | None,
        deadline: Deadline,
    ) -> bool:
        """Wait before the next attempt; False when the wait would outlast the call's deadline."""
        delay = self.retry.delay(attempt, retry_after)
        remaining = deadline.remaining()
        if remaining is not None and delay >= remaining:
            return False
        log.warning(
            "translate5 %s %s: %s; retrying (attempt %d/%d) in %.1f s",
            method,
            shown,
            reason,
            attempt + 1,
            attempts,
            delay,
        )
        self.retry.sleep(delay)
        return True

    def _error(
        self, response: requests.Response, method: str, url: str, authenticate: bool, deadline: Deadline
    ) -> Translate5APIError:
        self.read_body(response, _ERROR_BODY_LIMIT, deadline, method, url, truncate=True)
        location = urlsplit(response.headers.get("Location", ""))
        own_login = location.netloc in ("", urlsplit(self._origin).netloc) and location.path.rstrip("/") in (
            "/login",
            self._prefix + "/login",
        )
        if 300 <= response.status_code < 400 and own_login:
            # translate5 sends users whose roles lack a right to its login page instead of a 403.
            return Translate5PermissionError(
                status=response.status_code,
                error_message=f"translate5 redirected {method} {self.redact(urlsplit(url).path)} to its "
                "login page: the token's user is not allowed to do this",
                method=method,
                url=self.redact(url),
                hint="job and workflow calls need a PM or admin app token (a plain editor's token is "
                "redirected to /login); the redirect is never followed",
            )
        hint = None
        if response.status_code == 401 and authenticate:
            hint = (
                f"translate5 did not accept the session opened for {self._login!r}: the app token may be "
                "invalid or expired, or belong to another user; sessions opened with a real password are "
                "blocked by translate5's CSRF protection"
                if self.session_mode
                else "translate5 did not accept the app token: it is invalid, expired or deleted"
            )
            hint += f". {AUTH_HELP}"
        elif 300 <= response.status_code < 400:
            hint = (
                f"the server redirects to {location.scheme}://{location.netloc}{location.path}; "
                "check the base URL (scheme, host and path prefix)"
            )
        return error_from_response(
            response,
            method=method,
            url=url,
            redact=self.redact,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            hint=hint,
        )

    def json_of(self, response: requests.Response, method: str, url: str) -> Any:
        """The decoded JSON body (None when empty); ``success: false`` on a 2xx is an error too."""
        text = response.content.strip()
        if not text:
            return None  # e.g. DELETE answers HTTP 200 with an empty body
        try:
            payload = response.t5_json if hasattr(response, "t5_json") else json.loads(text)
        except RecursionError:
            raise response_error(
                response,
                "the JSON is nested too deeply to be a translate5 answer",
                method=method,
                url=url,
                redact=self.redact,
            ) from None
        except ValueError:
            xml = text.startswith(b"<?xml") or "xml" in response.headers.get("Content-Type", "").lower()
            problem = (
                "the body is XML, not JSON: translate5 answers XML when the 'Accept: application/json' "
                "header does not reach it (a proxy may drop it)"
                if xml
                else "the body is not JSON"
            )
            raise response_error(response, problem, method=method, url=url, redact=self.redact) from None
        if isinstance(payload, Mapping) and payload.get("success") is False:
            raise error_from_response(response, method=method, url=url, redact=self.redact)
        return payload

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return self.json_of(response, method, self.url_for(path))

    def unexpected(self, what: str, method: str, path: str) -> Translate5ResponseError:
        return Translate5ResponseError(
            f"unexpected answer from translate5 to {method} {self.redact(path)}: {what}",
            method=method,
            url=path,
        )
