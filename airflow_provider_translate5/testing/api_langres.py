"""Language resources and their task assignments, as the recorded server answers (part 2, §110-119, §160/161).

- ``GET /editor/languageresourceinstance`` (``LanguageresourceinstanceController::indexAction``): every
  resource with its languages as LISTS of language-id strings and ``customerIds`` (§110);
- ``GET /editor/languageresourcetaskassoc?filter=[taskGuid eq …]``: only the resources that FIT the task (its
  languages and its customer), assigned or not: ``taskassocid`` null or the association id, ``checked``
  ``"false"``/``"true"``, languages as single id strings (§111, §114);
- ``POST`` assigns ANY existing resource, fitting or not (§160): a resource that does not fit is stored and
  answered like any other assignment, and from then on it is missing from the task's list (§161); the
  same pair again answers the same association (§113);
- ``DELETE …/{assocId}`` answers 200 with an empty body, also when the association is already gone (§118/119).

The resources: ``ZDemoMT en-de`` and ``ZDemoMT en-fr`` as on the recorded server (one language pair each, for
the default customer), and two the simulator's examples use on every language pair and customer: ``Demo TM``
(an empty, writable TM) and ``ZDemoMT`` (a real TM or MT engine has its own languages: see docs/testing.md).
Languages fit by main language (``de-DE`` fits ``de``): translate5 lists sublanguage matches, with a penalty.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_translate5.testing import catalog, filters
from airflow_provider_translate5.testing.protocol import ApiError, Response, empty_response
from airflow_provider_translate5.testing.routing import Ctx, Route, route
from airflow_provider_translate5.testing.state import Store, Task

_EVERY = None  # languages or customers: a resource for all of them
#: Per resource: the row fields the lists share, plus ``sources``/``targets`` (RFC 5646 main languages) and
#: ``customers`` (customer ids), None meaning every one.
RESOURCES: tuple[dict[str, Any], ...] = (
    {
        "id": 1,
        "name": "Demo TM",
        "serviceName": "OpenTM2",
        "serviceType": "editor_Services_OpenTM2",
        "resourceType": "tm",
        "resourceId": "editor_Services_OpenTM2_1",
        "color": "19737d",
        "writable": True,
        "sources": _EVERY,
        "targets": _EVERY,
        "customers": _EVERY,
    },
    {
        "id": 2,
        "name": "ZDemoMT",
        "serviceName": "ZDemoMT",
        "serviceType": "editor_Plugins_ZDemoMT",
        "resourceType": "mt",
        "resourceId": "ZDemoMT",
        "color": "ff0000",
        "writable": False,
        "sources": _EVERY,
        "targets": _EVERY,
        "customers": _EVERY,
    },
    {
        "id": 3,
        "name": "ZDemoMT en-de",
        "serviceName": "ZDemoMT",
        "serviceType": "editor_Plugins_ZDemoMT",
        "resourceType": "mt",
        "resourceId": "ZDemoMT",
        "color": "cdcdcd",
        "writable": False,
        "sources": ("en",),
        "targets": ("de",),
        "customers": (1,),
    },
    {
        "id": 4,
        "name": "ZDemoMT en-fr",
        "serviceName": "ZDemoMT",
        "serviceType": "editor_Plugins_ZDemoMT",
        "resourceType": "mt",
        "resourceId": "ZDemoMT",
        "color": "cdcdcd",
        "writable": False,
        "sources": ("en",),
        "targets": ("fr",),
        "customers": (1,),
    },
)
_TIMESTAMP = "2026-12-07 23:32:12"
#: translate5's sublanguage penalty, sent on every association row (§111-114).
_PENALTY_SUBLANG = 104


@dataclass
class Assignments:
    """The per-simulator associations (kept beside the store, not inside it)."""

    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1


_STATE: weakref.WeakKeyDictionary[Store, Assignments] = weakref.WeakKeyDictionary()


def _assignments(store: Store) -> Assignments:
    with store.lock:
        return _STATE.setdefault(store, Assignments())


def resource(resource_id: Any) -> dict[str, Any] | None:
    """A resource by id (any spelling of the number); None when there is none."""
    return next((r for r in RESOURCES if str(r["id"]) == str(resource_id).strip()), None)


def assigned(store: Store, task: Task) -> list[dict[str, Any]]:
    """Every association of the task, fitting or not: translate5's operations use them all (§162)."""
    return [a for a in _assignments(store).rows.values() if a["taskGuid"] == task.guid]


