"""InstantTranslate: text translation, file pre-translation, the file list and writetm.

See docs/compatibility.md#instanttranslate.

The real plugin is private; shapes follow the Confluence docs, old public API tests and Blackbird. The
"machine translation" is the simulator's pseudo translation (``[de] text``) from a resource named ZDemoMT,
the demo MT service translate5 ships for tests. With the knob ``instant_translate=False`` the simulator is a
server without the plugin: every route answers translate5's 404 HTML page, as recorded (part 2 §100-102).
"""

from __future__ import annotations

import re
import time
from typing import Any

from airflow_provider_translate5.testing import catalog, uploads
from airflow_provider_translate5.testing.content import pseudo_text
from airflow_provider_translate5.testing.protocol import (
    HTML_TYPE,
    REQUIRED_MSG,
    ApiError,
    Response,
    UploadedFile,
)
from airflow_provider_translate5.testing.routing import Ctx, Handler, Route, route
from airflow_provider_translate5.testing.state import PRETRANSLATE_TYPE, TaskFile, now_str

SERVICE = "ZDemoMT"
RESOURCE = "ZDemoMT Simulator"
RESOURCE_ID = 1
FILE_LIFETIME = 7 * 24 * 3600


def _languages(ctx: Ctx, *names: str) -> list[str]:
    values = [str(ctx.req.param(n) or "").strip() for n in names]
    errors = [(n, REQUIRED_MSG) for n, v in zip(names, values, strict=True) if not v]
    errors += [
        (n, f'The language "{v}" is not valid.')
        for n, v in zip(names, values, strict=True)
        if v and not catalog.resolve_language(v)
    ]
    if errors:
        raise ApiError.validation(errors)
    return values


def translate(ctx: Ctx, _: re.Match[str]) -> Response:
    text = ctx.req.param("text")
    if not text:
        raise ApiError.validation([("text", REQUIRED_MSG)])
    _source, target = _languages(ctx, "source", "target")
    wanted = [t.strip() for t in (ctx.req.param("langresType") or "").split(",") if t.strip()]
    ids = [i.strip() for i in (ctx.req.param("langresId") or "").split(",") if i.strip()]
    if (wanted and SERVICE not in wanted) or (ids and str(RESOURCE_ID) not in ids):
        return ctx.json({"rows": {}})
    hit = {
        "target": pseudo_text(text, target),
        "matchrate": 70,
        "source": text,
        "languageResourceid": RESOURCE_ID,
        "languageResourceType": "mt",
        "state": "",
        "metaData": [],
    }
    return ctx.json({"rows": {SERVICE: {RESOURCE: [[hit]]}}})


def _uploaded_file(ctx: Ctx) -> UploadedFile:
    files = ctx.req.upload_list("file") or ctx.req.upload_list("0")
    if files:
        return files[0]
    name, data = ctx.req.param("fileName"), ctx.req.param("fileData")
    if not name or data is None:
        raise ApiError.validation([("file", "No file was uploaded.")])
    path = ctx.upload_dir / "fileData.bin"
    raw = data.encode("utf-8")  # the file content itself, sent as a plain POST string
    path.write_bytes(raw)
    return UploadedFile("fileData", name, path, len(raw))


def file_pretranslate(ctx: Ctx, _: re.Match[str]) -> Response:
    source, target = _languages(ctx, "source", "target")
    upload = _uploaded_file(ctx)
    uploads.check_extension(upload.filename, "file")
    customer = catalog.find_customer(ctx.req.param("customerId") or 1)
    if customer is None:
        message = "The referenced customer does not exist (anymore)."
        raise ApiError.coded(422, "E1064", message, errors={"customerId": [message]})
    store = ctx.store
    with store.lock:
        task = store.new_task(
            {
                "taskName": upload.filename,
                "sourceLang": catalog.resolve_language(source),
                "targetLang": catalog.resolve_language(target),
                "customerId": customer.id,
                "taskType": PRETRANSLATE_TYPE,
            },
            ctx.me,
        )
        folder = store.task_dir(task.id) / "import"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / upload.filename
        upload.path.replace(path)
        task.files = [TaskFile(upload.filename, "workfiles", path)]
        task.fail_import = uploads.ImportFiles(names=[upload.filename]).fail_import
        task.not_pretranslated = uploads.ImportFiles(names=[upload.filename]).not_pretranslated
        store.start_import(task)
    return ctx.json({"taskId": str(task.id)})


