"""Pseudo translation and export file building, all streaming (bounded memory for any file size).

A reader of an export must see that "translation" happened: every translatable piece gets a visible
``[<target rfc5646>] `` prefix. XLIFF targets are filled from their sources, except the targets a reimport
set (they are exported as the task holds them, an emptied one as ``<target/>``); XML/HTML text nodes, JSON
string values, ``key=value`` files and gettext ``msgstr`` get the marker; other text files get it per line;
binary formats (docx, pdf, ...) are copied unchanged.
"""

from __future__ import annotations

import re
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from html import escape
from pathlib import Path
from typing import IO

from airflow_provider_translate5.testing.catalog import XLIFF_EXTENSIONS, extension

READ_SIZE = 1 << 16
TEXT_EXTENSIONS = frozenset(
    [
        "txt",
        "csv",
        "md",
        "markdown",
        "srt",
        "yaml",
        "yml",
        "tex",
        "c",
        "cpp",
        "h",
        "java",
        "py",
        "m",
        "php",
        "lang",
        "strings",
        "ts",
        "dtd",
        "rtf",
    ]
)
MARKUP_EXTENSIONS = frozenset(
    {"xml", "html", "htm", "xhtml", "xhtm", "dita", "ditamap", "resx", "tmx", "idml"}
)
XLIFF_LIKE = XLIFF_EXTENSIONS | {"xlfzend", "zxliff"}

