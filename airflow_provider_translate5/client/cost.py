"""What a match analysis costs: the units of each match band times that band's rate, as money.

A quote is a number a person decides on, so it is computed in :class:`~decimal.Decimal` (``0.1 + 0.2`` is
``0.3``, not ``0.30000000000000004``), each band's amount is rounded to cents half up, and the total is the
sum of the rounded amounts, so the lines a person reads add up to the total shown. Nothing is guessed: a rate
that is not a finite, non-negative number, a band with units but no rate, or a rate for a band the analysis
does not have is an error naming the band, never a 0.

The bands are those of :class:`~airflow_provider_translate5.client.analysis.MatchAnalysis` (translate5's
band names from ``metaData.fields``: ``"104"`` ... ``"100"``, ``"90-99"`` ... ``"50-59"``, ``"noMatch"``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from airflow_provider_translate5.client.errors import Translate5ValueError

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CostLine:
    """One match band: ``units`` (words or characters) times ``rate`` is ``amount`` (rounded to cents)."""

    band: str
    units: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Estimate:
    """The estimated cost of an analysis: one line per band with units, and their total."""

    currency: str
    lines: tuple[CostLine, ...]
    total: Decimal

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (XCom, templates): money and rates as exact decimal text (``"12.50"``), units as
        numbers."""
        return {
            "currency": self.currency,
            "lines": [
                {
                    "band": line.band,
                    "units": _plain(line.units),
                    "rate": str(line.rate),
                    "amount": str(line.amount),
                }
                for line in self.lines
            ],
            "total": str(self.total),
        }


def read_rates(rates: Any) -> dict[str, Decimal]:
    """The rate per band, read strictly: a mapping (or its JSON text, as a rendered template gives it) of
    band name to a finite, non-negative number (``0.12``, ``"0.12"``); :class:`Translate5ValueError` names
    the band whose rate is not one."""
    if isinstance(rates, str):
        try:
            rates = json.loads(rates)
        except ValueError:
            raise Translate5ValueError(
                f"rates must be a mapping of match band to rate, or its JSON text; got {rates!r} "
                "(render a param with '| tojson')"
            ) from None
    if not isinstance(rates, Mapping) or not rates:
        raise Translate5ValueError(f"rates must map match bands to rates, got {rates!r}")
    return {str(band): _rate(str(band), value) for band, value in rates.items()}


def read_currency(currency: Any) -> str:
    """The currency the rates are in (``"EUR"``): shown with every amount, so it may not be empty."""
    text = currency.strip() if isinstance(currency, str) else ""
    if not text or text.lower() == "none":  # an unset param renders as "None"
        raise Translate5ValueError(
            f"currency must name the currency of the rates (e.g. 'EUR'), got {currency!r}"
        )
    return text


def estimate(bands: Mapping[str, float], rates: Mapping[str, Any], currency: str) -> Estimate:
    """Units per band (an analysis' ``bands``) times the rate per band.

    Every band with units needs a rate (a band without units needs none); a rate for a band the analysis
    does not list is refused too, as it is a misspelt band whose units would otherwise go unpriced.
    """
    money = read_currency(currency)
    wanted = read_rates(rates)
    unknown = sorted(set(wanted) - set(bands))
    if unknown:
        raise Translate5ValueError(
            f"rates name match band(s) {', '.join(map(repr, unknown))} that the analysis does not have; "
            f"its bands are {', '.join(map(repr, bands))}"
        )
    units = {band: _units(band, count) for band, count in bands.items()}
    unpriced = [band for band, count in units.items() if count and band not in wanted]
    if unpriced:
        shown = ", ".join(f"{band!r} ({_plain(units[band])})" for band in unpriced)
        raise Translate5ValueError(
            f"no rate for match band(s) {shown} that have units to translate; give every such band a rate "
            "(0 for free)"
        )
    lines = tuple(
        CostLine(band, count, wanted[band], (count * wanted[band]).quantize(CENT, rounding=ROUND_HALF_UP))
        for band, count in units.items()
        if count
    )
    total = sum((line.amount for line in lines), Decimal("0.00"))
    return Estimate(currency=money, lines=lines, total=total)


def _rate(band: str, value: Any) -> Decimal:
    number = None
    if isinstance(value, (int, float, str, Decimal)) and not isinstance(value, bool):
        try:  # str() keeps a float as written: Decimal("0.1"), not 0.1000000000000000055511151231257827
            number = Decimal(value.strip() if isinstance(value, str) else str(value))
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite() or number < 0:
        raise Translate5ValueError(
            f"the rate of match band {band!r} must be a finite, non-negative number, got {value!r}"
        )
    return number


def _units(band: str, count: Any) -> Decimal:
    """An analysis count (already read strictly); checked again, as a hand-made mapping may reach here."""
    if isinstance(count, bool) or not isinstance(count, (int, float, Decimal)):
        raise Translate5ValueError(f"the units of match band {band!r} are not a number: {count!r}")
    number = Decimal(str(count))
    if not number.is_finite() or number < 0:
        raise Translate5ValueError(f"the units of match band {band!r} are not a count: {count!r}")
    return number


def _plain(value: Decimal) -> int | float:
    """Units as the analysis shows them: ``34`` for 34.0, fractions kept."""
    return int(value) if value == value.to_integral_value() else float(value)
