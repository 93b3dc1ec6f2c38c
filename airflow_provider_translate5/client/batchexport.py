"""translate5's queued batch export: several tasks exported by its workers, fetched later with a token.

A synchronous export (``GET /editor/task/export/id/{id}``) holds a request (and a worker slot) open while
translate5 builds the ZIP. The batch export does not (read from translate5's source):

- ``POST /editor/taskuserassoc/batchset`` with ``batchType=export``, ``taskIds=1,2,3`` and
  ``projectsAndTasks`` (which tasks the caller may take; ``TaskbatchController::indexAction``,
  ``Task/BatchOperations/Handler/TaskBatchExport``) queues a ``BatchExportWorker`` and answers
  ``{"nextUrl": "/editor/queuedexport/<token>?title=…", "success": true}``;
- ``GET /editor/queuedexport/<token>/status`` prints ``{"ready":false}`` / ``{"ready":true}``
  (``QueuedexportController::statusAction``);
- ``GET /editor/queuedexport/<token>/download`` streams one ZIP holding each task's export ZIP as
  ``<task id>-<task name>.zip`` and deletes it on the server afterwards (``downloadAction``, ``cleanUp``).

Servers without the route (older translate5, or an API user without the right) answer 404 or a 302 to the
login page; :class:`~airflow_provider_translate5.client.errors.Translate5NotFoundError` /
``Translate5PermissionError`` tell a caller to export task by task instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from airflow_provider_translate5.client._calls import ClientCalls
from airflow_provider_translate5.client.errors import Translate5ResponseError, Translate5ValueError

if TYPE_CHECKING:
    from airflow_provider_translate5.client.files import Download

#: translate5's batch dialog offers at most this many tasks at once (``TaskbatchController::TASKS_LIMIT``).
MAX_BATCH_TASKS = 30
_TOKEN = re.compile(r"^[0-9A-Za-z-]{8,64}$")
_NEXT_URL = re.compile(r"/editor/queuedexport/([0-9A-Za-z-]{8,64})(?:[/?]|$)")


def batch_ids(task_ids: Sequence[int | str]) -> list[int]:
    """Distinct positive task ids, at most :data:`MAX_BATCH_TASKS`; refused before any request otherwise."""
    ids: list[int] = []
    for value in task_ids:
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
            raise Translate5ValueError(f"a batch export takes positive task ids, got {value!r}")
        if int(text) not in ids:
            ids.append(int(text))
    if not ids:
        raise Translate5ValueError("a batch export needs at least one task id")
    if len(ids) > MAX_BATCH_TASKS:
        raise Translate5ValueError(
            f"a batch export takes at most {MAX_BATCH_TASKS} tasks (translate5's batch limit), got {len(ids)}"
        )
    return ids


def _token(token: str) -> str:
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise Translate5ValueError(f"not a translate5 queued-export token: {token!r}")
    return token


class BatchExportMixin(ClientCalls):
    """Queued batch exports (mixed into :class:`Translate5Client`)."""

    def start_batch_export(self, task_ids: Sequence[int | str]) -> str:
        """Queue the export of these tasks (default export ZIP each); returns the queued export's token."""
        ids = ",".join(str(i) for i in batch_ids(task_ids))
        fields = [("batchType", "export"), ("taskIds", ids), ("projectsAndTasks", ids)]
        path = "/editor/taskuserassoc/batchset"
        answer = self._json("POST", path, fields=fields, idempotent=False)
        next_url = answer.get("nextUrl") if isinstance(answer, Mapping) else None
        match = _NEXT_URL.search(next_url) if isinstance(next_url, str) else None
        if match is None:
            raise Translate5ResponseError(
                f"translate5 queued no export for tasks {ids}: the answer to POST {path} has no "
                f"'nextUrl' with a token (got {str(answer)[:200]})",
                method="POST",
                url=path,
            )
        return match.group(1)

    def batch_export_ready(self, token: str) -> bool:
        """Whether translate5's workers have finished the queued export."""
        path = f"/editor/queuedexport/{_token(token)}/status"
        answer = self._json("GET", path)
        ready = answer.get("ready") if isinstance(answer, Mapping) else None
        if not isinstance(ready, bool):
            raise Translate5ResponseError(
                f"expected {{'ready': true|false}} from GET {path}, got {str(answer)[:200]}",
                method="GET",
                url=path,
            )
        return ready

    @contextmanager
    def open_batch_export(self, token: str) -> Iterator[Download]:
        """Stream the finished batch ZIP; translate5 deletes it once it has been sent, so save it whole."""
        path = f"/editor/queuedexport/{_token(token)}/download"
        with self._download(path, None, "export.zip", export=True) as download:
            yield download
