"""The destination side: a source is never overwritten by another spelling of its name, a failed delivery
leaves the previous one whole (or says exactly what it could not restore), a batch export delivers every
batch or none, and what a killed export left is cleared by the next one."""

from __future__ import annotations

import asyncio
import errno
import io
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred
from t5support import RecordingTaskInstance, first_event, wait_imported

from airflow_provider_translate5 import files
from airflow_provider_translate5.client import Translate5Client
from airflow_provider_translate5.operators import (
    Translate5BatchExportOperator,
    Translate5ExportOperator,
    Translate5InstantTranslatePretranslateOperator,
)

from .conftest import context_for, listing

pytestmark = pytest.mark.integration

PRETRANSLATE = "/editor/instanttranslateapi/filepretranslate"


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__TRANSLATE5__MIN_POLL_INTERVAL", "0.01")


def imported_task(client: Translate5Client, *pages: Path, name: str = "Delivery") -> int:
    task = client.create_task(list(pages), task_name=name, source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    return task.id


def export(task_id: int, out: Path, ti: RecordingTaskInstance | None = None) -> Any:
    operator = Translate5ExportOperator(
        task_id="export", translate5_task_id=task_id, destination=str(out), unzip=True
    )
    return operator.execute(context_for(ti))


def previous_export(out: Path) -> dict[str, bytes]:
    """Mark every exported file as the previous delivery; returns the listing to compare with."""
    for path in out.rglob("*"):
        if path.is_file():
            path.write_bytes(b"previous export of " + path.name.encode())
    return listing(out)


SPELLINGS: dict[str, Callable[[Path, Path], str]] = {
    "symlinked-folder": lambda page, link: f"file://{link}/{page.name}",
    "dot-dot": lambda page, link: f"file://{page.parent}/../{page.parent.name}/{page.name}",
    "double-slash": lambda page, link: f"file://{page.parent}//{page.name}",
    "file-localhost": lambda page, link: f"file://localhost{page}",
    "local-scheme": lambda page, link: f"local://{page}",
}


@pytest.mark.parametrize("spelling", list(SPELLINGS.values()), ids=list(SPELLINGS))
def test_a_destination_naming_the_source_another_way_is_refused(
    sim: Any, page: Path, tmp_path: Path, spelling: Callable[[Path, Path], str]
) -> None:
    link = tmp_path / "link"
    link.symlink_to(page.parent, target_is_directory=True)
    destination = spelling(page, link)
    before = page.read_bytes()

    def operator(destination: str) -> Translate5InstantTranslatePretranslateOperator:
        return Translate5InstantTranslatePretranslateOperator(
            task_id="pre", source=str(page), source_lang="en", target_lang="de", destination=destination
        )

    with pytest.raises(ValueError, match="would overwrite the source"):  # when the DAG is parsed
        operator(destination)
    templated = operator("{{ params.out }}")
    templated.destination = destination  # what the template rendered to
    with pytest.raises(AirflowFailException, match="would overwrite the source"):
        templated.execute(context_for())

    assert sim.requests.count("POST", PRETRANSLATE) == 0
    assert page.read_bytes() == before


def test_a_failed_reexport_of_long_file_names_keeps_the_old_delivery_whole(
    sim: Any, client: Translate5Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CMS file names built from titles share their first 50 characters.
    prefix = "a-page-name-that-the-cms-builds-from-the-article-title-"
    pages = []
    for number in (1, 2):
        pages.append(tmp_path / "in" / f"{prefix}{number}.html")
        pages[-1].parent.mkdir(exist_ok=True)
        pages[-1].write_text(f"<p>Page {number}.</p>", encoding="utf-8")
    task_id = imported_task(client, *pages)
    out = tmp_path / "out"
    export(task_id, out)
    before = previous_export(out)

    real_move = files._move
    moves: list[str] = []

    def second_move_fails(source: Any, target: Any) -> None:
        if target.name.startswith(prefix):
            moves.append(target.name)
            if len(moves) == 2:
                raise OSError(errno.EIO, "I/O error")
        real_move(source, target)

    monkeypatch.setattr(files, "_move", second_move_fails)
    with pytest.raises(OSError, match="I/O error"):
        export(task_id, out)

    assert listing(out) == before  # each file its own previous version; nothing new, no staging left


def test_a_rollback_that_cannot_restore_a_file_names_it(
    sim: Any, client: Translate5Client, page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = page.with_name("about.html")
    second.write_text("<p>About us.</p>", encoding="utf-8")
    task_id = imported_task(client, page, second)
    out = tmp_path / "out"
    export(task_id, out)
    before = previous_export(out)

    real_move = files._move
    moves: list[Any] = []

    def failing(source: Any, target: Any) -> None:
        moves.append(target)
        if len(moves) == 2:
            raise OSError(errno.EIO, "I/O error")  # the commit's second move
        if len(moves) == 3:
            raise OSError(errno.EACCES, "Permission denied")  # putting the first file back
        real_move(source, target)

    monkeypatch.setattr(files, "_move", failing)
    with pytest.raises(AirflowFailException, match="could not be undone completely") as failed:
        export(task_id, out)

    first = moves[0].relative_to(out).as_posix()
    message = str(failed.value)
    assert (
        f"NOT restored: {first} ([Errno 13] Permission denied; its previous version is at file://" in message
    )
    kept = [p for p in out.glob(f".translate5-staging-*/backups/{first}")]
    assert [p.read_bytes() for p in kept] == [before[first]]  # nothing lost: named, and still there


class PullingTI(RecordingTaskInstance):
    """Hands back what it was given, as Airflow does for an operator resumed after its deferral."""

    def xcom_pull(self, task_ids: Any = None, key: str = "return_value", map_indexes: Any = None) -> Any:
        return self.xcom[key]


def test_a_batch_export_whose_later_batch_fails_delivers_nothing(
    sim: Any, client: Translate5Client, tmp_path: Path
) -> None:
    created = [
        client.create_task(
            (f"page-{n}.html", io.BytesIO(b"<p>Hello.</p>")),
            task_name=f"Page {n}",
            source_lang="en",
            target_lang="de",
        )
        for n in range(31)  # two batches: translate5 queues at most 30 tasks per export
    ]
    wait_imported(client, [i for task in created for i in task.task_ids])
    out = tmp_path / "out"
    operator = Translate5BatchExportOperator(
        task_id="batch",
        translate5_task_ids=[task.id for task in created],
        destination=str(out),
        deferrable=True,
        poke_interval=0.02,
    )
    context = context_for(PullingTI())
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    tokens = context["ti"].xcom["translate5_batch_export"]["tokens"]
    assert len(tokens) == 2
    sim.faults.fail_next(10, status=500, method="GET", path=f"/editor/queuedexport/{tokens[1]}/download")

    event = asyncio.run(first_event(deferred.value.trigger))
    with pytest.raises(Exception, match="500"):
        operator.execute_complete(context, event)

    assert sim.requests.count("GET", f"/editor/queuedexport/{tokens[0]}/download") == 1  # the first arrived
    assert listing(out) == {}  # yet none of its 30 exports is delivered, and no staging is left


# A worker that dies by SIGKILL in the middle of an unzipped export: the archive is downloaded, its first
# member staged, and the second is being written.
KILLED_EXPORT = """
import os, signal, sys
from airflow_provider_translate5.client import files as client_files
from airflow_provider_translate5.operators import Translate5ExportOperator

class TI:
    dag_id, run_id, task_id, map_index, try_number = "tests", "killed", "export", -1, 1
    def xcom_push(self, key, value):
        pass

real_write = client_files.write_atomically
writes = []
def write_then_die(chunks, target):
    writes.append(target)
    if len(writes) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_write(chunks, target)

client_files.write_atomically = write_then_die
Translate5ExportOperator(
    task_id="export", translate5_task_id=int(sys.argv[1]), destination=sys.argv[2], unzip=True
).execute({"ti": TI()})
"""


def test_a_killed_unzip_export_leaves_no_archive_and_the_next_export_clears_its_staging(
    sim: Any, client: Translate5Client, page: Path, tmp_path: Path
) -> None:
    second = page.with_name("about.html")
    second.write_text("<p>About us.</p>", encoding="utf-8")
    task_id = imported_task(client, page, second)
    out = tmp_path / "out"
    scratch = tmp_path / "tmp"
    scratch.mkdir()

    worker = subprocess.run(
        [sys.executable, "-c", KILLED_EXPORT, str(task_id), str(out)],
        env={**os.environ, "TMPDIR": str(scratch)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr
    assert list(scratch.iterdir()) == []  # the downloaded archive (customer data) is not left in $TMPDIR
    assert list(out.glob(".translate5-staging-*"))  # what the killed worker staged
    # and a random-suffixed partial file an older provider version left beside a target
    (out / "Delivery").mkdir()
    (out / "Delivery" / ".page.html.3f2a9c1b7d4e.part").write_bytes(b"half")

    written = export(task_id, out)  # the next export into the folder: another DAG run

    assert sorted(listing(out)) == sorted(
        Path(uri.removeprefix("file://")).relative_to(out).as_posix() for uri in written
    )  # only the delivered files: the killed export's staging and the stale partial file are gone
