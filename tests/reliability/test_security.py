"""Security: secrets stay secret, TLS is verified, server-supplied names and archives cannot escape, and
bad input or malformed answers fail clearly before (or instead of) doing damage."""

from __future__ import annotations

import datetime
import io
import json
import logging
import runpy
import ssl
import tempfile
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_translate5.client import (
    Translate5APIError,
    Translate5Client,
    Translate5ConnectionError,
    Translate5ResponseError,
    Translate5ValueError,
    UploadFile,
)
from airflow_provider_translate5.hooks.translate5 import Translate5ConnectionConfigError, Translate5Hook
from airflow_provider_translate5.operators import Translate5ExportOperator

from .conftest import FAST_RETRY, CannedServer, context_for

pytestmark = pytest.mark.integration

TOKEN = "42:" + "S3cr3t" * 6


# -- secrets in a whole DAG run -----------------------------------------------------------------------------

SECRETS_DAG = """
import datetime
import pendulum
from airflow.sdk import DAG
from airflow_provider_translate5.operators import *
from airflow_provider_translate5.sensors import *

ID = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"

with DAG(
    "t5_reliability_secrets",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    default_args={"retries": 0, "retry_delay": datetime.timedelta(seconds=0)},
) as dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source=SOURCE, task_name="Secret-free", source_lang="en", target_lang="de",
    )
    imported = Translate5ImportSensor(
        task_id="imported", translate5_task_id=ID, poke_interval=0.05, deferrable=True,
    )
    rename = Translate5RenameTaskOperator(  # a password-style session (login + app token), cookie only
        task_id="rename", translate5_task_id=ID, task_name="Renamed", translate5_conn_id="translate5_login",
    )
    ended = Translate5WorkflowEndedSensor(
        task_id="ended", translate5_task_id=ID, poke_interval=0.05, accept_end_state=True,
    )
    end = Translate5EndTaskOperator(task_id="end", translate5_task_id=ID)
    export = Translate5ExportOperator(
        task_id="export", translate5_task_id=ID, destination=OUT, format="filetranslation",
        translate5_conn_id="translate5_login",
    )
    missing = Translate5ExportOperator(  # fails: its error text must not carry secrets either
        task_id="missing", translate5_task_id=999, destination=OUT,
    )
    upload >> imported >> rename >> end >> ended >> export >> missing
"""


def all_xcoms(dag_id: str, run_id: str) -> str:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(
            select(XComModel).where(XComModel.dag_id == dag_id, XComModel.run_id == run_id)
        ).all()
        return "\n".join(f"{r.task_id} {r.key} {json.dumps(r.value)}" for r in rows)


def rendered_fields(dag_id: str, run_id: str) -> str:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(select(RTIF).where(RTIF.dag_id == dag_id, RTIF.run_id == run_id)).all()
        return "\n".join(f"{r.task_id} {json.dumps(r.rendered_fields)}" for r in rows)


