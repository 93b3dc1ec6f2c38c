"""Exceptions of the translate5 client and the one place that turns error responses into them.

translate5 reports errors in several body shapes (REST error object, inline validation list, per-field
dicts, the invalid-token HTML snippet, PHP fatals, an HTML maintenance page). Callers should only ever need
``status``, ``error_code``, ``error_message`` and ``errors``, whatever shape the server chose.

What each kind of error means for whoever handles it (retry soon, ride out as an outage, fail for good) is
stated here and nowhere else: one ``classification`` line per class, the status rule :func:`_by_answer`
for the flags a class leaves open, and :func:`answer_kind` for answers that are not translate5's JSON at all
(its maintenance page, its 404 page of a route it does not know, a login page of a proxy in front of it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple
from urllib.parse import urlsplit

from airflow_provider_translate5.client.coerce import excerpt, plain_text, to_str

if TYPE_CHECKING:
    import requests

MAINTENANCE_HEADER = "x-translate5-maintenance-message"
#: The route prefixes of translate5's optional plugins. A server without the plugin does not know the route
#: and answers its 404 HTML page ("Seite nicht gefunden!"), even to ``Accept: application/json``
#: (real-server recordings, part 2 §100-102).
PLUGIN_ROUTES = {
    "/editor/instanttranslateapi/": "InstantTranslate",
    "/editor/plugins_matchanalysis_": "MatchAnalysis",
}
EXPORT_RUNNING = "E1538"
#: translate5 answers a PUT to a deleted task with 409 E1774, not 404 (``TaskController::putAction``).
TASK_DELETED = "E1774"
# translate5 refuses a batch export with 422 E1401 while a maintenance is scheduled (TaskbatchController).
MAINTENANCE_SCHEDULED = "E1401"

# Statuses of conditions that pass by themselves (timeouts, rate limits); 409 and 423 pass by a state change.
_PASSING = frozenset({408, 429})
_NOT_TERMINAL = frozenset({408, 409, 423, 429})
_GATEWAY = frozenset({502, 503, 504})
#: A 500 that is no outage: PHP's error for a reimport ``fileId`` that is not one of the task's files (part 2
#: §166). The same request fails again: a final "not found", for that call only.
MISSING_REIMPORT_FILE = 'Attempt to assign property "reimportFile" on null'


class Classification(NamedTuple):
    """What a kind of error means for whoever handles it; ``None`` leaves a flag to the answer (status, code).

    - ``retryable``: the same call may succeed if it is repeated soon (the transport's own retries);
    - ``outage``: translate5 is unreachable or temporarily unable to answer (maintenance, 5xx, timeouts); a
      wait rides it out until its deadline;
    - ``terminal``: no retry of the Airflow task can ever succeed (bad input, credentials, permissions, a task
      that does not exist): fail at once instead of burning retries.
    """

    retryable: bool | None
    outage: bool | None
    terminal: bool | None


def _by_answer(status: int | None, error_code: str | None) -> Classification:
    """The flags an error class leaves open, decided by what translate5 answered (the one status rule)."""
    return Classification(
        # A 409 E1538 (an export of the task is still running) passes by itself, like a rate limit.
        retryable=status in _PASSING or status in _GATEWAY or error_code == EXPORT_RUNNING,
        outage=status in _PASSING or (status or 0) >= 500,
        # Other client errors and redirects are the caller's fault (request, URL, permissions).
        terminal=status is not None and 300 <= status < 500 and status not in _NOT_TERMINAL,
    )


_MAX_FIELD_MESSAGES = 10
_MAX_MESSAGE = 300


def _rebuild(cls: type[Exception], state: dict[str, Any]) -> Exception:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("_text", ""))
    error.__dict__.update(state)
    return error


class Translate5Error(Exception):
    """Base class of everything the client raises.

    Every error answers three questions (see :class:`Classification`), the one place where failures are
    classified (modelled on httpx's documented hierarchy); callers ask :attr:`retryable`, :attr:`outage` and
    :attr:`terminal` and keep no status-code lists of their own. Each class states its kind in one line,
    ``classification``; a ``None`` flag (only on HTTP errors) is decided by the answer's status.

    The three are independent: a 409 conflict is neither an outage nor terminal, a 500 is an outage that is
    not worth an immediate repeat.
    """

    classification: ClassVar[Classification] = Classification(retryable=False, outage=False, terminal=False)

    def _flags(self) -> Classification:
        flags = self.classification
        if None in flags:
            decided = _by_answer(getattr(self, "status", None), getattr(self, "error_code", None))
            flags = Classification(*(d if f is None else f for f, d in zip(flags, decided, strict=True)))
        return flags

    @property
    def retryable(self) -> bool:
        """The same call may succeed if it is repeated soon."""
        return bool(self._flags().retryable)

    @property
    def outage(self) -> bool:
        """translate5 is unreachable or temporarily unable to answer; waiting may ride it out."""
        return bool(self._flags().outage)

    @property
    def terminal(self) -> bool:
        """No later retry of the same work can succeed; fail without retrying."""
        return bool(self._flags().terminal)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive the default pickling of exceptions (Airflow may pickle).
        return (_rebuild, (type(self), {**self.__dict__, "_text": str(self)}))


class Translate5ValueError(Translate5Error, ValueError):
    """Bad local input, detected before any HTTP call."""

    classification = Classification(retryable=False, outage=False, terminal=True)


class Translate5ConnectionError(Translate5Error):
    """The server could not be reached or the connection broke (after the client's own retries)."""

    classification = Classification(retryable=True, outage=True, terminal=False)


class Translate5TimeoutError(Translate5ConnectionError):
    """No (complete) answer in time: a read timeout, or the overall deadline of one request passed."""


class Translate5TransferError(Translate5ConnectionError):
    """An answer that arrived incomplete or damaged although the connection ended normally: a ZIP without its
    central directory or with a member failing its CRC, XML or JSON that ends before its document does, fewer
    bytes than announced (see ``client/verify.py``). Never delivered; a new request gets the whole file."""

    classification = Classification(retryable=True, outage=True, terminal=False)


class Translate5ResponseError(Translate5Error):
    """A successful status, but not the answer translate5 gives (not JSON, or a different envelope)."""

    # An answer cut short or garbled on the way: may pass soon (a web page is a Translate5PageError).
    classification = Classification(retryable=True, outage=True, terminal=False)

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status: int | None = None,
        content_type: str | None = None,
        body_excerpt: str = "",
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.status = status
        self.content_type = content_type
        self.body_excerpt = body_excerpt


class Translate5PageError(Translate5ResponseError):
    """A web page where translate5's API answers with success: a login or SSO page of a proxy in front of
    translate5, a wrong base URL, or XML because a proxy dropped the ``Accept: application/json`` header.

    A configuration or authentication problem, not an outage: the same request meets the same page until
    someone changes the connection or the proxy, so a wait must fail at once instead of riding it out until
    its deadline (days, for a workflow wait). translate5's own maintenance page is a 503, never this.
    """

    classification = Classification(retryable=False, outage=False, terminal=True)


class Translate5LimitError(Translate5ResponseError):
    """The answer exceeds a limit of the client (decoded download size, JSON size or nesting).

    The same request gets the same answer: raise the limit (a client setting) if the answer is legitimate.
    """

    classification = Classification(retryable=False, outage=False, terminal=True)


class Translate5DataError(Translate5ResponseError):
    """translate5's answer, but a value a person decides on cannot be read: a count such as ``"1,234"``,
    ``null``, ``NaN`` or ``-500`` (see ``coerce.to_count``). The message names the field; never read as 0.

    The same request gets the same answer, and a retry of the step would run the operation again.
    """

    classification = Classification(retryable=False, outage=False, terminal=True)


class Translate5APIError(Translate5Error):
    """translate5 answered with an error status (or ``success: false``)."""

    # Decided by the status for the rest: 405, 408, 410, redirects, ``success: false`` on HTTP 200, ...
    classification = Classification(retryable=None, outage=None, terminal=None)

    def __init__(
        self,
        *,
        status: int | None,
        error_message: str,
        method: str = "",
        url: str = "",
        error_code: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
        body_excerpt: str = "",
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.error_message = error_message
        self.errors: dict[str, list[str]] = dict(errors or {})
        self.method = method
        self.url = url
        self.body_excerpt = body_excerpt
        self.hint = hint
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        head = f"HTTP {self.status}" if self.status else "translate5"
        if self.error_code:
            head += f" {self.error_code}"
        if self.method:
            head += f" on {self.method} {urlsplit(self.url).path or self.url}"
        text = f"{head}: {self.error_message or 'no error message'}"
        details = [
            f"{field}: {message}" if field else message
            for field, messages in self.errors.items()
            for message in messages
            if message != self.error_message
        ]
        if details:
            more = len(details) - _MAX_FIELD_MESSAGES
            text += (
                " (" + "; ".join(details[:_MAX_FIELD_MESSAGES]) + (f"; {more} more" if more > 0 else "") + ")"
            )
        if self.hint:
            text += f". {self.hint}"
        return text


class Translate5BadRequestError(Translate5APIError):
    """HTTP 400: malformed request (bad JSON E1560, bad parameters E1559)."""

    classification = Classification(retryable=False, outage=False, terminal=True)


class Translate5AuthError(Translate5APIError):
    """HTTP 401 (token invalid/expired, session refused), or a credential refused before any HTTP call.

    Terminal: an expired session is renewed by the transport before this is raised, so what is left is a
    token that the server does not accept (or that is not shaped like one).
    """

    classification = Classification(retryable=False, outage=False, terminal=True)


class Translate5PermissionError(Translate5APIError):
    """HTTP 403, or the redirect to ``/login`` translate5 sends when the user's roles do not allow a call."""

    classification = Classification(retryable=False, outage=False, terminal=True)


class Translate5NotFoundError(Translate5APIError):
    """HTTP 404: no such task/job/route."""

    classification = Classification(retryable=False, outage=False, terminal=True)


class Translate5PluginMissingError(Translate5NotFoundError):
    """translate5 does not know a plugin's route: the plugin is not installed or not active on this server.

    Such a server answers the route with its 404 HTML page ("Seite nicht gefunden!"), even to
    ``Accept: application/json`` (recorded for InstantTranslate, part 2 §100-102: its code is a private
    plugin, so a server built from translate5's public source never has it). ``plugin`` names the plugin.
    """

    def __init__(self, *, plugin: str, **answer: Any) -> None:
        self.plugin = plugin
        super().__init__(**answer)


class Translate5QueuedExportGoneError(Translate5NotFoundError):
    """translate5 no longer has a queued (batch) export: it deletes one once it has been downloaded, after
    which its status and download answer 404 "Token no longer exists" (part 2 §155-156).

    Not terminal: the same token can never be fetched again, but a new export of the same tasks can.
    """

    classification = Classification(retryable=False, outage=False, terminal=False)


class Translate5ConflictError(Translate5APIError):
    """HTTP 409 (version conflict, task locked or in the wrong state, export already running), or a state
    change that translate5 ignored although it answered HTTP 200.

    Not terminal: the task's state moves on by itself, and a retry reads the current entity version.
    Retryable soon only while an export of the task is running (E1538).
    """

    # Retryable: see _by_answer (E1538).
    classification = Classification(retryable=None, outage=False, terminal=False)


class Translate5ValidationError(Translate5APIError):
    """HTTP 422: input or upload rejected; ``errors`` names the fields."""

    classification = Classification(retryable=False, outage=False, terminal=True)


class Translate5LockedError(Translate5APIError):
    """HTTP 423: the job/task is not accessible now (locked or finished); its state may change later."""

    classification = Classification(retryable=False, outage=False, terminal=False)


class Translate5RateLimitError(Translate5APIError):
    """HTTP 429 (from a proxy in front of translate5; translate5 itself has no rate limits)."""

    classification = Classification(retryable=True, outage=True, terminal=False)


class Translate5ServerError(Translate5APIError):
    """HTTP 5xx. An outage; repeated at once only for gateway errors and 503 (a 500 is usually a server bug
    that a second try meets again, but a later Airflow retry may pass)."""

    # Retryable: gateway errors and 503 (see _by_answer).
    classification = Classification(retryable=None, outage=True, terminal=False)


class Translate5MaintenanceError(Translate5ServerError):
    """translate5 is in (or about to enter) maintenance: HTTP 503 with its maintenance page instead of JSON,
    an export refused with the pre-maintenance text on HTTP 200, or a batch export refused with 422 E1401."""

    classification = Classification(retryable=True, outage=True, terminal=False)


_BY_STATUS: dict[int, type[Translate5APIError]] = {
    400: Translate5BadRequestError,
    401: Translate5AuthError,
    403: Translate5PermissionError,
    404: Translate5NotFoundError,
    409: Translate5ConflictError,
    422: Translate5ValidationError,
    423: Translate5LockedError,
    429: Translate5RateLimitError,
}


def error_class(
    status: int, *, maintenance: bool = False, error_code: str | None = None
) -> type[Translate5APIError]:
    if (status == 503 and maintenance) or (status == 422 and error_code == MAINTENANCE_SCHEDULED):
        return Translate5MaintenanceError
    if status >= 500:
        return Translate5ServerError
    return _BY_STATUS.get(status, Translate5APIError)


def _message_of(item: Any) -> tuple[str, str]:
    """One entry of an ``errors`` list: ``{"id": field, "msg": text}``, a bare string, or something else."""
    if isinstance(item, Mapping):
        field = to_str(item.get("id") or item.get("field") or item.get("property")) or ""
        text = item.get("msg", item.get("message", item.get("errorMessage")))
        return field, plain_text(text if text is not None else json.dumps(item, default=str))
    return "", plain_text(item)


def field_errors(value: Any) -> dict[str, list[str]]:
    """Normalise every per-field error shape translate5 uses to ``{field: [message, ...]}``."""
    result: dict[str, list[str]] = {}

    def add(field: str, text: str) -> None:
        if text:
            result.setdefault(field, []).append(text[:_MAX_MESSAGE])

    if isinstance(value, list):
        for item in value:
            # translate5 also nests plain lists: "errorsTranslated": [["message"]] (a 409 E1046)
            for inner in item if isinstance(item, list) else [item]:
                add(*_message_of(inner))
    elif isinstance(value, Mapping):
        for field, messages in value.items():
            # Zend validators nest {validatorKey: message}; PHP lists may arrive as lists or bare strings.
            if isinstance(messages, Mapping):
                items: list[Any] = list(messages.values())
            elif isinstance(messages, list):
                items = messages
            else:
                items = [messages]
            for item in items:
                add(str(field), _message_of(item)[1])
    elif isinstance(value, str):
        add("", plain_text(value))
    return result


def parse_error_payload(payload: Mapping[str, Any]) -> tuple[str, str | None, dict[str, list[str]]]:
    """``(error_message, error_code, errors)`` from any JSON error body shape translate5 produces."""
    errors = field_errors(payload.get("errorsTranslated")) or field_errors(payload.get("errors"))
    message = plain_text(payload.get("errorMessage"))
    if not message:
        fallback = plain_text(payload.get("message"))
        message = "" if fallback in ("NOT OK", "OK") else fallback
    php_error = payload.get("errors")
    if not message and isinstance(php_error, Mapping) and "message" in php_error:
        message = plain_text(php_error["message"])  # PHP fatal: {"errors": {"message": ..., "file": ...}}
    if not message and errors:
        message = next(iter(errors.values()))[0]
    return message, to_str(payload.get("errorCode")) or None, errors


def web_page(text: str, content_type: str | None = None) -> str | None:
    """``"HTML"`` or ``"XML"`` when a body is a web page or an XML document, None for anything else.

    Decided by the body, not by the Content-Type alone: translate5 serves its own JSON as ``text/html`` too
    (recordings §03, part 2 §152). A body that merely starts with ``<`` counts as HTML only when the server
    calls it HTML.
    """
    head = text[:4096].lstrip("\ufeff \t\r\n").lower()
    if not head.startswith("<"):
        return None
    if head.startswith("<!doctype html") or "<html" in head:
        return "HTML"
    if head.startswith("<?xml"):
        return "XML"
    return "HTML" if "html" in (content_type or "").lower() else None


def _plugin_of(url: str) -> str | None:
    path = urlsplit(url).path or url
    return next((name for prefix, name in PLUGIN_ROUTES.items() if prefix in path), None)


def _route_unknown(
    status: int, text: str, content_type: str | None, url: str
) -> tuple[type[Translate5APIError], str, str] | None:
    """translate5's 404 page for a route it does not know: ``(class, message, hint)``, else None."""
    if status != 404 or web_page(text, content_type) != "HTML":
        return None
    plugin = _plugin_of(url)
    if plugin is None:
        return (
            Translate5NotFoundError,
            f"translate5 does not know this route (its 404 page: {excerpt(text, 80)})",
            "check the path of the base URL, and whether this translate5 version offers the call",
        )
    hint = f"ask the translate5 administrator to install and activate the {plugin} plugin"
    if plugin == "InstantTranslate":
        hint += " (a private plugin: a server built from translate5's public source has none)"
    return (
        Translate5PluginMissingError,
        f"this translate5 has no {plugin} plugin (it answers the plugin's route with its 404 page)",
        hint,
    )


def _decode_json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


def error_from_response(
    response: requests.Response,
    *,
    method: str,
    url: str,
    redact: Callable[[str], str] = lambda text: text,
    retry_after: float | None = None,
    hint: str | None = None,
) -> Translate5APIError:
    """Build the typed exception for a non-2xx response (or a 2xx one saying ``success: false``)."""
    status = response.status_code
    text = response.text
    content_type = response.headers.get("Content-Type")
    payload = _decode_json(text)
    maintenance_note = plain_text(response.headers.get(MAINTENANCE_HEADER))
    if isinstance(payload, Mapping):
        message, code, errors = parse_error_payload(payload)
    else:
        message, code, errors = excerpt(text), None, {}
    if maintenance_note and (not message or not isinstance(payload, Mapping)):
        message = f"translate5 is in maintenance: {maintenance_note}"
    if not message:
        message = response.reason or "no error message"
    cls = error_class(
        status, maintenance=bool(maintenance_note) or not isinstance(payload, Mapping), error_code=code
    )
    extra: dict[str, Any] = {}
    if status == 500 and message == MISSING_REIMPORT_FILE and urlsplit(url).path.endswith("/file"):
        cls = Translate5NotFoundError
        hint = hint or "the fileId is not one of the task's files (GET /editor/taskid/<id>/file lists them)"
    unknown = None if isinstance(payload, Mapping) else _route_unknown(status, text, content_type, url)
    if unknown is not None:
        cls, message, route_hint = unknown
        hint = hint or route_hint
        plugin = _plugin_of(url)
        if plugin is not None:
            extra["plugin"] = plugin
    return cls(
        status=status,
        error_code=code,
        error_message=redact(message),
        errors={redact(field): [redact(m) for m in msgs] for field, msgs in errors.items()},
        method=method,
        url=redact(url),
        body_excerpt=redact(excerpt(text, 500)),
        retry_after=retry_after,
        hint=redact(hint) if hint else None,
        **extra,
    )


def response_error(
    response: requests.Response,
    problem: str,
    *,
    method: str,
    url: str,
    redact: Callable[[str], str] = lambda text: text,
) -> Translate5ResponseError:
    """A 2xx answer that is not what translate5 sends, described by what actually came back.

    A web page (:func:`web_page`) is a :class:`Translate5PageError`, which no wait rides out; anything else
    (a body cut short, garbage) may pass by itself and stays a retryable :class:`Translate5ResponseError`.
    """
    content_type = response.headers.get("Content-Type") or "no content type"
    body = redact(excerpt(response.text))
    path = urlsplit(url).path or url
    maintenance = plain_text(response.headers.get(MAINTENANCE_HEADER))
    message = (
        f"translate5 answered {method} {redact(path)} with HTTP {response.status_code} ({content_type}) "
        f"but {problem}: {body!r}"
    )
    if maintenance:
        message += f"; maintenance message: {maintenance}"
    page = web_page(response.text, content_type)
    if page == "HTML":
        message += (
            " (an HTML page usually means a proxy, a login page or a wrong base URL: check the connection's "
            "base URL, and that API calls with the app token reach translate5 without a login in between)"
        )
    cls = Translate5PageError if page else Translate5ResponseError
    return cls(
        message,
        method=method,
        url=redact(url),
        status=response.status_code,
        content_type=content_type,
        body_excerpt=body,
    )
