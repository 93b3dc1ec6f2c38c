"""Task resource: list, get, create (multipart), update, delete, import start and progress."""

from __future__ import annotations

import re
import time
from typing import Any

from airflow_provider_translate5.testing import catalog, filters, shapes, uploads, views
from airflow_provider_translate5.testing.protocol import REQUIRED_MSG, ApiError, Response, empty_response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import DEFAULT_USERS, Task, blank_row, lock_for

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
USAGE_MODES = ("competitive", "cooperative", "simultaneous")
PUT_STATES = ("open", "end", "unconfirmed", "error")
EDITABLE_FIELDS = (
    "taskName",
    "taskNr",
    "description",
    "foreignId",
    "foreignName",
    "foreignState",
    "orderdate",
    "deadlineDate",
    "wordCount",
    "edit100PercentMatch",
    "lockLocked",
    "enableSourceEditing",
    "usageMode",
)
FOREIGN_ID_MAX = 120
TASK_NAME_MAX = 255
FLAG_FIELDS = ("edit100PercentMatch", "lockLocked", "enableSourceEditing")
EXPORT_LOCKED_STATES = ("ExcelExported", "PackageExport", "reimport")
TASK_FIELDS = frozenset(k for k in blank_row(0, DEFAULT_USERS[0]) if k != "qmSubsegmentFlags")


def php_bool(value: Any) -> bool:
    """PHP's (bool) cast of a request string: only "" and "0" are false ("false" is TRUE)."""
    if isinstance(value, bool):
        return value
    return str(value) not in ("", "0")


def _flag(value: Any) -> int | None:
    text = str(value).strip().lower()
    if text in ("1", "true", "on"):
        return 1
    if text in ("0", "false", "off", ""):
        return 0
    return None


def _valid_date(value: str) -> bool:
    try:
        time.strptime(value, DATE_FORMAT)
    except ValueError:
        return False
    return True


