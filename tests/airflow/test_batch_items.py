"""Many items in one task instance: the export delivers each item of the upload's result under a destination
pattern, all or nothing per item, without looking the tasks up again."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from t5support import RecordingTaskInstance, wait_imported

from airflow_provider_translate5.client import Translate5Client
from airflow_provider_translate5.operators import Translate5ExportOperator

from t5dags import polled_ids

pytestmark = pytest.mark.integration


def context() -> Any:
    return {"ti": RecordingTaskInstance()}


@pytest.fixture
def client(sim: Any) -> Translate5Client:
    return Translate5Client(sim.base_url, sim.token)


@pytest.fixture
def uploaded(
    sim: Any, client: Translate5Client, source_file: Callable[..., Path]
) -> Callable[[int], list[dict[str, Any]]]:
    """``uploaded(n)``: n pages ordered in de and fr, imported, as the upload's ``items`` describe them."""

    def upload(count: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        ids: list[int] = []
        for number in range(count):
            page = source_file(f"page{number}.html", f"<p>Page {number}.</p>")
            project = client.create_task(
                page, task_name=f"Page {number}", source_lang="en", target_lang=["de", "fr"]
            )
            languages = {lang.id: lang.rfc5646 for lang in client.list_languages()}
            tasks = [
                {"id": t.id, "target_lang": languages[t.target_lang or 0]} for t in project.project_tasks
            ]
            items.append({"foreign_id": f"cms:page-{number}", "id": project.id, "tasks": tasks})
            ids += project.task_ids
        wait_imported(client, ids)
        sim.requests.clear()
        return items

    return upload


def test_each_item_lands_under_its_own_folder_per_language_without_lookups(
    sim: Any, uploaded: Callable[[int], list[dict[str, Any]]], tmp_path: Path
) -> None:
    items = uploaded(3)
    out = tmp_path / "out"

    result = Translate5ExportOperator(
        task_id="export",
        items=items,
        destination=f"{out}/{{foreign_id}}/{{target_lang}}/",
        format="filetranslation",
        concurrency=2,
    ).execute(context())

    for number in range(3):
        folder = out / f"cms:page-{number}"
        assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
            "de",
            f"de/page{number}_de.html",
            "fr",
            f"fr/page{number}_fr.html",
        ]
        assert f"[de] Page {number}." in (folder / "de" / f"page{number}_de.html").read_text(encoding="utf-8")
    assert [r["foreign_id"] for r in result] == ["cms:page-0", "cms:page-1", "cms:page-2"]
    first = result[0]
    assert [(t["target_lang"], [Path(u).name for u in t["uris"]]) for t in first["tasks"]] == [
        ("de", ["page0_de.html"]),
        ("fr", ["page0_fr.html"]),
    ]
    assert sorted(Path(u).name for u in first["uris"]) == ["page0_de.html", "page0_fr.html"]
    # six downloads and nothing else: the ids and languages came with the items
    assert [r.path for r in sim.requests if not r.path.startswith("/editor/task/export/")] == []
    assert sim.requests.count("GET", prefix="/editor/task/export/") == 6


def test_an_item_that_fails_leaves_its_folders_unchanged_and_fails_the_task(
    sim: Any, uploaded: Callable[[int], list[dict[str, Any]]], tmp_path: Path
) -> None:
    items = uploaded(3)
    out = tmp_path / "out"
    broken = items[1]["tasks"][1]["id"]  # the second language of the second item
    sim.faults.fail_next(1, status=404, message="Task not found", path=f"/editor/task/export/id/{broken}")

    with pytest.raises(AirflowFailException):
        Translate5ExportOperator(
            task_id="export",
            items=items,
            destination=f"{out}/{{foreign_id}}/{{target_lang}}/",
            format="filetranslation",
            concurrency=1,
        ).execute(context())

    delivered = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert delivered == ["cms:page-0/de/page0_de.html", "cms:page-0/fr/page0_fr.html"]  # item 0 complete
    assert not (out / "cms:page-1").exists()  # item 1: its German file was staged, never delivered
    assert sim.requests.count("GET", prefix=f"/editor/task/export/id/{items[2]['tasks'][0]['id']}") == 0


