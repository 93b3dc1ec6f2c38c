"""The provider's client against the server: jobs, the workflow trigger, every export format, Excel."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from contract_support import (
    PAGE,
    POLL_SECONDS,
    STATE_DEADLINE,
    UPLOAD_NAME,
    Cleanup,
    T5Http,
    create_owned_client_task,
    describe,
    import_owned_task,
    unique,
    wait_for_state,
    zip_names,
)
from t5support import eventually


def page_file(folder: Path) -> Path:
    """The one-page XLIFF as ``UPLOAD_NAME`` in ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / UPLOAD_NAME).write_bytes(PAGE)
    return folder / UPLOAD_NAME


@pytest.fixture(scope="module")
def exported(
    t5_url: str, t5_token: str, t5_http: T5Http, session_cleanup: Cleanup, tmp_path_factory: Any
) -> Any:
    """A task created by the client and imported: the export tests read it."""
    from airflow_provider_translate5.client import Translate5Client

    with Translate5Client(t5_url, t5_token) as client:
        upload = page_file(tmp_path_factory.mktemp("in"))
        return create_owned_client_task(client, t5_http, session_cleanup, unique("client export ÄÖ"), upload)


def test_client_jobs_trigger_and_workflow_end(
    t5_client: Any,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    tmp_path: Path,
    job_user_guid: str,
    finish_workflow: Callable[[int | str], dict[str, Any]],
) -> None:
    from airflow_provider_translate5.client import Translate5ConflictError, Translate5NotFoundError

    task = owned_client_task(unique_name("client jobs"), page_file(tmp_path))
    assert t5_client.list_jobs(task.id) == []

    job = t5_client.create_job(
        task.id, user_guid=job_user_guid, workflow_step_name="translation", state="open"
    )
    assert isinstance(job.id, int)
    assert job.role == "translator"
    assert [j.id for j in t5_client.list_jobs(task.id)] == [job.id]
    assert t5_client.get_task(task.id).workflow_step_name == "translation"

    answer = t5_client.trigger_workflow(task.id, "notifyAllUsersAboutTaskAssociation")
    assert answer["success"] is True

    with pytest.raises(Translate5ConflictError):
        t5_client.delete_job(task.id, job.id, entity_version=999)
    t5_client.delete_job(task.id, job.id)
    assert t5_client.list_jobs(task.id) == []

    t5_client.create_job(task.id, user_guid=job_user_guid, workflow_step_name="translation", state="open")
    finish_workflow(task.id)
    ended = t5_client.get_task(task.id)
    assert ended.workflow_step_name == "workflowEnded"
    assert ended.state == "open"

    # force=1 needs a right a PM may lack; for an open task the delete works either way
    t5_client.delete_task(task.id, force=True)
    with pytest.raises(Translate5NotFoundError):
        t5_client.get_task(task.id)


def test_client_default_export_is_saved_as_zip(t5_client: Any, exported: Any, tmp_path: Path) -> None:
    path = t5_client.export_task(exported.id, tmp_path)
    assert path.parent == tmp_path
    assert path.name == f"{exported.task_name[:-2]}AO.zip"  # the server's (percent-encoded) name, decoded
    assert zip_names(path.read_bytes()) == [UPLOAD_NAME]


def test_client_filetranslation_keeps_the_utf8_name(t5_client: Any, exported: Any, tmp_path: Path) -> None:
    path = t5_client.export_task(exported.id, tmp_path, format="filetranslation")
    assert path.name == "About us ÄÖ_de.xlf"
    assert b"We translate websites." in path.read_bytes()


@pytest.mark.parametrize(
    ("kwargs", "check"),
    [
        ({"format": "xliff2"}, lambda names, guid: len(names) == 1 and names[0].endswith(".xliff")),
        ({"diff": True}, lambda names, guid: names == [UPLOAD_NAME]),
        ({"taskguiddirectory": True}, lambda names, guid: f"{guid}/{UPLOAD_NAME}" in names),
        ({"format": "importArchive"}, lambda names, guid: any(n.endswith(UPLOAD_NAME) for n in names)),
    ],
    ids=["xliff2", "diff", "taskguiddirectory", "importArchive"],
)
def test_client_zip_exports(
    t5_client: Any,
    exported: Any,
    tmp_path: Path,
    kwargs: dict[str, Any],
    check: Callable[[list[str], str], bool],
) -> None:
    path = t5_client.export_task(exported.id, tmp_path, **kwargs)
    names = zip_names(path.read_bytes())
    assert check(names, exported.task_guid), names


