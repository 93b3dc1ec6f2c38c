"""Operators for translate5: create tasks, drive their workflow, export results, pre-translate files.

Conventions shared by all of them:

* Airflow's ``task_id`` is the Airflow task; translate5 ids are always ``translate5_task_id`` (a task id, or a
  project id where the operation applies to every task of a project).
* Ids, paths and names are templated fields.
* Every operator that knows a translate5 task pushes its id (XCom ``translate5_task_id``) and UI link (XCom
  ``translate5_task_url``, shown as the "translate5 task" extra link) as soon as it knows them.
* Mistakes a retry cannot fix (validation errors, unknown ids) fail the task without retries; network trouble
  and server errors are left to Airflow's retries.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

from airflow_provider_translate5 import DEFAULT_CONN_ID
from airflow_provider_translate5.links import (
    PRETRANSLATION_ID_XCOM_KEY,
    TASK_ID_XCOM_KEY,
    TASK_URL_XCOM_KEY,
)
from airflow_provider_translate5.operators._base import (
    Translate5Mixin,
    WaitMixin,
    as_timedelta,
    check_trigger_event,
    fail_fast_on_bad_input,
    renamed,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Job, Task
    from airflow_provider_translate5.files import AnyPath, Delivery, PathLike
    from airflow_provider_translate5.operators._once import Outcome

#: translate5's documented limit for ``foreignId`` (the database allows more, the docs promise 120).
FOREIGN_ID_MAX_LENGTH = 120
#: How long translate5 may still be saving a create whose answer never arrived (see docs/reliability.md).
DEFAULT_CREATE_GRACE = timedelta(minutes=5)


def _is_template(value: Any) -> bool:
    """Not known before rendering (a Jinja string or an XComArg): checked in ``execute`` instead."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, (list, tuple)):
        return any(_is_template(item) for item in value)
    return not isinstance(value, (int, type(None)))


def check_targets(target_lang: Any) -> list[Any]:
    """Refuse an empty or repeated target language when the DAG is parsed (a plain ``ValueError``).

    Only what is visible in the text: the client checks the resolved codes, name and ``foreign_id`` lengths
    again before the first request (the operator must not load the client at parse time).
    """
    targets = [target_lang] if isinstance(target_lang, (str, int)) else list(target_lang or [])
    if not targets:
        raise ValueError("target_lang needs at least one language")
    seen: set[str] = set()
    for target in targets:
        text = str(target).strip().lower()
        if not text:
            raise ValueError(f"target_lang contains an empty language: {targets!r}")
        if text in seen:
            raise ValueError(f"target_lang names {target!r} twice: {targets!r}")
        seen.add(text)
    return targets


def retry_pre_wait(context: Context, operator: BaseOperator, grace: float) -> float:
    """Seconds a retry looks for an earlier try's create before creating: the part of ``grace`` that
    Airflow's ``retry_delay`` has not already covered (0 on the first try)."""
    try_number = getattr(context["ti"], "try_number", 1) or 1
    if try_number <= 1:
        return 0.0
    delay = operator.retry_delay
    waited = delay.total_seconds() if isinstance(delay, timedelta) else float(delay or 0)
    return max(0.0, grace - waited)


