"""Reimport: bring a new version of a bilingual file (its targets) into a task already in translation."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_provider_translate5.base import (
    Translate5BaseOperator,
    WaitMixin,
    check_trigger_event,
    defer_until_done,
    fail_fast_on_bad_input,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Task
    from airflow_provider_translate5.files import PathLike
    from airflow_provider_translate5.lineage import Lineage


class Translate5ReimportFileOperator(WaitMixin, Translate5BaseOperator):
    """Upload a new version of one file of an existing task, found by its ``foreignId``, and wait until
    translate5 applied it.

    The reimport is a TARGET update (recorded on a real translate5, see docs/features.md): the file's
    segments are matched to the task's by their XLIFF ``mid``; a matched segment's target becomes the file's
    target, and an empty ``<target/>`` ERASES the translation the task held. A changed source is never
    applied (with source editing on, translate5 keeps it in the segment's edit field only); segments the
    task does not have are ignored. Use it to bring translations made outside translate5 into the task. A
    page whose text changed is not updated by a reimport: it needs a new task. Only bilingual files
    (XLIFF/XML) can be reimported; a task busy in another operation or in error is refused by translate5
    (HTTP 409), a ``fileId`` not of the task with HTTP 500 (both final).

    Never twice: translate5's import archive holds the last file reimported into the task, byte for byte.
    Before sending, the operator compares the file with the one the archive holds; the same file was
    reimported already (by an earlier try whose answer was lost) and is not sent again. A task busy at the
    start (maybe with that earlier reimport) is waited for first, in the worker. The wait after sending is
    the one wait for an operation (``status.REIMPORT``, worker or triggerer): it ends when translate5's lock
    is released and the archive holds the file (docs/reliability.md).

    :param foreign_id: the ``foreignId`` the task was created with (e.g. the CMS page id; templated). Exactly
        one task (not a project: give ``target_lang`` to pick its task) must carry it.
    :param source: the updated file: local path, URI or ``ObjectStoragePath`` (templated). It is read into
        memory once, so the bytes compared are the bytes sent.
    :param file_name: the task file to replace (its name in the task); default: the name of ``source``.
    :param target_lang: for a project (several targets): the target language of the task to update.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poke_interval: time between two looks (``timedelta`` or seconds, default 10).
    :param timeout: time (``timedelta`` or seconds) the reimport may take.

    Returns ``{"id", "task_guid", "file_id", "file_name", "state", "sent"}`` of the updated task (``sent``:
    False when an earlier try had reimported the file already).
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
        from airflow_provider_translate5 import status
        from airflow_provider_translate5.client import UploadFile
        from airflow_provider_translate5.files import open_upload, to_path
        from airflow_provider_translate5.wait import block_until_done, block_until_idle

        end_time = self.deadline()
        with fail_fast_on_bad_input():
            task = self._task()
            self.push_task_link(context, task)
            name = self.file_name or to_path(self.source).name
            task_file = self.client.find_task_file(task.id, name)
            with open_upload(self.source) as (_, handle):
                data = handle.read()
        #: What the reimport's result is told by (``status.REIMPORT``), and what the result names.
        file = {"id": task_file.id, "name": task_file.file_name, "sha256": hashlib.sha256(data).hexdigest()}
        running = status.activity(task)
        archived = None if running else self._archived(task, file)
        while archived is None:  # busy: perhaps with the reimport of an earlier try whose answer was lost
            self.log.info(
                "translate5 task %s is busy (%s): waiting before anything is sent",
                task.id,
                running or "an operation started",
            )
            check_trigger_event(
                block_until_idle(self, [task.id], interval=self.poke_interval, end_time=end_time)
            )
            running, archived = None, self._archived(task, file)
        if archived:
            self.log.info(
                "translate5 task %s already holds this %s (sha256 %s): an earlier try reimported it; "
                "not sent again",
                task.id,
                task_file.file_name,
                file["sha256"],
            )
            return self._result(task.id, file, sent=False)
        with fail_fast_on_bad_input():
            upload = UploadFile(PurePosixPath(task_file.file_name).name, io.BytesIO(data))
            self.client.reimport_file(task.id, task_file.id, upload)
        self.log.info("Reimport of %s (file %s) into translate5 task %s started", name, task_file.id, task.id)
        before = {task.id: None}  # the archive did not hold the file sent: no result before the start
        if self.deferrable:
            defer_until_done(self, status.REIMPORT, [task.id], before, end_time, sent=file)
            return None
        check_trigger_event(
            block_until_done(
                self,
                status.REIMPORT,
                [task.id],
                before,
                interval=self.poke_interval,
                end_time=end_time,
                sent=file,
            )
        )
        return self._result(task.id, file, sent=True)

    def execute_complete(
        self, context: Context, event: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        done = check_trigger_event(event)
        file, ids = done.get("sent"), done.get("translate5_task_ids")
        if not isinstance(file, Mapping) or "id" not in file or not ids:  # a trigger of an earlier release
            raise AirflowException("the wait ended without the record of the file sent; retry the task")
        return self._result(int(ids[0]), file, sent=True)

    def _archived(self, task: Task, file: Mapping[str, Any]) -> bool | None:
        """Whether the task's import archive holds the file (the reimport's result, looked up as the wait
        does); None when the task is busy (no export now)."""
        from airflow_provider_translate5 import status
        from airflow_provider_translate5.client import Translate5ConflictError
        from airflow_provider_translate5.wait import operation_results

        try:
            with fail_fast_on_bad_input():
                found = operation_results(self.client, status.REIMPORT, [task], file)
        except Translate5ConflictError:  # 409 E1046: an operation started on the task meanwhile
            return None
        return found[task.id] is not None

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

    def _result(self, task_id: int, file: Mapping[str, Any], *, sent: bool) -> dict[str, Any]:
        from airflow_provider_translate5 import lineage

        with fail_fast_on_bad_input():
            task = self.client.get_task(task_id)
        lineage.note(
            self,
            taskIds=[task.id],
            projectId=task.project_id,
            taskUrl=self.task_url(task),
            foreignId=self.foreign_id,
            fileId=int(file["id"]),
        )
        return {
            "id": task.id,
            "task_guid": task.task_guid,
            "file_id": int(file["id"]),
            "file_name": str(file["name"]),
            "state": task.state,
            "sent": sent,
        }

    def get_openlineage_facets_on_start(self) -> Lineage:
        return self.get_openlineage_facets_on_complete(None)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Lineage:
        """OpenLineage: the file reimported, the translate5 task it changed."""
        from airflow_provider_translate5 import lineage

        return lineage.operator_lineage(
            self, "reimport", inputs=[self.source], tasks="outputs", target_lang=self.target_lang
        )
