"""Translate5Hook builds a correctly configured client from an Airflow connection."""

from __future__ import annotations

import json
import logging

import pytest

from airflow_provider_translate5.hooks.translate5 import Translate5ConnectionConfigError, Translate5Hook

TOKEN = "7:" + "a" * 36


def _set_conn(monkeypatch: pytest.MonkeyPatch, **fields: object) -> None:
    conn = {"conn_type": "translate5", "host": "https://t5.example.org", "password": TOKEN, **fields}
    monkeypatch.setenv("AIRFLOW_CONN_TRANSLATE5_DEFAULT", json.dumps(conn))


def test_client_gets_base_url_token_and_safe_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_conn(monkeypatch)
    client = Translate5Hook().get_conn()
    assert client.base_url == "https://t5.example.org"
    assert Translate5Hook().get_conn() is not client  # one client per hook instance, not global state


def test_extras_as_strings_are_coerced(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_translate5.hooks.translate5 import client_kwargs_from_connection

    _set_conn(
        monkeypatch, extra={"timeout": "42", "verify": "false", "proxies": '{"https": "http://p:3128"}'}
    )
    conn = Translate5Hook.get_connection("translate5_default")
    kwargs = client_kwargs_from_connection(conn, conn.extra_dejson)
    assert kwargs["timeout"] == (10.0, 42.0)
    assert kwargs["verify"] is False
    assert kwargs["proxies"] == {"https": "http://p:3128"}


def test_ca_bundle_is_used_for_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_translate5.hooks.translate5 import client_kwargs_from_connection

    _set_conn(monkeypatch, extra={"ca_bundle": "/etc/ssl/my-ca.pem"})
    conn = Translate5Hook.get_connection("translate5_default")
    assert client_kwargs_from_connection(conn, conn.extra_dejson)["verify"] == "/etc/ssl/my-ca.pem"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"host": "t5.example.org"}, "not a base URL with scheme"),
        ({"host": ""}, "has no host"),
        ({"password": ""}, "app token"),
        ({"extra": {"timeout": "soon"}}, "'timeout' must be a number"),
        ({"extra": {"deadline": "an hour"}}, "'deadline' must be a number of seconds, got 'an hour'"),
        ({"extra": {"deadline": "0"}}, "'deadline' must be a positive number of seconds, got '0'"),
        ({"extra": {"deadline": "nan"}}, "'deadline' must be a positive number of seconds, got 'nan'"),
        ({"extra": {"deadline": "inf"}}, "'deadline' must be a positive number of seconds"),
        ({"extra": {"deadline": True}}, "'deadline' must be a positive number of seconds"),
        ({"extra": {"timeout": "nan"}}, "'timeout' must be a positive number of seconds"),
        ({"extra": {"verify": "maybe"}}, "'verify' must be true or false"),
        ({"extra": {"verify": False, "ca_bundle": "/x.pem"}}, "choose one"),
    ],
)
def test_bad_connection_is_named_before_any_http_call(
    monkeypatch: pytest.MonkeyPatch, fields: dict[str, object], message: str
) -> None:
    _set_conn(monkeypatch, **fields)
    with pytest.raises(Translate5ConnectionConfigError, match=message):
        Translate5Hook().get_conn()


def test_the_deadline_extra_sets_the_overall_deadline_of_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_conn(monkeypatch, extra={"deadline": "90", "timeout": "20"})
    assert Translate5Hook().get_conn()._transport.deadline == 90.0


def test_without_the_deadline_extra_the_deadline_grows_with_the_timeouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deadlines = []
    for read_timeout in ("30", "300"):
        _set_conn(monkeypatch, extra={"timeout": read_timeout, "deadline": ""})
        deadlines.append(Translate5Hook().get_conn()._transport.deadline)
    short, default = deadlines
    assert short < default  # not one fixed hour for every connection
    assert default < 3600  # the default connection: about 51 minutes


def test_the_connection_form_offers_the_deadline() -> None:
    from airflow.providers_manager import ProvidersManager

    widgets = ProvidersManager().connection_form_widgets
    assert "extra__translate5__deadline" in widgets


