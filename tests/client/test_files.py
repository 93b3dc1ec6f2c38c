"""Uploads are validated and streamed; server file names can never escape a directory."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from airflow_provider_translate5.client import Translate5ValueError, UploadFile, safe_filename
from airflow_provider_translate5.client.files import (
    filename_from_content_disposition,
    multipart_encoder,
    partial_path,
    prepare_upload,
    remove_stale_partials,
    write_atomically,
)


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("report.zip", "report.zip"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/abs/path/file.xlf", "file.xlf"),
        ("C:\\Users\\x\\file.xlf", "file.xlf"),
        ("..", "download"),
        (".", "download"),
        ("", "download"),
        (None, "download"),
        ("a..b...c.txt", "a.b.c.txt"),
        ("nul\x00byte\x1f.txt", "nul_byte_.txt"),
        ("CON.txt", "_CON.txt"),
        ("what?.html", "what_.html"),
        ("drive:stream.txt", "drive_stream.txt"),
        ("  .hidden  ", "hidden"),
        ("Seite über.html", "Seite über.html"),
    ],
)
def test_safe_filename_examples(raw, safe):
    assert safe_filename(raw) == safe


def test_safe_filename_bounds_the_length_and_keeps_the_extension():
    long = safe_filename("ü" * 500 + ".xliff")
    assert len(long.encode("utf-8")) <= 200
    assert long.endswith(".xliff")
    assert safe_filename("../..", default="../task-7.zip") == "task-7.zip"


@given(st.text(max_size=400))
@example("../" * 50)
@example("\\\\server\\share\\..\\x")
@example("/")
def test_safe_filename_never_escapes_the_directory(name):
    safe = safe_filename(name)
    assert safe
    assert safe not in (".", "..")
    assert "/" not in safe
    assert "\\" not in safe
    assert "\x00" not in safe
    assert ".." not in safe
    assert not any(ord(ch) < 32 for ch in safe)
    assert len(safe.encode("utf-8")) <= 200
    base = Path("/srv/exports").resolve()
    assert (base / safe).resolve().parent == base
    assert not os.path.isabs(safe)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("attachment; filename*=UTF-8''Seite%20%C3%BCber.html; filename=Seite.html", "Seite über.html"),
        ("attachment; filename=Seite.html; filename*=UTF-8''%C3%BC.html", "ü.html"),
        ('attachment; filename="quoted name.zip"', "quoted name.zip"),
        ('attachment; filename="with \\"escape\\".zip"', 'with "escape".zip'),
        (
            "attachment; filename=My Task \u2013 diff.zip",
            "My Task \u2013 diff.zip",
        ),  # translate5 sends it unquoted
        ("attachment; filename=Seite_\xc3\xbc.html", "Seite_ü.html"),  # raw UTF-8 decoded as latin-1
        # Transcript 61 (filetranslation): RAW UTF-8 in both parameters, as text and as http.client's latin-1.
        (
            "attachment; filename*=UTF-8''About us ÄÖ_de.xlf; filename=About us ÄÖ_de.xlf",
            "About us ÄÖ_de.xlf",
        ),
        (
            "attachment; filename*=UTF-8''About us \xc3\x84\xc3\x96_de.xlf; "
            "filename=About us \xc3\x84\xc3\x96_de.xlf",
            "About us ÄÖ_de.xlf",
        ),
        # Transcripts 60 and 63 (ZIP exports): percent-encoded in both parameters.
        (
            "attachment; filename*=UTF-8''About%20us%20AO%20%28renamed%29.zip; "
            "filename=About%20us%20AO%20%28renamed%29.zip",
            "About us AO (renamed).zip",
        ),
        ("attachment; filename=About%20us%20AO.zip", "About us AO.zip"),
        # Transcript 80 (Excel export): an encoded "/" in the task name stays part of the name.
        (
            "attachment; filename*=UTF-8''CMS%20bundle%20041658%20-%20en%20%2F%20fr.xlsx; "
            "filename=CMS%20bundle%20041658%20-%20en%20%2F%20fr.xlsx",
            "CMS bundle 041658 - en _ fr.xlsx",
        ),
        ("attachment", None),
        ("", None),
        (None, None),
    ],
)
def test_filename_from_content_disposition(header, name):
    assert filename_from_content_disposition(header) == name


def test_prepare_upload_refuses_missing_empty_and_unreadable_sources(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.touch()
    for source, message in [
        (tmp_path / "missing.txt", "does not exist"),
        (empty, "empty"),
        (tmp_path, "not a regular file"),
        (("a.txt", io.BytesIO(b"")), "empty"),
        (("a.txt", "not a file"), "seekable"),
        (b"bytes", "must be a path"),
    ]:
        with pytest.raises(Translate5ValueError, match=message):
            prepare_upload(source)  # type: ignore[arg-type]


def test_an_upload_is_streamed_from_its_current_position_and_can_be_read_again(tmp_path):
    stream = io.BytesIO(b"HEADERpayload")
    stream.seek(6)
    path = tmp_path / "doc.xlf"
    path.write_bytes(b"<xliff/>")
    uploads = [
        ("a", prepare_upload(UploadFile("x.txt", stream, "text/plain"))),
        ("b", prepare_upload(str(path))),
    ]
    bodies = []
    for _attempt in range(2):
        with contextlib.ExitStack() as stack:
            encoder = multipart_encoder([("field", "value")], uploads, stack)
            length = encoder.len  # known before reading: sent as Content-Length, nothing buffered
            body = encoder.read()
            assert len(body) == length
            bodies.append(body.replace(encoder.boundary_value.encode(), b"BOUNDARY"))
    assert bodies[0] == bodies[1]
    assert b"payload" in bodies[0]
    assert b"HEADER" not in bodies[0]
    assert b"<xliff/>" in bodies[0]
    assert b'filename="x.txt"' in bodies[0]
    assert b"Content-Type: text/plain" in bodies[0]


def test_the_encoder_reads_lazily_not_the_whole_file(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (5 * (1 << 20)))
    with contextlib.ExitStack() as stack:
        encoder = multipart_encoder([], [("f", prepare_upload(path))], stack)
        assert encoder.len > 5 * (1 << 20)
        first = encoder.read(8192)
        assert len(first) == 8192  # only what was asked for was read, the rest stays on disk


def test_write_atomically_removes_the_temp_file_on_failure(tmp_path):
    def chunks():
        yield b"part"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_atomically(chunks(), tmp_path / "out.bin")
    assert list(tmp_path.iterdir()) == []
    assert write_atomically(iter([b"a", b"b"]), tmp_path / "out.bin").read_bytes() == b"ab"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_file_that_shrinks_during_the_upload_fails_instead_of_hanging(tmp_path):
    path = tmp_path / "doc.html"
    path.write_bytes(b"<p>" + b"x" * 100_000 + b"</p>")
    with contextlib.ExitStack() as stack:
        encoder = multipart_encoder([], [("f", prepare_upload(path))], stack)
        encoder.read(8192)  # the size is fixed (Content-Length) ... then someone truncates the file
        path.write_bytes(b"<p>short</p>")
        with pytest.raises(Translate5ValueError, match=r"ended \d+ bytes early"):
            encoder.read()


def test_a_file_that_grows_during_the_upload_sends_exactly_the_announced_length(tmp_path):
    path = tmp_path / "doc.html"
    path.write_bytes(b"x" * 100_000)
    with contextlib.ExitStack() as stack:
        encoder = multipart_encoder([], [("f", prepare_upload(path))], stack)
        announced = encoder.len  # sent as Content-Length
        first = encoder.read(8192)
        with path.open("ab") as grow:
            grow.write(b"y" * 50_000)
        body = first + encoder.read()
    assert len(body) == announced
    assert b"yyyy" not in body  # none of the appended bytes


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_written_files_get_the_mode_of_any_new_file_not_0600(tmp_path, umask):
    old = os.umask(umask)
    try:
        target = write_atomically(iter([b"x"]), tmp_path / "out.xlf")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_killed_try_leaves_one_partial_file_that_the_next_write_replaces(tmp_path):
    target = tmp_path / "export.zip"
    partial = partial_path(target)
    assert partial.parent == tmp_path
    assert partial.name.startswith(".export.zip.")
    assert partial.suffix == ".part"
    assert partial_path(tmp_path / "export.zip") == partial  # the same name on every try
    partial.write_bytes(b"324 MB of an earlier, killed try")  # what kill -9 leaves behind
    write_atomically(iter([b"new"]), target)
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip"]


def test_remove_stale_partials_removes_the_leftovers_of_earlier_tries_and_versions(tmp_path):
    target = tmp_path / "export.zip"
    target.write_bytes(b"the previous export")
    partial_path(target).write_bytes(b"partial")
    (tmp_path / ".export.zip.k3j4h5g6.part").write_bytes(b"an older version's random name")
    (tmp_path / "other.zip").write_bytes(b"not ours")
    removed = remove_stale_partials(target)
    assert len(removed) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip", "other.zip"]
    assert target.read_bytes() == b"the previous export"
    assert remove_stale_partials(tmp_path / "missing-dir" / "x.zip") == []


def test_a_partial_file_held_by_a_live_writer_is_neither_removed_nor_overwritten(tmp_path):
    import fcntl

    target = tmp_path / "export.zip"
    partial = partial_path(target)
    with partial.open("wb") as live:
        fcntl.flock(live.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        live.write(b"being written")
        live.flush()
        assert remove_stale_partials(target) == []
        with pytest.raises(FileExistsError, match=r"another process is writing 'export\.zip'"):
            write_atomically(iter([b"second writer"]), target)
        assert partial.read_bytes() == b"being written"
    assert not target.exists()


def test_object_storage_targets_are_written_under_the_partial_name_then_renamed():
    from upath import UPath

    target = UPath("memory://bucket/exports/out.xlf")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"old")

    def failing():
        yield b"half"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(failing(), target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.xlf"]
    assert write_atomically(iter([b"ne", b"w"]), target) == target
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.xlf"]
    partial_path(target).write_bytes(b"left by a killed worker")
    assert remove_stale_partials(target) == [str(partial_path(target))]
    assert not partial_path(target).exists()
