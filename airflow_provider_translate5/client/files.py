"""Streaming uploads and downloads: memory use never grows with the file size.

Uploads are validated before any HTTP call and can be re-opened for a retry; downloads are written to a
temporary file beside the destination and renamed into place, so an interrupted transfer leaves nothing
behind. Server-supplied names go through :func:`safe_filename`.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import mimetypes
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
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


# translate5 sends both parameters unquoted and, for filetranslation exports, with RAW UTF-8 bytes and spaces:
# ``filename*=UTF-8''About us ÄÖ_de.xlf; filename=About us ÄÖ_de.xlf``; so a value runs up to the next ``;``.
_EXTENDED = re.compile(r"filename\*\s*=\s*([\w!#$%&+^`{}~-]*)'[^']*'([^;]+)", re.IGNORECASE)
_QUOTED = re.compile(r'(?<![\w*])filename\s*=\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_BARE = re.compile(r"(?<![\w*])filename\s*=\s*([^;]+)", re.IGNORECASE)


def filename_from_content_disposition(header: str | None) -> str | None:
    """The raw (unsanitised) filename of a ``Content-Disposition`` header; RFC 5987 ``filename*`` wins.

    Handles percent-encoded names (RFC 5987, what translate5 sends for ZIP and Excel exports) as well as the
    raw UTF-8 names of its filetranslation export, whether they arrive as text or as latin-1 mojibake.
    """
    if not header:
        return None
    match = _EXTENDED.search(header)
    if match:
        charset = match.group(1) or "utf-8"
        value = _decode_latin1_utf8(match.group(2).strip())
        try:
            # An encoded "/" (translate5: a task "en / fr") is part of the name, not a directory.
            return unquote(value, encoding=charset, errors="strict").replace("/", "_")
        except (LookupError, UnicodeDecodeError):
            pass
    match = _QUOTED.search(header)
    if match:
        return _decode_latin1_utf8(re.sub(r"\\(.)", r"\1", match.group(1)))
    match = _BARE.search(header)
    if match:
        return unquote(_decode_latin1_utf8(match.group(1).strip()), errors="replace")
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
    """A streamed download that is still open; read it with :meth:`iter_bytes` inside the ``with`` block.

    At most ``max_bytes`` decoded bytes are accepted (``Content-Encoding: gzip`` bombs stop there), and the
    whole transfer ends at the call's deadline, however slowly the server sends. Every chunk passes the
    body's check (:mod:`~airflow_provider_translate5.client.verify`) on its way out, and the last one is
    handed over only after the whole body passed: a write that commits when the chunks end (the one atomic
    writer) never commits a body that failed.

    :param zip_expected: the call answers a ZIP whatever its name says (checked as one).
    :param on_broken: the error for a body that failed its check (the text says why).
    :param max_json: bytes of a JSON file parsed at most to check it.
    """

    def __init__(
        self,
        response: requests.Response,
        *,
        fallback_name: str,
        on_error: Callable[[Exception], Exception],
        max_bytes: int | None = None,
        on_limit: Callable[[int], Exception] | None = None,
        on_deadline: Callable[[], Exception] | None = None,
        on_broken: Callable[[str], Exception] | None = None,
        zip_expected: bool = False,
        max_json: int | None = None,
    ) -> None:
        from airflow_provider_translate5.client.verify import BodyCheck

        self._response = response
        self._on_error = on_error
        self._max_bytes = max_bytes
        self._on_limit = on_limit
        self._on_deadline = on_deadline
        self._on_broken = on_broken or (lambda problem: on_error(EOFError(problem)))
        self._deadline: Any = getattr(response, "t5_deadline", None)
        self._chunks: Iterator[bytes] | None = None
        self._buffer: list[bytes] = []
        self._received = 0
        self._ended = False
        self._broken: str | None = None
        self._checked = False
        self.content_type: str | None = response.headers.get("Content-Type")
        length = response.headers.get("Content-Length")
        self.content_length: int | None = int(length) if length and length.isdigit() else None
        self.content_disposition: str | None = response.headers.get("Content-Disposition")
        self._raw_name = filename_from_content_disposition(self.content_disposition)
        self._fallback_name = fallback_name
        self._filename: str | None = None
        encoded = response.headers.get("Content-Encoding", "identity") != "identity"
        self._check = BodyCheck(
            self._raw_name or fallback_name,
            zip_expected=zip_expected,
            length=None if encoded else self.content_length,  # a Content-Length then counts encoded bytes
            framed="chunked" in response.headers.get("Transfer-Encoding", "").lower(),
            max_unpacked=max_bytes,
            max_json=max_json,
        )

    def __repr__(self) -> str:
        return f"Download(filename={self.filename!r}, content_type={self.content_type!r})"

    @property
    def filename(self) -> str:
        """The server's name (sanitised), else the fallback with an extension by the body's first bytes."""
        if self._filename is None:
            from airflow_provider_translate5.client.verify import extension_by_body

            default = self._fallback_name
            if "." not in default:
                default += extension_by_body(self.peek(16), self.content_type)
            self._filename = safe_filename(self._raw_name, default=default)
        return self._filename

    def _next(self, chunk_size: int) -> bytes | None:
        """The next decoded chunk, counted against the limit; None at the (checked) end of the body."""
        import requests

        if self._ended:
            return None
        if self._chunks is None:
            self._chunks = self._response.iter_content(chunk_size=chunk_size)
        try:
            chunk = next(self._chunks, None)
        except (requests.RequestException, OSError) as exc:
            if self._deadline is not None and self._deadline.passed() and self._on_deadline is not None:
                raise self._on_deadline() from exc
            raise self._on_error(exc) from exc
        if chunk is None:
            self._ended = True
            if self._deadline is not None and self._deadline.expired and self._on_deadline is not None:
                raise self._on_deadline()  # the socket was shut at the deadline: the body is cut short
            return None
        self._received += len(chunk)
        if self._max_bytes is not None and self._received > self._max_bytes:
            self._response.close()
            if self._on_limit is not None:
                raise self._on_limit(self._max_bytes)
            raise self._on_error(EOFError(f"more than {self._max_bytes} bytes"))
        self._verify(lambda: self._check.feed(chunk))
        return chunk

    def _verify(self, step: Callable[[], object]) -> None:
        """Run a step of the body's check; a failure ends the body here and is raised by :meth:`iter_bytes`
        (so :meth:`peek` still shows what the answer is: an envelope is an API error, not a broken file)."""
        from airflow_provider_translate5.client.verify import BrokenBody

        try:
            step()
        except BrokenBody as exc:
            self._ended = True
            self._response.close()
            self._broken = str(exc)

    def peek(self, size: int) -> bytes:
        """The first ``size`` bytes (fewer if the body is shorter), still delivered by :meth:`iter_bytes`."""
        while sum(map(len, self._buffer)) < size:
            chunk = self._next(CHUNK_SIZE)
            if chunk is None:
                break
            self._buffer.append(chunk)
        return b"".join(self._buffer)[:size]

    @property
    def complete(self) -> bool:
        """Whether the whole body has been read (e.g. by :meth:`peek`)."""
        return self._ended

    def iter_bytes(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The body in chunks, the end only once the whole body passed its check.

        A broken transfer or a body that fails its check raises Translate5ConnectionError (a
        Translate5TransferError for a failed check) instead of ending: nothing reading it commits.
        """
        while self._buffer:
            yield self._buffer.pop(0)
        while (chunk := self._next(chunk_size)) is not None:
            yield chunk
        if self._broken is None and not self._checked:
            self._checked = True
            self._verify(self._check.finish)
        if self._broken is not None:
            raise self._on_broken(self._broken)

    def save(self, destination: str | os.PathLike[str] | Any) -> Any:
        """Write atomically to ``destination`` (a directory: use :attr:`filename` inside it)."""
        return write_atomically(self.iter_bytes(), target_in(destination, self.filename))


