"""Jobs (task-user associations) and the workflow trigger action.

Job endpoints need PM rights: other users get translate5's ACL answer, 302 to ``/login`` (sections 51, 52).
A job created without ``state`` is ``waiting`` (translate5's default, ``NewUserJobDtoFactory``) and moves the
workflow nowhere: a task at "no workflow" stays there, without a notice (part 2, §138); a job created
``open`` (sections 45, 70) or opened later (part 2, §140) moves the step. A job change that moves the task's
workflow step adds a German notice to the answer (sections 45, 75; a PUT: part 2, §140). A deadline is stored
without a zone: ``2027-01-16T09:30:00Z`` becomes ``2027-01-16 09:30:00`` (part 2, §141).
"""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_translate5.testing import catalog, views
from airflow_provider_translate5.testing.protocol import ApiError, Response, empty_response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Task, step_notice

JOB_STATES = ("waiting", "open", "edit", "view", "finished", "auto-finish", "unconfirmed")
ENTITY_VERSION_HEADER = "Mqi-Entity-Version"
#: A date and time to the second; what follows (``Z``, an offset) is cut off, as translate5's DB does (§141).
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})")


def _stored_date(value: Any) -> Any:
    """A date as translate5 stores it: ``T`` and any zone dropped, never converted (§141)."""
    match = _DATETIME.match(value) if isinstance(value, str) else None
    return f"{match.group(1)} {match.group(2)}" if match else value


def _check_version(ctx: Ctx, task: Task, data: dict[str, Any]) -> None:
    """Job PUT and DELETE honour the task's entityVersion (header or data); job POST ignores it."""
    sent = ctx.req.header(ENTITY_VERSION_HEADER)
    if sent is None and data.get("entityVersion") is not None:
        sent = str(data["entityVersion"])
    if sent is not None and sent.strip() != str(task.row["entityVersion"]):
        raise ApiError.version_conflict()


def _job_error(message: str, field: str | None = None) -> ApiError:
    errors = {field: [message]} if field else None
    return ApiError.coded(422, "E1012", message, errors=errors)


def _task(ctx: Ctx, ref: str) -> Task:
    task = ctx.store.task(ref)
    if task is None:
        raise ApiError.not_found("Task", ref)
    return task


