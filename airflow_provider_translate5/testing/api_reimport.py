"""Task files and the file reimport (``FileController``: ``/editor/taskid/{id}/file``).

As recorded (``translate5-real-transcripts-2.md`` §142-147, §150, §165, §166) and read from translate5's
source: the file list; ``POST`` with ``fileId`` and the upload ``fileReimport`` checks the task state (409
``E1046`` unless open/end/unconfirmed), the parameters (422 ``E1426`` without ``fileId``, ``E1427`` without an
upload, ``E1430`` for a file type without reimporter, §165), then a ``fileId`` that is not one of the task's
files fails with PHP's 500 (§166). An accepted reimport answers ``{"success": true}`` at once; then, within
``import_duration`` seconds, it goes through the recorded steps (§143, §146): queued (the task still
``open``, unlocked), state ``reimport``, autoqa's lock, unlocked, back in its state. Its worker does what
translate5's ``ContentDefault::saveSegment`` does to each segment the file has (matched by unit id, others
ignored):

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
import time
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

from airflow_provider_translate5.testing import content, shapes
from airflow_provider_translate5.testing.protocol import ApiError, Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Store, Task, TaskFile, lock_for, unlock

REIMPORT_STATE = "reimport"
NON_EXCLUSIVE = frozenset({"open", "end", "unconfirmed"})
REIMPORTABLE = frozenset({".xlf", ".xliff", ".xlif", ".sdlxliff", ".mqxliff", ".xml"})
_PARSERS = {".xml": "editor_Models_Import_FileParser_Xml"}
#: PHP's error when ``DataProvider::getFiles`` looks up a file id the task does not have (§166).
NO_SUCH_FILE = 'Attempt to assign property "reimportFile" on null'
#: The steps after the answer, as fractions of ``import_duration``, as recorded (§143: 2.4 s queued, state
#: ``reimport`` at 2.4 s, autoqa's lock at 9.3 s, unlocked at 13.7 s, ``open`` at 19.4 s). The segments and
#: the import archive are written when the reimport worker ends, as autoqa takes over.
STEPS: tuple[tuple[float, str], ...] = ((0.12, "state"), (0.48, "autoqa"), (0.7, "unlock"), (1.0, "done"))
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


def _step(store: Store, task_id: int, step: str, index: int, reimport: Path, previous: list[str]) -> None:
    with store.lock:
        task = store.task(task_id)
        if task is None:
            return
        row = task.row
        if step == "state":
            previous.append(str(row["state"]))
            row["state"] = REIMPORT_STATE
        elif step == "autoqa":
            try:
                task.files[index] = _reimported(task.files[index], reimport)
            except OSError:  # the simulator was stopped meanwhile (its files are gone)
                return
            lock_for(row, "autoqa")
        elif step == "unlock":
            unlock(row)
        elif row["state"] == REIMPORT_STATE:
            row["state"] = previous[0]
        store.touch(task)


def _play(store: Store, task_id: int, index: int, reimport: Path, duration: float, started: float) -> None:
    """The steps one after the other (one thread: they never overtake each other, however short)."""
    previous: list[str] = []
    for fraction, step in STEPS:
        delay = started + duration * fraction - time.time()
        if delay > 0:
            time.sleep(delay)
        _step(store, task_id, step, index, reimport, previous)


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
        # A copy of the task's own, one per reimport: the tasks of a project share the files of its upload,
        # and the import archive keeps the last reimported file until the next reimport has run.
        own = ctx.store.task_dir(task.id) / "reimport" / uuid.uuid4().hex / target.relpath
        own.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(upload.path, own)
        index = task.files.index(target)
    duration = max(ctx.config.import_duration, 0.01)
    worker = threading.Thread(
        target=_play,
        args=(ctx.store, task.id, index, own, duration, time.time()),
        name=f"t5-sim-reimport-{task.id}",
        daemon=True,
    )
    worker.start()
    return ctx.json({"success": True})  # queued: the task still reads open (§143)


ROUTES: list[Route] = [
    route("GET", r"/editor/taskid/(\d+)/file", files),
    route("POST", r"/editor/taskid/(\d+)/file", reimport),
]
