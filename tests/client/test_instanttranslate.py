"""InstantTranslate: text translation, file pre-translation, file list, TM writes."""

from __future__ import annotations

import io
import json
import re

import pytest

from airflow_provider_translate5.client import (
    Translate5PluginMissingError,
    Translate5ResponseError,
    Translate5ValueError,
)

FILE_LIST_AS_DICT = {
    "allPretranslatedFiles": {
        "2237": {
            "taskName": "Apache short-en-de.html",
            "sourceLang": "en",
            "targetLang": "de",
            "downloadUrl": "/editor/task/export/id/2237?format=filetranslation",
            "removeDate": "2021-03-18",
            "importProgress": [],
        },
        "2464": {
            "taskId": "2464",
            "taskName": "Single word-de-en.html",
            "downloadUrl": "isImporting",
            "importProgress": {"progress": 40, "workersDone": "2", "workersTotal": "5", "taskGuid": "{g}"},
            "errors": [],
        },
    },
    "dateAsOf": "2021-03-11 10:00:00",
}
FILE_LIST_AS_LIST = {
    "allPretranslatedFiles": [
        {"taskId": 1, "taskName": "a", "downloadUrl": "isErroneous", "errors": [{"message": "bad file"}]},
        {"taskId": 2, "taskName": "b", "downloadUrl": "isNotPretranslated"},
        {"taskId": 3, "taskName": "c", "downloadUrl": "", "errors": ["broken"]},
    ]
}


def test_instant_translate_sends_plain_fields(client, answer, sent):
    answer(
        "POST", "/editor/instanttranslateapi/translate", {"rows": {"DeepL": {"r": [[{"target": "Hallo"}]]}}}
    )
    result = client.instant_translate("Hello", source="en", target="de", langres_type="DeepL", langres_id="3")
    assert result["rows"]["DeepL"]["r"][0][0]["target"] == "Hallo"
    assert sent[0].form == [
        ("text", "Hello"),
        ("source", "en"),
        ("target", "de"),
        ("langresType", "DeepL"),
        ("langresId", "3"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": "4", "target": "de"}, "source must be an RFC 5646 code such as 'de' or 'en-GB', got '4'"),
        ({"source": "en", "target": "de_DE"}, 'did you mean "de-DE"?'),
    ],
)
def test_instant_translate_needs_rfc5646_codes(client, requests_mock, kwargs, message):
    with pytest.raises(Translate5ValueError, match=re.escape(message)):
        client.instant_translate("Hello", **kwargs)
    assert requests_mock.call_count == 0


@pytest.mark.usefixtures("languages")
def test_file_pretranslate_uploads_the_file_field_and_returns_the_task_id(client, answer, sent):
    answer("POST", "/editor/instanttranslateapi/filepretranslate", {"taskId": "539"})
    task_id = client.file_pretranslate(
        ("doc.html", io.BytesIO(b"<p>x</p>")), source="EN", target=4, customer_id=2
    )
    assert task_id == 539
    request = sent[-1]
    assert request.streamed
    assert request.files == [("file", "doc.html", b"<p>x</p>")]
    assert dict(request.form) == {"source": "en", "target": "de", "customerId": "2"}


@pytest.mark.usefixtures("languages")
def test_file_pretranslate_unknown_language_fails_before_the_upload(client, requests_mock):
    with pytest.raises(Translate5ValueError, match="'zz'"):
        client.file_pretranslate(("doc.html", io.BytesIO(b"x")), source="en", target="zz")
    assert [r.method for r in requests_mock.request_history] == ["GET"]


def test_file_pretranslate_empty_file_fails_before_any_request(client, requests_mock):
    with pytest.raises(Translate5ValueError, match="empty"):
        client.file_pretranslate(("doc.html", io.BytesIO()), source="en", target="de")
    assert requests_mock.call_count == 0


@pytest.mark.usefixtures("languages")
def test_file_pretranslate_without_task_id_is_a_response_error(client, answer):
    answer("POST", "/editor/instanttranslateapi/filepretranslate", {"taskId": "n/a"})
    with pytest.raises(Translate5ResponseError, match="taskId"):
        client.file_pretranslate(("doc.html", io.BytesIO(b"x")), source="en", target="de")