def _validate_fields(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Zend validator rules of editor_Models_Validator_Task for the fields the simulator stores."""
    errors: list[tuple[str, str]] = []
    if "taskName" in values and not str(values["taskName"]).strip():
        errors.append(("taskName", REQUIRED_MSG))
    for name in FLAG_FIELDS:
        if name in values and _flag(values[name]) is None:
            errors.append((name, f"'{values[name]}' is not a valid boolean value"))
    if "wordCount" in values and not str(values["wordCount"]).strip().isdigit():
        errors.append(("wordCount", f"'{values['wordCount']}' does not appear to be an integer"))
    if "usageMode" in values and values["usageMode"] not in USAGE_MODES:
        errors.append(("usageMode", f"'{values['usageMode']}' was not found in the haystack"))
    for name in ("orderdate", "deadlineDate"):
        if values.get(name) and not _valid_date(str(values[name])):
            errors.append((name, f"'{values[name]}' does not fit the date format '{DATE_FORMAT}'"))
    for name, limit in (("foreignId", FOREIGN_ID_MAX), ("taskName", TASK_NAME_MAX)):
        if len(str(values.get(name) or "")) > limit:  # editor_Models_Validator_Task: StringLength
            errors.append((name, f"The input is more than {limit} characters long"))
    return errors


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    result = dict(values)
    for name in FLAG_FIELDS:
        if name in result:
            result[name] = _flag(result[name])
    if "wordCount" in result:
        result["wordCount"] = int(str(result["wordCount"]).strip())
    if "deadlineDate" in result and not result["deadlineDate"]:
        result["deadlineDate"] = None
    return result


# ----- read ----------------------------------------------------------------------------------------------
def languages(ctx: Ctx, _: re.Match[str]) -> Response:
    strings = ctx.config.numbers_as_strings
    rows = [shapes.typed(r, shapes.LANGUAGE_STRING_COLUMNS, strings) for r in catalog.language_rows()]
    return ctx.json({"rows": rows, "total": len(rows)})


def _int_param(ctx: Ctx, name: str) -> int:
    value = ctx.req.param(name) or "0"
    return int(value) if value.lstrip("-").isdigit() else 0


def task_list(ctx: Ctx, match: re.Match[str]) -> Response:
    """GET /editor/task (sections 30-35): ``total`` is a STRING here; project rows only with projectsOnly."""
    with ctx.store.lock:  # a consistent snapshot while other requests create or delete tasks
        return _task_list(ctx)


def _task_list(ctx: Ctx) -> Response:
    store, req = ctx.store, ctx.req
    limit = _int_param(ctx, "limit")
    projects_only = req.param("projectsOnly") in ("1", "true")
    wanted = ("project", "default") if projects_only else None
    candidates = [
        t
        for t in store.visible_tasks()
        if (t.row["taskType"] in wanted if wanted else t.row["taskType"] != "project")
    ]
    rules = filters.parse_filters(req.param("filter"), TASK_FIELDS)
    candidates = filters.preselect(candidates, rules, lambda t: t.row)
    rows = [views.list_row(store, t, ctx.user) for t in sorted(candidates, key=lambda t: t.id)]
    rows = [r for r in rows if filters.matches(r, rules, lambda row: list(row.get("users", [])))]
    rows = filters.apply_sort(rows, req.param("sort"), TASK_FIELDS)
    total = len(rows)
    start = max(_int_param(ctx, "start"), 0)
    rows = rows[start : start + limit] if limit > 0 else rows[start:]
    return ctx.json({"total": shapes.total(total, ctx.config.numbers_as_strings), "rows": rows})


def task_get(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        task = ctx.task_or_404(match.group(1))
        return ctx.json({"rows": views.single_view(ctx.store, task, ctx.user)})


# ----- create --------------------------------------------------------------------------------------------
APP_ROOT = "/var/www/translate5"
MISSING_LANGUAGE = (
    "MittagQI\\Translate5\\Language\\LanguageResolver::resolveLanguage(): Argument #1 ($identifier) must be "
    "of type string|int, null given, called in {root}/application/modules/editor/Models/Languages.php on "
    "line 61"
)
NO_UPLOAD_TRANSLATED = (
    "There were no uploaded work files found, or the uploaded files are exceeding the maximum allowed size."
)


def _bad_language(kind: str, code: str, german: str) -> ApiError:
    """E1032/E1033: the message names the RESOLVED value "0", not the code sent (section 40)."""
    return ApiError.coded(
        422,
        code,
        f'The passed {kind} language "0" is not valid.',
        translated={f"{kind}Lang": [f'Die übergebene {german} "0" ist ungültig!']},
    )


def _resolve_languages(ctx: Ctx) -> tuple[int, list[int], int]:
    req = ctx.req
    if req.param("sourceLang") is None:  # a PHP TypeError, not a validation error (section 38)
        raise ApiError.coded(500, None, MISSING_LANGUAGE.format(root=APP_ROOT))
    source = catalog.resolve_language(req.param("sourceLang"))
    if not source:
        raise _bad_language("source", "E1032", "Quellsprache")
    targets = []
    for value in req.param_list("targetLang"):
        target = catalog.resolve_language(value)
        if not target:
            raise _bad_language("target", "E1033", "Zielsprache")
        if target not in targets:
            targets.append(target)
    relais = catalog.resolve_language(req.param("relaisLang")) if req.param("relaisLang") else 0
    return source, targets, relais


def _stub_without_upload(ctx: Ctx, source: int, targets: list[int]) -> ApiError:
    """Section 39/39a: the task row is saved BEFORE the upload is checked, so a create without a file
    answers 422 E1026 and leaves a task behind: state import, no lock, no project, entityVersion 0."""
    with ctx.store.lock:
        ctx.store.new_task(
            {
                "taskName": (ctx.req.param("taskName") or "").strip(),
                "foreignId": ctx.req.param("foreignId") or "",
                "sourceLang": source,
                "targetLang": targets[0] if len(targets) == 1 else 0,
                "entityVersion": 0,
                "workflowStepName": "",
                "projectId": None,
            },
            ctx.me,
        )
    return ApiError.coded(
        422,
        "E1026",
        "422 Unprocessable Entity on FileUpload",
        errors={"importUpload": ["fileUploadErrorIniSize"]},
        translated={"importUpload": [NO_UPLOAD_TRANSLATED]},
    )


def task_create(ctx: Ctx, _: re.Match[str]) -> Response:
    req, store = ctx.req, ctx.store
    has_files = bool(req.files)
    source, targets, relais = _resolve_languages(ctx)
    errors: list[tuple[str, str]] = []
    if not (req.param("taskName") or "").strip():
        errors.append(("taskName", REQUIRED_MSG))
    if not targets:
        errors.append(("targetLang", REQUIRED_MSG))
    workflow = req.param("workflow") or "default"
    if workflow not in catalog.WORKFLOWS:
        errors.append(("workflow", f'The workflow "{workflow}" does not exist.'))
    values = {name: req.param(name) for name in EDITABLE_FIELDS if req.param(name) is not None}
    values.pop("foreignState", None)
    errors += _validate_fields({k: v for k, v in values.items() if k != "taskName" or str(v).strip()})
    if errors:
        raise ApiError.validation(errors, with_status=has_files)
    customer = catalog.find_customer(req.param("customerId") or 1)
    if customer is None:
        message = "The referenced customer does not exist (anymore)."
        raise ApiError.coded(422, "E1064", message, errors={"customerId": [message]})
    upload_list = req.upload_list("importUpload")
    if not upload_list:
        raise _stub_without_upload(ctx, source, targets)
    if len(targets) > 1 and len(upload_list) == 1 and catalog.extension(upload_list[0].filename) != "zip":
        # Section 20: translate5 moves the one upload once per project task; the second move fails. The
        # rows are rolled back but their ids are used up (the next task got id +3 for two targets).
        with store.lock:
            store.reserve_ids(1 + len(targets))
        raise ApiError.coded(500, None, "Cannot refresh row as parent is missing")

    with store.lock:
        pending = store.new_task({}, ctx.me)  # reserves the id for the file folder
    files_dir = store.task_dir(pending.id) / "import"
    languages = [catalog.resolve_language(v) or None for v in req.form.get("importUpload_language[]", [])]
    try:
        imported = uploads.collect(upload_list, req.form.get("importUpload_type[]", []), languages, files_dir)
        if relais and not imported.has("pivot"):
            message = "A pivot language was given, but the import contains no pivot (relais) files."
            raise ApiError.coded(422, "E1034", message, errors={"relaisLang": [message]})
        by_language = [f.language for f in imported.files if f.kind == "workfiles" and f.language]
        if by_language and any(t not in by_language for t in targets):
            raise ApiError.coded(409, "E1369", "No work files for one of the target languages were given.")
    except ApiError:
        with store.lock:
            store.delete_task(pending)
            store.deleted.discard(pending.id)
        raise

    common = _normalise(values)
    common.update(
        {
            "taskName": (req.param("taskName") or "").strip(),
            "workflow": workflow,
            "customerId": customer.id,
            "sourceLang": source,
            "relaisLang": relais,
            "referenceFiles": int(imported.has("reference")),
        }
    )
    auto_start = req.param("autoStartImport")
    start_now = auto_start is None or php_bool(auto_start)
    with store.lock:
        task = pending
        if len(targets) == 1:
            _configure(task, common, targets[0], imported)
            task.row.update(taskType="default", projectId=task.id)
            if start_now:
                store.start_import(task)
        else:
            task.row.update(common)
            task.row.update(
                taskType="project", state="project", targetLang=0, projectId=task.id, workflowStepName=""
            )
            for target in targets:
                child = store.new_task({}, ctx.me)
                name = f"{common['taskName']} - {catalog.rfc5646(source)} / {catalog.rfc5646(target)}"
                _configure(child, {**common, "taskName": name}, target, imported)
                child.row.update(taskType="projectTask", projectId=task.id)
                task.children.append(child.id)
                if start_now:
                    store.start_import(child)
        payload = {"success": True, "rows": views.create_row(store, task)}
    return ctx.json(payload)


def _configure(task: Task, common: dict[str, Any], target: int, imported: uploads.ImportFiles) -> None:
    """A task to import: state ``import`` with the internal import lock, even before /import (section 10)."""
    task.row.update(common)
    task.row.update(targetLang=target, state="import")
    lock_for(task.row, "import")
    task.files = [f for f in imported.files if f.language in (None, target)]
    task.fail_import = imported.fail_import


# ----- update / delete / import ----------------------------------------------------------------------------
def _existing(ctx: Ctx, task_id: str) -> Task:
    task = ctx.store.task(task_id)
    if task is None:
        if task_id.isdigit() and int(task_id) in ctx.store.deleted:
            raise ApiError.coded(409, "E1774", "The task was deleted in the meantime.")
        raise ApiError.not_found("Task", task_id)
    return task


def task_put(ctx: Ctx, match: re.Match[str]) -> Response:
    store = ctx.store
    data = ctx.req.data()
    with store.lock:
        task = _existing(ctx, match.group(1))
        if task.is_project:
            raise ApiError.coded(409, "E1284", "Projects can not be edited or opened.")
        has_state = "state" in data or "userState" in data
        version = data.get("entityVersion")
        if not has_state and version is not None and str(version) != str(task.row["entityVersion"]):
            raise ApiError.version_conflict()
        values = {k: data[k] for k in EDITABLE_FIELDS if k in data}
        errors = _validate_fields(values)
        if "state" in data and data["state"] not in PUT_STATES:
            errors.append(("state", f"'{data['state']}' was not found in the haystack"))
        if errors:
            raise ApiError.validation(errors)
        task.row.update(_normalise(values))
        if "state" in data:
            _change_state(ctx, task, str(data["state"]))
        if "userState" in data:
            _change_user_state(ctx, task, str(data["userState"]))
        store.touch(task)
        return ctx.json(views.put_answer(store, task, ctx.user))


def _change_state(ctx: Ctx, task: Task, wanted: str) -> None:
    row, current = task.row, task.row["state"]
    if current == "import":
        if wanted == "error":  # cancel the import
            row["state"] = "error"
            row["locked"] = row["lockingUser"] = row["lockedInternalSessionUniqId"] = None
            ctx.store.add_error(task, "The import was cancelled by the user.", "E1386")
        return  # anything else is silently dropped while importing
    if current in EXPORT_LOCKED_STATES or wanted == "error" or wanted == current:
        return  # silently dropped in special export states (TaskController::checkTaskStateTransition)
    if wanted == "end" and current in ("open", "unconfirmed"):
        if row["locked"] and row["lockingUser"] != ctx.me.guid:
            raise ApiError.coded(409, "E1161", "The task is currently in use by another user.")
        row["state"], row["enddate"] = "end", time.strftime(DATE_FORMAT)
    elif wanted == "open" and current in ("end", "unconfirmed"):
        row["state"], row["enddate"] = "open", None
    elif wanted == "unconfirmed" and current == "open":
        row["state"] = "unconfirmed"


def _change_user_state(ctx: Ctx, task: Task, wanted: str) -> None:
    """How the editor UI opens, leaves and finishes the caller's own job (section 53)."""
    store, me = ctx.store, ctx.me
    if wanted not in ("edit", "view", "open", "finished"):
        raise ApiError.validation([("userState", f"'{wanted}' was not found in the haystack")])
    job = next((j for j in store.task_jobs(task) if j["userGuid"] == me.guid), None)
    if wanted == "edit":
        if task.row["locked"] and task.row["lockingUser"] != me.guid:
            raise ApiError.coded(409, "E1161", "The task is currently in use by another user.")
        task.row["locked"], task.row["lockingUser"] = time.strftime(DATE_FORMAT), me.guid
    elif task.row["lockingUser"] == me.guid:
        task.row["locked"] = task.row["lockingUser"] = None
    if job is None:
        return
    job["state"] = wanted
    if wanted == "finished":
        job["segmentFinishCount"] = job["segmentEditableCount"]
        store.job_finished(task, job)


STATE_FORBIDS_DELETE = "The current task status does not allow that action."
STATE_FORBIDS_DELETE_TRANSLATED = "The current status of the task prohibits this action!"


def task_delete(ctx: Ctx, match: re.Match[str]) -> Response:
    """DELETE (sections 82-85, 39b): 200 with an EMPTY body; ``force=1`` counts only with the
    taskForceDelete right (knob ``force_delete_right``); importing tasks and projects always go."""
    store = ctx.store
    with store.lock:
        task = ctx.task_or_404(match.group(1))
        force = php_bool(ctx.req.param("force") or "") and ctx.config.force_delete_right
        always = task.is_project or task.importing or task.row["state"] == "error"
        if not (always or force):
            if task.export_running or task.row["state"] in EXPORT_LOCKED_STATES:
                raise ApiError.coded(
                    409, "E1046", STATE_FORBIDS_DELETE, translated=[[STATE_FORBIDS_DELETE_TRANSLATED]]
                )
            if task.row["locked"]:
                raise ApiError.coded(409, "E1042", "The task is in use and can not be deleted.")
        store.delete_task(task)
    return empty_response()


def task_import(ctx: Ctx, match: re.Match[str]) -> Response:
    store = ctx.store
    with store.lock:
        task = ctx.task_or_404(match.group(1))
        store.start_import(task)
        return ctx.json({"rows": views.single_view(store, task, ctx.user)})


def import_progress(ctx: Ctx, _: re.Match[str]) -> Response:
    guid = ctx.req.param("taskGuid")
    if not guid:
        message = "The taskGuid is missing."
        raise ApiError.coded(422, "E1339", message, errors={"taskGuid": [message]})
    with ctx.store.lock:
        task = ctx.store.task(guid)
        progress = ctx.store.import_progress(task) if task is not None else None
    return ctx.json({"progress": progress if progress is not None else []})


ROUTES: list[Route] = [
    route("GET", r"/editor/language", languages),
    route("GET", r"/editor/task/importprogress", import_progress),
    route("GET", r"/editor/task", task_list),
    route("POST", r"/editor/task", task_create),
    route(None, r"/editor/task/(\d+)/import", task_import),
    route("GET", r"/editor/task/(\d+)", task_get),
    route("PUT", r"/editor/task/(\d+)", task_put),
    route("DELETE", r"/editor/task/(\d+)", task_delete),
]
