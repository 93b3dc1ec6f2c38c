"""Filter and sort builders accept only what translate5 understands."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_translate5.client import OPERATORS, Filter, Sort, Translate5ValueError
from airflow_provider_translate5.client.filters import (
    BOOLEAN_OPERATORS,
    COMPARISON_OPERATORS,
    LIST_OPERATORS,
    encode_filters,
    encode_sort,
)

properties = st.text(min_size=1, max_size=20).filter(str.strip)
scalars = st.one_of(
    st.text(min_size=1, max_size=20),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
)


@st.composite
def filters(draw: st.DrawFn) -> Filter:
    operator = draw(st.sampled_from(sorted(OPERATORS)))
    prop = draw(properties)
    if operator in LIST_OPERATORS:
        return Filter(operator, prop, draw(st.lists(scalars, min_size=1, max_size=5)))
    if operator in BOOLEAN_OPERATORS:
        return Filter(operator, prop, draw(st.booleans()))
    return Filter(operator, prop, draw(scalars))


@given(st.lists(filters(), max_size=5))
def test_filters_survive_a_json_round_trip(rules):
    encoded = encode_filters(rules)
    if not rules:
        assert encoded is None
        return
    assert encoded is not None
    decoded = [Filter.from_api(item) for item in json.loads(encoded)]
    assert decoded == rules


@given(st.text(max_size=10).filter(lambda op: op not in OPERATORS), properties)
def test_unknown_operators_are_refused(operator, prop):
    with pytest.raises(Translate5ValueError) as caught:
        Filter(operator, prop, "x")
    assert repr(operator) in str(caught.value)
    assert "notInList" in str(caught.value)


@pytest.mark.parametrize("operator", ["neq", "notlike", "orlist", "list", "isNull", "EQ"])
def test_operators_translate5_rejects_are_refused(operator):
    with pytest.raises(Translate5ValueError, match="does not support"):
        Filter(operator, "state", "open")


def test_builders_produce_translate5_operators():
    built = [
        Filter.like("taskName", "TM2"),
        Filter.in_("id", [1, 2]),
        Filter.not_in_list("state", ("end",)),
        Filter.eq("foreignId", "x"),
        Filter.gt("id", 1),
        Filter.gteq("id", 1),
        Filter.lt("id", 1),
        Filter.lteq("id", 1),
        Filter.is_true("locked"),
        Filter.is_false("locked"),
    ]
    assert [rule.operator for rule in built] == [
        "like",
        "in",
        "notInList",
        "eq",
        "gt",
        "gteq",
        "lt",
        "lteq",
        "=",
        "=",
    ]
    assert {rule.operator for rule in built} <= OPERATORS
    assert built[1].to_api() == {"operator": "in", "property": "id", "value": [1, 2]}
    assert built[8].to_api()["value"] is True
    assert built[9].to_api()["value"] is False


@pytest.mark.parametrize(
    "make",
    [
        lambda: Filter.in_("id", []),
        lambda: Filter.in_("id", "12"),
        lambda: Filter.eq("foreignId", ""),
        lambda: Filter.eq("foreignId", None),  # type: ignore[arg-type]
        lambda: Filter.gt("id", float("nan")),
        lambda: Filter.eq("", "x"),
        lambda: Filter("eq", "x", {"a": 1}),
    ],
)
def test_values_translate5_would_silently_ignore_are_refused(make):
    with pytest.raises(Translate5ValueError):
        make()


def test_filters_are_hashable_values():
    assert len({Filter.in_("id", [1, 2]), Filter.in_("id", (1, 2))}) == 1
    assert COMPARISON_OPERATORS.isdisjoint(LIST_OPERATORS)


def test_sort():
    assert encode_sort([Sort.asc("taskName"), Sort("orderdate", "desc")]) == (
        '[{"property":"taskName","direction":"ASC"},{"property":"orderdate","direction":"DESC"}]'
    )
    assert encode_sort([]) is None
    with pytest.raises(Translate5ValueError):
        Sort("x", "up")
    with pytest.raises(Translate5ValueError):
        encode_sort(["taskName"])  # type: ignore[list-item]
    with pytest.raises(Translate5ValueError):
        encode_filters([{"operator": "eq"}])  # type: ignore[list-item]
