"""A reimport is waited for like every operation (``status.REIMPORT`` in ``status.evaluate_operation``): done
when translate5's lock is released AND the task's import archive holds the file sent.

The looks replayed here are the task states a real translate5 showed after a reimport's answer (transcripts-2
§143, §146); between two of them the archive holds the old file until the reimport has written it (§150).
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest

from airflow_provider_translate5 import status
from airflow_provider_translate5.client import Task, Translate5Client
from airflow_provider_translate5.wait import OperationWait

LOCK = "*translate5InternalLock*"
PAGE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" '
    b'xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="about-us" source-language="en" '
    b'target-language="de" datatype="plaintext"><body>'
    b"<trans-unit id='1'><source>About us</source><target>{}</target></trans-unit>"
    b"</body></file></xliff>"
)
SENT = {"id": 139, "name": "page.xlf", "sha256": hashlib.sha256(PAGE.replace(b"{}", b"Hallo")).hexdigest()}


def row(state: str, lock: str | None = None, task_id: int = 159) -> Task:
    return Task.from_api(
        {"id": str(task_id), "taskGuid": f"{{g-{task_id}}}", "taskName": "recording-2 task B", "state": state,
         "lockedInternalSessionUniqId": None if lock is None else LOCK + lock, "locked": None,
         "workflowStepName": "translation", "taskType": "default"}
    )  # fmt: skip


#: §143, in order: the answer's moment (queued: ``open``, no lock, the archive still holding the old file),
#: then each change the 0.25 s polling saw, with what the archive lookup would answer (the digest of the
#: file sent once the archive holds it; the simulator writes it when autoqa takes over, as translate5 does).
RECORDED_143 = [
    (row("open"), None),
    (row("reimport"), None),
    (row("reimport", "autoqa"), SENT["sha256"]),
    (row("reimport"), SENT["sha256"]),
    (row("open"), SENT["sha256"]),
]


def judge(task: Task, after: str | None, seen: tuple[int, ...] = ()) -> status.Verdict:
    return status.evaluate_operation(
        status.REIMPORT, [task.id], {task.id: task}, before={task.id: None}, after={task.id: after},
        seen=seen, sent=SENT,
    )  # fmt: skip


def test_only_the_last_recorded_look_of_a_reimport_is_done() -> None:
    verdicts = [judge(task, after) for task, after in RECORDED_143]
    assert [v.status for v in verdicts] == ["waiting"] * 4 + ["success"]
    assert "159 (reimport queued: nothing runs on the task yet and the import archive does not hold the " \
        "page.xlf sent)" in verdicts[0].message  # fmt: skip
    assert "reimport running" in verdicts[1].message


def test_a_reimport_seen_running_that_left_no_file_in_the_archive_fails_for_good() -> None:
    verdict = judge(row("open"), None, seen=(159,))
    assert (verdict.status, verdict.terminal) == ("error", True)
    assert "translate5 ran the reimport of translate5 task 159 but its import archive" in verdict.message
    assert "does not hold the page.xlf sent (E1475" in verdict.message


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: Any, *args: Any) -> None:
        self.lines.append(str(msg) % args)

    def warning(self, msg: Any, *args: Any) -> None:
        self.lines.append(str(msg) % args)


def test_the_wait_sees_the_reimport_worker_by_its_state() -> None:
    wait = OperationWait(operation=status.REIMPORT, before={159: None}, sent=SENT, ids=[159], log=Log())
    assert wait.look_tasks({159: row("open", "matchanalysis")}).status == "waiting"
    assert wait.seen == set()  # another worker: not this reimport
    assert wait.look_tasks({159: row("reimport")}).status == "waiting"
    assert wait.seen == {159}


def test_a_reimport_wait_needs_the_file_sent_where_it_is_set_up() -> None:
    from airflow_provider_translate5.triggers.operation import Translate5OperationTrigger

    with pytest.raises(ValueError, match="the wait for a reimport needs name, sha256 of what was sent"):
        OperationWait(operation=status.REIMPORT, before={159: None}, ids=[159], log=Log())
    with pytest.raises(ValueError, match="needs sha256 of what was sent"):
        Translate5OperationTrigger(
            translate5_task_ids=[159], operation="reimport", before={}, sent={"name": "page.xlf"}
        )


def test_the_deferred_reimport_wait_keeps_the_file_sent_through_serialization() -> None:
    from airflow_provider_translate5.triggers.operation import Translate5OperationTrigger

    trigger = Translate5OperationTrigger(
        translate5_task_ids=[159], operation="reimport", before={"159": None}, sent=SENT, end_time=1.0
    )
    _, kwargs = trigger.serialize()
    again = Translate5OperationTrigger(**kwargs)
    assert (again.operation, again.before, again.sent) == (status.REIMPORT, {"159": None}, SENT)
    assert again.success_payload({159: row("open")})["sent"] == SENT  # what the resumed operator reads


@pytest.mark.integration
@pytest.mark.parametrize("translate5_simulator", [{"import_duration": 1.0}], indirect=True)
def test_a_task_an_operation_took_since_its_row_was_read_is_waited_for(sim: Any) -> None:
    """The rows said free, then the reimport started: no export of its archive (409), the wait goes on."""
    from t5support import eventually, wait_imported

    with Translate5Client(sim.base_url, sim.token) as client:
        task = client.create_task(
            [("page.xlf", io.BytesIO(PAGE.replace(b"{}", b"")))], task_name="B", source_lang="en",
            target_lang="de",
        )  # fmt: skip
        wait_imported(client, [task.id])
        sim.set(import_duration=5.0)  # the reimport's state lasts seconds: the lookup below comes within it
        free = client.get_tasks([task.id])
        [task_file] = client.list_task_files(task.id)
        client.reimport_file(task.id, task_file.id, ("page.xlf", io.BytesIO(PAGE.replace(b"{}", b"Hallo"))))
        eventually(lambda: client.get_task(task.id).state, "reimport".__eq__, what="the reimport running")
        wait = OperationWait(
            operation=status.REIMPORT, before={task.id: None}, sent=SENT, ids=[task.id], log=Log()
        )

        verdict = wait.look_up_results(client, free)

    assert verdict.status == "waiting"
    assert "busy again" in verdict.message
