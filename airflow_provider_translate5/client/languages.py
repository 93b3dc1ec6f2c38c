"""Language codes as translate5 accepts them, checked locally and resolved against ``/editor/language``.

translate5 turns an unknown language into 0 and only fails after the whole upload (422 E1032/E1033), so the
client resolves codes first; for a 1 GiB upload that is the difference between an instant and a late error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from airflow_provider_translate5.client.errors import Translate5ValueError
from airflow_provider_translate5.client.models import Language

_RFC5646 = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_LCID = re.compile(r"^lcid-(\d+)$", re.IGNORECASE)
_FORMATS = 'an RFC 5646 code ("de", "en-GB"), a numeric translate5 language id, or "lcid-<number>"'


def parse_language_code(code: str | int) -> tuple[str, str | int]:
    """Classify as ``("id", 4)``, ``("lcid", 1031)`` or ``("rfc5646", "en-gb")``; refuse anything else."""
    if isinstance(code, bool) or not isinstance(code, (str, int)):
        raise Translate5ValueError(f"language must be {_FORMATS}, got {code!r}")
    text = str(code).strip()
    if text.isdigit() and int(text) > 0:
        return "id", int(text)
    match = _LCID.match(text)
    if match:
        return "lcid", int(match.group(1))
    if _RFC5646.match(text):
        return "rfc5646", text.lower()
    hint = f' (did you mean "{text.replace("_", "-")}"?)' if "_" in text else ""
    raise Translate5ValueError(f"language must be {_FORMATS}, got {code!r}{hint}")


def find_language(languages: Sequence[Language], code: str | int) -> Language:
    kind, key = parse_language_code(code)
    for language in languages:
        if (
            (kind == "id" and language.id == key)
            or (kind == "lcid" and language.lcid == key)
            or (kind == "rfc5646" and language.rfc5646.lower() == key)
        ):
            return language
    similar = sorted(
        {
            lang.rfc5646
            for lang in languages
            if kind == "rfc5646" and lang.rfc5646.lower().startswith(str(key)[:2])
        }
    )
    hint = f"; similar codes on this server: {', '.join(similar[:10])}" if similar else ""
    raise Translate5ValueError(f"unknown language {code!r}: translate5 has no such language{hint}")
