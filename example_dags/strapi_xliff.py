"""A Strapi entry as XLIFF 1.2 for translators, and the translated XLIFF back as the entry's field values.

One ``trans-unit`` per text field, and per paragraph, heading, quote or list item of a ``blocks`` (rich text)
field, with inline formatting (bold, italic, underline, strikethrough, code, links) as ``<g>`` inline codes
that translators move with the words. Components and dynamic zones are walked with their schema: their text
is translated, everything else in them (numbers, flags, choices, which component) is kept as in the source.
Unit ids are paths into the entry (``body/2``, ``sections/0/text``), so the translation goes back where the
text came from; the source entry itself is kept as the skeleton the translation is put into.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from strapi import BLOCKS, TEXT_TYPES, Schema, StrapiContentError

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
#: Strapi's text modifiers and the XLIFF 1.2 ``ctype`` each one gets.
MARKS = {
    "bold": "bold",
    "italic": "italic",
    "underline": "underlined",
    "strikethrough": "x-strikethrough",
    "code": "x-code",
}
#: Blocks whose children are inline text: each becomes one unit. Code blocks and images are kept as they are.
UNIT_BLOCKS = frozenset({"paragraph", "heading", "quote", "list-item"})

#: ``(unit id, value at that place) -> replacement``: how a walk of the entry visits each piece of text.
Visit = Callable[[str, Any], Any]


class TranslationMismatch(StrapiContentError):
    """The export does not fit the source it should translate (a unit or inline code missing or unknown)."""


def walk(schema: Schema, entry: Mapping[str, Any], fields: Sequence[str], visit: Visit) -> dict[str, Any]:
    """The ``fields`` of ``entry`` with every text unit replaced by ``visit(unit_id, value)``.

    Text fields pass their string, blocks their block node (paragraph, heading, ...). Components lose their
    ``id``: ids name one locale's rows, and Strapi refuses another locale's. An empty field stays empty, so
    a translation written over an earlier one empties what the source emptied.
    """
    return {
        field: _walk_value(schema, schema.attributes[field], entry.get(field), field, visit)
        for field in fields
    }


def _walk_value(schema: Schema, attribute: Mapping[str, Any], value: Any, path: str, visit: Visit) -> Any:
    kind = attribute.get("type")
    if value is None:
        return None
    if kind in TEXT_TYPES:
        return visit(path, value) if isinstance(value, str) and value.strip() else value
    if kind == BLOCKS:
        return [_walk_block(block, f"{path}/{index}", visit) for index, block in enumerate(value)]
    if kind == "component":
        attributes = schema.component(attribute["component"])
        if attribute.get("repeatable"):
            return [
                _walk_component(schema, attributes, item, f"{path}/{i}", visit)
                for i, item in enumerate(value)
            ]
        return _walk_component(schema, attributes, value, path, visit)
    if kind == "dynamiczone":
        return [
            {
                "__component": item["__component"],
                **_walk_component(schema, schema.component(item["__component"]), item, f"{path}/{i}", visit),
            }
            for i, item in enumerate(value)
        ]
    return value


def _walk_component(
    schema: Schema,
    attributes: Mapping[str, Mapping[str, Any]],
    value: Mapping[str, Any],
    path: str,
    visit: Visit,
) -> dict[str, Any]:
    return {
        name: _walk_value(schema, attributes[name], item, f"{path}/{name}", visit)
        for name, item in value.items()
        if name in attributes
    }


def _walk_block(block: Mapping[str, Any], path: str, visit: Visit) -> Any:
    if block.get("type") in UNIT_BLOCKS and "".join(_texts(block.get("children", []))).strip():
        return visit(path, block)
    if block.get("type") == "list":
        children = [_walk_block(child, f"{path}/{i}", visit) for i, child in enumerate(block["children"])]
        return {**block, "children": children}
    return block


def _texts(nodes: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    for node in nodes:
        yield str(node.get("text", ""))
        yield from _texts(node.get("children", []))


def inline_xliff(children: Sequence[Mapping[str, Any]]) -> str:
    """A block's inline nodes as XLIFF content: marks and links become nested ``<g>``, numbered in order."""
    counter = iter(range(1, 1_000_000))

    def render(nodes: Sequence[Mapping[str, Any]]) -> str:
        out = []
        for node in nodes:
            if node.get("type") == "link":
                out.append(f'<g id="{next(counter)}" ctype="link">{render(node.get("children", []))}</g>')
                continue
            text = escape(str(node.get("text", "")))
            marks = [mark for mark in MARKS if node.get(mark)]
            opening = "".join(f'<g id="{next(counter)}" ctype="{MARKS[mark]}">' for mark in marks)
            out.append(opening + text + "</g>" * len(marks))
        return "".join(out)

    return render(children)


