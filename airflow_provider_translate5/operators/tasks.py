"""Task lifecycle: create a task or project from files (once, whatever the retries), start its import, end,
reopen, rename or delete it.

Conventions shared by all operators:

* Airflow's ``task_id`` is the Airflow task; translate5 ids are always ``translate5_task_id`` (a task id, or a
  project id where the operation applies to every task of a project).
* Ids, paths and names are templated fields.
* Every operator that knows a translate5 task pushes its id (XCom ``translate5_task_id``) and UI link (XCom
  ``translate5_task_url``, shown as the "translate5 task" extra link) as soon as it knows them.
* Mistakes a retry cannot fix (validation errors, unknown ids) fail the task without retries; network trouble
  and server errors are left to Airflow's retries.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_translate5.base import (
    DEFAULT_CREATE_GRACE,
    Translate5BaseOperator,
    as_timedelta,
    fail_fast_on_bad_input,
    idempotency_key,
    is_template,
    rendered_ids,
    rendered_list,
    retry_pre_wait,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Task, Translate5Client
    from airflow_provider_translate5.files import PathLike
    from airflow_provider_translate5.lineage import Lineage
    from airflow_provider_translate5.once import Outcome


#: What an item of :class:`Translate5UploadTaskOperator` may say: the operator's own parameter names.
ITEM_KEYS = (
    "source",
    "task_name",
    "source_lang",
    "target_lang",
    "foreign_id",
    "foreign_name",
    "customer_id",
    "relais_lang",
    "description",
    "create_task_kwargs",
)
#: What an item takes from the operator when it does not say it itself.
_DEFAULTED = tuple(name for name in ITEM_KEYS if name not in ("source", "foreign_id"))
#: Values per ``filter in`` lookup, and characters of their JSON: the query string stays well below the
#: 8 KB request line that common web servers accept (foreignIds are up to 120 characters, escaped).
_LOOKUP_VALUES = 500
_LOOKUP_CHARS = 2500


class Translate5UploadTaskOperator(Translate5BaseOperator):
    """Create translate5 tasks from files, once each whatever the retries: one task (one target language)
    or project (several), or with ``items`` many of them in one task instance.

    Each task or project carries an idempotency key in its ``foreignId``: ``foreign_id`` when given, else one
    derived from dag_id/run_id/task_id/map_index (and the item's position). Before creating, the upload
    looks the key up: an Airflow retry after a lost server answer re-attaches to what the earlier try
    created instead of ordering twice, and when two tries created one each, every try keeps the lowest id
    and deletes the other. A derived key cannot exist at the first try of the task instance: then nothing is
    looked up, before or after the create. Because of this, clearing a successful upload task re-attaches too;
    give a new ``foreign_id`` (or delete the task in translate5) to upload again in the same DAG run.

    Everything that can be checked before the first create is checked for every item (names, foreign ids,
    files, and the languages against the server's list, one request), so a bad item fails the task before
    anything is created, naming the item and the problem.

    :param source: the file(s) to translate: a local path, a URI or an ``ObjectStoragePath``, or a list.
        A single ``.zip`` is a translate5 import package (``workfiles/``, ``relais/``, ``referenceFiles/``).
        Files are streamed, never read into memory. Templated.
    :param task_name: the translate5 task name. Templated.
    :param source_lang: source language (RFC 5646 like ``"en"``/``"de-DE"``, or a translate5 language id).
    :param target_lang: one target language, or a list (translate5 then creates a project, a task per target).
    :param items: instead of ``source`` and ``foreign_id``: many tasks to create, a list of dicts with the
        keys ``source``, ``task_name``, ``source_lang``, ``target_lang``, ``foreign_id``, ``foreign_name``,
        ``customer_id``, ``relais_lang``, ``description``, ``create_task_kwargs`` (templated, or an
        ``XComArg``: e.g. the output of a task listing a content drop). An item without a key takes the
        operator's parameter of that name (``create_task_kwargs`` are merged); without ``foreign_id`` it gets
        ``<the derived key>#<position>``, so give ``foreign_id`` when the list may change between tries.
    :param foreign_id: your own id for the task (also the idempotency key). Templated.
    :param foreign_name: label of the system the task comes from. Templated.
    :param customer_id: translate5 customer id or customer number (default customer if omitted).
    :param relais_lang: pivot language.
    :param description: task description.
    :param auto_start_import: False leaves the task waiting (state ``import``) for
        :class:`Translate5StartImportOperator`, e.g. to assign users first.
    :param create_task_kwargs: further ``Translate5Client.create_task`` arguments (``task_nr``, ``workflow``,
        ``deadline_date``, ``file_types``, ``tbx``, ``task_config``, ``extra_fields`` ...). ``tbx`` and
        ``task_config`` may be local paths, URIs or ``ObjectStoragePath`` as well.
    :param create_grace: how long translate5 may still be saving a create whose answer never arrived.
    :param concurrency: creates at a time (``items``).

    Returns ``{"items": [{"foreign_id", "id", "project_id", "task_name", "tasks": [{"id", "target_lang"}],
    "reattached"}], "task_ids"}``: per item its project (or task, ``id``) and one task per target language
    with the server's language code, and every task id in one list, in the shape the waits
    (``translate5_task_ids=upload.output["task_ids"]``) and the export (``items=upload.output["items"]``)
    take. Without ``items`` the result also has the one task's ``"id", "task_guid", "project_id",
    "foreign_id", "task_name", "state", "url", "reattached"``. Each key is also pushed as its own XCom
    (``multiple_outputs`` defaults to True).
    """

    template_fields = (
        "source",
        "task_name",
        "source_lang",
        "target_lang",
        "items",
        "foreign_id",
        "foreign_name",
        "customer_id",
        "relais_lang",
        "description",
        "create_task_kwargs",
        "translate5_conn_id",
    )
    ui_color = "#c7e3f4"

    def __init__(
        self,
        *,
        source: PathLike | Sequence[PathLike] | None = None,
        task_name: str | None = None,
        source_lang: str | int | None = None,
        target_lang: str | int | Sequence[str | int] | None = None,
        items: Sequence[Mapping[str, Any]] | str | None = None,
        foreign_id: str | None = None,
        foreign_name: str | None = None,
        customer_id: str | int | None = None,
        relais_lang: str | int | None = None,
        description: str | None = None,
        auto_start_import: bool = True,
        create_task_kwargs: Mapping[str, Any] | None = None,
        create_grace: timedelta | float = DEFAULT_CREATE_GRACE,
        concurrency: int = 4,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        if items is None:
            needed = {"source": source, "task_name": task_name, "source_lang": source_lang}
            missing = [
                name for name, value in {**needed, "target_lang": target_lang}.items() if value is None
            ]
            if missing:
                raise ValueError(f"give {', '.join(missing)} (or items: one dict per task to create)")
        elif source is not None or foreign_id is not None:
            raise ValueError("items carry their own source and foreign_id; give them in each item")
        if target_lang is not None and not is_template(target_lang):  # known now: a mistake fails the parse
            from airflow_provider_translate5.client.checks import target_languages

            target_languages(target_lang)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
        self.create_grace = as_timedelta(create_grace, "create_grace")
        self.source = source
        self.task_name = task_name
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.items = items
        self.foreign_id = foreign_id
        self.foreign_name = foreign_name
        self.customer_id = customer_id
        self.relais_lang = relais_lang
        self.description = description
        self.auto_start_import = auto_start_import
        self.create_task_kwargs = dict(create_task_kwargs or {})
        self.concurrency = concurrency

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_translate5 import lineage

        with fail_fast_on_bad_input():
            orders = self._orders(context)  # every rule that needs no request, for every item
            languages = self._check_languages(orders)  # one request: the server's languages
            outcomes = self._create_each(orders, context)
            items = self._results(orders, outcomes, languages)
        for order, item in zip(orders, items, strict=True):
            self._log_outcome(order, outcomes[order.key].unit, item["reattached"])
        url = self.push_task_link(context, outcomes[orders[0].key].unit) if orders else None
        task_ids = [task["id"] for item in items for task in item["tasks"]]
        result: dict[str, Any] = {"items": items, "task_ids": task_ids}
        if self.items is not None:
            created = sum(1 for item in items if not item["reattached"])
            self.log.info(
                "%d item(s): created %d translate5 task(s)/project(s), re-attached %d",
                len(items),
                created,
                len(items) - created,
            )
            lineage.note(self, taskIds=task_ids, taskUrl=url)
            return result
        [item] = items
        unit = outcomes[item["foreign_id"]].unit
        result.update(
            id=unit.id,
            task_guid=unit.task_guid,
            project_id=item["project_id"],
            foreign_id=item["foreign_id"],
            task_name=unit.task_name,
            state=unit.state,
            url=url,
            reattached=item["reattached"],
        )
        lineage.note(
            self, taskIds=task_ids, projectId=item["project_id"], taskUrl=url, foreignId=item["foreign_id"]
        )
        return result

    def get_openlineage_facets_on_start(self) -> Lineage:
        return self.get_openlineage_facets_on_complete(None)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Lineage:
        """OpenLineage: the files sent (with ``tbx``/``task_config``), the translate5 task(s) made of them;
        languages when there is one upload (items may each have their own)."""
        from airflow_provider_translate5 import lineage

        single = self.items is None
        items: list[Any] = [{"source": self.source}] if single else rendered_list(self.items, "items")
        files: list[Any] = []
        for item in items:  # an item's create_task_kwargs over the operator's, as the upload merges them
            kwargs = {**self.create_task_kwargs, **(item.get("create_task_kwargs") or {})}
            files += [item.get("source"), kwargs.get("tbx"), kwargs.get("task_config")]
        return lineage.operator_lineage(
            self,
            "upload",
            inputs=files,
            tasks="outputs",
            source_lang=self.source_lang if single else None,
            target_lang=self.target_lang if single else None,
        )

    def _orders(self, context: Context) -> list[_Order]:
        """The tasks to create, the operator's defaults filled in, each checked by the client's rules (names,
        foreign ids, languages as written) and its files found, before any request."""
        from airflow_provider_translate5.client import Translate5ValueError

        if self.items is None:
            given: list[Any] = [{"source": self.source, "foreign_id": self.foreign_id}]
        else:
            try:
                given = rendered_list(self.items, "items")
            except ValueError as exc:
                raise Translate5ValueError(str(exc)) from exc
        orders: list[_Order] = []
        seen: dict[str, str] = {}
        for index, item in enumerate(given):
            label = "" if self.items is None else f"items[{index}]"
            if not isinstance(item, Mapping):
                raise Translate5ValueError(
                    f"{label} must be a dict with keys of {', '.join(ITEM_KEYS)}; got {item!r}"
                )
            unknown = sorted(set(item) - set(ITEM_KEYS))
            if unknown:
                raise Translate5ValueError(
                    f"{label} has unknown key(s) {', '.join(map(repr, unknown))}; an item takes "
                    f"{', '.join(ITEM_KEYS)}"
                )
            extra = item.get("create_task_kwargs") or {}
            if not isinstance(extra, Mapping):
                raise Translate5ValueError(f"{label}: create_task_kwargs must be a dict, got {extra!r}")
            fields = {name: getattr(self, name) for name in _DEFAULTED}
            fields.update({name: value for name, value in item.items() if value is not None})
            fields["create_task_kwargs"] = {**self.create_task_kwargs, **extra}
            own = item.get("foreign_id") not in (None, "")
            if own:
                key = str(item["foreign_id"])
                label = f"{label} (foreign_id {key!r})" if label else ""
            else:
                key = idempotency_key(context) if self.items is None else _item_key(context, index)
            order = _Order(label, key, own, fields)
            order.check()
            if key in seen:
                raise Translate5ValueError(
                    f"{seen[key]} and {label} have the same foreign_id {key!r}: each item is one task"
                )
            seen[key] = label
            orders.append(order)
        return orders

    def _check_languages(self, orders: Sequence[_Order]) -> dict[int, str]:
        """Every item's languages against the server's list (fetched once per worker process): an unknown or
        repeated one fails before the first create. Returns the server's code of each language id."""
        from airflow_provider_translate5.client import (
            Translate5PermissionError,
            Translate5ValueError,
            checks,
        )

        if not orders:
            return {}
        client = self.client
        try:
            languages = client.list_languages()
        except Translate5PermissionError:  # this user may not list languages: translate5 itself will check
            return {}
        for order in orders:
            try:
                client.resolve_language(order.fields["source_lang"])
                targets = checks.target_languages(order.fields["target_lang"])
                codes = [client.resolve_language(target).rfc5646 for target in targets]
                checks.distinct(codes, targets)
                if order.fields.get("relais_lang") not in (None, "", 0):
                    client.resolve_language(order.fields["relais_lang"])
            except Translate5ValueError as exc:
                raise order.refused(exc) from exc
        return {language.id: language.rfc5646 for language in languages}

    def _create_each(self, orders: Sequence[_Order], context: Context) -> dict[str, Outcome[Task]]:
        """Create every order once (see :class:`~airflow_provider_translate5.once.CreateEach`). A derived key
        at the first try of the task instance cannot exist yet: it is neither looked up nor checked after."""
        from airflow_provider_translate5.client import Translate5Error
        from airflow_provider_translate5.once import CreateEach

        client = self.client
        grace = self.create_grace.total_seconds()
        by_key = {order.key: order for order in orders}
        refused: dict[int, _Order] = {}

        def create(key: str) -> Task:
            try:
                return self._create(by_key[key])
            except Translate5Error as exc:
                refused[id(exc)] = by_key[key]
                raise

        once: CreateEach[Task] = CreateEach(
            lookup=lambda keys: _tasks_where(client, "foreignId", keys, projects_only=True),
            key_of=lambda task: task.foreign_id,
            create=create,
            root_of=lambda task: task.project_id or task.id,
            delete=lambda root: client.delete_task(root),
            fetch=client.get_task,
            grace=grace,
            poll_interval=min(5.0, max(grace / 10, 0.05)),
            concurrency=self.concurrency,
            what="translate5 task",
            label=lambda key: by_key[key].label or f"foreignId {key!r}",
        )
        first_try = (getattr(context["ti"], "try_number", 1) or 1) <= 1
        fresh = [order.key for order in orders if first_try and not order.own_key]
        try:
            return once.run(list(by_key), pre_wait=retry_pre_wait(context, self, grace), fresh=fresh)
        except Translate5Error as exc:
            order = refused.get(id(exc))
            if order is not None and order.label and exc.terminal:
                raise order.refused(exc) from exc
            raise

    def _results(
        self, orders: Sequence[_Order], outcomes: Mapping[str, Outcome[Task]], languages: Mapping[int, str]
    ) -> list[dict[str, Any]]:
        """Each order's unit with one task per target language. The tasks of projects found by the lookup are
        listed with one request for all; projects found while translate5 still creates their tasks are waited
        for (for ``create_grace``, one lookup per second for all)."""
        from airflow_provider_translate5.client import checks

        tasks_of: dict[str, list[Task]] = {}
        expected: dict[int, int] = {}
        for order in orders:
            outcome = outcomes[order.key]
            unit = outcome.unit
            # A create answers with the project's tasks; a project found by the lookup comes without them.
            tasks = list(unit.project_tasks) if unit.project_tasks or unit.is_project else [unit]
            tasks_of[order.key] = tasks
            targets = len(checks.target_languages(order.fields["target_lang"]))
            if len(tasks) < targets:
                expected[unit.id] = targets
        if expected:
            found = self._project_tasks(expected)
            for order in orders:
                unit = outcomes[order.key].unit
                if unit.id in expected:
                    tasks_of[order.key] = found[unit.id]
        results = []
        for order in orders:
            outcome = outcomes[order.key]
            unit = outcome.unit
            tasks = sorted(tasks_of[order.key], key=lambda task: task.id)
            results.append(
                {
                    "foreign_id": order.key,
                    "id": unit.id,
                    "project_id": unit.project_id or unit.id,
                    "task_name": unit.task_name,
                    "tasks": [
                        {"id": task.id, "target_lang": languages.get(task.target_lang or 0)} for task in tasks
                    ],
                    "reattached": outcome.reattached,
                }
            )
        return results

    def _project_tasks(self, expected: Mapping[int, int]) -> dict[int, list[Task]]:
        """The tasks of projects that should have ``expected[project]`` of them, waited for up to
        ``create_grace`` (what exists then is taken)."""
        deadline = time.monotonic() + self.create_grace.total_seconds()
        while True:
            found: dict[int, list[Task]] = {project: [] for project in expected}
            for row in _tasks_where(self.client, "projectId", list(expected)):
                if not row.is_project and row.project_id in found:
                    found[row.project_id].append(row)
            done = all(len(found[project]) >= count for project, count in expected.items())
            if done or time.monotonic() >= deadline:
                return found
            time.sleep(1.0)

    def _log_outcome(self, order: _Order, unit: Task, reattached: bool) -> None:
        kind = "project" if unit.is_project else "task"
        if reattached:
            self.log.warning(
                "Re-attaching to existing translate5 %s %s (%r) with foreignId %r instead of creating a new "
                "one: an earlier try (or run) already created it.",
                kind,
                unit.id,
                unit.task_name,
                order.key,
            )
        else:
            self.log.info(
                "Created translate5 %s %s (%r), foreignId %r", kind, unit.id, unit.task_name, order.key
            )

    def _create(self, order: _Order) -> Task:
        from contextlib import ExitStack

        from airflow_provider_translate5.files import upload_sources

        fields = order.fields
        extra = dict(fields["create_task_kwargs"])
        with ExitStack() as stack:
            files = stack.enter_context(upload_sources(fields["source"]))
            for name in ("tbx", "task_config"):
                if extra.get(name) is not None:
                    extra[name] = stack.enter_context(upload_sources(extra[name]))[0]
            return self.client.create_task(
                files,
                task_name=fields["task_name"],
                source_lang=fields["source_lang"],
                target_lang=fields["target_lang"],
                foreign_id=order.key,
                foreign_name=fields["foreign_name"],
                customer_id=fields["customer_id"],
                relais_lang=fields["relais_lang"],
                description=fields["description"],
                auto_start_import=self.auto_start_import,
                **extra,
            )


@dataclass(frozen=True)
class _Order:
    """One task (or project) to create: an item with the operator's defaults filled in.

    ``label`` names the item in messages ("items[3] (foreign_id 'page-7')"; empty for the single upload);
    ``own_key``: the DAG gave the foreign id, so an earlier run may have created it.
    """

    label: str
    key: str
    own_key: bool
    fields: Mapping[str, Any]

    def check(self) -> None:
        """The client's rules for a new task and its files, before any request (the first one is a lookup
        or a create)."""
        from airflow_provider_translate5.client import Translate5ValueError, checks

        try:
            for name in ("task_name", "source_lang", "target_lang"):
                if self.fields.get(name) in (None, ""):
                    raise Translate5ValueError(f"{name} is missing")
            checks.task_name(self.fields["task_name"])
            checks.foreign_id(self.key)
            checks.target_languages(self.fields["target_lang"])
            _check_sources(self.fields.get("source"))
        except Translate5ValueError as exc:
            raise self.refused(exc) from exc

    def refused(self, exc: Exception) -> Exception:
        """The error of a refused item, naming the item (the single upload's error as it is)."""
        from airflow_provider_translate5.client import Translate5ValueError

        if not self.label:
            return exc
        return Translate5ValueError(f"{self.label}: {exc}")


def _check_sources(source: Any) -> None:
    """Every file of an item exists and is not empty (object storage: exists), before anything is created."""
    from airflow_provider_translate5.client import Translate5ValueError
    from airflow_provider_translate5.client.files import prepare_upload
    from airflow_provider_translate5.files import is_single, to_path

    sources = [] if source in (None, "") else [source] if is_single(source) else list(source)
    if not sources:
        raise Translate5ValueError("source is missing: name the file(s) to translate")
    for item in sources:
        path = to_path(item)
        if isinstance(path, Path):
            prepare_upload(path, "import file")
        elif not path.is_file():
            raise Translate5ValueError(f"import file {str(path)!r} does not exist or is not a file")


def _item_key(context: Context, index: int) -> str:
    """The derived foreignId of an item: the task instance's key and the item's position."""
    import hashlib

    from airflow_provider_translate5.client.checks import MAX_FOREIGN_ID

    key = f"{idempotency_key(context)}#{index}"
    if len(key) > MAX_FOREIGN_ID:
        key = "airflow:sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _tasks_where(
    client: Translate5Client, prop: str, values: Sequence[Any], *, projects_only: bool = False
) -> list[Task]:
    """Every task row whose ``prop`` is one of ``values`` (``projects_only``: the top-level rows, a project or
    a single-target task per upload): ``eq`` for one value, as recorded; else one ``in`` list request per
    chunk that keeps the URL short."""
    import json

    from airflow_provider_translate5.client import Filter

    rows: list[Task] = []
    chunk: list[Any] = []
    size = 0
    chunks: list[list[Any]] = []
    for value in values:
        length = len(json.dumps(value)) + 1
        if chunk and (len(chunk) >= _LOOKUP_VALUES or size + length > _LOOKUP_CHARS):
            chunks.append(chunk)
            chunk, size = [], 0
        chunk.append(value)
        size += length
    if chunk:
        chunks.append(chunk)
    for part in chunks:
        rule = Filter.eq(prop, part[0]) if len(part) == 1 else Filter.in_(prop, part)
        rows += client.iter_tasks(filters=[rule], page_size=_LOOKUP_VALUES, projects_only=projects_only)
    return rows


class Translate5StartImportOperator(Translate5BaseOperator):
    """Start the import of a task created with ``auto_start_import=False`` (a project: all its tasks).

    :param translate5_task_id: task or project id (templated). Returns the task's summary.
    """

    template_fields = ("translate5_task_id", "translate5_conn_id")

    def __init__(self, *, translate5_task_id: int | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.translate5_task_id = translate5_task_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_translate5.status import task_summary

        with fail_fast_on_bad_input():
            task = self.client.start_import(self.translate5_task_id)
        self.push_task_link(context, task)
        self.log.info("Started the import of translate5 task %s", task.id)
        return task_summary(task)


class _TaskStateChangeOperator(Translate5BaseOperator):
    """Apply one state change to every task behind the id (translate5 does not change projects themselves),
    or to many tasks given by their ids.

    :param translate5_task_id: task or project id (templated).
    :param translate5_task_ids: instead: task ids (templated; e.g. an upload's ``task_ids``), changed without
        a lookup. An empty list changes nothing, and a task that no longer exists is skipped with a warning:
        for DAGs that end or reopen what an earlier run ordered, which someone may have deleted since.
    """

    template_fields = ("translate5_task_id", "translate5_task_ids", "translate5_conn_id")
    action: str

    def __init__(
        self,
        *,
        translate5_task_id: int | str | None = None,
        translate5_task_ids: Sequence[int | str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (translate5_task_id is None) == (translate5_task_ids is None):
            raise ValueError(
                "give translate5_task_id (a task or project) or translate5_task_ids (tasks, e.g. an upload's "
                "task_ids), not both"
            )
        self.translate5_task_id = translate5_task_id
        self.translate5_task_ids = translate5_task_ids

    def change(self, task_id: int) -> Task:
        raise NotImplementedError

    def execute(self, context: Context) -> list[dict[str, Any]]:
        from airflow_provider_translate5.client import Translate5APIError, Translate5NotFoundError
        from airflow_provider_translate5.client.errors import TASK_DELETED
        from airflow_provider_translate5.status import task_summary

        if self.translate5_task_id is not None:
            ids = [task.id for task in self.resolve_tasks(context, self.translate5_task_id)]
        else:
            ids = rendered_ids(self.translate5_task_ids, required=False)
            if not ids:
                self.log.info("No translate5 task given: nothing to change")
        changed: list[dict[str, Any]] = []
        for task_id in ids:
            with fail_fast_on_bad_input():
                try:
                    task = self.change(task_id)
                except Translate5APIError as exc:
                    gone = isinstance(exc, Translate5NotFoundError) or exc.error_code == TASK_DELETED
                    if not gone or self.translate5_task_id is not None:
                        raise
                    self.log.warning("translate5 task %s does not exist (any more): skipped", task_id)
                    continue
            if not changed and self.translate5_task_id is None:
                self.push_task_link(context, task)
            changed.append(task_summary(task))
            self.log.info("%s translate5 task %s", self.action, task_id)
        return changed


class Translate5EndTaskOperator(_TaskStateChangeOperator):
    """End the task(s) (state ``end``): finished for everyone, read-only. Returns task summaries."""

    action = "Ended"

    def change(self, task_id: int) -> Task:
        return self.client.end_task(task_id)


class Translate5ReopenTaskOperator(_TaskStateChangeOperator):
    """Reopen ended task(s) (state ``open``). Returns task summaries."""

    action = "Reopened"

    def change(self, task_id: int) -> Task:
        return self.client.reopen_task(task_id)


class Translate5RenameTaskOperator(Translate5BaseOperator):
    """Rename a task, guarding against concurrent edits with translate5's ``entityVersion``.

    If someone changed the task between reading and writing (HTTP 409), it reads it again and retries once.

    :param translate5_task_id: task id (templated).
    :param task_name: the new name (templated).
    """

    template_fields = ("translate5_task_id", "task_name", "translate5_conn_id")

    def __init__(self, *, translate5_task_id: int | str, task_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.translate5_task_id = translate5_task_id
        self.task_name = task_name

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_translate5.client import Translate5ConflictError
        from airflow_provider_translate5.status import task_summary

        with fail_fast_on_bad_input():
            task = self.client.get_task(self.translate5_task_id)
            self.push_task_link(context, task)
            try:
                renamed = self.client.rename_task(task.id, self.task_name, entity_version=task.entity_version)
            except Translate5ConflictError:
                self.log.info(
                    "translate5 task %s changed meanwhile; reading it again and retrying once", task.id
                )
                task = self.client.get_task(task.id)
                renamed = self.client.rename_task(task.id, self.task_name, entity_version=task.entity_version)
        self.log.info("Renamed translate5 task %s to %r", renamed.id, renamed.task_name)
        return task_summary(renamed)


class Translate5DeleteTaskOperator(Translate5BaseOperator):
    """Delete a task or a project (with all its tasks). A task that is already gone counts as deleted.

    :param translate5_task_id: task or project id (templated).
    :param force: force-delete (needs the ``taskForceDelete`` right in translate5).
    """

    operator_extra_links = ()  # nothing to open in the translate5 UI
    template_fields = ("translate5_task_id", "translate5_conn_id")

    def __init__(self, *, translate5_task_id: int | str, force: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.translate5_task_id = translate5_task_id
        self.force = force

    def execute(self, context: Context) -> int:
        from airflow_provider_translate5.client import Translate5NotFoundError

        with fail_fast_on_bad_input():
            try:
                self.client.delete_task(self.translate5_task_id, force=self.force)
            except Translate5NotFoundError:
                self.log.info(
                    "translate5 task %s does not exist (any more); nothing to delete", self.translate5_task_id
                )
            else:
                self.log.info("Deleted translate5 task %s", self.translate5_task_id)
        return int(self.translate5_task_id)
