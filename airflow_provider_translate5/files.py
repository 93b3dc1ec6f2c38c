"""Files in and out of translate5: local paths, URIs and ObjectStoragePath, always streamed.

The same DAG must run on one machine (local paths, ``file://``) and on Celery/Kubernetes workers
(``s3://``, ``gs://`` ...). Every byte is written by the client's one atomic writer
(``client.files.write_atomically``). What an operator delivers in one go (a project's exports, an unzipped
archive) goes through a :class:`Delivery`: everything is first written into a hidden staging folder, then
moved into place together, each replaced file kept until all moves succeeded: the destination ends up with
all the new files or exactly as it was. ZIP archives are extracted only after every member was checked.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Union

from airflow_provider_translate5.client.limits import (
    DEFAULT_MAX_COMPRESSION_RATIO as DEFAULT_MAX_COMPRESSION_RATIO,
)
from airflow_provider_translate5.client.limits import DEFAULT_MAX_DOWNLOAD_BYTES
from airflow_provider_translate5.client.limits import DEFAULT_MAX_ZIP_MEMBERS as DEFAULT_MAX_ZIP_MEMBERS

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    from airflow_provider_translate5.client import UploadFile

#: A place to read or write: a local path, a URI ("s3://bucket/key", "file:///tmp/x") or an ObjectStoragePath.
PathLike = Union[str, "os.PathLike[str]", "ObjectStoragePath"]
#: Either a local file system path or an object storage path; both offer the pathlib API used here.
AnyPath = Union[Path, "ObjectStoragePath"]

# The client's limits: one export may not cost more as archive members than as an HTTP body.
DEFAULT_MAX_UNZIPPED_SIZE = DEFAULT_MAX_DOWNLOAD_BYTES
_RATIO_CHECK_MIN_SIZE = 1024**2  # tiny members may compress absurdly well without harm

_CHUNK = 1 << 20


class UnsafeArchiveError(ValueError):
    """A ZIP archive from the server was refused (path traversal, links, bomb-like sizes)."""


def to_path(value: PathLike) -> AnyPath:
    """Interpret a user-supplied location: URIs become ObjectStoragePath, anything else a local Path."""
    from airflow.sdk import ObjectStoragePath

    if isinstance(value, (Path, ObjectStoragePath)):
        return value
    text = os.fspath(value)
    if "://" in text:
        return ObjectStoragePath(text)
    return Path(text).expanduser()


def is_single(value: Any) -> bool:
    """One location (as opposed to a list of them)."""
    from airflow.sdk import ObjectStoragePath

    return isinstance(value, (str, os.PathLike, ObjectStoragePath))


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


@contextmanager
def local_temp_file(suffix: str = "") -> Iterator[Path]:
    """A private local scratch file (ZIP extraction needs random access, object storage streams do not)."""
    handle, name = tempfile.mkstemp(prefix="translate5-", suffix=suffix)
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def check_archive(
    archive: zipfile.ZipFile,
    *,
    max_total_size: int = DEFAULT_MAX_UNZIPPED_SIZE,
    max_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO,
    max_members: int = DEFAULT_MAX_ZIP_MEMBERS,
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Check every member before anything is written; return (member, safe relative path) for the files.

    Refused: absolute paths, drive letters, ``..``, NUL bytes, symbolic links and other non-regular entries,
    duplicate names, more than ``max_members`` entries, more than ``max_total_size`` bytes in total, and
    members that expand more than ``max_ratio`` times.
    """
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
    archive_path: Path,
    destination: AnyPath,
    delivery: Delivery,
    *,
    max_total_size: int = DEFAULT_MAX_UNZIPPED_SIZE,
    max_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO,
    max_members: int = DEFAULT_MAX_ZIP_MEMBERS,
) -> None:
    """Stage every member of a checked archive for ``destination`` in ``delivery`` (moved in on commit).

    Sizes are also counted while decompressing: a member that lies about its size cannot pass the limit.
    """
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = check_archive(
                archive, max_total_size=max_total_size, max_ratio=max_ratio, max_members=max_members
            )
            budget = [max_total_size]
            for info, relative in members:
                with archive.open(info) as member:
                    delivery.write(
                        destination.joinpath(*relative.parts), _bounded(member, budget, info.filename)
                    )
    except zipfile.BadZipFile as exc:
        raise UnsafeArchiveError(f"the export is not a valid ZIP archive: {exc}") from exc


