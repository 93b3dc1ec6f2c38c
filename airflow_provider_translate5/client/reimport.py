"""Reimport: bring an updated bilingual file into an existing task instead of ordering it again.

translate5's ``FileController`` (``application/modules/editor/Controllers/FileController.php``) lists a task's
files at ``GET /editor/taskid/{taskId}/file`` and takes a new version of one with
``POST /editor/taskid/{taskId}/file`` (form field ``fileId``, upload field ``fileReimport``). The reimport
runs as an operation: the task is in state ``reimport`` until it is done. What it changes (from
``Task/Reimport/SegmentProcessor``): segments are matched to the task's segments by their XLIFF ``mid``;
the target of a matched segment is updated, its source only when the task allows source editing; segments
the task does not have are not added. Only file types with a reimporter are accepted (XLIFF/XML,
``FileparserRegistry``); the task must not be in an exclusive state (import, another operation) nor in error
(``editor_Models_Task::checkStateAllowsActions``, HTTP 409 ``E1046``).
"""

from __future__ import annotations

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
