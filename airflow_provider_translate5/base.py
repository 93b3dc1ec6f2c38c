"""What every translate5 operator and sensor shares: connection id, hook, extra link, error mapping, deferral,
the idempotency key of a task instance.

Operators and sensors both import this module (it sits beside them, above the triggers, the wait loop and the
hook: see docs/concepts.md). Only ``airflow.sdk`` is imported at module level: DAG files import the operators,
and the DAG processor parses them often, so the hook, the client and ``requests`` are loaded only when a task
runs.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator, BaseOperatorLink, conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

from airflow_provider_translate5 import DEFAULT_CONN_ID
from airflow_provider_translate5.links import (
    LINK_ATTRIBUTE,
    TASK_ID_XCOM_KEY,
    TASK_URL_XCOM_KEY,
    Translate5TaskLink,
    Translate5ViewLink,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5 import status
    from airflow_provider_translate5.client import Task, Translate5Client
    from airflow_provider_translate5.hooks.translate5 import Translate5Hook


#: How long translate5 may still be saving a create whose answer never arrived (see docs/reliability.md).
DEFAULT_CREATE_GRACE = timedelta(minutes=5)


#: The shortest time between two looks of a waiting step (``[translate5] min_poll_interval``).
MIN_POLL_INTERVAL = 1.0


def as_flag(value: Any, name: str) -> bool | None:
    """A yes/no option as given or as rendered from a template (``"{{ params.use_mt }}"`` renders True as
    "True"); ``None`` (or "None", "") leaves it unset."""
    from airflow_provider_translate5.client.coerce import to_flag

    flag = to_flag(value)
    if flag is None and str(value).strip().lower() not in ("", "none"):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return flag


def rendered_list(value: Any, name: str, *, split: bool = False) -> list[Any]:
    """A list field as a DAG author may give it: a list (an ``XComArg`` resolves to one) or a template.

    Jinja renders a list as its Python text (``"['Demo TM', 'ZDemoMT']"``, ``"[12, 13]"``) unless the DAG
    renders native objects; that text is read back as the list. Any other text is one item (a name may contain
    commas), or with ``split`` (ids) the items between commas and blanks (``"12,13"``, ``"12 13"``).
    """
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("["):
            if split:
                return [part for part in re.split(r"[\s,]+", text) if part]
            return [text] if text else []
        import ast

        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise ValueError(f"{name}: cannot read {value!r} as a list") from exc
        if not isinstance(parsed, list):
            raise ValueError(f"{name}: cannot read {value!r} as a list")
        return parsed
    if isinstance(value, Sequence):
        # By index up to its length, not by iterating: a mapped task's results arrive as a sequence Airflow
        # pulls item by item, and iterating reads one item past the end, which Airflow logs as an error.
        return [value[index] for index in range(len(value))]
    return [value]


def rendered_ids(
    value: Any, name: str = "translate5_task_ids", *, what: str = "task ids", required: bool = True
) -> list[int]:
    """translate5 ids as a DAG author may pass them: a list (the upload's ``task_ids``, an ``XComArg``), its
    rendered text (``"[12, 13]"``), ``"12,13"`` or a single id.

    Read when the task runs, so a mistake fails the task without retries (``AirflowFailException``), naming
    the value; with ``required`` an empty list too. The one reading of ids for sensors, export, batch export.
    """
    try:
        items = rendered_list(value, name, split=True)
    except ValueError as exc:
        raise AirflowFailException(f"{exc} of ids") from exc
    ids: list[int] = []
    for item in items:
        text = str(item).strip()
        if isinstance(item, bool) or not text.isdigit() or int(text) < 1:
            raise AirflowFailException(f"{name} must be positive {what}; got {item!r} in {value!r}")
        ids.append(int(text))
    if required and not ids:
        raise AirflowFailException(f"{name} is empty ({value!r}): there are no {what} to work on")
    return ids


def as_timedelta(value: timedelta | float | int, name: str) -> timedelta:
    """Durations are ``timedelta`` (numbers are seconds); zero and negative ones are refused at once."""
    if isinstance(value, bool) or not isinstance(value, (timedelta, int, float)):
        raise ValueError(f"{name} must be a timedelta or a number of seconds, got {value!r}")
    delta = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if not delta.total_seconds() > 0:  # also refuses NaN
        raise ValueError(f"{name} must be positive, got {value!r}")
    return delta


def min_poll_interval() -> float:
    """``[translate5] min_poll_interval`` (default 1 s): no DAG makes a waiting step hammer translate5."""
    return conf.getfloat("translate5", "min_poll_interval", fallback=MIN_POLL_INTERVAL)


def poll_interval(value: timedelta | float, log: Any) -> float:
    """Seconds between looks: positive, and at least ``MIN_POLL_INTERVAL`` (raised with a warning)."""
    seconds = as_timedelta(value, "poke_interval").total_seconds()
    minimum = min_poll_interval()
    if seconds < minimum:
        log.warning(
            "poke_interval %.3g s is below the minimum ([translate5] min_poll_interval); using %.3g s",
            seconds,
            minimum,
        )
        return minimum
    return seconds


def default_deferrable() -> bool:
    """``[operators] default_deferrable``, read when an operator is built (not at module import)."""
    return conf.getboolean("operators", "default_deferrable", fallback=False)


@contextmanager
def fail_fast_on_bad_input() -> Iterator[None]:
    """Turn errors that an Airflow retry cannot fix into ``AirflowFailException``.

    The error decides (``terminal``, see ``client/errors.py``): bad local input, auth, permission, validation
    and unknown ids fail at once; network trouble, 5xx and the retryable 4xx keep their type so Airflow's
    retries apply.
    """
    from airflow_provider_translate5.client import Translate5Error

    try:
        yield
    except Translate5Error as exc:
        if exc.terminal:
            raise AirflowFailException(str(exc)) from exc
        raise


def raise_for_verdict(
    verdict: status.Verdict,
    *,
    timeout: type[AirflowException] = AirflowSensorTimeout,
    cause: BaseException | None = None,
) -> None:
    """The one mapping of a wait's end to Airflow: success (or still waiting) returns; a timeout raises
    ``timeout`` (``AirflowSensorTimeout``; a step whose retry starts afresh passes ``AirflowException``); an
    error fails without retries when it is terminal, else raises ``AirflowException`` so retries apply."""
    from airflow_provider_translate5.status import ERROR, TIMEOUT

    if verdict.status == TIMEOUT:
        raise timeout(verdict.message) from cause
    if verdict.status == ERROR:
        raise (AirflowFailException if verdict.terminal else AirflowException)(verdict.message) from cause


def check_trigger_event(
    event: Mapping[str, Any] | None, *, timeout: type[AirflowException] = AirflowSensorTimeout
) -> Mapping[str, Any]:
    """Validate the event a trigger (or a wait in the worker) ended with; return it only if it means success.

    ``None`` or an unknown status must never fall through to success.
    """
    from airflow_provider_translate5.wait import verdict_of

    try:
        verdict = verdict_of(event)
    except ValueError:
        raise AirflowException(
            f"translate5 trigger resumed the task with an unexpected event: {event!r}"
        ) from None
    raise_for_verdict(verdict, timeout=timeout)
    assert event is not None
    return event


class Translate5Mixin:
    """Hook, connection id and the "translate5 task" link for operators and sensors alike."""

    operator_extra_links: Collection[BaseOperatorLink] = (Translate5TaskLink(), Translate5ViewLink())
    ui_color: str = "#d9ecf7"

    translate5_conn_id: str
    #: Per-task client settings (``timeout``, ``retry`` ... of ``Translate5Client``), over the connection's.
    hook_params: dict[str, Any] | None = None

    @cached_property
    def hook(self) -> Translate5Hook:
        from airflow_provider_translate5.hooks.translate5 import Translate5Hook

        return Translate5Hook(translate5_conn_id=self.translate5_conn_id, **(self.hook_params or {}))

    def post_execute(self, context: Context, result: Any = None) -> None:
        """End the translate5 session this try opened.

        translate5 keeps a token session alive for 20 minutes; hundreds of mapped tasks would otherwise fill
        its session table (translate5 issue TRANSLATE-5314). A failed or deferred try leaves it to expire.
        """
        if "hook" in self.__dict__:
            self.hook.close()
        super().post_execute(context, result)  # type: ignore[misc]

    @property
    def client(self) -> Translate5Client:
        return self.hook.get_conn()

    def task_url(self, task: Task) -> str:
        """translate5 UI link for a task or project.

        translate5's UI opens tasks inside their project (route ``#project/<projectId>[/<taskId>]/focus``).
        An operator given a project id links the project; given a task id, that task inside its project.
        """
        named = getattr(self, "translate5_task_id", None)
        if task.project_id is not None and str(named) == str(task.project_id):
            return self.hook.task_url(task.project_id)
        return self.hook.task_url(task.id, project_id=task.project_id)

    def push_task_link(self, context: Context, task: Task) -> str:
        """Publish the task id and UI link now, so the link works while we wait (and if we fail)."""
        url = self.task_url(task)
        self.publish_link(context, task.id, url)
        return url

    def publish_link(self, context: Context, translate5_id: int, url: str) -> None:
        """Push the translate5 id and UI link to XCom, and keep them for the extra links (``links``)."""
        ti = context["ti"]
        ti.xcom_push(key=TASK_ID_XCOM_KEY, value=translate5_id)
        ti.xcom_push(key=TASK_URL_XCOM_KEY, value=url)
        setattr(self, LINK_ATTRIBUTE, {"id": translate5_id, "url": url})

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """Resume after a deferral (``BaseOperator.resume_execution``) knowing the link the deferring try
        published: every operator with extra links publishes it before it defers, so both XComs exist."""
        if self.operator_extra_links:
            ti = context["ti"]
            task_id, url = (
                ti.xcom_pull(task_ids=ti.task_id, key=key, map_indexes=ti.map_index)
                for key in (TASK_ID_XCOM_KEY, TASK_URL_XCOM_KEY)
            )
            setattr(self, LINK_ATTRIBUTE, {"id": task_id, "url": url})
        return super().resume_execution(next_method, next_kwargs, context)  # type: ignore[misc]


class WaitMixin:
    """Deadlines and deferral for everything that waits (sensors and waiting operators)."""

    poll_interval_default: ClassVar[float] = 30.0

    timeout: float
    poke_interval: float
    translate5_conn_id: str

    deferrable: bool

    def configure_wait(
        self, *, deferrable: bool | None, poke_interval: timedelta | float | None, timeout: timedelta | float
    ) -> None:
        """The one place a waiting operator's settings are checked: durations as ``timedelta`` or seconds,
        a positive timeout, a poll interval of at least ``[translate5] min_poll_interval``."""
        interval = self.poll_interval_default if poke_interval is None else poke_interval
        self.poke_interval = poll_interval(interval, self.log)  # type: ignore[attr-defined]
        self.timeout = as_timedelta(timeout, "timeout").total_seconds()
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        if self.deferrable:  # known now: settings that cannot reach the triggerer fail the DAG's parse
            trigger_hook_params(getattr(self, "hook_params", None))

    def deadline(self) -> float:
        """The absolute end of the wait (epoch seconds); triggers get absolute deadlines, never durations."""
        return time.time() + self.timeout

    def defer_until(
        self, trigger_cls: type, *, task_ids: Sequence[int], end_time: float, **kwargs: Any
    ) -> None:
        """Hand the wait to the triggerer.

        Airflow's own deferral timeout is only a safety net (a dead triggerer): the trigger itself sends a
        readable ``timeout`` event at ``end_time``.
        """
        try:
            hook_params = trigger_hook_params(getattr(self, "hook_params", None))
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from exc
        if hook_params:
            kwargs["hook_params"] = hook_params
        trigger = trigger_cls(
            translate5_task_ids=list(task_ids),
            translate5_conn_id=self.translate5_conn_id,
            poll_interval=self.poke_interval,
            end_time=end_time,
            **kwargs,
        )
        grace = max(60.0, 3 * self.poke_interval)
        remaining = max(end_time - time.time(), 0.0)
        self.defer(  # type: ignore[attr-defined]
            trigger=trigger, method_name="execute_complete", timeout=timedelta(seconds=remaining + grace)
        )


def trigger_hook_params(hook_params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``hook_params`` as a trigger stores them, to build its client with them in the triggerer.

    Only plain values (numbers, text, lists, mappings) can be stored with a trigger; anything else (a
    ``RetryPolicy``, ``Limits``) is refused with ``ValueError`` naming it, instead of being dropped.
    """
    params = dict(hook_params or {})
    for name, value in params.items():
        if not _plain(value):
            raise ValueError(
                f"hook_params[{name!r}] is a {type(value).__name__}: a deferrable wait hands its client "
                "settings to the triggerer, which takes plain values only (numbers, text, lists, mappings); "
                "give plain values, or deferrable=False"
            )
    return params


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(item) for item in value)
    if isinstance(value, Mapping):
        return all(isinstance(key, str) and _plain(item) for key, item in value.items())
    return False


