"""Quote first, translate after approval: analyse -> approve in the Airflow UI -> assign -> wait -> deliver.

1. The page is uploaded to translate5 (a project with a task per target language) and imported.
2. The team's language resources (TMs, MT) are assigned and translate5's match analysis runs; the word counts
   per match band land in XCom and translate5's XML report next to the delivery.
3. A person approves the cost in the Airflow UI (human-in-the-loop, Airflow 3.1+): the approval form shows the
   word counts (exactly as read: an analysis with a count that cannot be read fails, and nobody is asked).
   "Reject", or no answer within three days, skips everything after it; nothing is assigned.
4. On approval the translator and reviewer, named by login (or e-mail), get their jobs on every task, Airflow
   waits (deferred, no worker slot held) until the workflow ended, and the translated files are exported into
   the delivery folder.

Try it with ``make demo-features``: it runs this DAG against the bundled simulator and answers the approval
for you (``airflow dags test --mark-success-pattern '^approve_cost$'``). With your translate5, set the run's
params (``source``, ``target_langs``, ``translator``, ``reviewer``, ``language_resources``, ``delivery``).
Folders are ``ObjectStoragePath`` URIs, so ``s3://`` works as well as ``file://``.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Param, dag, get_current_context, task

from airflow_provider_translate5.operators import (
    Translate5AssignJobOperator,
    Translate5AssignLanguageResourcesOperator,
    Translate5ExportOperator,
    Translate5MatchAnalysisOperator,
    Translate5UploadTaskOperator,
)
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

SAMPLE_PAGE = Path(__file__).resolve().parent / "sample_content" / "pages" / "about-us.html"
DELIVERY = Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "translate5" / "analyse-approve"
#: How long the approval may wait for a person; then it counts as rejected.
APPROVAL_TIMEOUT = timedelta(days=3)
POKE = float(os.environ.get("TRANSLATE5_EXAMPLE_POKE_INTERVAL", "60"))

PROJECT = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"
#: The counts are shown exactly as the analysis returned them: the operator reads translate5's numbers
#: strictly and fails (so nobody is asked to approve) when one cannot be read; no filter here turns one
#: into 0.
APPROVAL_BODY = """\
{% set analysis = ti.xcom_pull(task_ids='analyse') -%}
{% set name = ti.xcom_pull(task_ids='order')['name'] -%}
**{{ analysis['total'] }} {{ analysis['unit_type'] }}s** to translate:
{{ name }} into {{ params.target_langs | join(', ') }}.

| Match band | {{ analysis['unit_type'] | capitalize }}s |
|---|---|
{% for band, count in analysis['bands'].items() if count -%}
| {{ band }} | {{ count }} |
{% endfor %}
Approve to assign {{ params.translator }} and {{ params.reviewer }}; reject to stop here.
"""


@dag(
    dag_id="translate5_analyse_approve",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "source": Param(SAMPLE_PAGE.as_uri(), type="string", description="File to translate (URI or path)"),
        "target_langs": Param(["de", "fr"], type="array", description="Target languages"),
        "translator": Param("translator1", type="string", description="Login or e-mail of the translator"),
        "reviewer": Param("reviewer1", type="string", description="Login or e-mail of the reviewer"),
        "language_resources": Param(["Demo TM"], type="array", description="TMs/MT by name or id"),
        "delivery": Param(DELIVERY.as_uri(), type="string", description="Folder for the translated files"),
    },
    tags=["translate5", "example", "analysis", "hitl"],
    doc_md=__doc__,
)
def translate5_analyse_approve() -> None:
    @task
    def order() -> dict[str, Any]:
        """The run's order, people resolved first: an unknown or shared address fails before any upload."""
        from airflow_provider_translate5.hooks import Translate5Hook

        params: dict[str, Any] = dict(get_current_context()["params"])
        with Translate5Hook().get_conn() as client:
            for role in ("translator", "reviewer"):
                client.resolve_user(params[role])  # the assignments resolve them again, after the approval
        return {**params, "name": str(params["source"]).rstrip("/").rsplit("/", 1)[-1]}

    wanted: Any = order()  # an XComArg: wanted["key"] is the value of that key at run time
    upload = Translate5UploadTaskOperator(
        task_id="upload",
        source=wanted["source"],
        task_name=wanted["name"],
        source_lang="en",
        target_lang=wanted["target_langs"],
    )
    imported = Translate5ImportSensor(
        task_id="imported", translate5_task_id=PROJECT, deferrable=True, poke_interval=min(POKE, 10)
    )
    resources = Translate5AssignLanguageResourcesOperator(
        task_id="resources", translate5_task_id=PROJECT, language_resources=wanted["language_resources"]
    )
    analyse = Translate5MatchAnalysisOperator(
        task_id="analyse",
        translate5_task_id=PROJECT,
        report="xml",
        report_destination="{{ params.delivery }}/reports",
        deferrable=True,
        poke_interval=min(POKE, 10),
    )
    approve = ApprovalOperator(
        task_id="approve_cost",
        subject="Approve the translation of {{ ti.xcom_pull(task_ids='order')['name'] }}",
        body=APPROVAL_BODY,
        defaults="Reject",  # taken when nobody answers within the timeout
        response_timeout=APPROVAL_TIMEOUT,
    )
    translator = Translate5AssignJobOperator(
        task_id="assign_translator",
        translate5_task_id=PROJECT,
        user_guid="{{ params.translator }}",  # a login or e-mail address is resolved when the task runs
        workflow_step_name="translation",
    )
    reviewer = Translate5AssignJobOperator(
        task_id="assign_reviewer",
        translate5_task_id=PROJECT,
        user_guid="{{ params.reviewer }}",
        workflow_step_name="reviewing",
    )
    translated = Translate5WorkflowEndedSensor(
        task_id="translated",
        translate5_task_id=PROJECT,
        deferrable=True,
        poke_interval=POKE,
        timeout=timedelta(days=14).total_seconds(),
    )
    deliver = Translate5ExportOperator(
        task_id="deliver",
        translate5_task_id=PROJECT,
        destination="{{ params.delivery }}",
        format="filetranslation",
    )

    upload >> imported >> resources >> analyse >> approve >> [translator, reviewer]
    [translator, reviewer] >> translated >> deliver


translate5_analyse_approve()
