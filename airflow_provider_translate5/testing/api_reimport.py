"""Task files and the file reimport (``FileController``: ``/editor/taskid/{id}/file``).

As recorded (``translate5-real-transcripts-2.md`` §142-147, §150, §165, §166) and read from translate5's
source: the file list; ``POST`` with ``fileId`` and the upload ``fileReimport`` checks the task state (409
``E1046`` unless open/end/unconfirmed), the parameters (422 ``E1426`` without ``fileId``, ``E1427`` without an
upload, ``E1430`` for a file type without reimporter, §165), then a ``fileId`` that is not one of the task's
files fails with PHP's 500 (§166). An accepted reimport answers ``{"success": true}`` at once and keeps the
task in state ``reimport`` for ``import_duration`` seconds; at its end it does what translate5's
``ContentDefault::saveSegment`` does to each segment the file has (matched by unit id, others ignored):

* the **target** is set to the file's target, an empty ``<target/>`` erasing the translation the task held
  (§143/144, §146/147); a unit with empty source and target is skipped;
* a changed **source** is never applied: the exports keep the imported source (§144/145). With source
  editing on, translate5 writes it to the segment's edit field only, which no export the provider uses shows;
  the simulator does not model that field.

The task's import archive then holds the reimported file (§150). The other tasks of a project keep their
files: each reimported task gets its own copy.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path, PurePosixPath
from typing import Any

from airflow_provider_translate5.testing import content, shapes
from airflow_provider_translate5.testing.protocol import ApiError, Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Store, Task, TaskFile

REIMPORT_STATE = "reimport"
NON_EXCLUSIVE = frozenset({"open", "end", "unconfirmed"})
REIMPORTABLE = frozenset({".xlf", ".xliff", ".xlif", ".sdlxliff", ".mqxliff", ".xml"})
_PARSERS = {".xml": "editor_Models_Import_FileParser_Xml"}
#: PHP's error when ``DataProvider::getFiles`` looks up a file id the task does not have (§166).
NO_SUCH_FILE = 'Attempt to assign property "reimportFile" on null'
FILE_STRING_COLUMNS = frozenset(
    {"id", "sourceLang", "targetLang", "relaisLang", "fileOrder", "isReimportable"}
)


def _work_files(task: Task) -> list[tuple[int, TaskFile]]:
    """File ids: unique over the simulator (translate5's ``LEK_files.id``), stable for a task."""
    files = [f for f in task.files if f.kind == "workfiles"]
    return [(task.id * 1000 + number, f) for number, f in enumerate(files, start=1)]


def _row(task: Task, file_id: int, task_file: TaskFile, strings: bool) -> dict[str, Any]:
    """A ``LEK_files`` row as recorded (§142): numbers as strings, ``encoding`` null."""
    suffix = PurePosixPath(task_file.relpath).suffix.lower()
    parser = _PARSERS.get(suffix, "editor_Models_Import_FileParser_Xlf")  # Okapi converts the rest to XLIFF
    row = {
        "id": file_id,
        "taskGuid": task.guid,
        "fileName": task_file.relpath,
        "fileParser": parser,
        "sourceLang": task.row["sourceLang"],
        "targetLang": task.row["targetLang"],
        "relaisLang": task.row.get("relaisLang", 0),
        "fileOrder": file_id % 1000 - 1,
        "encoding": None,
        "isReimportable": int(suffix in REIMPORTABLE),
    }
    return shapes.typed(row, FILE_STRING_COLUMNS, strings)


def _task(ctx: Ctx, task_id: str) -> Task:
    task = ctx.store.task(task_id)
    if task is None:
        raise ApiError.coded(404, None, f"Task Entity Not Found: Key: #PK; Value: {task_id}")
    return task


def files(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        task = _task(ctx, match.group(1))
        strings = ctx.config.numbers_as_strings
        rows = [_row(task, file_id, f, strings) for file_id, f in _work_files(task)]
    return ctx.json({"rows": rows, "total": len(rows)})


def _reimported(task_file: TaskFile, reimport: Path) -> TaskFile:
    """The task file after the reimport: the targets of the segments the file has; sources never change."""
    known = {ident for ident, _, _ in content.units(task_file.path.read_text("utf-8", "replace"))}
    targets = dict(task_file.targets)
    for ident, source, target in content.units(reimport.read_text("utf-8", "replace")):
        if ident in known and (source or target):  # E1434 for a unit the task lacks; both empty: skipped
            targets[ident] = target or ""
    return TaskFile(task_file.relpath, task_file.kind, task_file.path, task_file.language, targets, reimport)


def _finish(store: Store, task_id: int, previous: str, index: int, reimport: Path) -> None:
    with store.lock:
        task = store.task(task_id)
        if task is None or task.row["state"] != REIMPORT_STATE:
            return
        task.files[index] = _reimported(task.files[index], reimport)
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
            message = f"Reimport DataProvider: This file type is not supported {upload.filename}"
            raise ApiError.coded(
                422, "E1430", message, translated={"fileReimport": [message], "collected": []}
            )
        target = dict(_work_files(task)).get(int(file_id) if file_id.isdigit() else -1)
        if target is None:
            raise ApiError.coded(500, None, NO_SUCH_FILE)
        # The task's own copy: the tasks of a project share the files of its upload.
        own = ctx.store.task_dir(task.id) / "reimport" / target.relpath
        own.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(upload.path, own)
        previous = str(task.row["state"])
        task.row["state"] = REIMPORT_STATE
        ctx.store.touch(task)
        index = task.files.index(target)
    duration = max(ctx.config.import_duration, 0.01)
    timer = threading.Timer(duration, _finish, (ctx.store, task.id, previous, index, own))
    timer.daemon = True
    timer.start()
    return ctx.json({"success": True})


ROUTES: list[Route] = [
    route("GET", r"/editor/taskid/(\d+)/file", files),
    route("POST", r"/editor/taskid/(\d+)/file", reimport),
]
