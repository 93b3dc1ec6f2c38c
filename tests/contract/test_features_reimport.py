"""Contract: reimport of an updated file into an existing task (``FileController``, read from the source).

No recording exists: the routes, fields and states follow ``FileController::postAction`` and
``Task/Reimport`` in translate5's source. The reimported XLIFF carries a target for one trans-unit; the
operation must run (state ``reimport``) and end with the task open and its file still exportable. (Which
targets the export then holds is not checked: the bundled simulator does not model segments.)
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from contract_support import PAGE, SOURCE, TARGET, Cleanup, T5Http

from airflow_provider_translate5.client import Translate5Client

REIMPORT_DEADLINE = 300.0
TRANSLATED = PAGE.replace(
    b"<source>About us</source><target/>", b"<source>About us</source><target>Uber uns</target>"
)


@pytest.fixture
def xliff_task(
    t5_http: T5Http,
    cleanup: Cleanup,
    unique_name: Callable[[str], str],
    await_import: Callable[[int | str], dict[str, Any]],
) -> dict[str, Any]:
    name = unique_name("reimport")
    cleanup.foreign_id(name)
    response = t5_http.create_task(
        [("importUpload", ("about-us.xlf", PAGE, "application/xliff+xml"))],
        {"taskName": name, "foreignId": name, "sourceLang": SOURCE, "targetLang": TARGET},
    )
    assert response.status_code == 200, response.text[:500]
    cleanup.task(response.json()["rows"]["id"])
    return await_import(response.json()["rows"]["id"])


def test_task_files_are_listed(t5_client: Translate5Client, xliff_task: dict[str, Any]) -> None:
    [task_file] = t5_client.list_task_files(xliff_task["id"])
    assert task_file.file_name.endswith("about-us.xlf")
    assert t5_client.find_task_file(xliff_task["id"], "about-us.xlf").id == task_file.id


def test_reimport_without_file_id_is_refused(t5_http: T5Http, xliff_task: dict[str, Any]) -> None:
    response = t5_http.post(
        f"/editor/taskid/{xliff_task['id']}/file", files={"fileReimport": ("about-us.xlf", TRANSLATED)}
    )
    assert response.status_code == 422, response.text[:300]
    assert response.json()["errorCode"] == "E1426"


def test_reimport_runs_as_an_operation(t5_client: Translate5Client, xliff_task: dict[str, Any]) -> None:
    task_id = int(xliff_task["id"])
    task_file = t5_client.find_task_file(task_id, "about-us.xlf")
    t5_client.reimport_file(task_id, task_file.id, ("about-us.xlf", io.BytesIO(TRANSLATED)))
    deadline = time.monotonic() + REIMPORT_DEADLINE
    while (state := t5_client.get_task(task_id).state) == "reimport":
        assert time.monotonic() < deadline, "the reimport did not end"
        time.sleep(1)
    assert state == "open"
    with t5_client.open_export(task_id, format="filetranslation") as download:
        exported = b"".join(download.iter_bytes())
    assert exported.count(b"<trans-unit") == PAGE.count(b"<trans-unit")  # no segment lost or added
