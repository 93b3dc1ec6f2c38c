"""Filter and sort builders accept only what translate5 understands."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_translate5.client import OPERATORS, Filter, Sort, Translate5ValueError
from airflow_provider_translate5.client.filters import (
    BOOLEAN_OPERATORS,
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


@pytest.mark.parametrize(
    ("rule", "sent_rule"),
    [
        (Filter.like("taskName", "TM2"), {"operator": "like", "property": "taskName", "value": "TM2"}),
        (Filter.in_("id", (1, 2)), {"operator": "in", "property": "id", "value": [1, 2]}),
        (
            Filter.not_in_list("state", ("end",)),
            {"operator": "notInList", "property": "state", "value": ["end"]},
        ),
        (Filter.eq("foreignId", "x"), {"operator": "eq", "property": "foreignId", "value": "x"}),
        (Filter.gt("id", 1), {"operator": "gt", "property": "id", "value": 1}),
        (Filter.gteq("id", 1), {"operator": "gteq", "property": "id", "value": 1}),
        (Filter.lt("id", 1), {"operator": "lt", "property": "id", "value": 1}),
        (Filter.lteq("id", 1), {"operator": "lteq", "property": "id", "value": 1}),
        (Filter.is_true("locked"), {"operator": "=", "property": "locked", "value": True}),
        (Filter.is_false("locked"), {"operator": "=", "property": "locked", "value": False}),
    ],
    ids=lambda value: value.operator if isinstance(value, Filter) else "",
)
def test_each_builder_sends_the_rule_translate5_reads(client, answer, sent, rule, sent_rule):
    # translate5's ExtJS filter: a JSON list of {operator, property, value} in the query (see
    # docs/compatibility.md#filters-and-sorting); a tuple of values goes out as a JSON list.
    answer("GET", "/editor/task", {"total": 0, "rows": []})
    client.list_tasks(filters=[rule])
    assert json.loads(sent[0].query["filter"][0]) == [sent_rule]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Filter.in_("id", []), "'in' on 'id' has an empty list; translate5 would ignore the rule"),
        (lambda: Filter.in_("id", "12"), "'in' on 'id' needs a list of values"),
        (lambda: Filter.eq("foreignId", ""), "'eq' on 'foreignId' needs a non-empty string or number"),
        (
            lambda: Filter.eq("foreignId", None),  # type: ignore[arg-type]
            "'eq' on 'foreignId' needs a non-empty string or number",
        ),
        (lambda: Filter.gt("id", float("nan")), "'gt' on 'id' needs a non-empty string or number"),
        (lambda: Filter.eq("", "x"), "a filter's property must be a non-empty string"),
        (lambda: Filter("eq", "x", {"a": 1}), "'eq' on 'x' needs a non-empty string or number"),
    ],
)
def test_values_translate5_would_silently_ignore_are_refused_naming_the_rule(make, message):
    with pytest.raises(Translate5ValueError, match=re.escape(message)):
        make()


def test_equal_rules_are_one_value_whatever_sequence_held_the_values():
    assert len({Filter.in_("id", [1, 2]), Filter.in_("id", (1, 2))}) == 1
    assert Filter.in_("id", [1, 2]) != Filter.in_("id", [2, 1])


def test_sort_is_sent_in_order_with_upper_case_directions(client, answer, sent):
    answer("GET", "/editor/task", {"total": 0, "rows": []})
    client.list_tasks(sort=[Sort.asc("taskName"), Sort("orderdate", "desc")])
    assert json.loads(sent[0].query["sort"][0]) == [
        {"property": "taskName", "direction": "ASC"},
        {"property": "orderdate", "direction": "DESC"},
    ]
    assert encode_sort([]) is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Sort("x", "up"), "sort direction must be ASC or DESC, got 'up'"),
        (lambda: Sort(" ", "ASC"), "a sort's property must be a non-empty string"),
        (lambda: encode_sort(["taskName"]), "sort entries must be Sort objects, got str"),
        (lambda: encode_filters([{"operator": "eq"}]), "filters must be Filter objects, got dict"),
    ],
)
def test_malformed_sort_and_filter_lists_are_refused_naming_the_problem(make, message):
    with pytest.raises(Translate5ValueError, match=re.escape(message)):
        make()
