"""The task states and workflow steps translate5 reports, named as translate5 names them.

Read from translate5's ``editor_Models_Task`` (``STATE_*``, ``isImporting``, ``isSpecialExportState``) and
``editor_Task_Operation`` (``getAllOperations``). What each state means for a wait is decided in
:mod:`airflow_provider_translate5.status`; this module only names them, so the client can be used without it.
"""

from __future__ import annotations

from typing import Final


class TaskState:
    """translate5 task ``state`` values, alone and in the groups a waiting step has to tell apart."""

    OPEN: Final = "open"
    UNCONFIRMED: Final = "unconfirmed"
    END: Final = "end"
    #: Also a task created with ``autoStartImport=0`` that waits for its ``/import`` call.
    IMPORT: Final = "import"
    PREPARATION: Final = "preparation"
    ERROR: Final = "error"
    #: The row of a multi-target project; its tasks carry the real states.
    PROJECT: Final = "project"
    #: Locked by an Excel export until the Excel file is re-imported.
    EXCEL_EXPORTED: Final = "ExcelExported"
    #: Locked while a translator package is exported.
    PACKAGE_EXPORT: Final = "PackageExport"

    #: ``Task::isImporting``.
    IMPORTING: Final = frozenset({IMPORT, PREPARATION})
    #: The MatchAnalysis plugin's worker (an analysis, and the one a pre-translation runs along).
    MATCH_ANALYSIS: Final = "matchanalysis"
    #: A file reimport's worker (``Task/Reimport``).
    REIMPORT: Final = "reimport"
    #: ``Task\\Operation::getAllOperations``: the task's state is the running operation.
    OPERATIONS: Final = frozenset(
        {MATCH_ANALYSIS, "autoqa", "pivotpretranslation", "tagterms", "visualexchange", REIMPORT}
    )
    #: ``Task::isSpecialExportState``: the task is locked for editing and for further operations.
    SPECIAL_EXPORTS: Final = frozenset({EXCEL_EXPORTED, PACKAGE_EXPORT})
    #: Neither done nor failed: something runs on the task (or locks it) and will end by itself or by a user.
    BUSY: Final = OPERATIONS | SPECIAL_EXPORTS
    #: An import (or operation) failed; the task never leaves this state by itself.
    FAILED: Final = frozenset({ERROR})
    #: States in which nothing runs on the task.
    SETTLED: Final = frozenset({OPEN, UNCONFIRMED, END})


class WorkflowStep:
    """``workflowStepName`` values with a meaning of their own (other steps are named by the workflow)."""

    #: A task without an open job: nobody assigned yet, or only jobs created ``waiting`` (translate5's
    #: default, part 2 §138); the first open job moves it to that job's step.
    NO_WORKFLOW: Final = "no workflow"
    #: Every step of the workflow is finished; the task ``state`` stays ``open``.
    ENDED: Final = "workflowEnded"
