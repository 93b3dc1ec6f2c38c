# mypy: disable-error-code="index,arg-type"
# (XComArgs as operator arguments and upload.output["items"]: Airflow resolves them at run time; their type
# declares neither the indexing nor the value they resolve to)
"""CMS -> translate5 -> CMS: translate new or changed content and deliver it back to the CMS.

The CMS exports content into a *content drop* folder. Each run orders the files that are new or changed
since their last delivery (a translate5 project per file, with every target language), waits for the
import and for translators and reviewers, exports the translated files and delivers them into the folder
the CMS imports from (``<cms import>/<language>/<path>``). The translate5 side is the provider's operators
only; ``content_drop.py`` does the CMS side: listing the drop, recording the orders in a manifest, delivering.

Any size of drop: a batch of up to ``batch_size`` items is one instance of the ``translate`` task group, so
one upload task instance orders 250 items and one deferred wait waits for all their tasks. A run takes at
most ``max_items_per_run`` items; the manifest's ``backlog`` says what it left for the next run.

Running it again is always safe: the upload's ``foreign_id`` (item path, content hash, languages) makes
translate5 hand back an order instead of ordering it twice. A run waits for translators at most
``TRANSLATE5_EXAMPLE_TRANSLATION_WAIT`` seconds (default 30 days); then its batches end as skipped and the
next run waits for their orders again. When the CMS changed an item meanwhile, the new content is ordered
anew and the open order is *superseded*: ended in translate5 and never delivered (a reverted change reopens
it). docs/examples.md describes every step.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task, task_group
from airflow.sdk.exceptions import AirflowException

from airflow_provider_translate5.operators import (
    Translate5EndTaskOperator,
    Translate5ExportOperator,
    Translate5ReopenTaskOperator,
    Translate5UploadTaskOperator,
)
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

import content_drop
from content_drop import poke_interval

log = logging.getLogger("airflow.task")  # the logger Airflow shows in task logs
#: Seconds one run waits for translators before leaving their orders to the next run (read when the file is
#: parsed, so set it on every Airflow process). Scheduled hourly, e.g. 3000.
TRANSLATION_WAIT = float(
    os.environ.get("TRANSLATE5_EXAMPLE_TRANSLATION_WAIT", timedelta(days=30).total_seconds())
)


def _folders(params: dict[str, Any]) -> tuple[Any, Any]:
    drop = content_drop.folder(params["content_drop"], "translate5_content_drop", "content-drop")
    cms_import = content_drop.folder(params["cms_import"], "translate5_cms_import", "cms-import")
    return drop, cms_import


# [START roundtrip_batch]
@task
def read_batch(batch: str) -> list[dict[str, Any]]:
    """The batch's orders, as the upload takes them (``items``): read from the file the listing wrote."""
    return content_drop.load_batch(batch)


@task_group
def translate(batch: str, exports: str) -> None:
    """One batch: order each item, wait for import and workflow (deferred), export into staging."""
    upload = Translate5UploadTaskOperator(task_id="upload", items=read_batch(batch))
    imported = Translate5ImportSensor(
        task_id="wait_for_import",
        translate5_task_ids=upload.output["task_ids"],
        deferrable=True,  # the triggerer asks translate5 about every wait at once, one request a poke
        poke_interval=poke_interval(10),
        timeout=timedelta(hours=6).total_seconds(),
    )
    translated = Translate5WorkflowEndedSensor(
        task_id="wait_for_translation",
        translate5_task_ids=upload.output["task_ids"],
        deferrable=True,
        poke_interval=poke_interval(60),  # humans take days
        timeout=TRANSLATION_WAIT,
        skip_on_timeout=True,  # the orders stay open; the next run waits for them again
    )
    export = Translate5ExportOperator(
        task_id="export",
        items=upload.output["items"],
        destination=exports,  # <cms import>/.translate5-staging/{foreign_id}/{target_lang}/
        format="filetranslation",
    )
    imported >> translated >> export


# [END roundtrip_batch]


