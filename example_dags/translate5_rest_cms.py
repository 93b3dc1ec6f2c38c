"""Translate the entries of a headless CMS through its REST API, and write the translations back as drafts.

As written it speaks Strapi 5 (``strapi.py``: calls, schema, locales, errors; ``strapi_xliff.py``: entries to
XLIFF and back). It is tested against a real Strapi 5 (``make cms-test``) and a fake that behaves like it.

What a run does:

1. Checks the params against Strapi before anything is ordered: the locales exist (``GET /api/i18n/locales``),
   each field in ``fields`` is localized and holds text (the content type's schema). Default: every
   localized text field, component and dynamic zone.
2. Lists the source locale's entries (``source_status``: published versions by default, or drafts) and every
   target locale's drafts. Entries that exist only as drafts are reported, not translated.
3. A locale version needs the translation when it is missing, or when it is the DAG's own earlier
   translation (unchanged since) of an older source. A version a person wrote or edited, draft or
   published, is never overwritten unless param ``overwrite`` is on; when it is older than the source
   the run reports it.
4. Each such entry becomes one small XLIFF file (a unit per text field and per paragraph, heading or list
   item of rich text, formatting as inline codes) and one translate5 project for the locales it needs.
5. After the workflow, each locale is checked again (a person may have written it meanwhile), then written
   with one PUT: a draft for an editor to review and publish (param ``publish`` publishes at once). What
   Strapi stored is read back and compared with what was sent.

The work folder keeps a record of what the DAG wrote (``strapi-written.json``), so a second run orders
nothing and an entry changed in the source is ordered again alone.

Connection ``cms_api`` (type *generic*): host = the CMS base URL with scheme, password = a full-access API
token sent as ``Authorization: Bearer <token>``, extra ``{"timeout": 30}`` optional. For example
``AIRFLOW_CONN_CMS_API='{"conn_type": "generic", "host": "https://cms.example.org", "password": "…"}'``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime, timedelta
from typing import Any

import strapi
from airflow.sdk import ObjectStoragePath, Param, dag, get_current_context, task

from airflow_provider_translate5.operators import Translate5ExportOperator, Translate5UploadTaskOperator
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

import content_drop
from content_drop import ContentItem, export_kwargs, poke_interval, translate5_id, upload_kwargs

log = logging.getLogger("airflow.task")  # the logger Airflow shows in task logs


def document_id(item: ContentItem) -> str:
    """Items are named ``<collection>/<documentId>.xliff``."""
    return item["path"].rsplit("/", 1)[-1].removesuffix(".xliff")


def skeleton_path(item: ContentItem) -> ObjectStoragePath:
    """The source entry an item's XLIFF was made from, beside it: the translation is put back into it."""
    return ObjectStoragePath(item["source"].removesuffix(".xliff") + ".json")


def read_record(work: ObjectStoragePath) -> dict[str, dict[str, str]]:
    path = work / strapi.RECORD_NAME
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else {}


