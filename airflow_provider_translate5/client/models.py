"""Typed views of translate5 answers.

Each model keeps the complete server record in ``raw`` (custom fields, plugin fields, future fields) and
exposes the few fields the provider reasons about, converted with the tolerant helpers in ``coerce``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from airflow_provider_translate5.client.coerce import (
    as_mapping,
    keyed_records,
    plain_text,
    to_float,
    to_int,
    to_str,
)
from airflow_provider_translate5.client.errors import Translate5ResponseError

PROJECT_TYPE = "project"

# InstantTranslate puts one of these markers into ``downloadUrl`` instead of a URL.
_DOWNLOAD_MARKERS = {
    "isImporting": "importing",
    "isErroneous": "erroneous",
    "isNotPretranslated": "not_pretranslated",
}


def record(data: Any, what: str) -> dict[str, Any]:
    """A model's ``raw``: a copy of the server's object, or a response error naming the model it should be.

    The one check every ``from_api`` starts with (feature modules' models too), so a list or text where
    translate5 sends an object always fails the same readable way.
    """
    if not isinstance(data, Mapping):
        raise Translate5ResponseError(f"expected a {what} object from translate5, got {type(data).__name__}")
    return dict(data)


def _messages(value: Any) -> list[str]:
    """``lastErrors``/``errors`` entries: objects with a ``message`` or bare strings."""
    result = []
    for _key, item in keyed_records(value):
        text = plain_text(item.get("message", item.get("msg", "")))
        if text:
            result.append(text)
    if isinstance(value, list):
        result.extend(plain_text(item) for item in value if isinstance(item, str) and item.strip())
    return result


@dataclass(frozen=True)
class Language:
    """A row of ``GET /editor/language``; task fields hold the numeric ``id``."""

    id: int
    rfc5646: str
    lcid: int | None
    name: str
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Language:
        raw = record(data, "language")
        return cls(
            id=to_int(raw.get("id")) or 0,
            rfc5646=to_str(raw.get("rfc5646")) or "",
            lcid=to_int(raw.get("lcid")),
            name=to_str(raw.get("langName")) or to_str(raw.get("localizedName")) or "",
            raw=raw,
        )


@dataclass(frozen=True)
class WorkflowStepProgress:
    """One entry of a task's ``workflowProgressSummary`` (progress in percent, 0..100)."""

    workflow_step: str
    status: str
    progress: float
    segment_work_count: dict[str, int]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> WorkflowStepProgress:
        raw = record(data, "workflow progress")
        return cls(
            workflow_step=to_str(raw.get("workflowStep")) or "",
            status=to_str(raw.get("status")) or "",
            progress=to_float(raw.get("progress")) or 0.0,
            segment_work_count={
                str(k): to_int(v) or 0 for k, v in as_mapping(raw.get("segmentWorkCount")).items()
            },
        )


@dataclass(frozen=True)
class Task:
    """A translate5 task or project row (``taskType == "project"``)."""

    id: int
    task_guid: str
    task_name: str
    state: str
    workflow: str | None
    workflow_step_name: str | None
    entity_version: int | None
    task_type: str | None
    project_id: int | None
    foreign_id: str | None
    foreign_name: str | None
    source_lang: int | None
    target_lang: int | None
    relais_lang: int | None
    segment_count: int | None
    segment_finish_count: int | None
    task_progress: float | None
    last_errors: list[str]
    workflow_progress_summary: list[WorkflowStepProgress]
    project_tasks: list[Task]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Task:
        raw = record(data, "task")
        return cls(
            id=to_int(raw.get("id")) or 0,
            task_guid=to_str(raw.get("taskGuid")) or "",
            task_name=to_str(raw.get("taskName")) or "",
            state=to_str(raw.get("state")) or "",
            workflow=to_str(raw.get("workflow")),
            workflow_step_name=to_str(raw.get("workflowStepName")),
            entity_version=to_int(raw.get("entityVersion")),
            task_type=to_str(raw.get("taskType")),
            project_id=to_int(raw.get("projectId")),
            foreign_id=to_str(raw.get("foreignId")),
            foreign_name=to_str(raw.get("foreignName")),
            source_lang=to_int(raw.get("sourceLang")),
            target_lang=to_int(raw.get("targetLang")),
            relais_lang=to_int(raw.get("relaisLang")),
            segment_count=to_int(raw.get("segmentCount")),
            segment_finish_count=to_int(raw.get("segmentFinishCount")),
            task_progress=to_float(raw.get("taskProgress")),
            last_errors=_messages(raw.get("lastErrors")),
            workflow_progress_summary=[
                WorkflowStepProgress.from_api(item)
                for _k, item in keyed_records(raw.get("workflowProgressSummary"))
            ],
            # A single-target create answers with the task itself as an object, a project with a list.
            project_tasks=[cls.from_api(item) for _k, item in keyed_records(raw.get("projectTasks"))],
            raw=raw,
        )

    @property
    def is_project(self) -> bool:
        return self.task_type == PROJECT_TYPE

    @property
    def task_ids(self) -> list[int]:
        """The ids that carry translatable content: the project's tasks for a project, else the task itself.

        Empty for a project row whose ``project_tasks`` were not loaded
        (see ``Translate5Client.project_tasks``).
        """
        return [task.id for task in self.project_tasks] if self.is_project else [self.id]

    def with_project_tasks(self) -> Task:
        """This task with ``project_tasks`` set to ``[self]`` for a plain task when the server sent none."""
        if self.project_tasks or self.is_project:
            return self
        return replace(self, project_tasks=[self])


@dataclass(frozen=True)
class TaskPage:
    """One page of ``GET /editor/task``; ``total`` counts all matching rows, not just this page."""

    total: int
    rows: list[Task]


@dataclass(frozen=True)
class ImportProgress:
    """``GET /editor/task/importprogress`` (progress in percent, 0..100)."""

    progress: float
    workers_done: int
    workers_total: int
    task_guid: str | None
    worker_running: str | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ImportProgress:
        raw = record(data, "import progress")
        return cls(
            progress=to_float(raw.get("progress")) or 0.0,
            workers_done=to_int(raw.get("workersDone")) or 0,
            workers_total=to_int(raw.get("workersTotal")) or 0,
            task_guid=to_str(raw.get("taskGuid")),
            worker_running=to_str(raw.get("workerRunning")),
            raw=raw,
        )

    @classmethod
    def parse(cls, value: Any) -> ImportProgress | None:
        """None for translate5's "nothing running" answers (``[]``, ``{}``, null)."""
        return cls.from_api(value) if isinstance(value, Mapping) and value else None


@dataclass(frozen=True)
class Job:
    """A job (task-user association) of ``/editor/task/ID/job``."""

    id: int
    task_guid: str | None
    user_guid: str | None
    workflow_step_name: str | None
    state: str | None
    role: str | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Job:
        raw = record(data, "job")
        return cls(
            id=to_int(raw.get("id")) or 0,
            task_guid=to_str(raw.get("taskGuid")),
            user_guid=to_str(raw.get("userGuid")),
            workflow_step_name=to_str(raw.get("workflowStepName")),
            state=to_str(raw.get("state")),
            role=to_str(raw.get("role")),
            raw=raw,
        )


@dataclass(frozen=True)
class PretranslatedFile:
    """An InstantTranslate file pre-translation; ``download_url`` is set only when ``status == "ready"``."""

    task_id: int
    task_name: str
    source_lang: str | None
    target_lang: str | None
    download_url: str | None
    status: str
    import_progress: ImportProgress | None
    errors: list[str]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any], key: str | None = None) -> PretranslatedFile:
        raw = record(data, "pretranslated file")
        url = to_str(raw.get("downloadUrl")) or None
        errors = _messages(raw.get("errors"))
        if url in _DOWNLOAD_MARKERS:
            status, url = _DOWNLOAD_MARKERS[url], None
        elif url:
            status = "ready"
        else:
            status = "erroneous" if errors else "importing"
        return cls(
            task_id=to_int(raw.get("taskId")) or to_int(key) or 0,
            task_name=to_str(raw.get("taskName")) or "",
            source_lang=to_str(raw.get("sourceLang")),
            target_lang=to_str(raw.get("targetLang")),
            download_url=url,
            status=status,
            import_progress=ImportProgress.parse(raw.get("importProgress")),
            errors=errors,
            raw=raw,
        )


@dataclass(frozen=True)
class PretranslatedFileList:
    """``GET /editor/instanttranslateapi/filelist`` (``allPretranslatedFiles``: dict keyed by id, or list)."""

    files: list[PretranslatedFile]
    date_as_of: str | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PretranslatedFileList:
        raw = record(data, "file list")
        return cls(
            files=[
                PretranslatedFile.from_api(item, key)
                for key, item in keyed_records(raw.get("allPretranslatedFiles"))
            ],
            date_as_of=to_str(raw.get("dateAsOf")),
        )

    def get(self, task_id: int | str) -> PretranslatedFile | None:
        wanted = to_int(task_id)
        return next((item for item in self.files if item.task_id == wanted), None)
