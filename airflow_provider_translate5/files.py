"""Files in and out of translate5: local paths, URIs and ObjectStoragePath, always streamed.

The same DAG must run on one machine (local paths, ``file://``) and on Celery/Kubernetes workers
(``s3://``, ``gs://`` ...). Every byte is written by the client's one atomic writer
(``client.files.write_atomically``). What an operator delivers in one go (a project's exports, an unzipped
archive, every batch of a batch export) goes through a :class:`Delivery`: everything is first written into a
hidden staging folder, then moved into place together, each replaced file kept until all moves succeeded:
the destination ends up with all the new files or exactly as it was. ZIP archives are extracted only after
every member was checked.

Where bytes land is decided once, by :func:`location`: a symlinked folder, ``..``, ``//``,
``file://localhost/`` and ``local://`` name the same place as the plain path, so a destination compared with
:func:`overlaps` cannot overwrite a source written another way.

A staging folder left by a killed delivery is removed by the next delivery into the same folder, whichever
task instance it belongs to, once its owner is certainly gone:

- local folders: the owner holds a lock on ``owner.json`` inside it for its whole life; the kernel drops the
  lock when the process dies. A folder whose lock is free and whose owner ran on this machine is stale. One
  whose owner ran on another machine (a shared NFS mount, where locks may be local only) is stale when its
  lock is free and its owner gave no sign of life for :data:`STALE_AFTER`.
- object storage (no locks): stale when its owner ran on this machine and that process is gone, or when its
  owner gave no sign of life for :data:`STALE_AFTER`. A live delivery renews its sign of life while it
  writes, at least every :data:`HEARTBEAT` seconds.

A staging folder that holds the previous versions of replaced files (a commit that was killed midway, or a
rollback that failed) is never removed automatically: it is the only copy left; a warning names it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import re
import secrets
import shutil
import socket
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path, PurePath, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, BinaryIO, NamedTuple, Union

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    from airflow_provider_translate5.client import UploadFile

#: A place to read or write: a local path, a URI ("s3://bucket/key", "file:///tmp/x") or an ObjectStoragePath.
PathLike = Union[str, "os.PathLike[str]", "ObjectStoragePath"]
#: Either a local file system path or an object storage path; both offer the pathlib API used here.
AnyPath = Union[Path, "ObjectStoragePath"]

log = logging.getLogger(__name__)

_RATIO_CHECK_MIN_SIZE = 1024**2  # tiny members may compress absurdly well without harm
_CHUNK = 1 << 20
_LOCAL_SCHEMES = ("file", "local")

STAGING_PREFIX = ".translate5-staging-"
#: A staging folder whose owner cannot be asked (another machine, object storage) is stale after this long
#: without a sign of life. No delivery writes for a day without a single chunk arriving.
STALE_AFTER = 24 * 3600.0
#: A live delivery renews its sign of life at least this often (seconds) while bytes arrive.
HEARTBEAT = 600.0
_OWNER = "owner.json"
_FILES = "files"
_BACKUPS = "backups"
_COMMITTED = "committed"


class UnsafeArchiveError(ValueError):
    """A ZIP archive from the server was refused (path traversal, links, bomb-like sizes)."""


class DestinationError(ValueError):
    """The destination cannot take the files (read-only, or it would overwrite a source)."""


class RollbackError(DestinationError):
    """A failed delivery could not put everything back: the destination is part old, part new.

    The text names every file that was restored, every new one that was removed, and every one that was not,
    with where its previous version is kept. No retry should write into the destination before a person
    has looked: the staging folder holding those versions is never removed automatically.
    """


# -- where things are ---------------------------------------------------------------------------------------


class Location(NamedTuple):
    """One spelling of a place: ``("file", "", "/real/path")`` or ``(store, bucket, "/normalised/key")``."""

    protocol: str
    bucket: str
    key: str

    def holds(self, other: Location) -> bool:
        """``other`` is this place or lies inside it."""
        if (self.protocol, self.bucket) != (other.protocol, other.bucket):
            return False
        return other.key == self.key or other.key.startswith(self.key.rstrip("/") + "/")


def _local_uri(text: str) -> str | None:
    """The local path a ``file://`` or ``local://`` URI names, None for any other text.

    As RFC 8089 reads it: ``file:///x`` and ``file://localhost/x`` are ``/x``. fsspec would take the host for
    the first folder of a path relative to the working directory, so a URI with another host is refused.
    """
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in _LOCAL_SCHEMES:
        return None
    host, _slash, path = rest.partition("/")
    if host.lower() not in ("", "localhost"):
        from airflow_provider_translate5.client import Translate5ValueError

        raise Translate5ValueError(
            f"{text!r} names the host {host!r}: a {scheme} URI names a file of this machine, "
            f"{scheme}:///path or {scheme}://localhost/path"
        )
    return "/" + path


def to_path(value: PathLike) -> AnyPath:
    """Interpret a user-supplied location: URIs become ObjectStoragePath, anything else a local Path."""
    from airflow.sdk import ObjectStoragePath

    if isinstance(value, (Path, ObjectStoragePath)):
        return value
    text = os.fspath(value)
    if "://" not in text:
        return Path(text).expanduser()
    local = _local_uri(text)
    if local is not None:  # file://localhost/x: where RFC 8089 says, not in a folder named "localhost"
        return ObjectStoragePath(f"{text.partition('://')[0].lower()}://{local}")
    return ObjectStoragePath(text)


def location(value: PathLike) -> Location:
    """Where bytes written to ``value`` land, spelled one way only.

    Local places (paths, ``file://``, ``file://localhost/``, ``local://``, ``~``) are resolved like the
    kernel resolves them: symbolic links, ``..`` and ``//``. Object storage places compare as protocol
    (``s3`` and ``s3a``, ``gs`` and ``gcs`` are one store), bucket (without the connection id of
    ``s3://conn@bucket``) and key with ``//``, ``.`` and ``..`` collapsed: two keys a store might keep apart
    are taken as one place, never two names of one place as two. Needs no Airflow import (DAG parse time).
    """
    if isinstance(value, PurePath):
        return _local_location(str(value))
    protocol = getattr(value, "protocol", None)
    if isinstance(protocol, str) and not isinstance(value, str):  # an ObjectStoragePath (a UPath)
        if protocol.lower() in (*_LOCAL_SCHEMES, ""):
            return _local_location(str(value.path))  # type: ignore[union-attr]
        text = str(value)
    else:
        text = os.fspath(value)  # type: ignore[arg-type]
    if "://" not in text:
        return _local_location(text)
    local = _local_uri(text)
    if local is not None:
        return _local_location(local)
    scheme, _sep, rest = text.partition("://")
    netloc, _slash, key = rest.partition("/")
    bucket = netloc.rpartition("@")[2].lower()
    return Location(_store(scheme), bucket, posixpath.normpath(re.sub("/+", "/", "/" + key)))


def _local_location(text: str) -> Location:
    return Location("file", "", os.path.realpath(os.path.expanduser(text)))


def _store(scheme: str) -> str:
    """One name per kind of store: the fsspec class behind the protocol, or the protocol when unknown."""
    scheme = scheme.lower()
    from fsspec.registry import known_implementations

    spec = known_implementations.get(scheme)
    return str(spec["class"]) if spec else scheme


def overlaps(sources: PathLike | Sequence[PathLike], destination: PathLike) -> bool:
    """Whether writing ``destination`` would overwrite a source: it is one, or lies inside one (a folder).

    The one comparison of sources and destinations (see :func:`location`). Local places that both exist
    are also compared by the file system itself, which knows case-insensitive names and bind mounts.
    """
    items: Sequence[PathLike] = [sources] if is_single(sources) else sources  # type: ignore[list-item,assignment]
    target = location(destination)
    for item in items:
        source = location(item)
        if source.holds(target):
            return True
        if source.protocol == target.protocol == "file":
            with suppress(OSError):
                if os.path.samefile(source.key, target.key):
                    return True
    return False


def is_single(value: Any) -> bool:
    """One location (as opposed to a list of them)."""
    return isinstance(value, (str, os.PathLike)) or (
        isinstance(getattr(value, "protocol", None), str) and hasattr(value, "fs")
    )


def uri(path: AnyPath) -> str:
    """A string naming the file for XCom, Asset events and logs (never credentials)."""
    if isinstance(path, Path):
        return path.resolve().as_uri()
    return str(path)


def is_dir(path: AnyPath) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


# -- reading sources ----------------------------------------------------------------------------------------


@contextmanager
def upload_sources(
    sources: PathLike | Sequence[PathLike],
) -> Iterator[list[str | os.PathLike[str] | UploadFile]]:
    """Turn user sources into client upload sources, opening object storage files for streaming.

    Local files are handed to the client as paths (it streams them itself); object storage files are opened
    with ``open("rb")`` and closed when the block ends. Nothing is read into memory here.
    """
    from airflow_provider_translate5.client import UploadFile

    items: Sequence[PathLike] = [sources] if is_single(sources) else sources  # type: ignore[list-item,assignment]
    with ExitStack() as stack:
        prepared: list[str | os.PathLike[str] | UploadFile] = []
        for item in items:
            path = to_path(item)
            if isinstance(path, Path):
                prepared.append(path)
            else:
                prepared.append(UploadFile(path.name, stack.enter_context(open_for_upload(path))))
        yield prepared


@contextmanager
def open_upload(source: PathLike) -> Iterator[tuple[str, BinaryIO]]:
    """``(file name, open binary file)`` of one source, local or object storage; closed after the block."""
    path = to_path(source)
    if isinstance(path, Path):
        if not path.is_file():
            from airflow_provider_translate5.client import Translate5ValueError

            raise Translate5ValueError(f"file {str(path)!r} does not exist or is not a regular file")
        with path.open("rb") as handle:
            yield path.name, handle
        return
    with open_for_upload(path) as handle:
        yield path.name, handle


def open_for_upload(path: Any) -> BinaryIO:
    """Open an object storage file for streaming, reporting it to Airflow's lineage once.

    ``ObjectStoragePath.open()`` wraps the file in a proxy that reports lineage on *every* call; over the
    tens of thousands of reads of a large upload that halves the throughput (see docs/performance.md).
    """
    from airflow.sdk.lineage import get_hook_lineage_collector

    get_hook_lineage_collector().add_input_asset(context=path, uri=str(path))
    return path.fs.open(path.path, "rb")  # type: ignore[no-any-return]


def ensure_dir(path: AnyPath) -> AnyPath:
    path.mkdir(parents=True, exist_ok=True)
    return path


def iter_file(fileobj: IO[bytes], chunk_size: int = _CHUNK) -> Iterator[bytes]:
    while chunk := fileobj.read(chunk_size):
        yield chunk


# -- ZIP archives -------------------------------------------------------------------------------------------


def _limits(
    max_total_size: int | None, max_ratio: float | None, max_members: int | None
) -> tuple[int, float, int]:
    """The given limits, each None replaced by the client's default (one export may not cost more as
    archive members than as an HTTP body)."""
    from airflow_provider_translate5.client import limits

    return (
        limits.DEFAULT_MAX_DOWNLOAD_BYTES if max_total_size is None else max_total_size,
        limits.DEFAULT_MAX_COMPRESSION_RATIO if max_ratio is None else max_ratio,
        limits.DEFAULT_MAX_ZIP_MEMBERS if max_members is None else max_members,
    )


def check_archive(
    archive: zipfile.ZipFile,
    *,
    max_total_size: int | None = None,
    max_ratio: float | None = None,
    max_members: int | None = None,
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Check every member before anything is written; return (member, safe relative path) for the files.

    Refused: absolute paths, drive letters, ``..``, NUL bytes, symbolic links and other non-regular entries,
    duplicate names, more than ``max_members`` entries, more than ``max_total_size`` bytes in total, and
    members that expand more than ``max_ratio`` times (None: the client's default limits).
    """
    max_total_size, max_ratio, max_members = _limits(max_total_size, max_ratio, max_members)
    infos = archive.infolist()
    if len(infos) > max_members:
        raise UnsafeArchiveError(f"archive has {len(infos)} entries; the limit is {max_members}")
    files: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    seen: set[str] = set()
    folders: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        relative = safe_member_path(name)  # first: an empty or hostile name must not reach ZipInfo methods
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(f"archive member {name!r} is a symbolic link")
        # Case-insensitive, like the file systems users unpack onto (macOS, Windows, many object stores).
        key = relative.as_posix().lower()
        if info.is_dir():
            folders.add(key)
            continue
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # many tools store permissions without a type
            raise UnsafeArchiveError(f"archive member {name!r} is not a regular file")
        if key in seen:
            raise UnsafeArchiveError(f"archive member {name!r} appears twice")
        seen.add(key)
        folders.update(parent.as_posix().lower() for parent in relative.parents if parent.parts)
        total += info.file_size
        if total > max_total_size:
            raise UnsafeArchiveError(f"archive expands to more than {max_total_size} bytes")
        if info.file_size > _RATIO_CHECK_MIN_SIZE and info.file_size > max_ratio * max(info.compress_size, 1):
            raise UnsafeArchiveError(
                f"archive member {name!r} expands {info.file_size / max(info.compress_size, 1):.0f} times "
                f"(limit {max_ratio:g}); refusing a possible ZIP bomb"
            )
        files.append((info, relative))
    clash = seen & folders
    if clash:
        raise UnsafeArchiveError(f"archive member {sorted(clash)[0]!r} is both a file and a folder")
    return files


def safe_member_path(name: str) -> PurePosixPath:
    """A ZIP member name as a relative path that cannot leave the extraction folder."""
    if "\x00" in name:
        raise UnsafeArchiveError(f"archive member {name!r} contains a NUL byte")
    normalized = name.replace("\\", "/")
    parts = [part for part in normalized.split("/") if part not in ("", ".")]
    if normalized.startswith("/") or (parts and len(parts[0]) == 2 and parts[0][1] == ":"):
        raise UnsafeArchiveError(f"archive member {name!r} has an absolute path")
    if not parts or ".." in parts:
        raise UnsafeArchiveError(f"archive member {name!r} points outside the archive folder")
    return PurePosixPath(*parts)


def extract_archive(
    archive: Path | IO[bytes],
    destination: AnyPath,
    delivery: Delivery,
    *,
    max_total_size: int | None = None,
    max_ratio: float | None = None,
    max_members: int | None = None,
) -> None:
    """Stage every member of a checked archive (a path or an open file) for ``destination`` in ``delivery``.

    Sizes are also counted while decompressing: a member that lies about its size cannot pass the limit.
    """
    max_total_size, max_ratio, max_members = _limits(max_total_size, max_ratio, max_members)
    try:
        with zipfile.ZipFile(archive) as opened:
            members = check_archive(
                opened, max_total_size=max_total_size, max_ratio=max_ratio, max_members=max_members
            )
            budget = [max_total_size]
            for info, relative in members:
                with opened.open(info) as member:
                    delivery.write(
                        destination.joinpath(*relative.parts), _bounded(member, budget, info.filename)
                    )
    except zipfile.BadZipFile as exc:
        raise UnsafeArchiveError(f"the export is not a valid ZIP archive: {exc}") from exc


def extract_all(archive: Path | IO[bytes], destination: AnyPath, **limits: Any) -> list[str]:
    """Extract a checked archive into ``destination``, all or nothing; returns the written URIs."""
    with Delivery(destination, f"extract:{destination}") as delivery:
        extract_archive(archive, destination, delivery, **limits)
        return delivery.commit()


def _bounded(member: IO[bytes], budget: list[int], name: str) -> Iterator[bytes]:
    for chunk in iter_file(member):
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise UnsafeArchiveError(f"archive member {name!r} expands beyond the size limit")
        yield chunk


# -- delivering -------------------------------------------------------------------------------------------


def check_writable(folder: AnyPath) -> None:
    """Create ``folder`` and write a probe file into it: a read-only place is refused before any download.

    A real write, not ``os.access``: that says yes to root and knows nothing of read-only mounts.
    """
    if not isinstance(folder, Path):
        return  # object stores report missing permissions only on the write itself
    probe = folder / f".translate5-probe-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise DestinationError(f"the destination {folder} is not writable: {exc}") from exc


class Delivery:
    """All-or-nothing delivery of several files under ``root``: stage everything, then swap it in.

    Files are written (by the client's atomic writer) into ``<root>/.translate5-staging-<tag>-<random>/``;
    nothing at their targets changes until :meth:`commit`, which moves them in. A replaced file is first kept
    in the staging folder (a hard link, or a copy on object storage), under its own path, so no two backups
    can share a name; if a later move fails, every replaced file is put back and every new one removed. What
    cannot be put back is named in a :class:`RollbackError`. Entering a delivery removes the staging folders
    earlier, killed deliveries left in ``root`` (the rule is in the module's docstring).
    """

    def __init__(self, root: AnyPath, tag: str) -> None:
        self.root = root
        digest = hashlib.sha256(tag.encode("utf-8")).hexdigest()[:12]
        # One folder per delivery: two tries of one task instance (a zombie and its retry) never share one.
        self.staging = root / f"{STAGING_PREFIX}{digest}-{secrets.token_hex(4)}"
        self._files: list[tuple[AnyPath, AnyPath]] = []  # (staged, target)
        self._names: set[str] = set()
        self._created_root = False
        self._owner: _Owner | None = None
        self._keep_staging = False

    def __enter__(self) -> Delivery:
        """Create the root (refused clearly if read-only), claim a staging folder, clear stale ones."""
        self._created_root = not is_dir(self.root)
        try:
            ensure_dir(self.root)
            ensure_dir(self.staging)
            self._owner = _Owner.claim(self.staging)
        except OSError as exc:
            _remove_tree(self.staging)
            if isinstance(exc, PermissionError):
                raise DestinationError(f"the destination {uri(self.root)} is not writable: {exc}") from exc
            raise DestinationError(f"cannot write into the destination {uri(self.root)}: {exc}") from exc
        remove_stale_stagings(self.root, keep=self.staging)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: Any) -> None:
        try:
            if not self._keep_staging:
                _remove_tree(self.staging)  # still claimed: no other delivery takes it for stale meanwhile
        finally:
            if self._owner is not None:
                self._owner.release()
        if exc_type is not None and self._created_root:
            with suppress(OSError):
                self.root.rmdir()  # only if still empty: the destination is left as it was

    def write(self, target: AnyPath, chunks: Iterable[bytes]) -> None:
        """Stage the bytes of ``target`` (a path under ``root``)."""
        from airflow_provider_translate5.client.files import remove_stale_partials, write_atomically

        relative = _relative(target, self.root)
        if relative.as_posix().lower() in self._names:  # case-insensitive, like many file systems
            raise DestinationError(f"{relative} would be delivered twice into {uri(self.root)}")
        self._names.add(relative.as_posix().lower())
        staged = self.staging.joinpath(_FILES, *relative.parts)
        remove_stale_partials(target)  # the random-suffixed temp files of older provider versions
        ensure_dir(staged.parent)
        write_atomically(self._alive(chunks), staged)
        self._files.append((staged, target))

    def unpack(
        self,
        chunks: Iterable[bytes],
        folder: AnyPath,
        *,
        max_total_size: int | None = None,
        max_ratio: float | None = None,
        max_members: int | None = None,
    ) -> None:
        """Stage the members of a ZIP download for ``folder`` (see :func:`extract_archive`).

        The archive needs random access, so it is spooled to a temporary file without a name: the kernel
        frees it when the file is closed (in a ``finally``) or the process dies, even by ``kill -9``;
        no customer data stays behind in ``$TMPDIR``.
        """
        with tempfile.TemporaryFile(prefix="translate5-", suffix=".zip") as spool:
            for chunk in self._alive(chunks):
                spool.write(chunk)
            spool.seek(0)
            extract_archive(
                spool,
                folder,
                self,
                max_total_size=max_total_size,
                max_ratio=max_ratio,
                max_members=max_members,
            )

    def commit(self) -> list[str]:
        """Move every staged file to its target; on any failure put everything back. Returns the URIs."""
        moved: list[tuple[AnyPath, AnyPath | None]] = []  # (target, its backup or None for a new file)
        created: list[AnyPath] = []
        try:
            for staged, target in self._files:
                created += _make_parents(target.parent, self.root)
                backup = None
                if target.exists():
                    backup = self.staging.joinpath(_BACKUPS, *_relative(target, self.root).parts)
                    ensure_dir(backup.parent)
                    _keep(target, backup)
                _move(staged, target)
                moved.append((target, backup))
        except BaseException as exc:
            self._roll_back(moved, created, exc)
            raise
        with suppress(OSError):  # the backups are no longer needed: a stale folder may go as it is
            _mark(self.staging / _COMMITTED)
        return [uri(target) for _staged, target in self._files]

    def _roll_back(
        self, moved: list[tuple[AnyPath, AnyPath | None]], created: list[AnyPath], cause: BaseException
    ) -> None:
        """Put back what ``commit`` replaced, remove what it added; raise RollbackError if anything stays."""
        restored: list[str] = []
        removed: list[str] = []
        left: list[str] = []
        for target, backup in reversed(moved):
            name = _relative(target, self.root).as_posix()
            try:
                if backup is None:
                    target.unlink()
                    removed.append(name)
                else:
                    _move(backup, target)
                    restored.append(name)
            except OSError as exc:
                kept = f"its previous version is at {uri(backup)}" if backup else "new, still there"
                left.append(f"{name} ({exc}; {kept})")
        for folder in reversed(created):
            with suppress(OSError):
                folder.rmdir()
        if left:
            self._keep_staging = True
            raise RollbackError(
                f"the delivery into {uri(self.root)} failed ({cause!r}) and could not be undone completely: "
                f"NOT restored: {_listed(left)}; restored: {_listed(restored)}; removed the new: "
                f"{_listed(removed)}. The staging folder {uri(self.staging)} keeps the previous versions "
                f"and is never removed automatically: restore them by hand, then delete it"
            ) from cause

    def _alive(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The chunks, renewing this delivery's sign of life while they arrive."""
        for chunk in chunks:
            if self._owner is not None:
                self._owner.beat()
            yield chunk


def _listed(names: list[str]) -> str:
    """Names collected while undoing (last first), in delivery order."""
    return ", ".join(reversed(names)) or "-"


class _Owner:
    """A delivery's claim on its staging folder: ``owner.json`` names the machine and process, and says
    when it last showed a sign of life. Locally the open file is also locked until the delivery ends."""

    def __init__(self, path: AnyPath, fd: int | None) -> None:
        self.path = path
        self.fd = fd
        self.last_beat = 0.0

    @classmethod
    def claim(cls, staging: AnyPath) -> _Owner:
        path = staging / _OWNER
        fd = None
        if isinstance(path, Path):
            import fcntl

            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
            fcntl.flock(fd, fcntl.LOCK_EX)  # a sweeper checking this folder holds it for a moment only
        owner = cls(path, fd)
        owner.beat(force=True)
        return owner

    def beat(self, *, force: bool = False) -> None:
        now = time.time()
        if not force and now - self.last_beat < HEARTBEAT:
            return
        self.last_beat = now
        record = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "alive": now}).encode()
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, record, 0)
        else:
            with self.path.open("wb") as out:  # type: ignore[no-untyped-call]
                out.write(record)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the lock
            self.fd = None