@dag(
    dag_id="translate5_rest_cms",
    schedule=None,  # e.g. "@hourly": each run only translates what is missing or out of date
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    params={
        "collection": Param("articles", type="string", pattern=r"^[a-z0-9-]+$", description="Collection."),
        "fields": Param(
            None,
            type=["null", "array"],
            items={"type": "string"},
            description="Fields to translate; empty: every localized text field, component and dynamic zone.",
        ),
        "source_lang": Param("en", type="string", description="Locale the content is written in."),
        "source_status": Param(
            "published",
            enum=["published", "draft"],
            description="Translate the published versions of the source, or its drafts.",
        ),
        "target_langs": Param(["de", "fr"], type="array", items={"type": "string"}, minItems=1),
        "publish": Param(
            False, type="boolean", description="Publish translations at once instead of drafts."
        ),
        "overwrite": Param(
            False, type="boolean", description="Replace versions a person wrote when older than the source."
        ),
        "work_folder": Param(None, type=["null", "string"], description="Folder URI for the XLIFF files."),
    },
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["translate5", "example", "cms"],
    doc_md=__doc__,
)
def translate5_rest_cms() -> None:
    @task
    def fetch_entries() -> list[ContentItem]:
        """Find entries with missing or outdated translations and write one XLIFF file per entry."""
        from airflow.sdk import conf
        from strapi_xliff import to_xliff, walk

        context = get_current_context()
        params = context["params"]
        collection, source_lang, targets = params["collection"], params["source_lang"], params["target_langs"]
        cms = strapi.StrapiApi()
        strapi.check_locales(cms.locales(), source_lang, targets)
        schema = cms.schema(collection)
        fields = schema.translatable_fields(params["fields"] or None)
        populate = schema.populate(fields)
        work = content_drop.folder(params["work_folder"], "translate5_rest_cms_work_folder", "rest-cms")
        record = read_record(work)
        versions = {
            lang: {entry["documentId"]: entry for entry in cms.entries(collection, lang, "draft", populate)}
            for lang in targets
        }
        sources = list(cms.entries(collection, source_lang, params["source_status"], populate))
        drafts_only: list[str] = []
        if params["source_status"] == "published" and schema.draft_and_publish:
            published = {entry["documentId"] for entry in sources}
            drafts = cms.entries(collection, source_lang, "draft", {"fields[0]": "updatedAt"})
            drafts_only = sorted(e["documentId"] for e in drafts if e["documentId"] not in published)
        if drafts_only:
            log.warning(
                "%d %s entr(y/ies) exist only as drafts in %s, not translated (param source_status): %s",
                len(drafts_only),
                collection,
                source_lang,
                ", ".join(drafts_only),
            )
        items, left_alone = [], []
        for entry in sources:
            doc = str(entry["documentId"])
            name = re.sub(r"[^A-Za-z0-9._-]+", "-", doc)
            relative = f"{collection}/{name}.xliff"
            xliff = to_xliff(schema, entry, fields, source_lang, relative)
            digest = hashlib.sha256(xliff.encode("utf-8")).hexdigest()
            stale = []
            for lang in targets:
                needed, note = strapi.needs_writing(
                    versions[lang].get(doc),
                    record.get(strapi.record_key(collection, doc, lang)),
                    digest,
                    entry.get("updatedAt"),
                    fields,
                    params["overwrite"],
                )
                if needed:
                    stale.append(lang)
                if note:
                    left_alone.append({"documentId": doc, "locale": lang, "note": note})
                    log.warning("%s [%s]: %s", relative, lang, note)
            if not stale:
                continue
            path = work / "sources" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(xliff, encoding="utf-8")
            skeleton = {
                "sha256": digest,
                "updatedAt": entry.get("updatedAt"),
                "entry": walk(schema, entry, fields, lambda _, v: v),
            }
            content_drop.write_json(path.parent / f"{name}.json", skeleton)
            items.append(content_drop.make_item(path, relative, work / "exports", source_lang, stale, digest))
            log.info("%s needs %s", relative, ", ".join(stale))
        context["ti"].xcom_push(key="report", value={"drafts_only": drafts_only, "left_alone": left_alone})
        log.info("%d entr(y/ies) of %r need translating", len(items), collection)
        limit = conf.getint("core", "max_map_length", fallback=1024)
        if len(items) > limit:  # the CMS is the record of what is done: the next run finds the rest again
            log.warning("Taking %d of %d entries this run ([core] max_map_length)", limit, len(items))
        return items[:limit]

    items = fetch_entries()
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
    export = Translate5ExportOperator.partial(task_id="export", format="filetranslation").expand_kwargs(
        upload.output.zip(items).map(export_kwargs)
    )
    imported >> translated >> export

    @task
    def write_back(items: list[ContentItem], exports: list[list[str]]) -> dict[str, list[dict[str, Any]]]:
        """Write each translated locale version back into Strapi, unless a person wrote it meanwhile."""
        from strapi_xliff import TranslationMismatch, from_xliff

        params = get_current_context()["params"]
        collection = params["collection"]
        cms = strapi.StrapiApi()
        schema = cms.schema(collection)
        fields = schema.translatable_fields(params["fields"] or None)
        populate = schema.populate(fields)
        work = content_drop.folder(params["work_folder"], "translate5_rest_cms_work_folder", "rest-cms")
        record = read_record(work)
        written, left_alone = [], []
        for index, item in enumerate(items):  # mapped tasks' results come in map index order
            doc = document_id(item)
            skeleton = json.loads(skeleton_path(item).read_text(encoding="utf-8"))
            if skeleton["sha256"] != item["sha256"]:
                raise TranslationMismatch(f"{item['path']}: its source changed on disk since it was ordered")
            wanted = {lang.lower(): lang for lang in item["target_langs"]}
            for uri in exports[index]:
                _, exported_lang = content_drop.split_language(ObjectStoragePath(uri).name)
                locale = wanted.get(exported_lang.lower())
                if locale is None:
                    raise TranslationMismatch(
                        f"{uri}: translate5 exported {exported_lang!r}, not one of {item['target_langs']}"
                    )
                data = from_xliff(
                    schema, skeleton["entry"], fields, ObjectStoragePath(uri).read_text(encoding="utf-8")
                )
                key = strapi.record_key(collection, doc, locale)
                current = cms.draft(collection, doc, locale, populate)
                needed, note = strapi.needs_writing(
                    current,
                    record.get(key),
                    item["sha256"],
                    skeleton["updatedAt"],
                    fields,
                    params["overwrite"],
                )
                state = "published" if params["publish"] else "draft"
                if (
                    not needed
                    and current is not None
                    and record.get(key)
                    == {
                        "source": item["sha256"],
                        "target": strapi.fingerprint(current, fields),
                    }
                ):  # this very translation, written by an earlier try of this task
                    written.append(
                        {"documentId": doc, "locale": locale, "fields": sorted(data), "status": state}
                    )
                    continue
                if not needed:
                    reason = note or "written in the CMS while in translation: left alone"
                    left_alone.append({"documentId": doc, "locale": locale, "note": reason})
                    log.warning("%s/%s [%s]: not written, %s", collection, doc, locale, reason)
                    continue
                stored = cms.put(collection, doc, locale, data, params["publish"], populate)
                if strapi.fingerprint(stored, fields) != strapi.fingerprint(data, fields):
                    raise TranslationMismatch(
                        f"{collection}/{doc} [{locale}]: Strapi stored something else than the "
                        f"translation sent (fields {', '.join(fields)})"
                    )
                record[key] = {"source": item["sha256"], "target": strapi.fingerprint(stored, fields)}
                content_drop.write_json(work / strapi.RECORD_NAME, record)
                log.info("%s/%s [%s]: wrote %s as %s", collection, doc, locale, ", ".join(data), state)
                written.append({"documentId": doc, "locale": locale, "fields": sorted(data), "status": state})
        return {"written": written, "left_alone": left_alone}

    # mypy sees the XComArgs passed here; the task receives the lists they resolve to when it runs.
    write_back(items, export.output)  # type: ignore[arg-type]


translate5_rest_cms()
