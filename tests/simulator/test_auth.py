"""Authentication and sessions (docs/compatibility.md#sessions)."""

from __future__ import annotations

import json
import re

import requests

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import url

UNAUTHORIZED = {
    "message": "Unauthorized",
    "errorMessage": "",
    "httpStatus": 401,
    "errorCode": None,
    "success": False,
}
SESSION_ID = re.compile(r"^[a-zA-Z0-9]{26}$")


def test_token_shape_and_version_header(sim: Translate5Simulator, api: requests.Session) -> None:
    assert re.fullmatch(r"\d+:[A-Za-z0-9]{36}", sim.token)
    response = api.get(url(sim, "/editor/session/current"))
    assert response.status_code == 200
    assert response.headers["x-translate5-version"]
    body = response.json()
    assert body["state"] == "authenticated"
    assert body["user"]["login"] == "manager"
    assert body["user"]["passwd"] == "********"
    assert "success" not in body  # success bodies carry no envelope flags


def test_missing_auth_is_401_with_blank_message(sim: Translate5Simulator) -> None:
    response = requests.get(url(sim, "/editor/task"), headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_session_status_without_auth_is_404(sim: Translate5Simulator) -> None:
    response = requests.get(url(sim, "/editor/session/whatever"), headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json() == {"state": "not authenticated", "user": None}


def test_invalid_token_json_or_text_even_with_valid_cookie(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    api.get(url(sim, "/editor/language"))
    cookie = api.cookies["zfExtended"]
    bad = {"Translate5AuthToken": "1:" + "x" * 36, "Cookie": f"zfExtended={cookie}"}
    as_json = requests.get(url(sim, "/editor/task"), headers={**bad, "Accept": "application/json"})
    assert as_json.status_code == 401
    assert as_json.json() == {
        "success": False,
        "httpStatus": 401,
        "errorMessage": "<b>Fatal: Authentication Token: The token is not valid</b>",
    }
    as_text = requests.get(url(sim, "/editor/task"), headers={**bad, "Accept": "text/html"})
    assert as_text.status_code == 401
    assert as_text.text == "Authentication Token: The token is not valid!"


def test_token_without_cookie_opens_a_new_session_each_time(sim: Translate5Simulator) -> None:
    headers = {"Accept": "application/json", "translate5authtoken": sim.token}  # header name case-insensitive
    first = requests.get(url(sim, "/editor/language"), headers=headers)
    second = requests.get(url(sim, "/editor/language"), headers=headers)
    ids = [r.cookies["zfExtended"] for r in (first, second)]
    assert all(SESSION_ID.match(i) for i in ids)
    assert ids[0] != ids[1]
    reused = requests.get(url(sim, "/editor/language"), headers={**headers, "Cookie": f"zfExtended={ids[0]}"})
    assert reused.status_code == 200
    assert reused.cookies["zfExtended"] == ids[0]  # every answer sets the cookie, here the same session
    assert "Max-Age=864000; path=/; SameSite=Lax" in reused.headers["Set-Cookie"]


def test_cookie_alone_is_enough_after_token_request(sim: Translate5Simulator, api: requests.Session) -> None:
    api.get(url(sim, "/editor/language"))
    cookie = api.cookies["zfExtended"]
    response = requests.get(
        url(sim, "/editor/task"), headers={"Accept": "application/json", "Cookie": f"zfExtended={cookie}"}
    )
    assert response.status_code == 200
    assert response.json() == {"total": "0", "rows": []}


def test_token_as_post_field(sim: Translate5Simulator) -> None:
    response = requests.post(
        url(sim, "/editor/instanttranslateapi/translate"),
        data={"Translate5AuthToken": sim.token, "text": "Hi", "source": "en", "target": "de"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200


def test_login_with_token_as_password_variants(sim: Translate5Simulator) -> None:
    accept = {"Accept": "application/json"}
    credentials = {"login": "manager", "passwd": sim.token}
    attempts = [
        requests.post(url(sim, "/editor/session"), data=credentials, headers=accept),
        requests.post(url(sim, "/editor/session"), data={"data": json.dumps(credentials)}, headers=accept),
        requests.post(
            url(sim, "/editor/session"),
            data=json.dumps(credentials),
            headers={**accept, "Content-Type": "application/json"},
        ),
    ]
    for response in attempts:
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"sessionId", "sessionToken"}
        assert SESSION_ID.match(body["sessionId"])
        assert response.cookies["zfExtended"] == body["sessionId"]
    cookie = attempts[0].json()["sessionId"]
    tasks = requests.get(url(sim, "/editor/task"), headers={**accept, "Cookie": f"zfExtended={cookie}"})
    assert tasks.status_code == 200  # token sessions are CSRF-exempt


def test_raw_json_needs_the_exact_content_type(sim: Translate5Simulator) -> None:
    response = requests.post(
        url(sim, "/editor/session"),
        data=json.dumps({"login": "manager", "passwd": sim.token}),
        headers={"Accept": "application/json", "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 422  # the body was ignored, so both fields are missing


def test_login_validation_and_wrong_credentials(sim: Translate5Simulator) -> None:
    accept = {"Accept": "application/json"}
    missing = requests.post(url(sim, "/editor/session"), data={}, headers=accept)
    assert missing.status_code == 422
    body = missing.json()
    assert [e["id"] for e in body["errors"]] == ["login", "passwd"]
    assert body["errorMessage"] == "input validation failure"
    assert body["message"] == "NOT OK"
    assert body["success"] is False
    assert body["errorsTranslated"] == body["errors"]
    wrong = requests.post(
        url(sim, "/editor/session"), data={"login": "manager", "passwd": "nope"}, headers=accept
    )
    assert wrong.status_code == 403
    assert wrong.json()["httpStatus"] == 403
    other_user = requests.post(
        url(sim, "/editor/session"), data={"login": "translator1", "passwd": sim.token}, headers=accept
    )
    assert other_user.status_code == 403  # the token belongs to "manager"


def test_password_session_is_csrf_blocked_except_whitelist(sim: Translate5Simulator) -> None:
    accept = {"Accept": "application/json"}
    login = requests.post(
        url(sim, "/editor/session"), data={"login": "manager", "passwd": "asdfasdf"}, headers=accept
    )
    assert login.status_code == 200
    cookie = {**accept, "Cookie": f"zfExtended={login.json()['sessionId']}"}
    assert requests.get(url(sim, "/editor/session/current"), headers=cookie).status_code == 200
    blocked = requests.get(url(sim, "/editor/task"), headers=cookie)
    assert blocked.status_code == 401
    assert blocked.json() == UNAUTHORIZED
    export = requests.get(url(sim, "/editor/task/export/id/999"), headers=cookie)
    assert export.status_code == 404  # reached the (CSRF-exempt) export action


def test_logout_needs_the_api_role(sim: Translate5Simulator, api: requests.Session) -> None:
    """Section 86: the recorded manager lacks the ``api`` role: 403, envelope printed as text/html."""
    api.get(url(sim, "/editor/session/current"))
    session_id = api.cookies["zfExtended"]
    refused = api.delete(url(sim, f"/editor/session/{session_id}"))
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "text/html; charset=utf-8"
    assert refused.headers["X-Translate5-Version"] == "development"
    assert refused.json() == {
        "message": "Forbidden",
        "errorMessage": "",
        "httpStatus": 403,
        "errorCode": None,
        "success": False,
    }
    assert api.get(url(sim, "/editor/task")).status_code == 200  # nothing was ended


def test_logout_deletes_the_session_with_the_api_role(sim: Translate5Simulator) -> None:
    sim.set(api_role=True)
    accept = {"Accept": "application/json"}
    session_id = requests.post(
        url(sim, "/editor/session"), data={"login": "manager", "passwd": sim.token}, headers=accept
    ).json()["sessionId"]
    cookie = {**accept, "Cookie": f"zfExtended={session_id}"}
    roles = requests.get(url(sim, "/editor/session/current"), headers=cookie).json()["user"]["roles"]
    assert "api" in roles
    deleted = requests.delete(url(sim, f"/editor/session/{session_id}"), headers=cookie)
    assert deleted.status_code == 200
    assert deleted.content == b""
    assert requests.get(url(sim, "/editor/task"), headers=cookie).status_code == 401


def test_sid_parameter_selects_the_session(sim: Translate5Simulator) -> None:
    accept = {"Accept": "application/json"}
    session_id = requests.post(
        url(sim, "/editor/session"), data={"login": "manager", "passwd": sim.token}, headers=accept
    ).json()["sessionId"]
    assert (
        requests.get(url(sim, "/editor/task"), params={"sid": session_id}, headers=accept).status_code == 200
    )


def test_invalid_json_payload_is_400_e1560(sim: Translate5Simulator, api: requests.Session) -> None:
    response = api.post(url(sim, "/editor/session"), data={"data": "{not json"})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "E1560"


def test_unknown_route_is_404(sim: Translate5Simulator, api: requests.Session) -> None:
    response = api.get(url(sim, "/editor/nothing-here"))
    assert response.status_code == 404
    assert response.json()["success"] is False
