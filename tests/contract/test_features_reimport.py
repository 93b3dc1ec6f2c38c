"""Contract: reimport of an updated file into an existing task (``FileController``), as recorded.

``translate5-real-transcripts-2.md`` §142-147, §150, §165, §166: the file list; a reimport answers
``{"success": true}`` and runs as an operation (state ``reimport``); it is a TARGET update: a changed source
is never applied, and an empty ``<target/>`` erases the translation the task held; the task's import archive
then holds the reimported file; an unsupported file type is a 422 ``E1430``; a ``fileId`` of another task
is PHP's 500, after which the task is open and unlocked. The simulator passes the same tests.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from contract_support import (
    PAGE,
    POLL_SECONDS,
    SOURCE,
    STATE_DEADLINE,
    TARGET,
    Cleanup,
    T5Http,
    as_recorded,
    describe,
    xliff,
)
from t5support import eventually

from airflow_provider_translate5.client import Translate5Client, Translate5Error

NAME = "about-us.xlf"
TEXTS = ["About us", "We translate websites.", "Contact us today."]
XLIFF_NS = "{urn:oasis:names:tc:xliff:document:1.2}"


def page(sources: list[str], targets: list[str]) -> bytes:
    """The page with these sources and targets (an empty target as ``<target/>``, as a CMS sends it)."""
    head, *rest = xliff(sources, original="about-us").decode().split("<target/>")
    assert len(rest) == len(targets)
    filled = [
        (f"<target>{target}</target>" if target else "<target/>") + tail
        for target, tail in zip(targets, rest, strict=True)
    ]
    return (head + "".join(filled)).encode()


def units_of(document: bytes) -> list[tuple[str, str]]:
    """``(source, target)`` of every trans-unit of an XLIFF 1.2 document (``""`` for an empty target)."""

    def text(element: ET.Element | None) -> str:
        return "".join(element.itertext()) if element is not None else ""

    root = ET.fromstring(document)
    return [
        (text(unit.find(f"{XLIFF_NS}source")), text(unit.find(f"{XLIFF_NS}target")))
        for unit in root.iter(f"{XLIFF_NS}trans-unit")
    ]


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
        [("importUpload", (NAME, PAGE, "application/xliff+xml"))],
        {"taskName": name, "foreignId": name, "sourceLang": SOURCE, "targetLang": TARGET},
    )
    assert response.status_code == 200, response.text[:500]
    cleanup.task(response.json()["rows"]["id"])
    return await_import(response.json()["rows"]["id"])


def file_id(t5_http: T5Http, task_id: int | str) -> str:
    [row] = t5_http.ok("GET", f"/editor/taskid/{task_id}/file")["rows"]
    return str(row["id"])


def reimport(
    t5_http: T5Http, task_id: int | str, data: bytes, name: str = NAME, fid: str | None = None
) -> Any:
    return t5_http.post(
        f"/editor/taskid/{task_id}/file",
        data={"fileId": fid or file_id(t5_http, task_id)},
        files={"fileReimport": (name, data, "application/xliff+xml")},
    )


def archived(t5_http: T5Http, task_id: int | str, response: Any = None) -> bytes:
    """The work file the task's import archive holds (§150: after a reimport, the reimported file)."""
    if response is None:
        response = t5_http.get(f"/editor/task/export/id/{task_id}", params={"format": "importArchive"})
    assert response.status_code == 200, describe(response)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return archive.read(f"workfiles/{NAME}")


def reimported(t5_http: T5Http, task_id: int | str, data: bytes) -> None:
    """Reimport ``data`` and wait until it has run: the task open, unlocked, and its archive holds the file.

    The state alone does not say it: the task reads ``open`` while the reimport is queued (§143).
    """
    response = reimport(t5_http, task_id, data)
    assert response.status_code == 200, describe(response)
    assert response.json() == {"success": True}  # at once; the work runs in the background (§143)

    def done() -> bool:
        row = t5_http.task(task_id)
        if row["state"] != "open" or row.get("lockedInternalSessionUniqId"):
            return False
        response = t5_http.get(f"/editor/task/export/id/{task_id}", params={"format": "importArchive"})
        if response.status_code == 409:  # the queued reimport started meanwhile: no export now
            return False
        return archived(t5_http, task_id, response) == data

    eventually(
        done, what=f"the end of the reimport of task {task_id}", timeout=STATE_DEADLINE, interval=POLL_SECONDS
    )


def exported(t5_http: T5Http, task_id: int | str) -> bytes:
    response = t5_http.get(f"/editor/task/export/id/{task_id}", params={"format": "filetranslation"})
    assert response.status_code == 200, describe(response)
    return bytes(response.content)


def test_task_files_are_listed_as_recorded(
    t5_http: T5Http, t5_client: Translate5Client, xliff_task: dict[str, Any]
) -> None:
    body = t5_http.ok("GET", f"/editor/taskid/{xliff_task['id']}/file")
    [row] = body["rows"]
    assert body["total"] == 1
    assert row["fileName"] == NAME
    assert row["taskGuid"] == xliff_task["taskGuid"]
    as_recorded(row["isReimportable"], "1", "isReimportable")
    assert t5_client.find_task_file(xliff_task["id"], NAME).id == int(row["id"])


