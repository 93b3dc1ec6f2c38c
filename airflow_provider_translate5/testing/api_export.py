"""Exports: synchronous ZIP / filetranslation / XLIFF 2 / import archive downloads and the Excel round trip.

An export blocks for ``export_duration`` like translate5's export workers; while it runs, another export of
the same task is refused with 409 E1538. Files are written to the request's temp folder and streamed from
disk, so export size never shows up in memory. Downloads go out like the recorded server sent them: no
Content-Length, ``Connection: close``, no X-Translate5-Version; ZIP and xlsx names percent-encoded (ZIP names
transliterated to ASCII first), the filetranslation name RAW UTF-8 with ``Content-type: text/html``.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from airflow_provider_translate5.testing import catalog, content
from airflow_provider_translate5.testing.protocol import HTML_TYPE, JSON_TYPE, ApiError, Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Task, TaskFile, lock_for, unlock

EXPORTABLE_STATES = ("open", "end", "unconfirmed")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_CHUNK = 1 << 16
IMPORT_ARCHIVE_SUFFIX = " - ImportArchive.zip"
DIFF_SUFFIX = "- with tracked changes"
_SPECIAL_LETTERS = str.maketrans({"ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe"})


def transliterate(name: str) -> str:
    """ASCII letters for the ZIP download name, like the real server (``About us ÄÖ`` -> ``About us AO``)."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_SPECIAL_LETTERS))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def content_disposition(filename: str, *, raw: bool = False) -> str:
    """ZfExtended's Header helper: ``filename*=UTF-8''<name>; filename=<name>``, unquoted; the name is
    percent-encoded in both parts, except for filetranslation downloads, which send it as RAW UTF-8."""
    name = filename if raw else quote(filename, safe="")
    return f"attachment; filename*=UTF-8''{name}; filename={name}"


def _file_body(path: Path) -> Any:
    def produce() -> Any:
        with path.open("rb") as handle:
            while data := handle.read(FILE_CHUNK):
                yield data

    return produce()


def download(path: Path, filename: str, content_type: str, *, raw_name: bool = False) -> Response:
    headers = [
        ("Content-Disposition", content_disposition(filename, raw=raw_name)),
        ("Content-Type" if content_type != HTML_TYPE else "Content-type", content_type),
    ]
    return Response(200, headers, _file_body(path), length=path.stat().st_size, close=True)


def _params(ctx: Ctx, pairs: str) -> dict[str, str]:
    """Path pairs (``/format/xliff2/diff/1``) plus the query string, like ZF route params."""
    parts = [p for p in pairs.split("/") if p]
    params = {parts[i]: parts[i + 1] for i in range(0, len(parts) - 1, 2)}
    for key in ("format", "diff", "taskguiddirectory"):
        value = ctx.req.param(key)
        if value is not None and key not in params:
            params[key] = value
    return params


def _work_files(task: Task) -> list[TaskFile]:
    return [f for f in task.files if f.kind == "workfiles"]


def _filetranslation_name(task: Task, task_file: TaskFile) -> str:
    base = Path(task_file.relpath).name
    stem, dot, ext = base.rpartition(".")
    target = catalog.rfc5646(task.row["targetLang"])
    return f"{stem}_{target}.{ext}" if dot else f"{base}_{target}"


def _pick_filetranslation(task: Task) -> TaskFile:
    files = _work_files(task)
    non_xlf = [f for f in files if catalog.extension(f.relpath) not in catalog.XLIFF_EXTENSIONS]
    return (non_xlf or files)[0]


def _begin(ctx: Ctx, task_id: str) -> Task:
    with ctx.store.lock:
        task = ctx.task_or_404(task_id)
        if task.is_project or task.row["state"] not in EXPORTABLE_STATES:
            raise ApiError.coded(409, "E1046", "The task can not be exported in its current state.")
        if task.export_running:
            raise ApiError.coded(409, "E1538", "There is already an export of this task running.")
        task.export_running = True
        return task


def _end(ctx: Ctx, task: Task) -> None:
    with ctx.store.lock:
        task.export_running = False


def export(ctx: Ctx, match: re.Match[str]) -> Response:
    params = _params(ctx, match.group(2) or "")
    task = _begin(ctx, match.group(1))
    try:
        if ctx.config.export_duration > 0:
            time.sleep(ctx.config.export_duration)
        return _build(ctx, task, params)
    finally:
        _end(ctx, task)


def _unknown_format(fmt: str) -> ApiError:
    """Section 66: HTTP 500, JSON printed as text/html, the quotes HTML-escaped in the message."""
    return ApiError.printed(500, f"Context {html.escape(chr(34) + fmt + chr(34))} does not exist")


