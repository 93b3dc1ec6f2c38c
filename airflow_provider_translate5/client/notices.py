"""Notices on successful answers: an ``errors`` list on HTTP 200 is information, not a failure.

translate5 adds what its UI would show as a message box to the answer, e.g. ``{"type": "notice", "msg":
"Der Workflow Schritt der Aufgabe wurde zu \\"{0}\\" geändert!", "data": "Translation"}`` when a job change
moved the task's workflow step (transcripts part 1 §45, part 2 §140), untranslated German. The call worked,
so it must not fail; but a person may need to know, so every such entry is logged as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("airflow_provider_translate5.client")


def notices(payload: Any) -> list[str]:
    """The ``errors`` entries of a successful answer as text (``{0}`` filled in with ``data``)."""
    entries = payload.get("errors") if isinstance(payload, Mapping) else None
    if not isinstance(entries, list):
        return []
    texts = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            texts.append(str(entry))
            continue
        message = str(entry.get("msg") or entry.get("message") or "")
        data = entry.get("data")
        if data is not None and not isinstance(data, (Mapping, list)) and "{0}" in message:
            message = message.replace("{0}", str(data))
        elif data not in (None, "", [], {}):
            message = f"{message} ({data})"
        kind = str(entry.get("type") or "notice")
        texts.append(message if kind == "notice" else f"{kind}: {message}")
    return texts


def log_notices(payload: Any, method: str, path: str) -> None:
    """Log each notice of a successful answer to ``method path`` (already redacted) as a warning."""
    for text in notices(payload):
        log.warning("translate5 notice on %s %s: %s", method, path, text)
