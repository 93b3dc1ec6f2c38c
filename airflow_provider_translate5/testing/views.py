"""How a task row looks in each answer: raw DB row (create, callback), list row, single-task view."""

from __future__ import annotations

from typing import Any

from airflow_provider_translate5.testing import catalog
from airflow_provider_translate5.testing.state import Store, Task, User


def raw_row(task: Task) -> dict[str, Any]:
    return dict(task.row)


def _job_extras(store: Store, task: Task, user: User | None) -> dict[str, Any]:
    jobs = store.task_jobs(task)
    extras: dict[str, Any] = {
        "users": [dict(job) for job in jobs],
        "isUsed": bool(task.row["locked"]),
        "lockingUsername": _locking_name(store, task),
        "userTracking": [],
        "taskProgress": _progress(task.row["segmentFinishCount"], task.row["segmentEditableCount"]),
        "userProgress": False,
    }
    mine = next((job for job in jobs if user is not None and job["userGuid"] == user.guid), None)
    if mine is not None:
        extras.update(
            {
                "userRole": mine["role"],
                "userState": mine["state"],
                "userStep": mine["workflowStepName"],
                "userTrackchangesShow": mine["trackchangesShow"],
                "userTrackchangesShowAll": mine["trackchangesShowAll"],
                "userTrackchangesAcceptReject": mine["trackchangesAcceptReject"],
                "userProgress": _progress(mine["segmentFinishCount"], task.row["segmentEditableCount"]),
            }
        )
    return extras


def _progress(done: int, total: int) -> float:
    return round(done / total, 2) if total else 0.0


def _locking_name(store: Store, task: Task) -> str | None:
    locker = store.users.get(task.row["lockingUser"] or "")
    return locker.long_name if locker else None


def _customer_name(task: Task) -> str:
    customer = catalog.find_customer(task.row["customerId"])
    return customer.name if customer else ""


def list_row(store: Store, task: Task, user: User | None, *, heavy: bool) -> dict[str, Any]:
    """A ``GET /editor/task`` row; heavy extras only when the caller paged or filtered (TRANSLATE-3484)."""
    row = {k: v for k, v in task.row.items() if k != "qmSubsegmentFlags"}
    row.update(_job_extras(store, task, user))
    if heavy:
        row.update(
            {
                "hasCriticalErrors": False,
                "lastErrors": [dict(e) for e in task.last_errors] if task.row["state"] == "error" else [],
                "customerName": _customer_name(task),
                "fileCount": sum(1 for f in task.files if f.kind == "workfiles"),
                "isTransfer": False,
                "taskassocs": [],
                "pmMail": f"{store.manager.login}@example.org",
                "qualityErrorCount": 0,
                "qualityHasFaults": False,
                "qualityHasMqm": False,
                "missingsegmentranges": [],
                "notEditContent": False,
            }
        )
    return row


def single_view(store: Store, task: Task, user: User | None) -> dict[str, Any]:
    """``GET /editor/task/ID`` (and PUT/import answers): row + job info + statistics."""
    row = {k: v for k, v in task.row.items() if k != "qmSubsegmentFlags"}
    row.update(_job_extras(store, task, user))
    row.update(
        {
            "missingsegmentranges": [],
            "taskassocs": [],
            "pixelMapping": [],
            "lastErrors": [dict(e) for e in task.last_errors] if task.row["state"] == "error" else [],
            "workflowProgressSummary": store.progress_summary(task),
        }
    )
    return row


def create_row(store: Store, task: Task) -> dict[str, Any]:
    """POST /editor/task answer: raw rows; projectTasks is an OBJECT for one target, a LIST for several."""
    row = raw_row(task)
    if task.is_project:
        row["projectTasks"] = [raw_row(store.tasks[child]) for child in task.children if child in store.tasks]
    else:
        row["projectTasks"] = raw_row(task)
    return row