def remove_stale_stagings(root: AnyPath, *, keep: AnyPath | None = None) -> list[str]:
    """Remove the staging folders in ``root`` whose deliveries are certainly gone; returns their URIs.

    Never one a live delivery owns, never one holding backups of replaced files (the only copy left).
    """
    removed: list[str] = []
    for folder in _stagings(root):
        if keep is not None and folder.name == keep.name:
            continue
        try:
            if not _stale(folder):
                continue
            if _holds_backups(folder):
                log.warning(
                    "%s holds the previous versions of files an interrupted delivery replaced (in its "
                    "'backups' folder); it is never removed automatically: restore them by hand, then "
                    "delete it",
                    uri(folder),
                )
                continue
            _remove_tree(folder)
        except OSError as exc:  # somebody else's folder: never a reason to fail this delivery
            log.warning("Could not check or remove the stale staging folder %s: %s", uri(folder), exc)
            continue
        log.info("Removed %s, left by a delivery whose process is gone", uri(folder))
        removed.append(uri(folder))
    return removed


def _stagings(root: AnyPath) -> list[AnyPath]:
    try:
        return [path for path in root.iterdir() if path.name.startswith(STAGING_PREFIX) and is_dir(path)]
    except OSError:
        return []


def _stale(folder: AnyPath) -> bool:
    """Whether the delivery that owns ``folder`` is certainly gone (the rule of the module docstring)."""
    record = _read_owner(folder / _OWNER)
    here = record is not None and record.get("host") == socket.gethostname()
    if isinstance(folder, Path):
        if _locked(folder / _OWNER):
            return False
        if here:
            return True  # the lock is free and the kernel that held it is ours: the process is gone
    elif here and record is not None and not _running(record.get("pid")):
        return True
    alive = record.get("alive") if record is not None else _mtime(folder)
    return isinstance(alive, (int, float)) and time.time() - alive > STALE_AFTER


