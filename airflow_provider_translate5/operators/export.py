"""Export: a task's (or project's) files into a folder, or many uploaded items into a folder each, every item
delivered all at once or not at all."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_translate5.base import (
    Translate5BaseOperator,
    fail_fast_on_bad_input,
    idempotency_key,
    is_template,
    rendered_ids,
    rendered_list,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.files import AnyPath, Delivery, PathLike
    from airflow_provider_translate5.lineage import Lineage

#: What a ``destination`` may name per item and task: the upload's vocabulary (its ``items`` keys).
PLACEHOLDERS = ("foreign_id", "target_lang", "translate5_task_id")


class Translate5ExportOperator(Translate5BaseOperator):
    """Export translate5 tasks into folders: every file of an item arrives, or none of them changes.

    Two ways to say what to export:

    * ``translate5_task_id``: a task, or every task of a project, into ``destination``;
    * ``items``: what :class:`Translate5UploadTaskOperator` returned (``upload.output["items"]``), many items
      in one task instance; ``destination`` may then hold the placeholders ``{foreign_id}``,
      ``{target_lang}`` and ``{translate5_task_id}``, filled per item and task (e.g.
      ``"s3://bucket/out/{foreign_id}/{target_lang}/"``). The task ids and languages come from the items:
      nothing is looked up in translate5 before the downloads.

    Each item (or the one task/project) is one delivery: its files (or unzipped members) are first written
    into a hidden staging folder inside the destination; only when all its tasks exported completely are
    they moved into place together. A failure (network, full disk, unsafe archive) leaves that item's folders
    exactly as they were, earlier files of the same names included; items delivered before stay delivered,
    and the task fails so that Airflow's retry delivers the rest (a retry delivers every item again, the same
    files). A try killed midway leaves a staging folder that the next export into the same place removes.
    A destination that cannot be written, placeholders that do not fit, or two items that would share or nest
    a folder are refused before anything is downloaded. File names come from translate5, sanitized, and made
    unique across the tasks delivered into one folder.

    :param translate5_task_id: task or project id (templated).
    :param translate5_task_ids: the task ids behind it, when an earlier step already knows them (templated;
        e.g. the upload's ``task_ids``): saves looking the project up again.
    :param items: instead of the ids: the upload's items (templated; a list of
        ``{"foreign_id", "tasks": [{"id", "target_lang"}]}``).
    :param destination: the folder: a local path, a URI (``s3://bucket/out/``) or an ``ObjectStoragePath``
        (templated), with ``items`` a pattern with placeholders. Placeholders stand for folder names (a value
        may contain ``/`` to nest folders, never an empty, ``.`` or ``..`` part) and come after the bucket.
        Created if missing.
    :param format: ``None`` (translated files as ZIP), ``"filetranslation"`` (the translated file itself, for
        single-file tasks), ``"xliff2"``, ``"importArchive"``, ``"excelhistory"`` (templated).
    :param diff: add track-changes markup (ZIP export).
    :param taskguiddirectory: whether the ZIP has the legacy ``{taskGuid}/`` root folder (None: server's).
    :param unzip: extract ZIP exports into ``<destination>/<zip name without .zip>/``. Members with ``..``,
        absolute paths or links are refused, and so are archives beyond the size limits below.
    :param max_unzipped_size: total bytes one archive may expand to.
    :param max_compression_ratio: how many times a member may expand (ZIP bomb guard).
    :param max_zip_members: entries one archive may have.
    :param concurrency: items delivered at a time (``items`` only; one download each at a time).

    Returns the list of written file URIs; with ``items``, per item ``{"foreign_id", "uris", "tasks":
    [{"id", "target_lang", "uris"}]}``. Asset outlets get the URIs in their event's ``extra`` (``uris``).
    """

    template_fields = (
        "translate5_task_id",
        "translate5_task_ids",
        "items",
        "destination",
        "format",
        "translate5_conn_id",
    )
    ui_color = "#c7f4d9"

    def __init__(
        self,
        *,
        destination: PathLike,
        translate5_task_id: int | str | None = None,
        translate5_task_ids: Sequence[int | str] | str | None = None,
        items: Sequence[Mapping[str, Any]] | str | None = None,
        format: str | None = None,
        diff: bool = False,
        taskguiddirectory: bool | None = None,
        unzip: bool = False,
        max_unzipped_size: int | None = None,
        max_compression_ratio: float | None = None,
        max_zip_members: int | None = None,
        concurrency: int = 4,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (translate5_task_id is None) == (items is None):
            raise ValueError(
                "give translate5_task_id (a task or project id) or items (the upload's items, e.g. "
                "upload.output['items']), not both"
            )
        if items is not None and translate5_task_ids is not None:
            raise ValueError(
                "items already name their tasks; translate5_task_ids goes with translate5_task_id"
            )
        for name, limit in (
            ("max_unzipped_size", max_unzipped_size),
            ("max_compression_ratio", max_compression_ratio),
            ("max_zip_members", max_zip_members),
        ):
            if limit is not None and (isinstance(limit, bool) or limit <= 0):
                raise ValueError(f"{name} must be positive, got {limit!r}")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
        if isinstance(destination, str) and not is_template(destination):
            pattern_fields(destination, items=items is not None)  # known now: a mistake fails the parse
        self.translate5_task_id = translate5_task_id
        self.translate5_task_ids = translate5_task_ids
        self.items = items
        self.destination = destination
        self.format = format
        self.diff = diff
        self.taskguiddirectory = taskguiddirectory
        self.unzip = unzip
        self.max_unzipped_size = max_unzipped_size
        self.max_compression_ratio = max_compression_ratio
        self.max_zip_members = max_zip_members
        self.concurrency = concurrency

    def execute(self, context: Context) -> list[Any]:
        if self.items is not None:
            return self._export_items(context)
        from airflow_provider_translate5 import lineage
        from airflow_provider_translate5.files import to_path

        try:
            pattern_fields(str(self.destination), items=False)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from exc
        ids = self._task_ids(context)
        with fail_fast_on_bad_input():
            folder = to_path(self.destination)
        shipment = _Shipment("", folder, [(task_id, folder) for task_id in ids])
        written = self._deliver(shipment, idempotency_key(context) + "/export")
        self.log.info("Delivered %d file(s) into %s", len(written), self.destination)
        self._announce(context, written, {"translate5_task_id": int(self.translate5_task_id or 0)})
        lineage.note(self, taskIds=ids, written=written)
        return written

    def _export_items(self, context: Context) -> list[dict[str, Any]]:
        """Plan every item's folders (refusing what does not fit before any download), then deliver
        ``concurrency`` items at a time; the first failure stops new ones and fails the task."""
        from concurrent.futures import ThreadPoolExecutor
        from threading import Event

        from airflow_provider_translate5 import lineage

        items = self._items()
        try:
            shipments = plan(str(self.destination), items)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from exc
        if not shipments:
            self.log.info("No items to export")
            return []
        first = shipments[0].tasks[0][0]
        self.publish_link(context, first, self.hook.task_url(first))
        key = idempotency_key(context) + "/export"
        stop = Event()

        written: dict[int, list[str]] = {}
        errors: dict[int, Exception] = {}

        def deliver(index: int) -> None:
            if stop.is_set():
                return
            try:
                written[index] = self._deliver(shipments[index], f"{key}/{index}")
            except Exception as exc:
                stop.set()
                errors[index] = exc

        workers = min(self.concurrency, len(shipments))
        if workers == 1:
            for index in range(len(shipments)):
                deliver(index)
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="t5-export") as pool:
                list(pool.map(deliver, range(len(shipments))))
        if errors:
            index = min(errors)
            self.log.error(
                "Delivered %d of %d item(s); %s failed, its folders are unchanged: %s",
                len(written),
                len(shipments),
                shipments[index].label,
                errors[index],
            )
            raise errors[index]
        results = [
            shipment.result(item, written[index])
            for index, (shipment, item) in enumerate(zip(shipments, items, strict=True))
        ]
        uris = [uri for result in results for uri in result["uris"]]
        self.log.info("Delivered %d item(s), %d file(s), into %s", len(results), len(uris), self.destination)
        ids = [task["id"] for result in results for task in result["tasks"]]
        self._announce(context, uris, {"translate5_task_ids": ids})
        lineage.note(self, taskIds=ids, written=uris)
        return results

    def get_openlineage_facets_on_start(self) -> Lineage:
        return self.get_openlineage_facets_on_complete(None)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Lineage:
        """OpenLineage: the translate5 tasks exported, the files delivered."""
        from airflow_provider_translate5 import lineage

        return lineage.operator_lineage(self, "export", tasks="inputs")

    def _items(self) -> list[Mapping[str, Any]]:
        try:
            items = rendered_list(self.items, "items")
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from exc
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise AirflowFailException(
                    f"items[{index}] must be an item of the upload's result ({{'foreign_id', 'tasks'}}), "
                    f"got {item!r}"
                )
        return items

    def _deliver(self, shipment: _Shipment, tag: str) -> list[str]:
        """One delivery: every task of the shipment into its folder, then all committed together."""
        from airflow_provider_translate5.files import Delivery, DestinationError, UnsafeArchiveError

        try:
            with Delivery(shipment.root, tag) as delivery:
                used: dict[str, set[str]] = {}
                for task_id, folder in shipment.tasks:
                    names = used.setdefault(str(folder), set())
                    shipment.prefixes[task_id] = self._download(delivery, task_id, folder, names)
                return delivery.commit()
        except DestinationError as exc:
            raise AirflowFailException(shipment.failed(str(exc))) from exc
        except UnsafeArchiveError as exc:
            raise AirflowFailException(shipment.failed(f"Refusing to extract the export: {exc}")) from exc

    def _download(self, delivery: Delivery, task_id: int, folder: AnyPath, used: set[str]) -> list[str]:
        """Stage one task's export; returns how its delivered files' URIs start (a file, or a folder/)."""
        from airflow_provider_translate5.files import uri

        with (
            fail_fast_on_bad_input(),
            self.client.open_export(
                task_id, format=self.format, diff=self.diff, taskguiddirectory=self.taskguiddirectory
            ) as download,
        ):
            name = _unique_name(download.filename, task_id, used)
            if self.unzip and name.lower().endswith(".zip"):
                target = folder / _unique_name(name[:-4], task_id, used)
                delivery.unpack(
                    download.iter_bytes(),
                    target,
                    max_total_size=self.max_unzipped_size,
                    max_ratio=self.max_compression_ratio,
                    max_members=self.max_zip_members,
                )
                prefix = uri(target).rstrip("/") + "/"
            else:
                target = folder / name
                delivery.write(target, download.iter_bytes())
                prefix = uri(target)
        self.log.info("Exported translate5 task %s (%s)", task_id, name)
        return [prefix]

    def _task_ids(self, context: Context) -> list[int]:
        """The ids handed over by an earlier step, or the tasks behind the id (one lookup)."""
        assert self.translate5_task_id is not None
        if self.translate5_task_ids is not None:
            ids = rendered_ids(self.translate5_task_ids, required=False)
            if ids:
                given = int(self.translate5_task_id)
                self.publish_link(context, given, self.hook.task_url(given))
                return ids
        return [task.id for task in self.resolve_tasks(context, self.translate5_task_id)]

    def _announce(self, context: Context, uris: list[str], extra: Mapping[str, Any]) -> None:
        """Put the written files into the events of Asset outlets, for the DAGs they trigger."""
        from airflow.sdk import Asset

        for outlet in self.outlets or []:
            if isinstance(outlet, Asset):
                event = context["outlet_events"][outlet].extra
                event["uris"] = list(uris)
                event.update(extra)


@dataclass
class _Shipment:
    """What one delivery covers: an item's tasks, each with its folder, all under ``root``."""

    label: str
    root: AnyPath
    tasks: list[tuple[int, AnyPath]]
    #: per task, how the URIs of its delivered files start (filled while delivering)
    prefixes: dict[int, list[str]] = field(default_factory=dict)

    def failed(self, text: str) -> str:
        return f"{self.label}: {text}" if self.label else text

    def result(self, item: Mapping[str, Any], written: list[str]) -> dict[str, Any]:
        """The export's answer for the item: its URIs, and each task's."""
        tasks = []
        for task in item["tasks"]:
            starts = self.prefixes.get(int(task["id"]), [])
            mine = [
                u for u in written if any(u == s or (s.endswith("/") and u.startswith(s)) for s in starts)
            ]
            tasks.append({"id": int(task["id"]), "target_lang": task.get("target_lang"), "uris": mine})
        return {"foreign_id": item.get("foreign_id"), "uris": list(written), "tasks": tasks}


def pattern_fields(destination: str, *, items: bool) -> set[str]:
    """The placeholders of a destination; a ``ValueError`` naming what is wrong with them.

    Only plain names of :data:`PLACEHOLDERS`, only with ``items``, and only in the path: a placeholder in
    the scheme or bucket of a URI would let an item choose the bucket.
    """
    try:
        parsed = list(string.Formatter().parse(destination))
    except ValueError as exc:
        raise ValueError(f"destination {destination!r} is not a valid pattern ({exc})") from exc
    fields = {name for _text, name, _spec, _conversion in parsed if name is not None}
    if not fields:
        return fields
    if not items:
        raise ValueError(
            f"destination {destination!r} has placeholders ({', '.join(sorted(fields))}); they are filled "
            "per item: export items=upload.output['items'] (a literal brace is written {{ or }})"
        )
    for _text, name, spec, conversion in parsed:
        if name is not None and (name not in PLACEHOLDERS or spec or conversion):
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            allowed = ", ".join(f"{{{placeholder}}}" for placeholder in PLACEHOLDERS)
            raise ValueError(f"destination {destination!r}: unknown placeholder {{{shown}}}; use {allowed}")
    head = destination.split("{", 1)[0]
    scheme, sep, rest = head.partition("://")
    if sep and "/" not in rest:
        raise ValueError(
            f"destination {destination!r}: placeholders belong in the path, after {scheme}://<bucket>/"
        )
    return fields


def plan(destination: str, items: Sequence[Mapping[str, Any]]) -> list[_Shipment]:
    """Every item's folders under the destination pattern, checked before anything is downloaded: each
    placeholder value is a safe folder name, and no two items share a folder or nest one in another's."""
    from airflow_provider_translate5.files import location, to_path

    fields = pattern_fields(destination, items=True)
    shipments = []
    owners: list[tuple[tuple[str, str, str], str]] = []
    for index, item in enumerate(items):
        label = f"items[{index}]" + (
            f" (foreign_id {item['foreign_id']!r})" if item.get("foreign_id") else ""
        )
        tasks = item.get("tasks")
        if not isinstance(tasks, Sequence) or isinstance(tasks, str) or not tasks:
            raise ValueError(f"{label} has no tasks (expected 'tasks': [{{'id', 'target_lang'}}, ...])")
        folders: list[tuple[int, str]] = []
        for task in tasks:
            task_id = _task_id(task, label)
            values = {
                "foreign_id": item.get("foreign_id"),
                "target_lang": task.get("target_lang"),
                "translate5_task_id": task_id,
            }
            for name in fields:
                _check_segment(values[name], name, label)
            folders.append((task_id, destination.format_map({name: values[name] for name in fields})))
        texts = sorted({text.rstrip("/") or "/" for _id, text in folders})
        root = _common_folder(texts)
        paths = {text: to_path(text) for text in texts}
        shipments.append(
            _Shipment(
                label, to_path(root), [(task_id, paths[text.rstrip("/") or "/"]) for task_id, text in folders]
            )
        )
        for text in texts:
            where = location(text)
            owners.append(((where.protocol, where.bucket, where.key.rstrip("/") + "/"), label))
    # Sorted, the folders inside a folder follow it: a stack of the folders holding the current one finds
    # every clash in one pass.
    owners.sort()
    holding: list[tuple[tuple[str, str, str], str]] = []
    for place, owner in owners:
        while holding and not (holding[-1][0][:2] == place[:2] and place[2].startswith(holding[-1][0][2])):
            holding.pop()
        other = next((label for _outer, label in holding if label != owner), None)
        if other is not None:
            raise ValueError(
                f"destination {destination!r} gives {other} and {owner} the same folder or one inside the "
                f"other ({place[2]}); put {{foreign_id}} into it, so that each item has its own"
            )
        holding.append((place, owner))
    return shipments


def _task_id(task: Any, label: str) -> int:
    value = task.get("id") if isinstance(task, Mapping) else None
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
        raise ValueError(f"{label}: a task needs a positive translate5 task id ('id'), got {task!r}")
    return int(text)


def _check_segment(value: Any, name: str, label: str) -> None:
    """A placeholder's value names folders under the destination, never a way out of it."""
    text = "" if value is None else str(value)
    parts = text.split("/")
    if (
        not text.strip()
        or "\\" in text
        or any(ord(char) < 32 for char in text)
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ValueError(
            f"{label}: {name} {value!r} cannot name a folder in the destination (empty, '.', '..', a "
            "backslash, a control character or an empty part between slashes)"
        )


def _common_folder(texts: Sequence[str]) -> str:
    """The deepest folder that holds all ``texts`` (one item's folders): where its delivery stages."""
    split = [text.split("/") for text in texts]
    common = split[0]
    for parts in split[1:]:
        size = 0
        while size < min(len(common), len(parts)) and common[size] == parts[size]:
            size += 1
        common = common[:size]
    return "/".join(common) or "."


def _unique_name(name: str, task_id: int, used: set[str]) -> str:
    """Keep the server's name unless another task already used it in this folder (case-insensitive)."""
    from airflow_provider_translate5.client import safe_filename

    name = safe_filename(name)
    if name.lower() in used:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem}-{task_id}.{suffix}" if dot and stem else f"{name}-{task_id}"
    used.add(name.lower())
    return name
