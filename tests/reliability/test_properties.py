"""Property-based tests for what the server controls: archive member names, Content-Disposition headers,
task rows, and the foreignId filter the idempotency lookup depends on.

(``tests/client`` already covers ``safe_filename`` on arbitrary text, filter JSON round trips and numbers as
text; these add the paths from a server answer to the disk, and the filter's meaning on a live server.)
"""

from __future__ import annotations

import io
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.request import url2pathname

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from t5support import wait_imported

from airflow_provider_translate5.client import Task, Translate5Client, Translate5ResponseError, safe_filename
from airflow_provider_translate5.client.files import filename_from_content_disposition
from airflow_provider_translate5.files import UnsafeArchiveError, extract_all
from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import FAST_RETRY

SEGMENTS = st.sampled_from(["..", ".", "", "a", "b.txt", "C:", "..\\x", " ..", "...", "\\", "~", "ü"])
member_names = st.one_of(
    st.lists(st.one_of(SEGMENTS, st.text(max_size=6)), min_size=1, max_size=5).map("/".join),
    st.text(max_size=30),
).filter(lambda name: name.split("\0", 1)[0] != "")  # zipfile cuts names at NUL; empty: see test_security


def build_zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are part of the test
        for number, name in enumerate(names):
            archive.writestr(name, f"member {number}".encode())
    return buffer.getvalue()


def files_in(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@settings(max_examples=150, deadline=None)
@given(st.lists(member_names, min_size=1, max_size=4))
@example(["../../evil"])
@example(["/etc/evil"])
@example(["a\\..\\..\\evil"])
@example(["a", "a/b"])
@example(["..", "a\0b"])
def test_random_zip_member_names_never_escape_the_destination(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        archive = root / "export.zip"
        archive.write_bytes(build_zip(names))
        destination = root / "jail" / "out"
        try:
            uris = extract_all(archive, destination)
        except (UnsafeArchiveError, OSError):
            uris = None
        written = files_in(root) - {archive}
        if uris is None:
            assert written == set()  # refused: all or nothing
            return
        jail = destination.resolve()
        assert {Path(url2pathname(uri.removeprefix("file://"))) for uri in uris} == written
        for path in written:
            assert jail in path.resolve().parents
            assert not path.is_symlink()


header_names = st.text(max_size=40)
headers = st.one_of(
    st.text(max_size=80),
    header_names.map(lambda n: f'attachment; filename="{n}"'),
    header_names.map(lambda n: f"attachment; filename={n}"),
    header_names.map(lambda n: f"attachment; filename*=UTF-8''{quote(n, safe='')}"),
    st.tuples(st.text(max_size=12), header_names).map(lambda t: f"attachment; filename*={t[0]}''{t[1]}"),
    st.tuples(header_names, header_names).map(
        lambda t: f"inline; filename=\"{t[0]}\"; filename*=UTF-8''{t[1]}"
    ),
)


@given(headers)
@example("attachment; filename*=UTF-8''..%2F..%2F.ssh%2Fauthorized_keys")
@example('attachment; filename="..\\\\..\\\\boot.ini"')
@example("attachment; filename*=x-unknown''%FF%FE")
@example("attachment; filename*=UTF-8''%00")
def test_any_content_disposition_gives_a_name_that_stays_in_its_folder(header: str) -> None:
    raw = filename_from_content_disposition(header)  # never raises, whatever the server sends
    name = safe_filename(raw, default="task-7.zip")
    assert name
    assert ".." not in name  # so never "." or ".." either, and no "../" inside
    assert not any(ch in name for ch in "/\\\x00")
    folder = Path("/srv/exports")
    assert (folder / name).parent == folder


safe_names = st.text(min_size=1, max_size=60).filter(lambda n: safe_filename(n) == n)


@given(safe_names)
def test_a_safe_server_name_survives_the_header_unchanged(name: str) -> None:
    encoded = f"attachment; filename*=UTF-8''{quote(name, safe='')}; filename=\"fallback.zip\""
    assert filename_from_content_disposition(encoded) == name
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    if name.isprintable() and name.isascii():
        assert filename_from_content_disposition(f'attachment; filename="{escaped}"') == name


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
TASK_KEYS = [
    "id", "taskGuid", "taskName", "state", "workflowStepName", "entityVersion", "taskType", "projectId",
    "foreignId", "sourceLang", "targetLang", "taskProgress", "lastErrors", "workflowProgressSummary",
    "projectTasks", "segmentCount",
]  # fmt: skip


@given(st.dictionaries(st.sampled_from(TASK_KEYS) | st.text(max_size=8), json_values, max_size=10))
def test_task_rows_of_any_shape_parse_or_fail_clearly(row: dict[str, Any]) -> None:
    try:
        task = Task.from_api(row)
    except Translate5ResponseError:
        return  # a clear "not what translate5 sends" error, never a TypeError deep inside
    assert task.raw == row  # nothing dropped, unknown fields kept
    assert isinstance(task.id, int)
    assert isinstance(task.task_name, str)
    assert all(isinstance(message, str) for message in task.last_errors)


# -- the idempotency lookup: an eq filter on foreignId, on a live server -------------------------------------

TRICKY_IDS = [
    "airflow:dag/run/task",
    "50%",
    "a_b",
    'quote"inside',
    "back\\slash",
    "' OR 1=1 --",
    "ü∑ 漢字",
    "[1,2]",
]
DECOYS = ["axb", "50x", "airflow:dag/run/task/0", "airflow:dag/run"]  # what like/prefix matching would hit


@pytest.fixture(scope="module")
def tagged_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Translate5Client, dict[str, int]]]:
    page = tmp_path_factory.mktemp("prop") / "page.html"
    page.write_text("<p>Hi</p>", encoding="utf-8")
    with (
        Translate5Simulator(import_duration=0.01) as sim,
        Translate5Client(sim.base_url, sim.token, retry=FAST_RETRY) as client,
    ):
        ids = {}
        for foreign_id in TRICKY_IDS + DECOYS:
            task = client.create_task(
                page, task_name="p", source_lang="en", target_lang="de", foreign_id=foreign_id
            )
            ids[foreign_id] = task.id
        wait_imported(client, list(ids.values()))
        yield client, ids


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(TRICKY_IDS + DECOYS) | st.text(min_size=1, max_size=20).filter(lambda t: t == t.strip())
)
def test_foreign_id_lookup_finds_exactly_the_matching_task(
    tagged_server: tuple[Translate5Client, dict[str, int]], foreign_id: str
) -> None:
    client, ids = tagged_server
    found = client.find_tasks_by_foreign_id(foreign_id)
    expected = [ids[foreign_id]] if foreign_id in ids else []
    assert [task.id for task in found] == expected
    assert all(task.foreign_id == foreign_id for task in found)