def extract_all(archive_path: Path, destination: AnyPath, **limits: Any) -> list[str]:
    """Extract a checked archive into ``destination``, all or nothing; returns the written URIs."""
    with Delivery(destination, f"extract:{destination}") as delivery:
        extract_archive(archive_path, destination, delivery, **limits)
        return delivery.commit()


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


class DestinationError(ValueError):
    """The destination cannot take the files (read-only, or it would overwrite a source)."""


class Delivery:
    """All-or-nothing delivery of several files under ``root``: stage everything, then swap it in.

    Files are written (by the client's atomic writer) into ``<root>/.translate5-staging-<tag>/``; nothing at
    their targets changes until :meth:`commit`, which moves them in. A replaced file is first kept (a hard
    link, or a copy on object storage) and put back if a later move fails; folders created for the new files
    are removed again. ``tag`` is the same for every try of a task instance, so a try that was killed leaves
    a staging folder the next try removes before it starts.
    """

    def __init__(self, root: AnyPath, tag: str) -> None:
        self.root = root
        digest = hashlib.sha256(tag.encode("utf-8")).hexdigest()[:12]
        self.staging = root / f".translate5-staging-{digest}"
        self._files: list[tuple[AnyPath, AnyPath]] = []  # (staged, target)
        self._created_root = False

    def __enter__(self) -> Delivery:
        """Create the root (refused clearly if read-only) and clear what a killed earlier try left."""
        self._created_root = not is_dir(self.root)
        try:
            ensure_dir(self.root)
            _remove_tree(self.staging)
            ensure_dir(self.staging)
        except PermissionError as exc:
            raise DestinationError(f"the destination {uri(self.root)} is not writable: {exc}") from exc
        except OSError as exc:
            raise DestinationError(f"cannot write into the destination {uri(self.root)}: {exc}") from exc
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: Any) -> None:
        _remove_tree(self.staging)
        if exc_type is not None and self._created_root:
            with suppress(OSError):
                self.root.rmdir()  # only if still empty: the destination is left as it was

    def write(self, target: AnyPath, chunks: Iterable[bytes]) -> None:
        """Stage the bytes of ``target`` (a path under ``root``)."""
        from airflow_provider_translate5.client.files import remove_stale_partials, write_atomically

        relative = _relative(target, self.root)
        staged = self.staging.joinpath(*relative.parts)
        remove_stale_partials(target)  # the random-suffixed temp files of older provider versions
        ensure_dir(staged.parent)
        write_atomically(chunks, staged)
        self._files.append((staged, target))

    def commit(self) -> list[str]:
        """Move every staged file to its target; on any failure put everything back. Returns the URIs."""
        moved: list[tuple[AnyPath, AnyPath | None]] = []
        created: list[AnyPath] = []
        try:
            for staged, target in self._files:
                created += _make_parents(target.parent, self.root)
                backup = None
                if target.exists():
                    backup = target.parent / f".{target.name[:50]}.{self.staging.name}.backup"
                    _keep(target, backup)
                _move(staged, target)
                moved.append((target, backup))
        except BaseException:
            for target, backup in reversed(moved):
                with suppress(OSError):
                    if backup is not None:
                        _move(backup, target)
                    else:
                        target.unlink()
            for folder in reversed(created):
                with suppress(OSError):
                    folder.rmdir()
            raise
        for _target, backup in moved:
            if backup is not None:
                with suppress(OSError):
                    backup.unlink()
        return [uri(target) for _staged, target in self._files]


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
    with suppress(OSError):
        backup.unlink()
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


def _remove_tree(path: AnyPath) -> None:
    if isinstance(path, Path):
        shutil.rmtree(path, ignore_errors=True)
        return
    with suppress(OSError, FileNotFoundError):
        if path.exists():
            path.fs.rm(path.path, recursive=True)


def _bounded(member: IO[bytes], budget: list[int], name: str) -> Iterator[bytes]:
    for chunk in iter_file(member):
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise UnsafeArchiveError(f"archive member {name!r} expands beyond the size limit")
        yield chunk