@pytest.mark.parametrize(
    ("destination", "problem"),
    [
        ("{root}/out/", "the same folder"),  # every item into one folder: names would collide
        ("{root}/out/{target_lang}/", "the same folder"),
        ("{root}/out/{foreign_id}/", None),
    ],
)
def test_items_sharing_a_folder_are_refused_before_any_download(
    sim: Any,
    uploaded: Callable[[int], list[dict[str, Any]]],
    tmp_path: Path,
    destination: str,
    problem: str | None,
) -> None:
    items = uploaded(2)
    operator = Translate5ExportOperator(
        task_id="export",
        items=items,
        destination=destination.replace("{root}", str(tmp_path)),
        format="filetranslation",
    )
    if problem is None:
        assert len(operator.execute(context())) == 2
        return
    with pytest.raises(AirflowFailException, match=problem) as caught:
        operator.execute(context())

    assert "items[0] (foreign_id 'cms:page-0') and items[1] (foreign_id 'cms:page-1')" in str(caught.value)
    assert len(sim.requests) == 0
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("foreign_id", "nested"),
    [("..", None), ("a/../../b", None), ("", None), ("blog/2024/post", "blog/2024/post/de")],
)
def test_a_placeholder_value_never_leaves_the_destination(
    sim: Any,
    uploaded: Callable[[int], list[dict[str, Any]]],
    tmp_path: Path,
    foreign_id: str,
    nested: str | None,
) -> None:
    [item] = uploaded(1)
    item["foreign_id"] = foreign_id
    operator = Translate5ExportOperator(
        task_id="export",
        items=[item],
        destination=f"{tmp_path}/out/{{foreign_id}}/{{target_lang}}",
        format="filetranslation",
    )
    if nested is not None:  # slashes nest folders under the destination
        operator.execute(context())
        assert (tmp_path / "out" / nested / "page0_de.html").is_file()
        return
    with pytest.raises(AirflowFailException, match="cannot name a folder"):
        operator.execute(context())
    assert len(sim.requests) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"items": [], "destination": "out/{foreign_ide}/"}, "unknown placeholder {foreign_ide}"),
        ({"items": [], "destination": "out/{target_lang!r}/"}, "unknown placeholder {target_lang!r}"),
        ({"items": [], "destination": "s3://{foreign_id}/out/"}, "placeholders belong in the path"),
        ({"translate5_task_id": 7, "destination": "out/{target_lang}/"}, "items=upload.output"),
        ({"destination": "out/"}, "give translate5_task_id"),
        ({"items": [], "translate5_task_id": 7, "destination": "out/"}, "give translate5_task_id"),
        ({"items": [], "destination": "out/", "concurrency": 0}, "concurrency must be a positive integer"),
    ],
)
def test_a_destination_pattern_that_cannot_work_fails_when_the_dag_is_parsed(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Translate5ExportOperator(task_id="export", **kwargs)


# -- the upload: many items in one task instance ----------------------------------------------------------


def upload_items(**kwargs: Any) -> Any:
    """A fresh upload operator (every Airflow try parses the DAG anew), en -> de + fr unless told."""
    kwargs.setdefault("source_lang", "en")
    kwargs.setdefault("target_lang", ["de", "fr"])
    kwargs.setdefault("create_grace", 0.3)
    from airflow_provider_translate5.operators import Translate5UploadTaskOperator

    return Translate5UploadTaskOperator(task_id="upload", **kwargs)


@pytest.fixture
def pages(source_file: Callable[..., Path]) -> list[dict[str, Any]]:
    """Three items as a task listing a content drop would hand them over (their own foreign ids)."""
    return [
        {
            "source": str(source_file(f"page{n}.html", f"<p>Page {n}.</p>")),
            "foreign_id": f"cms:page-{n}",
            "task_name": f"Page {n}",
        }
        for n in range(3)
    ]


def live_units(client: Translate5Client) -> dict[str, list[int]]:
    """The projects/tasks translate5 holds per foreignId (project tasks count as their project)."""
    units: dict[str, set[int]] = {}
    for row in client.list_tasks().rows:
        units.setdefault(row.foreign_id or "", set()).add(row.project_id or row.id)
    return {key: sorted(ids) for key, ids in units.items()}


def test_many_items_are_created_with_one_lookup_before_and_one_after(
    sim: Any, client: Translate5Client, pages: list[dict[str, Any]]
) -> None:
    result = upload_items(items=pages, concurrency=2).execute(context())
    # the DAG's own foreign ids may exist from an earlier run: one lookup for all before, one check after
    assert sim.requests.count("GET", "/editor/task") == 2
    assert sim.requests.count("POST", "/editor/task") == 3

    assert [item["foreign_id"] for item in result["items"]] == ["cms:page-0", "cms:page-1", "cms:page-2"]
    assert [[t["target_lang"] for t in item["tasks"]] for item in result["items"]] == [["de", "fr"]] * 3
    assert result["task_ids"] == [t["id"] for item in result["items"] for t in item["tasks"]]
    assert not any(item["reattached"] for item in result["items"])
    assert live_units(client) == {item["foreign_id"]: [item["id"]] for item in result["items"]}
    rows = {row.id: row for row in client.list_tasks().rows}
    for item in result["items"]:  # the tasks are the project's, in the languages named
        assert {rows[t["id"]].project_id for t in item["tasks"]} == {item["id"]}
        assert [rows[t["id"]].task_name.rsplit(" / ", 1)[1] for t in item["tasks"]] == ["de", "fr"]


def test_derived_keys_at_the_first_try_are_neither_looked_up_nor_checked(
    sim: Any, client: Translate5Client, pages: list[dict[str, Any]]
) -> None:
    items = [{key: value for key, value in page.items() if key != "foreign_id"} for page in pages]

    result = upload_items(items=items).execute(context())
    assert sim.requests.count("GET", "/editor/task") == 0
    assert sim.requests.count("POST", "/editor/task") == 3

    keys = [item["foreign_id"] for item in result["items"]]
    assert keys == [f"airflow:tests/manual__2024-01-01T00:00:00+00:00/task#{n}" for n in range(3)]
    assert sorted(live_units(client)) == sorted(keys)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"source": "/nowhere/page.html"},
            "items[1] (foreign_id 'cms:page-1'): import file '/nowhere/page.html'",
        ),
        ({"target_lang": ["de", "xx-INVALID"]}, "items[1] (foreign_id 'cms:page-1'): "),
        ({"target_lang": ["de", "DE"]}, "items[1] (foreign_id 'cms:page-1'): target_lang names the same"),
        ({"task_name": ""}, "items[1] (foreign_id 'cms:page-1'): task_name is missing"),
        (
            {"foreign_id": "cms:page-0"},
            "items[0] (foreign_id 'cms:page-0') and items[1] (foreign_id 'cms:page-0')",
        ),
        ({"foreign_id": "x" * 121}, "foreign_id is 121 characters long"),
        ({"target": "de"}, "items[1] has unknown key(s) 'target'"),
        ({"create_task_kwargs": "workflow=x"}, "create_task_kwargs must be a dict"),
    ],
)
def test_a_bad_item_fails_the_task_before_anything_is_created(
    sim: Any, pages: list[dict[str, Any]], change: dict[str, Any], message: str
) -> None:
    pages[1].update(change)

    with pytest.raises(AirflowFailException) as caught:
        upload_items(items=pages).execute(context())

    assert message in str(caught.value)
    assert sim.requests.count("POST", "/editor/task") == 0
    assert sim.requests.count("GET", "/editor/task") == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task_name": "A", "source_lang": "en", "target_lang": "de"}, "give source"),
        ({"items": [], "source": "a.html"}, "items carry their own source and foreign_id"),
        ({"items": [], "concurrency": 0}, "concurrency must be a positive integer"),
    ],
)
def test_an_upload_that_cannot_work_fails_when_the_dag_is_parsed(
    kwargs: dict[str, Any], message: str
) -> None:
    from airflow_provider_translate5.operators import Translate5UploadTaskOperator

    with pytest.raises(ValueError, match=re.escape(message)):
        Translate5UploadTaskOperator(task_id="upload", **kwargs)


