"""Content that changes while in translation: reimport an updated file into the task that is already open."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_translate5.base import (
    Translate5BaseOperator,
    WaitMixin,
    check_trigger_event,
    defer_until_idle,
    fail_fast_on_bad_input,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Task
    from airflow_provider_translate5.files import PathLike


class Translate5ReimportFileOperator(WaitMixin, Translate5BaseOperator):
    """Replace one file of an existing task, found by its ``foreignId``, and wait until translate5 applied it.

    translate5 matches the uploaded file's segments to the task's segments (by XLIFF ``mid``): targets are
    updated, sources only when the task allows source editing, and segments the task does not have are not
    added. Only bilingual files (XLIFF/XML) can be reimported; a changed page with *new* paragraphs needs a
    new task. A task in state ``error`` or busy in another operation is refused by translate5 (HTTP 409).

    :param foreign_id: the ``foreignId`` the task was created with (e.g. the CMS page id; templated). Exactly
        one task (not a project: give ``target_lang`` to pick its task) must carry it.
    :param source: the updated file: local path, URI or ``ObjectStoragePath`` (templated).
    :param file_name: the task file to replace (its name in the task); default: the name of ``source``.
    :param target_lang: for a project (several targets): the target language of the task to update.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poke_interval: time between two looks (``timedelta`` or seconds, default 10).
    :param timeout: time (``timedelta`` or seconds) the reimport may take.

    Returns ``{"id", "task_guid", "file_id", "file_name", "state"}`` of the updated task.
    """

    template_fields = ("foreign_id", "source", "file_name", "target_lang")
    poll_interval_default: ClassVar[float] = 10.0

    def __init__(
        self,
        *,
        foreign_id: str,
        source: PathLike,
        file_name: str | None = None,
        target_lang: str | None = None,
        deferrable: bool | None = None,
        poke_interval: timedelta | float | None = None,
        timeout: timedelta | float = 3600.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.foreign_id = foreign_id
        self.source = source
        self.file_name = file_name
        self.target_lang = target_lang
        self.configure_wait(deferrable=deferrable, poke_interval=poke_interval, timeout=timeout)

    def execute(self, context: Context) -> dict[str, Any] | None:
        from airflow_provider_translate5.files import to_path, upload_sources
        from airflow_provider_translate5.wait import block_until_idle

        end_time = self.deadline()
        with fail_fast_on_bad_input():
            task = self._task()
            self.push_task_link(context, task)
            name = self.file_name or to_path(self.source).name
            task_file = self.client.find_task_file(task.id, name)
            with upload_sources(self.source) as [upload]:
                self.client.reimport_file(task.id, task_file.id, upload)
        self.log.info("Reimport of %s (file %s) into translate5 task %s started", name, task_file.id, task.id)
        context["ti"].xcom_push(key="translate5_reimport_file", value={"id": task_file.id, "name": name})
        if self.deferrable:
            defer_until_idle(self, [task.id], end_time)
            return None
        check_trigger_event(block_until_idle(self, [task.id], interval=self.poke_interval, end_time=end_time))
        return self._result(task.id, task_file.id, name)

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> dict[str, Any]:
        check_trigger_event(event)
        ti = context["ti"]
        file = ti.xcom_pull(task_ids=ti.task_id, key="translate5_reimport_file", map_indexes=ti.map_index)
        with fail_fast_on_bad_input():
            task = self._task()
        return self._result(task.id, int(file["id"]), str(file["name"]))

    def _task(self) -> Task:
        """The one task with the foreignId (of a project: the one of ``target_lang``).

        The foreignId lookup answers top-level entries only (``projectsOnly``): a project stands for its
        tasks (one per target language), which inherit its foreignId.
        """
        tasks = [
            task
            for entry in self.client.find_tasks_by_foreign_id(self.foreign_id)
            for task in (self.client.project_tasks(entry.id) if entry.is_project else [entry])
        ]
        if self.target_lang is not None:
            wanted = self.client.resolve_language(self.target_lang).id
            tasks = [t for t in tasks if t.target_lang == wanted]
        if len(tasks) != 1:
            found = ", ".join(str(t.id) for t in tasks) or "none"
            hint = "" if self.target_lang is not None or not tasks else "; give target_lang to pick one"
            raise AirflowFailException(
                f"expected one translate5 task with foreignId {self.foreign_id!r}, found {found}{hint}"
            )
        return tasks[0]

    def _result(self, task_id: int, file_id: int, name: str) -> dict[str, Any]:
        task = self.client.get_task(task_id)
        return {
            "id": task.id,
            "task_guid": task.task_guid,
            "file_id": file_id,
            "file_name": name,
            "state": task.state,
        }
