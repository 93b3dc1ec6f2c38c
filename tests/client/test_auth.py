"""Authentication: app token header, cookie reuse, session login, re-authentication, secrets."""

from __future__ import annotations

import logging
import pickle
import re

import pytest

from airflow_provider_translate5 import __version__
from airflow_provider_translate5.client import (
    Translate5AuthError,
    Translate5Client,
    Translate5ServerError,
    Translate5ValueError,
)

from .conftest import BASE, TOKEN

SESSION_ID = "a1b2c3d4e5f6g7h8i9j0k1l2m3"
OTHER_SESSION_ID = "z9y8x7w6v5u4t3s2r1q0p9o8n7"
USER = {"state": "authenticated", "user": {"login": "api", "passwd": "********"}}
INVALID_TOKEN_BODY = {
    "success": False,
    "httpStatus": 401,
    "errorMessage": "<b>Fatal: Authentication Token: The token is not valid</b>",
}
UNAUTHORIZED_BODY = {
    "message": "Unauthorized",
    "errorMessage": "",
    "httpStatus": 401,
    "errorCode": None,
    "success": False,
}


@pytest.mark.parametrize(
    "credential",
    ["secret-password", "12:short", "x:" + "a" * 36, "12:" + "a" * 35 + "!", "", "12:" + "a" * 37],
)
def test_a_credential_not_shaped_like_an_app_token_is_refused_before_any_request(requests_mock, credential):
    with pytest.raises(Translate5AuthError) as caught:
        Translate5Client(BASE, credential)
    message = str(caught.value)
    assert "6.5.2" in message
    assert "auth:apptoken:add" in message
    if credential:
        assert credential not in message
    assert caught.value.status is None
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("t5.example.org", "base_url must be an http(s) URL such as https://translate5.example.org"),
        ("ftp://t5.example.org", "base_url must be an http(s) URL"),
        ("https://user:pw@t5.example.org", "base_url must not contain credentials"),
        ("https://t5.example.org/?token=x", "base_url must not contain credentials, a query or a fragment"),
    ],
)
def test_a_base_url_without_http_scheme_or_with_credentials_is_refused(requests_mock, url, message):
    with pytest.raises(Translate5ValueError, match=re.escape(message)) as caught:
        Translate5Client(url, TOKEN)
    assert "pw" not in str(caught.value)
    assert requests_mock.call_count == 0


def test_every_request_carries_token_accept_and_user_agent(client, answer, sent):
    answer("GET", "/editor/session/current", USER)
    assert client.whoami() == USER
    headers = sent[0].headers
    assert headers["Translate5AuthToken"] == TOKEN
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"] == f"airflow-provider-translate5/{__version__}"


def test_base_url_is_normalised_and_path_prefix_kept(make_client, requests_mock):
    requests_mock.get("https://t5.example.org/t5/editor/session/current", json=USER)
    client = make_client(base_url="https://t5.example.org/t5/")
    assert client.base_url == "https://t5.example.org/t5"
    client.whoami()
    assert requests_mock.last_request.url == "https://t5.example.org/t5/editor/session/current"


def test_the_session_cookie_from_the_first_answer_is_sent_with_the_next_requests(client, answer, sent):
    answer("GET", "/editor/session/current", USER, headers={"Set-Cookie": f"zfExtended={SESSION_ID}; path=/"})
    client.whoami()
    client.whoami()
    assert "Cookie" not in sent[0].headers
    assert sent[1].headers["Cookie"] == f"zfExtended={SESSION_ID}"
    assert sent[1].headers["Translate5AuthToken"] == TOKEN


def test_server_version_is_taken_from_the_header(client, answer):
    answer("GET", "/editor/session/current", USER, headers={"x-translate5-version": "7.35.6"})
    assert client.server_version is None
    client.whoami()
    assert client.server_version == "7.35.6"


def test_401_with_a_cookie_drops_the_cookie_and_retries_once(client, answer, sent, sleeps):
    answer("GET", "/editor/session/current", USER, headers={"Set-Cookie": f"zfExtended={SESSION_ID}; path=/"})
    client.whoami()
    answer(
        "GET",
        "/editor/session/current",
        responses=[{"json": UNAUTHORIZED_BODY, "status_code": 401}, {"json": USER, "status_code": 200}],
    )
    assert client.whoami() == USER
    assert sent[1].headers["Cookie"] == f"zfExtended={SESSION_ID}"
    assert "Cookie" not in sent[2].headers  # the expired session was dropped, the token opens a new one
    assert sleeps == []


