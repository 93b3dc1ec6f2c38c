"""Helpers for the example-DAG tests: a plain module, so test modules need not import from conftest."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "example_dags"
SAMPLE_CONTENT = EXAMPLE_DAGS / "sample_content"

#: Imports take 0.1 s, workflows end by themselves 0.5 s after the import, waits check every 0.2 s.
FAST_SIMULATOR = {"import_duration": 0.1, "workflow_auto_finish": 0.5}
FAST_POKE_INTERVAL = "0.2"


def parse_example_dags() -> Any:
    """Parse ``example_dags/`` the way the DAG processor does (bundle folder on ``sys.path``)."""
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=str(EXAMPLE_DAGS), bundle_path=EXAMPLE_DAGS, bundle_name="dags-folder")


@dataclass
class ExampleRun:
    """What a user looks at after a run: the run state, task states and return values."""

    dag_id: str
    run_id: str
    state: str
    states: dict[tuple[str, int], str]

    def xcom(self, task_id: str, map_index: int = -1, key: str = "return_value") -> Any:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            row = session.scalars(
                select(XComModel).where(
                    XComModel.dag_id == self.dag_id,
                    XComModel.run_id == self.run_id,
                    XComModel.task_id == task_id,
                    XComModel.map_index == map_index,
                    XComModel.key == key,
                )
            ).first()
            return None if row is None else XComModel.deserialize_value(row)

    def task_states(self, task_id: str) -> list[str]:
        return [state for (tid, _), state in sorted(self.states.items()) if tid == task_id]

    def taken(self) -> list[list[str]]:
        """The items the roundtrip took, by batch: what each batch's upload ordered or re-attached."""
        return [[item["task_name"] for item in batch] for batch in self.uploads()]

    def taken_items(self) -> list[dict[str, Any]]:
        """Every item the uploads returned: ``foreign_id``, ``task_name``, ``tasks`` with ``target_lang``."""
        return [item for batch in self.uploads() for item in batch]

    def uploads(self) -> list[list[dict[str, Any]]]:
        batches = self.xcom("find_changed_content") or []
        return [self.xcom("translate.upload", index, key="items") for index in range(len(batches))]


ExampleRunner = Callable[..., ExampleRun]


def sample_items() -> list[str]:
    return sorted(str(p.relative_to(SAMPLE_CONTENT)) for p in SAMPLE_CONTENT.rglob("*") if p.is_file())


def uri(path: Path) -> str:
    return path.as_uri()


def files_below(folder: Path) -> list[str]:
    return sorted(os.path.relpath(p, folder) for p in folder.rglob("*") if p.is_file())
