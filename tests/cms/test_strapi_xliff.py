"""Strapi entries to XLIFF and back (``example_dags/strapi_xliff.py``), with the test Strapi's schema files.

No server: these run in ``make test`` too. What a translator may do to a unit (reorder, nest or drop inline
codes) and what must not pass (a code or a unit the source does not have) is shown here.
"""

from __future__ import annotations

from typing import Any

import pytest
import strapi_xliff
from strapi import Schema

from fake_cms import ARTICLE, COMPONENTS

SCHEMA = Schema(
    uid="api::article.article",
    collection="articles",
    attributes=ARTICLE["attributes"],
    components={uid: component["attributes"] for uid, component in COMPONENTS.items()},
    localized=True,
    draft_and_publish=True,
)
FIELDS = ["title", "body", "seo", "sections"]
PARAGRAPH = {
    "type": "paragraph",
    "children": [
        {"type": "text", "text": "Fish & <b>Chips</b> "},
        {"type": "text", "text": "-50%", "bold": True, "italic": True},
        {"type": "text", "text": " in "},
        {
            "type": "link",
            "url": "https://shop.example.org/",
            "children": [{"type": "text", "text": "all stores"}],
        },
    ],
}
ENTRY: dict[str, Any] = {
    "documentId": "sale",
    "title": "Sale",
    "body": [
        PARAGRAPH,
        {"type": "paragraph", "children": [{"type": "text", "text": ""}]},
        {
            "type": "list",
            "format": "ordered",
            "children": [{"type": "list-item", "children": [{"type": "text", "text": "one"}]}],
        },
        {"type": "code", "children": [{"type": "text", "text": "x = 1"}]},
    ],
    "seo": {"id": 7, "metaTitle": "Meta", "metaDescription": None, "noIndex": True},
    "sections": [{"id": 3, "__component": "shared.quote", "text": "Quoted.", "style": "highlight"}],
}


def translated(xliff: str, targets: dict[str, str]) -> str:
    """The XLIFF with ``<target>`` content per unit id, as translate5's export gives it back."""
    for unit_id, target in targets.items():
        marker = f'<trans-unit id="{unit_id}" resname="{unit_id}">\n'
        start = xliff.index(marker)
        end = xliff.index("</source>", start) + len("</source>")
        xliff = xliff[:end] + f"<target>{target}</target>" + xliff[end:]
    return xliff


def test_one_unit_per_text_field_and_block_with_formatting_as_inline_codes() -> None:
    xliff = strapi_xliff.to_xliff(SCHEMA, ENTRY, FIELDS, "en", "articles/sale.xliff")

    units = strapi_xliff.ElementTree.fromstring(xliff).iter(f"{{{strapi_xliff.XLIFF_NS}}}trans-unit")
    assert [unit.attrib["id"] for unit in units] == [
        "title",
        "body/0",
        "body/2/0",
        "seo/metaTitle",
        "sections/0/text",
    ]  # the empty paragraph and the code block are no work for a translator
    assert (
        "<source>Fish &amp; &lt;b&gt;Chips&lt;/b&gt; "
        '<g id="1" ctype="bold"><g id="2" ctype="italic">-50%</g></g>'
        ' in <g id="3" ctype="link">all stores</g></source>'
    ) in xliff


def test_translation_comes_back_as_valid_blocks_with_codes_where_the_translator_put_them() -> None:
    xliff = strapi_xliff.to_xliff(SCHEMA, ENTRY, FIELDS, "en", "articles/sale.xliff")
    targets = {
        "title": "Ausverkauf",
        "body/0": '<g id="3" ctype="link">Alle Läden</g>: <g id="2"><g id="1">-50%</g></g> auf Fisch &amp; '
        "Chips",
        "body/2/0": "eins",
        "seo/metaTitle": "Meta (de)",
        "sections/0/text": "Zitiert.",
    }

    data = strapi_xliff.from_xliff(SCHEMA, ENTRY, FIELDS, translated(xliff, targets))

    assert data["title"] == "Ausverkauf"
    assert data["body"][0] == {
        "type": "paragraph",
        "children": [
            {
                "type": "link",
                "url": "https://shop.example.org/",
                "children": [{"type": "text", "text": "Alle Läden"}],
            },
            {"type": "text", "text": ": "},
            {"type": "text", "text": "-50%", "bold": True, "italic": True},
            {"type": "text", "text": " auf Fisch & Chips"},
        ],
    }
    assert data["body"][1:] == [
        ENTRY["body"][1],
        {
            **ENTRY["body"][2],
            "children": [{"type": "list-item", "children": [{"type": "text", "text": "eins"}]}],
        },
        ENTRY["body"][3],
    ]
    # Components: text translated, the rest kept, and no row id of the source locale (Strapi refuses those).
    assert data["seo"] == {"metaTitle": "Meta (de)", "metaDescription": None, "noIndex": True}
    assert data["sections"] == [{"__component": "shared.quote", "text": "Zitiert.", "style": "highlight"}]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('<g id="9">-50%</g>', "inline code id '9' is not in the source"),
        (None, r"no translation for unit\(s\) body/0"),
    ],
)
def test_an_export_that_does_not_fit_its_source_is_refused(body: str | None, message: str) -> None:
    xliff = strapi_xliff.to_xliff(SCHEMA, ENTRY, FIELDS, "en", "articles/sale.xliff")
    targets = {"title": "T", "body/2/0": "eins", "seo/metaTitle": "M", "sections/0/text": "Z"}
    if body is not None:
        targets["body/0"] = body

    with pytest.raises(strapi_xliff.TranslationMismatch, match=message):
        strapi_xliff.from_xliff(SCHEMA, ENTRY, FIELDS, translated(xliff, targets))


def test_schema_decides_which_fields_are_translated() -> None:
    assert SCHEMA.translatable_fields(None) == ["title", "summary", "body", "seo", "sections"]
    with pytest.raises(strapi_xliff.StrapiContentError, match="'slug' is not localized"):
        SCHEMA.translatable_fields(["title", "body", "slug"])
    with pytest.raises(strapi_xliff.StrapiContentError, match="'nope' is not a field of articles"):
        SCHEMA.translatable_fields(["title", "body", "nope"])
    assert SCHEMA.populate(["title", "seo", "sections"]) == {
        "populate[seo]": "true",
        "populate[sections]": "true",
    }


def test_a_dynamic_zone_with_a_nested_component_gets_every_component_populated() -> None:
    # Strapi answers only the components an "on" names (seen on 5.54): each is named, nested or not.
    quote = {**SCHEMA.components["shared.quote"], "meta": {"type": "component", "component": "shared.seo"}}
    nested = Schema(**{**SCHEMA.__dict__, "components": {**SCHEMA.components, "shared.quote": quote}})

    assert nested.populate(["sections"]) == {
        "populate[sections][on][shared.quote][populate][meta]": "true",
        "populate[sections][on][shared.rich-text]": "true",
    }