def test_the_upload_result_flows_into_the_waits_and_the_export_without_lookups(
    sim: Any, pages: list[dict[str, Any]], tmp_path: Path
) -> None:
    from airflow_provider_translate5.sensors import Translate5ImportSensor

    uploaded = upload_items(items=pages).execute(context())
    sim.requests.clear()
    imported = Translate5ImportSensor(
        task_id="imported", translate5_task_ids=uploaded["task_ids"], poke_interval=1, timeout=30
    )
    deadline = time.monotonic() + 30
    while not imported.poke(context()).is_done:
        assert time.monotonic() < deadline
    # each look: one list request by id for all six tasks (and the import progress of at most three of
    # them while they import); no project read, no project-task list
    assert {r.path for r in sim.requests} <= {"/editor/task", "/editor/task/importprogress"}
    polls = polled_ids(sim)
    assert len(polls) == sim.requests.count("GET", "/editor/task")
    assert all(sorted(poll) == sorted(uploaded["task_ids"]) for poll in polls)
    looks = len(sim.requests)

    written = Translate5ExportOperator(
        task_id="export",
        items=uploaded["items"],
        destination=f"{tmp_path}/out/{{foreign_id}}/{{target_lang}}/",
        format="filetranslation",
    ).execute(context())

    assert len(sim.requests) == looks + 6  # the six downloads
    assert [len(item["uris"]) for item in written] == [2, 2, 2]