def _main(lang_id: Any) -> str:
    return catalog.rfc5646(int(str(lang_id or 0))).partition("-")[0].lower()


def fits(res: dict[str, Any], task: Task) -> bool:
    """The resource serves the task's languages and customer (what the task-assoc list shows)."""
    row = task.row
    return (
        (res["sources"] is _EVERY or _main(row["sourceLang"]) in res["sources"])
        and (res["targets"] is _EVERY or _main(row["targetLang"]) in res["targets"])
        and (res["customers"] is _EVERY or int(str(row["customerId"])) in res["customers"])
    )


def _num(ctx: Ctx, value: int) -> int | str:
    return str(value) if ctx.config.numbers_as_strings else value


def _language_ids(wanted: tuple[str, ...] | None) -> list[int]:
    rows = catalog.language_rows()
    return [r["id"] for r in rows if wanted is _EVERY or str(r["rfc5646"]).lower() in wanted]


def _shared(res: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": res["name"],
        "color": res["color"],
        "resourceId": res["resourceId"],
        "serviceType": res["serviceType"],
        "serviceName": res["serviceName"],
        "specificData": None,
        "timestamp": _TIMESTAMP,
        "resourceType": res["resourceType"],
    }


def _flags(res: dict[str, Any]) -> dict[str, Any]:
    tm = res["resourceType"] == "tm"
    return {
        "deletable": True,
        "writable": bool(res["writable"]),
        "analysable": True,
        "searchable": tm,
        "filebased": tm,
    }


def _instance_row(ctx: Ctx, res: dict[str, Any]) -> dict[str, Any]:
    customers = [c.id for c in catalog.CUSTOMERS if res["customers"] is _EVERY or c.id in res["customers"]]
    return {
        "id": _num(ctx, res["id"]),
        "entityVersion": _num(ctx, 0),
        **_shared(res),
        "writeSource": _num(ctx, 0),
        "specificId": None,
        "isTaskTm": False,
        **_flags(res),
        "synchronizableService": False,
        "tmConversionState": None,
        "taskList": [],
        "status": "notchecked",
        "statusInfo": "Choose the resource to get more information.",
        "customerIds": [str(c) for c in customers],
        "customerUseAsDefaultIds": [],
        "customerWriteAsDefaultIds": [],
        "customerPivotAsDefaultIds": [],
        "customerTqeAsDefaultIds": [],
        "customerTqeInstantTranslateAsDefaultIds": [],
        "sourceLang": [str(i) for i in _language_ids(res["sources"])],
        "targetLang": [str(i) for i in _language_ids(res["targets"])],
        "categories": [],
        "eventsCount": 0,
    }


def _assoc_row(ctx: Ctx, assoc: dict[str, Any]) -> dict[str, Any]:
    """The row POST answers (§112): the association's DB columns, every value a string."""
    return {
        "id": _num(ctx, assoc["id"]),
        "languageResourceId": _num(ctx, assoc["languageResourceId"]),
        "taskGuid": assoc["taskGuid"],
        "segmentsUpdateable": _num(ctx, assoc["segmentsUpdateable"]),
        "autoCreatedOnImport": _num(ctx, 0),
        "penaltyGeneral": _num(ctx, 0),
        "penaltySublang": _num(ctx, _PENALTY_SUBLANG),
    }


