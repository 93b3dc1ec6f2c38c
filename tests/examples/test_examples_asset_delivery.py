"""``translate5_asset_translate`` emits an asset event; ``translate5_asset_delivery`` delivers it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examples_support import ExampleRunner, files_below, uri

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The export and CMS import folders, configured the way an operator would: Airflow Variables."""
    exports, cms_import = tmp_path / "exports", tmp_path / "cms-import"
    monkeypatch.setenv("AIRFLOW_VAR_TRANSLATE5_EXPORT_FOLDER", uri(exports))
    monkeypatch.setenv("AIRFLOW_VAR_TRANSLATE5_CMS_IMPORT", uri(cms_import))
    return exports, cms_import


def asset_events() -> list[Any]:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        events = session.scalars(select(AssetEvent).order_by(AssetEvent.id)).all()
        session.expunge_all()
        return list(events)


def unpause(dag_id: str, bag: Any) -> None:
    """What a user does in the UI (asset events start only unpaused DAGs); the DAG must be in the DB first."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import update

    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(bag, "dags-folder", None)
    with create_session() as session:
        session.execute(update(DagModel).where(DagModel.dag_id == dag_id).values(is_paused=False))


def queued_dag_ids() -> set[str]:
    """DAGs the scheduler would start because of asset events."""
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return set(session.scalars(select(AssetDagRunQueue.target_dag_id)))


def test_export_events_start_the_delivery_dag_which_delivers_every_pending_export(
    run_example: ExampleRunner,
    content_drop: Path,
    folders: tuple[Path, Path],
    example_dag_bag: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exports, cms_import = folders
    unpause("translate5_asset_delivery", example_dag_bag)
    known = {event.id for event in asset_events()}
    sources = [uri(content_drop / "pages/about-us.html"), uri(content_drop / "blog/2026-11-release-notes.md")]

    translated = run_example("translate5_asset_translate", sources=sources)

    assert translated.state == "success", translated.states
    events = sorted((e for e in asset_events() if e.id not in known), key=lambda e: e.source_map_index)
    assert [(e.source_task_id, e.source_map_index) for e in events] == [("export", 0), ("export", 1)]
    for index, event in enumerate(events):
        assert event.extra["uris"] == translated.xcom("export", map_index=index)
        assert event.extra["translate5_task_id"] == translated.xcom("upload", map_index=index)["id"]
    assert "translate5_asset_delivery" in queued_dag_ids()
    assert cms_import.exists() is False  # nothing delivered before the delivery DAG ran

    # The scheduler would create an asset-triggered run that consumed these events; dag.test() creates a
    # manual run, so hand it the events the same way. Airflow may hand exports finishing together to one
    # run or to several: this run gets only the first event, and still delivers both exports.
    import airflow.models.dagrun as dagrun_module

    create_run = dagrun_module.get_or_create_dagrun

    def run_consuming_the_events(**kwargs: Any) -> Any:
        dag_run = create_run(**kwargs)
        dag_run.consumed_asset_events.append(kwargs["session"].merge(events[0]))
        kwargs["session"].commit()
        return dag_run

    monkeypatch.setattr(dagrun_module, "get_or_create_dagrun", run_consuming_the_events)
    delivered = run_example("translate5_asset_delivery")

    assert delivered.state == "success", delivered.states
    names = ("2026-11-release-notes.md", "about-us.html")
    expected = [f"{lang}/{name}" for lang in ("de", "fr") for name in names]
    assert files_below(cms_import) == expected
    assert sorted(delivered.xcom("deliver_to_cms")) == [uri(cms_import / name) for name in expected]
    html = (cms_import / "fr/about-us.html").read_text(encoding="utf-8")
    assert "<h1>[fr] About Alpine Outfitters</h1>" in html
    assert all(file.startswith(uri(exports)) for event in events for file in event.extra["uris"])
    assert files_below(exports) == []  # delivered exports leave the export folder: what is there is pending

    again = run_example("translate5_asset_delivery")  # the run for the second event finds nothing left

    assert again.state == "success", again.states
    assert again.xcom("deliver_to_cms") == []
