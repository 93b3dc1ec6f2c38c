"""Every public call of the project's client against the simulator (no mocks): the two must agree."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from t5support import eventually

from airflow_provider_translate5.client import (
    Filter,
    RetryPolicy,
    Sort,
    Task,
    Translate5AuthError,
    Translate5Client,
    Translate5ConflictError,
    Translate5ConnectionError,
    Translate5MaintenanceError,
    Translate5NotFoundError,
    Translate5ValidationError,
    Translate5ValueError,
    UploadFile,
)
from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import XLIFF

REVIEWER = "{00000000-0000-4000-8000-000000000003}"
FAST_RETRY = RetryPolicy(max_attempts=4, backoff=0.0, jitter=False, max_retry_after=0.0)


@pytest.fixture
def client(sim: Translate5Simulator) -> Iterator[Translate5Client]:
    with Translate5Client(sim.base_url, sim.token, retry=FAST_RETRY) as t5:
        yield t5


def _upload(name: str = "hello.xlf", data: bytes = XLIFF) -> UploadFile:
    return UploadFile(name, io.BytesIO(data))


def _imported(client: Translate5Client, task_id: int) -> Task:
    return eventually(
        lambda: client.get_task(task_id), lambda t: t.state != "import", what=f"task {task_id} to import"
    )


def test_auth_and_languages(sim: Translate5Simulator, client: Translate5Client) -> None:
    assert client.whoami()["state"] == "authenticated"
    assert client.server_version
    languages = client.list_languages()
    assert any(lang.rfc5646 == "de-DE" for lang in languages)
    assert client.resolve_language("lcid-1031").rfc5646 == "de-DE"
    assert (
        client.resolve_language("en-GB").id
        == client.resolve_language(str(client.resolve_language("en-GB").id)).id
    )
    with pytest.raises(Translate5ValueError):
        client.resolve_language("xx-YY")
    with pytest.raises(Translate5AuthError):
        Translate5Client(sim.base_url, "not-a-token")
    before = len([r for r in sim.requests if r.path == "/editor/session/current"])
    client.whoami()
    assert len([r for r in sim.requests if r.path == "/editor/session/current"]) == before + 1
    assert len(sim.store.sessions) == 1  # the zfExtended cookie is reused, no session per request


def test_session_login_mode(sim: Translate5Simulator) -> None:
    with Translate5Client(sim.base_url, sim.token, login="manager", retry=FAST_RETRY) as t5:
        t5.login()
        assert t5.list_tasks().total == 0
        sim.faults.expire_sessions()
        assert t5.list_tasks().total == 0  # re-login once on 401
        t5.logout()


def test_single_task_lifecycle(sim: Translate5Simulator, client: Translate5Client, tmp_path: Path) -> None:
    task = client.create_task(
        _upload(),
        task_name="Page",
        source_lang="en",
        target_lang="de",
        foreign_id="cms-1",
        foreign_name="cms",
    )
    assert [t.id for t in task.project_tasks] == [task.id]
    progress = client.get_import_progress(task.task_guid)
    assert progress is not None  # a started import reports its workers (sections 14, 16)
    assert 1 <= progress.progress <= 100
    task = _imported(client, task.id)
    assert task.state == "open"
    done = client.get_import_progress(task.task_guid)
    assert done is not None  # section 16: the finished import stays readable
    assert done.progress == 100
    assert client.project_tasks(task.id)[0].id == task.id
    assert [t.id for t in client.find_tasks_by_foreign_id("cms-1")] == [task.id]

    renamed = client.rename_task(task.id, "Page 2", entity_version=task.entity_version)
    assert renamed.task_name == "Page 2"
    with pytest.raises(Translate5ConflictError):
        client.rename_task(task.id, "Page 3", entity_version=task.entity_version)
    updated = client.update_task(task.id, {"description": "d"})
    assert updated.raw["description"] == "d"
    assert client.end_task(task.id).state == "end"
    assert client.reopen_task(task.id).state == "open"

    job = client.create_job(task.id, user_guid=REVIEWER, workflow_step_name="reviewing")
    assert job.role == "reviewer"
    assert [j.id for j in client.list_jobs(task.id)] == [job.id]
    client.delete_job(task.id, job.id)
    assert client.list_jobs(task.id) == []
    assert client.trigger_workflow(task.id, "notifyAllUsersAboutTaskAssociation")["success"] is True
    with pytest.raises(Translate5ValidationError):
        client.trigger_workflow(task.id, "nope")

    path = client.export_task(task.id, tmp_path)
    assert path.name == "Page 2.zip"
    assert "[de] Hello world" in zipfile.ZipFile(path).read("hello.xlf").decode()
    with client.open_export(task.id, format="filetranslation") as download:
        assert download.filename == "hello_de.xlf"
        assert b"[de] Hello world" in b"".join(download.iter_bytes())
    diff = client.export_task(task.id, tmp_path / "diff.zip", diff=True, taskguiddirectory=True)
    assert zipfile.ZipFile(diff).namelist() == [f"{task.task_guid}/", f"{task.task_guid}/hello.xlf"]

    with client.open_excel_export(task.id) as download:
        workbook = b"".join(download.iter_bytes())
    assert client.get_task(task.id).state == "ExcelExported"
    assert client.excel_reimport(task.id, UploadFile("back.xlsx", io.BytesIO(workbook)))["success"] is True

    client.delete_task(task.id)
    with pytest.raises(Translate5NotFoundError):
        client.get_task(task.id)


def test_multi_target_project_paging_and_filters(client: Translate5Client) -> None:
    project = client.create_task(
        [_upload("a.txt", b"one\ntwo\n")],
        task_name="Launch",
        source_lang="en",
        target_lang=["de", "fr-FR"],
        foreign_id="cms-2",
        auto_start_import=False,
    )
    assert project.is_project
    assert len(project.task_ids) == 2
    # not started: no import worker is queued or running (a started import reports its workers at once)
    for task in client.project_tasks(project.id):
        assert task.state == "import"
        assert client.get_import_progress(task.task_guid) is None
    client.start_import(project.id)
    for task_id in project.task_ids:
        assert _imported(client, task_id).state == "open"
    found = client.find_tasks_by_foreign_id("cms-2")
    assert found[0].id == project.id
    page = client.list_tasks(limit=1, sort=[Sort.desc("id")])
    assert page.total == 2
    assert page.rows[0].id == max(project.task_ids)
    assert sorted(t.id for t in client.iter_tasks(page_size=1)) == sorted(project.task_ids)
    like = client.list_tasks(filters=[Filter.like("taskName", "fr-FR")])
    assert [t.target_lang for t in like.rows] == [client.resolve_language("fr-FR").id]
    assert client.list_tasks(projects_only=True).rows[0].id == project.id
    client.delete_task(project.id)
    assert client.list_tasks().total == 0


def test_cancel_import_and_workflow_progress(sim: Translate5Simulator, client: Translate5Client) -> None:
    sim.set(import_duration=5)
    task = client.create_task(_upload(), task_name="Slow", source_lang="en", target_lang="de")
    assert client.cancel_import(task.id).state == "error"
    sim.set(import_duration=0.02)
    other = client.create_task(_upload(), task_name="Fast", source_lang="en", target_lang="de")
    _imported(client, other.id)
    sim.finish_workflow(other.id)
    done = client.get_task(other.id)
    assert done.workflow_step_name == "workflowEnded"
    assert "finished" in {s.status for s in done.workflow_progress_summary}


def test_import_error_surfaces_last_errors(client: Translate5Client) -> None:
    task = client.create_task(
        _upload("x-import-error.xlf"), task_name="Bad", source_lang="en", target_lang="de"
    )
    failed = _imported(client, task.id)
    assert failed.state == "error"
    assert failed.last_errors


def test_instant_translate_round_trip(client: Translate5Client, tmp_path: Path) -> None:
    rows = client.instant_translate("Hello", source="en", target="de")["rows"]
    assert "[de] Hello" in str(rows)
    task_id = client.file_pretranslate(_upload("notes.txt", b"line\n"), source="en", target="de")
    ready = eventually(
        lambda: client.list_pretranslated_files().get(task_id),
        lambda f: f is not None and f.status == "ready",
        what=f"pre-translated file {task_id} to be ready",
    )
    assert ready.download_url
    with client.open_download(ready.download_url) as download:
        assert download.filename == "notes_de.txt"
        assert b"".join(download.iter_bytes()) == b"[de] line\n"
    assert client.write_tm(source_language="en", target_language="de", source="a", target="b")


def test_filelist_as_list_is_understood(sim: Translate5Simulator, client: Translate5Client) -> None:
    sim.set(filelist_as_list=True)
    task_id = client.file_pretranslate(_upload("n.txt", b"x\n"), source="en", target="de")
    assert client.list_pretranslated_files().get(task_id) is not None


@pytest.mark.parametrize("translate5_simulator", [{"numbers_as_strings": True}], indirect=True)
def test_numbers_as_strings_are_understood(translate5_simulator: Translate5Simulator) -> None:
    sim = translate5_simulator
    with Translate5Client(sim.base_url, sim.token, retry=FAST_RETRY) as t5:
        task = t5.create_task(_upload(), task_name="S", source_lang="en", target_lang="de")
        assert isinstance(task.id, int)
        assert isinstance(t5.get_task(task.id).entity_version, int)


def test_retry_on_maintenance_pages_and_5xx(
    sim: Translate5Simulator, client: Translate5Client, caplog: pytest.LogCaptureFixture
) -> None:
    sim.faults.maintenance(2, path="/editor/task")
    with caplog.at_level(logging.INFO, logger="airflow_provider_translate5.client"):
        assert client.list_tasks().total == 0
    assert sim.requests.count("GET", "/editor/task") == 3
    said = [r.getMessage() for r in caplog.records if r.name.startswith("airflow_provider_translate5.client")]
    assert [m.split(";")[0] for m in said] == ["translate5 GET /editor/task: HTTP 503"] * 2  # each retry said
    sim.faults.maintenance(10, path="/editor/task")
    with pytest.raises(Translate5MaintenanceError):
        client.list_tasks()
    sim.faults.clear()
    sim.faults.fail_next(1, status=502)
    sim.faults.rate_limit(1, retry_after=0)
    assert client.list_languages()


def test_create_is_not_blindly_retried_after_a_lost_response(
    sim: Translate5Simulator, client: Translate5Client
) -> None:
    sim.faults.lose_response(path="/editor/task")
    with pytest.raises(Translate5ConnectionError):
        client.create_task(_upload(), task_name="Once", source_lang="en", target_lang="de", foreign_id="once")
    assert sim.requests.count("POST", "/editor/task") == 1
    assert len(client.find_tasks_by_foreign_id("once")) == 1


def test_export_conflict_is_waited_out(
    sim: Translate5Simulator, client: Translate5Client, tmp_path: Path
) -> None:
    task = client.create_task(_upload(), task_name="E", source_lang="en", target_lang="de")
    _imported(client, task.id)
    sim.faults.export_running(2)
    assert client.export_task(task.id, tmp_path).exists()
    assert sim.requests.count("GET", f"/editor/task/export/id/{task.id}") == 3
