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
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_translate5.base import (
    DEFAULT_CREATE_GRACE,
    Translate5BaseOperator,
    as_timedelta,
    fail_fast_on_bad_input,
    idempotency_key,
    is_template,
    retry_pre_wait,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Task
    from airflow_provider_translate5.files import PathLike
    from airflow_provider_translate5.lineage import Lineage
    from airflow_provider_translate5.once import Outcome


class Translate5UploadTaskOperator(Translate5BaseOperator):
    """Create a translate5 task (one target language) or project (several) from files, safely under retries.

    Before creating anything it looks for a task with the same ``foreignId`` (the idempotency key): an Airflow
    retry after a lost server answer re-attaches to what the first try created instead of creating a second
    task. The key is ``foreign_id`` when given, else derived from dag_id/run_id/task_id/map_index. Because of
    this, clearing a successful upload task re-attaches too; give a new ``foreign_id`` (or delete the task in
    translate5) to upload again in the same DAG run.

    :param source: the file(s) to translate: a local path, a URI or an ``ObjectStoragePath``, or a list.
        A single ``.zip`` is a translate5 import package (``workfiles/``, ``relais/``, ``referenceFiles/``).
        Files are streamed, never read into memory. Templated.
    :param task_name: the translate5 task name. Templated.
    :param source_lang: source language (RFC 5646 like ``"en"``/``"de-DE"``, or a translate5 language id).
    :param target_lang: one target language, or a list (translate5 then creates a project, a task per target).
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

    Returns ``{"id", "task_guid", "project_id", "task_ids", "foreign_id", "task_name", "state", "url",
    "reattached"}`` where ``id`` is the project id (several targets) or the task id, and ``task_ids`` has one
    task per target. Each key is also pushed as its own XCom (``multiple_outputs`` defaults to True), so
    downstream tasks can use ``upload.output["id"]``.
    """

    template_fields = (
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
        "translate5_conn_id",
    )
    ui_color = "#c7e3f4"

    def __init__(
        self,
        *,
        source: PathLike | Sequence[PathLike],
        task_name: str,
        source_lang: str | int,
        target_lang: str | int | Sequence[str | int],
        foreign_id: str | None = None,
        foreign_name: str | None = None,
        customer_id: str | int | None = None,
        relais_lang: str | int | None = None,
        description: str | None = None,
        auto_start_import: bool = True,
        create_task_kwargs: Mapping[str, Any] | None = None,
        create_grace: timedelta | float = DEFAULT_CREATE_GRACE,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        if not is_template(target_lang):  # known now: a mistake fails the DAG's parse (a ValueError)
            from airflow_provider_translate5.client.checks import target_languages

            target_languages(target_lang)
        self.create_grace = as_timedelta(create_grace, "create_grace")
        self.source = source
        self.task_name = task_name
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.foreign_id = foreign_id
        self.foreign_name = foreign_name
        self.customer_id = customer_id
        self.relais_lang = relais_lang
        self.description = description
        self.auto_start_import = auto_start_import
        self.create_task_kwargs = dict(create_task_kwargs or {})

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_translate5 import lineage
        from airflow_provider_translate5.client import checks

        key = self.foreign_id or idempotency_key(context)
        with fail_fast_on_bad_input():
            # The client's rules for a new task, before the idempotency lookup (the first request).
            checks.task_name(self.task_name)
            targets = checks.target_languages(self.target_lang)
            outcome = self._create_once(key, context)
            task = outcome.unit
            kind = "project" if task.is_project else "task"
            if outcome.reattached:
                self.log.warning(
                    "Re-attaching to existing translate5 %s %s (%r) with foreignId %r instead of creating a "
                    "new one: an earlier try (or run) already created it.",
                    kind,
                    task.id,
                    task.task_name,
                    key,
                )
            else:
                self.log.info(
                    "Created translate5 %s %s (%r), foreignId %r", kind, task.id, task.task_name, key
                )
            url = self.push_task_link(context, task)
            task_ids = self._task_ids(task, len(targets))
        result = {
            "id": task.id,
            "task_guid": task.task_guid,
            "project_id": task.project_id or task.id,
            "task_ids": task_ids,
            "foreign_id": key,
            "task_name": task.task_name,
            "state": task.state,
            "url": url,
            "reattached": outcome.reattached,
        }
        lineage.note(self, taskIds=task_ids, projectId=result["project_id"], taskUrl=url, foreignId=key)
        return result

    def get_openlineage_facets_on_start(self) -> Lineage:
        return self.get_openlineage_facets_on_complete(None)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Lineage:
        """OpenLineage: the files sent (with ``tbx``/``task_config``), the translate5 task(s) made of them."""
        from airflow_provider_translate5 import lineage

        extra = [self.create_task_kwargs.get(name) for name in ("tbx", "task_config")]
        return lineage.operator_lineage(
            self,
            "upload",
            inputs=[self.source, *extra],
            tasks="outputs",
            source_lang=self.source_lang,
            target_lang=self.target_lang,
        )

    def _create_once(self, key: str, context: Context) -> Outcome[Task]:
        from airflow_provider_translate5.once import CreateOnce

        client = self.client
        grace = self.create_grace.total_seconds()
        once: CreateOnce[Task] = CreateOnce(
            lookup=lambda: client.find_tasks_by_foreign_id(key),
            create=lambda: self._create(key),
            root_of=lambda task: task.project_id or task.id,
            delete=lambda root: client.delete_task(root),
            fetch=client.get_task,
            grace=grace,
            poll_interval=min(5.0, max(grace / 10, 0.05)),
            what="translate5 task",
        )
        return once.run(pre_wait=retry_pre_wait(context, self, grace))

    def _task_ids(self, task: Task, expected: int) -> list[int]:
        """The tasks of the unit; a project found while translate5 still creates its tasks is waited for."""
        if task.project_tasks:
            return task.task_ids
        deadline = time.monotonic() + self.create_grace.total_seconds()
        while True:
            ids = [t.id for t in self.client.project_tasks(task.id)]
            if len(ids) >= expected or time.monotonic() >= deadline:
                return ids
            time.sleep(1.0)

    def _create(self, key: str) -> Task:
        from contextlib import ExitStack

        from airflow_provider_translate5.files import upload_sources

        extra = dict(self.create_task_kwargs)
        with ExitStack() as stack:
            files = stack.enter_context(upload_sources(self.source))
            for name in ("tbx", "task_config"):
                if extra.get(name) is not None:
                    extra[name] = stack.enter_context(upload_sources(extra[name]))[0]
            return self.client.create_task(
                files,
                task_name=self.task_name,
                source_lang=self.source_lang,
                target_lang=self.target_lang,
                foreign_id=key,
                foreign_name=self.foreign_name,
                customer_id=self.customer_id,
                relais_lang=self.relais_lang,
                description=self.description,
                auto_start_import=self.auto_start_import,
                **extra,
            )


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
    """Apply one state change to every task behind the id (translate5 does not change projects themselves)."""

    template_fields = ("translate5_task_id", "translate5_conn_id")
    action: str

    def __init__(self, *, translate5_task_id: int | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.translate5_task_id = translate5_task_id

    def change(self, task_id: int) -> Task:
        raise NotImplementedError

    def execute(self, context: Context) -> list[dict[str, Any]]:
        from airflow_provider_translate5.status import task_summary

        changed = []
        for task in self.resolve_tasks(context, self.translate5_task_id):
            with fail_fast_on_bad_input():
                changed.append(task_summary(self.change(task.id)))
            self.log.info("%s translate5 task %s", self.action, task.id)
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
