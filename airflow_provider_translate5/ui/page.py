"""The translate5 view as HTML: server-rendered, readable without JavaScript, every value escaped.

Airflow shows the page in a sandboxed iframe that may not open windows itself (no ``allow-popups``), so the
one script here opens a link into translate5 from the Airflow page around it (same origin), in a new tab;
unframed, links work as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from airflow_provider_translate5.ui.overview import Assignment, ProjectView, RunView, TaskView

#: Seconds between refreshes of an open page (each refresh is one batched request to translate5).
REFRESH_SECONDS = 60

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem; color: #1a202c; background: #fff; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; } h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
h2 .t5-out { font-size: .85rem; font-weight: normal; margin-left: .5rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: .5rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #e2e8f0; }
th { background: #f7fafc; font-weight: 600; }
.status { padding: .4rem .6rem; border-radius: 4px; background: #ebf8ff; }
.status.problem { background: #fff5f5; color: #9b2c2c; border: 1px solid #feb2b2; }
.bar { width: 8rem; height: .5rem; background: #e2e8f0; border-radius: 3px; overflow: hidden; }
.bar > span { display: block; height: 100%; background: #3182ce; }
.muted { color: #718096; } .overdue { color: #c53030; font-weight: 600; }
ul.jobs { margin: 0; padding-left: 1rem; }
td.name { min-width: 12rem; } td.assigned { min-width: 13rem; }
td.airflow { font-size: .85rem; color: #4a5568; }
"""

