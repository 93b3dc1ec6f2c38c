"""Which locale version gets a translation (``strapi.needs_writing``): the rule that keeps a person's work."""

from __future__ import annotations

from typing import Any

import strapi

FIELDS = ["title"]
SOURCE, OLDER_SOURCE = "sha-of-this-source", "sha-of-an-older-source"
SOURCE_UPDATED = "2026-11-02T08:00:00.000Z"
MACHINE = {"title": "[de] Sale", "updatedAt": "2026-11-03T08:00:00.000Z"}


def written(source: str, version: dict[str, Any] = MACHINE) -> dict[str, str]:
    return {"source": source, "target": strapi.fingerprint(version, FIELDS)}


def decide(target: dict[str, Any] | None, record: dict[str, str] | None, overwrite: bool = False) -> Any:
    return strapi.needs_writing(target, record, SOURCE, SOURCE_UPDATED, FIELDS, overwrite)


def test_a_missing_version_is_written() -> None:
    assert decide(None, None) == (True, None)


def test_the_dags_own_version_is_rewritten_only_for_a_changed_source() -> None:
    assert decide(MACHINE, written(OLDER_SOURCE)) == (True, None)
    assert decide(MACHINE, written(SOURCE)) == (False, None)  # written already (a retry, or a second run)
    published_by_an_editor = {**MACHINE, "updatedAt": "2026-11-04T08:00:00.000Z"}
    assert decide(published_by_an_editor, written(OLDER_SOURCE)) == (True, None)


def test_a_persons_version_is_left_alone_unless_overwrite_and_older_than_the_source() -> None:
    edited = {"title": "Ausverkauf", "updatedAt": "2026-11-01T08:00:00.000Z"}  # older than the source
    needed, note = decide(edited, written(OLDER_SOURCE))
    assert not needed
    assert "left alone (param overwrite replaces it)" in str(note)
    assert decide(edited, None, overwrite=True)[0] is True
    newer = {**edited, "updatedAt": "2026-11-05T08:00:00.000Z"}
    assert decide(newer, None, overwrite=True) == (False, None)


def test_component_row_ids_do_not_change_the_fingerprint() -> None:
    stored = {"seo": {"id": 3, "metaTitle": "M"}, "sections": [{"id": 9, "__component": "shared.quote"}]}
    sent = {"seo": {"metaTitle": "M"}, "sections": [{"__component": "shared.quote"}]}
    assert strapi.fingerprint(stored, ["seo", "sections"]) == strapi.fingerprint(sent, ["seo", "sections"])
    assert strapi.fingerprint(stored, ["seo"]) != strapi.fingerprint({"seo": {"metaTitle": "N"}}, ["seo"])