def test_file_list_keyed_by_task_id(client, answer):
    answer("GET", "/editor/instanttranslateapi/filelist", FILE_LIST_AS_DICT)
    files = client.list_pretranslated_files()
    assert files.date_as_of == "2021-03-11 10:00:00"
    ready, importing = files.files
    assert (ready.task_id, ready.status, ready.download_url) == (
        2237,
        "ready",
        "/editor/task/export/id/2237?format=filetranslation",
    )
    assert ready.import_progress is None
    assert (importing.task_id, importing.status, importing.download_url) == (2464, "importing", None)
    assert importing.import_progress is not None
    assert importing.import_progress.workers_total == 5
    assert files.get("2464") is importing
    assert files.get(1) is None


def test_file_list_as_a_list_with_every_status(client, answer):
    answer("GET", "/editor/instanttranslateapi/filelist", FILE_LIST_AS_LIST)
    files = client.list_pretranslated_files().files
    assert [(f.task_id, f.status, f.errors) for f in files] == [
        (1, "erroneous", ["bad file"]),
        (2, "not_pretranslated", []),
        (3, "erroneous", ["broken"]),
    ]


def test_empty_file_list(client, answer):
    answer("GET", "/editor/instanttranslateapi/filelist", {"allPretranslatedFiles": [], "dateAsOf": None})
    assert client.list_pretranslated_files().files == []


def test_write_tm_sends_data_json_and_returns_created_ids(client, answer, sent):
    answer("POST", "/editor/instanttranslateapi/writetm", {"created": ["12", 13]})
    assert client.write_tm(source_language="en", target_language="de", source="Hello", target="Hallo") == [
        12,
        13,
    ]
    assert json.loads(sent[0].value("data")) == {
        "sourceLanguage": "en",
        "targetLanguage": "de",
        "source": "Hello",
        "target": "Hallo",
    }


#: What a translate5 without the InstantTranslate plugin answers its routes (part 2 §100-102): HTTP 404,
#: ``Content-type: text/html``, the landing-page layout with an error block (the 7 KB page, cut here).
NO_PLUGIN_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>translate5</title>"
    "<style>body{font-family:sans-serif}</style></head><body><div id='head-panel'></div>"
    "<div class='error'><h1>Seite nicht gefunden!</h1><p>Request URI:<br>{uri}</p>"
    "<h2>Stack trace:</h2><pre>ZfExtended_NotFoundException: Seite nicht gefunden! in "
    "&lt;APP_ROOT&gt;/library/ZfExtended/Controllers/helpers/Access.php:81</pre></div></body></html>"
)
NO_PLUGIN = {"Content-type": "text/html; charset=utf-8", "Connection": "close"}


@pytest.mark.usefixtures("languages")
@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("POST", "translate", lambda c: c.instant_translate("Contact us today.", source="en", target="de")),
        (
            "POST",
            "filepretranslate",
            lambda c: c.file_pretranslate(("page.xlf", io.BytesIO(b"<xliff/>")), source="en", target="de"),
        ),
        ("GET", "filelist", lambda c: c.list_pretranslated_files()),
    ],
    ids=["translate", "filepretranslate", "filelist"],
)
def test_a_server_without_the_plugin_is_reported_once_never_retried(
    make_client, answer, sent, method, path, call
):
    uri = f"/editor/instanttranslateapi/{path}"
    answer(method, uri, text=NO_PLUGIN_PAGE.replace("{uri}", uri), status=404, headers=NO_PLUGIN)
    client = make_client()  # the default policy: five attempts for what may pass
    with pytest.raises(Translate5PluginMissingError) as caught:
        call(client)
    assert str(caught.value).startswith(
        f"HTTP 404 on {method} {uri}: this translate5 has no InstantTranslate"
    )
    assert caught.value.plugin == "InstantTranslate"
    assert "install and activate the InstantTranslate plugin" in str(caught.value)
    assert "<" not in str(caught.value)  # no HTML, no parse error
    assert caught.value.terminal
    assert [r.path for r in sent if r.path.startswith("/editor/instanttranslateapi")] == [uri]
