"""The MatchAnalysis plugin's operations and results (language resources and assignments: api_langres).

What is modelled (from translate5's source, see docs/features.md):

- ``PUT /editor/task/ID/analysis/operation`` and ``…/pretranslation/operation`` answer the task row as it
  is (``state: open``, unlocked: §115, §123) and queue the analysis of a task (each task of a project) with
  at least one assigned resource; over ``import_duration`` seconds the task then goes through the recorded
  steps (see ``STEPS``): still ``open`` but locked (§162), ``matchanalysis``, autoqa's lock, unlocked, and
  back to its state with a new analysis. A task without resources is left alone (``Init::queueAnalysis``
  returns early, §121), as is a task that is not open or already has an analysis queued;
- ``GET /editor/plugins_matchanalysis_matchanalysis?taskGuid=&unitType=``: rows per resource, the
  ``auto-propagated`` row, the ``summary`` row and, for words only, the ``amount`` row, each typed as recorded
  (§124, §163); ``metaData`` with translate5's default bands and ``noPricing: true``. Every segment counts
  once: in band ``70`` when an MT is assigned (ZDemoMT's rate), else as ``noMatch`` (the demo TM is empty);
- ``…/export?type=exportXml``: an XML report download (``exportExcel`` is not simulated: 501).
"""

from __future__ import annotations

import html
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from airflow_provider_translate5.testing import content, filters, views
from airflow_provider_translate5.testing.api_langres import assigned as _assigned
from airflow_provider_translate5.testing.api_langres import resource as _resource
from airflow_provider_translate5.testing.protocol import ApiError, Response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Store, Task, lock_for, unlock

#: translate5's default fuzzy bands (``begin`` -> ``end``); 104..101 are context/exact/repetition classes.
BANDS = (
    (104, 104),
    (103, 103),
    (102, 102),
    (101, 101),
    (100, 100),
    (90, 99),
    (80, 89),
    (70, 79),
    (60, 69),
    (50, 59),
)
LOCK_STATE = "matchanalysis"
NO_MATCH = "noMatch"
#: The band an MT match counts in: ZDemoMT rates its matches 70 (§124).
MT_BAND = "70"
UNIT_TYPES = ("word", "character")
_TAG = re.compile(r"<[^>]*>")
OPEN_STATES = frozenset({"open", "unconfirmed", "end"})


@dataclass
class Run:
    """One queued or running analysis (or pre-translation, which analyses along) of one task."""

    task_id: int
    previous: str
    internal_fuzzy: bool


@dataclass
class Features:
    """The per-simulator state of this module (kept beside the store, not inside it)."""

    analyses: dict[str, dict[str, Any]] = field(default_factory=dict)  # taskGuid -> analysis
    runs: dict[str, Run] = field(default_factory=dict)  # taskGuid -> the analysis queued or running


_STATE: weakref.WeakKeyDictionary[Store, Features] = weakref.WeakKeyDictionary()


def features(store: Store) -> Features:
    with store.lock:
        return _STATE.setdefault(store, Features())


# ----- operations -------------------------------------------------------------------------------------
#: The steps of an operation, as fractions of ``import_duration`` after the PUT, in the order recorded
#: (transcripts-2 §115, §123, §162): the worker is queued first (the task reads ``open``, unlocked, as in the
#: PUT's own answer); it takes the internal lock while ``state`` still reads ``open``; then the state is
#: ``matchanalysis``; the analysis rows are written while it runs; autoqa takes the lock; the lock is
#: released while the state is still ``matchanalysis``; at the end the task is back in its state.
STEPS: tuple[tuple[float, str], ...] = (
    (0.25, "lock"),
    (0.4, "state"),
    (0.5, "result"),
    (0.6, "autoqa"),
    (0.8, "unlock"),
    (1.0, "done"),
)


def _characters(task: Task) -> int:
    """Characters of the work files' source segments (``About us`` = 8; the recorded page counted 47)."""
    total = 0
    for task_file in task.files:
        if task_file.kind != "workfiles" or not task_file.path.exists():
            continue
        for text, is_xml in content.iter_sources(task_file.path, task_file.relpath):
            total += len(html.unescape(_TAG.sub("", text)) if is_xml else text)
    return total or 6 * _words(task)


def _words(task: Task) -> int:
    return int(str(task.row.get("wordCount") or 0))


