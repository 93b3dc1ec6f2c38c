"""File handling for exports and uploads: atomic writes, object storage paths, safe ZIP extraction."""

from __future__ import annotations

import errno
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_translate5 import files as _files


def chunks_then_fail() -> Iterator[bytes]:
    yield b"first half"
    raise OSError(errno.ENOSPC, "No space left on device")


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) with its content."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def deliver(out: Path, files: list[tuple[str, Iterator[bytes]]]) -> list[str]:
    with _files.Delivery(out, "task-1") as delivery:
        for name, chunks in files:
            delivery.write(out / name, chunks)
        return delivery.commit()


def test_a_failing_file_leaves_the_destination_exactly_as_it_was(tmp_path: Path) -> None:
    # The re-export into a folder holding the previous export fails on its second file (disk full).
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.html").write_bytes(b"old a")
    before = listing(out)

    with pytest.raises(OSError, match="No space"):
        deliver(out, [("a.html", iter([b"new a"])), ("sub/b.html", chunks_then_fail())])

    assert listing(out) == before  # old a.html kept, no b.html, no folder, no staging or partial files
    assert sorted(p.name for p in out.iterdir()) == ["a.html"]


def test_a_failing_move_puts_back_every_replaced_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.html").write_bytes(b"old a")
    before = listing(out)
    moves = []
    real_move = _files._move

    def move_then_fail(source: Path, target: Path) -> None:
        moves.append(target)
        if len(moves) == 2:
            raise OSError(errno.EIO, "I/O error")
        real_move(source, target)

    monkeypatch.setattr(_files, "_move", move_then_fail)
    with pytest.raises(OSError, match="I/O error"):
        deliver(out, [("a.html", iter([b"new a"])), ("new/b.html", iter([b"new b"]))])

    assert listing(out) == before  # a.html is the old one again, the new folder is gone
    assert sorted(p.name for p in out.iterdir()) == ["a.html"]


def test_a_complete_delivery_replaces_and_adds_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.html").write_bytes(b"old a")
    (out / "keep.txt").write_bytes(b"not exported")
    with _files.Delivery(out, "task-1") as delivery:
        delivery.write(out / "a.html", iter([b"new ", b"a"]))
        delivery.write(out / "sub" / "b.html", iter([b"new b"]))
        uris = delivery.commit()

    assert listing(out) == {"a.html": b"new a", "keep.txt": b"not exported", "sub/b.html": b"new b"}
    assert uris == [(out / "a.html").as_uri(), (out / "sub" / "b.html").as_uri()]


def test_a_killed_try_leaves_staging_that_the_next_try_removes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    killed = _files.Delivery(out, "dag/run/export")
    killed.__enter__()  # the worker dies mid-download: no __exit__, the staging folder stays
    killed.write(out / "big.zip", iter([b"324 MB of a 1.5 GB export"]))
    assert [p.name for p in out.iterdir()] == [killed.staging.name]

    with _files.Delivery(out, "dag/run/export") as retry:  # the same task instance's next try
        retry.write(out / "big.zip", iter([b"complete"]))
        retry.commit()

    assert listing(out) == {"big.zip": b"complete"}


def test_a_destination_that_cannot_be_written_is_refused_before_any_write(tmp_path: Path) -> None:
    blocker = tmp_path / "exports"
    blocker.write_bytes(b"a file where the folder should be")
    with pytest.raises(_files.DestinationError, match="destination"), _files.Delivery(blocker / "out", "t"):
        pytest.fail("nothing may run in a delivery into an unwritable place")
    with pytest.raises(_files.DestinationError, match="not writable"):
        _files.check_writable(blocker / "out")


def test_a_delivery_to_an_object_storage_uri(tmp_path: Path) -> None:
    out = _files.to_path(f"file://{tmp_path}/sub")
    assert not isinstance(out, Path)
    with _files.Delivery(out, "task-1") as delivery:
        delivery.write(out / "out.txt", iter([b"hello ", b"world"]))
        written = delivery.commit()
    assert written == [f"file://{tmp_path}/sub/out.txt"]
    assert listing(tmp_path / "sub") == {"out.txt": b"hello world"}


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
    uris = _files.extract_all(archive, tmp_path / "out")
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
        _files.extract_all(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_zip_bombs_are_refused_by_ratio_and_total_size(tmp_path: Path) -> None:
    bomb = make_zip(tmp_path / "bomb.zip", {"zeros.bin": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(_files.UnsafeArchiveError, match="ZIP bomb"):
        _files.extract_all(bomb, tmp_path / "out")
    big = make_zip(tmp_path / "big.zip", {"a.txt": b"a" * 1000, "b.txt": b"b" * 1000})
    with pytest.raises(_files.UnsafeArchiveError, match="more than 1500 bytes"):
        _files.extract_all(big, tmp_path / "out2", max_total_size=1500)
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "out2").exists()


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(5)})
    with pytest.raises(_files.UnsafeArchiveError, match="5 entries"):
        _files.extract_all(archive, tmp_path / "out", max_members=4)


def test_a_broken_archive_is_reported_as_unsafe(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(_files.UnsafeArchiveError, match="not a valid ZIP"):
        _files.extract_all(broken, tmp_path / "out")
