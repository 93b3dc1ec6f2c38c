"""The status model: one set of rules for what "imported", "workflow ended" and "pre-translated" mean."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_translate5.client import PretranslatedFile, Task
from airflow_provider_translate5.triggers import status


def task(task_id: int, state: str = "open", step: str | None = "translation", **extra: Any) -> Task:
    return Task.from_api(
        {"id": task_id, "taskGuid": f"{{g-{task_id}}}", "taskName": f"T{task_id}", "state": state,
         "workflowStepName": step, "projectId": 10, **extra}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["open", "open"], status.SUCCESS),
        (["unconfirmed", "end"], status.SUCCESS),
        (["open", "import"], status.WAITING),
        (["import", "error"], status.ERROR),
    ],
)
def test_import_is_done_when_no_task_imports_and_fails_on_any_error(states: list[str], expected: str) -> None:
    found = {i: task(i, state) for i, state in enumerate(states, start=1)}
    assert status.evaluate_tasks(status.IMPORTED, list(found), found).status == expected


def test_import_error_quotes_the_servers_last_errors_and_is_terminal() -> None:
    failed = task(3, "error", lastErrors=[{"message": "Unsupported file type .exe"}])
    verdict = status.evaluate_tasks(status.IMPORTED, [3], {3: failed})
    assert verdict.status == status.ERROR
    assert verdict.terminal
    assert "Unsupported file type .exe" in verdict.message
    assert "T3" in verdict.message


def test_a_task_missing_from_the_list_was_deleted() -> None:
    verdict = status.evaluate_tasks(status.WORKFLOW_ENDED, [1, 2], {1: task(1)})
    assert verdict.status == status.ERROR
    assert verdict.terminal
    assert "2 no longer exist" in verdict.message


def test_workflow_ended_needs_every_task_and_accepts_end_state_only_when_asked() -> None:
    found = {1: task(1, step="workflowEnded"), 2: task(2, state="end", step="reviewing")}
    assert status.evaluate_tasks(status.WORKFLOW_ENDED, [1, 2], found).status == status.WAITING
    accepted = status.evaluate_tasks(status.WORKFLOW_ENDED, [1, 2], found, accept_end_state=True)
    assert accepted.status == status.SUCCESS


def test_an_empty_project_is_an_error_not_an_endless_wait() -> None:
    assert status.evaluate_tasks(status.IMPORTED, [], {}).status == status.ERROR


def test_unknown_condition_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown condition"):
        status.evaluate_tasks("exported", [1], {1: task(1)})


def entry(download_url: str, errors: list[str] | None = None) -> PretranslatedFile:
    return PretranslatedFile.from_api(
        {"taskId": 7, "taskName": "page.html", "sourceLang": "en", "targetLang": "de",
         "downloadUrl": download_url, "importProgress": [], "errors": errors or []}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/editor/task/export/id/7?format=filetranslation", status.SUCCESS),
        ("isImporting", status.WAITING),
        ("isErroneous", status.ERROR),
        ("isNotPretranslated", status.ERROR),
    ],
)
def test_pretranslation_verdicts_follow_the_download_url(url: str, expected: str) -> None:
    assert status.evaluate_pretranslation(7, entry(url)).status == expected


def test_pretranslation_failure_quotes_the_entry_errors() -> None:
    verdict = status.evaluate_pretranslation(7, entry("isErroneous", ["No language resource for en-de"]))
    assert "No language resource for en-de" in verdict.message
    assert status.evaluate_pretranslation(7, None).status == status.ERROR


def test_progress_lines_name_step_progress() -> None:
    row = task(
        1,
        step="reviewing",
        workflowProgressSummary=[
            {"workflowStep": "translation", "status": "finished", "progress": 100},
            {"workflowStep": "reviewing", "status": "open", "progress": 25},
        ],
    )
    line = status.describe_task(row)
    assert "workflow step reviewing" in line
    assert "translation finished 100%" in line
    assert "reviewing open 25%" in line
