"""Shared helpers for the simulator tests: plain ``requests`` against a fresh simulator per test.

The project's own client is deliberately not used here: these tests pin the simulator to what a real
translate5 answered (the recorded transcripts; "section NN" in a test names the recorded call).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from t5support import eventually

from airflow_provider_translate5.testing import Translate5Simulator

XLIFF = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">\n'
    b'<file original="hello.txt" source-language="en" target-language="de" datatype="plaintext"><body>\n'
    b'<trans-unit id="1"><source>Hello world</source></trans-unit>\n'
    b'<trans-unit id="2"><source>Good <g id="1">morning</g></source><target state="new"/></trans-unit>\n'
    b"</body></file></xliff>\n"
)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


PACKAGE = {"importUpload": ("package.zip", zipped({"workfiles/hello.xlf": XLIFF}), "application/zip")}
"""An import package: the only upload that works with several target languages (section 21)."""

STALE_ENTITY_VERSION = {
    "errorCode": None,
    "httpStatus": 409,
    "errorMessage": "The displayed data was changed in the meantime on the server. Please refresh your view!",
    "message": "Conflict",
    "success": False,
}
"""The answer to a change carrying an outdated entity version (sections 41, 74)."""


@pytest.fixture
def sim() -> Iterator[Translate5Simulator]:
    with Translate5Simulator(import_duration=0.05) as simulator:
        yield simulator


@pytest.fixture
def api(sim: Translate5Simulator) -> Iterator[requests.Session]:
    """A session authenticated like the provider's client: token header, JSON Accept, cookie reuse."""
    with requests.Session() as session:
        session.headers.update({"Accept": "application/json", "Translate5AuthToken": sim.token})
        yield session


def url(sim: Translate5Simulator, path: str) -> str:
    return sim.base_url + path


def create_task(
    sim: Translate5Simulator,
    api: requests.Session,
    *,
    files: Any = None,
    **fields: Any,
) -> dict[str, Any]:
    data = {"taskName": "Demo", "sourceLang": "en", "targetLang": "de", **fields}
    upload = files if files is not None else {"importUpload": ("hello.xlf", XLIFF)}
    response = api.post(url(sim, "/editor/task"), data=data, files=upload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return dict(body["rows"])


def wait_state(
    sim: Translate5Simulator, api: requests.Session, task_id: int, states: tuple[str, ...] = ("open", "error")
) -> dict[str, Any]:
    """Wait until the task is in one of ``states``; returns its row."""
    return eventually(
        lambda: dict(api.get(url(sim, f"/editor/task/{task_id}")).json()["rows"]),
        lambda row: row["state"] in states,
        what=f"task {task_id} to reach state {' or '.join(states)}",
    )
