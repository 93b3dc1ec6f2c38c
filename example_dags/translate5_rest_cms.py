"""Translate the entries of a headless CMS through its REST API, and write the translations back.

Fits CMSs that store an entry once per locale and expose "list entries of a locale" and "create or update
the entry's version in locale X" calls. As written it speaks the Strapi 5 REST API:

- ``GET /api/<collection>?locale=en&pagination[page]=1&pagination[pageSize]=100``
  -> ``{"data": [{"documentId", "locale", "updatedAt", <fields>...}], "meta": {"pagination": {"pageCount"}}}``
- ``PUT /api/<collection>/<documentId>?locale=de`` with ``{"data": {<fields>}}`` creates or updates the
  German version.

Other CMSs need only the two methods of :class:`LocalizedEntriesApi` changed: Directus
(``/items/<collection>`` and its ``translations`` relation), Contentful (Content Management API, entries
with per-locale field values), WordPress with WPML or Polylang (``/wp-json/wp/v2/posts?lang=en``,
translations linked to the original), or any in-house "entries with locale" API.

An entry needs translating into a locale when that locale's version is missing or older than the source
(``updatedAt``). Each such entry becomes one small XLIFF file, one ``trans-unit`` per text field, so
translators see clean segments and the fields come back by id. translate5 gets one project per entry with the
stale locales; the export's targets are written back with one PUT per locale. The CMS itself is the record of
what is done: a second run finds nothing to do, and the content hash in ``foreign_id`` keeps retries and
re-runs from ordering a translation twice.

Connection ``cms_api`` (type *generic*): host = the CMS base URL with scheme, password = an API token sent
as ``Authorization: Bearer <token>``, extra ``{"timeout": 30}`` optional. For example
``AIRFLOW_CONN_CMS_API='{"conn_type": "generic", "host": "https://cms.example.org", "password": "…"}'``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from airflow.sdk import BaseHook, ObjectStoragePath, Param, dag, get_current_context, task

from airflow_provider_translate5.operators import Translate5ExportOperator, Translate5UploadTaskOperator
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

import content_drop
from content_drop import ContentItem, export_kwargs, poke_interval, translate5_id, upload_kwargs

log = logging.getLogger("airflow.task")  # the logger Airflow shows in task logs

CMS_CONN_ID = "cms_api"
XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"


class LocalizedEntriesApi:
    """The two CMS calls this DAG needs (Strapi 5 flavour). Adapt these for another CMS."""

    def __init__(self, conn_id: str = CMS_CONN_ID) -> None:
        import requests

        conn = BaseHook.get_connection(conn_id)
        if not conn.host or "://" not in conn.host:
            raise ValueError(f"connection {conn_id!r}: host must be the CMS base URL with scheme")
        self.base_url = conn.host.rstrip("/")
        self.timeout = float(conn.extra_dejson.get("timeout", 30))
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if conn.password:
            self.session.headers["Authorization"] = f"Bearer {conn.password}"

    def entries(self, collection: str, locale: str) -> Iterator[dict[str, Any]]:
        """Every entry of a collection in one locale, page by page."""
        page, page_count = 1, 1
        while page <= page_count:
            response = self.session.get(
                f"{self.base_url}/api/{collection}",
                params={"locale": locale, "pagination[page]": str(page), "pagination[pageSize]": "100"},
                timeout=self.timeout,
            )
            response.raise_for_status()
            body = response.json()
            yield from body["data"]
            page_count = int(body.get("meta", {}).get("pagination", {}).get("pageCount", 1))
            page += 1

    def put_localization(
        self, collection: str, document_id: str, locale: str, fields: Mapping[str, str]
    ) -> None:
        """Create or update the ``locale`` version of an entry (PUT is idempotent: safe to retry)."""
        response = self.session.put(
            f"{self.base_url}/api/{collection}/{document_id}",
            params={"locale": locale},
            json={"data": dict(fields)},
            timeout=self.timeout,
        )
        response.raise_for_status()


def _timestamp(value: str | None) -> datetime | None:
    # "2026-11-20T09:15:00.000Z"; fromisoformat() accepts the "Z" only from Python 3.11 on.
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def stale_locales(source: Mapping[str, Any], versions: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Target locales whose version of the entry is missing or older than the source version."""
    updated = _timestamp(source.get("updatedAt"))
    stale = []
    for locale, entries in versions.items():
        version = entries.get(source["documentId"])
        version_updated = _timestamp(version.get("updatedAt")) if version else None
        if version_updated is None or (updated is not None and version_updated < updated):
            stale.append(locale)
    return stale