def _build(ctx: Ctx, task: Task, params: dict[str, str]) -> Response:
    fmt = params.get("format", "")
    target = catalog.rfc5646(task.row["targetLang"])
    source = catalog.rfc5646(task.row["sourceLang"])
    generated = ctx.config.generated_export_size
    if fmt == "filetranslation":
        picked = _pick_filetranslation(task)
        filename = _filetranslation_name(task, picked)
        if generated is not None:
            headers = [
                ("Content-Disposition", content_disposition(filename, raw=True)),
                ("Content-type", HTML_TYPE),
            ]
            body = content.generated_lines(generated, target)
            return Response(200, headers, body, length=generated, close=True)
        out = ctx.upload_dir / "export.bin"
        with out.open("wb") as handle:
            content.pseudo_translate(picked.path, picked.relpath, handle, target, picked.targets)
        return download(out, filename, HTML_TYPE, raw_name=True)
    if fmt == "importArchive":
        return _import_archive(ctx, task)
    if fmt == "excelhistory":
        return _xlsx(ctx, task)
    if fmt not in ("", "xliff2"):
        raise _unknown_format(fmt)
    diff = params.get("diff") in ("1", "true")
    base = transliterate(str(task.row["taskName"]))
    filename = f"{base}{DIFF_SUFFIX}.zip" if diff else f"{base}.zip"
    if generated is not None and fmt == "":
        length, body = content.generated_zip(generated, f"generated_{target}.txt", target)
        headers = [
            ("Content-Disposition", content_disposition(filename)),
            ("Content-Type", "application/zip"),
        ]
        return Response(200, headers, body, length=length, close=True)
    out = ctx.upload_dir / "export.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if fmt == "xliff2":  # one XLIFF 2 document for the whole task (section 62)
            member = "export-" + time.strftime("%Y-%m-%d-%H-%M-%S") + ".xliff"
            with archive.open(member, "w", force_zip64=True) as handle:
                files = [(f.path, f.relpath) for f in _work_files(task)]
                content.write_xliff2(files, handle, source, target)
            return download(out, filename, "application/zip")
        guid_dir_param = params.get("taskguiddirectory")
        guid_dir = ctx.config.taskguiddirectory if guid_dir_param is None else guid_dir_param in ("1", "true")
        prefix = f"{task.guid}/" if guid_dir else ""
        if prefix:
            archive.writestr(zipfile.ZipInfo(prefix), b"")  # the folder entry (section 65)
        for task_file in _work_files(task):
            with archive.open(prefix + task_file.relpath, "w", force_zip64=True) as handle:
                content.pseudo_translate(task_file.path, task_file.relpath, handle, target, task_file.targets)
    return download(out, filename, "application/zip")


def _import_archive(ctx: Ctx, task: Task) -> Response:
    """``format=importArchive`` (section 150): the files as imported, in an import package layout, named
    ``<task name> - ImportArchive.zip``, with TWO Content-Type headers (``application/json`` first, then
    ``application/zip``) and the version header, exactly as recorded."""
    folders = {"workfiles": "workfiles", "pivot": "relais", "reference": "referenceFiles"}
    out = ctx.upload_dir / "import-archive.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for task_file in task.files:
            stored = task_file.archived or task_file.path  # a reimport replaces the archived file (§150)
            archive.write(stored, f"{folders[task_file.kind]}/{task_file.relpath}")
    response = download(
        out, transliterate(str(task.row["taskName"])) + IMPORT_ARCHIVE_SUFFIX, "application/zip"
    )
    response.headers.insert(1, ("Content-Type", JSON_TYPE))
    response.version_header = True
    return response


def _excel_rows(task: Task) -> list[list[str]]:
    target = catalog.rfc5646(task.row["targetLang"])
    rows: list[list[str]] = []
    for task_file in _work_files(task):
        for text, _ in content.iter_sources(task_file.path, task_file.relpath, content.EXCEL_ROW_LIMIT):
            rows.append([str(len(rows) + 1), text, content.pseudo_text(text, target)])
            if len(rows) >= content.EXCEL_ROW_LIMIT:
                return rows
    return rows


def _xlsx(ctx: Ctx, task: Task) -> Response:
    """``format=excelhistory``: an xlsx of the segments, without locking the task (not recorded)."""
    out = ctx.upload_dir / "history.xlsx"
    content.write_xlsx(out, task.guid, str(task.row["taskName"]), _excel_rows(task))
    return download(out, f"{task.row['taskName']}.xlsx", XLSX_TYPE)


def excel_export(ctx: Ctx, match: re.Match[str]) -> Response:
    """Section 80/81: an xlsx download; the task goes to state ExcelExported with an internal lock."""
    task = _begin(ctx, match.group(1))
    try:
        out = ctx.upload_dir / "export.xlsx"
        content.write_xlsx(out, task.guid, str(task.row["taskName"]), _excel_rows(task))
        with ctx.store.lock:
            task.excel_state_before = task.row["state"]
            task.row["state"] = "ExcelExported"
            lock_for(task.row, "ExcelExported")
            ctx.store.touch(task)
    finally:
        _end(ctx, task)
    return download(out, f"{task.row['taskName']}.xlsx", XLSX_TYPE)


def excel_reimport(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        task = ctx.task_or_404(match.group(1))
        if task.row["state"] != "ExcelExported":
            return ctx.json({"success": False, "message": "The task is not in state ExcelExported."})
    uploads = ctx.req.upload_list("excelreimportUpload")
    if not uploads:
        message = "The upload of the Excel file failed."
        raise ApiError.coded(422, "E1141", message, errors={"excelreimportUpload": [message]})
    if content.xlsx_task_guid(uploads[0].path) != task.guid:
        message = "The uploaded Excel file does not belong to this task."
        raise ApiError.coded(422, "E1138", message, errors={"excelreimportUpload": [message]})
    with ctx.store.lock:
        task.row["state"] = task.excel_state_before
        unlock(task.row)
        ctx.store.touch(task)
    return ctx.json({"success": True})


ROUTES: list[Route] = [
    route("GET", r"/editor/task/export/id/(\d+)((?:/[^/]+)*)", export, csrf_exempt=True),
    route("GET", r"/editor/task/(\d+)/excelexport", excel_export, csrf_exempt=True),
    route("POST", r"/editor/task/(\d+)/excelreimport", excel_reimport),
]