def _entry(ctx: Ctx, task_id: int) -> dict[str, Any]:
    store = ctx.store
    task = store.tasks[task_id]
    progress = store.import_progress(task) if task.importing else None
    if task.importing:
        url = "isImporting"
    elif task.row["state"] == "error":
        url = "isErroneous"
    elif task.not_pretranslated:
        url = "isNotPretranslated"
    else:
        url = f"/editor/task/export/id/{task.id}?format=filetranslation"
    created = time.mktime(time.strptime(task.row["created"], "%Y-%m-%d %H:%M:%S"))
    return {
        "taskId": task.id,
        "taskName": task.row["taskName"],
        "sourceLang": catalog.rfc5646(task.row["sourceLang"]),
        "targetLang": catalog.rfc5646(task.row["targetLang"]),
        "downloadUrl": url,
        "orderDate": task.row["orderdate"] or task.row["created"],
        "removeDate": now_str(created + FILE_LIFETIME),
        "importProgress": progress if progress is not None else [],
        "errors": [e["message"] for e in task.last_errors],
    }


def file_list(ctx: Ctx, _: re.Match[str]) -> Response:
    with ctx.store.lock:
        ids = sorted(t.id for t in ctx.store.tasks.values() if t.row["taskType"] == PRETRANSLATE_TYPE)
        entries = [_entry(ctx, task_id) for task_id in ids]
    files: Any = entries if ctx.config.filelist_as_list else {str(e["taskId"]): e for e in entries}
    return ctx.json({"allPretranslatedFiles": files, "dateAsOf": now_str()})


def write_tm(ctx: Ctx, _: re.Match[str]) -> Response:
    data = ctx.req.data()
    names = ("sourceLanguage", "targetLanguage", "source", "target")
    errors = [(n, REQUIRED_MSG) for n in names if not str(data.get(n) or "").strip()]
    if errors:
        raise ApiError.validation(errors)
    for name in ("sourceLanguage", "targetLanguage"):
        if not catalog.resolve_language(str(data[name])):
            raise ApiError.validation([(name, f'The language "{data[name]}" is not valid.')])
    key = (str(data["sourceLanguage"]).lower(), str(data["targetLanguage"]).lower())
    with ctx.store.lock:
        tm_id = ctx.store.tm_ids.setdefault(key, 100 + len(ctx.store.tm_ids))
    return ctx.json({"created": [tm_id]})


#: translate5's 404 page for a controller its router does not know (part 2 §100-102): the landing-page
#: layout with an error block; the recorded pages are about 7 KB, with a stack trace in development mode.
NOT_FOUND_PAGE = (
    '<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>translate5</title></head>\n<body>\n'
    '<div id="head-panel"></div>\n<div class="error-block">\n<h1>Seite nicht gefunden!</h1>\n'
    "<p>Request URI:<br/>{uri}</p>\n<h2>Stack trace:</h2>\n<pre>ZfExtended_NotFoundException: Seite nicht "
    "gefunden! in &lt;APP_ROOT&gt;/library/ZfExtended/Controllers/helpers/Access.php:81\nStack trace:\n"
    "#0 &lt;APP_ROOT&gt;/library/ZfExtended/Controllers/Plugins/Access.php(45): "
    "ZfExtended_Controller_Helper_Access-&gt;isDispatchable()</pre>\n</div>\n</body>\n</html>\n"
)


def _plugin(handler: Handler) -> Handler:
    """The route as a server with the plugin answers it, or the recorded 404 page of one without."""

    def answer(ctx: Ctx, match: re.Match[str]) -> Response:
        if ctx.config.instant_translate:
            return handler(ctx, match)
        page = NOT_FOUND_PAGE.format(uri=ctx.req.path).encode()
        return Response(404, [("Content-type", HTML_TYPE)], page, close=True)

    return answer


ROUTES: list[Route] = [
    route("GET POST", r"/editor/instanttranslateapi/translate", _plugin(translate)),
    route("POST", r"/editor/instanttranslateapi/filepretranslate", _plugin(file_pretranslate)),
    route("GET", r"/editor/instanttranslateapi/filelist", _plugin(file_list)),
    route("POST", r"/editor/instanttranslateapi/writetm", _plugin(write_tm)),
]
