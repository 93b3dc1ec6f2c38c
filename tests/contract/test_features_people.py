"""Contract: users and customers found by login, e-mail, number or name; job updates without a version header.

Recorded on a real server: ``GET /editor/user?filter=[login eq …]`` (transcripts section 43, part 2 §130:
``roles`` is ONE comma-separated string), the e-mail filter answering many users for one address (part 2
§131), the PM's ``PUT /editor/task/{id}/job/{jobId}`` without ``Mqi-Entity-Version`` (section 71, part 2
§139) and a deadline with ``Z`` stored without its zone (part 2 §141). The GUID and customer filters are read
from translate5's source (``UserController``, ``CustomerController``, ``TaskuserassocController::putAction``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from contract_support import Cleanup, T5Http, as_recorded, import_owned_task

from airflow_provider_translate5.client import Filter, Translate5Client, Translate5ValueError


def test_user_by_login_and_guid(t5_client: Translate5Client, pm_user: dict[str, Any]) -> None:
    user = t5_client.resolve_user(str(pm_user["login"]))
    assert user.user_guid == pm_user["userGuid"]
    assert user.login == pm_user["login"]
    assert t5_client.resolve_user(user.user_guid) == user


def test_user_rows_give_roles_as_one_comma_separated_string(
    t5_http: T5Http, t5_client: Translate5Client, pm_user: dict[str, Any]
) -> None:
    rule = [{"operator": "eq", "property": "login", "value": str(pm_user["login"])}]
    [row] = t5_http.ok("GET", "/editor/user", params={"filter": json.dumps(rule)})["rows"]
    assert isinstance(row["roles"], str), row  # "editor,taskOverview" (§130), a list only in session/current
    user = t5_client.resolve_user(str(pm_user["login"]))
    assert user.roles == tuple(role.strip() for role in row["roles"].split(",") if role.strip())
    assert "pm" in user.roles


def test_user_by_e_mail_is_unique_or_refused(t5_client: Translate5Client, pm_user: dict[str, Any]) -> None:
    user = t5_client.resolve_user(str(pm_user["login"]))
    if not user.email:
        pytest.skip("the PM user of the contract token has no e-mail address")
    sharing = t5_client.list_users(filters=[Filter.eq("email", user.email)])
    if len(sharing) > 1:  # translate5 allows one address for many users (test servers: noreply@...)
        with pytest.raises(Translate5ValueError, match="give the login instead") as refused:
            t5_client.resolve_user(user.email)
        assert all(other.login in str(refused.value) for other in sharing)  # names them, picks none
    else:
        assert t5_client.resolve_user(user.email).user_guid == user.user_guid


def test_unknown_login_is_an_error_naming_it(t5_client: Translate5Client) -> None:
    with pytest.raises(Translate5ValueError, match="no-such-login-for-the-contract"):
        t5_client.resolve_user("no-such-login-for-the-contract")


def test_customer_by_id_and_number(t5_client: Translate5Client) -> None:
    customers = t5_client.list_customers()
    assert customers, "every translate5 has at least the default customer"
    customer = customers[0]
    assert t5_client.resolve_customer(customer.id) == customer
    numbered = [c for c in t5_client.list_customers(filters=[Filter.eq("number", customer.number)])]
    assert [c.id for c in numbered] == [customer.id]
    if not customer.number.isdigit() or int(customer.number) == customer.id:
        assert t5_client.resolve_customer(customer.number).id == customer.id


def test_job_deadline_and_state_updates(
    t5_http: T5Http,
    t5_client: Translate5Client,
    cleanup: Cleanup,
    unique_name: Callable[[str], str],
    job_user_guid: str,
) -> None:
    task_id = int(import_owned_task(t5_http, cleanup, unique_name("job-update"), file_name="page.xlf")["id"])
    job = t5_client.create_job(task_id, user_guid=job_user_guid, workflow_step_name="translation")

    moved = t5_client.update_job(task_id, job.id, deadline_date="2030-01-31 17:00:00")
    assert str(moved.raw.get("deadlineDate", "")).startswith("2030-01-31 17:00")
    finished = t5_client.update_job(task_id, job.id, state="finished")
    assert finished.state == "finished"
    [listed] = [j for j in t5_client.list_jobs(task_id) if j.id == job.id]
    assert listed.state == "finished"


def test_a_deadline_with_z_is_stored_without_its_zone_and_the_client_refuses_one(
    t5_http: T5Http,
    t5_client: Translate5Client,
    cleanup: Cleanup,
    unique_name: Callable[[str], str],
    job_user_guid: str,
) -> None:
    """§141: translate5 takes ``…T09:30:00Z`` and keeps 09:30 as its local time: the zone is gone."""
    task_id = int(import_owned_task(t5_http, cleanup, unique_name("job-zone"), file_name="page.xlf")["id"])
    job = t5_client.create_job(task_id, user_guid=job_user_guid, workflow_step_name="translation")

    body = t5_http.ok(
        "PUT",
        f"/editor/task/{task_id}/job/{job.id}",
        data={"data": json.dumps({"deadlineDate": "2027-01-16T09:30:00Z"})},
    )
    as_recorded(
        body["rows"]["deadlineDate"], "2027-01-16 09:30:00", "deadlineDate sent as 2027-01-16T09:30:00Z"
    )

    with pytest.raises(Translate5ValueError, match="server_timezone"):
        t5_client.update_job(task_id, job.id, deadline_date="2027-01-17T09:30:00Z")
    [listed] = [j for j in t5_client.list_jobs(task_id) if j.id == job.id]
    assert listed.raw["deadlineDate"] == "2027-01-16 09:30:00"  # the refused value never reached translate5