def _analysis(store: Store, task: Task, internal_fuzzy: bool) -> dict[str, Any]:
    """The rows as translate5 stores them: counted in words and in characters (``unitType`` picks one)."""
    now = time.time()
    previous = features(store).analyses.get(task.guid)
    if previous is not None:  # analyses take seconds on a real server: never two with the same ``created``
        now = max(now, time.mktime(time.strptime(previous["created"], "%Y-%m-%d %H:%M:%S")) + 1)
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
    return {
        "created": created,
        "word": _rows(store, task, created, internal_fuzzy, _words(task)),
        "character": _rows(store, task, created, internal_fuzzy, _characters(task)),
    }


def _rows(store: Store, task: Task, created: str, internal_fuzzy: bool, units: int) -> list[dict[str, Any]]:
    """Resource rows, the ``auto-propagated`` row and the ``summary`` row, typed as recorded (§124, §163).

    Every segment is counted once, with its best match: the MT's rate (band ``70``, ZDemoMT's) when an MT
    is assigned, else nothing found (the demo TM is empty): ``noMatch``.
    """
    resources = [_resource(a["languageResourceId"]) or {} for a in _assigned(store, task)]
    best = next((i for i, r in enumerate(resources) if r.get("resourceType") == "mt"), 0)
    band = MT_BAND if resources and resources[best].get("resourceType") == "mt" else NO_MATCH
    fuzzy = "Yes" if internal_fuzzy else "No"

    def counts(total: int) -> dict[str, Any]:
        return {**{str(begin): 0 for begin, _end in BANDS}, NO_MATCH: 0, band: total}

    rows: list[dict[str, Any]] = [
        {
            "resourceName": resource.get("name", "deleted!"),
            "resourceColor": resource.get("color", ""),
            "resourceType": resource.get("resourceType", "n/a"),
            "created": created,
            "errorCount": "0",
            "internalFuzzy": fuzzy,
            "unitCountTotal": units if index == best else 0,
            "penaltyTotal": 0,
            **counts(units if index == best else 0),
        }
        for index, resource in enumerate(resources)
    ]
    rows.append(
        {
            "resourceName": "", "resourceColor": "", "resourceType": "auto-propagated", "created": created,
            "errorCount": "0", "internalFuzzy": fuzzy, "unitCountTotal": 0, **counts(0),
        }
    )  # fmt: skip
    rows.append(
        {
            "resourceName": "summary", "resourceColor": "", "resourceType": "", "created": "",
            "errorCount": "", "internalFuzzy": "", "unitCountTotal": units, "penaltyTotal": "",
            **counts(units),
        }
    )  # fmt: skip
    return rows


def _amount_row() -> dict[str, Any]:
    """The ``amount`` row of a word analysis: zeros (and ``0`` in the text columns) without pricing (§124)."""
    return {
        "resourceName": "amount", "resourceColor": 0, "resourceType": 0, "created": 0, "errorCount": 0,
        "internalFuzzy": 0, **{str(begin): 0 for begin, _end in BANDS}, NO_MATCH: 0, "unitCountTotal": 0,
        "priceAdjustment": 0, "finalAmount": 0,
    }  # fmt: skip


def _step(store: Store, run: Run, step: str) -> None:
    with store.lock:
        task = store.task(run.task_id)
        if task is None or features(store).runs.get(task.guid) is not run:
            return
        row = task.row
        if step == "lock":
            lock_for(row, LOCK_STATE)  # the state still reads ``open`` (§162)
        elif step == "state":
            row["state"] = LOCK_STATE
        elif step == "result":
            features(store).analyses[task.guid] = _analysis(store, task, run.internal_fuzzy)
        elif step == "autoqa":
            lock_for(row, "autoqa")
        elif step == "unlock":
            unlock(row)
        else:
            row["state"] = run.previous
            del features(store).runs[task.guid]
        store.touch(task)


def _play(store: Store, run: Run, duration: float, started: float) -> None:
    """The steps one after the other (one thread: they never overtake each other, however short)."""
    for fraction, step in STEPS:
        delay = started + duration * fraction - time.time()
        if delay > 0:
            time.sleep(delay)
        _step(store, run, step)


