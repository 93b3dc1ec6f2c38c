"""Retries: bounded, backed off, Retry-After honoured, and never a blind retry of a create."""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
import urllib3
from t5support import RawServer

from airflow_provider_translate5.client import (
    RetryPolicy,
    Translate5Client,
    Translate5ConflictError,
    Translate5ConnectionError,
    Translate5RateLimitError,
    Translate5ServerError,
    Translate5TimeoutError,
    Translate5ValueError,
)
from airflow_provider_translate5.client.retry import parse_retry_after

from .conftest import TOKEN, task_row

OK_TASK = {"rows": task_row(5)}
CREATED = {"success": True, "rows": task_row(9, state="import", projectTasks=task_row(9, state="import"))}


def refused() -> requests.exceptions.ConnectionError:
    """What requests raises when the TCP connect itself failed (nothing was sent)."""
    reason = urllib3.exceptions.NewConnectionError(
        None, "Failed to establish a new connection: [Errno 111] refused"
    )
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/editor/task", reason))


def status(code: int, **headers: str) -> dict:
    return {
        "json": {"errorMessage": f"status {code}", "httpStatus": code},
        "status_code": code,
        "headers": headers,
    }


def test_transient_errors_are_retried_with_exponential_backoff(client, answer, sleeps):
    answer("GET", "/editor/task/5", responses=[status(503), status(502), status(504), {"json": OK_TASK}])
    assert client.get_task(5).id == 5
    assert sleeps == [0.5, 1.0, 2.0]


def test_attempts_are_bounded(client, answer, sent, sleeps):
    answer("GET", "/editor/task/5", json={"errorMessage": "down"}, status=503)
    with pytest.raises(Translate5ServerError, match="down"):
        client.get_task(5)
    assert len(sent) == 5
    assert sleeps == [0.5, 1.0, 2.0, 4.0]


def test_backoff_is_capped(make_client, answer, sleeps):
    client = make_client(
        retry=RetryPolicy(max_attempts=4, backoff=10, max_backoff=15, jitter=False, sleep=sleeps.append)
    )
    answer("GET", "/editor/task/5", responses=[status(503), status(503), status(503), {"json": OK_TASK}])
    client.get_task(5)
    assert sleeps == [10, 15, 15]


def test_full_jitter_stays_within_the_exponential_ceiling():
    policy = RetryPolicy(backoff=1.0, max_backoff=8.0)
    delays = [policy.delay(n) for n in (1, 2, 3, 4, 5) for _ in range(50)]
    assert all(0 <= d <= 8.0 for d in delays)
    assert max(policy.delay(1) for _ in range(50)) <= 1.0
    assert len(set(delays)) > 10  # really random


def test_retry_after_seconds_is_honoured_and_capped(make_client, answer, sleeps):
    client = make_client(retry=RetryPolicy(jitter=False, max_retry_after=60, sleep=sleeps.append))
    answer(
        "GET",
        "/editor/task/5",
        responses=[
            status(429, **{"Retry-After": "7"}),
            status(503, **{"Retry-After": "3600"}),
            {"json": OK_TASK},
        ],
    )
    client.get_task(5)
    assert sleeps == [7.0, 60.0]


def test_retry_after_http_date_is_understood():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(later, now=now) == 42.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now=now) == 0.0
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_rate_limit_error_carries_retry_after(make_client, answer):
    client = make_client(retry=RetryPolicy(max_attempts=1))
    answer("GET", "/editor/task/5", {"errorMessage": "slow down"}, status=429, headers={"Retry-After": "9"})
    with pytest.raises(Translate5RateLimitError) as caught:
        client.get_task(5)
    assert caught.value.retry_after == 9.0


def test_each_retry_is_logged_without_headers_or_bodies(client, answer, caplog):
    answer("GET", "/editor/task/5", responses=[status(503), {"json": OK_TASK}])
    with caplog.at_level(logging.INFO, logger="airflow_provider_translate5.client"):
        client.get_task(5)
    (record,) = [r for r in caplog.records if r.name == "airflow_provider_translate5.client"]
    message = record.getMessage()
    assert record.levelno == logging.WARNING
    assert "GET /editor/task/5" in message
    assert "HTTP 503" in message
    assert "attempt 2/5" in message
    assert TOKEN not in message
    assert "status 503" not in message


def test_idempotent_read_timeout_is_retried(client, answer, sleeps):
    answer(
        "GET",
        "/editor/task/5",
        responses=[{"exc": requests.exceptions.ReadTimeout("slow")}, {"json": OK_TASK}],
    )
    assert client.get_task(5).id == 5
    assert sleeps == [0.5]


