"""CMS -> translate5 -> CMS: translate new or changed content and deliver it back to the CMS.

The CMS exports content into a *content drop* folder. Each run picks up the files that are new or changed
since the last delivery, creates one translate5 project per file with all target languages, waits for the
import and for translators and reviewers to finish the workflow, exports the translated files and delivers
them into the folder the CMS imports from (``<cms import>/<language>/<path>``).

Both folders are ObjectStoragePaths, so the DAG runs unchanged on a laptop (``file://``) and on
Celery/Kubernetes workers with the CMS exporting to ``s3://`` or ``gs://``. Set them per run (params
``content_drop`` / ``cms_import``) or once as Airflow Variables ``translate5_content_drop`` /
``translate5_cms_import``; without either, folders under ``$AIRFLOW_HOME/translate5/`` are used.

Running it again is always safe: delivered content is recorded in a manifest and skipped, and the upload's
``foreign_id`` (item path, content hash, languages) makes translate5 hand back the existing task instead of
ordering the same translation twice, whether Airflow retries a task or you trigger the DAG again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

from airflow_provider_translate5.operators import Translate5ExportOperator, Translate5UploadTaskOperator
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

import content_drop
from content_drop import ContentItem, export_kwargs, poke_interval, translate5_id, upload_kwargs

log = logging.getLogger("airflow.task")  # the logger Airflow shows in task logs


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
    },
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["translate5", "example"],
    doc_md=__doc__,
)
def translate5_cms_roundtrip() -> None:
    @task
    def find_changed_content() -> list[ContentItem]:
        """List the content that needs translating; an empty list skips the rest of the run."""
        params = get_current_context()["params"]
        drop = content_drop.folder(params["content_drop"], "translate5_content_drop", "content-drop")
        cms_import = content_drop.folder(params["cms_import"], "translate5_cms_import", "cms-import")
        items = content_drop.changed_items(drop, cms_import, params["source_lang"], params["target_langs"])
        log.info("%d new or changed item(s) in %s: %s", len(items), drop, ", ".join(i["path"] for i in items))
        return items

    items = find_changed_content()

    # One translate5 project per item, all target languages at once.
    upload = Translate5UploadTaskOperator.partial(task_id="upload").expand_kwargs(items.map(upload_kwargs))
    project_ids = upload.output.map(translate5_id)

    # Deferrable waits: while translate5 works, the waits cost no worker slot, and the triggerer polls all
    # of them together with one request per interval.
    imported = Translate5ImportSensor.partial(
        task_id="wait_for_import",
        deferrable=True,
        poke_interval=poke_interval(10),
        timeout=timedelta(hours=6).total_seconds(),
    ).expand(translate5_task_id=project_ids)
    translated = Translate5WorkflowEndedSensor.partial(
        task_id="wait_for_translation",
        deferrable=True,
        poke_interval=poke_interval(300),  # humans take days; a check every 5 minutes is plenty
        timeout=timedelta(days=30).total_seconds(),
    ).expand(translate5_task_id=project_ids)

    export = Translate5ExportOperator.partial(task_id="export", format="filetranslation").expand_kwargs(
        upload.output.zip(items).map(export_kwargs)
    )
    imported >> translated >> export

    @task
    def deliver(
        items: list[ContentItem],
        exports: list[list[str]],
        uploads: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Put the translations where the CMS imports them, record them in the manifest, and report.

        Returns one summary per item: translate5 link, and per language the delivered file and segment counts.
        A retry after a partial failure skips the items already delivered.
        """
        from airflow_provider_translate5.hooks import Translate5Hook

        params = get_current_context()["params"]
        cms_import = content_drop.folder(params["cms_import"], "translate5_cms_import", "cms-import")
        hook = Translate5Hook()
        client = hook.get_conn()
        manifest = content_drop.read_manifest(cms_import)
        summaries = []
        for index, item in enumerate(items):  # mapped tasks' results come in map index order
            project_id = translate5_id(uploads[index])
            files = content_drop.deliver(exports[index], item, cms_import, manifest, project_id)
            files_by_lang = {lang.lower(): uri for lang, uri in files.items()}
            languages: dict[str, dict[str, Any]] = {}
            for t5_task in client.project_tasks(project_id):
                lang = client.resolve_language(t5_task.target_lang or 0).rfc5646
                languages[lang] = {
                    "file": files_by_lang.get(lang.lower()),
                    "segments": t5_task.segment_count,
                    "segments_finished": t5_task.segment_finish_count,
                }
            url = hook.task_url(project_id)
            summaries.append({"item": item["path"], "translate5_url": url, "languages": languages})
            log.info("%s: translate5 project %s (%s)", item["path"], project_id, url)
            for lang, info in sorted(languages.items()):
                log.info(
                    "  %s: %s segments (%s finished) -> %s",
                    lang,
                    info["segments"],
                    info["segments_finished"],
                    info["file"],
                )
        return summaries

    # mypy sees the XComArgs passed here; the task receives the lists they resolve to when it runs.
    deliver(items, export.output, upload.output)  # type: ignore[arg-type]


translate5_cms_roundtrip()
