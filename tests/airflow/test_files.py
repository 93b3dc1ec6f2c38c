"""File handling for exports and uploads: atomic writes, object storage paths, safe ZIP extraction."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
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


# A delivery in another process, as a killed or a still running worker has it. The script enters a
# delivery into argv[1] (a path or a URI) under the tag argv[2] and stages big.zip; then, by argv[3]:
# "kill" dies by SIGKILL; "wait" says "staged" and commits once stdin says so; "commit" stages a.html and
# b.html over existing ones and dies by SIGKILL at the move of b.html (mid-commit).
OTHER_PROCESS = """
import os, signal, sys
from airflow_provider_translate5 import files
out = files.to_path(sys.argv[1])
delivery = files.Delivery(out, sys.argv[2]).__enter__()
delivery.write(out / "big.zip", iter([b"324 MB of a 1.5 GB export"]))
if sys.argv[3] == "wait":
    print("staged", flush=True)
    sys.stdin.readline()
    delivery.commit()
    delivery.__exit__(None, None, None)
    sys.exit(0)
if sys.argv[3] == "commit":
    delivery.write(out / "a.html", iter([b"new a"]))
    delivery.write(out / "b.html", iter([b"new b"]))
    real_move = files._move
    def move(source, target):
        if target.name == "b.html":
            os.kill(os.getpid(), signal.SIGKILL)
        real_move(source, target)
    files._move = move
    delivery.commit()
os.kill(os.getpid(), signal.SIGKILL)
"""


def other_process(destination: str, tag: str, then: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS, destination, tag, then],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def killed(destination: str, tag: str = "dag/run-1/export", then: str = "kill", **env: str) -> None:
    process = other_process(destination, tag, then, **env)
    assert process.wait(timeout=60) == -signal.SIGKILL


def stagings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".translate5-staging-*"))


@pytest.mark.parametrize("kind", ["local", "object storage"])
def test_a_killed_delivery_leaves_staging_that_the_next_delivery_removes(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    destination = str(out) if kind == "local" else f"file://{out}"
    killed(destination)  # the worker died mid-download: its staging folder stays
    assert len(stagings(out)) == 1

    target = _files.to_path(destination)
    with _files.Delivery(target, "dag/run-2/export") as next_run:  # another task instance, same folder
        next_run.write(target / "page.html", iter([b"complete"]))
        next_run.commit()

    assert listing(out) == {"page.html": b"complete"}


@pytest.mark.parametrize("kind", ["local", "object storage"])
def test_a_running_deliverys_staging_is_never_removed(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    destination = str(out) if kind == "local" else f"file://{out}"
    running = other_process(destination, "dag/run-1/export", "wait")
    try:
        assert running.stdout is not None
        assert running.stdout.readline() == "staged\n"
        target = _files.to_path(destination)
        with _files.Delivery(target, "dag/run-2/export") as other:
            other.write(target / "page.html", iter([b"other run"]))
            other.commit()
        assert len(stagings(out)) == 1  # still there, with what the running delivery staged
        running.communicate("commit\n", timeout=60)
    finally:
        running.kill()
    assert running.returncode == 0
    assert listing(out) == {"big.zip": b"324 MB of a 1.5 GB export", "page.html": b"other run"}


def test_a_staging_folder_of_another_machine_goes_only_after_a_day_without_life(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a shared folder (NFS) the lock of another machine's process may not be visible here.
    out = tmp_path / "out"
    fake_host = "import socket; socket.gethostname = lambda: 'worker-2'"
    killed(str(out), PYTHONPATH=_sitecustomize(tmp_path, fake_host))
    with _files.Delivery(out, "dag/run-2/export"):
        pass
    assert len(stagings(out)) == 1  # its owner may still be alive over there

    monkeypatch.setattr(_files, "STALE_AFTER", 0.0)  # as if a day had passed without a sign of life
    with _files.Delivery(out, "dag/run-3/export"):
        pass
    assert stagings(out) == []


def _sitecustomize(tmp_path: Path, code: str) -> str:
    """A PYTHONPATH whose sitecustomize runs ``code`` first in a child process."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(code + "\n", encoding="utf-8")
    return os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])


def test_a_delivery_killed_mid_commit_keeps_the_previous_versions(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.html").write_bytes(b"old a")
    (out / "b.html").write_bytes(b"old b")
    killed(str(out), "dag/run-1/export", then="commit")  # a.html replaced, then killed
    assert (out / "a.html").read_bytes() == b"new a"

    with _files.Delivery(out, "dag/run-1/export"):  # the retry of the same task instance
        pass

    kept = {p.name: p.read_bytes() for p in out.glob(".translate5-staging-*/backups/*")}
    assert kept == {"a.html": b"old a", "b.html": b"old b"}  # a.html's only copy left
    assert "never removed automatically" in caplog.text


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


def test_remote_places_compare_as_store_bucket_and_normalised_key() -> None:
    source = "s3://acme-cms/import/page.html"
    for same in (
        "s3a://acme-cms/import/page.html",  # one store, two protocol names
        "s3://aws_cms@acme-cms/import/page.html",  # a connection id names no other place
        "s3://acme-cms//import/./page.html",
        "s3://acme-cms/import/drafts/../page.html",
    ):
        assert _files.overlaps(source, same), same
    assert _files.overlaps("gs://b/in/", "gcs://b/in/page_de.html")  # inside the source folder
    for other in (
        "s3://acme-cms/import/page_de.html",
        "s3://other/import/page.html",
        "gs://acme-cms/import/page.html",
    ):
        assert not _files.overlaps(source, other), other


def test_a_file_uri_names_the_local_file_rfc_8089_says(tmp_path: Path) -> None:
    out = _files.to_path(f"file://localhost{tmp_path}/out")  # not ./localhost/... in the working directory
    with _files.Delivery(out, "task-1") as delivery:
        delivery.write(out / "page.html", iter([b"translated"]))
        delivery.commit()
    assert listing(tmp_path / "out") == {"page.html": b"translated"}
    with pytest.raises(ValueError, match="names the host 'fileserver'"):
        _files.to_path("file://fileserver/share/out")
