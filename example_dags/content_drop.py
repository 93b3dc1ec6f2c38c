"""Content drops: how the example DAGs find new CMS content and hand translations back.

Most CMSs can export content to a folder and import translations from another one (a "content drop"). Both
folders are addressed as :class:`~airflow.sdk.ObjectStoragePath`, so the same DAG works with a local
``file://`` folder on one machine and with ``s3://`` or ``gs://`` buckets on Celery/Kubernetes workers.
Only operations every object store has are used: object stores have no directories (an empty "folder" does
not exist) and no relative paths, so keys are compared as strings and an absent prefix is an empty folder.

Layout this module assumes (copy it next to the DAG that uses it and adapt ``delivery_path`` to your CMS)::

    <content drop>/pages/about-us.html              what the CMS exported (any depth)
    <cms import>/de/pages/about-us.html             what we deliver: one folder per target language
    <cms import>/.translate5-manifest.json          content hash per delivered item ("what is new?"),
                                                    the orders still open in translate5, the orders
                                                    superseded by newer content, and what a run had to
                                                    leave for the next one
    <cms import>/.translate5-staging/<item key>/    exports waiting to be delivered; ``.item.json`` in it
                                                    says the export is complete
    <cms import>/.translate5-batches/<run>/         the items of each batch of a running DAG run

This file defines no DAG; ``.airflowignore`` keeps the DAG processor from parsing it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, TypedDict

from airflow.sdk import ObjectStoragePath, Variable
from airflow.sdk.exceptions import AirflowFailException

MANIFEST_NAME = ".translate5-manifest.json"
STAGING_NAME = ".translate5-staging"
BATCHES_NAME = ".translate5-batches"  # the items of each batch of a run, passed by reference
MARKER_NAME = ".item.json"  # written last into an item's staging folder: its export is complete
_POKE_INTERVAL_ENV = "TRANSLATE5_EXAMPLE_POKE_INTERVAL"
_TRANSLATION_WAIT_ENV = "TRANSLATE5_EXAMPLE_TRANSLATION_WAIT"
#: Executors whose tasks all run on the machine that parsed the DAG: a local fallback folder is shared.
_SINGLE_MACHINE_EXECUTORS = ("LocalExecutor", "SequentialExecutor", "DebugExecutor")

log = logging.getLogger("airflow.task")  # the logger Airflow shows in task logs


class ContentItem(TypedDict):
    """One piece of CMS content (a file in the drop), as passed between tasks through XCom."""

    path: str  # relative to the content drop, "/"-separated: also the path below each language folder
    source: str  # URI of the file in the content drop
    sha256: str
    version: str | None  # what the store says about the file (ETag or size+mtime): unchanged -> same hash
    task_name: str
    foreign_id: str  # idempotency key in translate5: same content version -> same translate5 task
    source_lang: str
    target_langs: list[str]
    staging: str  # URI of the folder the export writes to


class ContentDropError(AirflowFailException, ValueError):
    """The content drop or CMS import folder is missing or not usable; the message says what to set.

    An Airflow retry cannot fix configuration, so the task fails at once instead of retrying.
    """


def poke_interval(default: float) -> float:
    """Seconds between status checks of the examples that use the stock sensors.

    The environment variable is read when the DAG file is parsed, i.e. by the DAG processor *and* by every
    worker: set it on all of them or on none (the demo and the tests set it). The defaults are fine for real
    work, because all waits on one connection share one request per interval.
    """
    return float(os.environ.get(_POKE_INTERVAL_ENV, default))


def translation_wait(default: float) -> float:
    """Seconds one run waits for translators and reviewers before leaving their orders to a later run.

    ``TRANSLATE5_EXAMPLE_TRANSLATION_WAIT``, read when the DAG file is parsed (set it on every process, like
    the poke interval). A run that stops waiting ends its batches as skipped, not failed: the orders stay
    open in translate5 and in the manifest, and the next run waits for them again (or orders anew what
    changed).
    """
    return float(os.environ.get(_TRANSLATION_WAIT_ENV, default))


def folder(uri: str | None, variable: str, default_name: str) -> ObjectStoragePath:
    """A folder from a DAG param, else an Airflow Variable, else a local folder under ``$AIRFLOW_HOME``.

    Resolved when a task runs, never while the DAG file is parsed (Variables cost a round trip each). The
    local fallback exists for a laptop: on an executor that runs tasks on several machines each worker would
    silently use a folder of its own, so there it is refused, naming the param and the Variable to set.
    """
    if not uri:
        uri = Variable.get(variable, default=None)
    if not uri:
        executor = _executor()
        if not executor.endswith(_SINGLE_MACHINE_EXECUTORS):
            raise ContentDropError(
                f"no folder configured for {default_name!r}: set the DAG param or the Airflow Variable "
                f"{variable!r} to a folder every worker reaches (s3://, gs://, or a shared mount). The "
                f"local fallback under $AIRFLOW_HOME is refused with executor {executor!r}: each worker "
                "would use its own."
            )
        home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
        uri = f"file://{os.path.abspath(home)}/translate5/{default_name}"
        log.warning(
            "No folder configured for %r (param or Variable %r): using %s on this machine",
            default_name,
            variable,
            uri,
        )
    return ObjectStoragePath(uri.rstrip("/") + "/")


def _executor() -> str:
    from airflow.sdk import conf

    return str(conf.get("core", "executor", fallback="LocalExecutor")).split(",")[0].strip()


def relative_key(path: ObjectStoragePath, root: ObjectStoragePath) -> str:
    """``path`` below ``root`` as a "/"-separated string.

    ``PurePath.relative_to`` is not implemented for fsspec paths (universal_pathlib raises
    NotImplementedError), so the store's keys are compared as strings.
    """
    base = root.path.rstrip("/") + "/"
    if not path.path.startswith(base):
        raise ValueError(f"{path} is not below {root}")
    return path.path[len(base) :]


def is_hidden(relative: str) -> bool:
    """Hidden names (``.name``) are skipped: exporters, object stores and writers use them for partials."""
    return any(part.startswith(".") for part in relative.split("/"))


def list_files(root: ObjectStoragePath) -> dict[str, ObjectStoragePath]:
    """Every visible file below ``root`` by relative key; an absent prefix (empty folder on S3) is empty."""
    files: dict[str, ObjectStoragePath] = {}
    for path in root.rglob("*"):
        relative = relative_key(path, root)
        if relative and not is_hidden(relative) and path.is_file():
            files[relative] = path
    return dict(sorted(files.items()))


def check_drop(drop: ObjectStoragePath, files: Mapping[str, ObjectStoragePath]) -> None:
    """Refuse a local drop that does not exist; warn about an empty one.

    A mistyped folder used to end the run green with every task skipped, which looks like "nothing new". On
    object stores an empty folder and a missing one are the same (no objects under the prefix), so there it
    is a warning that names the folder; a missing bucket raises from the listing itself.
    """
    if files:
        return
    if drop.protocol in ("", "file", "local") and not drop.exists():
        raise ContentDropError(
            f"content drop {drop} does not exist: check the param content_drop or its Variable"
        )
    log.warning(
        "Content drop %s is empty (on object storage: no object under this prefix); nothing to do", drop
    )


def version(path: ObjectStoragePath) -> str | None:
    """What the store knows about a file's current version, without reading it (ETag, else size + mtime)."""
    try:
        info = path.fs.info(path.path)
    except (OSError, ValueError):
        return None
    tag = info.get("ETag") or info.get("etag") or info.get("md5Hash")
    if tag:
        return f"etag:{str(tag).strip(chr(34))}"
    modified = info.get("mtime") or info.get("LastModified") or info.get("updated")
    return f"{info.get('size')}:{modified}" if modified is not None else None


