"""How a task row looks in each answer (create, list, single task, PUT) - with the real server's JSON types.

Rows are kept with Python ints; ``shapes.typed`` turns DB columns into the strings the real server sends.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_translate5.status import SIMULATOR_AUTO_FINISH
from airflow_provider_translate5.testing import catalog, shapes
from airflow_provider_translate5.testing.state import SYSTEM_GUID, SYSTEM_USER_NAME, Store, Task, User


def raw_row(task: Task) -> dict[str, Any]:
    """The internal DB row (ints), for the Python test API (``sim.task``)."""
    return dict(task.row)


def task_out(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    row = shapes.typed(row, shapes.TASK_STRING_COLUMNS, store.config.numbers_as_strings)
    if store.config.workflow_auto_finish is not None:  # said so waits do not ask a person to assign users
        row[SIMULATOR_AUTO_FINISH] = True
    return row


def job_out(store: Store, job: dict[str, Any]) -> dict[str, Any]:
    """A job row: id and counters as strings, ``sourceLang``/``targetLang``/``type`` numbers (section 45)."""
    return shapes.typed(job, shapes.JOB_STRING_COLUMNS, store.config.numbers_as_strings)


def user_out(store: Store, user: User) -> dict[str, Any]:
    """A GET /editor/user row (section 43)."""
    row = user.list_row(store.roles(user))
    return shapes.typed(row, shapes.USER_STRING_COLUMNS, store.config.numbers_as_strings)


def _db_row(task: Task) -> dict[str, Any]:
    return {k: v for k, v in task.row.items() if k != "qmSubsegmentFlags"}


def _locking_name(store: Store, task: Task) -> str | None:
    locker = task.row["lockingUser"]
    if locker == SYSTEM_GUID:
        return SYSTEM_USER_NAME
    user = store.users.get(locker or "")
    return user.long_name if user else None


def _segment_fields(store: Store, task: Task) -> list[dict[str, Any]]:
    if task.import_finished is None or task.is_project:
        return []
    fields = []
    for offset, (name, label, rankable, editable) in enumerate(
        (("source", "Source text", 0, 0), ("target", "Target text", 1, 1))
    ):
        row = {
            "id": task.id * 2 + offset,
            "taskGuid": task.guid,
            "name": name,
            "type": name,
            "label": label,
            "rankable": rankable,
            "editable": editable,
            "width": 250,
        }
        fields.append(shapes.typed(row, shapes.SEGMENT_FIELD_STRING_COLUMNS, store.config.numbers_as_strings))
    return fields


def _user_prefs(task: Task) -> list[dict[str, Any]]:
    return [
        {
            "id": None,
            "taskGuid": None,
            "workflow": None,
            "workflowStep": None,
            "anonymousCols": False,
            "visibility": "show",
            "userGuid": None,
            "fields": "source,target" if task.import_finished is not None else "",
            "notEditContent": False,
            "taskUserAssocId": None,
        }
    ]


def _progress(done: int, total: int) -> float | int:
    if not total:
        return 0
    value = round(done / total, 2)
    return int(value) if value in (0, 1) else value


def _my_job(store: Store, task: Task, user: User | None) -> dict[str, Any] | None:
    return next((j for j in store.task_jobs(task) if user is not None and j["userGuid"] == user.guid), None)


def _job_extras(store: Store, task: Task, user: User | None) -> dict[str, Any]:
    extras: dict[str, Any] = {
        "users": [job_out(store, job) for job in store.task_jobs(task)],
        "isUsed": False,
        "lockingUsername": _locking_name(store, task),
        "userTracking": [],
    }
    mine = _my_job(store, task, user)
    if mine is not None:
        extras.update(
            {
                "userRole": mine["role"],
                "userState": mine["state"],
                "userStep": mine["workflowStepName"],
            }
        )
    return extras


def _customer_name(task: Task) -> str:
    customer = catalog.find_customer(task.row["customerId"])
    return customer.name if customer else ""


def list_row(store: Store, task: Task, user: User | None) -> dict[str, Any]:
    """A ``GET /editor/task`` row (section 30): DB row + jobs + list extras."""
    if task.is_project:
        row = _db_row(task)
        row.update(
            {
                "customerName": _customer_name(task),
                "isTransfer": False,
                "logInfo": [],
                "taskProgress": 0,
                "userProgress": False,
            }
        )
        return task_out(store, row)
    row = _db_row(task)
    row.update(_job_extras(store, task, user))
    mine = _my_job(store, task, user)
    row.update(
        {
            "hasCriticalErrors": False,
            "lastErrors": [dict(e) for e in task.last_errors] if task.row["state"] == "error" else [],
            "customerName": _customer_name(task),
            "segmentFields": _segment_fields(store, task),
            "userPrefs": _user_prefs(task),
            "notEditContent": False,
            "defaultSegmentLayout": True,
            "fileCount": sum(1 for f in task.files if f.kind == "workfiles"),
            "isTransfer": False,
            "qualityErrorCount": 0,
            "qualityHasFaults": False,
            "qualityHasMqm": False,
            "missingsegmentranges": [],
            "logInfo": [],
            "taskProgress": _progress(task.row["segmentFinishCount"], task.row["segmentEditableCount"]),
            "userProgress": (
                _progress(mine["segmentFinishCount"], task.row["segmentEditableCount"]) if mine else False
            ),
            "presetId": 1,
            "presetUnitType": "word",
        }
    )
    return task_out(store, row)


def single_view(store: Store, task: Task, user: User | None) -> dict[str, Any]:
    """``GET /editor/task/ID`` (and the import/PUT answers): row + jobs + statistics (sections 11, 15)."""
    row = _db_row(task)
    row.update(_job_extras(store, task, user))
    row.update(
        {
            "segmentFields": _segment_fields(store, task),
            "userPrefs": _user_prefs(task),
            "notEditContent": False,
            "defaultSegmentLayout": True,
            "missingsegmentranges": [],
            "taskassocs": [],
            "pixelMapping": [],
            "lastErrors": [dict(e) for e in task.last_errors] if task.row["state"] == "error" else [],
            "workflowProgressSummary": store.progress_summary(task),
        }
    )
    return task_out(store, row)


def put_answer(store: Store, task: Task, user: User | None) -> dict[str, Any]:
    """PUT /editor/task/ID (sections 42, 53, 67): progress counters on top level, then ``rows``."""
    editable, finished = task.row["segmentEditableCount"], task.row["segmentFinishCount"]
    answer: dict[str, Any] = {
        "taskEditable": editable,
        "taskFinished": finished,
        "taskProgress": _progress(finished, editable),
    }
    mine = _my_job(store, task, user)
    if mine is not None:
        answer.update(
            {
                "userEditable": mine["segmentEditableCount"],
                "userFinished": mine["segmentFinishCount"],
                "userProgress": _progress(mine["segmentFinishCount"], mine["segmentEditableCount"]),
            }
        )
    else:
        answer["userProgress"] = False
    answer["rows"] = single_view(store, task, user)
    return answer


def create_row(store: Store, task: Task) -> dict[str, Any]:
    """POST /editor/task answer (sections 10, 21): the DB row; ``projectTasks`` is an OBJECT for one target
    (a copy whose ``projectId`` is null) and a LIST of the project tasks for several."""
    row = task_out(store, dict(task.row))
    if task.is_project:
        row["projectTasks"] = [
            task_out(store, dict(store.tasks[child].row)) for child in task.children if child in store.tasks
        ]
    else:
        inner = task_out(store, dict(task.row))
        inner["projectId"] = None
        row["projectTasks"] = inner
    return row


#: The simulator's stand-in for translate5's web UI at ``/editor`` (see :func:`editor_page`).
_EDITOR_SCRIPT = """
var match = /^#project\\/(\\d+)(?:\\/(\\d+))?/.exec(location.hash);
if (match) {
  var rows = document.querySelectorAll("tr[data-task-id]"), shown = 0;
  rows.forEach(function (row) {
    var hit = match[2] ? row.dataset.taskId === match[2] : row.dataset.projectId === match[1];
    row.hidden = !hit; if (hit) { shown += 1; }
  });
  var note = document.getElementById("focus");
  var named = match[2] ? "task " + match[2] + " of project " + match[1] : "project " + match[1];
  note.textContent = "The link names " + named + (shown ? "." : ", which this simulator does not have.");
  note.hidden = false; document.getElementById("all").hidden = false;
}
"""


def editor_page(store: Store) -> str:
    """What a link into translate5's UI (``/editor/#project/<project>/<task>/focus``) shows on the simulator.

    translate5's editor is a browser application behind a login; the simulator has none. Its page says so and
    lists the tasks (the one the link names, read from the URL's ``#`` part, which browsers do not send).
    """
    from html import escape

    rows = []
    for task in sorted(store.visible_tasks(), key=lambda t: t.id):
        if task.is_project:
            continue
        row = task.row
        languages = f"{catalog.rfc5646(row['sourceLang'])} → {catalog.rfc5646(row['targetLang'])}"
        cells = (
            task.id,
            row["taskName"],
            languages,
            row["state"],
            row["workflowStepName"],
            row["projectId"],
        )
        rows.append(
            f'<tr data-task-id="{task.id}" data-project-id="{row["projectId"]}">'
            + "".join(f"<td>{escape(str(cell))}</td>" for cell in cells)
            + "</tr>"
        )
    body = "".join(rows) or '<tr><td colspan="6">No tasks yet.</td></tr>'
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>translate5 simulator</title>"
        "<style>body{font:14px system-ui,sans-serif;margin:1.5rem}td,th{padding:.3rem .6rem;"
        "border-bottom:1px solid #ddd;text-align:left}</style></head><body>"
        "<h1>translate5 simulator</h1>"
        "<p>This is the translate5 <b>simulator</b> bundled with airflow-provider-translate5 for demos and "
        "tests, not translate5: it has no editor. A link into translate5's web UI lands here; on a real "
        "translate5 server it opens the task in translate5's project overview.</p>"
        '<p id="focus" hidden></p><p id="all" hidden><a href="/editor/">Show all tasks</a></p>'
        "<table><thead><tr><th>Task</th><th>Name</th><th>Languages</th><th>State</th>"
        f"<th>Workflow step</th><th>Project</th></tr></thead><tbody>{body}</tbody></table>"
        f"<script>{_EDITOR_SCRIPT}</script></body></html>"
    )
