"""Sensors for translate5: wait for an import or for the end of a translation workflow."""

from __future__ import annotations

from airflow_provider_translate5.sensors.translate5 import (
    Translate5ImportSensor,
    Translate5WorkflowEndedSensor,
)

__all__ = ["Translate5ImportSensor", "Translate5WorkflowEndedSensor"]
