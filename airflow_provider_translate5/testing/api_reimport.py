"""Task files and the file reimport (``FileController``: ``/editor/taskid/{id}/file``).

Modelled from translate5's source (see docs/features.md): the file list; ``POST`` with ``fileId`` and the
upload ``fileReimport`` checks the task state (409 ``E1046`` unless open/end/unconfirmed), the parameters
(422 ``E1426`` without ``fileId``, ``E1427`` without an upload, ``E1430`` for a file type without
reimporter), then keeps the task in state ``reimport`` for ``import_duration`` seconds. The simulator
stores the new file as the task's file (exports then contain it); it does not model segments.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import PurePosixPath
from typing import Any

from airflow_provider_translate5.testing.protocol import ApiError, Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Store, Task, TaskFile

REIMPORT_STATE = "reimport"
NON_EXCLUSIVE = frozenset({"open", "end", "unconfirmed"})
REIMPORTABLE = frozenset({".xlf", ".xliff", ".xlif", ".sdlxliff", ".mqxliff", ".xml"})
_PARSERS = {".xml": "editor_Models_Import_FileParser_Xml"}


def _work_files(task: Task) -> list[tuple[int, TaskFile]]:
    """File ids: unique over the simulator (translate5's ``LEK_files.id``), stable for a task."""
    files = [f for f in task.files if f.kind == "workfiles"]
    return [(task.id * 1000 + number, f) for number, f in enumerate(files, start=1)]


def _row(task: Task, file_id: int, task_file: TaskFile) -> dict[str, Any]:
    suffix = PurePosixPath(task_file.relpath).suffix.lower()
    parser = _PARSERS.get(suffix, "editor_Models_Import_FileParser_Xlf")  # Okapi converts the rest to XLIFF
    return {
        "id": file_id,
        "taskGuid": task.guid,
        "fileName": task_file.relpath,
        "sourceLang": task.row["sourceLang"],
        "targetLang": task.row["targetLang"],
        "relaisLang": task.row.get("relaisLang", 0),
        "fileOrder": file_id % 1000,
        "fileParser": parser,
    }


def _task(ctx: Ctx, task_id: str) -> Task:
    task = ctx.store.task(task_id)
    if task is None:
        raise ApiError.coded(404, None, f"Task Entity Not Found: Key: #PK; Value: {task_id}")
    return task


def files(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        task = _task(ctx, match.group(1))
        rows = [_row(task, file_id, f) for file_id, f in _work_files(task)]
    return ctx.json({"rows": rows, "total": len(rows)})


def _finish(store: Store, task_id: int, previous: str) -> None:
    with store.lock:
        task = store.task(task_id)
        if task is not None and task.row["state"] == REIMPORT_STATE:
            task.row["state"] = previous
            store.touch(task)


def reimport(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        task = _task(ctx, match.group(1))
        if task.row["state"] not in NON_EXCLUSIVE:
            raise ApiError.coded(409, "E1046", "The current task status does not allow that action.")
        file_id = ctx.req.param("fileId")
        if not file_id:
            raise ApiError.coded(
                422, "E1426", "Reimport: Missing required request parameter fileId.",
                errors={"fileId": ["Missing field “fileId”"]},
            )  # fmt: skip
        uploads = ctx.req.upload_list("fileReimport")
        if not uploads:
            raise ApiError.coded(422, "E1427", "Reimport DataProvider: Error on file upload.")
        upload = uploads[0]
        if PurePosixPath(upload.filename).suffix.lower() not in REIMPORTABLE:
            raise ApiError.coded(
                422, "E1430", f"Reimport DataProvider: This file type is not supported {upload.filename}",
                errors={"fileReimport": [f"This file type is not supported {upload.filename}"]},
            )  # fmt: skip
        target = dict(_work_files(task)).get(int(file_id) if file_id.isdigit() else -1)
        if target is None:
            raise ApiError.coded(404, None, f"File Entity Not Found: Key: #PK; Value: {file_id}")
        # The task's own copy: the tasks of a project share the files of its upload until one is reimported.
        own = ctx.store.task_dir(task.id) / "reimport" / target.relpath
        own.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(upload.path, own)
        task.files[task.files.index(target)] = TaskFile(target.relpath, target.kind, own, target.language)
        previous = str(task.row["state"])
        task.row["state"] = REIMPORT_STATE
        ctx.store.touch(task)
    timer = threading.Timer(max(ctx.config.import_duration, 0.01), _finish, (ctx.store, task.id, previous))
    timer.daemon = True
    timer.start()
    return ctx.json({"success": True})


ROUTES: list[Route] = [
    route("GET", r"/editor/taskid/(\d+)/file", files),
    route("POST", r"/editor/taskid/(\d+)/file", reimport),
]
