"""Request/response value types and the error bodies translate5 sends.

See docs/compatibility.md#conventions-of-every-answer.

Handlers raise :class:`ApiError` and return :class:`Response`; only the HTTP layer in ``server.py`` turns
them into bytes, so every error shape is produced in exactly one place here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

DEFAULT_APP_VERSION = "development"  # what a develop snapshot reports; a release reports e.g. "7.35.6"
JSON_TYPE = "application/json"
XML_TYPE = "application/xml"
HTML_TYPE = "text/html; charset=utf-8"

# Fixed reason phrases: http.HTTPStatus renamed 422 in Python 3.13, translate5 (PHP) keeps the old names.
REASONS: dict[int, str] = {
    200: "OK",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    423: "Locked",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def reason(status: int) -> str:
    """The reason name translate5 puts into an error envelope's ``message``."""
    return REASONS.get(status, "Unknown")


def status_line_reason(status: int) -> str:
    """The reason phrase of the status line: PHP's web server sent "422 Unknown Status Code"."""
    return "Unknown Status Code" if status == 422 else reason(status)


@dataclass
class UploadedFile:
    """One multipart file part, already streamed to disk (never held in memory)."""

    field: str
    filename: str
    path: Path
    size: int
    content_type: str = "application/octet-stream"
    newlines: int = 0
    units: int = 0  # "<trans-unit" / "<unit " occurrences seen while streaming (segment estimate)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names: HTTP header names are case-insensitive
    cookies: dict[str, str]
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[UploadedFile]] = field(default_factory=dict)
    raw_json: bytes | None = None  # body when Content-Type was exactly application/json

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def accepts_json(self) -> bool:
        return "json" in (self.header("Accept") or "").lower()

    def param(self, name: str, default: str | None = None) -> str | None:
        """A PHP-style parameter: POST field first, then query string (getAllParams merges both)."""
        for source in (self.form, self.query):
            values = source.get(name)
            if values:
                return values[-1]
        return default

    def param_list(self, name: str) -> list[str]:
        """``name[]`` array fields, or a comma separated ``name`` (translate5 accepts both for targetLang)."""
        for source in (self.form, self.query):
            if source.get(name + "[]"):
                return [v for v in source[name + "[]"] if v != ""]
        single = self.param(name)
        if single is None or single == "":
            return []
        return [part.strip() for part in single.split(",") if part.strip()]

    def upload_list(self, name: str) -> list[UploadedFile]:
        return list(self.files.get(name, [])) + list(self.files.get(name + "[]", []))

    def data(self) -> dict[str, Any]:
        """The entity payload: raw JSON body (exact Content-Type only) or the ``data`` form field as JSON."""
        raw: str | bytes | None = self.raw_json if self.raw_json is not None else self.param("data")
        if raw is None or raw in ("", b""):
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise ApiError.coded(400, "E1560", "The request contains invalid JSON.") from None
        if not isinstance(value, dict):
            return {}
        return value


@dataclass
class Response:
    """One answer. ``rest=True`` answers went through translate5's REST view: the server renders
    ``payload`` as JSON (or XML without ``Accept: application/json``), sends ``Content-Type`` twice and the
    version header.
    Other answers are sent as built; ``close=True`` ones like PHP's built-in server sent every answer: no
    Content-Length, ``Connection: close``, the body ends when the connection does.
    """

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None  # iterable bodies: known length, or None for chunked / close-delimited
    cleanup: Path | None = None  # temp file removed after the body was sent
    payload: Any = None  # REST view data (``rest=True``); None = empty body (e.g. DELETE)
    rest: bool = False
    version_header: bool = False  # X-Translate5-Version on a non-REST answer (403 and 500 have it, 401 not)
    close: bool = False

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def iter_body(self) -> Iterator[bytes]:
        if isinstance(self.body, bytes):
            if self.body:
                yield self.body
            return
        yield from self.body

    def body_length(self) -> int | None:
        return len(self.body) if isinstance(self.body, bytes) else self.length

    def render(self, accepts_json: bool) -> None:
        """Turn a REST view answer into bytes: JSON, or XML when the caller did not ask for JSON."""
        if not self.rest:
            return
        second = JSON_TYPE if accepts_json or self.payload is None else XML_TYPE
        self.headers[:0] = [("Content-Type", JSON_TYPE), ("Content-Type", second)]
        if self.payload is None:
            self.body = b""
        elif second == JSON_TYPE:
            self.body = json.dumps(self.payload, ensure_ascii=False).encode("utf-8")
        else:
            self.body = to_xml(self.payload)


def json_response(payload: Any, status: int = 200, *, headers: Sequence[tuple[str, str]] = ()) -> Response:
    """An answer of translate5's REST view (rendered by the server according to ``Accept``)."""
    return Response(status, list(headers), payload=payload, rest=True)


def plain_json(payload: Any, status: int = 200) -> Response:
    """A JSON answer outside translate5 (the ``/_simulator`` control API)."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, [("Content-Type", JSON_TYPE)], body)


def bypass_json(payload: Any, status: int, *, version_header: bool = True) -> Response:
    """An error printed outside the REST view: JSON text served as ``Content-type: text/html``."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, [("Content-type", HTML_TYPE)], body, version_header=version_header)


def empty_response() -> Response:
    """DELETE success: translate5 sends no view data, hence an empty 200 body (with JSON content types)."""
    return json_response(None)


def _xml_name(key: Any) -> str:
    text = str(key)
    return text if text[:1].isalpha() and all(c.isalnum() or c in "_-." for c in text) else "item"


