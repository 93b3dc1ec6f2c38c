"""InstantTranslate (a translate5 plugin): whether the server has it, text and file pre-translation.

Whether the server offers InstantTranslate is itself asserted and recorded (``record_property``
``instant_translate``): a server without the plugin answers its routes with a 404 HTML page even to
``Accept: application/json`` (part 2 §100-102; InstantTranslate is a private plugin, so a server built from
translate5's public source has none), and the client must say so in one request. The other tests then skip
with one line, as they do where the PM token lacks the ``instantTranslate`` role. ``writetm`` is not called:
it writes into the user's translation memory, which the public API cannot undo.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from contract_support import PAGE, POLL_SECONDS, SOURCE, TARGET, Cleanup, T5Http, content_types, describe
from t5support import eventually

from airflow_provider_translate5.client import Translate5Client, Translate5PluginMissingError
from airflow_provider_translate5.client.plugins import ABSENT, OFFERED, REFUSED

#: Seconds a pre-translation may take (it is an import plus a pre-translation run).
PRETRANSLATE_DEADLINE = 300
FILELIST = "/editor/instanttranslateapi/filelist"
TRANSLATE = "/editor/instanttranslateapi/translate"


def _state(response: requests.Response) -> str:
    """What the file list's answer says: the plugin answers (offered), is unknown to the router (absent: the
    404 page), or refuses this user (a 302 to /login as for other rights, or 401/403)."""
    if response.status_code == 200:
        return OFFERED
    if response.status_code == 404:
        return ABSENT
    if response.status_code in (302, 401, 403):
        return REFUSED
    raise AssertionError(f"an answer the suite does not know: {describe(response)}")


@pytest.fixture(scope="module")
def instant_translate(t5_http: T5Http) -> str:
    return _state(t5_http.get(FILELIST))


@pytest.fixture(scope="module")
def instant(t5_http: T5Http, instant_translate: str) -> T5Http:
    """The raw session, once the server showed that InstantTranslate answers for this token."""
    if instant_translate == ABSENT:
        pytest.skip(
            "this translate5 has no InstantTranslate plugin (asserted by "
            "test_the_server_says_whether_it_has_instant_translate)"
        )
    if instant_translate == REFUSED:
        pytest.skip(
            "InstantTranslate is not available to the PM token (the user lacks the instantTranslate role)"
        )
    return t5_http


def test_the_server_says_whether_it_has_instant_translate(
    t5_http: T5Http,
    instant_translate: str,
    counting_client: tuple[Translate5Client, list[str]],
    record_property: Any,
) -> None:
    record_property("instant_translate", instant_translate)
    client, sent = counting_client
    [offer] = [o for o in client.optional_plugins() if o.name == "InstantTranslate"]
    assert offer.state == instant_translate, offer
    if instant_translate != ABSENT:
        return

    # §100-102: the 404 page, whatever the call, although the client asked for JSON.
    for method, path in (("POST", TRANSLATE), ("GET", FILELIST)):
        page = t5_http.request(
            method, path, data={"text": "Contact us today.", "source": SOURCE, "target": TARGET}
        )
        assert page.status_code == 404, describe(page)
        assert "text/html" in content_types(page), describe(page)
        assert "<html" in page.text.lower(), describe(page)
        with pytest.raises(json.JSONDecodeError):
            json.loads(page.text)
    sent.clear()

    with pytest.raises(Translate5PluginMissingError) as caught:
        client.instant_translate("Contact us today.", source=SOURCE, target=TARGET)

    assert "this translate5 has no InstantTranslate plugin" in str(caught.value)
    assert caught.value.plugin == "InstantTranslate"
    assert [entry for entry in sent if entry.endswith(TRANSLATE)] == [f"POST {TRANSLATE}"]  # no retry


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
        ready = eventually(
            entry,
            lambda current: current is not None and current.status in ("ready", "erroneous"),
            what=f"InstantTranslate pre-translation {task_id}",
            timeout=PRETRANSLATE_DEADLINE,
            interval=POLL_SECONDS,
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