@dag(
    dag_id="translate5_cms_roundtrip",
    schedule=None,  # e.g. "@hourly": every run only picks up what changed since the last delivery
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # two overlapping runs would both pick up the same new content
    params={
        "content_drop": Param(
            None,
            type=["null", "string"],
            description="Folder URI the CMS exports to (file://, s3://, gs://). Empty: the Airflow Variable "
            "translate5_content_drop, else $AIRFLOW_HOME/translate5/content-drop/ (LocalExecutor only).",
        ),
        "cms_import": Param(
            None,
            type=["null", "string"],
            description="Folder URI the CMS imports translations from. Empty: the Airflow Variable "
            "translate5_cms_import, else $AIRFLOW_HOME/translate5/cms-import/ (LocalExecutor only).",
        ),
        "source_lang": Param("en", type="string", description="Language of the CMS content (RFC 5646)."),
        "target_langs": Param(
            ["de", "fr"], type="array", items={"type": "string"}, minItems=1, description="Target languages."
        ),
        "batch_size": Param(250, type="integer", minimum=1, description="Items per batch (task instance)."),
        "max_items_per_run": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            description="Items one run takes at most; the rest waits for the next run. "
            "Empty: batch_size x [core] max_map_length.",
        ),
    },
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["translate5", "example"],
    doc_md=__doc__,
)
def translate5_cms_roundtrip() -> None:
    @task
    def find_changed_content() -> list[str]:
        """Record what this run orders in the manifest; return its batches (files: XCom stays small).

        Pushes the translate5 tasks to end (``superseded``) and to reopen (``reverted``), and where the export
        stages each order (``exports``). Asks translate5 nothing.
        """
        from airflow.sdk import conf

        context = get_current_context()
        params, ti = context["params"], context["ti"]
        drop, cms_import = _folders(params)
        size = int(params["batch_size"])
        most = size * conf.getint("core", "max_map_length", fallback=1024)
        limit = min(most, int(params["max_items_per_run"] or most))
        orders = content_drop.find_orders(
            drop, cms_import, params["source_lang"], params["target_langs"], limit
        )
        ti.xcom_push("superseded", orders.superseded)
        ti.xcom_push("reverted", orders.reverted)
        ti.xcom_push("exports", content_drop.export_pattern(cms_import))
        batches = content_drop.batches(orders.items, size)
        log.info("%d item(s) to order from %s, in %d batch(es)", len(orders.items), drop, len(batches))
        return content_drop.save_batches(cms_import, context["run_id"], batches)

    found = find_changed_content()
    translated = translate.partial(exports=found["exports"]).expand(batch=found)
    ended = Translate5EndTaskOperator(
        task_id="end_superseded_orders", translate5_task_ids=found["superseded"]
    )
    reopened = Translate5ReopenTaskOperator(
        task_id="reopen_reverted_orders", translate5_task_ids=found["reverted"]
    )

    @task(trigger_rule="all_done")  # also after a failed batch: what the others exported is delivered
    def deliver(ended: list[Any] | None, reopened: list[Any] | None) -> list[dict[str, Any]]:
        """Note the orders' translate5 ids in the manifest, put every export waiting in staging into the CMS
        import folder (never one of a superseded order), and report one summary per item delivered."""
        from airflow_provider_translate5.hooks import Translate5Hook

        context = get_current_context()
        _, cms_import = _folders(context["params"])
        uploads = context["ti"].xcom_pull(task_ids=["translate.upload"], key="items")  # one per batch
        ordered = [item for batch in uploads or [] if batch for item in batch]
        summaries = content_drop.deliver_staged(
            cms_import, ordered, superseded_ended=ended is not None, reverted_reopened=reopened is not None
        )
        content_drop.remove_batches(cms_import, context["run_id"])
        hook = Translate5Hook()
        for summary in summaries:  # a link into translate5 per item (no request)
            summary["translate5_url"] = summary["translate5_id"] and hook.task_url(summary["translate5_id"])
        for summary in summaries[:50]:
            langs = ", ".join(f"{lang}: {info['file']}" for lang, info in summary["languages"].items())
            log.info("%s (%s): %s", summary["item"], summary["translate5_url"], langs)
        log.info("Delivered %d item(s) into %s", len(summaries), cms_import)
        return summaries

    @task(trigger_rule="one_failed", retries=0)
    def report_failed_batches() -> None:
        """Fail the run when a batch failed, after ``deliver`` handed over what the others finished."""
        raise AirflowException(
            "a batch (or ending or reopening an order) failed; the next run takes its items again, into "
            "their open orders, and ends or reopens what is left (see the task logs)"
        )

    delivered = deliver(ended.output, reopened.output)  # None: that step did not succeed
    translated >> delivered
    [translated, ended, reopened, delivered] >> report_failed_batches()


translate5_cms_roundtrip()
