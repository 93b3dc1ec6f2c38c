"""A small Strapi-5-like headless CMS on 127.0.0.1 for the REST example: entries per (documentId, locale).

Implements exactly what ``translate5_rest_cms`` calls: ``GET /api/<collection>?locale=…&pagination[…]``
(with a small maximum page size, so paging is exercised) and ``PUT /api/<collection>/<documentId>?locale=…``,
both behind ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import json
import math
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "cms-api-token-0123456789"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeCms:
    def __init__(self, collection: str = "articles", max_page_size: int = 2) -> None:
        self.collection = collection
        self.max_page_size = max_page_size
        self.entries: dict[tuple[str, str], dict[str, Any]] = {}
        self.puts: list[tuple[str, str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def connection_json(self) -> str:
        return json.dumps({"conn_type": "generic", "host": self.base_url, "password": TOKEN})

    def add(self, document_id: str, locale: str, updated_at: str, **fields: str) -> None:
        self.entries[document_id, locale] = {
            "documentId": document_id,
            "locale": locale,
            "updatedAt": updated_at,
            **fields,
        }

    def start(self) -> FakeCms:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def _list(self, locale: str, page: int, page_size: int) -> dict[str, Any]:
        rows = [e for (_, loc), e in sorted(self.entries.items()) if loc == locale]
        size = max(1, min(page_size, self.max_page_size))
        return {
            "data": rows[(page - 1) * size : page * size],
            "meta": {
                "pagination": {
                    "page": page,
                    "pageSize": size,
                    "pageCount": max(1, math.ceil(len(rows) / size)),
                    "total": len(rows),
                }
            },
        }

    def _put(self, document_id: str, locale: str, data: dict[str, Any]) -> dict[str, Any] | None:
        if not any(doc == document_id for doc, _ in self.entries):
            return None
        entry = {**self.entries.get((document_id, locale), {}), **data}
        entry.update(documentId=document_id, locale=locale, updatedAt=now())
        self.entries[document_id, locale] = entry
        self.puts.append((document_id, locale, data))
        return entry

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        cms = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, payload: Any) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _route(self) -> tuple[list[str], dict[str, str]] | None:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._send(401, {"error": {"status": 401, "name": "UnauthorizedError"}})
                    return None
                parts = urlsplit(self.path)
                segments = [s for s in parts.path.split("/") if s]
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                if segments[:2] != ["api", cms.collection]:
                    self._send(404, {"error": {"status": 404, "name": "NotFoundError"}})
                    return None
                return segments[2:], query

            def do_GET(self) -> None:
                routed = self._route()
                if routed is None:
                    return
                _, query = routed
                with cms.lock:
                    payload = cms._list(
                        query.get("locale", "en"),
                        int(query.get("pagination[page]", 1)),
                        int(query.get("pagination[pageSize]", 25)),
                    )
                self._send(200, payload)

            def do_PUT(self) -> None:
                routed = self._route()
                if routed is None:
                    return
                rest, query = routed
                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))["data"]
                with cms.lock:
                    entry = cms._put(rest[0], query["locale"], data) if len(rest) == 1 else None
                if entry is None:
                    self._send(404, {"error": {"status": 404, "name": "NotFoundError"}})
                else:
                    self._send(200, {"data": entry})

        return Handler