def sha256(path: ObjectStoragePath) -> str:
    """Content hash, streamed (object stores' own checksums differ between backends and upload modes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:  # type: ignore[no-untyped-call]  # unannotated in Airflow 3.3
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest_file(cms_import: ObjectStoragePath) -> dict[str, Any]:
    manifest = cms_import / MANIFEST_NAME
    if not manifest.exists():
        return {}
    return dict(json.loads(manifest.read_text(encoding="utf-8")))


def read_manifest(cms_import: ObjectStoragePath) -> dict[str, dict[str, Any]]:
    """Delivered items by path: ``{sha256, version, languages, translate5_task_id, delivered_at}``."""
    return dict(read_manifest_file(cms_import).get("items", {}))


def write_manifest(
    cms_import: ObjectStoragePath,
    items: Mapping[str, Mapping[str, Any]],
    backlog: Mapping[str, Any] | None = None,
    open_orders: Mapping[str, Mapping[str, Any]] | None = None,
    superseded: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Write the manifest under a temporary name first: a crash never leaves it half written.

    ``backlog`` (what the last run had to leave for the next one), ``open_orders`` and ``superseded`` are
    kept from the file unless given.
    """
    if backlog is None or open_orders is None or superseded is None:
        current = read_manifest_file(cms_import)
        backlog = current.get("backlog") if backlog is None else backlog
        open_orders = current.get("open") if open_orders is None else open_orders
        superseded = current.get("superseded") if superseded is None else superseded
    data: dict[str, Any] = {"items": items}
    if backlog:
        data["backlog"] = backlog
    if open_orders:
        data["open"] = open_orders
    if superseded:
        data["superseded"] = superseded
    write_json(cms_import / MANIFEST_NAME, data)


