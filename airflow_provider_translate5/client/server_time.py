"""Deadlines as translate5 stores them: ``YYYY-MM-DD HH:MM:SS`` in the server's local time, without a zone.

translate5 keeps no time zone with a deadline and reads none: an ISO value with ``Z`` is accepted and stored
with the zone silently dropped (transcripts part 2, §141), so ``09:30Z`` becomes 09:30 in the server's own
zone, hours off unless the server runs in UTC. No answer of the API says which zone the server runs in. So a
naive time is sent as it is (it is the server's local time), and a time WITH a zone is converted only when
the server's zone is configured (``server_timezone``, a connection extra); otherwise it is refused before any
request, never sent for translate5 to cut off.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from airflow_provider_translate5.client.errors import Translate5ValueError

#: The format of every date field of translate5 (server local time).
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
#: A date and a time to the second, ``T`` or a space between them, optionally a zone (``Z``, ``+02:00``).
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE)


def server_zone(name: str | None) -> tzinfo | None:
    """The zone translate5's server runs in, from an IANA name (``"Europe/Berlin"``); None when not set."""
    if name is None or (isinstance(name, str) and not name.strip()):
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise Translate5ValueError(
            f"server_timezone must be an IANA time zone name such as 'Europe/Berlin' or 'UTC', got {name!r}"
        ) from None


def deadline_text(value: str | datetime, zone: tzinfo | None = None, *, name: str = "deadline_date") -> str:
    """``value`` as translate5 must receive it: the server's local time, ``YYYY-MM-DD HH:MM:SS``.

    :param zone: the server's zone (``server_timezone``); a value with a zone is converted into it, and
        refused when it is None.
    """
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip() if isinstance(value, str) else ""
        if not _ISO.match(text):
            raise Translate5ValueError(
                f"{name} must be 'YYYY-MM-DD HH:MM:SS' (the translate5 server's local time) or a datetime, "
                f"got {value!r}"
            )
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.strftime(DATE_FORMAT)
    if zone is None:
        raise Translate5ValueError(
            f"{name} {value!s} carries a time zone, but translate5 stores deadlines without one: it would "
            f"drop the zone and keep {moment.strftime(DATE_FORMAT)} as the server's local time. Give the "
            "server's local time as 'YYYY-MM-DD HH:MM:SS', or set the translate5 connection's extra "
            "'server_timezone' (e.g. 'Europe/Berlin') so that the provider converts it"
        )
    return moment.astimezone(zone).strftime(DATE_FORMAT)