_UNIT_START = re.compile(r"<(trans-unit|unit)[\s>]")
_SOURCE_TARGET = re.compile(
    r"(<source\b[^>]*>)(.*?)(</source>)(\s*)(<target\b[^>]*?(?:/>|>.*?</target>))?", re.DOTALL
)
_TARGET_OPEN = re.compile(r"<target\b([^>]*?)/?>", re.DOTALL)
_TARGET_TEXT = re.compile(r"<target\b[^>]*?(?:/>|>(.*)</target>)", re.DOTALL)
_UNIT = re.compile(r"<(trans-unit|unit)\b[^>]*>.*?</\1>", re.DOTALL)
_UNIT_ID = re.compile(r"""<(?:trans-unit|unit)\b[^>]*?\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TARGET_LANG = re.compile(r'(trgLang|target-language)="[^"]*"')
_TEXT_NODE = re.compile(r">([^<>]*\S[^<>]*)<")
_JSON_VALUE = re.compile(r'("[^"\\]*(?:\\.[^"\\]*)*"\s*:\s*")((?:[^"\\]|\\.)+)(")')
_KEY_VALUE = re.compile(r"^(\s*[^#!\s][^=:]*[=:]\s*)(\S.*?)(\r?\n?)$", re.DOTALL)


def marker(target_rfc: str) -> str:
    return f"[{target_rfc}] "


def pseudo_text(text: str, target_rfc: str) -> str:
    return marker(target_rfc) + text


def unit_id(block: str) -> str | None:
    """The ``id`` of the ``trans-unit``/``unit`` that ``block`` starts with (translate5's segment key)."""
    match = _UNIT_ID.match(block)
    if match is None:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)


def units(text: str) -> Iterator[tuple[str, str, str | None]]:
    """``(id, source, target)`` of every unit of an XLIFF text, as XML; ``target`` is None without one."""
    for match in _UNIT.finditer(text):
        block = match.group(0)
        ident, pair = unit_id(block), _SOURCE_TARGET.search(block)
        if ident is None or pair is None:
            continue
        target = pair.group(5)
        held = _TARGET_TEXT.match(target) if target else None
        yield ident, pair.group(2), None if held is None else held.group(1) or ""


def _fill_targets(block: str, mark: str, targets: Mapping[str, str]) -> str:
    ident = unit_id(block)
    held = targets.get(ident) if ident is not None else None

    def replace(match: re.Match[str]) -> str:
        open_source, content, close_source, space, target = match.groups()
        attrs = ""
        if target:
            opening = _TARGET_OPEN.match(target)
            attrs = opening.group(1) if opening else ""
        text = f"{mark}{content}" if held is None else held
        filled = f"<target{attrs}>{text}</target>" if text else f"<target{attrs}/>"
        return f"{open_source}{content}{close_source}{space or ''}{filled}"

    return _SOURCE_TARGET.sub(replace, block)


def _iter_text(src: IO[bytes]) -> Iterator[str]:
    while True:
        data = src.read(READ_SIZE)
        if not data:
            return
        yield data.decode("utf-8", "surrogateescape")


def _stream_xliff(src: IO[bytes], dst: IO[bytes], target_rfc: str, targets: Mapping[str, str]) -> None:
    """Fill targets unit by unit; only one unit (plus one read block) is ever buffered."""
    mark = marker(target_rfc)
    buffer = ""
    chunks = _iter_text(src)
    exhausted = False

    def emit(text: str, transform: bool) -> None:
        text = (
            _fill_targets(text, mark, targets) if transform else _TARGET_LANG.sub(rf'\1="{target_rfc}"', text)
        )
        dst.write(text.encode("utf-8", "surrogateescape"))

    while True:
        start = _UNIT_START.search(buffer)
        if start is None:
            if exhausted:
                emit(buffer, False)
                return
            keep = max(0, len(buffer) - 16)  # a unit start may straddle two reads
            emit(buffer[:keep], False)
            buffer = buffer[keep:]
        else:
            emit(buffer[: start.start()], False)
            buffer = buffer[start.start() :]
            closing = f"</{start.group(1)}>"
            end = buffer.find(closing)
            if end >= 0:
                emit(buffer[: end + len(closing)], True)
                buffer = buffer[end + len(closing) :]
                continue
            if exhausted:
                emit(buffer, True)
                return
        try:
            buffer += next(chunks)
        except StopIteration:
            exhausted = True


def _transform_line(line: str, ext: str, mark: str, state: dict[str, str]) -> str:
    if not line.strip():
        return line
    if ext in MARKUP_EXTENSIONS:
        return _TEXT_NODE.sub(lambda m: f">{mark}{m.group(1)}<", line)
    if ext == "json":
        return _JSON_VALUE.sub(lambda m: f"{m.group(1)}{mark}{m.group(2)}{m.group(3)}", line)
    if ext == "properties":
        return _KEY_VALUE.sub(lambda m: f"{m.group(1)}{mark}{m.group(2)}{m.group(3)}", line)
    if ext == "po":
        stripped = line.strip()
        if stripped.startswith("msgid "):
            state["msgid"] = stripped[6:].strip().strip('"')
        elif stripped.startswith("msgstr ") and state.get("msgid"):
            ending = line[len(line.rstrip("\r\n")) :]
            return f'msgstr "{mark}{state["msgid"]}"{ending}'
        return line
    ending = line[len(line.rstrip("\r\n")) :]
    return mark + line[: len(line) - len(ending)] + ending


def is_translatable(filename: str) -> bool:
    ext = extension(filename)
    return ext in XLIFF_LIKE or ext in TEXT_EXTENSIONS or ext in MARKUP_EXTENSIONS or ext in {"json", "po"}


def pseudo_translate(
    src_path: Path, filename: str, dst: IO[bytes], target_rfc: str, targets: Mapping[str, str] | None = None
) -> None:
    """Write the pseudo translation of one work file to ``dst`` (``targets``: those a reimport set)."""
    ext = extension(filename)
    with src_path.open("rb") as src:
        if ext in XLIFF_LIKE:
            _stream_xliff(src, dst, target_rfc, targets or {})
            return
        if not is_translatable(filename):
            while data := src.read(READ_SIZE):
                dst.write(data)
            return
        mark = marker(target_rfc)
        state: dict[str, str] = {}
        for raw in src:
            line = raw.decode("utf-8", "surrogateescape")
            dst.write(_transform_line(line, ext, mark, state).encode("utf-8", "surrogateescape"))


def iter_sources(src_path: Path, filename: str, limit: int | None = None) -> Iterator[tuple[str, bool]]:
    """Source segments of a work file: (text, is_already_xml). Used for XLIFF 2 and Excel exports."""
    count = 0
    ext = extension(filename)
    with src_path.open("rb") as src:
        if ext in XLIFF_LIKE:
            buffer = ""
            for chunk in _iter_text(src):
                buffer += chunk
                last = 0
                for match in re.finditer(r"<source\b[^>]*>(.*?)</source>", buffer, re.DOTALL):
                    yield match.group(1), True
                    last = match.end()
                    count += 1
                    if limit is not None and count >= limit:
                        return
                buffer = buffer[last:] if last else buffer[-READ_SIZE:]
            return
        if not is_translatable(filename):
            return
        for raw in src:
            text = raw.decode("utf-8", "replace").strip()
            if text:
                yield text, False
                count += 1
                if limit is not None and count >= limit:
                    return


def write_xliff2(files: list[tuple[Path, str]], dst: IO[bytes], source_rfc: str, target_rfc: str) -> None:
    """ONE XLIFF 2 document with a ``<file>`` per work file (the real xliff2 export has one file)."""
    mark = escape(marker(target_rfc))
    dst.write(
        (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="{source_rfc}" '
            f'trgLang="{target_rfc}">\n'
        ).encode()
    )
    for index, (src_path, filename) in enumerate(files, start=1):
        dst.write(f' <file id="f{index}" original="{escape(filename)}">\n'.encode())
        for number, (text, is_xml) in enumerate(iter_sources(src_path, filename), start=1):
            content = text if is_xml else escape(text)
            dst.write(
                f'  <unit id="{number}"><segment><source>{content}</source>'
                f"<target>{mark}{content}</target></segment></unit>\n".encode("utf-8", "surrogateescape")
            )
        dst.write(b" </file>\n")
    dst.write(b"</xliff>\n")


def _sheet_xml(rows: list[list[str]]) -> str:
    lines = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
            for c, value in enumerate(row)
        )
        lines.append(f'<row r="{r}">{cells}</row>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(lines)}</sheetData></worksheet>"
    )