def _codes(children: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """What each ``<g>`` id of :func:`inline_xliff` stands for: ``("mark", {name})`` or ``("link", node)``."""
    codes: dict[str, tuple[str, Mapping[str, Any]]] = {}

    def collect(nodes: Sequence[Mapping[str, Any]]) -> None:
        for node in nodes:
            if node.get("type") == "link":
                codes[str(len(codes) + 1)] = ("link", node)
                collect(node.get("children", []))
                continue
            for mark in MARKS:
                if node.get(mark):
                    codes[str(len(codes) + 1)] = ("mark", {"name": mark})

    collect(children)
    return codes


def inline_nodes(
    target: ElementTree.Element, source_children: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """A translated unit's ``<target>`` back as Strapi inline nodes, marks and links as in the source."""
    codes = _codes(source_children)

    def convert(element: ElementTree.Element, marks: frozenset[str], in_link: bool) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []

        def text(value: str | None) -> None:
            if value:
                nodes.append({"type": "text", "text": value, **{mark: True for mark in sorted(marks)}})

        text(element.text)
        for child in element:
            code = codes.get(child.get("id", "")) if child.tag == f"{{{XLIFF_NS}}}g" else None
            if child.tag == f"{{{XLIFF_NS}}}g" and code is None:
                raise TranslationMismatch(f"inline code id {child.get('id')!r} is not in the source")
            if code and code[0] == "link" and not in_link:
                link = {k: v for k, v in code[1].items() if k != "children"}
                nodes.append(
                    {**link, "children": convert(child, marks, True) or [{"type": "text", "text": ""}]}
                )
            elif code and code[0] == "mark":
                nodes.extend(convert(child, marks | {str(code[1]["name"])}, in_link))
            else:  # a link inside a link, or another element translate5 added: keep its words
                nodes.extend(convert(child, marks, in_link))
            text(child.tail)
        return nodes

    return convert(target, frozenset(), False) or [{"type": "text", "text": ""}]


def to_xliff(
    schema: Schema, entry: Mapping[str, Any], fields: Sequence[str], source_lang: str, original: str
) -> str:
    """The entry's text as an XLIFF 1.2 document, one unit per text field or block."""
    units: list[str] = []

    def unit(path: str, value: Any) -> Any:
        content = inline_xliff(value["children"]) if isinstance(value, Mapping) else escape(value)
        units.append(
            f"      <trans-unit id={quoteattr(path)} resname={quoteattr(path)}>\n"
            f"        <source>{content}</source>\n"
            f"      </trans-unit>\n"
        )
        return value

    walk(schema, entry, fields, unit)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xliff version="1.2" xmlns="{XLIFF_NS}">\n'
        f"  <file original={quoteattr(original)} source-language={quoteattr(source_lang)}"
        ' datatype="plaintext">\n'
        f"    <body>\n{''.join(units)}    </body>\n  </file>\n</xliff>\n"
    )


def targets(xliff: str) -> dict[str, ElementTree.Element]:
    """Each unit's ``<target>`` element by unit id."""
    root = ElementTree.fromstring(xliff)
    found = {}
    for unit in root.iter(f"{{{XLIFF_NS}}}trans-unit"):
        target = unit.find(f"{{{XLIFF_NS}}}target")
        if target is not None:
            found[unit.attrib["id"]] = target
    return found


def from_xliff(
    schema: Schema, source: Mapping[str, Any], fields: Sequence[str], xliff: str
) -> dict[str, Any]:
    """The translated values of ``fields``: the source entry with each unit's text replaced by its target.

    Every unit of the source must have a target; a missing one would leave source text in the translation.
    """
    translated = targets(xliff)
    missing: list[str] = []

    def replace(path: str, value: Any) -> Any:
        target = translated.get(path)
        if target is None:
            missing.append(path)
            return value
        if isinstance(value, Mapping):
            return {**value, "children": inline_nodes(target, value["children"])}
        return "".join(target.itertext())

    data = walk(schema, source, fields, replace)
    if missing:
        raise TranslationMismatch(f"the export has no translation for unit(s) {', '.join(missing[:20])}")
    return data
