"""Content drops: how the example DAGs find new CMS content and hand translations back.

Most CMSs can export content to a folder and import translations from another one (a "content drop"). Both
folders are addressed as :class:`~airflow.sdk.ObjectStoragePath`, so the same DAG works with a local
``file://`` folder on one machine and with ``s3://`` or ``gs://`` buckets on Celery/Kubernetes workers.

Layout this module assumes (copy it next to the DAG that uses it and adapt ``delivery_path`` to your CMS)::

    <content drop>/pages/about-us.html              what the CMS exported (any depth)
    <cms import>/de/pages/about-us.html             what we deliver: one folder per target language
    <cms import>/.translate5-manifest.json          content hash per delivered item ("what is new?")
    <cms import>/.translate5-staging/<item key>/    exports waiting to be delivered

This file defines no DAG; ``.airflowignore`` keeps the DAG processor from parsing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TypedDict

from airflow.sdk import ObjectStoragePath, Variable

MANIFEST_NAME = ".translate5-manifest.json"
STAGING_NAME = ".translate5-staging"
_POKE_INTERVAL_ENV = "TRANSLATE5_EXAMPLE_POKE_INTERVAL"


class ContentItem(TypedDict):
    """One piece of CMS content (a file in the drop), as passed between tasks through XCom."""

    path: str  # relative to the content drop, "/"-separated: also the path below each language folder
    source: str  # URI of the file in the content drop
    sha256: str
    task_name: str
    foreign_id: str  # idempotency key in translate5: same content version -> same translate5 task
    source_lang: str
    target_langs: list[str]
    staging: str  # URI of the folder the export writes to


def poke_interval(default: float) -> float:
    """Seconds between status checks; the demo and the tests shorten them with an environment variable."""
    return float(os.environ.get(_POKE_INTERVAL_ENV, default))


def folder(uri: str | None, variable: str, default_name: str) -> ObjectStoragePath:
    """A folder from a DAG param, else an Airflow Variable, else a local folder under ``$AIRFLOW_HOME``.

    Resolved when a task runs, never while the DAG file is parsed (Variables cost a round trip each).
    """
    if not uri:
        uri = Variable.get(variable, default=None)
    if not uri:
        home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
        uri = f"file://{os.path.abspath(home)}/translate5/{default_name}"
    return ObjectStoragePath(uri.rstrip("/") + "/")


def sha256(path: ObjectStoragePath) -> str:
    """Content hash, streamed (object stores' own checksums differ between backends and upload modes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:  # type: ignore[no-untyped-call]  # unannotated in Airflow 3.3
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(cms_import: ObjectStoragePath) -> dict[str, dict[str, Any]]:
    manifest = cms_import / MANIFEST_NAME
    if not manifest.exists():
        return {}
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return dict(data.get("items", {}))


def write_manifest(cms_import: ObjectStoragePath, items: Mapping[str, Mapping[str, Any]]) -> None:
    """Write the manifest under a temporary name first: a crash never leaves it half written."""
    cms_import.mkdir(parents=True, exist_ok=True)
    temp = cms_import / f"{MANIFEST_NAME}.part"
    temp.write_text(json.dumps({"items": items}, indent=2, sort_keys=True), encoding="utf-8")
    temp.rename(cms_import / MANIFEST_NAME)


def make_item(
    path: ObjectStoragePath,
    relative: str,
    staging_root: ObjectStoragePath,
    source_lang: str,
    target_langs: Sequence[str],
    digest: str | None = None,
) -> ContentItem:
    """Describe one file to translate (``digest``: its sha256, if already known).

    Its key names one version of the order (content hash and languages): it becomes the translate5
    ``foreignId``, so ordering the same content into the same languages again finds the existing task.
    """
    digest = digest or sha256(path)
    order = hashlib.sha256(f"{digest} {' '.join(sorted(target_langs))}".encode()).hexdigest()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", relative).strip("-")[-80:]
    key = f"{slug}@{order[:12]}"  # short: translate5 shows foreignId in its task list
    return ContentItem(
        path=relative,
        source=str(path),
        sha256=digest,
        task_name=relative,
        foreign_id=f"cms:{key}",
        source_lang=source_lang,
        target_langs=list(target_langs),
        staging=str(staging_root / key) + "/",
    )


def changed_items(
    drop: ObjectStoragePath, cms_import: ObjectStoragePath, source_lang: str, target_langs: Sequence[str]
) -> list[ContentItem]:
    """Files in the drop that are new or changed since their last delivery, or lack a language.

    Changed content is ordered in every target language, unchanged content only in the languages it was
    never delivered in. Hidden files (``.name``) are skipped: exporters and object stores use them for
    partial uploads.
    """
    delivered = read_manifest(cms_import)
    items: list[ContentItem] = []
    for path in sorted(drop.rglob("*"), key=str):
        relative = str(path.relative_to(drop))
        if any(part.startswith(".") for part in relative.split("/")) or not path.is_file():
            continue
        previous = delivered.get(relative, {})
        digest = sha256(path)
        languages = list(target_langs)
        if previous.get("sha256") == digest:
            languages = [lang for lang in target_langs if lang not in previous.get("languages", [])]
        if languages:
            staging = cms_import / STAGING_NAME
            items.append(make_item(path, relative, staging, source_lang, languages, digest))
    return items


def upload_kwargs(item: ContentItem) -> dict[str, Any]:
    """Arguments of one mapped upload (``XComArg.map`` callables must be plain functions, not tasks)."""
    return {
        "source": item["source"],
        "task_name": item["task_name"],
        "foreign_id": item["foreign_id"],
        "source_lang": item["source_lang"],
        "target_lang": item["target_langs"],
    }


def translate5_id(upload_result: dict[str, Any]) -> int:
    """The project (or task) id an upload returned; sensors and the export accept either."""
    return int(upload_result["id"])


def export_kwargs(upload_and_item: tuple[dict[str, Any], ContentItem]) -> dict[str, Any]:
    """Arguments of one mapped export: the upload's translate5 id, the item's staging folder."""
    upload_result, item = upload_and_item
    return {"translate5_task_id": translate5_id(upload_result), "destination": item["staging"]}


def split_language(filename: str) -> tuple[str, str]:
    """``about-us_de.html`` -> ``("about-us.html", "de")``.

    translate5's ``filetranslation`` export names files ``<original name>_<target language>.<extension>``.
    """
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    original, underscore, lang = stem.rpartition("_")
    if not underscore or not original or not lang:
        raise ValueError(f"{filename!r} is not named <name>_<language>.<extension> like translate5's exports")
    return (f"{original}.{extension}" if extension else original), lang


def delivery_path(cms_import: ObjectStoragePath, lang: str, relative: str) -> ObjectStoragePath:
    """Where the CMS picks up the ``lang`` version of ``relative``: ``<cms import>/<lang>/<relative>``."""
    return cms_import.joinpath(lang, *relative.split("/"))


def deliver_file(uri: str, cms_import: ObjectStoragePath, relative: str | None = None) -> tuple[str, str]:
    """Copy one exported file to where the CMS imports it; returns ``(language, delivered URI)``.

    ``relative`` is the item's path in the content drop; without it the original file name is used. The copy
    streams, also between different stores (e.g. an ``s3://`` export into a ``gs://`` CMS bucket).
    """
    source = ObjectStoragePath(uri)
    original, lang = split_language(source.name)
    target = delivery_path(cms_import, lang, relative or original)
    target.parent.mkdir(parents=True, exist_ok=True)
    source.copy(target)
    return lang, str(target)


def is_delivered(manifest: Mapping[str, Mapping[str, Any]], item: ContentItem) -> bool:
    """Whether this content was delivered in all the item's target languages already."""
    previous = manifest.get(item["path"], {})
    same_content = previous.get("sha256") == item["sha256"]
    return same_content and set(item["target_langs"]) <= set(previous.get("languages", []))


def deliver(
    exported: Iterable[str],
    item: ContentItem,
    cms_import: ObjectStoragePath,
    manifest: dict[str, dict[str, Any]],
    translate5_task_id: int | None = None,
) -> dict[str, str]:
    """Deliver every language of one item and record it in the manifest; returns ``{language: URI}``.

    Safe to repeat after a failure half way: the staging folder is removed only after every copy succeeded
    and the manifest was written, and an item the manifest already lists is not delivered again.
    """
    if is_delivered(manifest, item):
        return {lang: str(delivery_path(cms_import, lang, item["path"])) for lang in item["target_langs"]}
    delivered = dict(deliver_file(uri, cms_import, item["path"]) for uri in exported)
    missing = {lang.lower() for lang in item["target_langs"]} - {lang.lower() for lang in delivered}
    if missing:
        raise ValueError(f"the export of {item['path']!r} has no file for {', '.join(sorted(missing))}")
    record_delivery(manifest, item, translate5_task_id)
    write_manifest(cms_import, manifest)
    staging = ObjectStoragePath(item["staging"])
    if staging.exists():
        staging.rmdir(recursive=True)
    if not any(staging.parent.iterdir()):
        staging.parent.rmdir()
    return delivered


def record_delivery(
    manifest: dict[str, dict[str, Any]], item: ContentItem, translate5_task_id: int | None = None
) -> None:
    """Note in the manifest that ``item`` was delivered in its target languages."""
    previous = manifest.get(item["path"], {})
    languages = set(item["target_langs"])
    if previous.get("sha256") == item["sha256"]:
        languages |= set(previous.get("languages", []))
    manifest[item["path"]] = {
        "sha256": item["sha256"],
        "languages": sorted(languages),
        "translate5_task_id": translate5_task_id,
        "delivered_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
