"""The cost of an analysis (client.cost): units x rate per match band, as money a person approves."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from airflow_provider_translate5.client.cost import estimate, read_currency, read_rates
from airflow_provider_translate5.client.errors import Translate5ValueError

BANDS = {"101": 0, "100": 3, "90-99": 0, "noMatch": 7}


def test_amounts_are_decimal_and_rounded_half_up_to_cents() -> None:
    cost = estimate({"100": 3, "90-99": 1, "noMatch": 0}, {"100": 0.1, "90-99": "1.005"}, "EUR")

    assert cost.as_dict() == {
        "currency": "EUR",
        "lines": [  # 3 x 0.1 is 0.30 (floats say 0.30000000000000004); 1.005 rounds up (float round: 1.0)
            {"band": "100", "units": 3, "rate": "0.1", "amount": "0.30"},
            {"band": "90-99", "units": 1, "rate": "1.005", "amount": "1.01"},
        ],
        "total": "1.31",
    }


def test_the_total_is_the_sum_of_the_rounded_lines() -> None:
    cost = estimate({"100": 1, "noMatch": 1}, {"100": "0.004", "noMatch": "0.004"}, "CHF")

    assert [line.amount for line in cost.lines] == [Decimal("0.00"), Decimal("0.00")]
    assert cost.total == Decimal("0.00")  # not 0.01 from rounding the unrounded sum 0.008


def test_a_band_without_units_needs_no_rate_and_gets_no_line() -> None:
    cost = estimate(BANDS, {"100": 0.03, "noMatch": 0.18}, "EUR")

    assert [line.band for line in cost.lines] == ["100", "noMatch"]
    assert cost.total == Decimal("1.35")  # 3 x 0.03 + 7 x 0.18 = 0.09 + 1.26


def test_fractional_units_are_priced_as_given() -> None:
    cost = estimate({"noMatch": 12.5}, {"noMatch": 0.2}, "EUR")

    assert cost.as_dict()["lines"] == [{"band": "noMatch", "units": 12.5, "rate": "0.2", "amount": "2.50"}]


def test_a_band_with_units_but_no_rate_is_an_error_never_0() -> None:
    with pytest.raises(Translate5ValueError, match=r"no rate for match band\(s\) 'noMatch' \(7\)"):
        estimate(BANDS, {"100": 0.03}, "EUR")


def test_a_rate_for_a_band_the_analysis_does_not_have_is_an_error() -> None:
    with pytest.raises(Translate5ValueError, match=r"'90-100'.*its bands are '101', '100', '90-99'"):
        estimate(BANDS, {"100": 0.03, "noMatch": 0.18, "90-100": 0.09}, "EUR")


@pytest.mark.parametrize(
    "rate", [float("nan"), float("inf"), -0.01, "-1", "1,5", "", "NaN", "Infinity", True, None, [0.1]]
)
def test_a_rate_that_is_not_a_finite_non_negative_number_names_its_band(rate: Any) -> None:
    with pytest.raises(Translate5ValueError, match=r"the rate of match band '90-99' must be a finite"):
        read_rates({"100": 0.03, "90-99": rate})


def test_rates_come_as_a_mapping_or_its_json_text() -> None:
    assert read_rates('{"100": 0.03, "noMatch": "0.18"}') == {
        "100": Decimal("0.03"),
        "noMatch": Decimal("0.18"),
    }
    assert read_rates({"100": 0, "noMatch": 1}) == {"100": Decimal(0), "noMatch": Decimal(1)}
    with pytest.raises(Translate5ValueError, match=r"\| tojson"):
        read_rates("{'100': 0.03}")  # "{{ params.rates }}" renders Python's text, not JSON
    with pytest.raises(Translate5ValueError, match="must map match bands to rates"):
        read_rates({})
    with pytest.raises(Translate5ValueError, match="must map match bands to rates"):
        read_rates("[0.03]")


@pytest.mark.parametrize("currency", ["", "  ", None, "None", 978])
def test_the_currency_must_be_named(currency: Any) -> None:
    with pytest.raises(Translate5ValueError, match="currency must name"):
        read_currency(currency)
    with pytest.raises(Translate5ValueError, match="currency must name"):
        estimate(BANDS, {"100": 0.03, "noMatch": 0.18}, currency)