def _task_row(ctx: Ctx, task: Task, res: dict[str, Any], assoc: dict[str, Any] | None) -> dict[str, Any]:
    """A row of the task filter (§111/§114): the resource as it fits this task."""
    return {
        "taskName": task.row["taskName"],
        "taskGuid": task.guid,
        "languageResourceId": _num(ctx, res["id"]),
        **_shared(res),
        "writeSource": _num(ctx, 0),
        "taskassocid": _num(ctx, assoc["id"]) if assoc else None,
        "segmentsUpdateable": _num(ctx, assoc["segmentsUpdateable"] if assoc else 0),
        "penaltyGeneral": _num(ctx, 0),
        "penaltySublang": _num(ctx, _PENALTY_SUBLANG),
        "sourceLang": _num(ctx, int(str(task.row["sourceLang"]))),
        "targetLang": _num(ctx, int(str(task.row["targetLang"]))),
        "checked": "true" if assoc else "false",
        "isTaskTm": False,
        "customerId": _num(ctx, int(str(task.row["customerId"]))),
        **_flags(res),
    }


def instances(ctx: Ctx, _: re.Match[str]) -> Response:
    rows = [_instance_row(ctx, res) for res in RESOURCES]
    return ctx.json({"rows": rows, "total": len(rows)})


def assoc_list(ctx: Ctx, _: re.Match[str]) -> Response:
    rules = filters.parse_filters(ctx.req.param("filter"), ("taskGuid", "languageResourceId", "checked"))
    wanted = next((str(r.value) for r in rules if r.prop == "taskGuid" and r.operator == "eq"), None)
    with ctx.store.lock:
        if wanted is None:  # the REST default: the raw association rows
            rows = [_assoc_row(ctx, a) for a in _assignments(ctx.store).rows.values()]
            return ctx.json({"rows": rows, "total": len(rows)})
        task = ctx.store.task(wanted)
        if task is None:
            raise ApiError.coded(404, None, f"Task Entity Not Found: Key: taskGuid; Value: {wanted}")
        by_resource = {a["languageResourceId"]: a for a in assigned(ctx.store, task)}
        rows = [_task_row(ctx, task, res, by_resource.get(res["id"])) for res in RESOURCES if fits(res, task)]
    return ctx.json({"rows": rows, "total": len(rows)})


def assoc_create(ctx: Ctx, _: re.Match[str]) -> Response:
    data = ctx.req.data()
    with ctx.store.lock:
        state = _assignments(ctx.store)
        res = resource(data.get("languageResourceId"))
        if res is None:
            raise ApiError.coded(
                409, "E1050", "Referenced language resource not found.",
                errors={"languageResourceId": ["The chosen language resource does not exist."]},
            )  # fmt: skip
        task = ctx.store.task(str(data.get("taskGuid") or ""))
        if task is None:
            raise ApiError.coded(422, "E1003", "The task does not exist.", errors={"taskGuid": ["not found"]})
        existing = next((a for a in assigned(ctx.store, task) if a["languageResourceId"] == res["id"]), None)
        if existing is None:  # translate5 checks neither languages nor customer here (§160)
            updateable = str(data.get("segmentsUpdateable")).lower() in ("1", "true") and res["writable"]
            existing = {
                "id": state.next_id,
                "languageResourceId": res["id"],
                "taskGuid": task.guid,
                "segmentsUpdateable": int(updateable),
            }
            state.rows[state.next_id] = existing
            state.next_id += 1
        return ctx.json({"rows": _assoc_row(ctx, existing)})


def assoc_delete(ctx: Ctx, match: re.Match[str]) -> Response:
    with ctx.store.lock:
        state = _assignments(ctx.store)
        assoc = state.rows.get(int(match.group(1)))
        if assoc is not None:
            task = ctx.store.task(assoc["taskGuid"])
            if task is not None and task.row.get("locked"):  # an operation or import holds the task
                raise ApiError.coded(
                    409,
                    "E1050",
                    "The Task is in use, the language resource can not be removed from the task!",
                )
            del state.rows[assoc["id"]]
    return empty_response()  # also for an association that is already gone (§119)


ROUTES: list[Route] = [
    route("GET", r"/editor/languageresourceinstance", instances),
    route("GET", r"/editor/languageresourcetaskassoc", assoc_list),
    route("POST", r"/editor/languageresourcetaskassoc", assoc_create),
    route("DELETE", r"/editor/languageresourcetaskassoc/(\d+)", assoc_delete),
]
