"""The content-drop helpers the example DAGs share, on a local folder and on S3 (moto server).

What counts as changed, safe repeated delivery, what a run leaves for the next one, and the refusals that
keep a misconfigured deployment from looking green.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples_support import EXAMPLE_DAGS

sys.path.insert(0, str(EXAMPLE_DAGS))  # Airflow puts the DAG folder on sys.path the same way
content_drop: Any = importlib.import_module("content_drop")


@pytest.fixture(params=["file", pytest.param("s3", marks=pytest.mark.integration)])  # s3: a moto server
def root(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An empty folder on a local disk or in an S3 bucket (where an empty "folder" does not exist)."""
    from airflow.sdk import ObjectStoragePath

    if request.param == "file":
        yield ObjectStoragePath(tmp_path.as_uri() + "/")
    else:
        s3 = request.getfixturevalue("s3")
        yield ObjectStoragePath(s3.bucket("cms") + "/")


def write(folder: Any, relative: str, text: str) -> Any:
    path = folder.joinpath(*relative.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def export(cms_import: Any, item: dict[str, Any], text: dict[str, str]) -> None:
    """What the roundtrip's export writes: one file per language under the order's key in staging."""
    stem, _, ext = item["path"].rpartition("/")[2].rpartition(".")
    for lang, body in text.items():
        write(cms_import, f".translate5-staging/{item['foreign_id']}/{lang}/{stem}_{lang}.{ext}", body)


def ordered(item: dict[str, Any], project: int) -> dict[str, Any]:
    """What the upload returns for an item (``items``): its project and a task per language."""
    tasks = [{"id": project + n, "target_lang": lang} for n, lang in enumerate(item["target_langs"], 1)]
    return {"foreign_id": item["foreign_id"], "id": project, "tasks": tasks}


def deliver(cms_import: Any, *uploads: dict[str, Any]) -> list[dict[str, Any]]:
    return list(
        content_drop.deliver_staged(cms_import, uploads, superseded_ended=True, reverted_reopened=True)
    )


def test_changed_items_skip_hidden_files_and_order_only_missing_languages(root: Any) -> None:
    drop, cms_import = root / "drop", root / "import"
    write(drop, "pages/a.html", "<p>A</p>")
    write(drop, ".b.html.part", "<p>half an upload</p>")
    write(drop, "b.md", "B")

    def changed(langs: list[str]) -> list[Any]:
        return content_drop.changed_items(drop, cms_import, "en", langs)

    first = changed(["de", "fr"])
    assert [i["path"] for i in first] == ["b.md", "pages/a.html"]  # the half-uploaded hidden file is skipped
    assert [i["source"] for i in first] == [str(drop / "b.md"), str(drop / "pages/a.html")]
    assert all(i["target_langs"] == ["de", "fr"] for i in first)
    manifest: dict[str, Any] = {}
    for item in first:
        content_drop.record_delivery(manifest, item)
    content_drop.write_manifest(cms_import, manifest)

    assert changed(["de", "fr"]) == []
    more = changed(["de", "fr", "it"])
    assert [i["target_langs"] for i in more] == [["it"], ["it"]]
    assert {i["foreign_id"] for i in more}.isdisjoint(i["foreign_id"] for i in first)  # a new order, new key
    write(drop, "b.md", "B, edited")
    assert [(i["path"], i["target_langs"]) for i in changed(["de"])] == [("b.md", ["de"])]


def test_delivery_takes_every_staged_export_and_can_be_repeated(root: Any) -> None:
    drop, cms_import = root / "drop", root / "import"
    write(drop, "a.html", "<p>A</p>")
    write(drop, "blog/b.md", "B")
    assert deliver(cms_import) == []  # nothing staged: no prefix on S3, no error

    orders = content_drop.find_orders(drop, cms_import, "en", ["de", "fr"], limit=10)
    a, b = orders.items
    export(cms_import, a, {"de": "<p>[de] A</p>", "fr": "<p>[fr] A</p>"})  # b is still in translation

    summaries = deliver(cms_import, ordered(a, 7), ordered(b, 10))

    assert summaries == [
        {
            "item": "a.html",
            "translate5_id": 7,
            "languages": {
                "de": {"file": str(cms_import / "de/a.html"), "translate5_task_id": 8},
                "fr": {"file": str(cms_import / "fr/a.html"), "translate5_task_id": 9},
            },
        }
    ]
    assert (cms_import / "fr/a.html").read_text(encoding="utf-8") == "<p>[fr] A</p>"
    assert not (cms_import / "de/blog/b.md").exists()
    manifest = content_drop.read_manifest_file(cms_import)
    assert manifest["items"]["a.html"]["languages"] == ["de", "fr"]
    assert manifest["items"]["a.html"]["translate5_task_id"] == 7
    assert list(manifest["open"]) == ["blog/b.md"]  # b's order, with its translate5 ids noted
    assert manifest["open"]["blog/b.md"]["tasks"] == {"de": 11, "fr": 12}
    assert [i["path"] for i in content_drop.changed_items(drop, cms_import, "en", ["de", "fr"])] == [
        "blog/b.md"
    ]

    export(cms_import, b, {"de": "[de] B", "fr": "[fr] B"})  # a later run exported it
    assert [s["item"] for s in deliver(cms_import)] == ["blog/b.md"]
    assert (cms_import / "de/blog/b.md").read_text(encoding="utf-8") == "[de] B"
    assert content_drop.read_manifest(cms_import)["blog/b.md"]["translate5_task_id"] == 10
    assert deliver(cms_import) == []  # delivered exports left staging
    assert content_drop.changed_items(drop, cms_import, "en", ["de", "fr"]) == []
    assert "open" not in content_drop.read_manifest_file(cms_import)


def test_an_export_missing_a_language_stays_staged_and_the_others_are_delivered(root: Any) -> None:
    drop, cms_import = root / "drop", root / "import"
    write(drop, "a.html", "<p>A</p>")
    write(drop, "b.html", "<p>B</p>")
    a, b = content_drop.find_orders(drop, cms_import, "en", ["de", "fr"], limit=10).items
    export(cms_import, a, {"de": "[de] A"})  # translate5 gave no fr file
    export(cms_import, b, {"de": "[de] B", "fr": "[fr] B"})

    with pytest.raises(ValueError, match=r"a\.html.*no file for fr"):
        deliver(cms_import)

    assert sorted(content_drop.read_manifest(cms_import)) == ["b.html"]  # b's delivery is recorded
    assert list(content_drop.staged_exports(cms_import / ".translate5-staging")) == [a["foreign_id"]]
    assert not (cms_import / "de/a.html").exists()  # not one language of it


def test_the_export_of_a_replaced_or_forgotten_order_is_never_delivered(
    root: Any, caplog: pytest.LogCaptureFixture
) -> None:
    drop, cms_import = root / "drop", root / "import"
    write(drop, "a.html", "<p>A</p>")
    write(drop, "b.html", "<p>B</p>")
    old_a, old_b = content_drop.find_orders(drop, cms_import, "en", ["de"], limit=10).items
    deliver(cms_import, ordered(old_a, 7), ordered(old_b, 10))  # their ids noted, nothing exported yet
    export(cms_import, old_a, {"de": "[de] A"})  # exported, but not delivered (say the run was stopped)
    export(cms_import, old_b, {"de": "[de] B"})
    write(drop, "a.html", "<p>A, changed</p>")  # the CMS changed a while in translation
    (drop / "b.html").unlink()  # and removed b

    orders = content_drop.find_orders(drop, cms_import, "en", ["de"], limit=10)

    assert [item["path"] for item in orders.items] == ["a.html"]
    assert orders.superseded == [8]  # old a's task, to end
    with caplog.at_level(logging.WARNING, logger="airflow.task"):
        assert deliver(cms_import) == []
    assert not (cms_import / "de").exists()  # neither stale export landed
    assert content_drop.staged_exports(cms_import / ".translate5-staging") == {}
    assert f"a.html: the export of translate5 order {old_a['foreign_id']} is NOT delivered" in caplog.text
    assert f"order {old_b['foreign_id']} is not delivered: no open order has that key" in caplog.text
    superseded = content_drop.read_manifest_file(cms_import)["superseded"]
    assert superseded[old_a["foreign_id"]]["ended_at"]  # ended (deliver was told so)
    assert content_drop.find_orders(drop, cms_import, "en", ["de"], limit=10).superseded == []

    write(drop, "a.html", "<p>A</p>")  # the CMS reverts the change: the ended order is current again
    reverted = content_drop.find_orders(drop, cms_import, "en", ["de"], limit=10)
    assert [item["foreign_id"] for item in reverted.items] == [old_a["foreign_id"]]
    assert reverted.reverted == [8]  # to reopen, not ordered a third time


def test_a_run_takes_what_it_may_and_the_manifest_records_the_rest(root: Any) -> None:
    drop, cms_import = root / "drop", root / "import"
    for n in range(5):
        write(drop, f"p{n}.html", f"<p>{n}</p>")
    items = content_drop.changed_items(drop, cms_import, "en", ["de"])

    taken = content_drop.take(cms_import, items, 2)

    assert [i["path"] for i in taken] == ["p0.html", "p1.html"]
    backlog = content_drop.read_manifest_file(cms_import)["backlog"]
    assert backlog["left_for_next_run"] == ["p2.html", "p3.html", "p4.html"]
    assert backlog["limit_per_run"] == 2
    assert [[i["path"] for i in batch] for batch in content_drop.batches(items, 2)] == [
        ["p0.html", "p1.html"],
        ["p2.html", "p3.html"],
        ["p4.html"],
    ]
    assert content_drop.take(cms_import, items[:2], 2) == items[:2]
    assert "backlog" not in content_drop.read_manifest_file(cms_import)  # nothing left: the note goes


def test_unchanged_files_are_not_read_again(root: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    drop, cms_import = root / "drop", root / "import"
    write(drop, "a.html", "<p>A</p>")
    (item,) = content_drop.changed_items(drop, cms_import, "en", ["de"])
    manifest: dict[str, Any] = {}
    content_drop.record_delivery(manifest, item)
    content_drop.write_manifest(cms_import, manifest)
    read: list[str] = []
    hash_file = content_drop.sha256
    monkeypatch.setattr(content_drop, "sha256", lambda path: read.append(str(path)) or hash_file(path))

    assert content_drop.changed_items(drop, cms_import, "en", ["de", "fr"])[0]["sha256"] == item["sha256"]
    assert read == []  # same store version: the recorded hash is used
    write(drop, "a.html", "<p>A, longer</p>")
    assert content_drop.changed_items(drop, cms_import, "en", ["de"])[0]["sha256"] != item["sha256"]
    assert read == [str(drop / "a.html")]


def test_a_missing_local_drop_is_refused_and_an_empty_one_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from airflow.sdk import ObjectStoragePath

    cms_import = ObjectStoragePath((tmp_path / "import").as_uri() + "/")
    missing = ObjectStoragePath((tmp_path / "no-such-drop").as_uri() + "/")
    with pytest.raises(content_drop.ContentDropError, match=r"no-such-drop does not exist.*content_drop"):
        content_drop.changed_items(missing, cms_import, "en", ["de"])

    (tmp_path / "empty").mkdir()
    with caplog.at_level(logging.WARNING, logger="airflow.task"):
        empty = ObjectStoragePath((tmp_path / "empty").as_uri() + "/")
        assert content_drop.changed_items(empty, cms_import, "en", ["de"]) == []
    assert "empty" in caplog.text
    assert str(empty) in caplog.text


@pytest.mark.integration
def test_an_empty_or_absent_s3_prefix_is_reported_and_a_missing_bucket_fails(
    s3: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from airflow.sdk import ObjectStoragePath

    bucket = s3.bucket("cms")
    cms_import = ObjectStoragePath(f"{bucket}/import/")
    with caplog.at_level(logging.WARNING, logger="airflow.task"):
        assert (
            content_drop.changed_items(ObjectStoragePath(f"{bucket}/drop/"), cms_import, "en", ["de"]) == []
        )
    assert "is empty" in caplog.text
    assert f"{bucket}/drop" in caplog.text
    with pytest.raises(FileNotFoundError, match="bucket"):
        content_drop.changed_items(
            ObjectStoragePath("s3://aws_t5@no-such-bucket/drop/"), cms_import, "en", ["de"]
        )


def test_the_local_fallback_folder_is_refused_on_distributed_executors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("AIRFLOW_VAR_TRANSLATE5_CONTENT_DROP", raising=False)
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    with pytest.raises(
        content_drop.ContentDropError, match=r"Variable 'translate5_content_drop'.*CeleryExecutor"
    ):
        content_drop.folder(None, "translate5_content_drop", "content-drop")

    monkeypatch.setenv("AIRFLOW_VAR_TRANSLATE5_CONTENT_DROP", "s3://aws_t5@cms/drop")  # configured: fine
    assert str(content_drop.folder(None, "translate5_content_drop", "content-drop")) == "s3://aws_t5@cms/drop"

    monkeypatch.delenv("AIRFLOW_VAR_TRANSLATE5_CONTENT_DROP")
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    with caplog.at_level(logging.WARNING, logger="airflow.task"):
        local = content_drop.folder(None, "translate5_content_drop", "content-drop")
    assert str(local).startswith("file://")
    assert str(local).endswith("/translate5/content-drop")
    assert "No folder configured" in caplog.text


def test_split_language_follows_translate5_export_names() -> None:
    assert content_drop.split_language("release_notes_de-CH.md") == ("release_notes.md", "de-CH")
    assert content_drop.split_language("README_fr") == ("README", "fr")
    with pytest.raises(ValueError, match="not named"):
        content_drop.split_language("about-us.html")


def test_manifest_is_json_a_person_can_read(tmp_path: Path) -> None:
    from airflow.sdk import ObjectStoragePath

    cms_import = ObjectStoragePath(tmp_path.as_uri() + "/")
    content_drop.write_manifest(cms_import, {"a.html": {"sha256": "x", "languages": ["de"]}})
    data = json.loads((tmp_path / ".translate5-manifest.json").read_text(encoding="utf-8"))
    assert data == {"items": {"a.html": {"sha256": "x", "languages": ["de"]}}}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".translate5-manifest.json"]  # no temp file left