def test_plain_http_to_a_remote_host_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _set_conn(monkeypatch, host="http://t5.example.org")
    with caplog.at_level(logging.WARNING):
        Translate5Hook().get_conn()
    assert "plain http" in caplog.text
    assert TOKEN not in caplog.text


def test_task_url_uses_translate5_ui_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_conn(monkeypatch, host="https://t5.example.org/")
    hook = Translate5Hook()
    assert hook.task_url(42) == "https://t5.example.org/editor/#project/42/focus"
    assert hook.task_url("42", project_id=42) == "https://t5.example.org/editor/#project/42/focus"
    assert hook.task_url(43, project_id="42") == "https://t5.example.org/editor/#project/42/43/focus"


@pytest.mark.integration
def test_test_connection_succeeds_against_a_translate5_server(translate5_connection: str) -> None:
    ok, message = Translate5Hook(translate5_connection).test_connection()
    assert ok, message
    assert "manager" in message  # the login the simulator's app token belongs to


@pytest.mark.integration
def test_test_connection_reports_which_optional_plugins_the_server_offers(
    translate5_simulator, translate5_connection: str
) -> None:
    ok, message = Translate5Hook(translate5_connection).test_connection()
    assert ok, message
    assert "InstantTranslate: offered" in message
    assert "MatchAnalysis: offered" in message
    assert "language resources: " in message

    translate5_simulator.set(instant_translate=False)  # a server built from translate5's public source
    probes_before = len(translate5_simulator.requests)
    ok, message = Translate5Hook(translate5_connection).test_connection()

    assert ok, message  # the connection works; the plugin is what is missing
    assert "InstantTranslate: not installed (translate5 answers its routes with its 404 page)" in message
    probes = [r.path for r in list(translate5_simulator.requests)[probes_before:]]
    assert probes.count("/editor/instanttranslateapi/filelist") == 1  # asked once, not retried


@pytest.mark.integration
def test_test_connection_sends_no_logout_request(translate5_simulator, translate5_connection: str) -> None:
    # A token session expires on the server by itself; ending it needs the `api` role (403 otherwise).
    ok, _message = Translate5Hook(translate5_connection).test_connection()
    assert ok
    assert translate5_simulator.requests.count("DELETE", prefix="/editor/session/") == 0


@pytest.mark.integration
def test_test_connection_rides_out_maintenance_pages(
    translate5_simulator, translate5_connection: str
) -> None:
    from airflow_provider_translate5.client import RetryPolicy

    translate5_simulator.faults.maintenance(3)
    hook = Translate5Hook(translate5_connection, retry=RetryPolicy(backoff=0.01, jitter=False))
    ok, message = hook.test_connection()
    assert ok, message
    assert translate5_simulator.faults.pending() == []


@pytest.mark.integration
def test_test_connection_reports_a_wrong_token_without_leaking_it(
    translate5_simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "99:" + "Z" * 36
    conn = {"conn_type": "translate5", "host": translate5_simulator.base_url, "password": wrong}
    monkeypatch.setenv("AIRFLOW_CONN_TRANSLATE5_DEFAULT", json.dumps(conn))
    ok, message = Translate5Hook().test_connection()
    assert not ok
    # the server's refusal, then what it means and what to do about it
    assert message.startswith("HTTP 401 on GET /editor/session/current")
    assert "translate5 did not accept the app token: it is invalid, expired or deleted" in message
    assert "auth:apptoken:add" in message
    assert wrong not in message


def test_a_plain_password_is_refused_before_any_http_call(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_conn(monkeypatch, host="https://t5.invalid", password="my-secret-password")
    ok, message = Translate5Hook().test_connection()
    assert not ok
    assert "app token" in message.lower()
    assert "my-secret-password" not in message


@pytest.mark.integration
async def test_triggers_get_the_same_client_without_blocking(translate5_connection: str) -> None:
    import asyncio

    client = await Translate5Hook(translate5_connection).aget_conn()
    state = await asyncio.to_thread(client.whoami)
    assert state["state"] == "authenticated"
