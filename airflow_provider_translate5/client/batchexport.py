"""translate5's queued batch export: several tasks exported by its workers, fetched later with a token.

A synchronous export (``GET /editor/task/export/id/{id}``) holds a request (and a worker slot) open while
translate5 builds the ZIP. The batch export does not (read from translate5's source):

- ``POST /editor/taskuserassoc/batchset`` with ``batchType=export``, ``taskIds=1,2,3`` and
  ``projectsAndTasks`` (which tasks the caller may take; ``TaskbatchController::indexAction``,
  ``Task/BatchOperations/Handler/TaskBatchExport``) queues a ``BatchExportWorker`` and answers
  ``{"nextUrl": "/editor/queuedexport/<token>?title=…", "success": true}``;
- ``GET /editor/queuedexport/<token>/status`` prints ``{"ready":false}`` / ``{"ready":true}``
  (``QueuedexportController::statusAction``), served as ``text/html`` (recorded, part 2 §152-153): read by
  its body;
- ``GET /editor/queuedexport/<token>/download`` streams one ZIP (``application/octet-stream``,
  ``export.zip``) holding each task's export ZIP as ``<task id>-<task name>.zip`` and deletes it on the
  server afterwards (``downloadAction``, ``cleanUp``). From then on the download AND the status answer 404
  "Token no longer exists" (§155-156).

So a token is fetched once. The transport repeats a download only when no answer arrived (a GET); when the
lost answer was the file, the repeat meets the 404, and the client then raises
:class:`~airflow_provider_translate5.client.errors.Translate5QueuedExportGoneError` at once, never retrying
it: the file is gone for good, and the way on is a new export of the same tasks (what a retry of the batch
export operator does). The client does not queue that new export itself: it knows the token, not the tasks.

Servers without the route (older translate5, or an API user without the right) answer 404 or a 302 to the
login page; :class:`~airflow_provider_translate5.client.errors.Translate5NotFoundError` /
``Translate5PermissionError`` tell a caller to export task by task instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from airflow_provider_translate5.client._calls import ClientCalls
from airflow_provider_translate5.client.errors import (
    Translate5NotFoundError,
    Translate5QueuedExportGoneError,
    Translate5ResponseError,
    Translate5ValueError,
)

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


@contextmanager
def _still_there(token: str) -> Iterator[None]:
    """Turn translate5's 404 for a token it deleted into the error that says so (and what to do)."""
    try:
        yield
    except Translate5NotFoundError as exc:
        if "not ready" in exc.error_message.lower():  # "Export is not ready yet": the token does exist
            raise
        raise Translate5QueuedExportGoneError(
            status=exc.status,
            error_message=f"translate5 no longer has queued export {token} ({exc.error_message})",
            method=exc.method,
            url=exc.url,
            body_excerpt=exc.body_excerpt,
            hint="translate5 deletes a queued export once it has been downloaded, so it cannot be fetched "
            "or looked at again, also not after a download whose answer was lost; export the tasks anew",
        ) from exc


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
        with _still_there(token):
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
        """Stream the finished batch ZIP, once: translate5 deletes it when it has been sent (save it whole).

        :raises Translate5QueuedExportGoneError: the export was downloaded before (or its answer was lost).
        """
        path = f"/editor/queuedexport/{_token(token)}/download"
        with ExitStack() as stack:
            with _still_there(token):  # only the answer's own 404, not errors of the caller's block
                download = stack.enter_context(
                    self._download(path, None, "export.zip", export=True, zip_expected=True)
                )
            yield download