def running(store: Store, task: Task) -> bool:
    """Whether an analysis of the task is queued or running (translate5 refuses to change its resources)."""
    return task.guid in features(store).runs


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def operation(ctx: Ctx, match: re.Match[str]) -> Response:
    """Queue the analysis; answer the task row as it is now: ``state: open``, unlocked (§115, §123)."""
    params = {**ctx.req.data(), **{k: v[-1] for k, v in ctx.req.form.items() if v}}
    internal_fuzzy = _truthy(params.get("internalFuzzy", "0"))
    store = ctx.store
    duration = max(ctx.config.import_duration, 0.01)
    with store.lock:
        task = store.task(match.group(1))
        if task is None:
            raise ApiError.coded(404, None, f"Task Entity Not Found: Key: #PK; Value: {match.group(1)}")
        targets = [store.tasks[i] for i in task.children if i in store.tasks] if task.is_project else [task]
        for target in targets:
            state = str(target.row["state"])
            if not _assigned(store, target) or state not in OPEN_STATES or running(store, target):
                continue  # translate5 queues nothing (no resources) or cannot lock the task
            run = Run(target.id, state, internal_fuzzy)
            features(store).runs[target.guid] = run
            threading.Thread(target=_play, args=(store, run, duration, time.time()), daemon=True).start()
        return ctx.json({"rows": views.single_view(store, task, ctx.user)})


# ----- results ----------------------------------------------------------------------------------------
def _task_guid(ctx: Ctx) -> str:
    guid = ctx.req.param("taskGuid")
    if not guid:
        rules = filters.parse_filters(ctx.req.param("filter"), ("taskGuid",))
        guid = next((str(r.value) for r in rules if r.prop == "taskGuid"), None)
    if not guid:
        raise ApiError.coded(
            500, "E1103", "MatchAnalysis Plug-In: tried to load analysis data without taskGuid"
        )
    return guid


def results(ctx: Ctx, _: re.Match[str]) -> Response:
    guid = _task_guid(ctx)
    with ctx.store.lock:
        if ctx.store.task(guid) is None:
            raise ApiError.coded(404, None, f"Task Entity Not Found: Key: taskGuid; Value: {guid}")
        analysis = features(ctx.store).analyses.get(guid)
    fields: list[dict[str, Any]] = [
        {"name": "id", "type": "int"},
        {"name": "created"},
        {"name": "unitCountTotal", "type": "number"},
        {"name": "penalty", "type": "number"},
    ]
    fields += [{"name": str(b), "begin": str(b), "end": str(e), "type": "number"} for b, e in BANDS]
    fields.append({"name": NO_MATCH, "begin": NO_MATCH, "end": NO_MATCH, "type": "number"})
    metadata = {"fields": fields, "pricingPresetId": "1", "currency": "", "noPricing": True}
    unit = ctx.req.param("unitType") or "word"
    if unit not in UNIT_TYPES:
        unit = "word"  # not recorded; translate5 reads any other value as words
    rows = [*analysis[unit], *([_amount_row()] if unit == "word" else [])] if analysis else []
    return ctx.json({"rows": rows, "metaData": metadata})


def export(ctx: Ctx, _: re.Match[str]) -> Response:
    guid = _task_guid(ctx)
    kind = ctx.req.param("type")
    with ctx.store.lock:
        task = ctx.store.task(guid)
        if task is None:
            raise ApiError.coded(404, None, f"Task Entity Not Found: Key: taskGuid; Value: {guid}")
        analysis = features(ctx.store).analyses.get(guid)
        name = str(task.row["taskName"])
    if kind == "exportExcel":
        raise ApiError.coded(501, None, "The Excel analysis report is not simulated")
    if kind != "exportXml":
        raise ApiError.coded(404, None, "No analysis for given type found")
    summary = analysis["word"][-1] if analysis else {}
    bands = "".join(
        f'<fuzzy min="{b}" max="{e}" words="{summary.get(str(b), 0)}"/>' for b, e in BANDS if b < 100
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<task name="analyse"><taskInfo taskId="{guid}"/><batchTotal><analyse>'
        f'<exact words="{summary.get("100", 0)}"/>{bands}<new words="{summary.get("noMatch", 0)}"/>'
        f'<total words="{summary.get("unitCountTotal", 0)}"/></analyse></batchTotal></task>\n'
    ).encode()
    filename = quote(f"Match-Analysis - {name} {time.strftime('- %Y-%m-%d')}.xml")
    # Section 125: an XML file labelled application/json, twice; the name in both Content-Disposition forms.
    headers = [
        ("Content-Disposition", f"attachment; filename*=UTF-8''{filename}; filename={filename}"),
        ("Content-Type", "application/json"),
        ("Content-Type", "application/json"),
    ]
    return Response(200, headers, body, version_header=True, close=True)


ROUTES: list[Route] = [
    route("PUT", r"/editor/task/(\d+)/(?:analysis|pretranslation)/operation", operation),
    route("GET", r"/editor/plugins_matchanalysis_matchanalysis/export", export),
    route("GET", r"/editor/plugins_matchanalysis_matchanalysis", results),
]
