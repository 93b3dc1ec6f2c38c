"""Tolerant models: numbers as strings, flags in every spelling, PHP's [] for {}, unknown fields kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_translate5.client import (
    ImportProgress,
    Language,
    Task,
    Translate5ResponseError,
)
from airflow_provider_translate5.client.coerce import keyed_records, to_float, to_int

from .conftest import task_row

INT_FIELDS = {
    "id": "id",
    "entityVersion": "entity_version",
    "projectId": "project_id",
    "sourceLang": "source_lang",
    "targetLang": "target_lang",
    "relaisLang": "relais_lang",
    "segmentCount": "segment_count",
    "segmentFinishCount": "segment_finish_count",
}


@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_to_int_reads_ints_and_their_text_alike(number):
    assert to_int(number) == to_int(str(number)) == to_int(f" {number} ") == to_int(float(number)) == number


@given(
    st.dictionaries(st.sampled_from(sorted(INT_FIELDS)), st.integers(min_value=0, max_value=10**9)), st.data()
)
def test_task_int_fields_are_the_same_from_strings_and_numbers(values, data):
    as_strings = {key: data.draw(st.sampled_from([str(value), value])) for key, value in values.items()}
    task = Task.from_api(task_row(**as_strings))
    for key, value in values.items():
        assert getattr(task, INT_FIELDS[key]) == value
    assert task.raw == task_row(**as_strings)


def test_unparsable_numbers_are_none_not_errors():
    assert to_int("-") is None
    assert to_int(None) is None
    assert to_int([]) is None
    assert to_int(2.5) is None
    assert to_float("nan") is None
    assert to_float("0.25") == 0.25


def test_task_tolerates_missing_fields_and_keeps_unknown_ones():
    task = Task.from_api({"id": "3", "wordCount": "-", "pluginField": {"a": 1}})
    assert (task.id, task.task_guid, task.state, task.entity_version, task.workflow) == (
        3,
        "",
        "",
        None,
        None,
    )
    assert task.raw["wordCount"] == "-"
    assert task.raw["pluginField"] == {"a": 1}
    assert task.project_tasks == []
    assert task.last_errors == []
    assert task.workflow_progress_summary == []
    assert "raw" not in repr(task)


def test_task_details():
    task = Task.from_api(
        task_row(
            taskProgress="0.5",
            lastErrors=[{"message": "<b>import</b> failed"}, "plain"],
            workflowProgressSummary=[
                {
                    "workflowStep": "translation",
                    "status": "finished",
                    "progress": "100",
                    "segmentWorkCount": {"edited": "3", "confirmed": 2, "sum": 5},
                },
                {"workflowStep": "reviewing", "status": "open", "progress": 0, "segmentWorkCount": []},
            ],
        )
    )
    assert task.task_progress == 0.5
    assert task.last_errors == ["import failed", "plain"]
    first, second = task.workflow_progress_summary
    assert (first.workflow_step, first.status, first.progress) == ("translation", "finished", 100.0)
    assert first.segment_work_count == {"edited": 3, "confirmed": 2, "sum": 5}
    assert second.segment_work_count == {}


def test_project_tasks_as_object_or_list_or_keyed_object():
    single = Task.from_api({**task_row(9), "projectTasks": task_row(9)})
    assert [t.id for t in single.project_tasks] == [9]
    assert single.task_ids == [9]
    project_rows = [task_row(21, projectId=20), task_row(22, projectId=20)]
    listed = Task.from_api({**task_row(20, taskType="project"), "projectTasks": project_rows})
    keyed = Task.from_api(
        {**task_row(20, taskType="project"), "projectTasks": {"21": project_rows[0], "22": project_rows[1]}}
    )
    assert listed.task_ids == keyed.task_ids == [21, 22]
    assert listed.is_project
    assert Task.from_api(task_row(5)).with_project_tasks().task_ids == [5]


def test_a_non_object_is_a_response_error():
    with pytest.raises(Translate5ResponseError, match="expected a task object from translate5, got list"):
        Task.from_api(["not", "a", "task"])  # type: ignore[arg-type]


def test_import_progress_parse():
    assert ImportProgress.parse([]) is None
    assert ImportProgress.parse({}) is None
    assert ImportProgress.parse(None) is None
    progress = ImportProgress.parse({"progress": "12.5", "workersDone": "1", "workersTotal": "4"})
    assert progress is not None
    assert (progress.progress, progress.workers_done, progress.workers_total) == (
        12.5,
        1,
        4,
    )


def test_language_from_strings():
    language = Language.from_api(
        {"id": "4", "lcid": "1031", "rfc5646": "de", "langName": "German", "rtl": "0"}
    )
    assert (language.id, language.lcid, language.rfc5646, language.name) == (4, 1031, "de", "German")


def test_keyed_records_shapes():
    assert keyed_records([{"a": 1}, "x"]) == [(None, {"a": 1})]
    assert keyed_records({"1": {"a": 1}}) == [("1", {"a": 1})]
    assert keyed_records({"id": 1}) == [(None, {"id": 1})]
    assert keyed_records({}) == []
    assert keyed_records([]) == []
    assert keyed_records(None) == []
