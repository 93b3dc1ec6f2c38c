"""CMS -> translate5 -> CMS: translate new or changed content and deliver it back to the CMS.

The CMS exports content into a *content drop* folder. Each run picks up the files that are new or changed
since the last delivery, creates one translate5 project per file with all target languages, waits for the
import and for translators and reviewers to finish the workflow, exports the translated files and delivers
them into the folder the CMS imports from (``<cms import>/<language>/<path>``).

Any size of drop: items travel in batches (``batch_size`` items per mapped task group instance), and a batch
uploads, looks up and exports its items on one translate5 session, ``concurrency`` requests at a time. A run
takes at most ``max_items_per_run`` items (and never more batches than Airflow's ``[core] max_map_length``);
the rest is recorded in the manifest's ``backlog`` and taken by the next run. Each batch flows on its own:
an early batch is exported while later ones still wait, and ``deliver`` hands over every complete export
waiting in staging, also those of an earlier run that failed half way.

Both folders are ObjectStoragePaths, so the DAG runs unchanged on a laptop (``file://``) and on
Celery/Kubernetes workers with the CMS exporting to ``s3://`` or ``gs://``. Set them per run (params
``content_drop`` / ``cms_import``) or once as Airflow Variables ``translate5_content_drop`` /
``translate5_cms_import``; without either, folders under ``$AIRFLOW_HOME/translate5/`` are used, but only
with an executor that runs every task on one machine.

Running it again is always safe: delivered content is recorded in a manifest and skipped, and the upload's
``foreign_id`` (item path, content hash, languages) makes translate5 hand back the existing task instead of
ordering the same translation twice, whether Airflow retries a task or you trigger the DAG again.

Content that changes while its translation is open: the manifest lists every order not delivered yet
(``open``). A run waits for translators at most ``TRANSLATE5_EXAMPLE_TRANSLATION_WAIT`` seconds (default 30
days); then its batches end as skipped and their orders stay open. The next run waits for them again; when
the CMS changed an item meanwhile, the new content is ordered anew, and the open order is *superseded*:
``end_superseded_orders`` ends it in translate5 (its translators stop working on text that will not be
published; a project manager can reopen it), and its export is never delivered, so it can never overwrite
the translation of the newer content. The logs of ``find_changed_content``, ``end_superseded_orders`` and
``deliver`` say what happened to each such order. (translate5's reimport cannot update an open order
instead: it applies a file's targets, never a changed source.) Runs do not overlap (``max_active_runs=1``),
so to pick up changes while translations are open, schedule the DAG (e.g. ``@hourly``) and set the wait
below the schedule's interval (e.g. 3000 s): each run delivers what is done, re-attaches to what is not,
and orders anew what changed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task, task_group
from airflow.sdk.exceptions import AirflowException

from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

import content_drop
import translate5_batches
from content_drop import poke_interval

log = logging.getLogger("airflow.task")  # the logger Airflow shows in task logs


def _folders(params: dict[str, Any]) -> tuple[Any, Any]:
    drop = content_drop.folder(params["content_drop"], "translate5_content_drop", "content-drop")
    cms_import = content_drop.folder(params["cms_import"], "translate5_cms_import", "cms-import")
    return drop, cms_import


def _hook() -> Any:
    from airflow_provider_translate5.hooks import Translate5Hook

    return Translate5Hook()


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
            description="Folder URI the CMS exports to (file://, s3://, gs://).",
        ),
        "cms_import": Param(
            None, type=["null", "string"], description="Folder URI the CMS imports translations from."
        ),
        "source_lang": Param("en", type="string", description="Language of the CMS content (RFC 5646)."),
        "target_langs": Param(
            ["de", "fr"], type="array", items={"type": "string"}, minItems=1, description="Target languages."
        ),
        "batch_size": Param(
            50, type="integer", minimum=1, description="Items per batch (one task instance per step)."
        ),
        "max_items_per_run": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            description="Items one run takes at most; the rest waits for the next run. "
            "Default: batch_size x [core] max_map_length.",
        ),
        "concurrency": Param(
            4, type="integer", minimum=1, maximum=32, description="Parallel requests per task to translate5."
        ),
    },
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["translate5", "example"],
    doc_md=__doc__,
)
def translate5_cms_roundtrip() -> None:
    @task
    def find_changed_content() -> list[str]:
        """Batches of the content that needs translating, at most what one run may take (one file each).

        Reads the drop and writes the manifest only (the orders it places and those they supersede);
        translate5 is not asked.
        """
        from airflow.sdk import conf

        context = get_current_context()
        params = context["params"]
        drop, cms_import = _folders(params)
        concurrency = int(params["concurrency"])
        files = content_drop.list_files(drop)  # listed once: changes, and which open orders are still in it
        items = content_drop.changed_items(
            drop, cms_import, params["source_lang"], params["target_langs"], concurrency, files=files
        )
        size = int(params["batch_size"])
        most = size * conf.getint("core", "max_map_length", fallback=1024)
        limit = min(most, int(params["max_items_per_run"] or most))
        taken = content_drop.take(cms_import, items, limit)
        # what is ordered now, and which open orders that supersedes (gone files: forgotten)
        content_drop.record_open_orders(cms_import, taken, set(files))
        batches = content_drop.batches(taken, size)
        log.info("%d new or changed item(s) in %s, %d batch(es) this run", len(items), drop, len(batches))
        return content_drop.save_batches(cms_import, context["run_id"], batches)

    @task_group
    def translate(batch: str) -> None:
        """One batch: order, wait for the import and the workflow (deferred), export into staging."""

        @task(multiple_outputs=True)
        def upload(batch: str) -> dict[str, Any]:
            """``{"uploads": [one per item], "taskIds": [every translate5 task of the batch]}``."""
            items = content_drop.load_batch(batch)
            hook = _hook()
            try:
                params = get_current_context()["params"]
                uploads = translate5_batches.upload_batch(hook, items, params["concurrency"])
            finally:
                hook.close()
            return {"uploads": uploads, "taskIds": [i for upload in uploads for i in upload["taskIds"]]}

        uploaded = upload(batch)
        # XComArgs of the two keys (multiple_outputs); Airflow's type hints do not declare the indexing.
        task_ids, uploads = uploaded["taskIds"], uploaded["uploads"]  # type: ignore[index]
        # Deferrable waits for all tasks of the batch at once: while translate5 works, they hold no worker
        # slot, and the triggerer asks translate5 about all waits together, one request per interval.
        imported = Translate5ImportSensor(
            task_id="wait_for_import",
            translate5_task_ids=task_ids,
            deferrable=True,
            poke_interval=poke_interval(10),
            timeout=timedelta(hours=6).total_seconds(),
        )
        translated = Translate5WorkflowEndedSensor(
            task_id="wait_for_translation",
            translate5_task_ids=task_ids,
            deferrable=True,
            poke_interval=poke_interval(60),  # humans take days; one request a minute serves every wait
            # Then the batch ends as skipped: its orders stay open, and the next run waits for them again.
            timeout=content_drop.translation_wait(timedelta(days=30).total_seconds()),
            skip_on_timeout=True,
        )

        @task
        def export(uploads: list[dict[str, Any]]) -> list[str]:
            hook = _hook()
            try:
                return translate5_batches.export_batch(
                    hook, uploads, get_current_context()["params"]["concurrency"]
                )
            finally:
                hook.close()

        imported >> translated >> export(uploads)

    batches = find_changed_content()
    translated = translate.expand(batch=batches)

    @task
    def end_superseded_orders() -> list[str]:
        """End in translate5 the open orders whose content the CMS replaced; returns their foreignIds."""
        _, cms_import = _folders(get_current_context()["params"])
        hook = _hook()
        try:
            return translate5_batches.end_superseded(hook, cms_import)
        finally:
            hook.close()

    ended = end_superseded_orders()
    batches >> ended

    @task(trigger_rule="all_done")  # also after a failed batch: what the others exported is delivered
    def deliver() -> list[dict[str, Any]]:
        """Put every complete export into the CMS import folder, record it in the manifest, and report.

        Returns one summary per item: translate5 link, and per language the delivered file and segment counts.
        """
        context = get_current_context()
        params = context["params"]
        _, cms_import = _folders(params)
        summaries = content_drop.deliver_pending(cms_import, concurrency=2 * int(params["concurrency"]))
        content_drop.remove_batches(cms_import, context["run_id"])
        for summary in summaries[:50]:
            langs = ", ".join(f"{lang}: {info['file']}" for lang, info in summary["languages"].items())
            log.info("%s (%s): %s", summary["item"], summary["translate5_url"], langs)
        log.info("Delivered %d item(s) into %s", len(summaries), cms_import)
        return summaries

    @task(trigger_rule="one_failed", retries=0)
    def report_failed_batches() -> None:
        """Fail the run when a batch failed, after ``deliver`` handed over what the others finished."""
        raise AirflowException(
            "a batch (or ending a superseded order) failed; the next run takes its items again, into their "
            "open orders, and ends what is left to end (see the task logs)"
        )

    delivered = deliver()
    [translated, ended] >> delivered  # a superseded order's export is never delivered
    [translated, ended, delivered] >> report_failed_batches()


translate5_cms_roundtrip()
