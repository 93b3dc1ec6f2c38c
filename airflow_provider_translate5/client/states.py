"""Task states and workflow steps the provider waits on (translate5-api.md §4/§5).

Import completion is read from ``state``: translate5 has no "imported" flag, and ``importprogress`` answers
``[]`` both before the workers are queued and after they finished.
"""

from __future__ import annotations

from typing import Final


class TaskState:
    """Named sets of translate5 task states, in the style of dbt Cloud's job run status sets."""

    IMPORTING: Final = frozenset(
        {"import"}
    )  # also a task created with autoStartImport=0, waiting for the start
    IMPORT_FAILED: Final = frozenset({"error"})
    PROJECT: Final = "project"  # a multi-target project row; its tasks carry the real states
    WORKFLOW_ENDED_STEP: Final = "workflowEnded"  # workflowStepName once every workflow step is finished
    ENDED: Final = "end"

    @classmethod
    def is_import_done(cls, state: str) -> bool:
        """True for every state a task reaches after a successful import (open, unconfirmed, end, …)."""
        return (
            bool(state)
            and state not in cls.IMPORTING
            and state not in cls.IMPORT_FAILED
            and state != cls.PROJECT
        )
