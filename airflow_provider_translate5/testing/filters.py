"""ExtJS-5 ``filter``/``sort`` parameters as ZfExtended evaluates them (docs/compatibility.md, filters).

Errors are ErrorCodeExceptions with translate5's default HTTP 500 (E1220 bad JSON, E1223 unknown field,
E1224 unknown operator) - deliberately not 400, because that is what a real server answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from airflow_provider_translate5.testing.protocol import ApiError
from airflow_provider_translate5.testing.shapes import TASK_STRING_COLUMNS

T = TypeVar("T")

NUMERIC_COLUMNS = TASK_STRING_COLUMNS  # DB integer columns: sorted by value although sent as strings
OPERATORS = frozenset({"like", "in", "notInList", "eq", "gt", "gteq", "lt", "lteq", "=", "=="})

# Advanced job filters (TaskQueryFilterAndSort): filter property -> job row key.
JOB_FIELDS = {
    "userName": "userGuid",
    "workflowUserRole": "role",
    "workflowStep": "workflowStepName",
    "workflowState": "state",
    "userState": "state",
    "assignmentDate": "assignmentDate",
    "finishedDate": "finishedDate",
    "userAssocDeadline": "deadlineDate",
}


@dataclass(frozen=True)
class Rule:
    operator: str
    prop: str
    value: Any


def _decode(text: str, code: str, what: str) -> list[Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise ApiError.coded(500, code, f"Errors in parsing {what}: {text}") from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ApiError.coded(500, code, f"Errors in parsing {what}: {text}")
    return value


def parse_filters(text: str | None, fields: Iterable[str]) -> list[Rule]:
    if not text:
        return []
    known = set(fields) | set(JOB_FIELDS)
    rules = []
    for item in _decode(text, "E1220", "filters"):
        if not isinstance(item, dict):
            raise ApiError.coded(500, "E1220", f"Errors in parsing filters: {text}")
        prop = str(item.get("property", item.get("field", "")))
        operator = str(item.get("operator", item.get("type", "")))
        if prop not in known:
            raise ApiError.coded(500, "E1223", f'Illegal field "{prop}" requested')
        if operator not in OPERATORS:
            raise ApiError.coded(
                500, "E1224", f'Unkown filter operator "{operator}" from ExtJS 5 Grid Filter!'
            )  # sic: the real message (section 36)
        value = item.get("value")
        if value is None or value == [] or value == "":
            continue  # empty values skip the rule
        rules.append(Rule(operator, prop, value))
    return rules


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(left: Any, right: Any, operator: str) -> bool:
    ln, rn = _as_number(left), _as_number(right)
    a: Any
    b: Any
    if ln is not None and rn is not None:
        a, b = ln, rn
    else:
        if left is None:
            return False
        a, b = str(left).lower(), str(right).lower()  # MySQL *_ci collation
    if operator == "eq":
        return bool(a == b)
    if operator == "gt":
        return bool(a > b)
    if operator == "gteq":
        return bool(a >= b)
    if operator == "lt":
        return bool(a < b)
    return bool(a <= b)  # lteq


def _match_value(actual: Any, rule: Rule) -> bool:
    op, value = rule.operator, rule.value
    if op == "like":
        return actual is not None and str(value).lower() in str(actual).lower()
    if op in ("in", "notInList"):
        values = value if isinstance(value, list) else [value]
        hit = any(_compare(actual, v, "eq") for v in values)
        return hit if op == "in" else not hit
    if op in ("=", "=="):
        wanted = 1 if value not in (False, 0, "0", "false", "") else 0
        return int(bool(_as_number(actual))) == wanted
    return _compare(actual, value, op)


#: Columns whose raw store value is the value a list row shows: :func:`preselect` may judge them unrendered.
_RAW_COLUMNS = frozenset({"id", "projectId", "foreignId"})


def preselect(items: Sequence[T], rules: Sequence[Rule], raw: Callable[[T], Mapping[str, Any]]) -> list[T]:
    """The items an ``id``, ``projectId`` or ``foreignId`` rule keeps, judged before rows are rendered.

    Only a shortcut (rendering 30,000 task rows per list request to keep 500 of them starved the simulator
    at scale): :func:`matches` still judges the rendered rows, and the same comparison on the same values
    never drops an item it would keep. ``id in [...]`` is a set lookup instead of one comparison per value.
    """
    kept = list(items)
    for rule in rules:
        if rule.prop not in _RAW_COLUMNS or rule.operator not in ("in", "eq"):
            continue
        values = rule.value if isinstance(rule.value, list) else [rule.value]
        numbers = {_as_number(v) for v in values}
        if rule.operator == "in" and None not in numbers:
            kept = [item for item in kept if _as_number(raw(item).get(rule.prop)) in numbers]
        else:
            kept = [item for item in kept if _match_value(raw(item).get(rule.prop), rule)]
    return kept


def matches(
    row: dict[str, Any], rules: Sequence[Rule], jobs: Callable[[dict[str, Any]], list[dict[str, Any]]]
) -> bool:
    for rule in rules:
        if rule.prop in row:
            actual = row[rule.prop]
            if rule.prop == "customerId" and rule.operator == "like":
                actual = row.get("customerName", "")
            elif rule.prop == "segmentFinishCount" and rule.operator in ("gt", "gteq", "lt", "lteq", "eq"):
                editable = row.get("segmentEditableCount") or 0
                actual = round(100 * (row.get("segmentFinishCount") or 0) / editable) if editable else 0
            elif rule.prop == "orderdate" and rule.operator in ("gt", "gteq", "lt", "lteq", "eq"):
                actual = str(actual or "")[:10]
                rule = Rule(rule.operator, rule.prop, str(rule.value)[:10])
            if not _match_value(actual, rule):
                return False
        else:
            key = JOB_FIELDS[rule.prop]
            if not any(_match_value(job.get(key), rule) for job in jobs(row)):
                return False
    return True


def apply_sort(rows: list[dict[str, Any]], text: str | None, fields: Iterable[str]) -> list[dict[str, Any]]:
    if not text:
        return rows
    try:
        items = json.loads(text)
    except ValueError:
        return rows  # invalid sort entries are silently ignored
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return rows
    known = set(fields)
    result = rows
    for item in reversed(items):  # stable sorts applied last-key-first
        if not isinstance(item, dict) or item.get("property") not in known:
            continue
        direction = str(item.get("direction", "ASC")).upper()
        if direction not in ("ASC", "DESC"):
            continue
        result = sorted(result, key=_key_for(item["property"]), reverse=direction == "DESC")
    return result


def _key_for(prop: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    numeric = prop in NUMERIC_COLUMNS
    return lambda row: _sort_key(row.get(prop), numeric)


def _sort_key(value: Any, numeric: bool) -> tuple[int, Any]:
    """MySQL order: NULL first, numeric columns by value (they arrive as strings: "10" after "9")."""
    if value is None:
        return (0, 0)
    number = _as_number(value)
    if number is not None and (numeric or not isinstance(value, str)):
        return (1, number)
    return (2, str(value).lower())