def test_reimport_without_file_id_is_refused(t5_http: T5Http, xliff_task: dict[str, Any]) -> None:
    response = t5_http.post(f"/editor/taskid/{xliff_task['id']}/file", files={"fileReimport": (NAME, PAGE)})
    assert response.status_code == 422, response.text[:300]
    assert response.json()["errorCode"] == "E1426"


def test_a_reimported_target_is_applied_and_the_source_kept(
    t5_http: T5Http, xliff_task: dict[str, Any]
) -> None:
    """§146/147: the file's target for unit 3 is the task's target now."""
    reimported(t5_http, xliff_task["id"], page(TEXTS, ["", "", "Kontaktieren Sie uns noch heute."]))

    units = units_of(exported(t5_http, xliff_task["id"]))
    assert [source for source, _ in units] == TEXTS
    assert units[2] == (TEXTS[2], "Kontaktieren Sie uns noch heute.")


def test_a_changed_source_is_never_applied_and_empty_targets_erase_translations(
    t5_http: T5Http, xliff_task: dict[str, Any]
) -> None:
    """§143-145: the page as a CMS sends it (a new source for unit 2, every ``<target/>`` empty) leaves the
    sources as imported and erases the translations the task held."""
    translated = ["Über uns", "Wir übersetzen Webseiten.", "Kontaktieren Sie uns noch heute."]
    reimported(t5_http, xliff_task["id"], page(TEXTS, translated))
    assert [t for _, t in units_of(exported(t5_http, xliff_task["id"]))] == translated

    changed = ["About us", "We translate websites and apps.", TEXTS[2]]
    reimported(t5_http, xliff_task["id"], page(changed, ["", "", ""]))

    assert units_of(exported(t5_http, xliff_task["id"])) == [(text, "") for text in TEXTS]


def test_the_import_archive_holds_the_last_reimported_file(
    t5_http: T5Http, xliff_task: dict[str, Any]
) -> None:
    """§150: the archive holds the upload until a reimport has run, then the reimported file, byte for byte
    (what a retried reimport can check). Queued, the reimport leaves the task ``open`` (§143)."""
    assert archived(t5_http, xliff_task["id"]) == PAGE
    data = page(TEXTS, ["Über uns", "", ""])

    reimported(t5_http, xliff_task["id"], data)

    assert archived(t5_http, xliff_task["id"]) == data


def test_reimport_of_an_unsupported_file_type_is_refused(t5_http: T5Http, xliff_task: dict[str, Any]) -> None:
    """§165: 422 E1430, the message also under ``errorsTranslated.fileReimport``; nothing changes."""
    before = exported(t5_http, xliff_task["id"])
    response = reimport(t5_http, xliff_task["id"], b"Some notes.\n", name="notes.txt")

    assert response.status_code == 422, describe(response)
    body = response.json()
    message = "Reimport DataProvider: This file type is not supported notes.txt"
    assert (body["errorCode"], body["errorMessage"]) == ("E1430", message)
    assert body["errorsTranslated"]["fileReimport"] == [message]
    assert t5_http.task(xliff_task["id"])["state"] == "open"
    assert exported(t5_http, xliff_task["id"]) == before


def test_reimport_with_a_file_id_of_another_task_is_a_500(
    t5_http: T5Http,
    t5_client: Translate5Client,
    xliff_task: dict[str, Any],
    cleanup: Cleanup,
    unique_name: Callable[[str], str],
    await_import: Callable[[int | str], dict[str, Any]],
) -> None:
    """§166: PHP's 500 without errorCode; the task stays open and unlocked. The client takes it as final."""
    name = unique_name("reimport-other")
    cleanup.foreign_id(name)
    other = t5_http.create_task(
        [("importUpload", (NAME, PAGE, "application/xliff+xml"))],
        {"taskName": name, "foreignId": name, "sourceLang": SOURCE, "targetLang": TARGET},
    )
    assert other.status_code == 200, describe(other)
    cleanup.task(other.json()["rows"]["id"])
    other_task = await_import(other.json()["rows"]["id"])
    foreign_file = file_id(t5_http, other_task["id"])

    response = reimport(t5_http, xliff_task["id"], PAGE, fid=foreign_file)

    assert response.status_code == 500, describe(response)
    body = response.json()
    assert body["errorCode"] is None
    assert body["errorMessage"] == 'Attempt to assign property "reimportFile" on null'
    row = t5_http.task(xliff_task["id"])
    assert (row["state"], row.get("lockedInternalSessionUniqId")) == ("open", None)
    with pytest.raises(Translate5Error) as raised:
        t5_client.reimport_file(xliff_task["id"], int(foreign_file), (NAME, io.BytesIO(PAGE)))
    assert raised.value.terminal, raised.value  # the same request fails again: no Airflow retry
