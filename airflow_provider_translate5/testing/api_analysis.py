"""The MatchAnalysis plugin's operations and results (language resources and assignments: api_langres).

What is modelled (from translate5's source, see docs/features.md):

- ``PUT /editor/task/ID/analysis/operation`` and ``…/pretranslation/operation``: a task (each task of a
  project) with at least one assigned resource is locked in state ``matchanalysis`` for ``import_duration``
  seconds, then back in its previous state with a new analysis; a task without resources is left alone
  (``Init::queueAnalysis`` returns early), as is a task that is not open;
- ``GET /editor/plugins_matchanalysis_matchanalysis?taskGuid=``: rows per resource plus ``summary`` and
  ``metaData.fields`` with translate5's default bands; the empty TM finds nothing: every word is a no-match;
- ``…/export?type=exportXml``: an XML report download (``exportExcel`` is not simulated: 501).
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from airflow_provider_translate5.testing import filters
from airflow_provider_translate5.testing.api_langres import assigned as _assigned
from airflow_provider_translate5.testing.api_langres import resource as _resource
from airflow_provider_translate5.testing.protocol import ApiError, Response, json_response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Store, Task

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
OPEN_STATES = frozenset({"open", "unconfirmed", "end"})


@dataclass
class Features:
    """The per-simulator state of this module (kept beside the store, not inside it)."""

    analyses: dict[str, dict[str, Any]] = field(default_factory=dict)  # taskGuid -> analysis


_STATE: weakref.WeakKeyDictionary[Store, Features] = weakref.WeakKeyDictionary()


def features(store: Store) -> Features:
    with store.lock:
        return _STATE.setdefault(store, Features())


# ----- operations -------------------------------------------------------------------------------------
def _analysis(store: Store, task: Task, internal_fuzzy: bool) -> dict[str, Any]:
    words = int(str(task.row.get("wordCount") or 0))
    now = time.time()
    previous = features(store).analyses.get(task.guid)
    if previous is not None:  # analyses take seconds on a real server: never two with the same ``created``
        now = max(now, time.mktime(time.strptime(previous["created"], "%Y-%m-%d %H:%M:%S")) + 1)
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
    rows = []
    for index, assoc in enumerate(_assigned(store, task)):
        resource = _resource(assoc["languageResourceId"]) or {}
        row: dict[str, Any] = {
            "resourceName": resource.get("name", "deleted!"),
            "resourceColor": resource.get("color", ""),
            "resourceType": resource.get("resourceType", "n/a"),
            "created": created,
            "errorCount": 0,
            "internalFuzzy": "Yes" if internal_fuzzy else "No",
            "unitCountTotal": words if index == 0 else 0,
            "penaltyTotal": 0,
            **{str(begin): 0 for begin, _end in BANDS},
            "noMatch": words if index == 0 else 0,  # the empty demo TM finds nothing
        }
        rows.append(row)
    summary: dict[str, Any] = {key: "" for key in rows[0]} if rows else {}
    summary.update({str(begin): 0 for begin, _end in BANDS})
    summary.update({"resourceName": "summary", "unitCountTotal": words, "noMatch": words})
    return {"rows": [*rows, summary], "created": created}


def _finish(store: Store, task_id: int, previous: str, internal_fuzzy: bool) -> None:
    with store.lock:
        task = store.task(task_id)
        if task is None or task.row["state"] != LOCK_STATE:
            return
        features(store).analyses[task.guid] = _analysis(store, task, internal_fuzzy)
        task.row["state"] = previous
        task.row["locked"] = None
        store.touch(task)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def operation(ctx: Ctx, match: re.Match[str]) -> Response:
    params = {**ctx.req.data(), **{k: v[-1] for k, v in ctx.req.form.items() if v}}
    internal_fuzzy = _truthy(params.get("internalFuzzy", "0"))
    store = ctx.store
    with store.lock:
        task = store.task(match.group(1))
        if task is None:
            raise ApiError.coded(404, None, f"Task Entity Not Found: Key: #PK; Value: {match.group(1)}")
        targets = [store.tasks[i] for i in task.children if i in store.tasks] if task.is_project else [task]
        for target in targets:
            if not _assigned(store, target) or target.row["state"] not in OPEN_STATES:
                continue  # translate5 queues nothing (no resources) or cannot lock the task
            previous = str(target.row["state"])
            target.row["state"] = LOCK_STATE
            target.row["locked"] = time.strftime("%Y-%m-%d %H:%M:%S")
            store.touch(target)
            timer = threading.Timer(
                max(ctx.config.import_duration, 0.01), _finish, (store, target.id, previous, internal_fuzzy)
            )
            timer.daemon = True
            timer.start()
    return json_response(None)


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
    metadata = {"fields": fields, "pricingPresetId": 1, "currency": "", "noPricing": True}
    return ctx.json({"rows": analysis["rows"] if analysis else [], "metaData": metadata})


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
    summary = analysis["rows"][-1] if analysis else {}
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
