"""Event-driven delivery: translation and CMS delivery as two DAGs joined by an Airflow Asset.

``translate5_asset_translate`` translates the documents named in its run conf: a CMS webhook or script
triggers it (``POST /api/v2/dags/<id>/dagRuns``) with ``{"sources": ["s3://cms@export/pages/about.html"]}``.
Its export task has ``outlets=[CMS_TRANSLATIONS]``: when a document's translated files are written, Airflow
records an asset event whose ``extra`` lists their URIs (``uris``) and the translate5 id
(``translate5_task_id``).

``translate5_asset_delivery`` is scheduled on that asset, so it starts on its own after every export and
copies the files into the CMS import folder (``<cms import>/<language>/<name>``). The translation DAG knows
nothing about the CMS, and delivery can be changed, paused or re-run without touching translate5.

Each delivery run moves *every* exported file waiting in the export folder, not only those of the events
that started it: when several exports finish within moments, Airflow may start one run for all of them or
hand some events to a later run, and nothing may depend on that. Delivered files are removed from the
export folder, so what is there is what is pending.

The export folder comes from the ``export_folder`` param or the Variable ``translate5_export_folder``; the
CMS import folder from the Variable ``translate5_cms_import``; both default to folders under
``$AIRFLOW_HOME/translate5/`` with an executor that runs every task on one machine (elsewhere a missing
Variable fails the task with a message naming it).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from airflow.sdk import Asset, ObjectStoragePath, Param, dag, get_current_context, task

from airflow_provider_translate5.operators import Translate5ExportOperator, Translate5UploadTaskOperator
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

import content_drop
from content_drop import ContentItem, export_kwargs, poke_interval, translate5_id, upload_kwargs

log = logging.getLogger("airflow.task")  # the logger Airflow shows in task logs

#: "Translated files for the CMS are ready". Producer and consumer only share this name.
CMS_TRANSLATIONS = Asset(name="translate5_cms_translations", uri="translate5://exports/cms")


@dag(
    dag_id="translate5_asset_translate",
    schedule=None,  # triggered per document (or a few), by the CMS or by hand
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "sources": Param(
            type="array", items={"type": "string"}, minItems=1, description="URIs of the documents."
        ),
        "source_lang": Param("en", type="string"),
        "target_langs": Param(["de", "fr"], type="array", items={"type": "string"}, minItems=1),
        "export_folder": Param(None, type=["null", "string"], description="Where exports are written."),
    },
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["translate5", "example", "assets"],
    doc_md=__doc__,
)
def translate5_asset_translate() -> None:
    @task
    def order() -> list[ContentItem]:
        """Describe the documents of this run; the content hash in foreign_id makes re-runs retry-safe."""
        params = get_current_context()["params"]
        exports = content_drop.folder(params["export_folder"], "translate5_export_folder", "exports")
        source_lang, target_langs = params["source_lang"], params["target_langs"]
        sources = [ObjectStoragePath(uri) for uri in params["sources"]]
        return [content_drop.make_item(src, src.name, exports, source_lang, target_langs) for src in sources]

    items = order()
    upload = Translate5UploadTaskOperator.partial(task_id="upload").expand_kwargs(items.map(upload_kwargs))
    project_ids = upload.output.map(translate5_id)
    imported = Translate5ImportSensor.partial(
        task_id="wait_for_import", deferrable=True, poke_interval=poke_interval(10)
    ).expand(translate5_task_id=project_ids)
    translated = Translate5WorkflowEndedSensor.partial(
        task_id="wait_for_translation",
        deferrable=True,
        poke_interval=poke_interval(60),  # all waits of a connection share one request per interval
        timeout=timedelta(days=30).total_seconds(),
    ).expand(translate5_task_id=project_ids)
    export = Translate5ExportOperator.partial(
        task_id="export",
        format="filetranslation",
        outlets=[CMS_TRANSLATIONS],  # each export's event lists the files it wrote in extra["uris"]
    ).expand_kwargs(upload.output.zip(items).map(export_kwargs))
    imported >> translated >> export


@dag(
    dag_id="translate5_asset_delivery",
    schedule=[CMS_TRANSLATIONS],
    # Each run delivers everything pending; two overlapping runs would race for the same staged files.
    max_active_runs=1,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 3, "retry_delay": timedelta(minutes=1)},
    tags=["translate5", "example", "assets"],
    doc_md=__doc__,
)
def translate5_asset_delivery() -> None:
    @task
    def deliver_to_cms() -> list[str]:
        """Move every exported file waiting in the export folders into the CMS import folder."""
        from airflow.sdk import ObjectStoragePath

        from airflow_provider_translate5.files import overlaps

        events = get_current_context()["triggering_asset_events"].get(CMS_TRANSLATIONS) or []
        exports = content_drop.folder(None, "translate5_export_folder", "exports")
        cms_import = content_drop.folder(None, "translate5_cms_import", "cms-import")
        folders = {str(exports): exports}
        for event in events:  # a run-level export_folder param is only known from the events
            log.info("Started by the export of translate5 task %s", event.extra.get("translate5_task_id"))
            for uri in event.extra.get("uris", []):
                parent = ObjectStoragePath(uri).parent
                if not overlaps(exports, parent):  # the export folder's own files are delivered anyway
                    folders.setdefault(str(parent), parent)
        delivered = []
        for folder in folders.values():
            delivered += [target for _, _, target in content_drop.deliver_all_files(folder, cms_import)]
        log.info("Delivered %d file(s) from %d event(s) and earlier exports", len(delivered), len(events))
        return delivered

    deliver_to_cms()


translate5_asset_translate()
translate5_asset_delivery()