@pytest.mark.usefixtures("languages")
@pytest.mark.parametrize(
    ("first", "error"),
    [
        ({"exc": requests.exceptions.ReadTimeout("read timed out")}, Translate5TimeoutError),
        (
            {"exc": requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected")},
            Translate5ConnectionError,
        ),
        (status(502), Translate5ServerError),
        (status(504), Translate5ServerError),
        (status(500), Translate5ServerError),
    ],
    ids=["read-timeout", "connection-aborted", "502", "504", "500"],
)
def test_a_create_that_may_have_been_processed_is_never_retried(
    client, answer, requests_mock, sleeps, first, error
):
    answer("POST", "/editor/task", responses=[first, {"json": CREATED}])
    with pytest.raises(error, match="POST /editor/task"):
        client.create_task(
            ("a.html", io.BytesIO(b"<p>x</p>")), task_name="x", source_lang="en", target_lang="de"
        )
    assert [r.method for r in requests_mock.request_history] == ["GET", "POST"]  # languages, one create
    assert sleeps == []


@pytest.mark.usefixtures("languages")
@pytest.mark.parametrize(
    "first",
    [
        status(503),
        status(429, **{"Retry-After": "2"}),
        {"exc": refused()},
        {"exc": requests.exceptions.ConnectTimeout()},
    ],
    ids=["503", "429", "connection-refused", "connect-timeout"],
)
def test_a_create_the_server_provably_did_not_process_is_retried_with_the_upload_rebuilt(
    client, answer, sent, requests_mock, sleeps, tmp_path, first
):
    source = tmp_path / "page.html"
    source.write_bytes(b"<p>path file</p>")
    stream = io.BytesIO(b"skip<p>stream</p>")
    stream.seek(4)
    answer("POST", "/editor/task", responses=[first, {"json": CREATED}])
    task = client.create_task([source, ("b.html", stream)], task_name="x", source_lang="en", target_lang="de")
    assert task.id == 9
    creates = [s for s in sent if s.path == "/editor/task"]
    assert [r.method for r in requests_mock.request_history] == ["GET", "POST", "POST"]
    assert len(sleeps) == 1
    assert creates[-1].files == [
        ("importUpload[]", "page.html", b"<p>path file</p>"),
        ("importUpload[]", "b.html", b"<p>stream</p>"),
    ]
    if len(creates) == 2:  # the first attempt reached the server: both attempts sent the complete files
        assert creates[0].files == creates[1].files


def test_export_running_for_too_long_ends_as_a_conflict_and_leaves_nothing(client, answer, sleeps, tmp_path):
    answer(
        "GET",
        "/editor/task/export/id/5",
        {"errorMessage": "export running", "errorCode": "E1538"},
        status=409,
    )
    with pytest.raises(Translate5ConflictError, match="E1538"):
        client.export_task(5, tmp_path)
    assert len(sleeps) == 4
    assert list(tmp_path.iterdir()) == []


def test_export_running_then_ready(client, requests_mock, sleeps, tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:  # a whole ZIP: downloads are verified before delivery
        out.writestr("t.xlf", "<xliff/>")
    requests_mock.get(
        "https://t5.example.org/editor/task/export/id/5",
        [
            {"json": {"errorMessage": "export running", "errorCode": "E1538"}, "status_code": 409},
            {"content": archive.getvalue(), "headers": {"Content-Disposition": "attachment; filename=t.zip"}},
        ],
    )
    path = client.export_task(5, tmp_path)
    assert path.read_bytes() == archive.getvalue()
    assert sleeps == [0.5]


def test_other_conflicts_are_not_retried(client, answer, sleeps):
    answer(
        "GET",
        "/editor/task/export/id/5",
        {"errorMessage": "task is locked", "errorCode": "E1046"},
        status=409,
    )
    with pytest.raises(Translate5ConflictError, match="E1046"), client.open_export(5):
        pass
    assert sleeps == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "max_attempts must be at least 1, got 0"),
        ({"backoff": -1}, "backoff must not be negative, got -1"),
        ({"max_retry_after": -2}, "max_retry_after must not be negative, got -2"),
    ],
)
def test_policy_refuses_nonsense(kwargs, message):
    with pytest.raises(Translate5ValueError, match=message):
        RetryPolicy(**kwargs)


