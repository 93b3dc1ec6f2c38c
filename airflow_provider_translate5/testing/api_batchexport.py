"""The queued batch export (``taskuserassoc/batchset`` + ``queuedexport/<token>/status|download``).

As recorded (part 2 §151-156) and read from translate5's source (``TaskbatchController``,
``TaskBatchExport``, ``BatchExportWorker``, ``QueuedexportController``): the POST answers ``nextUrl`` with a
token; ``status`` prints ``{"ready":false|true}`` outside the REST view (``echo``: ``Content-type:
text/html``, no version header); ``download`` sends one ZIP (``application/octet-stream``, ``export.zip``)
with each task's default export ZIP as ``<task id>-<task name>.zip``, and translate5 deletes the export
afterwards: a second download and any later status answer the REST envelope 404 "Token no longer exists",
as does a token it never knew. A download before the export is ready is 404 "Export is not ready yet"
(source). Status and download need no session (the token is the secret). The export is ready
``export_duration`` seconds after it was queued.

One deliberate difference: the token is forgotten when the download starts, while translate5 deletes it
after the last byte was sent; a download whose answer is lost (fault ``lose_response``) is therefore gone
here, the worst case a client must handle (docs/testing.md).
"""

from __future__ import annotations

import io
import re
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from airflow_provider_translate5.testing import api_export
from airflow_provider_translate5.testing.protocol import HTML_TYPE, ApiError, Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Store


@dataclass
class _Queued:
    ready_at: float
    data: bytes  # kept in memory: a request's upload folder is removed when the request ends


_LOCK = threading.Lock()
_QUEUED: WeakKeyDictionary[Store, dict[str, _Queued]] = WeakKeyDictionary()


def _queued(store: Store) -> dict[str, _Queued]:
    return _QUEUED.setdefault(store, {})


def _member_name(task_id: int, name: str) -> str:
    """``BatchExportWorker::getFileName``: the name made safe for a file system."""
    safe = re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9_-]+", "-", f"{task_id}-{name}").strip("-"))
    return f"{safe[:200]}.zip"


def batchset(ctx: Ctx, _: re.Match[str]) -> Response:
    if ctx.req.param("batchType") != "export":
        return ctx.json({"success": True})
    wanted = [t for t in (ctx.req.param("taskIds") or "").split(",") if t.strip()]
    if not wanted:
        return ctx.json({"success": True})  # TaskBatchExport::process returns early: no nextUrl
    allowed = {t.strip() for t in (ctx.req.param("projectsAndTasks") or "").split(",")}
    token = str(uuid.uuid4())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as batch:
        for task_id in wanted:
            task = ctx.store.task(task_id.strip())
            if task is None or task_id.strip() not in allowed:
                continue
            answer = api_export._build(ctx, task, {})
            body = answer.body if isinstance(answer.body, bytes) else b"".join(answer.body)
            batch.writestr(_member_name(task.id, str(task.row["taskName"])), body)
    with _LOCK:
        _queued(ctx.store)[token] = _Queued(time.time() + ctx.config.export_duration, buffer.getvalue())
    return ctx.json({"nextUrl": f"/editor/queuedexport/{token}?title=Export", "success": True})


def _find(ctx: Ctx, token: str) -> _Queued:
    with _LOCK:
        queued = _queued(ctx.store).get(token)
    if queued is None:
        raise ApiError.coded(404, None, "Token no longer exists")  # getRecordByToken (§155-156)
    return queued


def status(ctx: Ctx, match: re.Match[str]) -> Response:
    ready = time.time() >= _find(ctx, match.group(1)).ready_at
    body = b'{"ready":true}' if ready else b'{"ready":false}'
    return Response(200, [("Content-type", HTML_TYPE)], body, length=len(body))


def download(ctx: Ctx, match: re.Match[str]) -> Response:
    queued = _find(ctx, match.group(1))
    if time.time() < queued.ready_at:
        raise ApiError.coded(404, None, "Export is not ready yet")
    with _LOCK:
        _queued(ctx.store).pop(match.group(1), None)  # cleanUp: a second download finds nothing
    headers = [
        ("Content-Disposition", api_export.content_disposition("export.zip")),
        ("Content-Type", "application/octet-stream"),
        ("Accept-Ranges", "bytes"),
    ]
    return Response(200, headers, queued.data, length=len(queued.data), close=True)


ROUTES: list[Route] = [
    route("POST", r"/editor/taskuserassoc/batchset", batchset, pm_only=True),
    route("GET", r"/editor/queuedexport/([0-9a-f-]{36})/status", status, public=True),
    route("GET", r"/editor/queuedexport/([0-9a-f-]{36})/download", download, public=True),
]
