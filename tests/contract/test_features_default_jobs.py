"""Contract: a customer's default jobs, listed and applied to a task (read from translate5's source).

No recording exists. Route ``editor/customers/:customerId/workflow/:workflow/default-job``
(``Bootstrap.php``, route ``editorTaskDefaultUserJob``) -> ``UserassocdefaultController::indexAction`` ->
``DefaultJobAssignmentViewDataProvider::getListFor``; row fields from ``DefaultUserJobViewDataProvider::
buildJobView`` (``customerId``, ``userGuid``, ``sourceLang``/``targetLang`` language ids, ``workflow``,
``workflowStepName``, ``isCoordinatorGroupJob``). Which default jobs fit a task follows
``DefaultUserJobRepository::getDefaultUserJobsForTask`` (customer, languages, workflow).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

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
    # waits for the import: translate5 itself may assign the defaults at import, then nothing is created
    task = owned_client_task(
        unique_name("default-jobs"),
        ("page.html", io.BytesIO(b"<p>Default jobs</p>")),
        source_lang=languages[chosen.source_lang or 0],
        target_lang=languages[chosen.target_lang or 0],
        customer_id=chosen.customer_id,
    )

    first = t5_client.apply_default_jobs(task.id)
    again = t5_client.apply_default_jobs(task.id)

    fitting = {
        (job.user_guid.lower(), job.workflow_step_name)
        for job in usable
        if (job.customer_id, job.source_lang, job.target_lang)
        == (chosen.customer_id, chosen.source_lang, chosen.target_lang)
    }
    jobs = [(str(job.user_guid).lower(), job.workflow_step_name) for job in t5_client.list_jobs(task.id)]
    assert fitting <= set(jobs)
    assert all(jobs.count(key) == 1 for key in fitting), jobs
    assert not any(entry.created for entry in again)
    assert sorted(e.job.id for e in again) == sorted(e.job.id for e in first)