def write_json(target: ObjectStoragePath, data: Any) -> None:
    """Write JSON to a hidden temporary name beside ``target``, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}.part"
    temp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    temp.rename(target)


def make_item(
    path: ObjectStoragePath,
    relative: str,
    staging_root: ObjectStoragePath,
    source_lang: str,
    target_langs: Sequence[str],
    digest: str | None = None,
    file_version: str | None = None,
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
        version=file_version,
        task_name=relative,
        foreign_id=f"cms:{key}",
        source_lang=source_lang,
        target_langs=list(target_langs),
        staging=str(staging_root / key) + "/",
    )


def changed_items(
    drop: ObjectStoragePath,
    cms_import: ObjectStoragePath,
    source_lang: str,
    target_langs: Sequence[str],
    concurrency: int = 8,
    files: Mapping[str, ObjectStoragePath] | None = None,
) -> list[ContentItem]:
    """Files in the drop that are new or changed since their last delivery, or lack a language.

    Changed content is ordered in every target language, unchanged content only in the languages it was
    never delivered in. A file whose store version (ETag, size and mtime) matches the manifest is not read
    again; the others are hashed ``concurrency`` at a time (on object storage each read is a request).

    An item with an order still open in translate5 (the manifest's ``open`` section; an earlier run ended
    without delivering it) goes back to that order when its content is what the order holds. When it
    changed since, it is ordered anew and the log says so: :func:`record_open_orders` then notes the open
    order as superseded. Nothing is written here. ``files``: the drop's :func:`list_files`, when the caller
    listed it already (on object storage a listing costs requests).
    """
    manifest = read_manifest_file(cms_import)
    delivered = dict(manifest.get("items", {}))
    open_orders = dict(manifest.get("open", {}))
    files = list_files(drop) if files is None else files
    check_drop(drop, files)

    def describe(relative: str) -> ContentItem | None:
        path = files[relative]
        previous = delivered.get(relative, {})
        current = version(path)
        known = current is not None and previous.get("version") == current and previous.get("sha256")
        digest = str(previous["sha256"]) if known else sha256(path)
        languages = list(target_langs)
        if previous.get("sha256") == digest:
            languages = [lang for lang in target_langs if lang not in previous.get("languages", [])]
        if not languages:
            return None
        item = make_item(path, relative, cms_import / STAGING_NAME, source_lang, languages, digest, current)
        return _follow_open_order(item, open_orders.get(relative))

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return [item for item in pool.map(describe, files) if item is not None]


def _follow_open_order(item: ContentItem, order: Mapping[str, Any] | None) -> ContentItem:
    """Send ``item`` back to its open order when that order holds this content; else it is ordered anew."""
    if not order:
        return item
    relative, key = item["path"], str(order["foreign_id"])
    ordered = sorted(order.get("languages", []))
    if order.get("sha256") != item["sha256"]:
        log.warning(
            "%s changed while its order %s is open in translate5: the new content is ordered anew (%s); "
            "the open order is superseded: it is ended in translate5 and never delivered",
            relative,
            key,
            item["foreign_id"],
        )
    elif ordered != sorted(item["target_langs"]):
        wanted = ", ".join(sorted(item["target_langs"]))
        log.info(
            "%s: its open order %s is for %s, %s is needed: ordered anew", relative, key, ordered, wanted
        )
    else:
        item["foreign_id"] = key  # the open order holds this content: wait for it again
    return item


def record_open_orders(
    cms_import: ObjectStoragePath, items: Sequence[ContentItem], present: Collection[str]
) -> None:
    """Note in the manifest what this run orders, before it is uploaded, and which open orders it supersedes.

    The ``open`` section holds the orders placed in translate5 and not delivered yet, by item path:
    ``{foreign_id, sha256, languages, ordered_at}``; ``sha256`` is the content the order holds. An open
    order that this run replaces with an order for other content of its path is *superseded*: it moves to
    the ``superseded`` section, by its foreignId: ``{path, sha256, languages, ordered_at, superseded_at,
    superseded_by}``. Its export is never delivered (:func:`deliver_pending`), and ``end_superseded_orders``
    ends it in translate5 (``ended_at``). A superseded order whose content comes back (the CMS reverted the
    change) is current again: it leaves ``superseded``, and the upload re-attaches to it and reopens it.

    Entries of files no longer in the drop leave ``open``; their orders stay in translate5. An entry of an
    upload that never happened does no harm: whoever uses it looks the order up first. A manifest written
    before these sections existed has none: changes are then ordered anew, as always.
    """
    manifest = read_manifest_file(cms_import)  # read once: at 10,000 items it is megabytes
    recorded = dict(manifest.get("open", {}))
    superseded_before = dict(manifest.get("superseded", {}))
    superseded = dict(superseded_before)
    open_orders = {path: order for path, order in recorded.items() if path in present}
    for item in items:
        previous = open_orders.get(item["path"], {})
        same_order = previous.get("foreign_id") == item["foreign_id"]
        if previous and not same_order and previous.get("sha256") != item["sha256"]:
            superseded[str(previous["foreign_id"])] = {
                "path": item["path"],
                "sha256": previous.get("sha256"),
                "languages": previous.get("languages", []),
                "ordered_at": previous.get("ordered_at"),
                "superseded_at": _now(),
                "superseded_by": item["foreign_id"],
            }
        superseded.pop(item["foreign_id"], None)  # its content is current (again)
        open_orders[item["path"]] = {
            "foreign_id": item["foreign_id"],
            "sha256": item["sha256"],
            "languages": sorted(item["target_langs"]),
            "ordered_at": (same_order and previous.get("ordered_at")) or _now(),
        }
    if open_orders != recorded or superseded != superseded_before:
        backlog = manifest.get("backlog") or {}
        write_manifest(cms_import, manifest.get("items", {}), backlog, open_orders, superseded)


def superseded_orders(cms_import: ObjectStoragePath) -> dict[str, dict[str, Any]]:
    """The manifest's ``superseded`` section: orders replaced by newer content, by foreignId."""
    return dict(read_manifest_file(cms_import).get("superseded", {}))