def job_list(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        task = _task(ctx, match.group(1))
        rows = [views.job_out(ctx.store, job) for job in ctx.store.task_jobs(task)]
    return ctx.json({"rows": rows, "total": len(rows)})


def _with_notice(payload: dict[str, Any], step: str | None) -> dict[str, Any]:
    if step is not None:
        payload["errors"] = [step_notice(step)]
    return payload


def _create(ctx: Ctx, task: Task, data: dict[str, Any]) -> Response:
    store = ctx.store
    user_guid, step = data.get("userGuid"), data.get("workflowStepName")
    if not user_guid:
        raise _job_error("The userGuid is missing.", "userGuid")
    if not step:
        raise _job_error("The workflowStepName is missing.", "workflowStepName")
    user = store.users.get(str(user_guid))
    if user is None:
        raise _job_error(f"The user {user_guid} does not exist.", "userGuid")
    if task.is_project:
        raise _job_error("Jobs can not be assigned to a project, only to its tasks.", "taskGuid")
    if catalog.step_role(task.row["workflow"], str(step)) is None:
        raise _job_error(f'The workflow step "{step}" does not exist in workflow "{task.row["workflow"]}".')
    if data.get("state") and data["state"] not in JOB_STATES:
        raise _job_error(f'The job state "{data["state"]}" is invalid.', "state")
    if str(data.get("type", 1)) not in ("1", "2"):
        raise _job_error(f'The job type "{data["type"]}" is invalid.', "type")
    if any(j["userGuid"] == user.guid and j["workflowStepName"] == step for j in store.task_jobs(task)):
        raise _job_error("The user already has a job in this workflow step of the task.")
    job = store.new_job(
        task, user, str(step), {**data, "deadlineDate": _stored_date(data.get("deadlineDate"))}
    )
    moved = store.recalculate_step_by_jobs(task)  # a waiting job (the default) moves nothing (§138)
    return ctx.json(_with_notice({"rows": views.job_out(store, job)}, moved))


def job_create(ctx: Ctx, match: re.Match[str]) -> Response:
    # NewUserJobDtoFactory reads the `data` field directly: plain form fields are NOT used here.
    data = ctx.req.data()
    with ctx.store.lock:
        return _create(ctx, _task(ctx, match.group(1)), data)


def _job_of(ctx: Ctx, task: Task | None, job_id: str) -> tuple[Task, dict[str, Any]]:
    job = ctx.store.jobs.get(int(job_id))
    if job is None or (task is not None and job["taskGuid"] != task.guid):
        raise ApiError.not_found("TaskUserAssoc", job_id)
    owner = ctx.store.task(job["taskGuid"])
    if owner is None:
        raise ApiError.not_found("Task", job["taskGuid"])
    return owner, job


def _update(ctx: Ctx, task: Task, job: dict[str, Any]) -> Response:
    data = ctx.req.data()
    _check_version(ctx, task, data)
    if "state" in data and data["state"] not in JOB_STATES:
        raise _job_error(f'The job state "{data["state"]}" is invalid.', "state")
    for key in ("state", "deadlineDate", "segmentrange", "assignmentDate"):
        if key in data:
            job[key] = _stored_date(data[key])
    if "workflowStepName" in data:
        job["workflowStepName"] = data["workflowStepName"]
        job["role"] = catalog.step_role(task.row["workflow"], str(data["workflowStepName"])) or job["role"]
    moved = None
    if data.get("state") == "finished":  # the workflow moves on, without a notice (section 71)
        job["finishedDate"] = None
        ctx.store.job_finished(task, job)
    else:  # e.g. a waiting job opened: the notice when the step moves (part 2, §140)
        moved = ctx.store.recalculate_step_by_jobs(task)
    ctx.store.touch(task)
    return ctx.json(_with_notice({"rows": views.job_out(ctx.store, job)}, moved))


def job_put(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        task, job = _job_of(ctx, _task(ctx, match.group(1)), match.group(2))
        return _update(ctx, task, job)


def _delete(ctx: Ctx, task: Task, job: dict[str, Any]) -> Response:
    _check_version(ctx, task, {})
    if job["state"] == "edit" and ctx.req.param("force") is None:
        raise ApiError.coded(
            409, "E1061", "The job can not be removed, the user is editing the task right now."
        )
    moved = ctx.store.delete_job(task, job)
    if moved is None:
        return empty_response()  # not recorded: the recorded delete moved the step (section 75)
    return ctx.json(_with_notice({}, moved))


def job_delete(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        task, job = _job_of(ctx, _task(ctx, match.group(1)), match.group(2))
        return _delete(ctx, task, job)


# ----- legacy /editor/taskuserassoc ---------------------------------------------------------------------
def legacy_list(ctx: Ctx, _: re.Match[str]) -> Response:
    with ctx.store.lock:
        rows = [views.job_out(ctx.store, job) for job in ctx.store.jobs.values()]
    return ctx.json({"rows": rows, "total": len(rows)})


def legacy_create(ctx: Ctx, _: re.Match[str]) -> Response:
    data = ctx.req.data()
    with ctx.store.lock:
        task = ctx.store.task(str(data.get("taskGuid") or ""))
        if task is None:
            raise _job_error("The task does not exist.", "taskGuid")
        return _create(ctx, task, data)


def legacy_put(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        task, job = _job_of(ctx, None, match.group(1))
        return _update(ctx, task, job)


def legacy_delete(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        task, job = _job_of(ctx, None, match.group(1))
        return _delete(ctx, task, job)


# ----- workflow trigger ---------------------------------------------------------------------------------
def trigger(ctx: Ctx, match: re.Match[str]) -> Response:
    if ctx.req.method != "POST":
        raise ApiError.coded(500, None, "The workflow action can only be triggered via POST.")
    with ctx.store.lock:
        _task(ctx, match.group(1))
    name = ctx.req.param("trigger") or str(ctx.req.data().get("trigger") or "")
    if name not in catalog.VALID_TRIGGERS:
        raise ApiError.validation(
            [("trigger", f'The given trigger "{name}" is not valid.')],
            extra={"validTrigger": list(catalog.VALID_TRIGGERS)},
        )
    return ctx.json({"trigger": name, "success": True})


ROUTES: list[Route] = [
    route("GET", r"/editor/task/([^/]+)/job", job_list, pm_only=True),
    route("POST", r"/editor/task/([^/]+)/job", job_create, pm_only=True),
    route("PUT", r"/editor/task/(\d+)/job/(\d+)", job_put, pm_only=True),
    route("DELETE", r"/editor/task/(\d+)/job/(\d+)", job_delete, pm_only=True),
    route("GET", r"/editor/taskuserassoc", legacy_list, pm_only=True),
    route("POST", r"/editor/taskuserassoc", legacy_create, pm_only=True),
    route("PUT", r"/editor/taskuserassoc/(\d+)", legacy_put, pm_only=True),
    route("DELETE", r"/editor/taskuserassoc/(\d+)", legacy_delete, pm_only=True),
    route(None, r"/editor/task/(\d+)/workflow", trigger),
]
