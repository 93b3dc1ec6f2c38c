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
    <cms import>/.translate5-staging/<foreignId>/<language>/
                                                    exports waiting to be delivered (the roundtrip)
    <cms import>/.translate5-batches/<run>/         the orders of each batch of a running DAG run

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
from typing import Any, NamedTuple, TypedDict

from airflow.sdk import ObjectStoragePath, Variable
from airflow.sdk.exceptions import AirflowFailException

MANIFEST_NAME = ".translate5-manifest.json"
STAGING_NAME = ".translate5-staging"
BATCHES_NAME = ".translate5-batches"  # the orders of each batch of a run, passed by reference
_POKE_INTERVAL_ENV = "TRANSLATE5_EXAMPLE_POKE_INTERVAL"
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


class Orders(NamedTuple):
    """What one roundtrip run orders (:func:`find_orders`), and what that does to earlier orders."""

    items: list[ContentItem]
    #: translate5 tasks of open orders whose content the CMS replaced: to end (never delivered)
    superseded: list[int]
    #: translate5 tasks of superseded orders whose content is current again (a reverted change): to reopen
    reverted: list[int]


def find_orders(
    drop: ObjectStoragePath,
    cms_import: ObjectStoragePath,
    source_lang: str,
    target_langs: Sequence[str],
    limit: int,
) -> Orders:
    """What the roundtrip orders now: the new or changed content, at most ``limit`` items (the rest is left
    for the next run), recorded in the manifest before anything is uploaded. Reads the drop once."""
    files = list_files(drop)  # listed once: changes, and which orders are still in it
    items = take(cms_import, changed_items(drop, cms_import, source_lang, target_langs, files=files), limit)
    superseded, reverted = record_open_orders(cms_import, items, set(files))
    return Orders(items, superseded, reverted)


def record_open_orders(
    cms_import: ObjectStoragePath, items: Sequence[ContentItem], present: Collection[str]
) -> tuple[list[int], list[int]]:
    """Note in the manifest what this run orders, before it is uploaded, and which open orders it supersedes.

    Returns the translate5 task ids of the superseded orders not ended yet (to end) and of the orders a
    reverted change made current again (to reopen).

    The ``open`` section holds the orders placed in translate5 and not delivered yet, by item path:
    ``{foreign_id, sha256, version, languages, ordered_at}``, and once ``deliver`` noted them the translate5
    ids (``translate5_id``, ``tasks`` by language). An open order that this run replaces with an order for
    other content of its path is *superseded*: it moves to the ``superseded`` section, by its foreignId, with
    ``superseded_at`` and ``superseded_by``. Its export is never delivered (:func:`deliver_staged`), and
    ``end_superseded_orders`` ends its tasks in translate5 (``ended_at``). Ended orders stay there: when the
    CMS reverts the change, the order is current again, leaves ``superseded`` and is reopened (``reopen``,
    until it is delivered) instead of being ordered a third time.

    Entries of files no longer in the drop leave ``open``, and ended orders of such files leave
    ``superseded``; their orders stay in translate5. An entry of an upload that never happened does no harm:
    the upload looks the key up first.
    """
    manifest = read_manifest_file(cms_import)  # read once: at 10,000 items it is megabytes
    recorded = dict(manifest.get("open", {}))
    superseded_before = dict(manifest.get("superseded", {}))
    superseded = {
        key: order
        for key, order in superseded_before.items()
        if order.get("path") in present or not order.get("ended_at")
    }
    open_orders = {path: order for path, order in recorded.items() if path in present}
    for item in items:
        path, key = item["path"], item["foreign_id"]
        previous = open_orders.get(path, {})
        same_order = previous.get("foreign_id") == key
        if previous and not same_order and previous.get("sha256") != item["sha256"]:
            replaced = {
                name: value for name, value in previous.items() if name not in ("foreign_id", "reopen")
            }
            superseded[str(previous["foreign_id"])] = {
                **replaced,
                "path": path,
                "superseded_at": _now(),
                "superseded_by": key,
            }
            if not previous.get("tasks"):
                log.warning(
                    "%s: the superseded order %s cannot be ended by this DAG (the run that ordered it ended "
                    "before its translate5 ids were recorded): end it in translate5 (foreignId %s)",
                    path,
                    previous["foreign_id"],
                    previous["foreign_id"],
                )
        order: dict[str, Any] = dict(previous) if same_order else {}
        order.update(
            foreign_id=key,
            sha256=item["sha256"],
            version=item.get("version"),
            languages=sorted(item["target_langs"]),
            ordered_at=order.get("ordered_at") or _now(),
        )
        back = superseded.pop(key, None)  # its content is current again
        if back and back.get("tasks"):  # it may have been ended: reopen it
            order.update(translate5_id=back.get("translate5_id"), tasks=back["tasks"], reopen=True)
        open_orders[path] = order
    if open_orders != recorded or superseded != superseded_before:
        backlog = manifest.get("backlog") or {}
        write_manifest(cms_import, manifest.get("items", {}), backlog, open_orders, superseded)
    to_end = [task for order in superseded.values() if not order.get("ended_at") for task in _tasks(order)]
    to_reopen = [task for order in open_orders.values() if order.get("reopen") for task in _tasks(order)]
    return sorted(to_end), sorted(to_reopen)


