"""Machine pre-translation with translate5's InstantTranslate, for content that needs no human workflow.

Support articles, product reviews or internal pages often only need a fast machine translation. This DAG
takes the new or changed files of a content drop, has InstantTranslate pre-translate each file into each
target language (with the language resources configured for the customer in translate5: MT engines, TMs,
term collections) and writes the results straight to ``<cms import>/<language>/<path>``. No project, no
translators, no waiting for a workflow.

Folders come from the params, else the Airflow Variables ``translate5_instant_content_drop`` /
``translate5_instant_cms_import``, else folders under ``$AIRFLOW_HOME/translate5/``. A manifest in the
import folder records what was translated, so a run only spends machine translation on what changed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import ObjectStoragePath, Param, dag, get_current_context, task

from airflow_provider_translate5.operators import Translate5InstantTranslatePretranslateOperator

import content_drop
from content_drop import ContentItem, poke_interval

log = logging.getLogger("airflow.task")  # the logger Airflow shows in task logs


def _folders(params: dict[str, Any]) -> tuple[ObjectStoragePath, ObjectStoragePath]:
    drop = content_drop.folder(params["content_drop"], "translate5_instant_content_drop", "instant-drop")
    cms_import = content_drop.folder(params["cms_import"], "translate5_instant_cms_import", "instant-import")
    return drop, cms_import


def pretranslate_kwargs(job: dict[str, Any]) -> dict[str, Any]:
    """Arguments of one mapped pre-translation (``XComArg.map`` callables must be plain functions)."""
    item: ContentItem = job["item"]
    return {
        "source": item["source"],
        "source_lang": item["source_lang"],
        "target_lang": job["target_lang"],
        "destination": job["destination"],
    }


@dag(
    dag_id="translate5_instant_translate",
    schedule=None,  # e.g. "*/15 * * * *": machine translation is fast enough to run often
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    params={
        "content_drop": Param(None, type=["null", "string"], description="Folder URI with the content."),
        "cms_import": Param(None, type=["null", "string"], description="Folder URI for the translations."),
        "source_lang": Param("en", type="string"),
        "target_langs": Param(["de", "fr"], type="array", items={"type": "string"}, minItems=1),
    },
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    tags=["translate5", "example", "instanttranslate"],
    doc_md=__doc__,
)
def translate5_instant_translate() -> None:
    @task
    def find_changed_content() -> list[dict[str, Any]]:
        """One pre-translation job per new or changed item and target language."""
        params = get_current_context()["params"]
        drop, cms_import = _folders(params)
        from airflow.sdk import conf

        items = content_drop.changed_items(drop, cms_import, params["source_lang"], params["target_langs"])
        log.info("%d new or changed item(s) in %s", len(items), drop)
        # One mapped task instance per item and language: a run takes what Airflow can map, the next the rest.
        per_item = len(params["target_langs"])
        items = content_drop.take(
            cms_import, items, max(1, conf.getint("core", "max_map_length") // per_item)
        )
        return [
            {
                "item": item,
                "target_lang": lang,
                "destination": str(content_drop.delivery_path(cms_import, lang, item["path"])),
            }
            for item in items
            for lang in item["target_langs"]
        ]

    jobs = find_changed_content()

    # One mapped task instance per file and language: they run (and retry) independently of each other.
    pretranslate = Translate5InstantTranslatePretranslateOperator.partial(
        task_id="pretranslate",
        deferrable=True,
        poke_interval=poke_interval(5),
        timeout=timedelta(hours=1).total_seconds(),
    ).expand_kwargs(jobs.map(pretranslate_kwargs))

    @task
    def record(jobs: list[dict[str, Any]], written: list[str]) -> dict[str, list[str]]:
        """Remember what was translated (so the next run skips it) and report ``{item: [files]}``."""
        _, cms_import = _folders(get_current_context()["params"])
        manifest = content_drop.read_manifest(cms_import)
        report: dict[str, list[str]] = {}
        for index, job in enumerate(jobs):  # mapped tasks' results come in map index order
            uri = written[index]
            item: ContentItem = job["item"]
            report.setdefault(item["path"], []).append(uri)
            content_drop.record_delivery(manifest, item)
            log.info("%s [%s] -> %s", item["path"], job["target_lang"], uri)
        content_drop.write_manifest(cms_import, manifest)
        return report

    # mypy sees the XComArgs passed here; the task receives the lists they resolve to when it runs.
    record(jobs, pretranslate.output)  # type: ignore[arg-type]


translate5_instant_translate()
