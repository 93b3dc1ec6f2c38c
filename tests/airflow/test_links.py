"""The extra links ("translate5 task", "translate5 view") in a whole DAG run: what the Airflow UI shows.

Airflow asks each link for its URL when a try ends and stores the answer in XCom. A try that never worked on
a translate5 task has no link; asking Airflow for the link's XCom there was a read of an XCom nobody pushed,
which Airflow logs as ``[error] XCom not found`` in a run that succeeds (issue 23).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from t5dags import DagRunner, dag_header

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

#: A log record at level error or above, as ``dag.test()`` prints it (structlog's console renderer).
ERROR_LINE = re.compile(r"\[(error|critical|exception)\s*\]", re.IGNORECASE)
PROJECT_ID = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"


def test_links_follow_the_translate5_task_and_a_task_without_one_logs_no_error(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    source = (
        dag_header("t5_links")
        + f"""
with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source={str(source_file("homepage.html"))!r}, task_name="Homepage",
        source_lang="en", target_lang="de",
    )
    imported = Translate5ImportSensor(
        task_id="imported", translate5_task_id={PROJECT_ID!r}, poke_interval=0.2, deferrable=True,
    )
    nothing = Translate5EndTaskOperator(task_id="end_nothing", translate5_task_ids=[])
    upload >> imported >> nothing
"""
    )
    sim.set(import_duration=1.0)  # the import sensor's first look finds it importing: it defers, then resumes
    result = run_dag(source, "t5_links")

    assert set(result.states.values()) == {"success"}, result.output[-3000:]
    assert "Deferring: waiting for translate5 task(s)" in result.output
    assert [line for line in result.output.splitlines() if ERROR_LINE.search(line)] == []
    project = result.xcom("upload")["id"]
    link = f"{sim.base_url}/editor/#project/{project}/focus"
    for task_id in ("upload", "imported"):  # the sensor's try that resumed after the triggerer keeps it
        assert result.xcom(task_id, "_link_Translate5TaskLink") == link
        assert str(result.xcom(task_id, "_link_Translate5ViewLink")).endswith(f"task_id={task_id}")
    assert result.xcom("end_nothing", "_link_Translate5TaskLink") == ""
    assert result.xcom("end_nothing", "_link_Translate5ViewLink") == ""
