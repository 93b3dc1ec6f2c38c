"""Export several tasks at once through translate5's queued batch export, or task by task where it is absent.

The queued export lets translate5's workers build the ZIPs while nobody holds a request open; this step only
looks at the export's status now and then (the provider's one wait loop, :func:`wait.block`) and downloads
the result once. Servers that do not offer it (404, or a 302 to the login page) get one synchronous export
per task instead. Either way the destination receives the same files: one export ZIP per task, named
``<task id>-<task name>.zip``, all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_provider_translate5.base import (
    Translate5BaseOperator,
    WaitMixin,
    check_trigger_event,
    fail_fast_on_bad_input,
    idempotency_key,
    raise_for_verdict,
    rendered_ids,
    trigger_hook_params,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Task
    from airflow_provider_translate5.files import AnyPath, Delivery, PathLike

QUEUED = "queued"
SYNCHRONOUS = "synchronous"
#: XCom key of the queued exports' tokens and task ids, for the resumption after a deferral.
BATCH_XCOM_KEY = "translate5_batch_export"


class Translate5BatchExportOperator(WaitMixin, Translate5BaseOperator):
    """Export tasks (or every task of projects) into ``destination``, one export ZIP per task.

    Uses translate5's queued batch export (``/editor/taskuserassoc/batchset`` with ``batchType=export``,
    then ``/editor/queuedexport/<token>/status`` and ``/download``; at most 30 tasks per batch, as in
    translate5's UI) and waits for it (in this worker, or deferred in the triggerer, which frees the worker
    slot); where the server has no such route it exports task by task (``GET /editor/task/export/id/{id}``).
    A retry starts a new export: translate5 deletes a batch export once it was downloaded, and an export
    changes nothing in the tasks.

    :param translate5_task_ids: task or project ids (templated; a list, an XComArg, or rendered "[1, 2]").
    :param destination: folder (local path, URI or ``ObjectStoragePath``; templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poke_interval: time between two looks at a queued export's status (``timedelta`` or seconds,
        default 10).
    :param timeout: seconds translate5 may take to build the batches.

    Returns ``{"mode": "queued" | "synchronous", "task_ids": [...], "files": [<URI>, ...]}``.
    """

    template_fields = ("translate5_task_ids", "destination")
    poll_interval_default: ClassVar[float] = 10.0

    def __init__(
        self,
        *,
        translate5_task_ids: Sequence[int | str] | str,
        destination: PathLike,
        deferrable: bool | None = None,
        poke_interval: timedelta | float | None = None,
        timeout: timedelta | float = 3600.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.translate5_task_ids = translate5_task_ids
        self.destination = destination
        self.configure_wait(deferrable=deferrable, poke_interval=poke_interval, timeout=timeout)

    def execute(self, context: Context) -> dict[str, Any] | None:
        from airflow_provider_translate5.client import Translate5NotFoundError, Translate5PermissionError
        from airflow_provider_translate5.client.batchexport import MAX_BATCH_TASKS
        from airflow_provider_translate5.files import check_writable, to_path

        tasks = self._tasks(context)
        folder = to_path(self.destination)
        with fail_fast_on_bad_input():
            check_writable(folder)
        batches = [tasks[i : i + MAX_BATCH_TASKS] for i in range(0, len(tasks), MAX_BATCH_TASKS)]
        tokens: list[str] = []
        mode = QUEUED
        end_time = self.deadline()
        for number, batch in enumerate(batches):
            with fail_fast_on_bad_input():
                try:
                    token = self.client.start_batch_export([task.id for task in batch])
                except (Translate5NotFoundError, Translate5PermissionError) as exc:
                    if number:  # the route worked for an earlier batch: this is no missing route
                        raise
                    self.log.warning(
                        "translate5 offers no queued batch export here (%s); exporting task by task", exc
                    )
                    mode = SYNCHRONOUS
                    break
            self.log.info("translate5 queued the export of tasks %s (token %s)", [t.id for t in batch], token)
            tokens.append(token)
        task_ids = [task.id for task in tasks]
        if mode == SYNCHRONOUS:
            return self._result(mode, task_ids, self._one_by_one(context, tasks, folder), folder)
        if self.deferrable:
            self._defer(context, tokens, task_ids, end_time)
            return None
        self._wait(tokens, end_time)
        return self._result(mode, task_ids, self._fetch_all(context, tokens, folder), folder)

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> dict[str, Any]:
        from airflow_provider_translate5.files import to_path

        check_trigger_event(event, timeout=AirflowException)  # a retry queues a new export: may succeed
        ti = context["ti"]
        started = ti.xcom_pull(task_ids=ti.task_id, key=BATCH_XCOM_KEY, map_indexes=ti.map_index)
        folder = to_path(self.destination)
        files = self._fetch_all(context, list(started["tokens"]), folder)
        return self._result(QUEUED, [int(i) for i in started["task_ids"]], files, folder)

    def _defer(self, context: Context, tokens: list[str], task_ids: list[int], end_time: float) -> None:
        from airflow_provider_translate5.triggers.batchexport import Translate5BatchExportTrigger

        context["ti"].xcom_push(key=BATCH_XCOM_KEY, value={"tokens": tokens, "task_ids": task_ids})
        trigger = Translate5BatchExportTrigger(
            tokens=tokens,
            translate5_conn_id=self.translate5_conn_id,
            poll_interval=self.poke_interval,
            end_time=end_time,
            timeout=self.timeout,
            hook_params=trigger_hook_params(self.hook_params),
        )
        # Airflow's own deferral timeout is a safety net only: the trigger sends a readable timeout event.
        grace = max(60.0, 3 * self.poke_interval)
        self.defer(
            trigger=trigger, method_name="execute_complete", timeout=timedelta(seconds=self.timeout + grace)
        )

    def _result(self, mode: str, task_ids: list[int], files: list[str], folder: AnyPath) -> dict[str, Any]:
        self.log.info("Delivered %d export(s) into %s (%s export)", len(files), folder, mode)
        return {"mode": mode, "task_ids": task_ids, "files": files}

    def _tasks(self, context: Context) -> list[Task]:
        tasks: dict[int, Task] = {}
        for value in rendered_ids(self.translate5_task_ids, what="task or project ids"):
            for task in self.resolve_tasks(context, value):
                tasks.setdefault(task.id, task)
        return list(tasks.values())

    def _wait(self, tokens: list[str], end_time: float) -> None:
        """Wait in this worker with the provider's wait loop until every queued export is ready."""
        from airflow_provider_translate5 import status
        from airflow_provider_translate5.triggers.batchexport import look_tokens, new_wait, timeout_message
        from airflow_provider_translate5.wait import block

        wait = new_wait(tokens, self.log)
        pending = set(tokens)
        verdict = block(
            wait,
            lambda: look_tokens(self.client, pending, wait),
            interval=self.poke_interval,
            end_time=end_time,
        )
        if verdict.status == status.TIMEOUT:
            verdict = status.Verdict(status.TIMEOUT, timeout_message(tokens, self.timeout))
        raise_for_verdict(verdict, timeout=AirflowException)  # a retry queues a new export: may succeed

    def _fetch_all(self, context: Context, tokens: list[str], folder: AnyPath) -> list[str]:
        """Download every ready export and unpack its per-task ZIPs into ``folder``: every token or none.

        Each batch is staged as it arrives; the files move in together only when every token's download
        and archive passed, so a failure at the last token leaves the destination as it was.
        """
        from airflow_provider_translate5.files import UnsafeArchiveError

        with self._delivery(context, folder) as delivery:
            for token in tokens:
                with fail_fast_on_bad_input(), self.client.open_batch_export(token) as download:
                    try:
                        delivery.unpack(download.iter_bytes(), folder)
                    except UnsafeArchiveError as exc:
                        raise AirflowFailException(
                            f"Refusing to extract batch export {token}: {exc}"
                        ) from exc
            return delivery.commit()

    def _one_by_one(self, context: Context, tasks: Sequence[Task], folder: AnyPath) -> list[str]:
        """The fallback: one synchronous export per task, staged and moved in together."""
        with self._delivery(context, folder) as delivery:
            for task in tasks:
                with fail_fast_on_bad_input(), self.client.open_export(task.id) as download:
                    delivery.write(folder / member_name(task), download.iter_bytes())
            return delivery.commit()

    @contextmanager
    def _delivery(self, context: Context, folder: AnyPath) -> Iterator[Delivery]:
        """This task instance's all-or-nothing delivery; a destination that cannot take it fails for good."""
        from airflow_provider_translate5.files import Delivery, DestinationError

        try:
            with Delivery(folder, idempotency_key(context) + "/batch-export") as delivery:
                yield delivery
        except DestinationError as exc:
            raise AirflowFailException(str(exc)) from exc


def member_name(task: Task) -> str:
    """The name translate5's batch ZIP gives a task's export (``BatchExportWorker::getFileName``)."""
    safe = re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9_-]+", "-", f"{task.id}-{task.task_name}").strip("-"))
    return f"{safe[:200]}.zip"
