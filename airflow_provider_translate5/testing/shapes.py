"""Which values the real translate5 sends as JSON strings: PDO hands DB columns over as strings, while a
few values computed in PHP (job ``sourceLang``/``type``, progress counters, list totals) stay numbers.

Rows are kept with Python ints internally; these helpers give them the wire shape of the recorded server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

TASK_STRING_COLUMNS = frozenset(
    {
        "id",
        "entityVersion",
        "sourceLang",
        "targetLang",
        "relaisLang",
        "workflowStep",
        "wordCount",
        "userCount",
        "referenceFiles",
        "terminologie",
        "enableSourceEditing",
        "edit100PercentMatch",
        "lockLocked",
        "emptyTargets",
        "customerId",
        "segmentCount",
        "segmentEditableCount",
        "segmentFinishCount",
        "projectId",
        "diffExportUsable",
        "reimportable",
        "fileCount",
        "presetId",
    }
)
JOB_STRING_COLUMNS = frozenset(
    {
        "id",
        "segmentEditableCount",
        "segmentFinishCount",
        "trackchangesShow",
        "trackchangesShowAll",
        "trackchangesAcceptReject",
    }
)
USER_STRING_COLUMNS = frozenset({"id", "editable"})
LANGUAGE_STRING_COLUMNS = frozenset({"id", "lcid", "rtl", "hidden"})
SEGMENT_FIELD_STRING_COLUMNS = frozenset({"id", "rankable", "editable", "width"})


def typed(row: dict[str, Any], string_columns: Iterable[str], strings: bool) -> dict[str, Any]:
    """A copy of ``row`` with the given integer columns as strings (``strings=False``: unchanged)."""
    result = dict(row)
    if not strings:
        return result
    for key in string_columns:
        value = result.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            result[key] = str(value)
    return result


def total(count: int, strings: bool) -> int | str:
    """``total`` of the task list is a string on the real server (other lists send a number)."""
    return str(count) if strings else count
