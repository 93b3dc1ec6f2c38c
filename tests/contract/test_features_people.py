"""Contract: users and customers found by login, e-mail, number or name; job updates without a version header.

Recorded on a real server: ``GET /editor/user?filter=[login eq …]`` (transcripts section 43) and the PM's
``PUT /editor/task/{id}/job/{jobId}`` without ``Mqi-Entity-Version`` (section 71). The e-mail, GUID and
customer filters and the deadline update are read from translate5's source (``UserController``,
``CustomerController``, ``TaskuserassocController::putAction``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from contract_support import Cleanup, T5Http, import_owned_task

from airflow_provider_translate5.client import Filter, Translate5Client, Translate5ValueError


def test_user_by_login_and_guid(t5_client: Translate5Client, pm_user: dict[str, Any]) -> None:
    user = t5_client.resolve_user(str(pm_user["login"]))
    assert user.user_guid == pm_user["userGuid"]
    assert user.login == pm_user["login"]
    assert t5_client.resolve_user(user.user_guid) == user


def test_user_by_e_mail_is_unique_or_refused(t5_client: Translate5Client, pm_user: dict[str, Any]) -> None:
    user = t5_client.resolve_user(str(pm_user["login"]))
    if not user.email:
        pytest.skip("the PM user of the contract token has no e-mail address")
    sharing = t5_client.list_users(filters=[Filter.eq("email", user.email)])
    if len(sharing) > 1:  # translate5 allows one address for many users (test servers: noreply@...)
        with pytest.raises(Translate5ValueError, match="give the login instead"):
            t5_client.resolve_user(user.email)
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
