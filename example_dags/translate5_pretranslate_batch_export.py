"""Several pages in one order: pre-translate, staff, set deadlines, wait, deliver with one batch export.

How a localization team runs a batch of pages for one customer, each step as translate5 offers it:

1. Every page becomes its own translate5 project (a task per target language) for the customer, and is
   imported. The steps after it are mapped: one instance per page.
2. The team's language resources (TMs, MT) are assigned by name and translate5 pre-translates the tasks with
   them (100 % TM matches, MT for the rest), so people start from a draft.
3. The customer's default jobs (set up in translate5 under "Clients > Default job assignment", per language
   pair and workflow step) are applied. translate5 assigns them itself when it imports a task of that
   customer; the step makes sure of it and assigns nobody twice.
4. The translator's and the reviewer's jobs (people named by login) get this order's deadlines.
5. Airflow waits, deferred (no worker slot held), until every workflow ended, then one queued batch export
   delivers all tasks at once: ``<task id>-<task name>.zip`` per task in the delivery folder. translate5
   builds the ZIPs in its own workers; servers without the batch export get one export per task instead.

Try it with ``make demo-features``: it runs this DAG against the bundled simulator, whose customer "ACME
Content Team" (number 1000) has translator1 and reviewer1 as default jobs for English into German and French.
With your translate5, set the run's params (``pages``, ``customer``, ``language_resources``, ``translator``,
``reviewer``, ``delivery``). Pages and the delivery folder are ``ObjectStoragePath`` URIs, so ``s3://`` works
as well as ``file://``.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

from airflow_provider_translate5.operators import (
    Translate5AssignDefaultJobsOperator,
    Translate5AssignLanguageResourcesOperator,
    Translate5BatchExportOperator,
    Translate5PretranslateOperator,
    Translate5UpdateJobOperator,
    Translate5UploadTaskOperator,
)
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

SAMPLE_CONTENT = Path(__file__).resolve().parent / "sample_content"
SAMPLE_PAGES = [
    SAMPLE_CONTENT / "pages" / "about-us.html",
    SAMPLE_CONTENT / "blog" / "2026-11-release-notes.md",
    SAMPLE_CONTENT / "products" / "trail-runner-x.xliff",
]
DELIVERY = Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "translate5" / "batch-delivery"
POKE = float(os.environ.get("TRANSLATE5_EXAMPLE_POKE_INTERVAL", "60"))
#: Deadlines are set at this time of day, in the translate5 server's local time (translate5 stores no zone).
DEADLINE_TIME = "17:00:00"


def project_id(upload_result: dict[str, Any]) -> int:
    """The project translate5 created for one page (a mapped upload's return value)."""
    return int(upload_result["id"])


@dag(
    dag_id="translate5_pretranslate_batch_export",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "pages": Param(
            [p.as_uri() for p in SAMPLE_PAGES], type="array", description="Files, one project each"
        ),
        "target_langs": Param(["de", "fr"], type="array", description="Target languages"),
        "customer": Param("1000", type="string", description="translate5 customer id or customer number"),
        "language_resources": Param(["Demo TM", "ZDemoMT"], type="array", description="TMs/MT by name or id"),
        "translator": Param("translator1", type="string", description="Login or e-mail of the translator"),
        "reviewer": Param("reviewer1", type="string", description="Login or e-mail of the reviewer"),
        "translation_days": Param(
            5, type="integer", minimum=0, description="Days until the translation is due"
        ),
        "review_days": Param(7, type="integer", minimum=0, description="Days until the review is due"),
        "delivery": Param(DELIVERY.as_uri(), type="string", description="Folder for the export ZIPs"),
    },
    tags=["translate5", "example", "pre-translation", "default jobs", "batch export"],
    doc_md=__doc__,
)
def translate5_pretranslate_batch_export() -> None:
    @task
    def pages() -> list[dict[str, Any]]:
        """One upload per page: its file, task name and target languages."""
        params = get_current_context()["params"]
        return [
            {
                "source": page,
                "task_name": str(page).rstrip("/").rsplit("/", 1)[-1],
                "target_lang": params["target_langs"],
            }
            for page in params["pages"]
        ]

    @task
    def order() -> dict[str, Any]:
        """The order's deadlines, as translate5 takes them ("YYYY-MM-DD HH:MM:SS")."""
        params = get_current_context()["params"]
        today = date.today()
        return {
            "translation_deadline": f"{today + timedelta(days=params['translation_days'])} {DEADLINE_TIME}",
            "review_deadline": f"{today + timedelta(days=params['review_days'])} {DEADLINE_TIME}",
        }

    wanted: Any = order()  # an XComArg: wanted["key"] is the value of that key at run time
    upload = Translate5UploadTaskOperator.partial(
        task_id="upload", source_lang="en", customer_id="{{ params.customer }}"
    ).expand_kwargs(pages())
    projects: Any = upload.output.map(project_id)  # an XComArg: one project id per page at run time

    imported = Translate5ImportSensor.partial(
        task_id="imported", deferrable=True, poke_interval=min(POKE, 10)
    ).expand(translate5_task_id=projects)
    resources = Translate5AssignLanguageResourcesOperator.partial(
        task_id="resources",
        language_resources="{{ params.language_resources }}",  # names or ids
    ).expand(translate5_task_id=projects)
    pretranslate = Translate5PretranslateOperator.partial(
        task_id="pretranslate",
        pretranslate_matchrate=100,  # TM matches of 100 % and more (templated: a param could choose it)
        pretranslate_mt=True,  # machine translation for every other segment
        deferrable=True,
        poke_interval=min(POKE, 10),
    ).expand(translate5_task_id=projects)
    staff = Translate5AssignDefaultJobsOperator.partial(task_id="default_jobs").expand(
        translate5_task_id=projects
    )
    translation_due = Translate5UpdateJobOperator.partial(
        task_id="translation_deadline",
        user="{{ params.translator }}",  # a login or e-mail address, resolved when the task runs
        workflow_step_name="translation",
        deadline_date=wanted["translation_deadline"],
    ).expand(translate5_task_id=projects)
    review_due = Translate5UpdateJobOperator.partial(
        task_id="review_deadline",
        user="{{ params.reviewer }}",
        workflow_step_name="reviewing",
        deadline_date=wanted["review_deadline"],
    ).expand(translate5_task_id=projects)
    translated = Translate5WorkflowEndedSensor.partial(
        task_id="translated", deferrable=True, poke_interval=POKE, timeout=timedelta(days=14).total_seconds()
    ).expand(translate5_task_id=projects)
    deliver = Translate5BatchExportOperator(
        task_id="deliver",
        translate5_task_ids=projects,  # every page's project: one queued export of all their tasks
        destination="{{ params.delivery }}",
        deferrable=True,
        poke_interval=min(POKE, 10),
    )

    imported >> resources >> pretranslate >> staff >> [translation_due, review_due]
    [translation_due, review_due] >> translated >> deliver


translate5_pretranslate_batch_export()