# -- the one atomic writer -----------------------------------------------------------------------------------


def _local(target: Any) -> Path | None:
    """The local path behind ``target``, or None for an object-storage path (ObjectStoragePath, UPath)."""
    if isinstance(target, PurePath):
        return Path(target)
    if isinstance(target, str):
        return (
            None
            if "://" in target and not target.startswith("file://")
            else Path(target.removeprefix("file://"))
        )
    if getattr(target, "protocol", None) in ("file", "local", ""):
        return Path(str(target.path))
    if isinstance(target, os.PathLike) and not hasattr(target, "protocol"):
        return Path(os.fspath(target))
    return None


def target_in(destination: Any, filename: str) -> Any:
    """Where a download named ``filename`` goes: into ``destination`` if it is (or ends like) a directory."""
    local = _local(destination)
    if local is not None:
        if local.is_dir():
            return local / filename
        if str(destination).endswith(("/", os.sep)):
            local.mkdir(parents=True, exist_ok=True)
            return local / filename
        return local
    if str(destination).endswith("/") or destination.is_dir():
        return destination / filename
    return destination


def partial_path(target: Any) -> Any:
    """The temporary name a write of ``target`` uses: hidden, beside it, the same for every try.

    Being deterministic, a rerun overwrites (or :func:`remove_stale_partials` removes) what an earlier,
    killed try left behind, instead of leaving one more ``.part`` file per try.
    """
    name = str(target.name)
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
    return target.parent / f".{name[:50]}.{digest}.part"