def _tasks(order: Mapping[str, Any]) -> list[int]:
    return [int(task) for task in (order.get("tasks") or {}).values()]


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
    """Consecutive groups of at most ``size`` items (one mapped task group instance each)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def save_batches(
    cms_import: ObjectStoragePath, run_id: str, batches: Sequence[Sequence[ContentItem]]
) -> list[str]:
    """Write each batch's orders (the upload's ``items``) to a file; returns their URIs, for XCom.

    Every mapped task instance reads its argument from the XCom of the task that made the list, whole,
    through Airflow's API server: with the items themselves in it, each batch would read every batch's
    items (10,000 items: about 2.5 MB per read). A URI per batch keeps that read small at any size.
    """
    folder = cms_import / BATCHES_NAME / re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)
    uris = []
    for number, batch in enumerate(batches):
        target = folder / f"batch-{number:05d}.json"
        write_json(target, [upload_kwargs(item) for item in batch])
        uris.append(str(target))
    return uris


def load_batch(uri: str) -> list[dict[str, Any]]:
    return list(json.loads(ObjectStoragePath(uri).read_text(encoding="utf-8")))


def remove_batches(cms_import: ObjectStoragePath, run_id: str) -> None:
    """Remove a run's batch files (once ``deliver`` ran; the items are in the manifest or ordered again)."""
    folder = cms_import / BATCHES_NAME / re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)
    if folder.exists():
        folder.rmdir(recursive=True)
    _remove_if_empty(cms_import / BATCHES_NAME)


def export_pattern(cms_import: ObjectStoragePath) -> str:
    """Where the export puts each order's files, the export's ``destination`` pattern:
    ``<cms import>/.translate5-staging/<foreignId>/<language>/<translate5's file name>``."""
    return str(cms_import / STAGING_NAME).rstrip("/") + "/{foreign_id}/{target_lang}/"


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
    manifest: dict[str, dict[str, Any]], item: Mapping[str, Any], translate5_task_id: int | None = None
) -> None:
    """Note in the manifest that ``item`` (a :class:`ContentItem`'s ``path``, ``sha256``, ``version`` and
    ``target_langs``) was delivered in its target languages."""
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


def staged_exports(staging_root: ObjectStoragePath) -> dict[str, dict[str, list[str]]]:
    """Exports waiting in staging: file URIs by language by foreignId (see :func:`export_pattern`).

    The export moves an order's files into place together, so what is there is complete; hidden names (an
    export still staging, or what a killed one left) are skipped. An absent prefix (S3) is no error.
    """
    found: dict[str, dict[str, list[str]]] = {}
    for path in staging_root.rglob("*"):
        relative = relative_key(path, staging_root)
        parts = relative.split("/")
        if len(parts) == 3 and not is_hidden(relative) and path.is_file():
            key, lang, _name = parts
            found.setdefault(key, {}).setdefault(lang, []).append(str(path))
    return found


