"""Files in and out of translate5: local paths, URIs and ObjectStoragePath, always streamed.

The same DAG must run on one machine (local paths, ``file://``) and on Celery/Kubernetes workers
(``s3://``, ``gs://`` ...). Downloads land atomically: bytes go to a hidden temporary name beside the target,
which is renamed only when complete, so a reader (or a downstream DAG triggered by an Asset) never sees half a
file. ZIP archives from the server are extracted only after every member has been checked.
"""

from __future__ import annotations

import os
import stat
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Union, cast

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    from airflow_provider_translate5.client import UploadFile

#: A place to read or write: a local path, a URI ("s3://bucket/key", "file:///tmp/x") or an ObjectStoragePath.
PathLike = Union[str, "os.PathLike[str]", "ObjectStoragePath"]
#: Either a local file system path or an object storage path; both offer the pathlib API used here.
AnyPath = Union[Path, "ObjectStoragePath"]

DEFAULT_MAX_UNZIPPED_SIZE = 2 * 1024**3  # 2 GiB in total
DEFAULT_MAX_COMPRESSION_RATIO = 200.0  # per member; text compresses ~10x, bombs 1000x+
DEFAULT_MAX_ZIP_MEMBERS = 10_000
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


def atomic_write(target: AnyPath, chunks: Iterable[bytes]) -> str:
    """Stream ``chunks`` to ``target`` under a temporary name, then rename; returns the target's URI.

    On any failure the temporary file is removed and the target is left as it was.
    """
    temp = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.part"
    try:
        with temp.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        if isinstance(target, Path):
            os.replace(cast("Path", temp), target)  # atomic on one file system
        else:
            temp.rename(target)  # type: ignore[arg-type]
    except BaseException:
        with suppress(OSError):
            temp.unlink()
        raise
    return uri(target)


def iter_file(fileobj: IO[bytes], chunk_size: int = _CHUNK) -> Iterator[bytes]:
    while chunk := fileobj.read(chunk_size):
        yield chunk


def remove_quietly(paths: Iterable[AnyPath]) -> None:
    for path in paths:
        with suppress(OSError):
            path.unlink()


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
    *,
    max_total_size: int = DEFAULT_MAX_UNZIPPED_SIZE,
    max_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO,
    max_members: int = DEFAULT_MAX_ZIP_MEMBERS,
) -> list[str]:
    """Extract a checked archive into ``destination``, each file atomically; all-or-nothing.

    Sizes are also counted while decompressing: a member that lies about its size cannot pass the limit.
    """
    written: list[AnyPath] = []
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = check_archive(
                archive, max_total_size=max_total_size, max_ratio=max_ratio, max_members=max_members
            )
            budget = [max_total_size]
            uris = []
            for info, relative in members:
                target = destination.joinpath(*relative.parts)
                ensure_dir(target.parent)
                with archive.open(info) as member:
                    uris.append(atomic_write(target, _bounded(member, budget, info.filename)))
                written.append(target)
            return uris
    except zipfile.BadZipFile as exc:
        remove_quietly(written)
        raise UnsafeArchiveError(f"the export is not a valid ZIP archive: {exc}") from exc
    except BaseException:
        remove_quietly(written)
        raise


def _bounded(member: IO[bytes], budget: list[int], name: str) -> Iterator[bytes]:
    for chunk in iter_file(member):
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise UnsafeArchiveError(f"archive member {name!r} expands beyond the size limit")
        yield chunk