def _read_owner(path: AnyPath) -> dict[str, Any] | None:
    try:
        with path.open("rb") as handle:  # type: ignore[no-untyped-call]
            record = json.loads(handle.read(4096) or b"null")
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _locked(path: Path) -> bool:
    """Whether a live process holds the lock on ``path``."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _running(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return True  # cannot tell: keep it (the age rule still applies)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, it belongs to someone else
    return True


def _mtime(path: AnyPath) -> float | None:
    """The folder's own age, for a staging folder without an owner (an older provider version's)."""
    if isinstance(path, Path):
        with suppress(OSError):
            return path.stat().st_mtime
    return None  # an object store has no folders, and so no age for one: kept


def _holds_backups(folder: AnyPath) -> bool:
    if (folder / _COMMITTED).exists():
        return False
    backups = folder / _BACKUPS
    if isinstance(backups, Path):
        return any(files for _dir, _subdirs, files in os.walk(backups))
    return is_dir(backups) and bool(backups.fs.find(backups.path))


def _relative(target: AnyPath, root: AnyPath) -> PurePosixPath:
    text, base = str(target), str(root).rstrip("/")
    if not text.startswith(base + "/"):
        raise ValueError(f"{text} is not inside {base}")
    return PurePosixPath(text[len(base) + 1 :])


def _make_parents(folder: AnyPath, root: AnyPath) -> list[AnyPath]:
    """Create ``folder`` (inside ``root``); returns the folders that did not exist before, outermost first."""
    missing: list[AnyPath] = []
    current = folder
    while str(current) != str(root) and not is_dir(current):
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        path.mkdir(parents=False, exist_ok=True)
    return list(reversed(missing))


def _keep(target: AnyPath, backup: AnyPath) -> None:
    """Keep the current bytes of ``target`` under ``backup`` while ``target`` is replaced."""
    if isinstance(target, Path):
        os.link(target, str(backup))  # no copy: the old inode stays reachable after the replace
        return
    with target.open("rb") as src, backup.open("wb") as dst:  # type: ignore[no-untyped-call]
        shutil.copyfileobj(src, dst, _CHUNK)


def _move(source: AnyPath, target: AnyPath) -> None:
    if isinstance(source, Path):
        os.replace(source, str(target))  # atomic on one file system: the staging folder is beside the target
    else:
        source.rename(target)  # type: ignore[arg-type]


def _mark(path: AnyPath) -> None:
    with path.open("wb"):  # type: ignore[no-untyped-call]
        pass


def _remove_tree(path: AnyPath) -> None:
    if isinstance(path, Path):
        shutil.rmtree(path, ignore_errors=True)
        return
    with suppress(OSError, FileNotFoundError):
        if path.exists():
            path.fs.rm(path.path, recursive=True)
