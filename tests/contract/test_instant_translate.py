"""InstantTranslate (a translate5 plugin): text translation and file pre-translation, raw and by the client.

Skipped with one line where the server has no InstantTranslate or the PM token lacks the
``instantTranslate`` role. ``writetm`` is not called: it writes into the user's translation memory, which the
public API cannot undo.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from contract_support import PAGE, SOURCE, TARGET, Cleanup, T5Http, describe, poll

#: Seconds a pre-translation may take (it is an import plus a pre-translation run).
PRETRANSLATE_DEADLINE = 300


@pytest.fixture(scope="module")
def instant(t5_http: T5Http) -> T5Http:
    """The raw session, once the server showed that InstantTranslate answers for this token."""
    response = t5_http.post(
        "/editor/instanttranslateapi/translate", data={"text": "Hello", "source": SOURCE, "target": TARGET}
    )
    if response.status_code != 200 and _not_offered(response):
        pytest.skip(
            f"InstantTranslate not available to the PM token (HTTP {response.status_code}): plugin not "
            "installed/active or the user lacks the instantTranslate role"
        )
    return t5_http


def _not_offered(response: requests.Response) -> bool:
    """translate5's answers when the plugin or the right is missing (anything else is a failure to report).

    A missing right is a redirect to ``/login`` (how translate5 refuses a controller, recording 51) or a
    401/403 envelope; a plugin that is not installed leaves its controller unknown: 404, or an error naming
    the controller (``Invalid controller specified``).
    """
    return response.status_code in (302, 401, 403, 404) or "controller" in response.text.lower()


def test_text_translation_answers_rows(instant: T5Http, t5_client: Any) -> None:
    response = instant.post(
        "/editor/instanttranslateapi/translate",
        data={"text": "Contact us today.", "source": SOURCE, "target": TARGET},
    )
    assert response.status_code == 200, describe(response)
    assert isinstance(response.json()["rows"], dict)

    answer = t5_client.instant_translate("Contact us today.", source=SOURCE, target=TARGET)
    assert isinstance(answer["rows"], dict)


def test_file_pretranslation_until_download(
    instant: T5Http, t5_client: Any, cleanup: Cleanup, tmp_path: Any
) -> None:
    path = tmp_path / "about.xlf"
    path.write_bytes(PAGE)
    task_id = t5_client.file_pretranslate(path, source=SOURCE, target=TARGET)
    cleanup.task(task_id)
    assert isinstance(task_id, int)

    def entry() -> Any:
        files = t5_client.list_pretranslated_files().files
        return next((f for f in files if f.task_id == task_id), None)

    try:
        ready = poll(
            entry,
            lambda current: current is not None and current.status in ("ready", "erroneous"),
            deadline=PRETRANSLATE_DEADLINE,
            what=f"InstantTranslate pre-translation {task_id}",
        )
    except AssertionError:
        last = entry()
        if last is not None and last.status == "not_pretranslated":
            pytest.skip(f"no language resource pre-translated {SOURCE} -> {TARGET} on this server")
        raise
    assert ready.status == "ready", ready
    assert ready.download_url
    with t5_client.open_download(ready.download_url) as download:
        data = b"".join(download.iter_bytes())
    assert b"<xliff" in data

    raw = instant.ok("GET", "/editor/instanttranslateapi/filelist")
    assert "allPretranslatedFiles" in raw
    assert "dateAsOf" in raw