def _singular(key: str) -> str:
    return key[:-1] if key.endswith("s") and len(key) > 1 else "item"


def _xml_value(name: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml_value(_xml_name(k), v) for k, v in value.items())
        return f"<{name}>{inner}</{name}>" if inner else f"<{name}/>"
    if isinstance(value, list):
        inner = "".join(_xml_value(_singular(name), v) for v in value)
        return f"<{name}>{inner}</{name}>" if inner else f"<{name}/>"
    if value is None:
        return f"<{name}/>"
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return f"<{name}>{xml_escape(text)}</{name}>"


def to_xml(payload: Any) -> bytes:
    """Zend's XML context as seen on a real server: ``<response>`` root, lists as singular-named children."""
    body = _xml_value("response", payload if isinstance(payload, dict) else {"rows": payload})
    return f'<?xml version="1.0"?>\n{body}\n'.encode()


class ApiError(Exception):
    """An error answer; ``payload`` is the exact JSON body translate5 would send.

    ``bypass`` errors are printed outside the REST view (401, 403, an unknown export format): JSON text with
    ``Content-type: text/html``, never XML, and ``version_header`` says whether X-Translate5-Version is sent.
    """

    def __init__(
        self,
        status: int,
        payload: dict[str, Any],
        headers: Sequence[tuple[str, str]] = (),
        *,
        bypass: bool = False,
        version_header: bool = True,
        text: str | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}: {payload.get('errorMessage', '')}")
        self.status = status
        self.payload = payload
        self.headers = list(headers)
        self.bypass = bypass
        self.version_header = version_header
        self.text = text  # plain-text body for callers that did not ask for JSON (bad token)

    def response(self, accepts_json: bool = True) -> Response:
        if self.text is not None and not accepts_json:
            return Response(self.status, [("Content-type", HTML_TYPE), *self.headers], self.text.encode())
        if self.bypass:
            answer = bypass_json(self.payload, self.status, version_header=self.version_header)
            answer.headers.extend(self.headers)
            return answer
        return json_response(self.payload, self.status, headers=self.headers)

    @classmethod
    def coded(
        cls,
        status: int,
        error_code: str | None,
        message: str,
        *,
        errors: Mapping[str, Sequence[str]] | None = None,
        translated: Mapping[str, Sequence[str]] | Sequence[Sequence[str]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ApiError:
        """The REST error envelope: ``errorCode, httpStatus, errorMessage, message, success`` (in that order),
        optionally field-wise ``errors`` and ``errorsTranslated`` (which defaults to ``errors``)."""
        payload: dict[str, Any] = {
            "errorCode": error_code,
            "httpStatus": status,
            "errorMessage": message,
            "message": reason(status),
            "success": False,
        }
        if errors:
            payload["errors"] = {k: list(v) for k, v in errors.items()}
        if translated is None and errors:
            translated = errors
        if isinstance(translated, Mapping):
            payload["errorsTranslated"] = {k: list(v) for k, v in translated.items()}
        elif translated is not None:
            payload["errorsTranslated"] = [list(v) for v in translated]
        if extra:
            payload.update(extra)
        return cls(status, payload)

    @classmethod
    def printed(cls, status: int, message: str, *, version_header: bool = True) -> ApiError:
        """The envelope printed outside the REST view: ``message, errorMessage, httpStatus, errorCode,
        success`` as ``text/html`` (403 of session DELETE, 500 of an unknown export format)."""
        payload: dict[str, Any] = {
            "message": reason(status),
            "errorMessage": message,
            "httpStatus": status,
            "errorCode": None,
            "success": False,
        }
        return cls(status, payload, bypass=True, version_header=version_header)

    @classmethod
    def validation(
        cls,
        errors: Sequence[tuple[str, str]],
        *,
        with_status: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> ApiError:
        """The inline validation shape: ``errors`` = list of ``{id, msg}``, ``message`` = NOT OK."""
        items = [{"id": field_id, "msg": msg} for field_id, msg in errors]
        payload: dict[str, Any] = {
            "errors": items,
            "errorsTranslated": [dict(item) for item in items],
            "errorMessage": "input validation failure",
            "message": "NOT OK",
            "success": False,
        }
        if with_status:
            payload["httpStatus"] = 422
        if extra:
            payload.update(extra)
        return cls(422, payload)

    @classmethod
    def invalid_token(cls) -> ApiError:
        """Section 03 of the transcripts: text/html, no X-Translate5-Version, markup in the message; callers
        without ``Accept: application/json`` get plain text (read from the source, not recorded)."""
        payload = {
            "success": False,
            "httpStatus": 401,
            "errorMessage": "<b>Fatal: Authentication Token: The token is not valid</b>",
        }
        text = "Authentication Token: The token is not valid!"
        return cls(401, payload, bypass=True, version_header=False, text=text)

    @classmethod
    def unauthorized(cls) -> ApiError:
        """No usable authentication (no token and no session); not recorded from a real server."""
        return cls.coded(401, None, "")

    @classmethod
    def not_found(cls, entity: str, key: Any) -> ApiError:
        """``<Entity> Entity Not Found: Key: #PK; Value: <id>`` (sections 37 and 85)."""
        return cls.coded(404, None, f"{entity} Entity Not Found: Key: #PK; Value: {key}")

    @classmethod
    def version_conflict(cls) -> ApiError:
        return cls.coded(
            409,
            None,
            "The displayed data was changed in the meantime on the server. Please refresh your view!",
        )


REQUIRED_MSG = "Value is required and can't be empty"