def test_401_without_a_cookie_is_an_auth_error_saying_the_token_is_invalid(client, answer, sent):
    answer("GET", "/editor/task/1", INVALID_TOKEN_BODY, status=401)
    with pytest.raises(Translate5AuthError) as caught:
        client.get_task(1)
    error = caught.value
    assert len(sent) == 1
    assert error.status == 401
    assert error.error_message == "Fatal: Authentication Token: The token is not valid"
    assert "invalid, expired" in str(error)
    assert "auth:apptoken:add" in str(error)
    assert "<b>" not in str(error)
    assert TOKEN not in str(error)


def test_a_second_401_after_re_authentication_is_an_auth_error(client, answer, sent):
    answer("GET", "/editor/session/current", USER, headers={"Set-Cookie": f"zfExtended={SESSION_ID}; path=/"})
    client.whoami()
    answer("GET", "/editor/task/1", UNAUTHORIZED_BODY, status=401)
    with pytest.raises(Translate5AuthError):
        client.get_task(1)
    assert len(sent) == 3  # whoami, then the task call with cookie, then once more without


def test_plain_text_invalid_token_answer_is_understood(client, answer):
    answer("GET", "/editor/task/1", text="Authentication Token: The token is not valid!", status=401)
    with pytest.raises(Translate5AuthError, match="The token is not valid!"):
        client.get_task(1)


def client_log(caplog) -> str:
    """What the client itself logged (requests-mock's own debug lines show raw URLs, like urllib3's)."""
    return "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("airflow_provider_translate5")
    )


def login_answer(answer, session_id=SESSION_ID):
    answer(
        "POST",
        "/editor/session",
        {"sessionId": session_id, "sessionToken": "one-time-token-123"},
        headers={"Set-Cookie": f"zfExtended={session_id}; path=/"},
    )


def test_session_mode_logs_in_with_the_token_as_password_then_uses_only_the_cookie(make_client, answer, sent):
    secrets: list[str] = []
    client = make_client(login="api", on_secret=secrets.append)
    login_answer(answer)
    answer("GET", "/editor/session/current", USER)
    client.whoami()
    client.whoami()
    login, first, second = sent
    assert (login.method, login.path) == ("POST", "/editor/session")
    assert login.form == [("data", f'{{"login": "api", "passwd": "{TOKEN}"}}')]
    assert "Translate5AuthToken" not in login.headers
    for request in (first, second):
        assert request.headers["Cookie"] == f"zfExtended={SESSION_ID}"
        assert "Translate5AuthToken" not in request.headers
    assert SESSION_ID in secrets
    assert "one-time-token-123" in secrets


def test_session_mode_logs_in_again_once_when_the_session_expired(make_client, answer, sent):
    client = make_client(login="api")
    answer(
        "POST",
        "/editor/session",
        responses=[
            {
                "json": {"sessionId": SESSION_ID},
                "headers": {"Set-Cookie": f"zfExtended={SESSION_ID}; path=/"},
            },
            {
                "json": {"sessionId": OTHER_SESSION_ID},
                "headers": {"Set-Cookie": f"zfExtended={OTHER_SESSION_ID}; path=/"},
            },
        ],
    )
    answer(
        "GET",
        "/editor/session/current",
        responses=[{"json": USER}, {"json": UNAUTHORIZED_BODY, "status_code": 401}, {"json": USER}],
    )
    client.whoami()
    client.whoami()
    assert [(s.method, s.path) for s in sent] == [
        ("POST", "/editor/session"),
        ("GET", "/editor/session/current"),
        ("GET", "/editor/session/current"),
        ("POST", "/editor/session"),
        ("GET", "/editor/session/current"),
    ]
    assert sent[-1].headers["Cookie"] == f"zfExtended={OTHER_SESSION_ID}"


