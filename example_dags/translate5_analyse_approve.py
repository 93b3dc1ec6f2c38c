"""Quote first, translate after approval: analyse -> approve in the Airflow UI -> assign -> wait -> deliver.

1. The page is uploaded to translate5 (a project with a task per target language) and imported.
2. The team's language resources (TMs, MT) are assigned and translate5's match analysis runs; the word counts
   per match band, priced with the run's ``rates`` (per band, in ``currency``), land in XCom and translate5's
   XML report next to the delivery.
3. A person approves the cost in the Airflow UI (human-in-the-loop, Airflow 3.1+): the approval form shows the
   estimated total, one line per match band (words x rate) and links to translate5's analysis report. The
   numbers are read strictly: a count that cannot be read, a rate that is not a number or a band with words
   but no rate fails the run, and nobody is asked. "Reject", or no answer within three days, skips
   everything after it; nothing is assigned.
4. On approval the translator, then the reviewer, named by login (or e-mail), get their jobs on every task:
   the translator's job opens, which starts translate5's workflow; the reviewer's waits until translate5
   reaches the review (translate5 would leave a job created after the import waiting, and the workflow with
   it). Airflow waits (deferred, no worker slot held) until the workflow ended, and the translated files are
   exported into the delivery folder.

Try it with ``make demo-features``: it runs this DAG against the bundled simulator and answers the approval
for you (``airflow dags test --mark-success-pattern '^approve_cost$'``). With your translate5, set the run's
params (``source``, ``target_langs``, ``translator``, ``reviewer``, ``language_resources``, ``rates``,
``currency``, ``delivery``).
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

#: Price of one word per match band, by translate5's band names (the analysis' ``bands``); ``104`` ... ``101``
#: are translate5's special classes (``102``: repetitions), ``noMatch`` the rest.
RATES = {
    "104": 0.0,
    "103": 0.03,
    "102": 0.03,
    "101": 0.03,
    "100": 0.03,
    "90-99": 0.09,
    "80-89": 0.12,
    "70-79": 0.15,
    "60-69": 0.18,
    "50-59": 0.18,
    "noMatch": 0.18,
}

PROJECT = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"
#: Counts and amounts are shown exactly as the analysis operator computed them (translate5's numbers read
#: strictly, Decimal arithmetic, amounts rounded to cents): no filter here turns anything into 0.
APPROVAL_BODY = """\
{% set analysis = ti.xcom_pull(task_ids='analyse') -%}
{% set cost = analysis['cost'] -%}
{% set unit = analysis['unit_type'] -%}
**Estimated cost: {{ cost['total'] }} {{ cost['currency'] }}** for {{ analysis['total'] }} {{ unit }}s:
{{ ti.xcom_pull(task_ids='order')['name'] }} into {{ params.target_langs | join(', ') }}.

| Match band | {{ unit | capitalize }}s | Rate ({{ cost['currency'] }}) | Amount ({{ cost['currency'] }}) |
|---|--:|--:|--:|
{% for line in cost['lines'] -%}
| {{ line['band'] }} | {{ line['units'] }} | {{ line['rate'] }} | {{ line['amount'] }} |
{% endfor -%}
| **Total** | {{ analysis['total'] }} | | **{{ cost['total'] }}** |

translate5's analysis report (opens in a browser logged in to translate5):
{% for entry in analysis['tasks'] -%}
[task {{ entry['task_id'] }}]({{ entry['report_url'] }}){{ ", " if not loop.last }}
{%- endfor %}.

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
        "rates": Param(
            RATES,
            type="object",
            additionalProperties={"type": "number", "minimum": 0},
            description="Price of one word per match band (translate5's band names); every band with words "
            "needs one",
        ),
        "currency": Param("EUR", type="string", minLength=1, description="Currency of the rates"),
        "delivery": Param(DELIVERY.as_uri(), type="string", description="Folder for the translated files"),
    },
    tags=["translate5", "example", "analysis", "hitl"],
    doc_md=__doc__,
)
def translate5_analyse_approve() -> None:
    @task
    def order() -> dict[str, Any]:
        """The run's order, people and prices checked first: an unknown or shared address, a rate that is
        not a number or a missing currency fails before any upload."""
        from airflow_provider_translate5.client.cost import read_currency, read_rates
        from airflow_provider_translate5.hooks import Translate5Hook

        params: dict[str, Any] = dict(get_current_context()["params"])
        read_rates(params["rates"])  # the analysis prices with them
        read_currency(params["currency"])
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
        rates=wanted["rates"],
        currency=wanted["currency"],
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

    # In workflow order: the first step's job opens (the workflow starts), the later one waits for its step.
    upload >> imported >> resources >> analyse >> approve >> translator >> reviewer >> translated >> deliver


translate5_analyse_approve()