_SCRIPT = """
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-top]");
  if (!link || window.top === window) { return; }
  try {
    var top = window.top.document, proxy = top.createElement("a");
    proxy.href = link.href; proxy.target = "_blank"; proxy.rel = "noopener";
    top.body.appendChild(proxy); proxy.click(); proxy.remove();
    event.preventDefault();
  } catch (error) { /* another origin: the link opens inside the frame */ }
});
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _out(url: str | None, text: str) -> str:
    """A link into translate5: a new tab (opened from the Airflow page when framed)."""
    if not url:
        return _e(text)
    return f'<a class="t5-out" href="{_e(url)}" target="_blank" rel="noopener" data-top="open">{_e(text)}</a>'


def _progress(task: TaskView) -> str:
    if not task.live:
        return '<span class="muted">—</span>'
    if task.finished is None or task.total is None:
        return '<span class="muted">not reported</span>'
    percent = task.percent
    bar = "" if percent is None else f'<div class="bar"><span style="width:{percent}%"></span></div>'
    share = "" if percent is None else f" ({percent} %)"
    return f"{task.finished} of {task.total} segments{share}{bar}"


def _job(job: Assignment) -> str:
    parts = [_e(job.user)]
    parts += [_e(value) for value in (job.role, job.workflow_step, job.state) if value]
    if job.deadline:
        due = f"due {_e(job.deadline)}"
        parts.append(f'<span class="overdue">{due} (overdue)</span>' if job.overdue else due)
    return "<li>" + " · ".join(parts) + "</li>"


def _assigned(task: TaskView) -> str:
    if task.assignments is None:
        text = "not in translate5's answer" if task.live else "—"
        return f'<span class="muted">{text}</span>'
    if not task.assignments:
        return "nobody assigned"
    return '<ul class="jobs">' + "".join(_job(job) for job in task.assignments) + "</ul>"


def _state(task: TaskView) -> str:
    if task.missing:
        return (
            '<span class="overdue">not listed by translate5</span> (deleted, or hidden from this connection)'
        )
    if not task.state:
        return '<span class="muted">unknown</span>'
    recorded = "" if task.live else ' <span class="muted">(as recorded)</span>'
    return _e(task.state) + recorded


def _deadline(task: TaskView) -> str:
    if not task.deadline:
        return '<span class="muted">—</span>'
    text = _e(task.deadline)
    return f'<span class="overdue">{text} (overdue)</span>' if task.overdue else text


def _task_row(task: TaskView) -> str:
    name = _out(task.url, task.name or f"task {task.id}")
    cells = [
        f'{name} <span class="muted">#{task.id}</span>',
        _e(task.languages) if task.languages else '<span class="muted">—</span>',
        _state(task),
        _e(task.workflow_step) if task.workflow_step else '<span class="muted">—</span>',
        _progress(task),
        _assigned(task),
        _deadline(task),
        _e(", ".join(task.steps)),
    ]
    classes = ("task", "live" if task.live else "recorded")
    return (
        f'<tr class="{" ".join(classes)}" data-task-id="{task.id}">'
        + "".join(f'<td class="{column}">{cell}</td>' for column, cell in zip(_COLUMNS, cells, strict=True))
        + "</tr>"
    )


_COLUMNS = ("name", "languages", "state", "step", "progress", "assigned", "deadline", "airflow")
_HEADINGS = (
    "Task",
    "Languages",
    "State",
    "Workflow step",
    "Progress",
    "Assigned",
    "Deadline",
    "Airflow task",
)


def _project(project: ProjectView) -> str:
    if project.id is None:
        title = "Tasks of an unknown project"
    else:
        title = f"translate5 project {project.id}"
        if project.url:
            title += " " + _out(project.url, "open in translate5")
    head = "".join(f"<th>{heading}</th>" for heading in _HEADINGS)
    if project.tasks:
        body = "".join(_task_row(task) for task in project.tasks)
    else:
        note = "Its tasks are not recorded in this run."
        body = f'<tr><td colspan="{len(_HEADINGS)}" class="muted">{note}</td></tr>'
    project_id = "" if project.id is None else str(project.id)
    return (
        f'<section class="project" data-project-id="{project_id}"><h2>{title}</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"
    )


def _status(view: RunView) -> str:
    checked = view.checked_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    problems = view.problems
    if problems:
        items = "".join(f"<li>{_e(problem)}</li>" for problem in problems)
        return (
            f'<div class="status problem" role="alert"><ul>{items}</ul>Shown: what this run recorded '
            f"(as of {checked}); the page tries again every minute.</div>"
        )
    servers = ", ".join(sorted({look.base_url for look in view.looks if look.base_url}))
    where = f" ({_e(servers)})" if servers else ""
    return (
        f'<div class="status live">Live from translate5{where} at {checked}; the page refreshes every minute.'
        "</div>"
    )


def _run_body(view: RunView) -> str:
    if not view.steps:
        return '<p class="muted">No task of this run has recorded a translate5 task (yet).</p>'
    return _status(view) + "".join(_project(project) for project in view.projects)


def _document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}<script>{_SCRIPT}</script></body></html>"
    )


def run_page(view: RunView, *, only: str | None = None, whole_run_url: str | None = None) -> str:
    """The view of one DAG run (``only``: the task instance it is filtered to)."""
    heading = f"<h1>translate5 — {_e(view.dag_id)} / {_e(view.run_id)}</h1>"
    if only is not None:
        whole = f' <a href="{_e(whole_run_url)}">Show the whole run</a>' if whole_run_url else ""
        heading += f'<p class="filter">Only task instance <b>{_e(only)}</b>.{whole}</p>'
    return _document(f"translate5 — {view.dag_id}", heading + _run_body(view))


def index_page(views: Sequence[tuple[RunView, str]], limit: int) -> str:
    """Recent runs (with the link to each run's own view) of the DAGs the user may read."""
    heading = (
        "<h1>translate5 — recent DAG runs</h1><p class=muted>The latest runs (at most "
        f"{limit}) that ordered or waited for translate5 tasks, of the DAGs you may read.</p>"
    )
    if not views:
        empty = '<p class="muted">No DAG run has recorded a translate5 task yet.</p>'
        return _document("translate5", heading + empty)
    parts = []
    for view, url in views:
        link = f'<a href="{_e(url)}">{_e(view.dag_id)} / {_e(view.run_id)}</a>'
        parts.append(
            f'<article class="run" data-dag-id="{_e(view.dag_id)}" data-run-id="{_e(view.run_id)}">'
            f"<h2>{link}</h2>{_run_body(view)}</article>"
        )
    return _document("translate5", heading + "".join(parts))
