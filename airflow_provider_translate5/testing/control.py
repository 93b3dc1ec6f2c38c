"""The ``/_simulator/...`` JSON control API, so an out-of-process simulator (demo, benchmarks) can be driven.

Control calls need no authentication, are not logged in ``sim.requests`` and ignore faults and latency.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from airflow_provider_translate5.testing.bodies import BodyReader
from airflow_provider_translate5.testing.protocol import ApiError, Response, plain_json

if TYPE_CHECKING:
    from airflow_provider_translate5.testing.server import Translate5Simulator

HELP = {
    "GET /_simulator": "base URL, token, knobs, pending faults, task count",
    "GET|POST /_simulator/knobs": "read / update knobs (JSON object of knob: value)",
    "GET|DELETE /_simulator/requests": "request log (method, path, query) + counts per 'METHOD path' / clear",
    "GET|POST|DELETE /_simulator/faults": "list / add ({kind, count, method, path, status, ...}) / clear",
    "POST /_simulator/sessions/expire": "forget all sessions (cookies get 401)",
    "POST /_simulator/tasks/<id>/finish_step": "finish the current workflow step of a task or project",
    "POST /_simulator/tasks/<id>/finish_workflow": "finish all steps (workflowStepName -> workflowEnded)",
    "GET /_simulator/callbacks": "import callbacks sent so far",
    "POST /_simulator/reset": "delete all tasks, sessions, faults and the request log",
}


def _body(reader: BodyReader) -> dict[str, Any]:
    raw = reader.read_all()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ApiError.coded(400, None, "control API bodies must be JSON") from None
    if not isinstance(value, dict):
        raise ApiError.coded(400, None, "control API bodies must be JSON objects")
    return value


def handle(sim: Translate5Simulator, method: str, path: str, reader: BodyReader) -> Response:
    try:
        return _dispatch(sim, method, path.rstrip("/"), _body(reader))
    except ApiError as err:
        return plain_json(err.payload, err.status)
    except (ValueError, TypeError, KeyError) as err:
        return plain_json({"success": False, "errorMessage": str(err)}, 400)


def _dispatch(sim: Translate5Simulator, method: str, path: str, body: dict[str, Any]) -> Response:
    if path == "/_simulator" and method == "GET":
        return plain_json(sim.describe() | {"endpoints": HELP})
    if path == "/_simulator/knobs":
        if method in ("POST", "PUT"):
            sim.set(**body)
        return plain_json(sim.config.as_dict())
    if path == "/_simulator/requests":
        if method == "DELETE":
            sim.requests.clear()
        records = [r._asdict() for r in sim.requests]
        return plain_json({"requests": records, "counts": sim.requests.counts()})
    if path == "/_simulator/faults":
        if method == "POST":
            options = dict(body)
            kind = options.pop("kind")
            count = int(options.pop("count", 1))
            sim.faults.add(kind, count, **options)
        elif method == "DELETE":
            sim.faults.clear()
        return plain_json({"faults": [f.as_dict() for f in sim.faults.pending()]})
    if path == "/_simulator/sessions/expire" and method == "POST":
        sim.faults.expire_sessions()
        return plain_json({"success": True})
    if path == "/_simulator/callbacks":
        return plain_json({"callbacks": sim.callbacks})
    if path == "/_simulator/reset" and method == "POST":
        sim.reset()
        return plain_json({"success": True})
    action = re.fullmatch(r"/_simulator/tasks/(\d+)/(finish_step|finish_workflow)", path)
    if action and method == "POST":
        task_id, what = int(action.group(1)), action.group(2)
        row = sim.finish_step(task_id) if what == "finish_step" else sim.finish_workflow(task_id)
        return plain_json({"rows": row})
    raise ApiError.coded(404, None, f"unknown control endpoint {method} {path}")
