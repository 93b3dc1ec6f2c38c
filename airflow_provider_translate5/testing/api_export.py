"""Exports (§6): synchronous ZIP / filetranslation / XLIFF 2 downloads and the Excel export round trip.

An export blocks for ``export_duration`` like translate5's export workers; while it runs, another export of
the same task is refused with 409 E1538. Files are written to the request's temp folder and streamed from
disk, so export size never shows up in memory.
"""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from airflow_provider_translate5.testing import catalog, content
from airflow_provider_translate5.testing.protocol import ApiError, Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Task, TaskFile

EXPORTABLE_STATES = ("open", "end", "unconfirmed")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_CHUNK = 1 << 16


def content_disposition(filename: str) -> str:
    """Exactly ZfExtended's Header helper: RFC 5987 name first, then the plain, unquoted name."""
    return f"attachment; filename*=UTF-8''{quote(filename, safe='')}; filename={filename}"


def _file_body(path: Path) -> Any:
    def produce() -> Any:
        with path.open("rb") as handle:
            while data := handle.read(FILE_CHUNK):
                yield data

    return produce()


def download(path: Path, filename: str, content_type: str) -> Response:
    headers = [("Content-Type", content_type), ("Content-Disposition", content_disposition(filename))]
    return Response(200, headers, _file_body(path), length=path.stat().st_size)


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


def _build(ctx: Ctx, task: Task, params: dict[str, str]) -> Response:
    fmt = params.get("format", "")
    target = catalog.rfc5646(task.row["targetLang"])
    source = catalog.rfc5646(task.row["sourceLang"])
    name = str(task.row["taskName"])
    generated = ctx.config.generated_export_size
    if fmt == "filetranslation":
        picked = _pick_filetranslation(task)
        filename = _filetranslation_name(task, picked)
        if generated is not None:
            headers = [
                ("Content-Type", "application/octet-stream"),
                ("Content-Disposition", content_disposition(filename)),
            ]
            return Response(200, headers, content.generated_lines(generated, target), length=generated)
        out = ctx.upload_dir / "export.bin"
        with out.open("wb") as handle:
            content.pseudo_translate(picked.path, picked.relpath, handle, target)
        return download(out, filename, "application/octet-stream")
    if fmt not in ("", "xliff2"):
        raise ApiError.coded(400, "E1559", f'The export format "{fmt}" is not supported by the simulator.')
    diff = params.get("diff") in ("1", "true")
    filename = (
        f"{name} \u2013 with tracked changes.zip" if diff else f"{name}.zip"
    )  # an en dash, as translate5
    if generated is not None and fmt == "":
        length, body = content.generated_zip(generated, f"generated_{target}.txt", target)
        headers = [
            ("Content-Type", "application/zip"),
            ("Content-Disposition", content_disposition(filename)),
        ]
        return Response(200, headers, body, length=length)
    guid_dir_param = params.get("taskguiddirectory")
    guid_dir = ctx.config.taskguiddirectory if guid_dir_param is None else guid_dir_param in ("1", "true")
    prefix = f"{task.guid}/" if guid_dir else ""
    out = ctx.upload_dir / "export.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for task_file in _work_files(task):
            if fmt == "xliff2":
                member = f"{prefix}{task_file.relpath}.xlf"
                with archive.open(member, "w", force_zip64=True) as handle:
                    content.write_xliff2(task_file.path, task_file.relpath, handle, source, target)
            else:
                with archive.open(prefix + task_file.relpath, "w", force_zip64=True) as handle:
                    content.pseudo_translate(task_file.path, task_file.relpath, handle, target)
    return download(out, filename, "application/zip")


def excel_export(ctx: Ctx, match: re.Match[str]) -> Response:
    task = _begin(ctx, match.group(1))
    try:
        target = catalog.rfc5646(task.row["targetLang"])
        rows: list[list[str]] = []
        for task_file in _work_files(task):
            for text, _ in content.iter_sources(task_file.path, task_file.relpath, content.EXCEL_ROW_LIMIT):
                rows.append([str(len(rows) + 1), text, content.pseudo_text(text, target)])
                if len(rows) >= content.EXCEL_ROW_LIMIT:
                    break
        out = ctx.upload_dir / "export.xlsx"
        content.write_xlsx(out, task.guid, str(task.row["taskName"]), rows)
        with ctx.store.lock:
            task.excel_state_before = task.row["state"]
            task.row["state"] = "ExcelExported"
            task.row["locked"] = time.strftime("%Y-%m-%d %H:%M:%S")
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
        task.row["locked"] = None
        ctx.store.touch(task)
    return ctx.json({"success": True})


ROUTES: list[Route] = [
    route("GET", r"/editor/task/export/id/(\d+)((?:/[^/]+)*)", export, csrf_exempt=True),
    route("GET", r"/editor/task/(\d+)/excelexport", excel_export, csrf_exempt=True),
    route("POST", r"/editor/task/(\d+)/excelreimport", excel_reimport),
]