@pytest.mark.dagrun
@pytest.mark.parametrize(
    "translate5_simulator", [{"import_duration": 0, "workflow_auto_finish": 0}], indirect=True
)
def test_a_drop_in_batches_flows_through_the_building_blocks_at_four_requests_per_item(
    sim: Any, run_dag: Any, source_file: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The composition a CMS DAG uses: a task lists the drop in batches, each batch is one upload, one wait of
    each kind and one export task instance; the ids flow through XCom, nothing is looked up twice."""
    from airflow_provider_translate5.client import client as client_module

    monkeypatch.setattr(client_module, "_LANGUAGES", {})  # a worker process starts without the languages
    drop = [str(source_file(f"page{n}.html", f"<p>Page {n}.</p>")) for n in range(5)]
    out = tmp_path / "out"
    source = f"""
import pendulum
from airflow.sdk import DAG, task
from airflow_provider_translate5.operators import Translate5ExportOperator, Translate5UploadTaskOperator
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor

with DAG("t5_batches", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:

    @task
    def list_drop():
        items = [{{"source": path, "task_name": path.rsplit("/", 1)[1]}} for path in {drop!r}]
        return [items[:3], items[3:]]

    upload = Translate5UploadTaskOperator.partial(
        task_id="upload", source_lang="en", target_lang=["de", "fr"]
    ).expand(items=list_drop())
    # a mapped task's result is mapped over whole (Airflow maps no custom XCom key of it)
    task_ids = upload.output.map(lambda result: result["task_ids"])
    imported = Translate5ImportSensor.partial(task_id="imported", deferrable=True).expand(
        translate5_task_ids=task_ids
    )
    translated = Translate5WorkflowEndedSensor.partial(task_id="translated", deferrable=True).expand(
        translate5_task_ids=task_ids
    )
    export = Translate5ExportOperator.partial(
        task_id="export", destination="{out}/{{foreign_id}}/{{target_lang}}", format="filetranslation"
    ).expand(items=upload.output.map(lambda result: result["items"]))
    upload >> imported >> translated >> export
"""
    result = run_dag(source, "t5_batches")

    assert result.state == "success", result.output
    delivered = sorted(p.name for p in out.rglob("*.html"))
    assert delivered == sorted(f"page{n}_{lang}.html" for n in range(5) for lang in ("de", "fr"))
    counts = sim.requests.counts()
    assert counts.pop("GET /editor/language") == 1
    assert counts.pop("POST /editor/task") == 5
    assert counts.pop("GET /editor/task") == 4  # per batch: one look of each wait, for all its tasks
    assert sum(count for key, count in counts.items() if key.startswith("GET /editor/task/export/id/")) == 10
    assert len(sim.requests) == 20  # 4 per item in two languages: nothing else