def test_tls_errors_are_not_retried(client, answer, sleeps):
    answer("GET", "/editor/task/5", exc=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(Translate5ConnectionError, match="TLS error"):
        client.get_task(5)
    assert sleeps == []


@pytest.mark.parametrize(
    ("header", "slept"),
    [
        ("nan", 0.5),  # unusable: the policy's own backoff
        ("inf", 0.5),
        ("-inf", 0.5),
        ("-30", 0.0),  # already due
        ("1e308", 60.0),  # finite but absurd: capped
        ("Fri, 31 Dec 9999 23:59:59 GMT", 60.0),
        ("Mon, 01 Jan 0001 00:00:00 GMT", 0.0),
    ],
)
def test_retry_after_is_always_a_finite_capped_wait(make_client, answer, sleeps, header, slept):
    client = make_client(retry=RetryPolicy(jitter=False, max_retry_after=60, sleep=sleeps.append))
    answer("GET", "/editor/task/5", responses=[status(503, **{"Retry-After": header}), {"json": OK_TASK}])
    client.get_task(5)
    assert sleeps == [slept]


def test_retries_stop_when_the_wait_would_outlast_the_calls_deadline(make_client, answer, sleeps):
    from airflow_provider_translate5.client.limits import Limits

    client = make_client(
        retry=RetryPolicy(jitter=False, max_retry_after=600, sleep=sleeps.append), limits=Limits(deadline=30)
    )
    answer("GET", "/editor/task/5", responses=[status(503, **{"Retry-After": "120"}), {"json": OK_TASK}])
    with pytest.raises(Translate5ServerError):
        client.get_task(5)
    assert sleeps == []


BODY = b'{"rows": {"id": "5", "taskGuid": "{x}", "taskName": "t", "state": "open"}}' * 10


@pytest.mark.integration
@pytest.mark.parametrize(
    "answer_bytes",
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY, id="headers-and-body"
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"x" * 400 + b"\r\n\r\n" + BODY, id="slow-headers"
        ),
    ],
)
def test_a_trickling_server_cannot_keep_a_call_alive_past_its_deadline(answer_bytes):
    import time

    from airflow_provider_translate5.client import Translate5TimeoutError
    from airflow_provider_translate5.client.limits import Limits

    server = RawServer(answer_bytes, pause=0.05)  # each read returns well within the read timeout
    client = Translate5Client(
        server.url, TOKEN, timeout=(2.0, 2.0), limits=Limits(deadline=0.5), retry=RetryPolicy(max_attempts=1)
    )
    started = time.monotonic()
    try:
        with pytest.raises(Translate5TimeoutError, match=r"overall deadline of 0\.5 s") as caught:
            client.get_task(5)
    finally:
        client.close()
        server.close()
    assert time.monotonic() - started < 0.5 + 2.0  # cut at the deadline, not after the whole answer (~20 s)
    assert caught.value.outage
    assert caught.value.retryable


@pytest.mark.integration
@pytest.mark.parametrize("own_session", [False, True], ids=["clients-session", "callers-session"])
def test_a_trickling_download_is_cut_at_the_deadline_and_leaves_nothing(tmp_path, own_session):
    import time

    from airflow_provider_translate5.client import Translate5TimeoutError
    from airflow_provider_translate5.client.limits import Limits

    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\n"
        b"Content-Disposition: attachment; filename=a.zip\r\n\r\n"
    )
    server = RawServer(head + b"PK\x03\x04" + b"z" * 4000, pause=0.002)  # ~8 s to send in full
    session = requests.Session() if own_session else None  # a caller's session: cut once headers are in
    client = Translate5Client(
        server.url, TOKEN, timeout=(2.0, 2.0), limits=Limits(deadline=0.8), session=session
    )
    try:
        started = time.monotonic()
        with pytest.raises(Translate5TimeoutError, match="overall deadline"):
            client.export_task(5, tmp_path)
        assert time.monotonic() - started < 0.8 + 2.0  # cut at the deadline, not at the end of the body
    finally:
        client.close()
        server.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.integration
def test_without_a_set_deadline_a_call_is_cut_at_the_bound_its_timeouts_and_retries_give():
    # One attempt of (0.2 s connect + 2 x 0.3 s read) is all this client may spend: 0.8 s, not an hour.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
    server = RawServer(head + BODY, pause=0.05)  # each byte well within the read timeout, ~37 s in all
    client = Translate5Client(server.url, TOKEN, timeout=(0.2, 0.3), retry=RetryPolicy(max_attempts=1))
    try:
        with pytest.raises(Translate5TimeoutError) as caught:
            client.get_task(5)
    finally:
        client.close()
        server.close()
    assert "overall deadline of 0.8 s" in str(caught.value)
    assert "follows from the timeouts and retries unless set" in str(caught.value)


@pytest.mark.parametrize("deadline", [0, -1, float("nan"), float("inf"), "soon", True])
def test_a_deadline_that_is_no_positive_number_is_refused(deadline):
    from airflow_provider_translate5.client.limits import Limits

    with pytest.raises(Translate5ValueError, match="deadline must be a positive number"):
        Limits(deadline=deadline)