def record_ended(cms_import: ObjectStoragePath, ended: Mapping[str, str]) -> None:
    """Note when superseded orders were ended in translate5 (``{foreign_id: what was done}``)."""
    if not ended:
        return
    manifest = read_manifest_file(cms_import)
    superseded = dict(manifest.get("superseded", {}))
    for key, outcome in ended.items():
        if key in superseded:
            superseded[key] = {**superseded[key], "ended_at": _now(), "ended": outcome}
    write_manifest(
        cms_import,
        manifest.get("items", {}),
        manifest.get("backlog") or {},
        manifest.get("open") or {},
        superseded,
    )


def take(cms_import: ObjectStoragePath, items: Sequence[ContentItem], limit: int) -> list[ContentItem]:
    """The first ``limit`` items; the rest is left for the next run and recorded in the manifest.

    A drop larger than one run can take (Airflow's ``max_map_length``, or the run's own limit) is thus worked
    off over successive runs instead of failing every run with no progress. Items not delivered stay
    "changed", so the next run finds them again; the manifest's ``backlog`` says what was left and why.
    """
    taken, left = list(items[:limit]), items[limit:]
    backlog = {
        "left_for_next_run": [item["path"] for item in left],
        "taken_by_last_run": len(taken),
        "limit_per_run": limit,
        "recorded_at": _now(),
    }
    manifest = read_manifest_file(cms_import)
    if left or manifest.get("backlog"):
        write_manifest(cms_import, manifest.get("items", {}), backlog if left else {})
    if left:
        log.warning(
            "%d new or changed item(s); this run takes %d (limit per run %d), leaves %d for the next run(s)",
            len(items),
            len(taken),
            limit,
            len(left),
        )
    return taken


