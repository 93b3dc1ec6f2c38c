"""The status model: one set of rules for what "imported", "workflow ended", "idle" and "pre-translated" mean.

Rows are shaped like the real server's (ids and counters as JSON strings, transcript sections 11, 15, 32, 48).
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_translate5 import status
from airflow_provider_translate5.client import PretranslatedFile, Task


def task(task_id: int, state: str = "open", step: str | None = "translation", **extra: Any) -> Task:
    return Task.from_api(
        {"id": str(task_id), "taskGuid": f"{{g-{task_id}}}", "taskName": f"T{task_id}", "state": state,
         "workflowStepName": step, "projectId": "10", "taskType": "projectTask", **extra}
    )  # fmt: skip


def verdict(condition: str, *tasks: Task, **kwargs: Any) -> status.Verdict:
    return status.evaluate_tasks(condition, [t.id for t in tasks], {t.id: t for t in tasks}, **kwargs)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["open", "open"], "success"),
        (["unconfirmed", "end"], "success"),
        (["open", "import"], "waiting"),
        (["open", "preparation"], "waiting"),
        (["import", "error"], "error"),
    ],
)
def test_import_is_done_when_no_task_imports_and_fails_on_any_error(states: list[str], expected: str) -> None:
    tasks = [task(i, state) for i, state in enumerate(states, start=1)]
    assert verdict(status.IMPORTED, *tasks).status == expected


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ("matchanalysis", "matchanalysis running"),
        ("autoqa", "autoqa running"),
        ("pivotpretranslation", "pivotpretranslation running"),
        ("tagterms", "tagterms running"),
        ("visualexchange", "visualexchange running"),
        ("reimport", "reimport running"),
        ("ExcelExported", "locked by an Excel export"),
        ("preparation", "importing (preparation)"),
    ],
)
@pytest.mark.parametrize("condition", [status.IMPORTED, status.WORKFLOW_ENDED, status.IDLE])
def test_busy_tasks_are_neither_done_nor_failed_and_the_wait_says_what_runs(
    condition: str, state: str, says: str
) -> None:
    busy = task(7, state, step="workflowEnded")
    result = verdict(condition, task(6, "open", step="workflowEnded"), busy)
    assert result.status == "waiting"
    assert f"7 ({says}" in result.message
    assert "6 (" not in result.message  # the settled task is not listed as pending


def test_an_unknown_state_is_waited_on_and_named_not_taken_for_success() -> None:
    odd = task(3, "postprocessing")
    assert verdict(status.IMPORTED, odd).status == "waiting"
    notice = status.notice(status.IMPORTED, odd)
    assert notice is not None
    assert "'postprocessing'" in notice


def test_import_error_quotes_the_servers_last_errors_and_is_terminal() -> None:
    failed = task(3, "error", lastErrors=[{"message": "Unsupported file type .exe"}])
    result = verdict(status.IMPORTED, failed)
    assert result.status == "error"
    assert result.terminal
    assert "Unsupported file type .exe" in result.message
    assert "T3" in result.message


def test_a_task_missing_from_the_list_was_deleted() -> None:
    result = status.evaluate_tasks(status.WORKFLOW_ENDED, [1, 2], {1: task(1)})
    assert result.status == "error"
    assert result.terminal
    assert "translate5 task 2 no longer exist" in result.message


def test_a_project_row_is_refused_with_the_way_out() -> None:
    # transcript section 24: a project row (its state says nothing about its tasks)
    project = Task.from_api(
        {"id": "68", "taskName": "Bundle", "state": "project", "taskType": "project", "projectId": "68",
         "workflowStepName": ""}
    )  # fmt: skip
    result = verdict(status.IMPORTED, project)
    assert result.status == "error"
    assert "68 names a project" in result.message
    assert "task_ids" in result.message


def test_workflow_ended_needs_every_task_and_accepts_end_state_only_when_asked() -> None:
    done, ended_early = task(1, step="workflowEnded"), task(2, state="end", step="reviewing")
    waiting = verdict(status.WORKFLOW_ENDED, done, ended_early)
    assert waiting.status == "waiting"
    assert "2 (workflow step reviewing)" in waiting.message
    assert verdict(status.WORKFLOW_ENDED, done, ended_early, accept_end_state=True).status == "success"


def test_workflow_ended_waits_for_a_reimport_even_after_the_last_step() -> None:
    reimporting = task(1, state="reimport", step="workflowEnded")
    assert verdict(status.WORKFLOW_ENDED, reimporting).status == "waiting"
    assert verdict(status.WORKFLOW_ENDED, task(1, step="workflowEnded")).status == "success"


def test_a_task_without_users_is_waiting_with_a_notice_not_failed() -> None:
    # transcript section 15: imported, nobody assigned; section 48: the first job moves it to "translation"
    lonely = task(64, "open", step="no workflow", userCount="0", users=[])
    result = verdict(status.WORKFLOW_ENDED, lonely)
    assert result.status == "waiting"
    assert "64 (no users assigned)" in result.message
    notice = status.notice(status.WORKFLOW_ENDED, lonely)
    assert notice is not None
    assert "has no users assigned" in notice
    assert "'no workflow'" in notice
    assert status.notice(status.WORKFLOW_ENDED, task(64, step="translation")) is None
    # waiting for the import of such a task is not held up by it
    assert verdict(status.IMPORTED, lonely).status == "success"
    assert status.notice(status.IMPORTED, lonely) is None


def test_idle_is_reached_once_no_operation_runs() -> None:
    assert verdict(status.IDLE, task(1, "matchanalysis"), task(2)).status == "waiting"
    assert verdict(status.IDLE, task(1, "open"), task(2, "end")).status == "success"
    assert verdict(status.IDLE, task(1, "error")).status == "error"


def test_an_empty_project_is_an_error_not_an_endless_wait() -> None:
    assert status.evaluate_tasks(status.IMPORTED, [], {}).status == "error"


def test_unknown_condition_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown condition 'exported'"):
        status.evaluate_tasks("exported", [1], {1: task(1)})


def entry(download_url: str, errors: list[str] | None = None) -> PretranslatedFile:
    return PretranslatedFile.from_api(
        {"taskId": 7, "taskName": "page.html", "sourceLang": "en", "targetLang": "de",
         "downloadUrl": download_url, "importProgress": [], "errors": errors or []}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/editor/task/export/id/7?format=filetranslation", "success"),
        ("isImporting", "waiting"),
        ("isErroneous", "error"),
        ("isNotPretranslated", "error"),
    ],
)
def test_pretranslation_verdicts_follow_the_download_url(url: str, expected: str) -> None:
    assert status.evaluate_pretranslation(7, entry(url)).status == expected


def test_pretranslation_failure_quotes_the_entry_errors() -> None:
    result = status.evaluate_pretranslation(7, entry("isErroneous", ["No language resource for en-de"]))
    assert "No language resource for en-de" in result.message
    assert status.evaluate_pretranslation(7, None).status == "error"


def test_progress_lines_name_step_progress_and_what_runs() -> None:
    row = task(
        1,
        state="autoqa",
        step="reviewing",
        workflowProgressSummary=[
            {"workflowStep": "translation", "status": "finished", "progress": 100},
            {"workflowStep": "reviewing", "status": "open", "progress": 25},
        ],
    )
    line = status.describe_task(row)
    assert "autoqa running" in line
    assert "workflow step reviewing" in line
    assert "translation finished 100%" in line
    assert "reviewing open 25%" in line