def write_atomically(chunks: Iterable[bytes], target: Any) -> Any:
    """The only writer of downloads: all bytes land under :func:`partial_path`, then one rename to ``target``.

    ``target`` is a local path (``pathlib.Path`` or ``str``) or an object-storage path such as Airflow's
    ``ObjectStoragePath`` (anything with ``open``, ``rename``/``replace``, ``unlink``, ``parent`` and
    ``name``). Local files are created with mode ``0o666 & ~umask`` like any file a program writes (so a
    CMS importer running as another user can read them), fsynced before the rename, and the rename is atomic:
    readers see the old file or the whole new one. On any failure the partial file is removed and the target
    is left as it was. Returns the target (a ``Path`` for local targets).
    """
    local = _local(target)
    if local is not None:
        return _write_local(chunks, local)
    temp = partial_path(target)
    try:
        with temp.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        try:
            temp.replace(target)
        except (AttributeError, NotImplementedError):  # object stores: a copy and a delete, not atomic
            temp.rename(target)
    except BaseException:
        with contextlib.suppress(Exception):
            temp.unlink()
        raise
    return target


def _lock(fd: int) -> bool:
    """Take the writer's lock on a partial file; False if another live process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no cross-process lock, last writer wins
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _open_partial(temp: Path) -> int:
    """Create the partial file afresh (new mode, no stale bytes), unless a live writer holds it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _attempt in range(3):
        try:
            fd = os.open(temp, flags, 0o666)  # the umask applies, as for any file a program creates
        except FileExistsError:
            _remove_if_stale(temp)
            continue
        if _lock(fd):
            return fd
        os.close(fd)  # pragma: no cover - lost a race for a name just created
    raise _busy(temp)


def _busy(temp: Path) -> FileExistsError:
    name = temp.name[1:].rsplit(".", 2)[0]
    return FileExistsError(
        errno.EEXIST, f"another process is writing {name!r} right now (its partial file {temp} is locked)"
    )


def _remove_if_stale(temp: Path) -> bool:
    """Remove a partial file nobody writes any more (its writer died); keep one a live writer holds."""
    try:
        fd = os.open(temp, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return False
    try:
        if not _lock(fd):
            raise _busy(temp)
        temp.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)


def _write_local(chunks: Iterable[bytes], target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = partial_path(target)
    fd = _open_partial(temp)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(temp, target)  # still under the lock: no other writer can take the name meanwhile
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_dir(target.parent)
    return target


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); best effort elsewhere."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_partials(target: Any) -> list[str]:
    """Remove what earlier, killed tries of writing ``target`` left behind; returns what was removed.

    Covers the partial name of :func:`write_atomically` and the random-suffixed names earlier versions of the
    provider used. A partial file a live writer still holds is kept.
    """
    local = _local(target)
    removed: list[str] = []
    if local is None:
        temp = partial_path(target)
        with contextlib.suppress(FileNotFoundError):
            if temp.exists():
                temp.unlink()
                removed.append(str(temp))
        return removed
    if not local.parent.is_dir():
        return removed
    current = partial_path(local)
    older = glob.escape(f".{local.name[:50]}.") + "*.part"
    for candidate in sorted({current, *local.parent.glob(older)}):
        if candidate.name == local.name or not candidate.name.endswith(".part"):
            continue
        with contextlib.suppress(FileExistsError):
            if _remove_if_stale(candidate):
                removed.append(str(candidate))
    return removed
