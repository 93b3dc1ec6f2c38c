"""The slow-create window on the server under test: a create saved after the client gave up stays single.

A small HTTP proxy on 127.0.0.1 sits between the upload operator and translate5. It holds the FIRST
``POST /editor/task`` longer than the client's read timeout and only then sends it on, so translate5 saves
the task after the client has given up on the answer: the case that created two tasks for one foreignId.
Everything else passes straight through. Afterwards exactly one project/task may exist for the foreignId.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
import requests
from contract_support import PAGE, SOURCE, TARGET, Cleanup, T5Http

if TYPE_CHECKING:
    from airflow_provider_translate5.operators import Translate5UploadTaskOperator

READ_TIMEOUT = 3.0  # the client's read timeout in these tests
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class HoldingProxy:
    """Forwards every request to ``upstream``; the first ``POST /editor/task`` is held ``hold`` seconds first.

    Listens on 127.0.0.1 only; the answer of the held request goes back to a client that stopped waiting.
    """

    def __init__(self, upstream: str, *, hold: float) -> None:
        self.upstream = upstream.rstrip("/")
        self.hold = hold
        self.creates = 0
        self.held_forwarded = threading.Event()
        self._lock = threading.Lock()
        self._session = requests.Session()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                held = False
                if self.command == "POST" and self.path.split("?", 1)[0].rstrip("/") == "/editor/task":
                    with proxy._lock:
                        proxy.creates += 1
                        held = proxy.creates == 1
                if held:
                    time.sleep(proxy.hold)  # the client's read timeout passes meanwhile
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                answer = proxy._session.request(
                    self.command,
                    proxy.upstream + self.path,
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                )
                if held:
                    proxy.held_forwarded.set()
                try:
                    self.send_response(answer.status_code)
                    for name, value in answer.raw.headers.items():
                        if name.lower() not in HOP_BY_HOP:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.content)))
                    self.end_headers()
                    self.wfile.write(answer.content)
                except OSError:
                    pass  # the client gave up on this answer (the held create)

            do_POST = do_PUT = do_DELETE = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1})
        self._thread.daemon = True
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._session.close()


@pytest.fixture
def proxy_for(t5_url: str) -> Iterator[Callable[[float], HoldingProxy]]:
    proxies: list[HoldingProxy] = []

    def start(hold: float) -> HoldingProxy:
        proxies.append(HoldingProxy(t5_url, hold=hold))
        return proxies[-1]

    yield start
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def page_file(tmp_path: Path) -> Path:
    path = tmp_path / "about-us.xlf"
    path.write_bytes(PAGE)
    return path


def upload_operator(
    page_file: Path, key: str, *, grace: float, **options: Any
) -> Translate5UploadTaskOperator:
    """The upload operator of ``page_file`` (en -> de) under task name and foreignId ``key``, a fresh one per
    try as Airflow parses anew; ``options`` are further operator arguments."""
    from airflow_provider_translate5.operators import Translate5UploadTaskOperator

    return Translate5UploadTaskOperator(
        task_id="upload",
        source=str(page_file),
        task_name=key,
        source_lang=SOURCE,
        target_lang=TARGET,
        foreign_id=key,
        create_grace=timedelta(seconds=grace),
        **options,
    )


def upload_ti(run_id: str, try_number: int) -> SimpleNamespace:
    """The part of Airflow's task instance the upload operator uses (its identity; XCom pushes dropped)."""
    return SimpleNamespace(
        dag_id="contract",
        run_id=run_id,
        task_id="upload",
        map_index=-1,
        try_number=try_number,
        xcom_push=lambda key, value: None,
    )


@pytest.fixture
def upload_try(
    t5_token: str, monkeypatch: pytest.MonkeyPatch, page_file: Path
) -> Callable[..., dict[str, Any]]:
    """``upload_try(proxy, key, grace=..., try_number=...)``: one Airflow try of the upload operator of
    ``page_file`` through the proxy, with the client's read timeout ``READ_TIMEOUT``; returns its result."""
    import json

    def one_try(proxy: HoldingProxy, key: str, *, grace: float, try_number: int) -> dict[str, Any]:
        monkeypatch.setenv(
            "AIRFLOW_CONN_TRANSLATE5_DEFAULT",
            json.dumps({"conn_type": "translate5", "host": proxy.url, "password": t5_token}),
        )
        operator = upload_operator(
            page_file,
            key,
            grace=grace,
            hook_params={"timeout": (10.0, READ_TIMEOUT)},
            retry_delay=timedelta(0),
        )
        try:
            return operator.execute({"ti": upload_ti("slow", try_number)})  # type: ignore[typeddict-item]
        finally:
            operator.hook.close()

    return one_try


def units(http: T5Http, key: str) -> list[str]:
    """Projects/tasks that exist for the foreignId (a project task counts as its project)."""
    rows = http.tasks_where("foreignId", key)
    return sorted({str(row.get("projectId") or row["id"]) for row in rows})


def test_a_create_saved_after_the_read_timeout_is_found_not_repeated(
    t5_http: T5Http,
    cleanup: Cleanup,
    proxy_for: Callable[[float], HoldingProxy],
    upload_try: Callable[..., dict[str, Any]],
    await_import: Callable[[int | str], dict[str, Any]],
) -> None:
    key = cleanup.owned_name("slow-create")
    proxy = proxy_for(READ_TIMEOUT + 3)  # saved ~3 s after the client stopped waiting

    result = upload_try(proxy, key, grace=90, try_number=1)

    assert proxy.held_forwarded.is_set()
    assert proxy.creates == 1  # the try never sent a second create ...
    assert result["reattached"] is True  # ... it found its own, saved late, by the foreignId
    assert units(t5_http, key) == [str(result["id"])]
    await_import(result["id"])  # and the survivor is a complete task


