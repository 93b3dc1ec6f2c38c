"""Bounds on what a server (or a proxy in front of it) can make the client do.

A misbehaving or hostile server must not be able to fill the disk, exhaust memory or hold a worker for ever.
The same defaults bound ZIP extraction in the operators, so one export cannot cost more as an HTTP body than
as archive members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from airflow_provider_translate5.client.errors import Translate5ValueError

#: Decoded bytes of one download (after ``Content-Encoding``), and of all members of one extracted ZIP.
DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024**3
#: Compression ratio allowed per ZIP member; text compresses ~10x, bombs 1000x and more.
DEFAULT_MAX_COMPRESSION_RATIO = 200.0
#: Members of one extracted ZIP.
DEFAULT_MAX_ZIP_MEMBERS = 10_000
#: One JSON answer. A task row is about 2-3 KB, so this holds a page of ~20,000 tasks; page larger lists.
DEFAULT_MAX_JSON_BYTES = 64 * 1024**2
#: ``Limits(deadline=DERIVED)``, the default: the overall deadline of a call follows from the client's
#: timeouts and retry policy (:func:`~airflow_provider_translate5.client.retry.derived_deadline`, about 51
#: minutes with the default timeouts and retries).
DERIVED: Final = "derived"


@dataclass(frozen=True)
class Limits:
    """Client-side limits; every field can be raised for a server that legitimately needs more.

    :param max_download_bytes: decoded bytes of one download (a gzip bomb stops here), and the unpacked
        bytes of a downloaded ZIP's members whose CRCs its check reads (members beyond are logged as not
        checked), None = unlimited.
    :param max_json_bytes: bytes of one JSON answer read into memory, None = unlimited.
    :param deadline: seconds one call may take in total (retries, backoff and a download's body included),
        however slowly the server trickles; :data:`DERIVED` (the default) = derived from the client's
        timeouts and retries; None = no overall deadline (only the per-read ``timeout``).
    """

    max_download_bytes: int | None = DEFAULT_MAX_DOWNLOAD_BYTES
    max_json_bytes: int | None = DEFAULT_MAX_JSON_BYTES
    deadline: float | Literal["derived"] | None = DERIVED

    def __post_init__(self) -> None:
        for name in ("max_download_bytes", "max_json_bytes", "deadline"):
            value = getattr(self, name)
            if name == "deadline" and value == DERIVED:
                continue
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf")
            ):
                raise Translate5ValueError(f"{name} must be a positive number or None, got {value!r}")
