"""File handling for exports and uploads: atomic writes, object storage paths, safe ZIP extraction."""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_translate5.operators import _files


def chunks_then_fail() -> Iterator[bytes]:
    yield b"first half"
    raise ConnectionError("connection dropped mid-body")


def test_atomic_write_leaves_nothing_behind_when_the_stream_breaks(tmp_path: Path) -> None:
    target = tmp_path / "out.docx"
    target.write_bytes(b"previous version")
    with pytest.raises(ConnectionError):
        _files.atomic_write(target, chunks_then_fail())
    assert target.read_bytes() == b"previous version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.docx"]


def test_atomic_write_to_an_object_storage_uri(tmp_path: Path) -> None:
    target = _files.to_path(f"file://{tmp_path}/sub/out.txt")
    assert not isinstance(target, Path)
    _files.ensure_dir(target.parent)
    written = _files.atomic_write(target, iter([b"hello ", b"world"]))
    assert written.endswith("/sub/out.txt")
    assert (tmp_path / "sub" / "out.txt").read_bytes() == b"hello world"
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["out.txt"]


def test_local_paths_and_uris_are_told_apart(tmp_path: Path) -> None:
    assert _files.to_path(str(tmp_path)) == tmp_path
    assert isinstance(_files.to_path("~/x"), Path)
    assert not isinstance(_files.to_path("memory://bucket/key"), Path)


def make_zip(path: Path, members: dict[str, bytes], *, symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


def test_safe_archive_is_extracted_with_its_folders(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"workfiles/de/page.html": b"<p>Hallo</p>", "readme.txt": b"x"})
    uris = _files.extract_archive(archive, tmp_path / "out")
    assert sorted(Path(u.removeprefix("file://")).relative_to(tmp_path / "out").as_posix() for u in uris) == [
        "readme.txt",
        "workfiles/de/page.html",
    ]
    assert (tmp_path / "out/workfiles/de/page.html").read_bytes() == b"<p>Hallo</p>"


@pytest.mark.parametrize(
    ("members", "symlink", "reason"),
    [
        ({"../evil.txt": b"x"}, None, "outside"),
        ({"a/../../evil.txt": b"x"}, None, "outside"),
        ({"/etc/evil": b"x"}, None, "absolute"),
        ({"C:/evil.txt": b"x"}, None, "absolute"),
        ({"..\\evil.txt": b"x"}, None, "outside"),
        ({"ok.txt": b"x"}, "link", "symbolic link"),
    ],
)
def test_dangerous_members_are_refused_before_anything_is_written(
    tmp_path: Path, members: dict[str, bytes], symlink: str | None, reason: str
) -> None:
    archive = make_zip(tmp_path / "a.zip", members, symlink=symlink)
    with pytest.raises(_files.UnsafeArchiveError, match=reason):
        _files.extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_zip_bombs_are_refused_by_ratio_and_total_size(tmp_path: Path) -> None:
    bomb = make_zip(tmp_path / "bomb.zip", {"zeros.bin": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(_files.UnsafeArchiveError, match="ZIP bomb"):
        _files.extract_archive(bomb, tmp_path / "out")
    big = make_zip(tmp_path / "big.zip", {"a.txt": b"a" * 1000, "b.txt": b"b" * 1000})
    with pytest.raises(_files.UnsafeArchiveError, match="more than 1500 bytes"):
        _files.extract_archive(big, tmp_path / "out2", max_total_size=1500)
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "out2").exists()


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(5)})
    with pytest.raises(_files.UnsafeArchiveError, match="5 entries"):
        _files.extract_archive(archive, tmp_path / "out", max_members=4)


def test_a_broken_archive_is_reported_as_unsafe(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(_files.UnsafeArchiveError, match="not a valid ZIP"):
        _files.extract_archive(broken, tmp_path / "out")
