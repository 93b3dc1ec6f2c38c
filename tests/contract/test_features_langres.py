"""Contract: language resources on a task, as a real translate5 answered (part 2, §110-119, §160/161).

The provider relies on these recorded facts: the task's list (``GET /editor/languageresourcetaskassoc`` with
a taskGuid filter) shows exactly the resources that fit the task, each with ``taskassocid`` (null until it
is assigned); translate5 itself accepts a resource that does not fit and then leaves it out of that list, so
the client checks the fit before it assigns; assigning twice answers the same association; unassigning
answers 200 with an empty body, also when the association is already gone. A server without a language
resource for the suite's language pair (or without one that does NOT fit it) skips the dependent checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from contract_support import SOURCE, TARGET, Cleanup, T5Http, as_recorded, describe, import_owned_task

from airflow_provider_translate5.client import Translate5Client, Translate5ValueError

ASSOC = "/editor/languageresourcetaskassoc"


@pytest.fixture
def fresh_task(t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str]) -> dict[str, Any]:
    """An imported en -> de task of its own (the XLIFF page every translate5 imports)."""
    return import_owned_task(t5_http, cleanup, unique_name("langres"), file_name="page.xlf")


def _task_list(http: T5Http, task_guid: str) -> list[dict[str, Any]]:
    rule = [{"operator": "eq", "property": "taskGuid", "value": task_guid}]
    body = http.ok("GET", ASSOC, params={"filter": json.dumps(rule)})
    assert isinstance(body["rows"], list), body
    assert body["total"] == len(body["rows"]), body  # a JSON number (§111)
    return list(body["rows"])


def _assign(http: T5Http, task_guid: str, resource_id: int | str) -> dict[str, Any]:
    data = {"taskGuid": task_guid, "languageResourceId": int(resource_id), "segmentsUpdateable": False}
    body = http.ok("POST", ASSOC, data={"data": json.dumps(data)})
    assert isinstance(body["rows"], dict), body  # the association row under ``rows`` (§112)
    return dict(body["rows"])


def _unassign(http: T5Http, assoc_id: int | str) -> None:
    response = http.delete(f"{ASSOC}/{assoc_id}")
    assert response.status_code == 200, describe(response)
    assert response.content.strip() == b"", describe(response)  # an empty body, not JSON (§118/119)


def test_resources_list_their_languages(t5_http: T5Http) -> None:
    """§110: every resource row names its languages as lists of language ids (the client's error messages)."""
    rows = t5_http.ok("GET", "/editor/languageresourceinstance")["rows"]
    if not rows:
        pytest.skip("this translate5 has no language resource")
    for row in rows:
        assert isinstance(row["sourceLang"], list), row
        assert isinstance(row["targetLang"], list), row
        assert isinstance(row["customerIds"], list), row


def test_assigning_twice_gives_one_association_and_unassigning_twice_is_done(
    t5_http: T5Http, fresh_task: dict[str, Any]
) -> None:
    guid = str(fresh_task["taskGuid"])
    fitting = _task_list(t5_http, guid)
    if not fitting:
        pytest.skip(
            f"no language resource for {SOURCE}->{TARGET} on this server (create a TM or enable ZDemoMT)"
        )
    row = fitting[0]
    assert "id" not in row, row  # the resource is ``languageResourceId`` here (§111)
    assert row["taskassocid"] is None, row
    as_recorded(row["checked"], "false", "checked before the assignment")
    resource_id = row["languageResourceId"]

    first = _assign(t5_http, guid, resource_id)
    again = _assign(t5_http, guid, resource_id)  # §113: the same association, no duplicate, no error

    assert again["id"] == first["id"], (first, again)
    [listed] = [r for r in _task_list(t5_http, guid) if str(r["languageResourceId"]) == str(resource_id)]
    as_recorded(listed["taskassocid"], str(first["id"]), "taskassocid after the assignment")
    as_recorded(listed["checked"], "true", "checked after the assignment")

    _unassign(t5_http, first["id"])
    _unassign(t5_http, first["id"])  # already gone: 200 with an empty body again (§119)
    [after] = [r for r in _task_list(t5_http, guid) if str(r["languageResourceId"]) == str(resource_id)]
    assert after["taskassocid"] is None, after


def test_a_resource_that_does_not_fit_is_accepted_then_hidden_and_the_client_refuses_it(
    t5_http: T5Http, t5_client: Translate5Client, fresh_task: dict[str, Any]
) -> None:
    guid = str(fresh_task["taskGuid"])
    fitting = {int(str(r["languageResourceId"])) for r in _task_list(t5_http, guid)}
    unfit = [r for r in t5_client.list_language_resources() if r.id not in fitting]
    if not unfit:
        pytest.skip(f"every language resource of this server fits a {SOURCE}->{TARGET} task")
    resource = unfit[0]

    with pytest.raises(Translate5ValueError, match="does not fit") as refused:
        t5_client.assign_language_resource(guid, resource.id)
    assert repr(resource.name) in str(refused.value)

    # What the refusal protects from (§160/161): translate5 takes the assignment, then does not list it.
    assoc = _assign(t5_http, guid, resource.id)
    try:
        listed = {int(str(r["languageResourceId"])) for r in _task_list(t5_http, guid)}
        assert resource.id not in listed, f"translate5 now lists resource {resource.id} on task {guid}"
    finally:
        _unassign(t5_http, assoc["id"])
