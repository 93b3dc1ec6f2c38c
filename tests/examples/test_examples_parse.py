"""Every example DAG parses cleanly: no import errors, no warnings, and the shape users read about."""

from __future__ import annotations

import warnings
from typing import Any

from examples_support import parse_example_dags

TRANSLATION_TASKS = {"upload", "wait_for_import", "wait_for_translation", "export"}
#: a mapped task group per batch
BATCH_TASKS = {f"translate.{task_id}" for task_id in ("read_batch", *TRANSLATION_TASKS)}
EXPECTED = {
    "translate5_cms_roundtrip": {
        "find_changed_content",
        *BATCH_TASKS,
        "end_superseded_orders",
        "reopen_reverted_orders",
        "deliver",
        "report_failed_batches",
    },
    "translate5_rest_cms": {"fetch_entries", *TRANSLATION_TASKS, "write_back"},
    "translate5_instant_translate": {"find_changed_content", "pretranslate", "record"},
    "translate5_asset_translate": {"order", *TRANSLATION_TASKS},
    "translate5_asset_delivery": {"deliver_to_cms"},
}


def test_example_dags_import_without_errors_or_warnings() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bag = parse_example_dags()

    assert bag.import_errors == {}
    assert set(EXPECTED) <= set(
        bag.dags
    )  # other example files (e.g. translate5_analyse_approve) may add more
    for dag_id, tasks in EXPECTED.items():
        assert tasks <= set(bag.dags[dag_id].task_ids), dag_id
    assert not bag.captured_warnings
    ours = [w for w in caught if "example_dags" in str(w.filename)]
    assert ours == []


def test_waits_are_deferrable_and_delivery_runs_on_the_export_asset(example_dags: dict[str, Any]) -> None:
    dags = example_dags
    for dag_id in ("translate5_rest_cms", "translate5_asset_translate"):
        for task_id in ("wait_for_import", "wait_for_translation"):
            assert dags[dag_id].get_task(task_id).partial_kwargs["deferrable"] is True
    export = dags["translate5_asset_translate"].get_task("export")
    (asset,) = export.partial_kwargs["outlets"]
    assert dags["translate5_asset_delivery"].timetable.asset_condition.objects == (asset,)


def test_the_roundtrip_trigger_form_says_where_an_empty_field_comes_from(
    example_dags: dict[str, Any],
) -> None:
    params = example_dags["translate5_cms_roundtrip"].params
    empty = {name: params.get_param(name).description for name in params if params[name] is None}
    assert sorted(empty) == ["cms_import", "content_drop", "max_items_per_run"]
    assert "Empty: the Airflow Variable translate5_content_drop, else $AIRFLOW_HOME" in empty["content_drop"]
    assert "Empty: the Airflow Variable translate5_cms_import, else $AIRFLOW_HOME" in empty["cms_import"]
    assert "Empty: batch_size x [core] max_map_length" in empty["max_items_per_run"]