def batches(items: Sequence[ContentItem], size: int) -> list[list[ContentItem]]:
    """Consecutive groups of at most ``size`` items (one mapped task instance each)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def save_batches(
    cms_import: ObjectStoragePath, run_id: str, batches: Sequence[Sequence[ContentItem]]
) -> list[str]:
    """Write each batch's items to a file and return their URIs, to pass through XCom instead of the items.

    Every mapped task instance reads its argument from the XCom of the task that made the list, through
    Airflow's API server; with 10,000 items (about 5 MB of JSON) many instances starting together made those
    reads time out. A URI per batch keeps the XCom small, whatever the size of the drop.
    """
    folder = cms_import / BATCHES_NAME / re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)
    uris = []
    for number, batch in enumerate(batches):
        target = folder / f"batch-{number:05d}.json"
        write_json(target, list(batch))
        uris.append(str(target))
    return uris


def load_batch(uri: str) -> list[ContentItem]:
    return list(json.loads(ObjectStoragePath(uri).read_text(encoding="utf-8")))


def remove_batches(cms_import: ObjectStoragePath, run_id: str) -> None:
    """Remove a run's batch files (once ``deliver`` ran; the items are in the manifest or ordered again)."""
    folder = cms_import / BATCHES_NAME / re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)
    if folder.exists():
        folder.rmdir(recursive=True)
    _remove_if_empty(cms_import / BATCHES_NAME)


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
        "version": item.get("version"),
        "languages": sorted(languages),
        "translate5_task_id": translate5_task_id,
        "delivered_at": _now(),
    }


def mark_exported(item: ContentItem, details: Mapping[str, Any]) -> None:
    """Write the item's marker into its staging folder, after its files: from now on it can be delivered."""
    write_json(ObjectStoragePath(item["staging"]) / MARKER_NAME, {"item": item, **details})


def pending_exports(staging_root: ObjectStoragePath) -> list[tuple[dict[str, Any], list[str]]]:
    """Complete exports waiting in staging: ``(marker, exported file URIs)`` per item, in key order.

    A folder without marker is an export still running or one that failed half way: it is left alone (the
    export's retry overwrites it). An absent staging prefix (nothing pending on S3) is no error.
    """
    folders: dict[str, list[str]] = {}
    markers: dict[str, ObjectStoragePath] = {}
    for path in staging_root.rglob("*"):
        key, _, name = relative_key(path, staging_root).partition("/")
        if not name or "/" in name:
            continue
        if name == MARKER_NAME:
            markers[key] = path
        elif not name.startswith(".") and path.is_file():
            folders.setdefault(key, []).append(str(path))
    return [
        (json.loads(markers[key].read_text(encoding="utf-8")), sorted(folders.get(key, [])))
        for key in sorted(markers)
    ]


