"""Tolerant conversions for translate5 JSON values.

translate5 serialises database columns inconsistently across versions and PHP builds: ``"4"`` or ``4``,
flags as ``"0"``/``"1"``/``0``/``1``/``true``, PHP's empty array as ``[]`` where an object is expected, and
placeholders such as ``wordCount: "-"``. Every model goes through these few helpers instead of repeating the
special cases per field.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from typing import Any

_TRUE_TEXT = frozenset({"1", "true", "yes", "on"})
_FALSE_TEXT = frozenset({"0", "false", "no", "off"})
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def to_int(value: Any) -> int | None:
    """``4``, ``"4"``, ``4.0`` and ``"4.0"`` give 4; anything unparsable (``"-"``, ``None``) gives None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = to_float(text)
            return int(number) if number is not None and number.is_integer() else None
    return None


def to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if number == number else None  # NaN is not a usable progress value
    return None


def to_count(value: Any) -> float | None:
    """A count or an amount a person decides on, read strictly: a finite, non-negative JSON number (or its
    plain decimal text, ``"16"``, as PHP may send a DB column); None for anything else.

    Unlike :func:`to_float`, nothing is guessed: ``"1,234"`` (a thousands separator, or a decimal comma?),
    ``""``, ``null``, ``true``, ``NaN``, ``Infinity`` and ``-500`` give None, and the caller reports them
    as an error naming the field, never as 0.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return number if math.isfinite(number) and number >= 0 else None


def to_flag(value: Any) -> bool | None:
    """A yes/no value as translate5, a connection extra or a rendered template writes it: ``True``, ``1``,
    ``"1"``, ``"true"``, ``"yes"``, ``"on"`` (any case) and their opposites; None for anything else."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE_TEXT:
        return True
    if text in _FALSE_TEXT:
        return False
    return None


def to_str(value: Any) -> str | None:
    """Strings stay, numbers become their decimal text (ids sent as numbers), everything else is None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return None


def form_value(value: Any) -> str:
    """Render a Python value as translate5 expects it in a form field (booleans as ``"1"``/``"0"``)."""
    text = to_str(value)
    if text is None:
        raise TypeError(f"cannot send a {type(value).__name__} as a form field")
    return text


def as_mapping(value: Any) -> Mapping[str, Any]:
    """PHP encodes an empty associative array as ``[]``; treat that (and None) as an empty object."""
    return value if isinstance(value, Mapping) else {}


def keyed_records(value: Any) -> list[tuple[str | None, Mapping[str, Any]]]:
    """Records that arrive as a list, as an object keyed by id, or as a single bare object.

    Returns ``(key, record)`` pairs; the key is the object key when the records were keyed (translate5 drops
    the id from some keyed entries, so callers use it as a fallback), else None.
    """
    if isinstance(value, list):
        return [(None, item) for item in value if isinstance(item, Mapping)]
    if isinstance(value, Mapping):
        if value and all(isinstance(item, Mapping) for item in value.values()):
            return [(str(key), item) for key, item in value.items()]
        if value:
            return [(None, value)]
    return []


def plain_text(value: Any) -> str:
    """Server messages may carry HTML (``<b>Fatal: …</b>``) and entities; reduce them to one clean line."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()


def excerpt(text: str, limit: int = 200) -> str:
    clean = plain_text(text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"