def test_secrets_never_leak_from_a_dag_run(
    sim: Any,
    airflow_db: Path,
    tmp_path: Path,
    page: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    import airflow.settings as settings

    issued: list[str] = []
    new_session = sim.store.new_session

    def record(*args: Any, **kwargs: Any) -> Any:
        session = new_session(*args, **kwargs)
        issued.extend([session.id, session.session_token])
        return session

    monkeypatch.setattr(sim.store, "new_session", record)
    login = json.loads(sim.airflow_connection_json()) | {"login": "manager"}
    monkeypatch.setenv("AIRFLOW_CONN_TRANSLATE5_LOGIN", json.dumps(login))
    dags = tmp_path / "dags"
    dags.mkdir()
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(dags))
    dag_file = dags / "t5_reliability_secrets.py"
    header = f"SOURCE = {str(page)!r}\nOUT = {str(tmp_path / 'out')!r}\n"
    dag_file.write_text(header + textwrap.dedent(SECRETS_DAG))
    dag = runpy.run_path(str(dag_file), run_name="t5_reliability_secrets")["dag"]
    caplog.set_level(logging.DEBUG)
    logs_before = set((airflow_db / "logs").rglob("*")) if (airflow_db / "logs").exists() else set()

    run = dag.test()

    captured = capfd.readouterr()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    ok = ["upload", "imported", "rename", "end", "ended", "export"]
    assert states == dict.fromkeys(ok, "success") | {"missing": "failed"}, captured.err[-3000:]
    assert sim.requests.count("POST", "/editor/session") >= 1  # the login connection really logged in
    assert len(issued) >= 4  # token sessions and the login session: ids and CSRF session tokens
    new_logs = (
        set((airflow_db / "logs").rglob("*")) - logs_before if (airflow_db / "logs").exists() else set()
    )
    places = {
        "stdout/stderr": captured.out + captured.err,
        "log records": caplog.text,
        "task log files": "".join(p.read_text(errors="replace") for p in new_logs if p.is_file()),
        "XCom": all_xcoms(dag.dag_id, run.run_id),
        "rendered templates": rendered_fields(dag.dag_id, run.run_id),
    }
    assert "HTTP 404 on GET /editor/task/999" in places["stdout/stderr"]  # the error text is there ...
    assert "translate5_task_url" in places["XCom"]
    assert '"task_name": "Renamed"' in places["rendered templates"]
    for secret in [sim.token, sim.token.split(":", 1)[1], *issued]:
        for place, text in places.items():
            assert secret not in text, f"a secret appears in {place}"  # ... but no secret anywhere


DEBUG_DAG = """
import pendulum
from airflow.sdk import DAG
from airflow_provider_translate5.operators import Translate5WriteTmOperator
with DAG("t5_debug", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    Translate5WriteTmOperator(
        task_id="tm", source_lang="en", target_lang="de", source_text="Hello", target_text="Hallo"
    )
"""
DEBUG_RUN = """
import os, runpy, sys
import airflow.settings as settings
settings.DAGS_FOLDER = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
runpy.run_path(sys.argv[1])["dag"].test()
"""


def test_dag_test_at_debug_prints_no_session_id(
    sim: Any, airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `airflow dags test` runs the supervisor in-process and, at DEBUG, prints every message the task sends
    # it, MaskSecret messages included. The hook masks the session ids it learns in-process only.
    import os
    import subprocess
    import sys

    issued: list[str] = []
    new_session = sim.store.new_session

    def record(*args: Any, **kwargs: Any) -> Any:
        session = new_session(*args, **kwargs)
        issued.extend([session.id, session.session_token])
        return session

    monkeypatch.setattr(sim.store, "new_session", record)
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "t5_debug.py").write_text(DEBUG_DAG, encoding="utf-8")
    env = dict(os.environ) | {  # the session's migrated AIRFLOW_HOME (airflow_db)
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "DEBUG",
        "AIRFLOW_CONN_TRANSLATE5_DEFAULT": sim.airflow_connection_json(),
    }
    command = [sys.executable, "-c", DEBUG_RUN, str(dags / "t5_debug.py")]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    output = run.stdout + run.stderr

    assert sim.requests.count("POST", "/editor/instanttranslateapi/writetm") == 1, output[-3000:]
    assert "Sending request" in output  # DEBUG really was on
    assert issued  # the server issued a session the client used
    assert [secret for secret in issued if secret in output] == []
    # What remains is Airflow's own doing: it masks the connection password when it loads the connection,
    # and prints that MaskSecret message once (docs/reliability.md says how to avoid it).
    token_lines = [line for line in output.splitlines() if sim.token in line]
    assert len(token_lines) <= 1
    assert all("MaskSecret(value=" in line for line in token_lines)


def test_secrets_are_redacted_from_exception_texts(canned: CannedServer) -> None:
    # A misbehaving server (or proxy) that echoes what it got: the token, the session id in a cookie.
    session_id = "q1w2e3r4t5y6u7i8o9p0a1s2d3"
    canned.json(
        "/editor/session",
        json.dumps({"sessionId": session_id, "sessionToken": "f" * 32}),
        method="POST",
        **{"Set-Cookie": f"zfExtended={session_id}; path=/"},
    )
    canned.json(
        "/editor/task/5",
        json.dumps({"success": False, "errorMessage": f"bad token {TOKEN} for session {session_id}"}),
        status=422,
    )
    client = Translate5Client(canned.url, TOKEN, login="manager", retry=FAST_RETRY)

    with pytest.raises(Translate5APIError) as caught:
        client.get_task(5)

    error = caught.value
    texts = [str(error), repr(error), error.error_message, error.body_excerpt, error.url]
    assert "bad token *** for session ***" in str(error)
    for text in texts:
        assert TOKEN not in text
        assert session_id not in text