def deliver_pending(
    cms_import: ObjectStoragePath, concurrency: int = 8, manifest_every: int = 200
) -> list[dict[str, Any]]:
    """Deliver every complete export waiting in staging, whichever run exported it; returns one summary each.

    Files are copied ``concurrency`` at a time. Every ``manifest_every`` items the manifest is written and
    only then their staging folders removed, so a crash loses at most the copies since the last write (they
    are repeated; a copy is idempotent) and never a record of a delivery.

    The export of a superseded order (the CMS replaced its content while it was in translation, see
    :func:`record_open_orders`) is never delivered: it would overwrite the translation of the newer content.
    It is removed from staging, and the log says so. Superseded orders already ended in translate5 then
    leave the manifest: nothing can export them any more.
    """
    staging_root = cms_import / STAGING_NAME
    manifest_file = read_manifest_file(cms_import)
    manifest = dict(manifest_file.get("items", {}))
    open_orders = dict(manifest_file.get("open", {}))
    backlog = manifest_file.get("backlog") or {}  # kept as it is; passed so no write reads the file again
    superseded = dict(manifest_file.get("superseded", {}))
    pending = []
    for marker, exported in pending_exports(staging_root):
        order = superseded.get(marker["item"]["foreign_id"])
        if order is None:
            pending.append((marker, exported))
        else:
            _discard_superseded(marker, order)
    still_superseded = {key: order for key, order in superseded.items() if not order.get("ended_at")}
    if not pending:
        log.info("Nothing waiting for delivery in %s", staging_root)
        if still_superseded != superseded:
            write_manifest(cms_import, manifest, backlog, open_orders, still_superseded)
        _remove_if_empty(staging_root)
        return []
    summaries: list[dict[str, Any]] = []
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for start in range(0, len(pending), manifest_every):
            chunk = pending[start : start + manifest_every]
            done = []
            outcomes = pool.map(lambda entry: _deliver_item(entry, cms_import), chunk)
            for (marker, _), outcome in zip(chunk, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    failures.append(f"{marker['item']['path']}: {outcome}")
                    continue
                record_delivery(manifest, marker["item"], marker.get("translate5_id"))
                if (
                    open_orders.get(marker["item"]["path"], {}).get("foreign_id")
                    == marker["item"]["foreign_id"]
                ):
                    del open_orders[marker["item"]["path"]]  # this order is delivered, no longer open
                summaries.append(_summary(marker, outcome))
                done.append(marker)
            write_manifest(cms_import, manifest, backlog, open_orders, still_superseded)
            for marker in done:
                staging = ObjectStoragePath(marker["item"]["staging"])
                if staging.exists():
                    staging.rmdir(recursive=True)
    if failures:  # the others are delivered and recorded; these stay in staging for the next try
        raise ValueError(f"{len(failures)} item(s) could not be delivered: " + "; ".join(failures[:20]))
    _remove_if_empty(staging_root)
    return summaries


def _discard_superseded(marker: Mapping[str, Any], order: Mapping[str, Any]) -> None:
    item = marker["item"]
    log.warning(
        "%s: the export of translate5 order %s is NOT delivered: the CMS changed the content while it was "
        "in translation (superseded by order %s on %s); removed from staging",
        item["path"],
        item["foreign_id"],
        order.get("superseded_by"),
        order.get("superseded_at"),
    )
    staging = ObjectStoragePath(item["staging"])
    if staging.exists():
        staging.rmdir(recursive=True)


def _deliver_item(
    entry: tuple[dict[str, Any], list[str]], cms_import: ObjectStoragePath
) -> dict[str, str] | Exception:
    """Copy one item's files; a failure is returned (not raised) so it cannot stop the other items."""
    marker, exported = entry
    item: ContentItem = marker["item"]
    try:
        delivered = dict(deliver_file(uri, cms_import, item["path"]) for uri in exported)
    except Exception as exc:  # reported with the item's name once the other items are recorded
        return exc
    missing = {lang.lower() for lang in item["target_langs"]} - {lang.lower() for lang in delivered}
    if missing:
        return ValueError(f"the export has no file for {', '.join(sorted(missing))}")
    return delivered


def _summary(marker: Mapping[str, Any], files: Mapping[str, str]) -> dict[str, Any]:
    files_by_lang = {lang.lower(): uri for lang, uri in files.items()}
    languages = {
        lang: {**info, "file": files_by_lang.get(lang.lower())}
        for lang, info in sorted(marker.get("languages", {}).items())
    }
    return {
        "item": marker["item"]["path"],
        "translate5_url": marker.get("translate5_url"),
        "languages": languages,
    }


def _remove_if_empty(folder: ObjectStoragePath) -> None:
    """Tidy a local staging folder; on object stores an empty prefix does not exist anyway."""
    try:
        if folder.exists() and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    except (OSError, NotImplementedError):
        pass  # tidiness only: a concurrent export may have just created something in it


def deliver_all_files(
    exports: ObjectStoragePath, cms_import: ObjectStoragePath
) -> list[tuple[str, str, str]]:
    """Move every exported file waiting below ``exports`` into the CMS; returns ``(lang, source, target)``.

    Used by delivery runs started by asset events: however many events one run consumed, it delivers
    everything pending, so exports finishing together are never left behind. A file is removed only after
    its copy succeeded; hidden names (exports still being written) are left for the next run.
    """
    moved = []
    for relative, path in list_files(exports).items():
        lang, target = deliver_file(str(path), cms_import)
        path.unlink()
        moved.append((lang, str(path), target))
        log.info("  %s: %s -> %s", lang, relative, target)
    return moved


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