def test_session_mode_without_set_cookie_uses_the_session_id(make_client, answer, sent):
    client = make_client(login="api")
    answer("POST", "/editor/session", {"sessionId": SESSION_ID})
    answer("GET", "/editor/session/current", USER)
    client.whoami()
    assert sent[1].headers["Cookie"] == f"zfExtended={SESSION_ID}"


def test_session_mode_401_after_a_fresh_login_mentions_csrf_and_app_tokens(make_client, answer):
    client = make_client(login="api")
    login_answer(answer)
    answer("GET", "/editor/task/1", UNAUTHORIZED_BODY, status=401)
    with pytest.raises(Translate5AuthError) as caught:
        client.get_task(1)
    text = str(caught.value)
    assert "CSRF" in text
    assert "app token" in text
    assert SESSION_ID not in text


def test_a_refused_login_is_an_auth_error_without_the_token(make_client, answer):
    client = make_client(login="api")
    answer(
        "POST",
        "/editor/session",
        {"message": "Forbidden", "errorMessage": "No access granted!", "httpStatus": 403, "errorCode": None},
        status=403,
    )
    with pytest.raises(Translate5AuthError) as caught:
        client.login()
    assert caught.value.status == 403
    assert "No access granted!" in str(caught.value)
    assert "'api'" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_logout_deletes_the_session_and_the_error_never_shows_the_session_id(
    make_client, answer, sent, caplog
):
    client = make_client(login="api")
    login_answer(answer)
    client.login()
    answer(
        "DELETE", f"/editor/session/{SESSION_ID}", {"message": "Conflict", "errorMessage": "nope"}, status=500
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(Translate5ServerError) as caught:
        client.logout()
    assert sent[-1].path == f"/editor/session/{SESSION_ID}"
    assert SESSION_ID not in str(caught.value)
    assert "/editor/session/***" in str(caught.value)
    assert SESSION_ID not in client_log(caplog)


def test_close_logs_out_best_effort(make_client, answer, sent):
    client = make_client(login="api")
    login_answer(answer)
    answer("DELETE", f"/editor/session/{SESSION_ID}", None)
    with client:
        client.login()
    assert [(s.method, s.path) for s in sent][-1] == ("DELETE", f"/editor/session/{SESSION_ID}")


def test_close_without_a_session_makes_no_request(client, requests_mock):
    client.close()
    assert requests_mock.call_count == 0


# Transcript 86: what a real translate5 answers a token client's DELETE /editor/session/<id>.
SESSION_DELETE_403 = {
    "message": "Forbidden",
    "errorMessage": "",
    "httpStatus": 403,
    "errorCode": None,
    "success": False,
}


def test_a_token_client_sends_no_logout_on_close_even_with_a_session_cookie(client, answer, sent):
    answer("GET", "/editor/session/current", USER, headers={"Set-Cookie": f"zfExtended={SESSION_ID}; path=/"})
    client.whoami()
    client.close()
    assert [(s.method, s.path) for s in sent] == [("GET", "/editor/session/current")]


def test_an_explicit_logout_refused_for_lack_of_the_api_role_is_a_warning_naming_it(
    client, answer, sent, caplog
):
    answer("GET", "/editor/session/current", USER, headers={"Set-Cookie": f"zfExtended={SESSION_ID}; path=/"})
    answer(
        "DELETE",
        f"/editor/session/{SESSION_ID}",
        SESSION_DELETE_403,
        status=403,
        headers={"Content-type": "text/html; charset=utf-8"},
    )
    client.whoami()
    with caplog.at_level(logging.WARNING, logger="airflow_provider_translate5.client"):
        client.logout()
    assert sent[-1].method == "DELETE"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'api' role" in warnings[0]
    assert SESSION_ID not in warnings[0]
    client.close()
    assert len(sent) == 2  # the session was forgotten: close() does not try again


def test_a_login_mode_client_logs_out_on_close_and_a_403_is_a_warning(make_client, answer, sent, caplog):
    client = make_client(login="api")
    login_answer(answer)
    answer("DELETE", f"/editor/session/{SESSION_ID}", SESSION_DELETE_403, status=403)
    client.login()
    with caplog.at_level(logging.WARNING, logger="airflow_provider_translate5.client"):
        client.close()
    assert (sent[-1].method, sent[-1].path) == ("DELETE", f"/editor/session/{SESSION_ID}")
    assert any("'api' role" in r.getMessage() for r in caplog.records)


def test_the_urllib3_redaction_touches_only_the_providers_own_requests(client, answer):
    logger = logging.getLogger("urllib3.connectionpool")
    answer("GET", "/editor/session/current", USER)
    client.whoami()  # a client exists: the filter is installed
    record = logger.makeRecord(logger.name, logging.DEBUG, __file__, 1, "GET /other?key=%s", (TOKEN,), None)
    for log_filter in logger.filters:
        log_filter.filter(record)  # type: ignore[union-attr]
    assert record.getMessage() == f"GET /other?key={TOKEN}"  # not the provider's request: untouched


def test_importing_the_client_installs_no_log_filter():
    import subprocess
    import sys

    code = (
        "import logging, airflow_provider_translate5.client as c; "
        "print(len(logging.getLogger('urllib3.connectionpool').filters))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_secrets_never_reach_exception_texts_reprs_or_logs(make_client, answer, caplog):
    secrets: list[str] = []
    client = make_client(on_secret=secrets.append)
    echo = f"token {TOKEN} and session {SESSION_ID} echoed"
    answer("GET", "/editor/session/current", USER, headers={"Set-Cookie": f"zfExtended={SESSION_ID}; path=/"})
    answer("GET", "/editor/task/1", {"errorMessage": echo, "errors": {"x": [echo]}}, status=503)
    with caplog.at_level(logging.DEBUG):
        client.whoami()
        with pytest.raises(Translate5ServerError) as caught:
            client.get_task(1)
    error = caught.value
    assert secrets == [TOKEN, SESSION_ID]
    for text in (
        str(error),
        repr(error),
        error.body_excerpt,
        repr(client),
        client_log(caplog),
        str(error.errors),
    ):
        assert TOKEN not in text
        assert SESSION_ID not in text
    assert "retrying (attempt 2/5)" in client_log(caplog)


def test_auth_errors_survive_pickling(client, answer):
    answer("GET", "/editor/task/1", INVALID_TOKEN_BODY, status=401)
    with pytest.raises(Translate5AuthError) as caught:
        client.get_task(1)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert str(copy) == str(caught.value)
    assert copy.status == 401


def test_timeouts_tls_and_proxies_are_passed_on_every_request(
    make_client, answer, requests_mock, tmp_path, monkeypatch
):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # requests would substitute these for verify=True
        monkeypatch.delenv(name, raising=False)
    answer("GET", "/editor/session/current", USER)
    make_client().whoami()
    default = requests_mock.last_request
    assert default.timeout == (10.0, 300.0)
    assert default.verify is True
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----")
    proxies = {"https": "http://proxy.example.org:3128"}
    make_client(timeout=(2.0, 30.0), verify=str(bundle), proxies=proxies).whoami()
    custom = requests_mock.last_request
    assert custom.timeout == (2.0, 30.0)
    assert custom.verify == str(bundle)
    assert custom.proxies["https"] == "http://proxy.example.org:3128"


@pytest.mark.parametrize("timeout", [0, -1, (1, 0), (1, 2, 3), "10"])
def test_nonsense_timeouts_are_refused(timeout):
    message = f"timeout must be positive seconds or (connect, read), got {timeout!r}"
    with pytest.raises(Translate5ValueError, match=re.escape(message)):
        Translate5Client(BASE, TOKEN, timeout=timeout)


@pytest.mark.integration
def test_urllib3s_request_line_of_a_logout_never_shows_the_session_id(caplog):
    """Through a real HTTP stack: urllib3 logs 'DELETE /editor/session/<id>'; the id must not reach a log."""
    from airflow_provider_translate5.testing import Translate5Simulator

    with Translate5Simulator() as sim, Translate5Client(sim.base_url, sim.token) as client:
        with caplog.at_level(logging.DEBUG, logger="urllib3"):
            client.whoami()
            cookie = next(c.value for c in client._transport._session.cookies if c.name == "zfExtended")
            client.logout()
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("DELETE /editor/session/***" in line for line in lines)
    assert not any(cookie in line for line in lines)
