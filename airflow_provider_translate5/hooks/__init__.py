"""Airflow hooks for translate5."""

from __future__ import annotations

from airflow_provider_translate5.hooks.translate5 import Translate5Hook

__all__ = ["Translate5Hook"]