# -- TLS ------------------------------------------------------------------------------------------------


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "translate5.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[CannedServer, Path]]:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = CannedServer(tls=context)
    server.json("/editor/session/current", '{"state": "authenticated", "user": {"login": "manager"}}')
    yield server, cert
    server.stop()


def test_tls_is_verified_by_default_and_a_ca_bundle_is_honoured(
    https_server: tuple[CannedServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = https_server
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)

    with pytest.raises(Translate5ConnectionError) as caught:
        Translate5Client(server.url, TOKEN, retry=FAST_RETRY).whoami()
    assert "TLS error (check the certificate or the CA bundle)" in str(caught.value)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert server.seen == []  # refused in the handshake: nothing (no token) was sent
    assert Translate5Client(server.url, TOKEN, verify=str(cert)).whoami()["state"] == "authenticated"

    conn = {"conn_type": "translate5", "host": server.url, "password": TOKEN}
    monkeypatch.setenv("AIRFLOW_CONN_T5_TLS", json.dumps(conn))
    ok, message = Translate5Hook("t5_tls", retry=FAST_RETRY).test_connection()
    assert not ok
    assert "TLS error" in message
    monkeypatch.setenv("AIRFLOW_CONN_T5_TLS", json.dumps(conn | {"extra": {"ca_bundle": str(cert)}}))
    ok, message = Translate5Hook("t5_tls").test_connection()
    assert ok, message


# -- names and archives from the server ---------------------------------------------------------------------


def task_row(task_id: int = 5) -> bytes:
    row = {"id": task_id, "taskGuid": "{g}", "taskName": "Task", "state": "open", "projectId": task_id}
    return json.dumps({"success": True, "rows": row}).encode()


def serve_export(canned: CannedServer, body: bytes, disposition: str, task_id: int = 5) -> None:
    canned.routes[("GET", f"/editor/task/{task_id}")] = (
        200,
        {"Content-Type": "application/json"},
        task_row(),
    )
    canned.routes[("GET", f"/editor/task/export/id/{task_id}")] = (
        200,
        {"Content-Type": "application/zip", "Content-Disposition": disposition},
        body,
    )


def everything_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def canned_connection(canned: CannedServer, monkeypatch: pytest.MonkeyPatch) -> CannedServer:
    conn = {"conn_type": "translate5", "host": canned.url, "password": TOKEN}
    monkeypatch.setenv("AIRFLOW_CONN_TRANSLATE5_DEFAULT", json.dumps(conn))
    return canned


@pytest.mark.parametrize(
    "disposition",
    [
        'attachment; filename="../../escape.html"',
        "attachment; filename*=UTF-8''..%2F..%2Fescape.html",
        'attachment; filename="/etc/escape.html"',
        'attachment; filename="..\\\\..\\\\escape.html"',
        'attachment; filename=".."',
    ],
)
def test_content_disposition_names_cannot_escape(
    canned_connection: CannedServer, tmp_path: Path, disposition: str
) -> None:
    serve_export(canned_connection, b"<p>translated</p>", disposition)
    out = tmp_path / "a" / "b" / "out"
    out.mkdir(parents=True)
    client = Translate5Client(canned_connection.url, TOKEN, retry=FAST_RETRY)

    written = client.export_task(5, out, format="filetranslation")  # the default export must be a ZIP
    uris = Translate5ExportOperator(
        task_id="e", translate5_task_id=5, destination=str(out), format="filetranslation"
    ).execute(context_for())

    assert written.parent == out
    assert written.read_bytes() == b"<p>translated</p>"
    assert all(Path(uri.removeprefix("file://")).parent == out for uri in uris)
    assert everything_under(tmp_path) == [
        "a",
        "a/b",
        "a/b/out",
        *[f"a/b/out/{p.name}" for p in out.iterdir()],
    ]
    assert ".." not in written.name
    assert "/" not in written.name


def zip_with(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def symlink(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o120777 << 16) | 0x20
    info.create_system = 3
    return info


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ("../escape.txt", "points outside the archive folder"),
        ("ok/../../escape.txt", "points outside the archive folder"),
        ("/tmp/escape.txt", "absolute path"),
        ("C:/escape.txt", "absolute path"),
        ("..\\escape.txt", "points outside the archive folder"),
        (symlink("link", "/etc/passwd"), "symbolic link"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "drive", "backslash", "symlink"],
)
def test_unsafe_zip_members_are_refused_before_anything_is_written(
    canned_connection: CannedServer, tmp_path: Path, member: Any, reason: str
) -> None:
    body = zip_with([("first.html", b"<p>fine</p>"), (member, b"/etc/passwd")])
    serve_export(canned_connection, body, 'attachment; filename="export.zip"')
    out = tmp_path / "out"
    operator = Translate5ExportOperator(task_id="e", translate5_task_id=5, destination=str(out), unzip=True)

    with pytest.raises(AirflowFailException, match=reason):
        operator.execute(context_for())

    assert everything_under(tmp_path) == []  # not even the harmless first member, nor the folder it made


def empty_name() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("x")
    info.filename = ""  # zipfile refuses to write this; a crafted archive can still hold it
    return info


def raw_zip(members: list[zipfile.ZipInfo | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in members:
            with archive.open(member, "w") as out:
                out.write(b"x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "members",
    [["a", "a/b"], ["a/b", "a"], ["ok.html", empty_name()]],
    ids=["file-then-folder", "folder-then-file", "empty-name"],
)
def test_zip_with_clashing_or_empty_member_names_is_refused_cleanly(
    canned_connection: CannedServer, tmp_path: Path, members: list[Any]
) -> None:
    serve_export(canned_connection, raw_zip(members), 'attachment; filename="e.zip"')
    out = tmp_path / "out"
    operator = Translate5ExportOperator(task_id="e", translate5_task_id=5, destination=str(out), unzip=True)

    with pytest.raises(AirflowFailException, match="Refusing to extract the export"):
        operator.execute(context_for())
    assert everything_under(tmp_path) == []  # the destination is as it was: it did not exist


def test_zip_bomb_is_refused_leaving_nothing_behind(
    canned_connection: CannedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the operator spools the archive
    body = zip_with([("a.html", b"<p>ok</p>"), ("bomb.html", b"\0" * (24 * 1024 * 1024))])
    assert len(body) < 64 * 1024  # a tiny download ...
    serve_export(canned_connection, body, 'attachment; filename="export.zip"')
    out = tmp_path / "out"

    with pytest.raises(AirflowFailException, match="possible ZIP bomb"):  # ... that expands 1000 times
        Translate5ExportOperator(task_id="e", translate5_task_id=5, destination=str(out), unzip=True).execute(
            context_for()
        )
    total_limited = Translate5ExportOperator(
        task_id="e",
        translate5_task_id=5,
        destination=str(out),
        unzip=True,
        max_unzipped_size=1024 * 1024,
        max_compression_ratio=1e9,
    )
    with pytest.raises(AirflowFailException, match="expands to more than 1048576 bytes"):
        total_limited.execute(context_for())

    assert everything_under(out) == []
    assert list(scratch.iterdir()) == []  # the spooled archive is gone too


# -- configuration and input mistakes -----------------------------------------------------------------------


def test_connection_host_without_scheme_is_refused_and_plain_http_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_T5_NOSCHEME", json.dumps({"host": "t5.example.org", "password": TOKEN}))
    with pytest.raises(Translate5ConnectionConfigError) as caught:
        Translate5Hook("t5_noscheme").get_conn()
    assert "is not a base URL with scheme; use e.g. https://t5.example.org" in str(caught.value)
    assert TOKEN not in str(caught.value)

    monkeypatch.setenv(
        "AIRFLOW_CONN_T5_PLAIN", json.dumps({"host": "http://t5.example.org", "password": TOKEN})
    )
    with caplog.at_level(logging.WARNING):
        client = Translate5Hook("t5_plain").get_conn()
    assert client.base_url == "http://t5.example.org"
    assert "uses plain http: the app token travels unencrypted" in caplog.text
    assert TOKEN not in caplog.text

    caplog.clear()
    monkeypatch.setenv(
        "AIRFLOW_CONN_T5_LOCAL", json.dumps({"host": "http://127.0.0.1:8085", "password": TOKEN})
    )
    with caplog.at_level(logging.WARNING):
        Translate5Hook("t5_local").get_conn()
    assert "plain http" not in caplog.text  # a local simulator is not worth a warning


def empty_file(folder: Path) -> Path:
    path = folder / "empty.html"
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (lambda tmp: tmp / "missing.html", "does not exist or is not a regular file"),
        (
            empty_file,
            "is empty",
        ),
        (lambda tmp: UploadFile("zero.html", io.BytesIO(b"")), "is empty"),
        (lambda tmp: tmp, "does not exist or is not a regular file"),
    ],
    ids=["missing-file", "empty-file", "zero-byte-stream", "a-directory"],
)
def test_empty_or_missing_inputs_fail_before_any_request(
    sim: Any, client: Translate5Client, tmp_path: Path, source: Callable[[Path], Any], message: str
) -> None:
    with pytest.raises(Translate5ValueError, match=message):
        client.create_task(source(tmp_path), task_name="Nothing", source_lang="en", target_lang="de")
    assert len(sim.requests) == 0


def test_unknown_language_fails_before_the_upload(sim: Any, client: Translate5Client, page: Path) -> None:
    with pytest.raises(Translate5ValueError) as caught:
        client.create_task(page, task_name="Klingon", source_lang="en", target_lang=["de", "tlh-XX"])
    assert "tlh-XX" in str(caught.value)
    assert sim.requests.count("POST", "/editor/task") == 0
    with pytest.raises(Translate5ValueError):
        client.create_task(page, task_name="Nonsense", source_lang="not a language!", target_lang="de")
    assert [r.path for r in sim.requests] == ["/editor/language"]  # looked up once, nothing uploaded


def test_oversized_upload_refused_by_the_server_is_a_clear_error(canned: CannedServer, page: Path) -> None:
    languages = {"rows": [{"id": 4, "rfc5646": "de"}, {"id": 5, "rfc5646": "en"}], "total": 2}
    canned.json("/editor/language", json.dumps(languages))
    html = b"<html><head><title>413 Request Entity Too Large</title></head><body>Too Large</body></html>"
    canned.routes[("POST", "/editor/task")] = (413, {"Content-Type": "text/html"}, html)
    client = Translate5Client(canned.url, TOKEN, retry=FAST_RETRY)

    with pytest.raises(Translate5APIError) as caught:
        client.create_task(page, task_name="Huge", source_lang="en", target_lang="de")

    assert caught.value.status == 413
    assert str(caught.value).startswith("HTTP 413 on POST /editor/task")
    assert "<html" not in str(caught.value)
    assert canned.seen.count(("POST", "/editor/task")) == 1  # a refused upload is not resent blindly


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ('{"success": true, "rows": {"id": 5}}<br />', "application/json", "not JSON"),
        ('{"success": true, "data": {"id": 5}}', "application/json", "expected 'rows' in the answer"),
        ('{"success": true, "rows": [1, 2]}', "application/json", "'rows' is a list, not an object"),
        ("<html><body>Welcome to nginx!</body></html>", "text/html", "not JSON"),
        ("", "application/json", "expected 'rows' in the answer"),
    ],
    ids=["json-then-junk", "wrong-envelope", "rows-not-object", "html-200", "empty-200"],
)
def test_malformed_answers_give_clear_errors(
    canned: CannedServer, body: str, content_type: str, message: str
) -> None:
    canned.routes[("GET", "/editor/task/5")] = (200, {"Content-Type": content_type}, body.encode())
    client = Translate5Client(canned.url, TOKEN, retry=FAST_RETRY)

    with pytest.raises(Translate5ResponseError) as caught:
        client.get_task(5)

    assert message in str(caught.value)
    assert "GET /editor/task/5" in str(caught.value)
    assert len(str(caught.value)) < 600
    assert "\n" not in str(caught.value)
