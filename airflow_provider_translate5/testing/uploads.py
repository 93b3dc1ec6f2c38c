"""Turning task-creation uploads into task files: single files, several files, ZIP packages.

See docs/compatibility.md#creating-tasks.

Validation errors carry the exact codes translate5 uses (E1026 unsupported/missing upload, E1039/E1040
missing/empty ``workfiles/``, E1034 pivot language without pivot files, E1369 a target without work files).
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from airflow_provider_translate5.testing import catalog
from airflow_provider_translate5.testing.protocol import ApiError, UploadedFile
from airflow_provider_translate5.testing.state import HOOK_IMPORT_ERROR, HOOK_NOT_PRETRANSLATED, TaskFile

PACKAGE_FOLDERS = {
    "workfiles": "workfiles",
    "proofRead": "workfiles",
    "relais": "pivot",
    "referenceFiles": "reference",
}
NO_FILES = "no uploaded work files found, or the upload exceeded the maximum allowed size"


@dataclass
class ImportFiles:
    files: list[TaskFile] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # every original name (test hooks look at these)

    @property
    def fail_import(self) -> bool:
        return any(HOOK_IMPORT_ERROR in name for name in self.names)

    @property
    def not_pretranslated(self) -> bool:
        return any(HOOK_NOT_PRETRANSLATED in name for name in self.names)

    def has(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.files)


def _upload_error(message: str, code: str = "E1026", field_name: str = "importUpload") -> ApiError:
    return ApiError.coded(422, code, message, errors={field_name: [message]})


def check_extension(filename: str, field_name: str = "importUpload") -> None:
    ext = catalog.extension(filename)
    if ext not in catalog.SUPPORTED_EXTENSIONS:
        raise _upload_error(
            f'The file-type "{ext}" of the file "{filename}" is not supported.', field_name=field_name
        )


def _safe_member(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    return path


def _from_package(upload: UploadedFile, dest: Path) -> ImportFiles:
    result = ImportFiles(names=[upload.filename])
    try:
        archive = zipfile.ZipFile(upload.path)
    except zipfile.BadZipFile:
        raise _upload_error(f'The uploaded file "{upload.filename}" is not a valid ZIP archive.') from None
    with archive:
        folders_seen: set[str] = set()
        for info in archive.infolist():
            member = _safe_member(info.filename)
            if member is None or member.parts[0] not in PACKAGE_FOLDERS:
                continue
            folders_seen.add(PACKAGE_FOLDERS[member.parts[0]])
            if info.is_dir() or len(member.parts) < 2:
                continue
            relpath = str(PurePosixPath(*member.parts[1:]))
            result.names.append(relpath)
            target = dest / member.parts[0] / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 16)
            result.files.append(TaskFile(relpath, PACKAGE_FOLDERS[member.parts[0]], target))
    if "workfiles" not in folders_seen:
        raise _upload_error("The import package contains no workfiles folder.", "E1039")
    if not result.has("workfiles"):
        raise _upload_error("The workfiles folder of the import package is empty.", "E1040")
    return result


def collect(
    uploads: list[UploadedFile], types: list[str], languages: list[int | None], dest: Path
) -> ImportFiles:
    """Move uploads into the task's folder; a single ``.zip`` is an import package, others work files."""
    if not uploads:
        raise _upload_error(NO_FILES)
    dest.mkdir(parents=True, exist_ok=True)
    if len(uploads) == 1 and catalog.extension(uploads[0].filename) == "zip":
        return _from_package(uploads[0], dest)
    if not any(languages):
        types = []  # translate5 reads importUpload_type[] only together with importUpload_language[]
    result = ImportFiles()
    for index, upload in enumerate(uploads):
        kind = {"pivot": "pivot", "reference": "reference"}.get(
            types[index] if index < len(types) else "", "workfiles"
        )
        if kind != "reference":
            check_extension(upload.filename)
        folder = dest / kind / str(index)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / upload.filename
        shutil.move(str(upload.path), target)
        language = languages[index] if index < len(languages) else None
        result.files.append(TaskFile(upload.filename, kind, target, language))
        result.names.append(upload.filename)
    if not result.has("workfiles"):
        raise _upload_error(NO_FILES)
    return result
