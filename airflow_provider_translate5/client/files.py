"""Streaming uploads and downloads: memory use never grows with the file size.

Uploads are validated before any HTTP call and can be re-opened for a retry; downloads are written to a
temporary file beside the destination and renamed into place, so an interrupted transfer leaves nothing
behind. Server-supplied names go through :func:`safe_filename`.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Union
from urllib.parse import unquote

from airflow_provider_translate5.client.errors import Translate5ValueError

if TYPE_CHECKING:
    import requests
    from requests_toolbelt import MultipartEncoder

CHUNK_SIZE = 1 << 20
MAX_FILENAME_BYTES = 200
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
_DOTS = re.compile(r"\.{2,}")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)


@dataclass(frozen=True)
class UploadFile:
    """A file to upload from an open binary file object (read from its current position)."""

    filename: str
    fileobj: BinaryIO
    content_type: str | None = None


UploadSource = Union[str, "os.PathLike[str]", tuple[str, BinaryIO], UploadFile]


def _clean_name(name: str | None, max_bytes: int) -> str:
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = _DOTS.sub(".", _UNSAFE.sub("_", text)).strip(" .")
    if text.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        text = f"_{text}"
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 16:
        stem, ext = text, ""
    room = max_bytes - (len(ext.encode("utf-8")) + 1 if ext else 0)
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
    return f"{stem}.{ext}" if ext else stem


def safe_filename(name: str | None, default: str = "download", max_bytes: int = MAX_FILENAME_BYTES) -> str:
    """A name that is safe to join to a directory: one path component that can never escape it.

    Keeps only the last component (either separator kind), replaces NUL, control characters and characters
    Windows refuses, collapses runs of dots (so never ``..``), trims leading/trailing dots and spaces, and
    bounds the UTF-8 length while keeping a short extension. Operators reuse it for ZIP member names.
    Unusable names become ``default`` (sanitised the same way), or ``"download"``.
    """
    return _clean_name(name, max_bytes) or _clean_name(default, max_bytes) or "download"


def _decode_latin1_utf8(value: str) -> str:
    # http.client decodes header bytes as latin-1; a raw UTF-8 filename then arrives as mojibake.
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


_EXTENDED = re.compile(r"filename\*\s*=\s*([\w!#$%&+^`{}~-]*)'[^']*'([^;\s]+)", re.IGNORECASE)
_QUOTED = re.compile(r'(?<![\w*])filename\s*=\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_BARE = re.compile(r"(?<![\w*])filename\s*=\s*([^;]+)", re.IGNORECASE)


def filename_from_content_disposition(header: str | None) -> str | None:
    """The raw (unsanitised) filename of a ``Content-Disposition`` header; RFC 5987 ``filename*`` wins."""
    if not header:
        return None
    match = _EXTENDED.search(header)
    if match:
        charset = match.group(1) or "utf-8"
        try:
            return unquote(match.group(2), encoding=charset, errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass
    match = _QUOTED.search(header)
    if match:
        return _decode_latin1_utf8(re.sub(r"\\(.)", r"\1", match.group(1)))
    match = _BARE.search(header)
    if match:
        return _decode_latin1_utf8(match.group(1).strip())
    return None


class _Remaining:
    """A file from its start position to its end, as MultipartEncoder reads it.

    requests-toolbelt copies anything with ``getvalue`` (BytesIO) into memory from offset 0; this
    wrapper keeps every upload streamed and honours the start position. ``len`` must shrink while
    the encoder reads.
    """

    def __init__(self, fileobj: BinaryIO, start: int, end: int) -> None:
        self._fileobj = fileobj
        # The position is counted here, not asked of the file: the encoder asks ``len`` several times per
        # block, and ``tell()`` on wrapped files (fsspec, Airflow's lineage proxy) is far from free.
        self._position = start
        self._end = end

    @property
    def len(self) -> int:
        return max(self._end - self._position, 0)

    def read(self, size: int = -1) -> bytes:
        remaining = self.len
        # Never past the length announced as Content-Length, even if the file grew meanwhile.
        wanted = remaining if size is None or size < 0 else min(size, remaining)
        if wanted == 0:
            return b""
        data = self._fileobj.read(wanted)
        if not data:
            # The encoder keeps reading while ``len`` says bytes remain: an empty read would spin forever.
            raise Translate5ValueError(
                f"the upload ended {remaining} bytes early: the file changed or shrank while being sent"
            )
        self._position += len(data)
        return data


def _seekable(fileobj: IO[Any]) -> bool:
    try:
        return bool(fileobj.seekable())
    except (AttributeError, OSError, ValueError):
        return False


@dataclass(frozen=True)
class PreparedUpload:
    """A validated upload, opened afresh (files rewound) for every attempt: retries, re-authentication."""

    filename: str
    content_type: str
    path: Path | None = None
    fileobj: BinaryIO | None = None
    start: int = 0

    def open(self, stack: contextlib.ExitStack) -> _Remaining:
        """The content from its start; files opened here are closed when ``stack`` closes."""
        handle = stack.enter_context(self.path.open("rb")) if self.path is not None else self.fileobj
        assert handle is not None
        start = 0 if self.path is not None else self.start
        end = handle.seek(0, os.SEEK_END)
        handle.seek(start)
        return _Remaining(handle, start, end)


def prepare_upload(source: UploadSource, what: str = "file") -> PreparedUpload:
    """Check an upload before any HTTP call: it must exist, be re-readable and not be empty."""
    if isinstance(source, UploadFile):
        filename, fileobj, content_type = source.filename, source.fileobj, source.content_type
    elif isinstance(source, tuple) and len(source) == 2:
        (filename, fileobj), content_type = source, None
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise Translate5ValueError(f"{what} {str(path)!r} does not exist or is not a regular file")
        if path.stat().st_size == 0:
            raise Translate5ValueError(f"{what} {str(path)!r} is empty; translate5 would reject it (E1026)")
        return PreparedUpload(filename=path.name, content_type=_guess_type(path.name), path=path)
    else:
        raise Translate5ValueError(
            f"{what} must be a path, a (filename, file object) tuple or an UploadFile, "
            f"got {type(source).__name__}"
        )
    filename = safe_filename(str(filename), default="upload")
    if not hasattr(fileobj, "read") or not _seekable(fileobj):
        raise Translate5ValueError(
            f"{what} {filename!r}: need a seekable binary file object (its size is sent up front and it is "
            "read again on a retry); pass a path or spool the data to a temporary file first"
        )
    start = fileobj.tell()
    end = fileobj.seek(0, os.SEEK_END)
    fileobj.seek(start)
    if end <= start:
        raise Translate5ValueError(f"{what} {filename!r} is empty; translate5 would reject it (E1026)")
    return PreparedUpload(
        filename=filename, content_type=content_type or _guess_type(filename), fileobj=fileobj, start=start
    )


def _guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


FormFields = Sequence[tuple[str, str]]
UploadFields = Sequence[tuple[str, PreparedUpload]]


def multipart_encoder(
    fields: FormFields, uploads: UploadFields, stack: contextlib.ExitStack
) -> MultipartEncoder:
    """A streaming multipart body; files are read while sending, never loaded into memory."""
    from requests_toolbelt import MultipartEncoder

    parts: list[tuple[str, Any]] = list(fields)
    parts.extend((name, (up.filename, up.open(stack), up.content_type)) for name, up in uploads)
    return MultipartEncoder(fields=parts)


class Download:
    """A streamed download that is still open; read it with :meth:`iter_bytes` inside the ``with`` block."""

    def __init__(
        self,
        response: requests.Response,
        *,
        fallback_name: str,
        on_error: Callable[[Exception], Exception],
    ) -> None:
        self._response = response
        self._on_error = on_error
        self.content_type: str | None = response.headers.get("Content-Type")
        length = response.headers.get("Content-Length")
        self.content_length: int | None = int(length) if length and length.isdigit() else None
        raw_name = filename_from_content_disposition(response.headers.get("Content-Disposition"))
        self.filename = safe_filename(raw_name, default=_with_extension(fallback_name, self.content_type))

    def __repr__(self) -> str:
        return f"Download(filename={self.filename!r}, content_type={self.content_type!r})"

    def iter_bytes(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The body in chunks; a broken or truncated transfer raises Translate5ConnectionError."""
        import requests

        received = 0
        try:
            for chunk in self._response.iter_content(chunk_size=chunk_size):
                received += len(chunk)
                yield chunk
        except (requests.RequestException, OSError) as exc:
            raise self._on_error(exc) from exc
        encoded = self._response.headers.get("Content-Encoding", "identity") != "identity"
        if self.content_length is not None and not encoded and received < self.content_length:
            raise self._on_error(EOFError(f"body ended after {received} of {self.content_length} bytes"))

    def save(self, destination: str | os.PathLike[str]) -> Path:
        """Write atomically to ``destination`` (a directory: use :attr:`filename` inside it)."""
        return write_atomically(self.iter_bytes(), _target_path(destination, self.filename))


def _with_extension(name: str, content_type: str | None) -> str:
    if "." in name or not content_type:
        return name
    extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
    return name + extension


def _target_path(destination: str | os.PathLike[str], filename: str) -> Path:
    path = Path(destination)
    if path.is_dir():
        return path / filename
    if str(destination).endswith(("/", os.sep)):
        path.mkdir(parents=True, exist_ok=True)
        return path / filename
    return path


def write_atomically(chunks: Iterator[bytes], target: Path) -> Path:
    """Write to a temp file beside ``target``, fsync, then ``os.replace``; on failure leave nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:50]}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return target