def deliver_staged(
    cms_import: ObjectStoragePath,
    ordered: Sequence[Mapping[str, Any]],
    *,
    superseded_ended: bool,
    reverted_reopened: bool,
    concurrency: int = 8,
    manifest_every: int = 200,
) -> list[dict[str, Any]]:
    """Deliver every export waiting in staging, whichever run exported it; returns one summary each.

    First the manifest notes what this run's uploads ordered (``ordered``: their ``items``, the translate5
    ids of each open order), that the superseded orders were ended and the reverted ones reopened (when those
    tasks succeeded). Then files are copied ``concurrency`` at a time to ``<cms import>/<lang>/<path>``. Every
    ``manifest_every`` items the manifest is written and only then their staging folders removed, so a crash
    loses at most the copies since the last write (they are repeated; a copy is idempotent) and never a
    record of a delivery.

    The export of a superseded order (the CMS replaced its content while it was in translation, see
    :func:`record_open_orders`) is never delivered: it would overwrite the translation of the newer content.
    Neither is one no open order has the key of any more (its file left the drop). Both are removed from
    staging, and the log says so. An export that lacks a language stays in staging, and the error names it
    after the others are delivered.
    """
    staging_root = cms_import / STAGING_NAME
    manifest = read_manifest_file(cms_import)
    delivered = dict(manifest.get("items", {}))
    open_orders = dict(manifest.get("open", {}))
    superseded = dict(manifest.get("superseded", {}))
    backlog = manifest.get("backlog") or {}  # kept as it is; passed so no write reads the file again
    _note_orders(open_orders, superseded, ordered, superseded_ended, reverted_reopened)
    path_of = {str(order["foreign_id"]): path for path, order in open_orders.items()}
    pending = []
    for key, files in sorted(staged_exports(staging_root).items()):
        if key in path_of:
            pending.append((path_of[key], open_orders[path_of[key]], files))
        else:
            _discard(staging_root / key, key, superseded.get(key))
    write_manifest(cms_import, delivered, backlog, open_orders, superseded)  # the ids, before any copy
    summaries: list[dict[str, Any]] = []
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for start in range(0, len(pending), manifest_every):
            chunk = pending[start : start + manifest_every]
            done = []
            outcomes = pool.map(lambda entry: _deliver_order(cms_import, *entry), chunk)
            for (path, order, _), outcome in zip(chunk, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    failures.append(f"{path}: {outcome}")
                    continue
                del open_orders[path]  # delivered: no longer open
                item = {"path": path, "target_langs": order["languages"], **order}
                record_delivery(delivered, item, order.get("translate5_id"))
                summaries.append(_summary(path, order, outcome))
                done.append(staging_root / str(order["foreign_id"]))
            write_manifest(cms_import, delivered, backlog, open_orders, superseded)
            for folder in done:
                folder.rmdir(recursive=True)
    if failures:  # the others are delivered and recorded; these stay in staging for the next try
        raise ValueError(f"{len(failures)} item(s) could not be delivered: " + "; ".join(failures[:20]))
    _remove_if_empty(staging_root)
    return summaries


def _note_orders(
    open_orders: dict[str, dict[str, Any]],
    superseded: dict[str, dict[str, Any]],
    ordered: Sequence[Mapping[str, Any]],
    superseded_ended: bool,
    reverted_reopened: bool,
) -> None:
    """The translate5 ids of this run's orders (the upload's items), and what ending and reopening did."""
    ids = {str(item["foreign_id"]): item for item in ordered}
    for order in open_orders.values():
        uploaded = ids.get(str(order["foreign_id"]))
        if uploaded is not None:
            order["translate5_id"] = uploaded["id"]
            order["tasks"] = {str(task["target_lang"]): task["id"] for task in uploaded["tasks"]}
        if reverted_reopened:
            order.pop("reopen", None)
    if superseded_ended:
        for order in superseded.values():
            if order.get("tasks") and not order.get("ended_at"):
                order["ended_at"] = _now()


def _discard(folder: ObjectStoragePath, key: str, order: Mapping[str, Any] | None) -> None:
    if order is not None:
        log.warning(
            "%s: the export of translate5 order %s is NOT delivered: the CMS changed the content while it "
            "was in translation (superseded by order %s on %s); removed from staging",
            order.get("path"),
            key,
            order.get("superseded_by"),
            order.get("superseded_at"),
        )
    else:
        log.warning(
            "The export of translate5 order %s is not delivered: no open order has that key any more (its "
            "file left the content drop); removed from staging",
            key,
        )
    folder.rmdir(recursive=True)


def _deliver_order(
    cms_import: ObjectStoragePath, path: str, order: Mapping[str, Any], files: Mapping[str, list[str]]
) -> dict[str, str] | Exception:
    """Copy one order's files; a failure is returned (not raised) so it cannot stop the other items."""
    by_lang = {lang.lower(): lang for lang in files}
    missing = [lang for lang in order["languages"] if lang.lower() not in by_lang]
    if missing:
        return ValueError(f"the export has no file for {', '.join(missing)}")
    try:
        delivered = {}
        for lang, uris in sorted(files.items()):
            if len(uris) != 1:
                raise ValueError(f"the export has {len(uris)} files for {lang}, one expected")
            target = delivery_path(cms_import, lang, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            ObjectStoragePath(uris[0]).copy(target)
            delivered[lang] = str(target)
    except Exception as exc:  # reported with the item's name once the other items are recorded
        return exc
    return delivered


def _summary(path: str, order: Mapping[str, Any], files: Mapping[str, str]) -> dict[str, Any]:
    tasks = {lang.lower(): task for lang, task in (order.get("tasks") or {}).items()}
    return {
        "item": path,
        "translate5_id": order.get("translate5_id"),
        "languages": {
            lang: {"file": uri, "translate5_task_id": tasks.get(lang.lower())} for lang, uri in files.items()
        },
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
