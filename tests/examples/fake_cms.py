"""A small Strapi 5 on 127.0.0.1 for the REST example's unit tests, held to what a real Strapi 5.54 does.

It serves the content type of the real test Strapi (``tests/cms/strapi``: the same schema files) and answers
like Strapi did there (``make cms-test`` runs the example against the real one):

- a draft and, once published, a published version per (document, locale); ``GET`` lists published versions
  unless ``status=draft``; ``PUT`` saves the draft and publishes it unless ``status=draft``;
- an empty list has ``pageCount: 0``; the page size is capped (small here, so paging is exercised);
- no token: 403 ``ForbiddenError``; a wrong token: 401 ``UnauthorizedError``;
- a PUT to a locale that is not configured answers 200 and creates that version; ``/api/i18n/locales``
  lists the configured ones only;
- a PUT with a non-localized field writes it into every locale and bumps their ``updatedAt``; a new locale
  version gets the non-localized fields of the others;
- components and dynamic zones come back only when populated; a component id of another version is refused;
- ``blocks`` are validated on every PUT, required fields only on publishing, with Strapi's error messages.

``tests/cms/test_fake_cms_matches_strapi.py`` sends the same requests to both and expects the same answers.
What it leaves out on purpose: media, relations, other content types, filters and sorting, and Strapi's
checks of string lengths and other field types (a test that needs such a 400 sets ``refuse_next_put``).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "cms-api-token-0123456789"
STRAPI_SRC = Path(__file__).resolve().parents[1] / "cms" / "strapi" / "src"
BLOCK_TYPES = frozenset({"paragraph", "heading", "list", "list-item", "quote", "code", "image"})


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


ARTICLE = _load(STRAPI_SRC / "api" / "article" / "content-types" / "article" / "schema.json")
COMPONENTS = {
    f"shared.{p.stem}": _load(p) for p in sorted((STRAPI_SRC / "components" / "shared").glob("*.json"))
}


class StrapiError(Exception):
    def __init__(self, status: int, name: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.body = {
            "data": None,
            "error": {"status": status, "name": name, "message": message, "details": details or {}},
        }
        self.status = status


def _validation(message: str, path: list[str]) -> StrapiError:
    return StrapiError(
        400,
        "ValidationError",
        message,
        {"errors": [{"path": path, "message": message, "name": "ValidationError"}]},
    )


class FakeCms:
    def __init__(
        self,
        collection: str = "articles",
        max_page_size: int = 2,
        locales: tuple[str, ...] = ("en", "de", "fr"),
    ) -> None:
        self.collection = collection
        self.max_page_size = max_page_size
        self.locales = list(locales)
        self.attributes: dict[str, dict[str, Any]] = ARTICLE["attributes"]
        #: (documentId, locale, "draft" | "published") -> stored version (components with their ids)
        self.versions: dict[tuple[str, str, str], dict[str, Any]] = {}
        #: every PUT that changed something: (documentId, locale, status, data)
        self.puts: list[tuple[str, str, str, dict[str, Any]]] = []
        self.requests: list[tuple[str, str]] = []
        #: answered to the next PUT instead of doing it, as Strapi answers a value its schema refuses
        self.refuse_next_put: StrapiError | None = None
        #: called with (documentId, locale) before one version is read: a person at work meanwhile
        self.before_read_one: Callable[[str, str], None] | None = None
        self._ids = itertools.count(1)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def connection_json(self, token: str | None = TOKEN) -> str:
        return json.dumps({"conn_type": "generic", "host": self.base_url, "password": token})

    def start(self) -> FakeCms:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    # What a person does in the admin panel.

    def add(
        self, document_id: str, locale: str, updated_at: str, status: str = "published", **fields: Any
    ) -> None:
        """A version written by a person: a draft, and its published copy unless ``status="draft"``."""
        draft = {"documentId": document_id, "locale": locale, "updatedAt": updated_at, "publishedAt": None}
        others = [v for (doc, _, _), v in self.versions.items() if doc == document_id]
        shared = {
            k: v
            for k, v in (others[0] if others else {}).items()
            if k in self.attributes and not self._localized(k)
        }
        draft.update({**self._blank(), **copy.deepcopy(shared), **self._with_ids(fields)})
        self.versions[document_id, locale, "draft"] = draft
        if status == "published":
            self.versions[document_id, locale, "published"] = {
                **copy.deepcopy(draft),
                "publishedAt": updated_at,
            }

    def version(self, document_id: str, locale: str, status: str = "draft") -> dict[str, Any] | None:
        return self.versions.get((document_id, locale, status))

    # Strapi's behaviour.

    def _blank(self) -> dict[str, Any]:
        """What a new version holds before data is written: every plain field, null or its default."""
        return {
            name: attribute.get("default")
            for name, attribute in self.attributes.items()
            if attribute["type"] not in ("component", "dynamiczone")
        }

    def _with_ids(self, data: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(data)
        for name, value in out.items():
            kind = self.attributes.get(name, {}).get("type")
            items = value if isinstance(value, list) else [value]
            if kind in ("component", "dynamiczone"):
                for item in items:
                    if isinstance(item, dict):
                        item.setdefault("id", next(self._ids))
        return out

    def _output(self, version: dict[str, Any], populate: set[str]) -> dict[str, Any]:
        return {
            k: copy.deepcopy(v)
            for k, v in version.items()
            if self.attributes.get(k, {}).get("type") not in ("component", "dynamiczone") or k in populate
        } | {
            k: ([] if self.attributes[k]["type"] == "dynamiczone" else None)
            for k in populate
            if k not in version
        }

    def _populate(self, query: dict[str, str]) -> set[str]:
        fields = set()
        for key in query:
            if key.startswith("populate["):
                name = key[len("populate[") :].split("]", 1)[0]
                if name not in self.attributes:
                    raise StrapiError(
                        400,
                        "ValidationError",
                        f"Invalid key {name}",
                        {"key": name, "source": "query", "param": "populate"},
                    )
                fields.add(name)
        return fields

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        locale, status = query.get("locale", "en"), query.get("status", "published")
        populate = self._populate(query)
        rows = [
            self._output(v, populate)
            for (_, loc, st), v in sorted(self.versions.items())
            if (loc, st) == (locale, status)
        ]
        page = int(query.get("pagination[page]", 1))
        size = max(1, min(int(query.get("pagination[pageSize]", 25)), self.max_page_size))
        return {
            "data": rows[(page - 1) * size : page * size],
            "meta": {
                "pagination": {
                    "page": page,
                    "pageSize": size,
                    "pageCount": math.ceil(len(rows) / size),
                    "total": len(rows),
                }
            },
        }

    def _one(self, document_id: str, query: dict[str, str]) -> dict[str, Any]:
        if self.before_read_one is not None:
            self.before_read_one(document_id, query.get("locale", "en"))
        version = self.versions.get(
            (document_id, query.get("locale", "en"), query.get("status", "published"))
        )
        if version is None:
            raise StrapiError(404, "NotFoundError", "Not Found")
        return {"data": self._output(version, self._populate(query)), "meta": {}}

    def _check_blocks(self, name: str, blocks: list[Any]) -> None:
        for index, block in enumerate(blocks):
            if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
                raise _validation("Block node is of invalid type", [name, str(index)])
            if not isinstance(block.get("children"), list) or not block["children"]:
                raise _validation(
                    f"{name}[{index}].children is a required field", [name, str(index), "children"]
                )

    def _check(self, data: dict[str, Any], current: dict[str, Any] | None) -> None:
        for name, value in data.items():
            attribute = self.attributes.get(name)
            if attribute is None:
                raise StrapiError(
                    400, "ValidationError", f"Invalid key {name}", {"key": name, "source": "body"}
                )
            if attribute["type"] == "blocks" and isinstance(value, list):
                self._check_blocks(name, value)
            if attribute["type"] in ("component", "dynamiczone"):
                owned = current.get(name) if current else None
                owned_ids = {
                    i.get("id")
                    for i in (owned if isinstance(owned, list) else [owned])
                    if isinstance(i, dict)
                }
                items = value if isinstance(value, list) else [value]
                if any(isinstance(i, dict) and "id" in i and i["id"] not in owned_ids for i in items):
                    raise StrapiError(
                        400,
                        "ApplicationError",
                        f"Some of the provided components in {name} are not related to the entity",
                    )

    def _check_required(self, version: dict[str, Any]) -> None:
        for name, attribute in self.attributes.items():
            if attribute.get("required") and version.get(name) in (None, ""):
                kind = "array" if attribute["type"] == "blocks" else "string"
                raise _validation(f"{name} must be a `{kind}` type, but the final value was: `null`.", [name])

    def _localized(self, name: str) -> bool:
        return bool(self.attributes[name].get("pluginOptions", {}).get("i18n", {}).get("localized"))

    def _put(self, document_id: str, query: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
        if self.refuse_next_put is not None:
            error, self.refuse_next_put = self.refuse_next_put, None
            raise error
        others = [
            v
            for (doc, _, _), v in sorted(self.versions.items(), key=lambda kv: kv[0][2] != "published")
            if doc == document_id
        ]
        if not others:
            raise StrapiError(404, "NotFoundError", "Not Found")
        return self._save(document_id, query, data, others[0])

    def _create(self, query: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
        return self._save(f"doc{next(self._ids):06d}", query, data, None)

    def _save(
        self, document_id: str, query: dict[str, str], data: dict[str, Any], other: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Save a locale version's draft (a new one gets the others' non-localized fields); maybe publish."""
        locale, status = query.get("locale", "en"), query.get("status", "published")
        populate = self._populate(query)
        draft = self.versions.get((document_id, locale, "draft"))
        self._check(data, draft)
        for name, value in list(data.items()):
            if (
                self.attributes[name]["type"] == "blocks"
                and value is not None
                and not isinstance(value, list)
            ):
                if status == "published":
                    raise _validation(
                        f"{name} must be a `array` type, but the final value was: `{value}`.", [name]
                    )
                data = {**data, name: None}  # what Strapi 5.54 does with a draft: stores null, answers 200
        stamp = now()
        if draft is None:
            shared = {
                k: copy.deepcopy(v)
                for k, v in (other or {}).items()
                if k in self.attributes and not self._localized(k)
            }
            draft = {
                "documentId": document_id,
                "locale": locale,
                **self._blank(),
                **shared,
                "publishedAt": None,
            }
        draft = {**draft, **self._with_ids(data), "updatedAt": stamp}
        if status == "published":
            self._check_required(draft)
        self.versions[document_id, locale, "draft"] = draft
        unlocalized = {k: v for k, v in data.items() if not self._localized(k)}
        if unlocalized:  # Strapi writes them into every locale, and each of those versions changes
            for (doc, _, _), version in self.versions.items():
                if doc == document_id:
                    version.update(copy.deepcopy(unlocalized), updatedAt=stamp)
        stored = draft
        if status == "published":
            stored = {**copy.deepcopy(draft), "publishedAt": stamp}
            self.versions[document_id, locale, "published"] = stored
        self.puts.append((document_id, locale, status, data))
        return {"data": self._output(stored, populate), "meta": {}}

    def _schema(self) -> dict[str, Any]:
        info = ARTICLE["info"]
        return {
            "uid": f"api::{info['singularName']}.{info['singularName']}",
            "apiID": info["singularName"],
            "schema": {
                "draftAndPublish": ARTICLE["options"]["draftAndPublish"],
                "displayName": info["displayName"],
                "singularName": info["singularName"],
                "pluralName": self.collection,
                "pluginOptions": ARTICLE["pluginOptions"],
                "kind": ARTICLE["kind"],
                "attributes": self.attributes,
            },
        }

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> Any:
        segments = [s for s in path.split("/") if s]
        if method == "GET" and segments == ["api", "i18n", "locales"]:
            return [
                {"id": i, "code": c, "name": c, "isDefault": c == "en"} for i, c in enumerate(self.locales, 1)
            ]
        if method == "GET" and segments == ["api", "content-type-builder", "content-types"]:
            user = {
                "uid": "plugin::users-permissions.user",
                "schema": {"pluralName": "users", "attributes": {}},
            }
            return {"data": [self._schema(), user]}
        if method == "GET" and segments == ["api", "content-type-builder", "components"]:
            return {
                "data": [
                    {
                        "uid": uid,
                        "category": "shared",
                        "apiId": uid.split(".")[1],
                        "schema": {"attributes": c["attributes"]},
                    }
                    for uid, c in COMPONENTS.items()
                ]
            }
        if segments[:2] == ["api", self.collection] and len(segments) <= 3:
            if method == "GET" and len(segments) == 2:
                return self._list(query)
            if method == "GET":
                return self._one(segments[2], query)
            if method == "PUT" and len(segments) == 3:
                if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
                    raise StrapiError(400, "ValidationError", 'Missing "data" payload in the request body')
                return self._put(segments[2], query, body["data"])
            if method == "POST" and len(segments) == 2:
                return self._create(query, body["data"])
            if method == "DELETE" and len(segments) == 3:  # ?locale=* : the document in every locale
                for key in [k for k in self.versions if k[0] == segments[2]]:
                    del self.versions[key]
                return None
        raise StrapiError(404, "NotFoundError", "Not Found")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        cms = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, payload: Any) -> None:
                body = b"" if status == 204 else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length)) if length else None
                cms.requests.append((method, parts.path))
                auth = self.headers.get("Authorization")
                if auth is None:
                    self._send(403, StrapiError(403, "ForbiddenError", "Forbidden").body)
                    return
                if auth != f"Bearer {TOKEN}":
                    error = StrapiError(401, "UnauthorizedError", "Missing or invalid credentials")
                    self._send(401, error.body)
                    return
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                try:
                    with cms.lock:
                        payload = cms._route(method, parts.path, query, body)
                except StrapiError as error:
                    self._send(error.status, error.body)
                    return
                self._send({"POST": 201, "DELETE": 204}.get(method, 200), payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

        return Handler
