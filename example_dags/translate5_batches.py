"""Batches for large content drops: one Airflow task instance per batch of items, not per item.

A mapped task instance costs Airflow a process start, database rows and scheduler work, and Airflow refuses
to map more than ``[core] max_map_length`` (default 1024) instances. Uploading, exporting and looking up a
few hundred small files needs no task instance each: this module does that work for a whole batch on one
translate5 session, ``concurrency`` requests at a time, and a batch's waits are one deferred wait in the
triggerer (where all waits of a connection share one poll per interval anyway).

Retries are safe at every step: uploads look their items up by ``foreignId`` first (one request per batch)
and re-attach instead of ordering twice; exports overwrite their staging files and write the item's marker
last (see :mod:`content_drop`). Orders superseded by newer content of their item are ended
(:func:`end_superseded`).

This file defines no DAG; ``.airflowignore`` keeps the DAG processor from parsing it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk import BaseOperator, ObjectStoragePath

import content_drop
from content_drop import ContentItem

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Task, Translate5Client
    from airflow_provider_translate5.hooks import Translate5Hook

log = logging.getLogger("airflow.task")  # the logger Airflow shows in task logs

#: Rows per page of translate5's task list in batch lookups (translate5 pages lists itself anyway).
PAGE_SIZE = 200
#: Ids per ``in`` filter: keeps each lookup's query string well below common URL length limits.
IDS_PER_LOOKUP = 100

T = TypeVar("T")
R = TypeVar("R")


def run_bounded(work: Callable[[T], R], items: Sequence[T], concurrency: int) -> list[R]:
    """``work`` over ``items``, ``concurrency`` at a time, results in input order; the first error raises."""
    if len(items) <= 1 or concurrency <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items)), thread_name_prefix="t5-batch") as pool:
        return list(pool.map(work, items))


def _chunks(values: Sequence[T], size: int = IDS_PER_LOOKUP) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def tasks_where(
    client: Translate5Client, prop: str, values: Sequence[Any], projects: bool = False
) -> list[Task]:
    """Every task (or project row) whose ``prop`` is one of ``values``: one paged request per 100 values."""
    from airflow_provider_translate5.client import Filter

    found: list[Task] = []
    for chunk in _chunks(list(values)):
        found += client.iter_tasks(
            filters=[Filter.in_(prop, chunk)], page_size=PAGE_SIZE, projects_only=projects
        )
    return found


def upload_batch(
    hook: Translate5Hook, items: Sequence[ContentItem], concurrency: int
) -> list[dict[str, Any]]:
    """Order every item of the batch in translate5 (one project per item), re-attaching what exists.

    A re-attached order that is ended in translate5 is reopened: this run orders its content again (it was
    ended as superseded, and the CMS reverted the change since: see :func:`content_drop.record_open_orders`).

    Returns, per item in order, ``{"item", "id", "taskIds", "reattached"}`` (``id``: the project, or the task
    for a single target language; ``taskIds``: one task per target language).
    """
    from airflow_provider_translate5.client import UploadFile
    from airflow_provider_translate5.client.states import TaskState

    client = hook.get_conn()
    keys = [item["foreign_id"] for item in items]
    existing = {task.foreign_id: task for task in tasks_where(client, "foreignId", keys, projects=True)}

    def create(item: ContentItem) -> Task:
        if item["foreign_id"] in existing:
            return existing[item["foreign_id"]]
        source = ObjectStoragePath(item["source"])
        with source.fs.open(source.path, "rb") as handle:  # one open per file, streamed by the client
            return client.create_task(
                UploadFile(source.name, handle),
                task_name=item["task_name"],
                source_lang=item["source_lang"],
                target_lang=item["target_langs"],
                foreign_id=item["foreign_id"],
            )

    projects = run_bounded(create, list(items), concurrency)
    by_project: dict[int, list[int]] = {}
    for task in tasks_where(client, "projectId", sorted({p.id for p in projects})):
        if task.is_project:
            continue
        by_project.setdefault(int(task.project_id or task.id), []).append(task.id)
        if task.state == TaskState.END:
            client.reopen_task(task.id)
            log.warning(
                "Reopened translate5 task %s (%s), which was ended: this run orders its content again (the "
                "CMS reverted a change that had superseded it)",
                task.id,
                task.foreign_id,
            )
    results = []
    for item, project in zip(items, projects, strict=True):
        task_ids = sorted(by_project.get(project.id, [])) or [project.id]
        reattached = item["foreign_id"] in existing
        results.append({"item": item, "id": project.id, "taskIds": task_ids, "reattached": reattached})
    created = sum(1 for r in results if not r["reattached"])
    log.info(
        "Batch of %d: created %d translate5 project(s), re-attached %d",
        len(items),
        created,
        len(items) - created,
    )
    return results


def end_superseded(hook: Translate5Hook, cms_import: ObjectStoragePath) -> list[str]:
    """End in translate5 the orders the manifest lists as superseded and not ended yet; returns their keys.

    The CMS replaced their content while they were in translation; the new content is ordered anew. Ending
    them stops translators and reviewers from working on text that will never be delivered; what they did
    stays in translate5 (and its translation memories), and a project manager can reopen the tasks. One
    lookup for all orders. A task translate5 cannot end now (it imports or runs an operation) is left for
    the next run, as is a failed request: the manifest keeps the order until it is ended.
    """
    from airflow_provider_translate5.client import Translate5ConflictError, Translate5NotFoundError
    from airflow_provider_translate5.client.states import TaskState

    superseded = content_drop.superseded_orders(cms_import)
    keys = sorted(key for key, order in superseded.items() if not order.get("ended_at"))
    if not keys:
        log.info("No superseded order to end")
        return []
    client = hook.get_conn()
    tasks: dict[str, list[Task]] = {}
    for task in tasks_where(client, "foreignId", keys):
        if not task.is_project and task.foreign_id:
            tasks.setdefault(task.foreign_id, []).append(task)
    ended: dict[str, str] = {}
    for key in keys:
        order, refused = superseded[key], []
        for task in tasks.get(key, []):
            if task.state == TaskState.END:
                continue
            try:
                client.end_task(task.id)
            except Translate5NotFoundError:
                continue  # deleted meanwhile: nothing left to end
            except Translate5ConflictError as error:  # importing or in an operation: not now
                refused.append(f"task {task.id}: {error}")
        if refused:
            log.warning(
                "%s: superseded order %s is not ended yet, the next run tries again (%s)",
                order["path"],
                key,
                "; ".join(refused),
            )
            continue
        named = ", ".join(str(task.id) for task in tasks.get(key, [])) or "none left in translate5"
        log.warning(
            "%s: ended superseded order %s (translate5 task(s) %s): the CMS changed the content while it was "
            "in translation; order %s holds the new content",
            order["path"],
            key,
            named,
            order.get("superseded_by"),
        )
        ended[key] = f"translate5 task(s) {named}"
    content_drop.record_ended(cms_import, ended)
    return sorted(ended)


def export_batch(hook: Translate5Hook, uploads: Sequence[Mapping[str, Any]], concurrency: int) -> list[str]:
    """Export every task of the batch (``filetranslation``) into its item's staging folder; mark it complete.

    One task-list lookup for the whole batch gives each task's language and segment counts for the delivery
    report; then one export request per task, ``concurrency`` at a time. Returns the item keys exported.
    """
    from airflow_provider_translate5.client.files import write_atomically

    client = hook.get_conn()
    all_ids = [task_id for upload in uploads for task_id in upload["taskIds"]]
    tasks = {task.id: task for task in tasks_where(client, "id", all_ids)}

    def export(job: tuple[Mapping[str, Any], int]) -> tuple[str, dict[str, Any]]:
        upload, task_id = job
        staging = ObjectStoragePath(upload["item"]["staging"])
        with client.open_export(task_id, format="filetranslation") as download:
            target = staging / download.filename
            write_atomically(download.iter_bytes(), target)  # type: ignore[arg-type]
        _, lang = content_drop.split_language(download.filename)
        task = tasks.get(task_id)
        return lang, {
            "translate5_task_id": task_id,
            "segments": task.segment_count if task else None,
            "segments_finished": task.segment_finish_count if task else None,
        }

    jobs = [(upload, task_id) for upload in uploads for task_id in upload["taskIds"]]
    results = iter(run_bounded(export, jobs, concurrency))
    exported = []
    for upload in uploads:
        languages = dict(next(results) for _ in upload["taskIds"])
        content_drop.mark_exported(
            upload["item"],
            {
                "translate5_id": upload["id"],
                "translate5_url": hook.task_url(upload["id"]),
                "languages": languages,
            },
        )
        exported.append(upload["item"]["path"])
    log.info("Exported %d item(s) (%d file(s)) into staging", len(exported), len(jobs))
    return exported


class Translate5BatchWait(BaseOperator):
    """Wait, deferred, until every translate5 task of a batch is imported (or its workflow ended).

    The provider's sensors wait for one task or project; a batch has many. This hands all their task ids to
    the provider's trigger, which judges them by the provider's status rules; the triggerer's shared poller
    asks translate5 about all waits of a connection in one request per interval.

    :param uploads: the batch's upload results (``taskIds`` of each), usually an XCom.
    :param condition: ``"imported"`` or ``"workflow_ended"``.
    :param poll_interval: seconds between checks (templated: a DAG param sets it per run).
    :param wait_timeout: seconds until the wait fails; translate5 is left untouched.
    """

    template_fields = ("uploads", "poll_interval")
    ui_color = "#e8f4fb"

    def __init__(
        self,
        *,
        uploads: Any,
        condition: str,
        poll_interval: float | str = 60.0,
        wait_timeout: float = 6 * 3600.0,
        translate5_conn_id: str = "translate5_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.uploads = uploads
        self.condition = condition
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.translate5_conn_id = translate5_conn_id

    def execute(self, context: Context) -> None:
        from datetime import timedelta

        from airflow_provider_translate5.triggers import Translate5TaskStateTrigger

        task_ids = [int(task_id) for upload in self.uploads for task_id in upload["taskIds"]]
        interval = float(self.poll_interval)
        self.log.info(
            "Deferring: %d translate5 task(s) of %d item(s) to reach %r, checked every %g s",
            len(task_ids),
            len(self.uploads),
            self.condition,
            interval,
        )
        self.defer(
            trigger=Translate5TaskStateTrigger(
                translate5_task_ids=task_ids,
                condition=self.condition,
                translate5_conn_id=self.translate5_conn_id,
                poll_interval=interval,
                end_time=time.time() + self.wait_timeout,
            ),
            method_name="execute_complete",
            # Only a safety net for a dead triggerer: the trigger sends its own timeout event at end_time.
            timeout=timedelta(seconds=self.wait_timeout + 10 * interval + 60),
        )

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> None:
        from airflow.sdk.exceptions import AirflowException, AirflowFailException

        if not isinstance(event, Mapping) or event.get("status") != "success":
            message = str(event.get("message") if isinstance(event, Mapping) else event)
            if isinstance(event, Mapping) and event.get("terminal", True) and event.get("status") == "error":
                raise AirflowFailException(message)  # an import error, a deleted task: a retry cannot help
            raise AirflowException(message)
        self.log.info("%s", event.get("message"))