def test_client_reads_the_import_archive_by_its_body(t5_client: Any, exported: Any, tmp_path: Path) -> None:
    """Labelled ``application/json`` and ``application/zip`` (part 2, section 150): saved as the ZIP it is."""
    path = t5_client.export_task(exported.id, tmp_path, format="importArchive")
    assert path.name.endswith(" - ImportArchive.zip")
    assert f"workfiles/{UPLOAD_NAME}" in zip_names(path.read_bytes())


def test_client_reads_the_xml_analysis_report_labelled_json(
    t5_client: Any, t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str]
) -> None:
    """Part 2, section 125: the XML report comes as ``Content-Type: application/json``, twice, with a
    Content-Disposition naming the ``.xml``; the client reads it by its body."""
    from airflow_provider_translate5.client import Translate5NotFoundError

    row = import_owned_task(t5_http, cleanup, unique_name("client report"), file_name="page.xlf")
    guid = str(row["taskGuid"])
    try:
        resources = t5_client.task_language_resources(guid)
    except Translate5NotFoundError:  # also the 404 page of a server without the plugin
        pytest.skip("the MatchAnalysis plugin or language resources are not available on this server")
    if not resources:
        pytest.skip("no language resource fits this task's languages: translate5 would analyse nothing")
    t5_client.assign_language_resources(guid, [resources[0].id])
    t5_client.start_analysis(row["id"])
    eventually(
        lambda: t5_client.get_analysis(guid).analysed,
        what="the analysis",
        timeout=STATE_DEADLINE,
        interval=POLL_SECONDS,
    )

    params = {"taskGuid": guid, "type": "exportXml", "unitType": "word"}
    raw = t5_http.get("/editor/plugins_matchanalysis_matchanalysis/export", params=params)
    assert raw.status_code == 200, describe(raw)
    assert raw.raw.headers.getlist("Content-Type") == ["application/json", "application/json"]
    assert raw.content.lstrip().startswith(b"<?xml")

    with t5_client.open_analysis_report(guid) as report:
        body = b"".join(report.iter_bytes())
    assert report.filename.startswith("Match-Analysis - ")
    assert report.filename.endswith(".xml")
    assert body.lstrip().startswith(b"<?xml")
    assert b"<batchTotal>" in body


def test_client_refuses_an_unknown_format_before_any_request(
    t5_client: Any, exported: Any, tmp_path: Path
) -> None:
    from airflow_provider_translate5.client import Translate5ValueError

    with pytest.raises(Translate5ValueError, match="doesnotexist"):
        t5_client.export_task(exported.id, tmp_path, format="doesnotexist")
    assert list(tmp_path.iterdir()) == []


def test_client_excel_export_reimport_and_history(
    t5_client: Any,
    t5_http: T5Http,
    cleanup: Cleanup,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
    tmp_path: Path,
) -> None:
    from airflow_provider_translate5.client import Translate5ConflictError

    task = owned_client_task(unique_name("client excel"), page_file(tmp_path / "in"))
    (tmp_path / "out").mkdir()
    with t5_client.open_excel_export(task.id) as download:
        workbook = download.save(tmp_path / "out")
    cleanup.excel_file(task.id, workbook.read_bytes())
    assert workbook.suffix == ".xlsx"
    assert zipfile.is_zipfile(workbook)
    assert t5_client.get_task(task.id).state == "ExcelExported"

    with pytest.raises(Translate5ConflictError) as refused:
        t5_client.delete_task(task.id)
    assert refused.value.error_code == "E1046"
    # translate5 ignores a state change of a locked task (or refuses it): never reported as done
    with pytest.raises(Translate5ConflictError):
        t5_client.end_task(task.id)
    assert t5_client.get_task(task.id).state == "ExcelExported"

    t5_client.excel_reimport(task.id, workbook)
    wait_for_state(t5_http, task.id, lambda row: row["state"] == "open", "Excel re-import")

    (tmp_path / "history").mkdir()
    history = t5_client.export_task(task.id, tmp_path / "history", format="excelhistory")
    assert zipfile.is_zipfile(history)  # an xlsx
    t5_client.delete_task(task.id)


def test_client_with_an_editor_token_gets_no_job_endpoints(
    t5_url: str, t5_user_token: str, t5_user_http: T5Http, imported_task: dict[str, Any]
) -> None:
    """A plain editor is redirected to /login; the client reports a permission error, never follows."""
    from airflow_provider_translate5.client import Translate5Client, Translate5PermissionError

    if {"pm", "admin", "systemadmin"} & set(t5_user_http.current_user()["roles"]):
        pytest.skip("TRANSLATE5_CONTRACT_USER_TOKEN belongs to a PM/admin: it may use the job endpoints")
    with Translate5Client(t5_url, t5_user_token) as editor:
        with pytest.raises(Translate5PermissionError) as denied:
            editor.list_jobs(imported_task["id"])
    assert denied.value.terminal
