"""InstantTranslate (docs/compatibility.md#instanttranslate)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from t5support import eventually

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import url


def test_translate_text(sim: Translate5Simulator, api: requests.Session) -> None:
    response = api.post(
        url(sim, "/editor/instanttranslateapi/translate"),
        data={"text": "Hello", "source": "en", "target": "de"},
    )
    assert response.status_code == 200
    rows = response.json()["rows"]
    (service,) = rows.values()
    (hits,) = service.values()
    hit = hits[0][0]
    assert hit["target"] == "[de] Hello"
    assert hit["source"] == "Hello"
    assert {"matchrate", "languageResourceid", "languageResourceType", "state", "metaData"} <= set(hit)
    via_get = api.get(
        url(sim, "/editor/instanttranslateapi/translate"),
        params={"text": "Hi", "source": "en", "target": "fr"},
    )
    assert via_get.status_code == 200
    missing = api.post(url(sim, "/editor/instanttranslateapi/translate"), data={"text": "x", "source": "en"})
    assert missing.status_code == 422


def _entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    files = body["allPretranslatedFiles"]
    return list(files.values()) if isinstance(files, dict) else list(files)


def test_file_pretranslate_round_trip(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.set(import_duration=0.2)
    answer = api.post(
        url(sim, "/editor/instanttranslateapi/filepretranslate"),
        data={"source": "en", "target": "de"},
        files={"file": ("notes.txt", b"first line\nsecond line\n")},
    )
    assert answer.status_code == 200
    task_id = answer.json()["taskId"]
    assert isinstance(task_id, str)
    assert task_id.isdigit()
    listing = api.get(url(sim, "/editor/instanttranslateapi/filelist")).json()
    assert set(listing) == {"allPretranslatedFiles", "dateAsOf"}
    assert isinstance(listing["allPretranslatedFiles"], dict)
    entry = listing["allPretranslatedFiles"][task_id]
    assert entry["downloadUrl"] == "isImporting"
    assert entry["importProgress"]["taskGuid"]
    assert {"taskId", "taskName", "sourceLang", "targetLang", "orderDate", "removeDate", "errors"} <= set(
        entry
    )

    entry = eventually(
        lambda: _entries(api.get(url(sim, "/editor/instanttranslateapi/filelist")).json())[0],
        lambda found: found["downloadUrl"] != "isImporting",
        what="the pre-translation to finish",
    )
    assert entry["downloadUrl"] == f"/editor/task/export/id/{task_id}?format=filetranslation"
    assert entry["importProgress"] == []
    download = api.get(url(sim, entry["downloadUrl"]))
    assert download.content == b"[de] first line\n[de] second line\n"
    assert download.headers["Content-Disposition"].endswith("filename=notes_de.txt")
    assert api.get(url(sim, "/editor/task")).json()["total"] == "0"  # hidden from the task list


@pytest.mark.parametrize(
    ("name", "expected"),
    [("x-import-error.txt", "isErroneous"), ("x-not-pretranslated.txt", "isNotPretranslated")],
)
def test_file_pretranslate_test_hooks(
    sim: Translate5Simulator, api: requests.Session, name: str, expected: str
) -> None:
    api.post(
        url(sim, "/editor/instanttranslateapi/filepretranslate"),
        data={"source": "en", "target": "de", "fileName": name, "fileData": "text"},
    )

    entry = eventually(
        lambda: _entries(api.get(url(sim, "/editor/instanttranslateapi/filelist")).json())[0],
        lambda found: found["downloadUrl"] != "isImporting",
        what="the pre-translation to settle",
    )
    assert entry["downloadUrl"] == expected
    assert bool(entry["errors"]) is (expected == "isErroneous")


def test_filelist_as_list_knob(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.set(filelist_as_list=True)
    api.post(
        url(sim, "/editor/instanttranslateapi/filepretranslate"),
        data={"source": "en", "target": "de", "fileName": "a.txt", "fileData": "x"},
    )
    files = api.get(url(sim, "/editor/instanttranslateapi/filelist")).json()["allPretranslatedFiles"]
    assert isinstance(files, list)
    assert files[0]["taskName"] == "a.txt"


def test_write_tm(sim: Translate5Simulator, api: requests.Session) -> None:
    data = {"sourceLanguage": "en", "targetLanguage": "de", "source": "Hello", "target": "Hallo"}
    first = api.post(url(sim, "/editor/instanttranslateapi/writetm"), data={"data": json.dumps(data)})
    assert first.status_code == 200
    created = first.json()["created"]
    assert len(created) == 1  # the one TM of the language pair the segment went into
    again = api.post(url(sim, "/editor/instanttranslateapi/writetm"), data={"data": json.dumps(data)})
    assert again.json()["created"] == created
    other_pair = {**data, "targetLanguage": "fr", "target": "Bonjour"}
    other = api.post(url(sim, "/editor/instanttranslateapi/writetm"), data={"data": json.dumps(other_pair)})
    assert len(other.json()["created"]) == 1
    assert other.json()["created"] != created  # another language pair, another TM
    missing = api.post(url(sim, "/editor/instanttranslateapi/writetm"), data={"data": "{}"})
    assert missing.status_code == 422