def entry_to_xliff(entry: Mapping[str, Any], fields: Sequence[str], source_lang: str, original: str) -> str:
    """One ``trans-unit`` per non-empty text field; the unit id is the field name."""
    units = "".join(
        f"      <trans-unit id={quoteattr(name)} resname={quoteattr(name)}>\n"
        f"        <source>{escape(entry[name])}</source>\n"
        f"      </trans-unit>\n"
        for name in fields
        if isinstance(entry.get(name), str) and entry[name].strip()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xliff version="1.2" xmlns="{XLIFF_NS}">\n'
        f"  <file original={quoteattr(original)} source-language={quoteattr(source_lang)}"
        ' datatype="plaintext">\n'
        f"    <body>\n{units}    </body>\n  </file>\n</xliff>\n"
    )


def xliff_to_fields(xliff: str) -> dict[str, str]:
    """The translated fields: each unit's target text (inline markup flattened), keyed by unit id."""
    root = ElementTree.fromstring(xliff)
    fields = {}
    for unit in root.iter(f"{{{XLIFF_NS}}}trans-unit"):
        target = unit.find(f"{{{XLIFF_NS}}}target")
        if target is not None:
            fields[unit.attrib["id"]] = "".join(target.itertext())
    return fields


def document_id(item: ContentItem) -> str:
    """Items are named ``<collection>/<documentId>.xliff``."""
    return item["path"].rsplit("/", 1)[-1].removesuffix(".xliff")


@dag(
    dag_id="translate5_rest_cms",
    schedule=None,  # e.g. "@hourly": each run only translates what is missing or out of date
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    params={
        "collection": Param("articles", type="string", pattern=r"^[a-z0-9-]+$", description="Collection."),
        "fields": Param(["title", "summary", "body"], type="array", items={"type": "string"}, minItems=1),
        "source_lang": Param("en", type="string", description="Locale the content is written in."),
        "target_langs": Param(["de", "fr"], type="array", items={"type": "string"}, minItems=1),
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

        params = get_current_context()["params"]
        collection, source_lang = params["collection"], params["source_lang"]
        cms = LocalizedEntriesApi()
        versions = {
            lang: {entry["documentId"]: entry for entry in cms.entries(collection, lang)}
            for lang in params["target_langs"]
        }
        work = content_drop.folder(params["work_folder"], "translate5_rest_cms_work_folder", "rest-cms")
        items = []
        for entry in cms.entries(collection, source_lang):
            stale = stale_locales(entry, versions)
            if not stale:
                continue
            name = re.sub(r"[^A-Za-z0-9._-]+", "-", str(entry["documentId"]))
            relative = f"{collection}/{name}.xliff"
            path = work / "sources" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(entry_to_xliff(entry, params["fields"], source_lang, relative), encoding="utf-8")
            items.append(content_drop.make_item(path, relative, work / "exports", source_lang, stale))
            log.info("%s needs %s", relative, ", ".join(stale))
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
    def write_back(items: list[ContentItem], exports: list[list[str]]) -> list[dict[str, Any]]:
        """PUT each translated locale version back into the CMS; returns what was written."""
        collection = get_current_context()["params"]["collection"]
        cms = LocalizedEntriesApi()
        written = []
        for index, item in enumerate(items):  # mapped tasks' results come in map index order
            for uri in exports[index]:
                _, locale = content_drop.split_language(ObjectStoragePath(uri).name)
                fields = xliff_to_fields(ObjectStoragePath(uri).read_text(encoding="utf-8"))
                cms.put_localization(collection, document_id(item), locale, fields)
                log.info("%s/%s [%s]: wrote %s", collection, document_id(item), locale, ", ".join(fields))
                written.append({"documentId": document_id(item), "locale": locale, "fields": sorted(fields)})
        return written

    # mypy sees the XComArgs passed here; the task receives the lists they resolve to when it runs.
    write_back(items, export.output)  # type: ignore[arg-type]


translate5_rest_cms()
