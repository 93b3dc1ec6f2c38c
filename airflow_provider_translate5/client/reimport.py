"""Reimport: bring an updated bilingual file into an existing task.

translate5's ``FileController`` (``application/modules/editor/Controllers/FileController.php``) lists a task's
files at ``GET /editor/taskid/{taskId}/file`` and takes a new version of one with
``POST /editor/taskid/{taskId}/file`` (form field ``fileId``, upload field ``fileReimport``). The answer is
``{"success": true}`` at once; the reimport runs in the background, the task in state ``reimport`` until it
is done. What it changes (recorded, ``translate5-real-transcripts-2.md`` §143-147, and
``Task/Reimport/SegmentProcessor``): segments are matched to the task's segments by their XLIFF ``mid``; a
matched segment's TARGET becomes the file's target (an empty ``<target/>`` erases a translation the task
held); a changed SOURCE is never applied (with source editing on, translate5 writes it to the segment's edit
field only); segments the task does not have are not added. Only file types with a reimporter are accepted
(XLIFF/XML, ``FileparserRegistry``; anything else is a 422 ``E1430``, §165); the task must not be in an
exclusive state (import, another operation) nor in error (``editor_Models_Task::checkStateAllowsActions``,
HTTP 409 ``E1046``). A ``fileId`` that is not one of the task's files is a PHP error, HTTP 500 (§166).
After the reimport the task's import archive holds the reimported file instead of the upload (§150).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from airflow_provider_translate5.client._calls import ClientCalls
from airflow_provider_translate5.client.coerce import to_int, to_str
from airflow_provider_translate5.client.errors import Translate5ValueError
from airflow_provider_translate5.client.files import UploadSource, prepare_upload
from airflow_provider_translate5.client.models import record

#: Extensions of the file parsers with a reimporter (``FileparserRegistry``: the Xlf and Xml parsers).
REIMPORT_EXTENSIONS = frozenset({".xlf", ".xliff", ".xlif", ".sdlxliff", ".mqxliff", ".xml"})
UPLOAD_FIELD = "fileReimport"
#: The import archive's folder of the translatable files.
WORKFILES = "workfiles"


@dataclass(frozen=True)
class TaskFile:
    """A row of ``GET /editor/taskid/{id}/file`` (``LEK_files``)."""

    id: int
    file_name: str
    file_parser: str | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TaskFile:
        raw = record(data, "file")
        return cls(
            id=to_int(raw.get("id")) or 0,
            file_name=to_str(raw.get("fileName")) or "",
            file_parser=to_str(raw.get("fileParser")),
            raw=raw,
        )


class ReimportMixin(ClientCalls):
    """Task files and file reimport (mixed into :class:`Translate5Client`)."""

    def list_task_files(self, task_id: int | str) -> list[TaskFile]:
        from airflow_provider_translate5.client.checks import positive_id

        files, _payload = self._many(TaskFile.from_api, "GET", f"/editor/taskid/{positive_id(task_id)}/file")
        return files

    def find_task_file(self, task_id: int | str, file_name: str) -> TaskFile:
        """The task file named ``file_name`` (its name or path in the task; case-sensitive, as translate5)."""
        if not isinstance(file_name, str) or not file_name.strip():
            raise Translate5ValueError("file_name must be a non-empty string")
        files = self.list_task_files(task_id)
        wanted = file_name.strip()
        found = [f for f in files if f.file_name == wanted or PurePosixPath(f.file_name).name == wanted]
        if len(found) != 1:
            names = ", ".join(sorted(f.file_name for f in files)) or "none"
            problem = "no file" if not found else f"{len(found)} files"
            raise Translate5ValueError(f"task {task_id} has {problem} named {wanted!r} (its files: {names})")
        return found[0]

    def reimport_file(self, task_id: int | str, file_id: int, source: UploadSource) -> dict[str, Any]:
        """Upload a new version of one task file; translate5 applies it in the background (``reimport``).

        The upload's name must end in a supported extension (XLIFF/XML); anything else is refused here, before
        the upload, as translate5 would refuse it after.
        """
        from airflow_provider_translate5.client.checks import positive_id

        upload = prepare_upload(source, "reimport file")
        suffix = PurePosixPath(upload.filename).suffix.lower()
        if suffix not in REIMPORT_EXTENSIONS:
            raise Translate5ValueError(
                f"translate5 reimports only bilingual files ({', '.join(sorted(REIMPORT_EXTENSIONS))}); "
                f"got {upload.filename!r}"
            )
        path = f"/editor/taskid/{positive_id(task_id)}/file"
        fields = [("fileId", str(positive_id(file_id, "file id")))]
        payload = self._json("POST", path, fields=fields, uploads=[(UPLOAD_FIELD, upload)], idempotent=False)
        return dict(payload) if isinstance(payload, Mapping) else {}

    def archived_file_digests(self, task_id: int | str, file_name: str) -> frozenset[str]:
        """SHA-256 of each file named ``file_name`` in the task's import archive (``format=importArchive``).

        translate5 replaces the archived file with the file of each reimport, byte for byte (§150): so this
        says whether a given file was reimported (or imported) into the task, whatever happened to its
        answer. The archive is downloaded to a temporary file (removed at once) and its members are hashed
        one by one.
        """
        import tempfile
        import zipfile

        from airflow_provider_translate5.client.checks import positive_id

        number = positive_id(task_id)
        wanted = PurePosixPath(file_name).name
        path, params = f"/editor/task/export/id/{number}", {"format": "importArchive"}
        digests: set[str] = set()
        with tempfile.TemporaryFile() as spool:
            with self._download(path, params, f"task-{number}-importArchive", zip_expected=True) as download:
                for chunk in download.iter_bytes():  # a ZIP checked whole (central directory, CRCs)
                    spool.write(chunk)
            spool.seek(0)
            with zipfile.ZipFile(spool) as archive:
                for info in archive.infolist():
                    member = PurePosixPath(info.filename)
                    if info.is_dir() or member.parts[:1] != (WORKFILES,) or member.name != wanted:
                        continue
                    digest = hashlib.sha256()
                    with archive.open(info) as handle:
                        while chunk := handle.read(1 << 20):
                            digest.update(chunk)
                    digests.add(digest.hexdigest())
        return frozenset(digests)
