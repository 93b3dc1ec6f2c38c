"""Jobs, workflow triggers and language resolution."""

from __future__ import annotations

import json

import pytest

from airflow_provider_translate5.client import Translate5ValueError

from .conftest import LANGUAGES

JOB = {
    "id": "31",
    "taskGuid": "{g}",
    "userGuid": "{u}",
    "workflowStepName": "reviewing",
    "state": "waiting",
    "role": "reviewer",
    "login": "rev",
}


def test_list_jobs(client, answer):
    answer("GET", "/editor/task/7/job", {"rows": [JOB], "total": 1})
    (job,) = client.list_jobs(7)
    assert (job.id, job.user_guid, job.workflow_step_name, job.role) == (31, "{u}", "reviewing", "reviewer")
    assert job.raw["login"] == "rev"


# Transcript 45: the job comes back under "rows", with a German workflow notice in "errors".
JOB_CREATED = {
    "rows": {"id": "1", "userGuid": "{u}", "state": "open", "workflowStepName": "translation", "type": 1},
    "errors": [
        {
            "origin": "core",
            "msg": 'Der Workflow Schritt der Aufgabe wurde zu "{0}" geändert!',
            "id": -1,
            "data": "Translation",
            "type": "notice",
        }
    ],
}


def test_create_job_sends_data_json_and_reads_the_job_beside_a_notice(client, answer, sent):
    answer("POST", "/editor/task/7/job", JOB_CREATED)
    job = client.create_job(
        7,
        user_guid="{u}",
        workflow_step_name="translation",
        state="open",
        type=1,
        deadline_date="default",
        extra={"segmentrange": "1-5"},
    )
    assert job.id == 1
    assert json.loads(sent[0].value("data")) == {
        "userGuid": "{u}",
        "workflowStepName": "translation",
        "state": "open",
        "type": 1,
        "deadlineDate": "default",
        "segmentrange": "1-5",
    }


def test_create_job_without_entity_version_sends_no_header(client, answer, sent):
    answer("POST", "/editor/task/7/job", {"rows": JOB})
    client.create_job(7, user_guid="{u}", workflow_step_name="translation")
    assert "Mqi-Entity-Version" not in sent[0].headers


def test_delete_job(client, answer, sent):
    answer("DELETE", "/editor/task/7/job/31", text="")
    client.delete_job(7, 31, entity_version=6, force=True)
    assert sent[0].query == {"force": ["1"]}
    assert sent[0].headers["Mqi-Entity-Version"] == "6"


def test_trigger_workflow_posts_the_trigger_field(client, answer, sent):
    answer(
        "POST", "/editor/task/7/workflow", {"trigger": "notifyAllUsersAboutTaskAssociation", "success": True}
    )
    assert client.trigger_workflow(7, "notifyAllUsersAboutTaskAssociation")["success"] is True
    assert sent[0].form == [("trigger", "notifyAllUsersAboutTaskAssociation")]


@pytest.mark.usefixtures("languages")
@pytest.mark.parametrize(
    ("code", "rfc"),
    [
        ("de", "de"),
        ("DE", "de"),
        ("en-gb", "en-GB"),
        (4, "de"),
        ("5", "en"),
        ("lcid-1036", "fr"),
        (" fr ", "fr"),
    ],
)
def test_resolve_language_accepts_every_translate5_format(client, code, rfc):
    assert client.resolve_language(code).rfc5646 == rfc


@pytest.mark.usefixtures("languages")
def test_language_list_is_fetched_once(client, requests_mock):
    client.resolve_language("de")
    client.resolve_language("fr")
    assert len(client.list_languages()) == len(LANGUAGES)
    assert requests_mock.call_count == 1


@pytest.mark.usefixtures("languages")
def test_unknown_language_names_the_code_and_similar_ones(client):
    with pytest.raises(Translate5ValueError, match=r"unknown language 'en-XX'.*en, en-GB"):
        client.resolve_language("en-XX")


@pytest.mark.parametrize("code", ["de_DE", "german!", "", "lcid-", 0, -4, 3.5, None, "d"])
def test_malformed_language_codes_are_refused_without_a_request(client, requests_mock, code):
    with pytest.raises(Translate5ValueError) as caught:
        client.resolve_language(code)
    assert str(caught.value).startswith('language must be an RFC 5646 code ("de", "en-GB"), a numeric')
    assert f"got {code!r}" in str(caught.value)
    assert requests_mock.call_count == 0


def test_underscore_codes_get_a_hint(client):
    with pytest.raises(Translate5ValueError, match='did you mean "de-DE"'):
        client.resolve_language("de_DE")


def test_a_user_who_may_not_list_languages_still_gets_format_checked_codes(client, answer, sent):
    import io

    answer("GET", "/editor/language", {"errorMessage": "forbidden"}, status=403)
    answer("POST", "/editor/instanttranslateapi/filepretranslate", {"taskId": "539"})
    assert client.file_pretranslate(("a.txt", io.BytesIO(b"hi")), source="en", target="de") == 539
    assert dict(sent[-1].form) == {"source": "en", "target": "de"}
