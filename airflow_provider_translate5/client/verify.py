"""What a body must be before it is handed over: the one set of rules every download and answer is read by.

The recorded translate5 (PHP's web server) frames every answer by closing the connection: no Content-Length,
no chunking (transcripts part 1, section 61). A transfer cut halfway then ends like a complete one, so only
the body's own format can show that it is whole. Each body is checked while it streams past, in bounded
memory, before it is committed anywhere:

- the byte count, when a Content-Length is given;
- ZIP and ZIP-based formats (docx, xlsx, idml, odt ...): a complete central directory, every member read
  and its CRC compared (the archive is spooled to an anonymous temporary file, in memory while small);
- XML-based formats (XLIFF, SDLXLIFF, XML ...): well-formed, parsed incrementally by expat, which loads no
  external entities and bounds entity expansion;
- JSON: parses.

A body that fails its check raises :class:`BrokenBody`; the client turns it into a retryable transfer error,
so it is never delivered and the retry downloads the whole file again. A body no rule can check (plain text
or HTML framed by the connection's close) is logged as unverifiable, with its size.

What a body *is* is decided by its first bytes and the file name of its Content-Disposition, never by the
Content-Type alone: translate5 labels its XML analysis report ``application/json`` (twice, part 2 section
125) and its import archive ``application/json`` and ``application/zip`` (section 150).
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from typing import IO, Any
from xml.parsers import expat

log = logging.getLogger("airflow_provider_translate5.client")

#: How every ZIP archive with a first member starts (a local file header).
ZIP_MAGIC = b"PK\x03\x04"

_EMPTY_ZIP = b"PK\x05\x06"
BOM = b"\xef\xbb\xbf"
#: Bytes looked at to tell what a body is.
_SNIFF = 8
#: A ZIP being checked stays in memory up to this size, then moves to an anonymous temporary file.
_SPOOL_IN_MEMORY = 8 << 20
_READ = 1 << 20

#: Formats that are ZIP containers (Office Open XML, OpenDocument, IDML, EPUB, XLIFF/Trados packages).
ZIP_EXTENSIONS = frozenset(
    {
        "zip", "docx", "docm", "dotx", "dotm", "xlsx", "xlsm", "xltx", "xltm", "pptx", "pptm", "potx", "potm",
        "ppsx", "ppsm", "vsdx", "idml", "odt", "ods", "odp", "odg", "ott", "ots", "otp", "epub", "xlz",
        "mqxlz", "sdlppx", "sdlrpx",
    }
)  # fmt: skip
#: Formats that are XML documents.
XML_EXTENSIONS = frozenset(
    {
        "xml",
        "xlf",
        "xlif",
        "xliff",
        "sdlxliff",
        "mxliff",
        "mqxliff",
        "txlf",
        "tmx",
        "tbx",
        "resx",
        "dita",
        "ditamap",
    }
)
JSON_EXTENSIONS = frozenset({"json"})
# expat cannot read some declared encodings; such a document is not broken, only uncheckable here.
_UNREADABLE_ENCODING = frozenset(
    {expat.errors.XML_ERROR_UNKNOWN_ENCODING, expat.errors.XML_ERROR_INCORRECT_ENCODING}
)
#: What a JSON text cut inside a literal or a number leaves at its end.
_PARTIAL_WORD = re.compile(r"-?(\d+(\.\d*)?([eE][+-]?\d*)?)?|t|tr|tru|f|fa|fal|fals|n|nu|nul")


class BrokenBody(ValueError):
    """A body that failed its check; the text says what is wrong with it."""


def without_bom(data: bytes) -> bytes:
    """The text after a UTF-8 byte order mark and leading whitespace."""
    return data.lstrip().removeprefix(BOM).lstrip()


def looks_like_json(head: bytes) -> bool:
    """Whether a body starts like a JSON object or array (a BOM and whitespace before it allowed)."""
    return without_bom(head)[:1] in (b"{", b"[")


def is_zip(head: bytes) -> bool:
    return head.startswith((ZIP_MAGIC, _EMPTY_ZIP))


def extension(filename: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def extension_by_body(head: bytes, content_type: str | None) -> str:
    """The extension a file without a server-given name gets: by its first bytes, else by its one type.

    Several Content-Type values (translate5 sends two, not always alike) say nothing: then only the body.
    """
    if is_zip(head):
        return ".zip"
    if without_bom(head).startswith(b"<?xml"):
        return ".xml"
    if looks_like_json(head):
        return ".json"
    types = [part.split(";")[0].strip() for part in (content_type or "").split(",") if part.strip()]
    if len(set(types)) != 1:
        return ""
    import mimetypes

    return mimetypes.guess_extension(types[0]) or ""


def kind_of(filename: str, head: bytes, *, zip_expected: bool = False) -> str:
    """``zip``, ``xml``, ``json`` or ``text`` (no check by format): by the body first, then by the name.

    A name without an extension is read by its first bytes alone.
    """
    ext = extension(filename)
    if zip_expected or is_zip(head) or ext in ZIP_EXTENSIONS:
        return "zip"
    if ext in XML_EXTENSIONS or (not ext and without_bom(head).startswith(b"<?xml")):
        return "xml"
    if ext in JSON_EXTENSIONS or (not ext and looks_like_json(head)):
        return "json"
    return "text"


# -- one check per format ------------------------------------------------------------------------------------


class _Check:
    """Reads a body chunk by chunk; :meth:`finish` raises BrokenBody or says how the body was verified
    (None: it could not be)."""

    def feed(self, chunk: bytes) -> None:
        del chunk

    def finish(self) -> str | None:
        return None


class _ZipCheck(_Check):
    def __init__(self, max_unpacked: int | None) -> None:
        self._spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        self._max_unpacked = max_unpacked

    def feed(self, chunk: bytes) -> None:
        self._spool.write(chunk)

    def finish(self) -> str | None:
        try:
            self._spool.seek(0)
            if not is_zip(self._spool.read(4)):
                raise BrokenBody("not a ZIP archive (it does not start like one)")
            self._spool.seek(0)
            try:
                archive = zipfile.ZipFile(self._spool)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise BrokenBody(f"not a complete ZIP archive ({exc})") from None
            with archive:
                return self._read_members(archive)
        finally:
            self._spool.close()

    def _read_members(self, archive: zipfile.ZipFile) -> str:
        budget = self._max_unpacked
        skipped: list[str] = []
        members = archive.infolist()
        for info in members:
            if info.filename.endswith("/"):  # a folder entry (is_dir() fails on a crafted empty name)
                continue
            if budget is not None and info.file_size > budget:
                skipped.append(info.filename)
                continue
            try:
                with archive.open(info) as member:
                    while member.read(_READ):
                        pass
            except (RuntimeError, NotImplementedError) as exc:  # encrypted, or a compression zipfile lacks
                skipped.append(f"{info.filename} ({exc})")
                continue
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise BrokenBody(f"ZIP member {info.filename!r} is damaged ({exc})") from None
            if budget is not None:
                budget -= info.file_size
        if skipped:
            log.warning(
                "ZIP download: %d of %d member(s) not CRC-checked (over the unpacked-size limit, encrypted "
                "or an unsupported compression): %s",
                len(skipped),
                len(members),
                ", ".join(skipped[:5]),
            )
        return f"ZIP central directory complete, {len(members) - len(skipped)} member(s) CRC-checked"


class _XmlCheck(_Check):
    def __init__(self) -> None:
        self._parser = expat.ParserCreate()
        # No DTDs or external entities are fetched; expat itself bounds entity expansion ("billion laughs").
        self._parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self._unreadable: str | None = None

    def _parse(self, data: bytes, final: bool) -> None:
        if self._unreadable is not None:
            return
        try:
            self._parser.Parse(data, final)
        except expat.ExpatError as exc:
            if expat.errors.messages[exc.code] in _UNREADABLE_ENCODING:
                self._unreadable = str(exc)
                return
            problem = "ends before its document does" if final else "is not well-formed"
            raise BrokenBody(f"the XML {problem} ({exc})") from None
        except (LookupError, ValueError) as exc:  # an encoding Python has no codec for, or a multi-byte one
            self._unreadable = str(exc)

    def feed(self, chunk: bytes) -> None:
        self._parse(chunk, False)

    def finish(self) -> str | None:
        self._parse(b"", True)
        if self._unreadable is not None:
            return None
        return "well-formed XML"


class _JsonCheck(_Check):
    def __init__(self, max_bytes: int | None) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._max = max_bytes

    def feed(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._max is not None and self._size > self._max:
            self._parts.clear()  # too large to parse in memory: not checked
        else:
            self._parts.append(chunk)

    def finish(self) -> str | None:
        if self._max is not None and self._size > self._max:
            return None
        try:
            json.loads(b"".join(self._parts))
        except RecursionError:
            return None
        except ValueError as exc:
            raise BrokenBody(f"the JSON does not parse ({exc})") from None
        return "JSON that parses"


# -- the check of one body -----------------------------------------------------------------------------------


class BodyCheck:
    """Checks one body as it streams past (``feed`` every chunk in order, then ``finish`` once).

    :param filename: the file's name (Content-Disposition, else the fallback); its extension picks the check.
    :param zip_expected: the call answers a ZIP whatever the name says (translate5's ZIP exports).
    :param length: the Content-Length, unless a Content-Encoding makes it count other bytes.
    :param framed: the transfer's own framing shows its end (a Content-Length or chunked encoding).
    :param max_unpacked: unpacked bytes read at most to compare the CRCs of a ZIP's members.
    :param max_json: bytes of a JSON file parsed in memory at most.
    """

    def __init__(
        self,
        filename: str,
        *,
        zip_expected: bool = False,
        length: int | None = None,
        framed: bool = False,
        max_unpacked: int | None = None,
        max_json: int | None = None,
    ) -> None:
        self.filename = filename
        self.size = 0
        self._zip_expected = zip_expected
        self._length = length
        self._framed = framed or length is not None
        self._head = b""
        self._check: _Check | None = None
        self._make: dict[str, Callable[[], _Check]] = {
            "zip": lambda: _ZipCheck(max_unpacked),
            "xml": _XmlCheck,
            "json": lambda: _JsonCheck(max_json),
            "text": _Check,
        }
        self.kind = ""

    def _start(self) -> _Check:
        self.kind = kind_of(self.filename, self._head, zip_expected=self._zip_expected)
        check = self._make[self.kind]()
        head, self._head = self._head, b""
        if head:
            check.feed(head)
        self._check = check
        return check

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._check is not None:
            self._check.feed(chunk)
        elif len(self._head) + len(chunk) < _SNIFF:
            self._head += chunk
        else:
            self._head += chunk
            self._start()

    def finish(self) -> str | None:
        """How the whole body was verified, or None when nothing could (logged); BrokenBody if it failed."""
        check = self._check or self._start()
        if self._length is not None and self.size != self._length:
            raise BrokenBody(f"it ended after {self.size} of the {self._length} bytes announced")
        verified = check.finish()
        if verified is None and self._framed:
            verified = "complete by its framing (Content-Length or chunked encoding)"
        if verified is None:
            log.info(
                "download %r (%d bytes) could not be verified: no length was announced and its format (%s) "
                "has no check",
                self.filename,
                self.size,
                self.kind,
            )
        else:
            log.debug("download %r (%d bytes) verified: %s", self.filename, self.size, verified)
        return verified


# -- JSON answers of API calls -------------------------------------------------------------------------------


def parse_answer(body: bytes) -> Any:
    """The JSON value of an API answer that looks like JSON.

    :raises BrokenBody: the text ends before the value does (a cut after the headers: repeat the call).
    :raises ValueError: it is no JSON for another reason (left to the caller to describe).
    """
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # cut inside a multi-byte character
            raise BrokenBody("the JSON answer ends inside a character") from None
        raise
    except json.JSONDecodeError as exc:
        rest = exc.doc[exc.pos :].strip()
        if exc.msg.startswith("Unterminated string") or _PARTIAL_WORD.fullmatch(rest):
            raise BrokenBody(f"the JSON answer ends before its value does ({exc.msg})") from None
        raise
