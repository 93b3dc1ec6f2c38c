"""The content-drop helpers the example DAGs share: what counts as changed, and safe repeated delivery."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from examples_support import EXAMPLE_DAGS

sys.path.insert(0, str(EXAMPLE_DAGS))  # Airflow puts the DAG folder on sys.path the same way
content_drop: Any = importlib.import_module("content_drop")


def folder(path: Path) -> Any:
    from airflow.sdk import ObjectStoragePath

    path.mkdir(parents=True, exist_ok=True)
    return ObjectStoragePath(path.as_uri() + "/")


def test_changed_items_skip_hidden_files_and_order_only_missing_languages(tmp_path: Path) -> None:
    drop, cms_import = folder(tmp_path / "drop"), folder(tmp_path / "import")
    (tmp_path / "drop/pages").mkdir()
    (tmp_path / "drop/pages/a.html").write_text("<p>A</p>")
    (tmp_path / "drop/.b.html.part").write_text("<p>half an upload</p>")
    (tmp_path / "drop/b.md").write_text("B")

    def changed(langs: list[str]) -> list[Any]:
        return content_drop.changed_items(drop, cms_import, "en", langs)

    first = changed(["de", "fr"])
    assert [i["path"] for i in first] == ["b.md", "pages/a.html"]  # the half-uploaded hidden file is skipped
    assert all(i["target_langs"] == ["de", "fr"] for i in first)
    manifest: dict[str, Any] = {}
    for item in first:
        content_drop.record_delivery(manifest, item)
    content_drop.write_manifest(cms_import, manifest)

    assert changed(["de", "fr"]) == []
    more = changed(["de", "fr", "it"])
    assert [i["target_langs"] for i in more] == [["it"], ["it"]]
    assert {i["foreign_id"] for i in more}.isdisjoint(i["foreign_id"] for i in first)  # a new order, new key
    (tmp_path / "drop/b.md").write_text("B, edited")
    assert [(i["path"], i["target_langs"]) for i in changed(["de"])] == [("b.md", ["de"])]


def test_delivery_can_be_repeated_after_a_partial_failure(tmp_path: Path) -> None:
    from airflow.sdk import ObjectStoragePath

    drop, cms_import = folder(tmp_path / "drop"), folder(tmp_path / "import")
    (tmp_path / "drop/a.html").write_text("<p>A</p>")
    (item,) = content_drop.changed_items(drop, cms_import, "en", ["de", "fr"])
    staging = ObjectStoragePath(item["staging"])  # what the export operator writes to
    staging.mkdir(parents=True)
    exported = []
    for lang in ("de", "fr"):
        (staging / f"a_{lang}.html").write_text(f"<p>[{lang}] A</p>")
        exported.append(str(staging / f"a_{lang}.html"))
    manifest = content_drop.read_manifest(cms_import)

    with pytest.raises(ValueError, match="no file for fr"):
        content_drop.deliver(exported[:1], item, cms_import, manifest)
    assert staging.exists()  # nothing lost: the next try still has both exports

    delivered = content_drop.deliver(exported, item, cms_import, manifest, 7)
    assert delivered == {lang: (tmp_path / f"import/{lang}/a.html").as_uri() for lang in ("de", "fr")}
    assert not staging.parent.exists()
    assert content_drop.read_manifest(cms_import)["a.html"]["translate5_task_id"] == 7

    assert content_drop.deliver(exported, item, cms_import, manifest, 7) == delivered  # a retry: no-op


def test_split_language_follows_translate5_export_names() -> None:
    assert content_drop.split_language("release_notes_de-CH.md") == ("release_notes.md", "de-CH")
    assert content_drop.split_language("README_fr") == ("README", "fr")
    with pytest.raises(ValueError, match="not named"):
        content_drop.split_language("about-us.html")
