"""Many items in one task instance: the export delivers each item of the upload's result under a destination
pattern, all or nothing per item, without looking the tasks up again."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from t5support import RecordingTaskInstance, wait_imported

from airflow_provider_translate5.client import Translate5Client
from airflow_provider_translate5.operators import Translate5ExportOperator

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