def is_template(value: Any) -> bool:
    """Not known before rendering (a Jinja string or an XComArg): checked in ``execute`` instead."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, (list, tuple)):
        return any(is_template(item) for item in value)
    return not isinstance(value, (int, type(None)))


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
    from airflow_provider_translate5.client.checks import MAX_FOREIGN_ID

    ti = context["ti"]
    key = f"airflow:{ti.dag_id}/{ti.run_id}/{ti.task_id}"
    map_index = getattr(ti, "map_index", -1)
    if map_index is not None and map_index >= 0:
        key += f"/{map_index}"
    if len(key) > MAX_FOREIGN_ID:
        key = "airflow:sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def defer_until_done(
    operator: WaitMixin,
    operation: status.Operation,
    ids: list[int],
    before: Mapping[int, str | None],
    end_time: float,
    *,
    sent: Mapping[str, Any] | None = None,
) -> None:
    """Hand the wait for an operation started on ``ids`` (no lock, and a new result) to the triggerer;
    :func:`airflow_provider_translate5.wait.block_until_done` is the same wait in the worker. ``sent``: what
    the request sent, where the result is told by it (a reimport's file), back in the success event."""
    from airflow_provider_translate5.triggers.operation import Translate5OperationTrigger

    operator.defer_until(
        Translate5OperationTrigger,
        task_ids=ids,
        end_time=end_time,
        operation=operation.name,
        before={str(task_id): created for task_id, created in before.items()},
        **({"sent": dict(sent)} if sent else {}),
    )