def test_a_create_saved_during_the_retry_is_reused_by_the_retry(
    t5_http: T5Http,
    cleanup: Cleanup,
    proxy_for: Callable[[float], HoldingProxy],
    upload_try: Callable[..., dict[str, Any]],
    await_import: Callable[[int | str], dict[str, Any]],
) -> None:
    from airflow_provider_translate5.client import Translate5Error

    key = cleanup.owned_name("slow-retry")
    proxy = proxy_for(READ_TIMEOUT + 8)

    with pytest.raises(Translate5Error) as caught:  # try 1 gives up after a 1 s grace ...
        upload_try(proxy, key, grace=1, try_number=1)
    assert not caught.value.terminal  # ... retryably, while its create is still held
    result = upload_try(proxy, key, grace=90, try_number=2)

    assert proxy.held_forwarded.is_set()
    assert proxy.creates == 1  # the retry looked first and never created a second task
    assert result["reattached"] is True
    assert units(t5_http, key) == [str(result["id"])]
    await_import(result["id"])


class _DyingTI(SimpleNamespace):
    """An Airflow try whose worker dies right after InstantTranslate accepted the file."""

    def xcom_push(self, key: str, value: Any) -> None:
        if key == "translate5_pretranslation_id":
            raise SystemExit("worker killed")


def test_a_retried_pretranslation_is_not_uploaded_again(
    t5_http: T5Http,
    t5_url: str,
    t5_token: str,
    cleanup: Cleanup,
    unique_name: Callable[[str], str],
    page_file: Path,
    tmp_path: Path,
    airflow_connection: str,
) -> None:
    """The operator marks the uploaded file name; translate5 must show that name in the file list."""
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_provider_translate5.client import Translate5Client
    from airflow_provider_translate5.operators import Translate5InstantTranslatePretranslateOperator
    from airflow_provider_translate5.operators.instanttranslate import pretranslation_marker

    probe = t5_http.post(
        "/editor/instanttranslateapi/translate", data={"text": "Hello", "source": SOURCE, "target": TARGET}
    )
    if probe.status_code in (302, 401, 403, 404):
        pytest.skip(f"InstantTranslate is not available for this token (HTTP {probe.status_code})")
    run_id = unique_name("pretranslate")

    def one_try(ti: SimpleNamespace) -> str:
        operator = Translate5InstantTranslatePretranslateOperator(
            task_id="pre",
            source=str(page_file),
            source_lang=SOURCE,
            target_lang=TARGET,
            destination=str(tmp_path / "out") + "/",
            timeout=timedelta(minutes=5),
            retry_delay=timedelta(minutes=10),
        )
        try:
            return operator.execute({"ti": ti})  # type: ignore[typeddict-item]
        finally:
            operator.hook.close()

    identity = {"dag_id": "contract", "run_id": run_id, "task_id": "pre", "map_index": -1}
    digest = hashlib.sha256(page_file.read_bytes()).hexdigest()
    marker = pretranslation_marker({"ti": SimpleNamespace(**identity)}, SOURCE, TARGET, digest)  # type: ignore[typeddict-item]
    client = Translate5Client(t5_url, t5_token)

    def ours() -> set[int]:
        found = {f.task_id for f in client.list_pretranslated_files().files if marker in f.task_name}
        for task_id in found:
            cleanup.task(task_id)
        return found

    try:
        with pytest.raises(SystemExit):
            one_try(_DyingTI(**identity, try_number=1))
        before = ours()
        assert len(before) == 1, "the uploaded file is not in the file list under its (marked) name"
        try:
            written = one_try(SimpleNamespace(**identity, try_number=2, xcom_push=lambda key, value: None))
        except AirflowFailException as exc:
            if "could not be pre-translated" in str(exc):
                pytest.skip(f"no language resource pre-translates {SOURCE} -> {TARGET} on this server")
            raise
        after = ours()
    finally:
        client.close()
    assert after == before  # the retry found the earlier upload: nothing uploaded (or paid) twice
    assert Path(written.removeprefix("file://")).is_file()
    assert marker not in Path(written).name


def test_concurrent_tries_of_one_upload_end_with_one_task(
    t5_http: T5Http,
    cleanup: Cleanup,
    page_file: Path,
    airflow_connection: str,
    await_import: Callable[[int | str], dict[str, Any]],
) -> None:
    """Four tries create at the same moment; each keeps the lowest id and deletes the others."""
    key = cleanup.owned_name("concurrent")
    start = threading.Barrier(4)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def one_try() -> None:
        operator = upload_operator(page_file, key, grace=90)
        ti = upload_ti("concurrent", try_number=1)
        start.wait()
        try:
            results.append(operator.execute({"ti": ti}))  # type: ignore[typeddict-item]
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            operator.hook.close()

    threads = [threading.Thread(target=one_try) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert errors == []
    survivors = units(t5_http, key)
    assert len(survivors) == 1
    assert {str(result["id"]) for result in results} == set(survivors)  # every try reports the survivor
    await_import(survivors[0])
