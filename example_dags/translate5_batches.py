"""Batches for large content drops: one Airflow task instance per batch of items, not per item.

A mapped task instance costs Airflow a process start, database rows and scheduler work, and Airflow refuses
to map more than ``[core] max_map_length`` (default 1024) instances. Uploading, exporting and looking up a
few hundred small files needs no task instance each: this module does that work for a whole batch on one
translate5 session, ``concurrency`` requests at a time, and a batch's waits are one deferred wait in the
triggerer (where all waits of a connection share one poll per interval anyway).

Retries are safe at every step: uploads look their items up by ``foreignId`` first (one request per batch)
and re-attach instead of ordering twice; exports overwrite their staging files and write the item's marker
last (see :mod:`content_drop`). Items changed while their order is open are reimported into that order
(:func:`reimport_changed`: one lookup for all, the drop's current bytes, ``concurrency`` items at a time).

This file defines no DAG; ``.airflowignore`` keeps the DAG processor from parsing it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar, cast

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
#: Seconds a reimport waits at most for the tasks of open orders that are busy (import, operation).
SETTLE_SECONDS = 600.0
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
    hook: Translate5Hook, items: Sequence[ContentItem], concurrency: int, reimportable: bool = False
) -> list[dict[str, Any]]:
    """Order every item of the batch in translate5 (one project per item), re-attaching what exists.

    With ``reimportable``, XLIFF/XML items are ordered with source editing on: translate5's reimport
    updates a segment's source text only in such a task, so a later change of the item can be reimported.

    Returns, per item in order, ``{"item", "id", "taskIds", "reattached"}`` (``id``: the project, or the task
    for a single target language; ``taskIds``: one task per target language).
    """
    from airflow_provider_translate5.client import UploadFile

    client = hook.get_conn()
    keys = [item["foreign_id"] for item in items]
    existing = {task.foreign_id: task for task in tasks_where(client, "foreignId", keys, projects=True)}

    def editable(item: ContentItem) -> bool:
        return reimportable and item["path"].lower().endswith(content_drop.REIMPORTABLE)

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
                enable_source_editing=True if editable(item) else None,
            )

    projects = run_bounded(create, list(items), concurrency)
    by_project: dict[int, list[int]] = {}
    for task in tasks_where(client, "projectId", sorted({p.id for p in projects})):
        if not task.is_project:
            by_project.setdefault(int(task.project_id or task.id), []).append(task.id)
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


def reimport_changed(
    hook: Translate5Hook, items: Sequence[ContentItem], concurrency: int
) -> list[ContentItem]:
    """Reimport every item with a ``reimport`` plan into its open order; the others are returned unchanged.

    One task-list lookup finds the open orders' tasks (one per target language); then each changed file is
    read once, and those very bytes are checked and sent to every task of its order, ``concurrency`` items at
    a time. A reimported item goes back to its open order (its ``foreign_id``) with the hash of the bytes
    sent, so the delivery of that order records the new content. An item translate5 cannot take (order gone
    or finished, a task busy or in error, source editing off, segments added or removed, a 4xx answer such as
    409 ``E1046``) loses its plan and is ordered anew; the log says why. A retry reads the drop again, so it
    never reimports an older version than the one the CMS holds now.
    """
    planned = [item for item in items if item.get("reimport")]
    if not planned:
        return list(items)
    client = hook.get_conn()
    orders = _open_orders(client, sorted({item["reimport"]["foreign_id"] for item in planned}))

    def attempt(item: ContentItem) -> tuple[ContentItem, bool]:
        from airflow_provider_translate5.client import Translate5Error

        plan = item["reimport"]
        fresh = cast("ContentItem", {key: value for key, value in item.items() if key != "reimport"})
        try:
            outcome = _reimport(client, item, orders.get(plan["foreign_id"], []))
        except Translate5Error as error:
            if not error.terminal:  # translate5 unreachable or failing: the task fails and is retried
                raise
            outcome = f"translate5 refused it: {error}"
        if isinstance(outcome, str):
            log.info(
                "%s changed while its order %s is open; ordered anew: %s",
                item["path"],
                plan["foreign_id"],
                outcome,
            )
            return fresh, False
        log.info(
            "%s changed while its order %s is open: reimported into translate5 task(s) %s",
            item["path"],
            plan["foreign_id"],
            outcome["tasks"],
        )
        return {**fresh, "foreign_id": plan["foreign_id"], "sha256": outcome["sha256"]}, True

    outcomes = iter(run_bounded(attempt, planned, concurrency))
    result, reimported = [], 0
    for item in items:
        if item.get("reimport"):
            item, done = next(outcomes)
            reimported += done
        result.append(item)
    log.info(
        "%d changed item(s) with an open order: %d reimported, %d ordered anew",
        len(planned),
        reimported,
        len(planned) - reimported,
    )
    return result


def _open_orders(client: Translate5Client, keys: Sequence[str]) -> dict[str, list[Task]]:
    """The tasks of the open orders by foreignId, once none of them is busy (or ``SETTLE_SECONDS`` passed).

    translate5 refuses a reimport while a task imports or runs an operation. The likeliest operation is a
    reimport this task started before it was retried: it is waited for, not taken as a refusal, so the retry
    reimports again instead of ordering the item twice. One lookup for all orders per check.
    """
    from airflow_provider_translate5.client.states import TaskState

    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        orders: dict[str, list[Task]] = {}
        for task in tasks_where(client, "foreignId", keys):
            if not task.is_project and task.foreign_id:
                orders.setdefault(task.foreign_id, []).append(task)
        busy = [
            t for ts in orders.values() for t in ts if t.state in TaskState.IMPORTING | TaskState.OPERATIONS
        ]
        if not busy or time.monotonic() >= deadline:
            return orders
        log.info(
            "Waiting for %d translate5 task(s) of open orders to finish their import or operation (%s)",
            len(busy),
            ", ".join(f"{t.id}: {t.state}" for t in busy[:10]),
        )
        time.sleep(content_drop.poke_interval(10))


def _reimport(client: Translate5Client, item: ContentItem, tasks: Sequence[Task]) -> dict[str, Any] | str:
    """Reimport one item into the tasks of its open order: ``{"sha256", "tasks"}``, or why it cannot be."""
    import io

    from airflow_provider_translate5.client import UploadFile
    from airflow_provider_translate5.client.coerce import to_flag
    from airflow_provider_translate5.client.states import TaskState, WorkflowStep

    plan = item["reimport"]
    if not tasks:
        return "the order is no longer in translate5"
    if len(tasks) != len(item["target_langs"]):
        return f"the order has {len(tasks)} task(s) for {len(item['target_langs'])} target language(s)"
    for task in tasks:
        if task.workflow_step_name == WorkflowStep.ENDED or task.state == TaskState.END:
            return f"its translation is finished (translate5 task {task.id}: workflow ended)"
        if task.state not in (TaskState.OPEN, TaskState.UNCONFIRMED):
            return f"translate5 task {task.id} is in state {task.state!r}"
        if to_flag(task.raw.get("reimportable", "1")) is False:
            return f"translate5 marks task {task.id} as not reimportable"
        if not to_flag(task.raw.get("enableSourceEditing")):
            return (
                f"translate5 task {task.id} does not allow source editing, so a reimport keeps the old text"
            )
    source = ObjectStoragePath(item["source"])
    data = source.read_bytes()  # the bytes checked are the bytes sent, whatever the CMS writes meanwhile
    segments = content_drop.segment_fingerprint(data)
    if plan["segments"] is None:
        return "the segments of the content the order holds are not known"
    if segments != plan["segments"]:
        return "segments were added or removed (translate5's reimport only updates existing segments)"
    name = source.name
    for task in sorted(tasks, key=lambda t: t.id):
        task_file = client.find_task_file(task.id, name)
        client.reimport_file(task.id, task_file.id, UploadFile(name, io.BytesIO(data)))
    return {"sha256": hashlib.sha256(data).hexdigest(), "tasks": ", ".join(str(t.id) for t in tasks)}


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
