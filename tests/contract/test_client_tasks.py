"""The provider's client against the server: creating, finding, changing and deleting tasks.

The raw tests (test_api_*) pin what the server answers; these prove the client turns exactly those answers
into what its users get (ints for ids, one task per target, typed errors).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from contract_support import (
    PAGE,
    SECOND_PAGE,
    SECOND_TARGET,
    SOURCE,
    TARGET,
    Cleanup,
    T5Http,
    as_recorded,
    import_package,
    wait_for_import,
)


@pytest.fixture
def files(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def test_client_creates_a_task_and_starts_its_import(
    t5_client: Any, t5_http: T5Http, cleanup: Cleanup, files: Callable[[str, bytes], Path]
) -> None:
    name = cleanup.owned_name("client single ÄÖ")
    task = t5_client.create_task(
        files("About us ÄÖ.xlf", PAGE),
        task_name=name,
        source_lang=SOURCE,
        target_lang=TARGET,
        foreign_id=name,
        foreign_name="CMS page",
        description="by the contract suite",
        auto_start_import=False,
    )
    cleanup.task(task.id)
    assert isinstance(task.id, int)
    assert task.task_name == name
    assert task.foreign_id == name
    assert task.state == "import"
    assert [t.id for t in task.project_tasks] == [task.id]

    started = t5_client.start_import(task.id)
    assert started.id == task.id
    progress = t5_client.get_import_progress(task.task_guid)
    assert progress is None or 0 <= progress.progress <= 100

    wait_for_import(t5_http, task.id)
    imported = t5_client.get_task(task.id)
    assert imported.state == "open"
    assert imported.segment_count == 3
    assert imported.workflow_step_name == "no workflow"
    done = t5_client.get_import_progress(task.task_guid)
    assert done is None or done.progress == 100

    assert [found.id for found in t5_client.find_tasks_by_foreign_id(name)] == [task.id]


def test_client_uploads_several_files_into_one_task(
    t5_client: Any,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    files: Callable[[str, bytes], Path],
) -> None:
    task = owned_client_task(
        unique_name("client two files"), [files("about.xlf", PAGE), files("products.xlf", SECOND_PAGE)]
    )
    assert t5_client.get_task(task.id).segment_count == 5


@pytest.mark.parametrize("languages", [[TARGET, TARGET], None], ids=["with-languages", "types-only"])
def test_client_sends_file_types_with_their_languages(
    t5_http: T5Http,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    files: Callable[[str, bytes], Path],
    languages: list[str] | None,
) -> None:
    """translate5 ignores file types sent without file languages: the client must send both."""
    task = owned_client_task(
        unique_name("client reference"),
        [files("about.xlf", PAGE), files("styleguide.xlf", SECOND_PAGE)],
        file_types=["workfiles", "reference"],
        file_languages=languages,
        wait=False,
    )
    row = wait_for_import(t5_http, task.id)
    as_recorded(row["segmentCount"], "3", "segmentCount")  # the reference file is not translated
    as_recorded(row["referenceFiles"], "1", "referenceFiles")


def test_client_sends_every_documented_field(
    t5_http: T5Http,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    files: Callable[[str, bytes], Path],
    imported_task: dict[str, Any],
) -> None:
    task = owned_client_task(
        unique_name("client fields"),
        files("about.xlf", PAGE),
        foreign_name="Foreign",
        customer_id=imported_task["customerId"],
        description="Every field",
        task_nr="T-0815",
        workflow="default",
        auto_start_import=True,
        edit_100_percent_match=True,
        lock_locked=True,
        usage_mode="competitive",
        order_date="2026-12-01 00:00:00",
        deadline_date="2027-01-15 12:00:00",
        wait=False,
    )
    row = wait_for_import(t5_http, task.id)
    assert row["foreignName"] == "Foreign"
    assert row["customerId"] == imported_task["customerId"]
    assert row["description"] == "Every field"
    assert row["taskNr"] == "T-0815"
    assert row["workflow"] == "default"
    as_recorded(row["edit100PercentMatch"], "1", "edit100PercentMatch")
    as_recorded(row["lockLocked"], "1", "lockLocked")
    assert row["usageMode"] == "competitive"
    assert row["orderdate"] == "2026-12-01 00:00:00"
    assert row["deadlineDate"] == "2027-01-15 12:00:00"


def test_client_one_plain_file_for_two_targets_gives_one_task_per_target(
    t5_client: Any,
    t5_http: T5Http,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    files: Callable[[str, bytes], Path],
) -> None:
    """A raw upload like this answers 500 (test_api_tasks); the client must make it work."""
    name = unique_name("client multi target")
    task = owned_client_task(name, files("about.xlf", PAGE), target_lang=[TARGET, SECOND_TARGET], wait=False)
    assert task.is_project
    assert len(task.project_tasks) == 2
    languages = {lang.id: lang.rfc5646 for lang in t5_client.list_languages()}
    assert {languages[t.target_lang] for t in task.project_tasks} == {TARGET, SECOND_TARGET}
    wait_for_import(t5_http, task.id)
    for project_task in t5_client.project_tasks(task.id):
        assert project_task.state == "open"
        assert project_task.segment_count == 3
    # the idempotency lookup finds the one top-level entry of the upload: the project
    assert [t.id for t in t5_client.find_tasks_by_foreign_id(name)] == [task.id]


def test_client_zip_package_for_two_targets(
    t5_client: Any,
    t5_http: T5Http,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    files: Callable[[str, bytes], Path],
) -> None:
    package = files("bundle.zip", import_package({"about.xlf": PAGE, "products.xlf": SECOND_PAGE}))
    task = owned_client_task(
        unique_name("client package"), package, target_lang=[TARGET, SECOND_TARGET], wait=False
    )
    assert task.is_project
    wait_for_import(t5_http, task.id)
    tasks = t5_client.project_tasks(task.id)
    assert sorted(t.id for t in tasks) == sorted(t.id for t in task.project_tasks)
    assert all(t.segment_count == 5 for t in tasks)


def test_client_lists_filters_sorts_and_pages(t5_client: Any, imported_task: dict[str, Any]) -> None:
    from airflow_provider_translate5.client import Filter, Sort

    task_id = int(imported_task["id"])
    [found] = t5_client.list_tasks(filters=[Filter.eq("foreignId", imported_task["foreignId"])]).rows
    assert found.id == task_id
    page = t5_client.list_tasks(filters=[Filter.in_("id", [task_id])], sort=[Sort.desc("id")], limit=1)
    assert page.total == 1
    assert [t.id for t in page.rows] == [task_id]

    newest = t5_client.list_tasks(sort=[Sort.desc("id")], start=0, limit=2)
    assert len(newest.rows) <= 2
    assert newest.total >= len(newest.rows)
    assert [t.id for t in newest.rows] == sorted((t.id for t in newest.rows), reverse=True)
    # iter_tasks walks every page once
    ids = [t.id for t in t5_client.iter_tasks(filters=[Filter.in_("id", [task_id])], page_size=1)]
    assert ids == [task_id]

    projects = t5_client.list_tasks(
        filters=[Filter.eq("foreignId", imported_task["foreignId"])], projects_only=True
    )
    assert [t.id for t in projects.rows] == [task_id]  # a single task is its own project


def test_client_rename_with_stale_version_conflicts(
    t5_client: Any,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    files: Callable[[str, bytes], Path],
) -> None:
    from airflow_provider_translate5.client import Translate5ConflictError

    name = unique_name("client rename")
    task = owned_client_task(name, files("p.xlf", PAGE))
    current = t5_client.get_task(task.id)
    with pytest.raises(Translate5ConflictError) as conflict:
        t5_client.rename_task(task.id, f"{name} X", entity_version=current.entity_version - 1)
    assert not conflict.value.terminal
    renamed = t5_client.rename_task(task.id, f"{name} X", entity_version=current.entity_version)
    assert renamed.task_name == f"{name} X"
    assert t5_client.get_task(task.id).task_name == f"{name} X"

    assert t5_client.end_task(task.id).state == "end"
    assert t5_client.get_task(task.id).state == "end"
    assert t5_client.reopen_task(task.id).state == "open"
    assert t5_client.get_task(task.id).state == "open"

    t5_client.delete_task(task.id)
    from airflow_provider_translate5.client import Translate5NotFoundError

    with pytest.raises(Translate5NotFoundError) as missing:
        t5_client.get_task(task.id)
    assert missing.value.terminal


def test_client_errors_are_classified(
    t5_client: Any, t5_url: str, tmp_path: Path, cleanup: Cleanup, unique_name: Callable[[str], str]
) -> None:
    from airflow_provider_translate5.client import (
        Translate5AuthError,
        Translate5Client,
        Translate5Error,
        Translate5NotFoundError,
    )

    with pytest.raises(Translate5NotFoundError) as missing:
        t5_client.get_task(99999999)
    assert missing.value.terminal
    assert missing.value.status == 404

    with Translate5Client(t5_url, "1:" + "x" * 36) as stranger:  # well-formed, unknown to the server
        with pytest.raises(Translate5AuthError) as denied:
            stranger.whoami()
    assert denied.value.terminal
    assert denied.value.status == 401

    (tmp_path / "p.xlf").write_bytes(PAGE)
    name = unique_name("client bad language")
    cleanup.task_name(name)  # should a create get through after all, its stub is found and deleted
    with pytest.raises(Translate5Error) as invalid:
        t5_client.create_task(tmp_path / "p.xlf", task_name=name, source_lang=SOURCE, target_lang="xx")
    assert invalid.value.terminal


def test_ending_a_task_that_is_still_importing_is_not_reported_as_done(
    t5_client: Any,
    t5_http: T5Http,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    files: Callable[[str, bytes], Path],
) -> None:
    """translate5 ignores a state change during the import (or refuses it); the client must not claim it."""
    from airflow_provider_translate5.client import Translate5ConflictError

    task = owned_client_task(
        unique_name("client end while importing"),
        files("about.xlf", PAGE),
        auto_start_import=False,  # stays in state import until /import
        wait=False,
    )
    raw = t5_http.put_task(task.id, {"state": "end"})
    assert raw.status_code in (200, 409), raw.text[:300]
    assert t5_http.task(task.id)["state"] == "import"
    with pytest.raises(Translate5ConflictError):
        t5_client.end_task(task.id)
    assert t5_client.get_task(task.id).state == "import"


def test_client_reference_file_for_two_targets(
    t5_client: Any,
    t5_http: T5Http,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    files: Callable[[str, bytes], Path],
) -> None:
    """Several targets and a reference file: the package the client builds keeps the file a reference."""
    task = owned_client_task(
        unique_name("client reference two targets"),
        [files("about.xlf", PAGE), files("styleguide.xlf", SECOND_PAGE)],
        target_lang=[TARGET, SECOND_TARGET],
        file_types=["workfiles", "reference"],
    )
    tasks = t5_client.project_tasks(task.id)
    assert len(tasks) == 2
    for project_task in tasks:
        assert project_task.segment_count == 3  # only the work file is translated
        as_recorded(t5_http.task(project_task.id)["referenceFiles"], "1", "referenceFiles")
