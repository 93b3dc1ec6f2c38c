"""Request/response value types and the error bodies translate5 sends (translate5-api.md §0, §1.1, §11).

Handlers raise :class:`ApiError` and return :class:`Response`; only the HTTP layer in ``server.py`` turns
them into bytes, so every error shape is produced in exactly one place here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APP_VERSION = "7.35.6"
JSON_TYPE = "application/json"

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

# DB columns that older translate5 servers (PHP < 8.1 PDO) delivered as JSON strings.
NUMERIC_COLUMNS = frozenset(
    {
        "id",
        "entityVersion",
        "sourceLang",
        "targetLang",
        "relaisLang",
        "workflowStep",
        "wordCount",
        "userCount",
        "referenceFiles",
        "terminologie",
        "enableSourceEditing",
        "edit100PercentMatch",
        "lockLocked",
        "emptyTargets",
        "diffExportUsable",
        "reimportable",
        "customerId",
        "segmentCount",
        "segmentEditableCount",
        "segmentFinishCount",
        "projectId",
        "lcid",
        "rtl",
        "type",
        "isCoordinatorGroupJob",
        "isCoordinatorGroupUserJob",
        "groupId",
        "editable",
    }
)


def reason(status: int) -> str:
    return REASONS.get(status, "Unknown")


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
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None  # required for iterable bodies; None -> chunked transfer encoding
    cleanup: Path | None = None  # temp file removed after the body was sent

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


def _stringify_numbers(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _stringify_numbers(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_numbers(v, key) for v in value]
    if key in NUMERIC_COLUMNS and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def json_response(
    payload: Any,
    status: int = 200,
    *,
    numbers_as_strings: bool = False,
    headers: Sequence[tuple[str, str]] = (),
) -> Response:
    if numbers_as_strings:
        payload = _stringify_numbers(payload)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, [("Content-Type", JSON_TYPE), *headers], body)


def empty_response() -> Response:
    """DELETE success: translate5 sends no view data, hence an empty 200 body."""
    return Response(200, [("Content-Type", JSON_TYPE)], b"")


class ApiError(Exception):
    """An error answer; ``payload`` is the exact JSON body translate5 would send."""

    def __init__(
        self,
        status: int,
        payload: dict[str, Any],
        headers: Sequence[tuple[str, str]] = (),
        *,
        text: str | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}: {payload.get('errorMessage', '')}")
        self.status = status
        self.payload = payload
        self.headers = list(headers)
        self.text = text  # plain-text body instead of JSON (e.g. bad token without Accept: json)

    @classmethod
    def coded(
        cls,
        status: int,
        error_code: str | None,
        message: str,
        *,
        errors: Mapping[str, Sequence[str]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ApiError:
        """The error-controller shape (§11), optionally with per-field ``errors``/``errorsTranslated``."""
        payload: dict[str, Any] = {
            "message": reason(status),
            "errorMessage": message,
            "httpStatus": status,
            "errorCode": error_code,
            "success": False,
        }
        if errors:
            payload["errors"] = {k: list(v) for k, v in errors.items()}
            payload["errorsTranslated"] = {k: list(v) for k, v in errors.items()}
        if extra:
            payload.update(extra)
        return cls(status, payload)

    @classmethod
    def validation(
        cls,
        errors: Sequence[tuple[str, str]],
        *,
        with_status: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> ApiError:
        """The inline validation shape (§1.1): ``errors`` = list of ``{id, msg}``, ``message`` = NOT OK."""
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
    def unauthorized(cls) -> ApiError:
        return cls.coded(401, None, "")

    @classmethod
    def not_found(cls, what: str = "Entity") -> ApiError:
        return cls.coded(404, None, f"{what} not found")

    @classmethod
    def version_conflict(cls) -> ApiError:
        return cls.coded(
            409,
            None,
            "The displayed data was changed in the meantime on the server. Please refresh your view!",
        )


REQUIRED_MSG = "Value is required and can't be empty"
