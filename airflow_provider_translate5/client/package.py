"""translate5 import packages: several files (and their roles) in the one ZIP layout every server accepts.

translate5 moves a plain upload once per project task, so one plain file with two or more target languages
fails with HTTP 500 ("Cannot refresh row as parent is missing"); the same file inside an import package works
and gives one task per target. The package layout (translate5's ``runtimeOptions.import.*Directory``
defaults): ``workfiles/`` holds the files to translate, ``relais/`` the pivot files (same tree as
``workfiles/``), ``referenceFiles/`` material for the translators that is not imported as segments.

The package is written to a temporary file (streamed, never held in memory) and removed after the upload.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from airflow_provider_translate5.client.errors import Translate5ValueError
from airflow_provider_translate5.client.files import PreparedUpload

#: Package folder of each per-file type the client accepts.
FOLDERS = {"workfiles": "workfiles", "pivot": "relais", "reference": "referenceFiles"}


def is_zip_package(upload: PreparedUpload) -> bool:
    """Whether an upload is already an import package (translate5 decides by the ``.zip`` extension)."""
    return upload.filename.lower().endswith(".zip")


@contextlib.contextmanager
def import_package(
    uploads: Sequence[PreparedUpload], types: Sequence[str] | None = None
) -> Iterator[PreparedUpload]:
    """A temporary import package holding ``uploads`` in the folders of their ``types`` (default: work files).

    Two files landing on the same package path are refused: one would silently replace the other.
    """
    kinds = list(types) if types is not None else ["workfiles"] * len(uploads)
    if "workfiles" not in kinds:
        raise Translate5ValueError("an import package needs at least one work file (file_types 'workfiles')")
    names = [f"{FOLDERS[kind]}/{upload.filename}" for kind, upload in zip(kinds, uploads, strict=True)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise Translate5ValueError(f"two upload files have the same name and type: {', '.join(duplicates)}")
    handle, name = tempfile.mkstemp(prefix="translate5-package-", suffix=".zip")
    os.close(handle)
    path = Path(name)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member, upload in zip(names, uploads, strict=True):
                with contextlib.ExitStack() as stack, archive.open(member, "w", force_zip64=True) as out:
                    shutil.copyfileobj(upload.open(stack), out, 1 << 20)
        yield PreparedUpload(filename="import-package.zip", content_type="application/zip", path=path)
    finally:
        path.unlink(missing_ok=True)
