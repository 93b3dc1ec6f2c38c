"""Contract: a customer's default jobs, listed and applied to a task.

Recorded on a real translate5 (transcripts part 2): the list per customer and workflow answers ``rows`` and
``total`` (``rows: []`` without default jobs, §134), languages as language-id strings (§135/§136), and
translate5's import gives a new task of that customer its default jobs itself (§148), so applying them
afterwards finds them and creates nothing. Route ``editor/customers/:customerId/workflow/:workflow/default-
job`` -> ``UserassocdefaultController::indexAction``; which default jobs fit a task follows
``DefaultUserJobRepository::getDefaultUserJobsForTask`` (customer, languages, workflow). The task is an XLIFF
file: every translate5 imports it (HTML needs an Okapi server: E1166).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from contract_support import xliff

from airflow_provider_translate5.client import Translate5Client, Translate5NotFoundError
from airflow_provider_translate5.client.defaultjobs import DefaultJob

#: Looking at more customers than this for default jobs would make the suite slow on big servers.
MAX_CUSTOMERS = 25


def _defaults_by_customer(client: Translate5Client) -> dict[int, list[DefaultJob]]:
    found: dict[int, list[DefaultJob]] = {}
    for customer in client.list_customers()[:MAX_CUSTOMERS]:
        try:
            found[customer.id] = client.list_default_jobs(customer.id)
        except Translate5NotFoundError:
            pytest.skip("this translate5 has no route editor/customers/:id/workflow/:workflow/default-job")
    return found


def test_default_jobs_are_listed_per_customer_and_workflow(t5_client: Translate5Client) -> None:
    for customer_id, jobs in _defaults_by_customer(t5_client).items():
        for job in jobs:
            assert job.customer_id == customer_id, job.raw
            assert job.workflow == "default", job.raw
            assert job.workflow_step_name, job.raw
            assert job.user_guid.startswith("{"), job.raw
            assert str(job.raw["sourceLang"]).isdigit(), job.raw  # a language id, not a code (§136)
            assert str(job.raw["targetLang"]).isdigit(), job.raw


def test_apply_gives_the_task_each_fitting_default_job_once(
    t5_client: Translate5Client,
    owned_client_task: Callable[..., Any],
    unique_name: Callable[[str], str],
) -> None:
    usable = [
        job
        for jobs in _defaults_by_customer(t5_client).values()
        for job in jobs
        if not job.is_coordinator_group_job and job.source_lang and job.target_lang
    ]
    if not usable:
        pytest.skip("no customer of this translate5 has a default user job in workflow 'default'")
    chosen = usable[0]
    languages = {language.id: language.rfc5646 for language in t5_client.list_languages()}
    source, target = languages[chosen.source_lang or 0], languages[chosen.target_lang or 0]
    task = owned_client_task(  # waits for the import
        unique_name("default-jobs"),
        ("page.xlf", io.BytesIO(xliff(["Default jobs"], source=source, target=target))),
        source_lang=source,
        target_lang=target,
        customer_id=chosen.customer_id,
    )
    imported = {(str(job.user_guid).lower(), job.workflow_step_name) for job in t5_client.list_jobs(task.id)}

    first = t5_client.apply_default_jobs(task.id)
    again = t5_client.apply_default_jobs(task.id)

    fitting = {
        (job.user_guid.lower(), job.workflow_step_name)
        for job in usable
        if (job.customer_id, job.source_lang, job.target_lang)
        == (chosen.customer_id, chosen.source_lang, chosen.target_lang)
    }
    jobs = [(str(job.user_guid).lower(), job.workflow_step_name) for job in t5_client.list_jobs(task.id)]
    assert fitting <= imported  # translate5's import assigned them (§148)
    assert not any(entry.created for entry in first)
    assert fitting <= set(jobs)
    assert all(jobs.count(key) == 1 for key in fitting), jobs
    assert not any(entry.created for entry in again)
    assert sorted(e.job.id for e in again) == sorted(e.job.id for e in first)
