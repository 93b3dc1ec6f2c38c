"""Reimport: bring a new version of a bilingual file (its targets) into a task already in translation."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk.exceptions import AirflowException, AirflowFailException

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
    from airflow_provider_translate5.lineage import Lineage

#: What a try sent (or found sent), for the wait's end and a deferred resume.
XCOM_KEY = "translate5_reimport_file"


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
    start (maybe with that earlier reimport) is waited for first, in the worker. The wait after sending ends
    when translate5's lock is released and the archive holds the file (docs/reliability.md).

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
        from airflow_provider_translate5.wait import block_until_idle

        end_time = self.deadline()
        with fail_fast_on_bad_input():
            task = self._task()
            self.push_task_link(context, task)
            name = self.file_name or to_path(self.source).name
            task_file = self.client.find_task_file(task.id, name)
            with open_upload(self.source) as (_, handle):
                data = handle.read()
        sent = {
            "task": task.id,
            "id": task_file.id,
            "name": task_file.file_name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "end_time": end_time,
            "sent": False,
        }
        running = status.activity(task)
        archived = None if running else self._archived(sent)
        while archived is None:  # busy: perhaps with the reimport of an earlier try whose answer was lost
            self.log.info(
                "translate5 task %s is busy (%s): waiting before anything is sent",
                task.id,
                running or "an operation started",
            )
            check_trigger_event(
                block_until_idle(self, [task.id], interval=self.poke_interval, end_time=end_time)
            )
            running, archived = None, self._archived(sent)
        if archived:
            self.log.info(
                "translate5 task %s already holds this %s (sha256 %s): an earlier try reimported it; "
                "not sent again",
                task.id,
                task_file.file_name,
                sent["sha256"],
            )
            return self._result(sent)
        with fail_fast_on_bad_input():
            upload = UploadFile(PurePosixPath(task_file.file_name).name, io.BytesIO(data))
            self.client.reimport_file(task.id, task_file.id, upload)
        sent["sent"] = True
        self.log.info("Reimport of %s (file %s) into translate5 task %s started", name, task_file.id, task.id)
        context["ti"].xcom_push(key=XCOM_KEY, value=sent)
        return self._wait(sent)

    def execute_complete(
        self, context: Context, event: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        check_trigger_event(event)
        ti = context["ti"]
        sent = ti.xcom_pull(task_ids=ti.task_id, key=XCOM_KEY, map_indexes=ti.map_index)
        if not isinstance(sent, Mapping) or "sha256" not in sent:  # a try of an earlier release
            raise AirflowException("the wait ended without the record of the file sent; retry the task")
        return self._applied(sent) or self._wait(sent)  # still queued: defers again

    def _wait(self, sent: Mapping[str, Any]) -> dict[str, Any] | None:
        """Wait until translate5's lock is released and its import archive holds the file sent.

        A look between the answer and the start of translate5's worker finds the task free (the reimport
        is queued, part 2 §143): the archive then still holds the old file, and the wait goes on.
        """
        from airflow_provider_translate5.wait import block_until_idle

        task_id, end_time = int(sent["task"]), float(sent["end_time"])
        while True:
            if self.deferrable:
                defer_until_idle(self, [task_id], end_time)
                return None
            check_trigger_event(
                block_until_idle(self, [task_id], interval=self.poke_interval, end_time=end_time)
            )
            result = self._applied(sent)
            if result is not None:
                return result
            time.sleep(self.poke_interval)

    def _applied(self, sent: Mapping[str, Any]) -> dict[str, Any] | None:
        """The result once the archive holds the file; None while the reimport may still be queued."""
        archived = self._archived(sent)
        if archived:
            return self._result(sent)
        if archived is None:  # the queued reimport started since the task looked free
            return None
        if time.time() + self.poke_interval > float(sent["end_time"]):
            raise AirflowException(
                f"translate5 task {sent['task']} is free, but its import archive does not hold the "
                f"{sent['name']} sent: the reimport is still queued, or translate5 ran it without archiving "
                "the file (E1475: import archive missing or not writable); see the task's event log. A retry "
                "sends the file only if the archive still lacks it."
            )
        self.log.info("translate5 task %s is free but the reimport has not run yet (queued)", sent["task"])
        return None

    def _archived(self, sent: Mapping[str, Any]) -> bool | None:
        """Whether the task's import archive holds the file; None when the task is busy (no export now)."""
        from airflow_provider_translate5.client import Translate5ConflictError

        try:
            with fail_fast_on_bad_input():
                digests = self.client.archived_file_digests(int(sent["task"]), str(sent["name"]))
        except Translate5ConflictError:  # 409 E1046: an operation started on the task meanwhile
            return None
        return str(sent["sha256"]) in digests

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

    def _result(self, sent: Mapping[str, Any]) -> dict[str, Any]:
        from airflow_provider_translate5 import lineage

        with fail_fast_on_bad_input():
            task = self.client.get_task(int(sent["task"]))
        lineage.note(
            self,
            taskIds=[task.id],
            projectId=task.project_id,
            taskUrl=self.task_url(task),
            foreignId=self.foreign_id,
            fileId=int(sent["id"]),
        )
        return {
            "id": task.id,
            "task_guid": task.task_guid,
            "file_id": int(sent["id"]),
            "file_name": str(sent["name"]),
            "state": task.state,
            "sent": bool(sent["sent"]),
        }

    def get_openlineage_facets_on_start(self) -> Lineage:
        return self.get_openlineage_facets_on_complete(None)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Lineage:
        """OpenLineage: the file reimported, the translate5 task it changed."""
        from airflow_provider_translate5 import lineage

        return lineage.operator_lineage(
            self, "reimport", inputs=[self.source], tasks="outputs", target_lang=self.target_lang
        )
