"""Triggers for deferred translate5 waits (run in the Airflow triggerer).

The classes are loaded on first access, so importing :mod:`.status` (which the sensors do) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_translate5.triggers.translate5 import (
        Translate5PretranslationTrigger,
        Translate5TaskStateTrigger,
    )

__all__ = ["Translate5PretranslationTrigger", "Translate5TaskStateTrigger"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from airflow_provider_translate5.triggers import translate5

        return getattr(translate5, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
