"""Typed builders for translate5's ExtJS filter and sort parameters.

What translate5 accepts is summarised in docs/compatibility.md#filters-and-sorting.

translate5 answers an unknown operator with a generic HTTP 500 (E1224) and silently *skips* a rule whose value
is empty, which turns ``id in []`` into "every task". Both are refused here, before any request is sent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_translate5.client.checks import non_empty
from airflow_provider_translate5.client.errors import Translate5ValueError

LIST_OPERATORS = frozenset({"in", "notInList"})
BOOLEAN_OPERATORS = frozenset({"=", "=="})
COMPARISON_OPERATORS = frozenset({"like", "eq", "gt", "gteq", "lt", "lteq"})
OPERATORS = LIST_OPERATORS | BOOLEAN_OPERATORS | COMPARISON_OPERATORS
DIRECTIONS = frozenset({"ASC", "DESC"})

Scalar = str | int | float | bool


def _allowed() -> str:
    return ", ".join(sorted(OPERATORS))


@dataclass(frozen=True)
class Filter:
    """One rule of the ``filter`` parameter; several rules are AND-ed by translate5."""

    operator: str
    property: str
    value: Any

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise Translate5ValueError(
                f"translate5 does not support the filter operator {self.operator!r}; use one of: {_allowed()}"
            )
        non_empty(self.property, "a filter's property")
        value = self.value
        if self.operator in LIST_OPERATORS:
            if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                raise Translate5ValueError(
                    f"filter {self.operator!r} on {self.property!r} needs a list of values"
                )
            value = tuple(value)
            if not value:
                raise Translate5ValueError(
                    f"filter {self.operator!r} on {self.property!r} has an empty list; translate5 would "
                    "ignore the rule and match every row"
                )
        elif self.operator in BOOLEAN_OPERATORS:
            value = bool(value)
        elif (
            value is None
            or value == ""
            or not isinstance(value, (str, int, float))
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            raise Translate5ValueError(
                f"filter {self.operator!r} on {self.property!r} needs a non-empty string or number "
                "(translate5 ignores empty values and would match every row)"
            )
        object.__setattr__(self, "value", value)

    @classmethod
    def like(cls, prop: str, value: str) -> Filter:
        """Substring match (translate5 wraps the value in ``%…%``)."""
        return cls("like", prop, value)

    @classmethod
    def in_(cls, prop: str, values: Iterable[Scalar]) -> Filter:
        return cls("in", prop, values)

    @classmethod
    def not_in_list(cls, prop: str, values: Iterable[Scalar]) -> Filter:
        return cls("notInList", prop, values)

    @classmethod
    def eq(cls, prop: str, value: str | int | float) -> Filter:
        return cls("eq", prop, value)

    @classmethod
    def gt(cls, prop: str, value: str | int | float) -> Filter:
        return cls("gt", prop, value)

    @classmethod
    def gteq(cls, prop: str, value: str | int | float) -> Filter:
        return cls("gteq", prop, value)

    @classmethod
    def lt(cls, prop: str, value: str | int | float) -> Filter:
        return cls("lt", prop, value)

    @classmethod
    def lteq(cls, prop: str, value: str | int | float) -> Filter:
        return cls("lteq", prop, value)

    @classmethod
    def is_true(cls, prop: str) -> Filter:
        """translate5's ``=`` operator is boolean only (value coerced to 1/0), not a generic equality."""
        return cls("=", prop, True)

    @classmethod
    def is_false(cls, prop: str) -> Filter:
        return cls("=", prop, False)

    def to_api(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"operator": self.operator, "property": self.property, "value": value}

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Filter:
        return cls(str(data.get("operator")), str(data.get("property")), data.get("value"))


@dataclass(frozen=True)
class Sort:
    """One entry of the ``sort`` parameter."""

    property: str
    direction: str = "ASC"

    def __post_init__(self) -> None:
        non_empty(self.property, "a sort's property")
        direction = str(self.direction).upper()
        if direction not in DIRECTIONS:
            raise Translate5ValueError(f"sort direction must be ASC or DESC, got {self.direction!r}")
        object.__setattr__(self, "direction", direction)

    @classmethod
    def asc(cls, prop: str) -> Sort:
        return cls(prop, "ASC")

    @classmethod
    def desc(cls, prop: str) -> Sort:
        return cls(prop, "DESC")

    def to_api(self) -> dict[str, str]:
        return {"property": self.property, "direction": self.direction}


def _encode(items: Sequence[Filter] | Sequence[Sort], kind: type[Filter | Sort], what: str) -> str | None:
    """The compact JSON translate5 reads (ExtJS style), or None for no entries; anything else is refused."""
    for item in items:
        if not isinstance(item, kind):
            raise Translate5ValueError(f"{what} must be {kind.__name__} objects, got {type(item).__name__}")
    return json.dumps([item.to_api() for item in items], separators=(",", ":")) if items else None


def encode_filters(filters: Sequence[Filter]) -> str | None:
    """The ``filter`` query value, or None when there is nothing to filter."""
    return _encode(filters, Filter, "filters")


def encode_sort(sort: Sequence[Sort]) -> str | None:
    """The ``sort`` query value, or None for the server's own order."""
    return _encode(sort, Sort, "sort entries")
