"""What the feature calls send, byte for byte where translate5 is picky (requests-mock; no server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests_mock as rm

from airflow_provider_translate5.client import Translate5Client

BASE = "https://t5.example.org"
TOKEN = "12:" + "Ab3" * 12
JOB = {
    "id": "2",
    "taskGuid": "{t}",
    "userGuid": "{u}",
    "state": "finished",
    "workflowStepName": "translation",
}


@pytest.fixture
def client() -> Iterator[Translate5Client]:
    with Translate5Client(BASE, TOKEN) as t5:
        yield t5


def _filter(request: Any) -> Any:
    """The decoded ``filter`` parameter (requests-mock's ``qs`` lower-cases values)."""
    return json.loads(parse_qs(urlsplit(request.url).query)["filter"][0])


def _form(request: Any) -> dict[str, list[str]]:
    return parse_qs(request.body if isinstance(request.body, str) else request.body.decode())


def test_job_update_sends_data_json_and_no_entity_version(
    client: Translate5Client, requests_mock: rm.Mocker
) -> None:
    route = requests_mock.put(f"{BASE}/editor/task/69/job/2", json={"rows": JOB})
    job = client.update_job(69, 2, state="finished", deadline_date="2030-01-31 17:00:00")
    sent = route.last_request
    assert "Mqi-Entity-Version" not in sent.headers  # a job row has no version to send (transcripts 45, 74)
    assert json.loads(_form(sent)["data"][0]) == {"state": "finished", "deadlineDate": "2030-01-31 17:00:00"}
    assert job.state == "finished"


def test_user_lookup_filters_on_the_server(client: Translate5Client, requests_mock: rm.Mocker) -> None:
    row = {"id": "5", "userGuid": "{c99ae747-0afb-446a-827a-6b3b32cfb819}", "login": "translator1",
           "email": "noreply@translate5.net", "roles": "editor,taskOverview"}  # fmt: skip
    route = requests_mock.get(f"{BASE}/editor/user", json={"rows": [row], "total": 1})
    user = client.resolve_user("translator1")
    assert _filter(route.last_request) == [{"operator": "eq", "value": "translator1", "property": "login"}]
    assert (user.user_guid, user.roles) == (
        "{c99ae747-0afb-446a-827a-6b3b32cfb819}",
        ("editor", "taskOverview"),
    )
    client.resolve_user("{C99AE747-0AFB-446A-827A-6B3B32CFB819}")
    assert _filter(route.last_request) == [
        {"operator": "eq", "value": "{c99ae747-0afb-446a-827a-6b3b32cfb819}", "property": "userGuid"}
    ]  # a GUID in any spelling is sent as translate5 writes it


def test_analysis_starts_with_put_form_fields(client: Translate5Client, requests_mock: rm.Mocker) -> None:
    route = requests_mock.put(f"{BASE}/editor/task/69/pretranslation/operation", text="")
    client.start_pretranslation(69, internal_fuzzy=False, pretranslate_matchrate=100, pretranslate_mt=True)
    assert _form(route.last_request) == {
        "internalFuzzy": ["0"],
        "pretranslateMatchrate": ["100"],
        "pretranslateMt": ["1"],
    }


def test_assignment_is_sent_as_data_json(client: Translate5Client, requests_mock: rm.Mocker) -> None:
    fitting = {
        "languageResourceId": "3",
        "name": "TM",
        "taskassocid": None,
        "sourceLang": "5",
        "targetLang": "4",
    }
    requests_mock.get(f"{BASE}/editor/languageresourcetaskassoc", json={"rows": [fitting], "total": 1})
    route = requests_mock.post(f"{BASE}/editor/languageresourcetaskassoc", json={"rows": {"id": "7"}})
    assert client.assign_language_resource("{t}", 3, segments_updateable=True) == {"id": "7"}
    assert json.loads(_form(route.last_request)["data"][0]) == {
        "taskGuid": "{t}",
        "languageResourceId": 3,
        "segmentsUpdateable": True,
    }