_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument"/>'
        '<Relationship Id="rId2" Target="docProps/core.xml" Type="http://schemas.openxmlformats.org/'
        'package/2006/relationships/metadata/core-properties"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="segments" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet"/></Relationships>'
    ),
}

EXCEL_ROW_LIMIT = 5000


def write_xlsx(path: Path, task_guid: str, task_name: str, segments: list[list[str]]) -> None:
    """A minimal valid workbook; the taskGuid in the core properties lets the reimport recognise its task."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _XLSX_STATIC.items():
            archive.writestr(name, text)
        archive.writestr(
            "docProps/core.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>{escape(task_name)}</dc:title><cp:keywords>{escape(task_guid)}</cp:keywords>"
            "</cp:coreProperties>",
        )
        archive.writestr("xl/worksheets/sheet1.xml", _sheet_xml([["Nr", "Source", "Target"], *segments]))


def xlsx_task_guid(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            core = archive.read("docProps/core.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    found = re.search(r"<cp:keywords>(.*?)</cp:keywords>", core)
    return found.group(1) if found else None


def _dos_time(now: float) -> tuple[int, int]:
    t = time.localtime(now)
    return (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2), ((t.tm_year - 1980) << 9) | (
        t.tm_mon << 5
    ) | t.tm_mday


def generated_lines(size: int, target_rfc: str) -> Iterator[bytes]:
    """``size`` bytes of pseudo-translated lines, produced block by block (never materialised)."""
    block = "".join(
        f"{marker(target_rfc)}generated segment {n:07d} of a very large export\n" for n in range(16384)
    ).encode()
    remaining = size
    while remaining > 0:
        piece = block if remaining >= len(block) else block[:remaining]
        remaining -= len(piece)
        yield piece


def generated_zip(size: int, member: str, target_rfc: str) -> tuple[int, Iterator[bytes]]:
    """A valid stored ZIP with one ``size``-byte member, streamed with a data descriptor (CRC at the end)."""
    if size >= 0xFFFFFFFF:
        raise ValueError("generated_export_size must stay below 4 GiB (no ZIP64 in the simulator)")
    name = member.encode()
    dos_time, dos_date = _dos_time(time.time())
    total = 30 + len(name) + size + 16 + 46 + len(name) + 22

    def produce() -> Iterator[bytes]:
        yield struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x08, 0, dos_time, dos_date, 0, 0, 0, len(name), 0)
        yield name
        crc = 0
        for piece in generated_lines(size, target_rfc):
            crc = zlib.crc32(piece, crc)
            yield piece
        yield struct.pack("<IIII", 0x08074B50, crc, size, size)
        central = struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50, 20, 20, 0x08, 0, dos_time, dos_date, crc, size, size, len(name), 0, 0, 0, 0, 0, 0,
        )  # fmt: skip
        offset = 30 + len(name) + size + 16
        yield central + name
        yield struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, 46 + len(name), offset, 0)

    return total, produce()