class Translate5BaseOperator(Translate5Mixin, BaseOperator):
    """Base for translate5 operators: connection id, hook, extra link."""

    def __init__(
        self,
        *,
        translate5_conn_id: str = DEFAULT_CONN_ID,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.translate5_conn_id = translate5_conn_id
        self.hook_params = dict(hook_params or {})

    def resolve_tasks(self, context: Context, translate5_task_id: int | str) -> list[Task]:
        """The translate5 tasks behind a task or project id; publishes the link on the way."""
        with fail_fast_on_bad_input():
            tasks = self.client.project_tasks(translate5_task_id)
        if not tasks:
            raise AirflowFailException(f"translate5 project {translate5_task_id} has no tasks")
        self.push_task_link(context, tasks[0])
        return tasks


def idempotency_key(context: Context) -> str:
    """A foreignId that names this task instance (not the try), readable while it fits translate5's limit."""
    ti = context["ti"]
    key = f"airflow:{ti.dag_id}/{ti.run_id}/{ti.task_id}"
    map_index = getattr(ti, "map_index", -1)
    if map_index is not None and map_index >= 0:
        key += f"/{map_index}"
    if len(key) > FOREIGN_ID_MAX_LENGTH:
        key = "airflow:sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


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

    Returns ``{"id", "taskGuid", "projectId", "taskIds", "foreignId", "taskName", "state", "url",
    "reattached"}`` where ``id`` is the project id (several targets) or the task id, and ``taskIds`` has one
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
        if not _is_template(target_lang):
            check_targets(target_lang)
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
        key = self.foreign_id or idempotency_key(context)
        with fail_fast_on_bad_input():
            self._check_name()
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
            task_ids = self._task_ids(task, len(check_targets(self.target_lang)))
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
        # Deprecated camelCase keys, still pushed for one release (see docs/operators.md).
        result.update(
            taskGuid=task.task_guid,
            projectId=result["project_id"],
            taskIds=task_ids,
            foreignId=key,
            taskName=task.task_name,
        )
        return result

    def _check_name(self) -> None:
        """The client's task name rule, applied before the idempotency lookup (the first request)."""
        from airflow_provider_translate5.client import Translate5ValueError
        from airflow_provider_translate5.client.client import MAX_TASK_NAME

        if not isinstance(self.task_name, str) or not self.task_name.strip():
            raise Translate5ValueError("task_name must be a non-empty string")
        if len(self.task_name) > MAX_TASK_NAME:
            raise Translate5ValueError(
                f"task_name has {len(self.task_name)} characters; translate5 stores at most {MAX_TASK_NAME}"
            )

    def _create_once(self, key: str, context: Context) -> Outcome[Task]:
        from airflow_provider_translate5.operators._once import CreateOnce

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


class Translate5AssignJobOperator(Translate5BaseOperator):
    """Assign a user to a workflow step of every task behind the id (a job, "task-user association").

    Retry-safe: a job for the same user and step that already exists is kept, not created twice.

    :param translate5_task_id: task or project id (templated).
    :param user_guid: the translate5 user: GUID, login or e-mail address (templated; a login or e-mail is
        looked up when the task runs).
    :param workflow_step_name: e.g. ``"translation"``, ``"reviewing"`` (templated).
    :param state: initial job state (translate5 default: ``waiting``).
    :param job_type: 1 = editor, 2 = coordinator.
    :param deadline_date: ``"YYYY-MM-DD HH:MM:SS"`` or ``"default"``.
    :param extra: further job fields (``segmentrange``, ``trackchangesShow`` ...).

    Returns one ``{"id", "taskGuid", "userGuid", "workflowStepName", "state", "role"}`` per task.
    """

    template_fields = (
        "translate5_task_id",
        "user_guid",
        "workflow_step_name",
        "state",
        "deadline_date",
        "extra",
        "translate5_conn_id",
    )

    def __init__(
        self,
        *,
        translate5_task_id: int | str,
        user_guid: str,
        workflow_step_name: str,
        state: str | None = None,
        job_type: int | None = None,
        deadline_date: str | None = None,
        extra: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.translate5_task_id = translate5_task_id
        self.user_guid = user_guid
        self.workflow_step_name = workflow_step_name
        self.state = state
        self.job_type = job_type
        self.deadline_date = deadline_date
        self.extra = dict(extra or {})

    def execute(self, context: Context) -> list[dict[str, Any]]:
        from airflow_provider_translate5.client.people import user_guid_of

        with fail_fast_on_bad_input():
            self.user_guid = user_guid_of(str(self.user_guid)) or self.client.user_guid(str(self.user_guid))
        jobs = []
        for task in self.resolve_tasks(context, self.translate5_task_id):
            with fail_fast_on_bad_input():
                job = self._existing_job(task.id)
                if job is not None:
                    self.log.info(
                        "User %s already has a %s job on task %s",
                        self.user_guid,
                        job.workflow_step_name,
                        task.id,
                    )
                else:
                    job = self.client.create_job(
                        task.id,
                        user_guid=self.user_guid,
                        workflow_step_name=self.workflow_step_name,
                        state=self.state,
                        type=self.job_type,
                        deadline_date=self.deadline_date,
                        extra=self.extra or None,
                    )
                    self.log.info(
                        "Assigned user %s to step %s of task %s",
                        self.user_guid,
                        self.workflow_step_name,
                        task.id,
                    )
            jobs.append(_job_summary(job))
        return jobs

    def _existing_job(self, task_id: int) -> Job | None:
        for job in self.client.list_jobs(task_id):
            if job.user_guid == self.user_guid and job.workflow_step_name == self.workflow_step_name:
                return job
        return None


def _job_summary(job: Job) -> dict[str, Any]:
    # Not job.raw: a job row can carry a staticAuthHash (a login credential), which must not reach XCom.
    return {
        "id": job.id,
        "task_guid": job.task_guid,
        "user_guid": job.user_guid,
        "workflow_step_name": job.workflow_step_name,
        "state": job.state,
        "role": job.role,
        # Deprecated camelCase keys, kept for one release (docs/operators.md).
        "taskGuid": job.task_guid,
        "userGuid": job.user_guid,
        "workflowStepName": job.workflow_step_name,
    }


class Translate5TriggerWorkflowOperator(Translate5BaseOperator):
    """Fire a workflow trigger (e.g. ``notifyAllUsersAboutTaskAssociation``) on every task behind the id.

    :param translate5_task_id: task or project id (templated).
    :param trigger: the trigger name (templated); translate5 rejects unknown ones, listing the valid ones.
    """

    template_fields = ("translate5_task_id", "trigger", "translate5_conn_id")

    def __init__(self, *, translate5_task_id: int | str, trigger: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.translate5_task_id = translate5_task_id
        self.trigger = trigger

    def execute(self, context: Context) -> list[dict[str, Any]]:
        answers = []
        for task in self.resolve_tasks(context, self.translate5_task_id):
            with fail_fast_on_bad_input():
                answers.append(dict(self.client.trigger_workflow(task.id, self.trigger)))
            self.log.info("Fired workflow trigger %r on task %s", self.trigger, task.id)
        return answers


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


class Translate5WriteTmOperator(Translate5BaseOperator):
    """Write one translation pair to the InstantTranslate translation memory.

    :param source_lang: RFC 5646 source language (templated; formerly ``source_language``).
    :param target_lang: RFC 5646 target language (templated; formerly ``target_language``).
    :param source_text: the source text (templated; formerly ``source``).
    :param target_text: its translation (templated; formerly ``target``).

    Returns the ids of the language resources written to.
    """

    operator_extra_links = ()  # nothing to open in the translate5 UI
    template_fields = ("source_lang", "target_lang", "source_text", "target_text", "translate5_conn_id")

    def __init__(
        self,
        *,
        source_lang: str | None = None,
        target_lang: str | None = None,
        source_text: str | None = None,
        target_text: str | None = None,
        source_language: str | None = None,
        target_language: str | None = None,
        source: str | None = None,
        target: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.source_lang = renamed(name, "source_lang", source_lang, "source_language", source_language)
        self.target_lang = renamed(name, "target_lang", target_lang, "target_language", target_language)
        self.source_text = renamed(name, "source_text", source_text, "source", source)
        self.target_text = renamed(name, "target_text", target_text, "target", target)
        missing = [
            n for n in ("source_lang", "target_lang", "source_text", "target_text") if not getattr(self, n)
        ]
        if missing:
            raise ValueError(f"{name} needs {', '.join(missing)}")

    def execute(self, context: Context) -> list[int]:
        with fail_fast_on_bad_input():
            created = self.client.write_tm(
                source_language=self.source_lang,
                target_language=self.target_lang,
                source=self.source_text,
                target=self.target_text,
            )
        self.log.info("Wrote the translation to language resource(s) %s", created)
        return list(created)


class Translate5ExportOperator(Translate5BaseOperator):
    """Export a task (or every task of a project) into a folder: all files arrive, or nothing changes.

    Every file (or unzipped member) is first written into a hidden staging folder inside the destination;
    only when all tasks exported completely are the files moved into place together. A failure anywhere
    (network, full disk, unsafe archive) leaves the destination exactly as it was, earlier files of the same
    names included; a try killed midway leaves a staging folder that the next try removes. A destination that
    cannot be written is refused before anything is downloaded. File names come from translate5, sanitized,
    and made unique across the project's tasks.

    :param translate5_task_id: task or project id (templated).
    :param translate5_task_ids: the task ids behind it, when an earlier step already knows them (templated;
        e.g. the upload's ``task_ids``): saves looking the project up again.
    :param destination: the folder: a local path, a URI (``s3://bucket/out/``) or an ``ObjectStoragePath``
        (templated). Created if missing.
    :param format: ``None`` (translated files as ZIP), ``"filetranslation"`` (the translated file itself, for
        single-file tasks), ``"xliff2"``, ``"importArchive"``, ``"excelhistory"`` (templated).
    :param diff: add track-changes markup (ZIP export).
    :param taskguiddirectory: whether the ZIP has the legacy ``{taskGuid}/`` root folder (None: server's).
    :param unzip: extract ZIP exports into ``<destination>/<zip name without .zip>/``. Members with ``..``,
        absolute paths or links are refused, and so are archives beyond the size limits below.
    :param max_unzipped_size: total bytes one archive may expand to.
    :param max_compression_ratio: how many times a member may expand (ZIP bomb guard).
    :param max_zip_members: entries one archive may have.

    Returns the list of written file URIs. Asset outlets get these URIs in their event's ``extra`` (``uris``).
    """

    template_fields = (
        "translate5_task_id",
        "translate5_task_ids",
        "destination",
        "format",
        "translate5_conn_id",
    )
    ui_color = "#c7f4d9"

    def __init__(
        self,
        *,
        translate5_task_id: int | str,
        destination: PathLike,
        translate5_task_ids: Sequence[int | str] | str | None = None,
        format: str | None = None,
        diff: bool = False,
        taskguiddirectory: bool | None = None,
        unzip: bool = False,
        max_unzipped_size: int | None = None,
        max_compression_ratio: float | None = None,
        max_zip_members: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for name, limit in (
            ("max_unzipped_size", max_unzipped_size),
            ("max_compression_ratio", max_compression_ratio),
            ("max_zip_members", max_zip_members),
        ):
            if limit is not None and (isinstance(limit, bool) or limit <= 0):
                raise ValueError(f"{name} must be positive, got {limit!r}")
        self.translate5_task_id = translate5_task_id
        self.translate5_task_ids = translate5_task_ids
        self.destination = destination
        self.format = format
        self.diff = diff
        self.taskguiddirectory = taskguiddirectory
        self.unzip = unzip
        self.max_unzipped_size = max_unzipped_size
        self.max_compression_ratio = max_compression_ratio
        self.max_zip_members = max_zip_members

    def execute(self, context: Context) -> list[str]:
        from airflow_provider_translate5.files import (
            Delivery,
            DestinationError,
            UnsafeArchiveError,
            to_path,
        )

        ids = self._task_ids(context)
        folder = to_path(self.destination)
        used: set[str] = set()
        try:
            with Delivery(folder, idempotency_key(context) + "/export") as delivery:
                for task_id in ids:
                    with (
                        fail_fast_on_bad_input(),
                        self.client.open_export(
                            task_id,
                            format=self.format,
                            diff=self.diff,
                            taskguiddirectory=self.taskguiddirectory,
                        ) as download,
                    ):
                        name = _unique_name(download.filename, task_id, used)
                        if self.unzip and name.lower().endswith(".zip"):
                            target = folder / _unique_name(name[:-4], task_id, used)
                            self._extract(download.iter_bytes(), target, delivery)
                        else:
                            delivery.write(folder / name, download.iter_bytes())
                    self.log.info("Exported translate5 task %s (%s)", task_id, name)
                written = delivery.commit()
        except DestinationError as exc:
            raise AirflowFailException(str(exc)) from exc
        except UnsafeArchiveError as exc:
            raise AirflowFailException(f"Refusing to extract the export: {exc}") from exc
        self.log.info("Delivered %d file(s) into %s", len(written), self.destination)
        self._announce(context, written)
        return written

    def _task_ids(self, context: Context) -> list[int]:
        """The ids handed over by an earlier step, or the tasks behind the id (one lookup)."""
        given = self.translate5_task_ids
        if isinstance(given, str):  # a Jinja template renders a list as its text: "[8, 9]" or "8,9"
            given = [part for part in given.strip("[] ").replace(",", " ").split() if part]
        if given is not None:
            ids = [int(i) for i in given]
            if ids:
                context["ti"].xcom_push(key=TASK_ID_XCOM_KEY, value=int(self.translate5_task_id))
                context["ti"].xcom_push(
                    key=TASK_URL_XCOM_KEY,
                    value=self.hook.task_url(self.translate5_task_id),
                )
                return ids
        return [task.id for task in self.resolve_tasks(context, self.translate5_task_id)]

    def _extract(self, chunks: Any, folder: AnyPath, delivery: Delivery) -> None:
        from airflow_provider_translate5 import files as _files

        with _files.local_temp_file(".zip") as archive:
            with archive.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            _files.extract_archive(
                archive,
                folder,
                delivery,
                max_total_size=self.max_unzipped_size or _files.DEFAULT_MAX_UNZIPPED_SIZE,
                max_ratio=self.max_compression_ratio or _files.DEFAULT_MAX_COMPRESSION_RATIO,
                max_members=self.max_zip_members or _files.DEFAULT_MAX_ZIP_MEMBERS,
            )

    def _announce(self, context: Context, uris: list[str]) -> None:
        """Put the written files into the events of Asset outlets, for the DAGs they trigger."""
        from airflow.sdk import Asset

        for outlet in self.outlets or []:
            if isinstance(outlet, Asset):
                extra = context["outlet_events"][outlet].extra
                extra["uris"] = list(uris)
                extra["translate5_task_id"] = int(self.translate5_task_id)


def _unique_name(name: str, task_id: int, used: set[str]) -> str:
    """Keep the server's name unless another task of the project already used it (case-insensitive)."""
    from airflow_provider_translate5.client import safe_filename

    name = safe_filename(name)
    if name.lower() in used:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem}-{task_id}.{suffix}" if dot and stem else f"{name}-{task_id}"
    used.add(name.lower())
    return name


#: The marker an InstantTranslate upload carries in its file name: the idempotency key of the pre-translation.
_MARKER_PREFIX = "__af"


def pretranslation_marker(context: Context, source_lang: str, target_lang: str, content: str = "") -> str:
    """Names this task instance's pre-translation of this content (not the try) inside the uploaded name.

    ``content`` (a digest of the file) makes a cleared task whose source file changed upload the new one.
    """
    key = f"{idempotency_key(context)}|{source_lang}|{target_lang}|{content}"
    return _MARKER_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def marked_name(name: str, marker: str) -> str:
    """``page.html`` -> ``page__af1a2b3c4d5e6f.html``: the extension (which translate5 reads) stays last."""
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}{marker}.{suffix}" if dot and stem else f"{name}{marker}"


class Translate5InstantTranslatePretranslateOperator(WaitMixin, Translate5BaseOperator):
    """Pre-translate a file with InstantTranslate and download the result; one paid pre-translation per run.

    Retry-safe: the uploaded file name carries a marker derived from the task instance (dag, run, task, map
    index, languages). Before uploading, the file list is searched for it: an Airflow retry (or a rerun of
    the task instance) re-uses the earlier try's pre-translation instead of paying machine translation
    again. An upload whose answer is lost is looked for like a lost task create (``create_grace``). The
    marker is removed again from the name the result is saved under.

    Waits like a sensor: ``poke_interval``, ``timeout`` (``timedelta`` or seconds) and ``deferrable`` (then
    the wait runs in the triggerer). Fails clearly (without retries) when translate5 marks the file erroneous
    or not pre-translatable, quoting the entry's errors. A ``destination`` that is, or would overwrite, the
    ``source`` is refused before anything is sent, and so is a destination that cannot be written.

    :param source: the file: a local path, a URI or an ``ObjectStoragePath`` (templated).
    :param source_lang: RFC 5646 source language (templated).
    :param target_lang: RFC 5646 target language (templated).
    :param destination: a folder (existing, ending in ``/``, or without a file extension) to put the server's
        file name into, or the file to write (templated).
    :param customer_id: translate5 customer whose language resources to use (templated).
    :param poke_interval: time between checks (default 10 s; at least ``[translate5] min_poll_interval``).
    :param timeout: how long to wait for the pre-translation (default one hour).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).

    Returns the URI of the translated file.
    """

    operator_extra_links = ()  # nothing to open in the translate5 UI
    template_fields = (
        "source",
        "source_lang",
        "target_lang",
        "destination",
        "customer_id",
        "translate5_conn_id",
    )
    ui_color = "#f4e9c7"
    poll_interval_default = 10.0

    def __init__(
        self,
        *,
        source: PathLike,
        source_lang: str,
        target_lang: str,
        destination: PathLike,
        customer_id: str | int | None = None,
        poke_interval: timedelta | float | None = None,
        timeout: timedelta | float = timedelta(hours=1),
        deferrable: bool | None = None,
        create_grace: timedelta | float = DEFAULT_CREATE_GRACE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.destination = destination
        self.customer_id = customer_id
        self.configure_wait(deferrable=deferrable, poke_interval=poke_interval, timeout=timeout)
        self.create_grace = as_timedelta(create_grace, "create_grace")
        if (
            not _is_template(source)
            and not _is_template(destination)
            and _local_overwrites(source, destination)
        ):
            raise ValueError(f"the destination {destination!s} would overwrite the source {source!s}")

    def execute(self, context: Context) -> str:
        from airflow_provider_translate5 import status
        from airflow_provider_translate5.files import is_single
        from airflow_provider_translate5.wait import Wait, block

        if not is_single(self.source):
            raise AirflowFailException(
                "InstantTranslate pre-translates one file per call; pass a single source"
            )
        with fail_fast_on_bad_input():
            self._refuse_overwriting(self.destination)
            self._writable_destination()
        end_time = self.deadline()
        with fail_fast_on_bad_input():
            marker = self._marker(context)
            file_id = self._pretranslate_once(marker, context)
        context["ti"].xcom_push(key=PRETRANSLATION_ID_XCOM_KEY, value=file_id)
        wait = Wait(condition=status.PRETRANSLATED, ids=[file_id], log=self.log)

        def look() -> status.Verdict:
            from airflow_provider_translate5.client import Translate5Error

            try:
                entry = self.client.list_pretranslated_files().get(file_id)
            except Translate5Error as exc:
                return wait.failed_with(exc)
            self._entry = entry
            return wait.look_file(file_id, entry)

        verdict = look()
        if verdict.status == status.WAITING and self.deferrable:
            from airflow_provider_translate5.triggers.translate5 import Translate5PretranslationTrigger

            self.defer_until(
                Translate5PretranslationTrigger,
                task_ids=[file_id],
                end_time=end_time,
                last_seen=wait.last_seen,
            )
        if verdict.status == status.WAITING:
            verdict = block(wait, look, interval=self.poke_interval, end_time=end_time)
        if verdict.status == status.ERROR:
            if verdict.terminal:
                raise AirflowFailException(verdict.message)
            raise AirflowException(verdict.message)
        if verdict.status == status.TIMEOUT:
            raise AirflowSensorTimeout(verdict.message)
        assert self._entry is not None
        assert self._entry.download_url
        return self._download(self._entry.download_url, marker)

    _entry: Any = None

    def _pretranslate_once(self, marker: str, context: Context) -> int:
        from airflow_provider_translate5.client import PretranslatedFile, Translate5Error, UploadFile
        from airflow_provider_translate5.files import open_upload
        from airflow_provider_translate5.operators._once import CreateOnce

        client = self.client

        def lookup() -> list[PretranslatedFile]:
            # Erroneous or not pre-translatable entries are not re-used: the new try uploads again.
            return [
                entry
                for entry in client.list_pretranslated_files().files
                if marker in entry.task_name and entry.status in ("importing", "ready")
            ]

        def upload() -> PretranslatedFile:
            with open_upload(self.source) as (name, handle):
                file_id = client.file_pretranslate(
                    UploadFile(marked_name(name, marker), handle),
                    source=self.source_lang,
                    target=self.target_lang,
                    customer_id=self.customer_id,
                )
            self.log.info(
                "InstantTranslate accepted the file as %s; waiting for the pre-translation", file_id
            )
            return PretranslatedFile.from_api({"taskId": file_id, "taskName": marked_name(name, marker)})

        def delete(file_id: int) -> None:
            try:
                client.delete_task(file_id)
            except Translate5Error as exc:  # a duplicate costs money once, but does no harm: say so
                self.log.warning("Could not delete duplicate InstantTranslate file %s: %s", file_id, exc)

        grace = self.create_grace.total_seconds()
        outcome = CreateOnce(
            lookup=lookup,
            create=upload,
            root_of=lambda entry: entry.task_id,
            delete=delete,
            grace=grace,
            poll_interval=min(5.0, max(grace / 10, 0.05)),
            what="InstantTranslate file",
        ).run(pre_wait=retry_pre_wait(context, self, grace))
        if outcome.reattached:
            self.log.warning(
                "Re-using InstantTranslate file %s (%s) of an earlier try instead of uploading (and paying "
                "for machine translation) again",
                outcome.unit.task_id,
                outcome.unit.task_name,
            )
        return outcome.unit.task_id

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> str:
        event = check_trigger_event(event)
        return self._download(str(event["download_url"]), self._marker(context))

    def _marker(self, context: Context) -> str:
        from airflow_provider_translate5.files import open_upload

        digest = hashlib.sha256()
        with open_upload(self.source) as (_name, handle):
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return pretranslation_marker(
            context, str(self.source_lang), str(self.target_lang), digest.hexdigest()
        )

    def _refuse_overwriting(self, destination: Any) -> None:
        from airflow_provider_translate5.client import Translate5ValueError

        if overwrites(self.source, destination):
            raise Translate5ValueError(
                f"the destination {destination!s} would overwrite the source {self.source!s}; choose another"
            )

    def _writable_destination(self) -> None:
        from airflow_provider_translate5.client import Translate5ValueError
        from airflow_provider_translate5.files import (
            DestinationError,
            check_writable,
            is_dir,
            to_path,
        )

        path = to_path(self.destination)
        into_folder = is_dir(path) or str(self.destination).endswith("/") or not path.suffix
        try:
            check_writable(path if into_folder else path.parent)
        except DestinationError as exc:
            raise Translate5ValueError(f"{exc} (checked before uploading)") from exc

    def _download(self, download_url: str, marker: str) -> str:
        from airflow_provider_translate5.client.files import remove_stale_partials, write_atomically
        from airflow_provider_translate5.files import uri

        with fail_fast_on_bad_input(), self.client.open_download(download_url) as download:
            target = self._target(download.filename.replace(marker, ""))
            self._refuse_overwriting(target)
            remove_stale_partials(target)
            written = uri(write_atomically(download.iter_bytes(), target))
        self.log.info("Downloaded the pre-translated file to %s", written)
        return written

    def _target(self, server_name: str) -> AnyPath:
        from airflow_provider_translate5.client import safe_filename
        from airflow_provider_translate5.files import ensure_dir, is_dir, to_path

        path = to_path(self.destination)
        if is_dir(path) or str(self.destination).endswith("/") or not path.suffix:
            return ensure_dir(path) / safe_filename(server_name)
        ensure_dir(path.parent)
        return path


def overwrites(source: Any, destination: Any) -> bool:
    """Whether ``destination`` is a source, or lies inside one (compared as absolute URIs)."""
    from airflow_provider_translate5.files import is_single, to_path, uri

    sources = [source] if is_single(source) else list(source)
    target = uri(to_path(destination)).rstrip("/")
    for item in sources:
        name = uri(to_path(item)).rstrip("/")
        if target == name or target.startswith(name + "/"):
            return True
    return False


def _local_overwrites(source: Any, destination: Any) -> bool:
    """:func:`overwrites` for plain local paths, without loading the file helpers (DAG parse time)."""
    if not all(
        isinstance(v, (str, os.PathLike)) and "://" not in str(v) and not _is_template(str(v))
        for v in (source, destination)
    ):
        return False
    name = os.path.abspath(os.path.expanduser(str(source)))
    target = os.path.abspath(os.path.expanduser(str(destination)))
    return target == name or target.startswith(name + os.sep)
