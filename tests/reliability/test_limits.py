"""Bounded by what a server can make the provider do: answers a hostile or broken server (or proxy) sends.

Served by the canned server (translate5 never answers like this); each test checks what a user sees: a clear
error that Airflow does not retry pointlessly, and nothing left at the destination.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowFailException
from t5support import RawServer

from airflow_provider_translate5.client import (
    RetryPolicy,
    Translate5APIError,
    Translate5AuthError,
    Translate5Client,
    Translate5Error,
    Translate5ResponseError,
    Translate5TimeoutError,
)
from airflow_provider_translate5.client.limits import Limits
from airflow_provider_translate5.operators import Translate5ExportOperator

from .conftest import FAST_RETRY, CannedServer, context_for

TOKEN = "7:" + "a" * 36
ROW = json.dumps({"success": True, "rows": {"id": 5, "taskGuid": "{g}", "taskName": "T", "projectId": 5}})


@pytest.fixture
def canned_connection(canned: CannedServer, monkeypatch: pytest.MonkeyPatch) -> CannedServer:
    conn = {"conn_type": "translate5", "host": canned.url, "password": TOKEN}
    monkeypatch.setenv("AIRFLOW_CONN_TRANSLATE5_DEFAULT", json.dumps(conn))
    canned.json("/editor/task/5", ROW)
    return canned


def test_a_gzip_bomb_download_stops_at_the_byte_limit_leaving_nothing(
    canned_connection: CannedServer, tmp_path: Path
) -> None:
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))  # 8 MiB once decoded, ~8 KiB on the wire
    canned_connection.routes[("GET", "/editor/task/export/id/5")] = (
        200,
        {
            "Content-Type": "application/octet-stream",
            "Content-Encoding": "gzip",
            "Content-Disposition": 'attachment; filename="page_de.html"',
        },
        bomb,
    )
    out = tmp_path / "out"
    export = Translate5ExportOperator(
        task_id="e",
        translate5_task_id=5,
        destination=str(out),
        format="filetranslation",
        hook_params={"limits": Limits(max_download_bytes=1024 * 1024), "retry": FAST_RETRY},
    )

    with pytest.raises(AirflowFailException, match=r"(?i)limit"):  # the same answer again: no retries
        export.execute(context_for())

    assert not out.exists()


def test_pathological_json_is_a_clean_response_error(canned: CannedServer) -> None:
    canned.json("/editor/task/5", "[" * 100_000 + "]" * 100_000)
    client = Translate5Client(canned.url, TOKEN, retry=FAST_RETRY)

    with pytest.raises(Translate5ResponseError) as caught:
        client.get_task(5)

    assert "GET /editor/task/5" in str(caught.value)
    assert len(str(caught.value)) < 1000  # one readable line, not the body


def test_an_error_envelope_is_an_error_whatever_its_content_type(
    canned: CannedServer, tmp_path: Path
) -> None:
    canned.json("/editor/task/5", ROW)
    canned.routes[("GET", "/editor/task/export/id/5")] = (
        200,
        {"Content-Type": "application/octet-stream", "Content-Disposition": 'attachment; filename="x.zip"'},
        b'{"success": false, "errorMessage": "Export failed", "httpStatus": 500}',
    )
    client = Translate5Client(canned.url, TOKEN, retry=FAST_RETRY)

    with pytest.raises(Translate5APIError, match="Export failed"):
        client.export_task(5, tmp_path)

    assert list(tmp_path.iterdir()) == []  # no x.zip holding the error


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308"])
def test_retry_after_of_any_value_gives_a_finite_capped_wait(canned: CannedServer, value: str) -> None:
    answers = iter(
        [
            (429, {"Content-Type": "application/json", "Retry-After": value}, b'{"success": false}'),
            (200, {"Content-Type": "application/json"}, ROW.encode()),
        ]
    )
    canned.routes[("GET", "/editor/task/5")] = lambda _handler: next(answers)
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=3, backoff=0.01, max_retry_after=2.0, jitter=False, sleep=waits.append)
    client = Translate5Client(canned.url, TOKEN, retry=policy)

    assert client.get_task(5).id == 5

    assert len(waits) == 1
    assert 0 <= waits[0] <= 2.0  # finite, and never longer than the cap


@pytest.fixture
def trickling() -> Iterator[RawServer]:
    """Sends a status line and headers at once, then one body byte every 0.2 s: 25 bytes (5 s) of the
    100,000 promised, then it hangs up (so a call that ignored its deadline ends with another error)."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    server = RawServer(b" " * 25, pause=0.2, head=head)
    yield server
    server.close()


def test_a_trickling_server_cannot_hold_a_call_past_its_deadline(trickling: RawServer) -> None:
    # Every byte arrives well within the 5 s read timeout; only the overall deadline ends the call.
    client = Translate5Client(
        trickling.url,
        TOKEN,
        timeout=(2.0, 5.0),
        retry=RetryPolicy(max_attempts=1),
        limits=Limits(deadline=1.0),
    )

    with pytest.raises(Translate5TimeoutError) as caught:
        client.get_task(5)

    # the overall deadline ended it (not the read timeout, not the server hanging up after 5 s)
    assert "did not complete GET /editor/task/5 within the overall deadline of 1 s" in str(caught.value)
    assert caught.value.retryable  # a slow server may be quick next time: Airflow may retry


def test_a_malformed_token_fails_for_good_before_any_request(canned: CannedServer) -> None:
    with pytest.raises(Translate5AuthError) as caught:
        Translate5Client(canned.url, "not a token").get_task(5)

    assert caught.value.terminal  # no Airflow retry can fix a malformed token
    assert "not a token" not in str(caught.value)
    assert canned.seen == []


def test_a_huge_json_answer_is_refused_at_the_size_limit(canned: CannedServer) -> None:
    rows = [{"id": i, "taskGuid": "{g}", "taskName": "x" * 200} for i in range(5000)]  # ~1.2 MB
    canned.json("/editor/task", json.dumps({"success": True, "total": 5000, "rows": rows}))
    client = Translate5Client(canned.url, TOKEN, retry=FAST_RETRY, limits=Limits(max_json_bytes=256 * 1024))

    with pytest.raises(Translate5Error, match=r"(?i)limit") as caught:
        client.list_tasks()

    assert caught.value.terminal  # raise the limit (or page the list): the same answer would come again


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("foreign_id", "x" * 121, "foreign_id"), ("task_name", "n" * 10_000, "task_name")],
)
def test_overlong_names_fail_before_any_request(
    canned_connection: CannedServer, tmp_path: Path, field: str, value: str, message: str
) -> None:
    from airflow_provider_translate5.operators import Translate5UploadTaskOperator

    page = tmp_path / "page.html"
    page.write_text("<p>Hi</p>", encoding="utf-8")
    kwargs = {"task_name": "Page", "foreign_id": "cms-1", field: value}
    upload = Translate5UploadTaskOperator(
        task_id="u", source=str(page), source_lang="en", target_lang="de", **kwargs
    )
    seen = len(canned_connection.seen)

    with pytest.raises(AirflowFailException, match=message):
        upload.execute(context_for())

    assert canned_connection.seen[seen:] == []  # nothing sent: no lookup, no upload
