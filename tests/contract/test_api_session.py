"""Sessions and authentication, raw and through the client: what the connection test relies on."""

from __future__ import annotations

from typing import Any

import pytest
from contract_support import T5Http, content_types, describe


def test_session_current_authenticates_by_token_alone(t5_http: T5Http) -> None:
    response = t5_http.get("/editor/session/current")
    assert response.status_code == 200, describe(response)
    assert "application/json" in content_types(response)
    assert response.headers.get("X-Translate5-Version")  # set by translate5 on its REST answers
    body = response.json()
    assert body["state"] == "authenticated"
    user = body["user"]
    assert isinstance(user["roles"], list)
    assert user["userGuid"].startswith("{"), user["userGuid"]
    assert user["login"]


def test_without_accept_json_the_answer_is_xml(t5_url: str, t5_token: str) -> None:
    http = T5Http(t5_url, t5_token, accept_json=False)
    try:
        response = http.get("/editor/session/current")
    finally:
        http.close()
    assert response.status_code == 200, describe(response)
    assert "application/xml" in content_types(response)
    assert response.text.lstrip().startswith("<?xml")
    assert "<state>authenticated</state>" in response.text


def test_wrong_token_is_401_envelope(t5_url: str) -> None:
    http = T5Http(t5_url, "1:thisIsNotAValidTokenAtAll0000000000")
    try:
        response = http.get("/editor/session/current")
    finally:
        http.close()
    assert response.status_code == 401, describe(response)
    assert "text/html" in content_types(response)  # although the body is JSON: parse by body
    body = response.json()
    assert body["success"] is False
    assert body["httpStatus"] == 401
    assert body["errorMessage"]


def test_deleting_the_session_needs_the_api_role(t5_url: str, t5_token: str, pm_user: dict[str, Any]) -> None:
    http = T5Http(t5_url, t5_token)
    try:
        first = http.get("/editor/session/current")
        assert first.status_code == 200, describe(first)
        session_id = first.cookies.get("zfExtended") or http.session.cookies.get("zfExtended")
        if not session_id:
            pytest.skip("the server sent no zfExtended session cookie to the token client")
        response = http.delete(f"/editor/session/{session_id}")
    finally:
        http.close()
    if "api" in pm_user["roles"]:
        assert response.status_code == 200, describe(response)
    else:
        assert response.status_code == 403, describe(response)
        assert "text/html" in content_types(response)
        body = response.json()
        assert body["httpStatus"] == 403
        assert body["success"] is False


def test_client_whoami_reports_the_user_and_the_server_version(
    t5_client: Any, pm_user: dict[str, Any]
) -> None:
    me = t5_client.whoami()
    assert me["state"] == "authenticated"
    assert me["user"]["userGuid"] == pm_user["userGuid"]
    assert t5_client.server_version  # read from X-Translate5-Version


def test_client_explicit_logout_without_api_role_is_reported(
    t5_url: str, t5_token: str, pm_user: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    from airflow_provider_translate5.client import Translate5Client

    if "api" in pm_user["roles"]:
        pytest.skip("the PM token has the api role: its logout succeeds, nothing to report")
    client = Translate5Client(t5_url, t5_token)
    try:
        client.whoami()
        with caplog.at_level("WARNING"):
            client.logout()
    finally:
        client.close()
    assert any("api" in record.getMessage() for record in caplog.records if record.levelname == "WARNING")


def test_client_login_mode_opens_a_session_with_the_token(
    t5_url: str, t5_token: str, pm_user: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """``login=``: one ``POST /editor/session`` with the app token as password, then the session cookie only.

    Ending that session needs the ``api`` role; without it the login session expires on the server by itself.
    """
    from airflow_provider_translate5.client import Translate5Client

    client = Translate5Client(t5_url, t5_token, login=pm_user["login"])
    try:
        client.login()
        me = client.whoami()
        assert me["user"]["userGuid"] == pm_user["userGuid"]
        assert client.list_languages()
    finally:
        with caplog.at_level("WARNING"):
            client.close()
    warned = any("api" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert warned == ("api" not in pm_user["roles"])
