"""Every error body shape and status translate5 produces becomes one readable, typed exception."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_translate5.client import (
    Classification,
    RetryPolicy,
    Translate5APIError,
    Translate5AuthError,
    Translate5BadRequestError,
    Translate5Client,
    Translate5ConflictError,
    Translate5ConnectionError,
    Translate5Error,
    Translate5LimitError,
    Translate5LockedError,
    Translate5MaintenanceError,
    Translate5NotFoundError,
    Translate5PageError,
    Translate5PermissionError,
    Translate5PluginMissingError,
    Translate5QueuedExportGoneError,
    Translate5RateLimitError,
    Translate5ResponseError,
    Translate5ServerError,
    Translate5TimeoutError,
    Translate5TransferError,
    Translate5ValidationError,
    Translate5ValueError,
)
from airflow_provider_translate5.client.errors import Translate5DataError, field_errors, parse_error_payload

from .conftest import TOKEN


def rest_error(status: int, message: str, code: str | None = None, **extra):
    return {
        "message": "Reason",
        "errorMessage": message,
        "httpStatus": status,
        "errorCode": code,
        "success": False,
        **extra,
    }


@pytest.fixture
def no_retry_client(make_client):
    return make_client(retry=RetryPolicy(max_attempts=1))


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, Translate5BadRequestError),
        (401, Translate5AuthError),
        (403, Translate5PermissionError),
        (404, Translate5NotFoundError),
        (405, Translate5APIError),
        (409, Translate5ConflictError),
        (422, Translate5ValidationError),
        (423, Translate5LockedError),
        (429, Translate5RateLimitError),
        (500, Translate5ServerError),
        (502, Translate5ServerError),
        (503, Translate5ServerError),
    ],
)
def test_each_status_has_its_exception_class(no_retry_client, answer, status, cls):
    answer("GET", "/editor/task/5", rest_error(status, "went wrong", "E1234"), status=status)
    with pytest.raises(cls) as caught:
        no_retry_client.get_task(5)
    error = caught.value
    assert type(error) is cls
    assert (error.status, error.error_code, error.error_message) == (status, "E1234", "went wrong")
    assert error.method == "GET"
    assert error.url == "https://t5.example.org/editor/task/5"
    assert str(error).startswith(f"HTTP {status} E1234 on GET /editor/task/5: went wrong")


def test_rest_error_with_per_field_errors_lists_them_in_one_line(no_retry_client, answer):
    body = rest_error(
        422,
        "Die Datei konnte nicht importiert werden.",
        "E1026",
        errorsTranslated={
            "importUpload": ["The file-type 'exe' is not supported", "second"],
            "foreignId": "too long",
        },
    )
    answer("POST", "/editor/task/5/excelreimport", body, status=422)
    with pytest.raises(Translate5ValidationError) as caught:
        no_retry_client.excel_reimport(5, ("a.xlsx", __import__("io").BytesIO(b"x")))
    error = caught.value
    assert error.errors == {
        "importUpload": ["The file-type 'exe' is not supported", "second"],
        "foreignId": ["too long"],
    }
    assert str(error) == (
        "HTTP 422 E1026 on POST /editor/task/5/excelreimport: Die Datei konnte nicht importiert werden. "
        "(importUpload: The file-type 'exe' is not supported; importUpload: second; foreignId: too long)"
    )
    assert "\n" not in str(error)


def test_inline_validation_failure_shape(no_retry_client, answer):
    body = {
        "errors": [{"id": "login", "msg": "No user name given."}],
        "errorsTranslated": [{"id": "login", "msg": "Kein Benutzername angegeben."}],
        "errorMessage": "input validation failure",
        "message": "NOT OK",
        "success": False,
    }
    answer("POST", "/editor/task/5/workflow", body, status=422)
    with pytest.raises(Translate5ValidationError) as caught:
        no_retry_client.trigger_workflow(5, "nope")
    assert caught.value.errors == {"login": ["Kein Benutzername angegeben."]}
    assert caught.value.error_message == "input validation failure"
    assert "login: Kein Benutzername angegeben." in str(caught.value)


def test_unauthorized_shape_with_blank_message_falls_back_to_the_reason(no_retry_client, answer):
    body = {
        "message": "Unauthorized",
        "errorMessage": "",
        "httpStatus": 401,
        "errorCode": None,
        "success": False,
    }
    answer("GET", "/editor/task/5", body, status=401)
    with pytest.raises(Translate5AuthError) as caught:
        no_retry_client.get_task(5)
    assert caught.value.error_message == "Unauthorized"
    assert caught.value.error_code is None


def test_php_fatal_error_shape(no_retry_client, answer):
    body = {
        "errors": {
            "message": "Call to a member function x() on null",
            "file": "/var/www/t5/x.php",
            "line": 12,
        }
    }
    answer("GET", "/editor/task/5", body, status=500)
    with pytest.raises(Translate5ServerError) as caught:
        no_retry_client.get_task(5)
    assert caught.value.error_message == "Call to a member function x() on null"
    assert caught.value.errors["line"] == ["12"]


def test_html_maintenance_page_on_503(make_client, answer, sleeps):
    client = make_client(retry=RetryPolicy(max_attempts=2, jitter=False, sleep=sleeps.append))
    page = "<html><body><h1>Maintenance</h1><p>Back at 10:00</p></body></html>"
    headers = {
        "Content-Type": "text/html",
        "x-translate5-maintenance-message": "Update to 7.36, back at 10:00",
    }
    answer("GET", "/editor/task/5", text=page, status=503, headers=headers)
    with pytest.raises(Translate5MaintenanceError) as caught:
        client.get_task(5)
    assert "maintenance: Update to 7.36, back at 10:00" in str(caught.value)
    assert "Maintenance Back at 10:00" in caught.value.body_excerpt
    assert caught.value.retryable
    assert sleeps == [0.5]


def test_the_maintenance_page_stays_an_outage_that_a_wait_rides_out(no_retry_client, answer):
    # translate5's own maintenance answer is a 503 (ZfExtended_Models_MaintenanceException), never a 200 page.
    page = "<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>"
    headers = {"Content-Type": "text/html", "x-translate5-maintenance-message": "back at 10:00"}
    answer("GET", "/editor/task/5", text=page, status=503, headers=headers)
    with pytest.raises(Translate5MaintenanceError) as caught:
        no_retry_client.get_task(5)
    assert (caught.value.outage, caught.value.terminal) == (True, False)


LOGIN_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Sign in - Example SSO</title></head>"
    "<body><form action='/sso/login'><input name='user'></form></body></html>"
)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (LOGIN_PAGE, "text/html; charset=utf-8"),
        (LOGIN_PAGE, "application/json"),  # a proxy that labels its page as the API's type
        ("\ufeff  <html><body>Welcome to nginx!</body></html>", None),
        ("<h1>Please log in</h1>", "text/html"),
        ('<?xml version="1.0"?>\n<response><rows/></response>', "application/xml"),  # Accept dropped
    ],
    ids=["sso-login", "labelled-json", "bom-no-type", "fragment", "xml"],
)
def test_a_web_page_on_http_200_is_a_configuration_error_failing_fast(
    make_client, answer, sent, sleeps, body, content_type
):
    answer("GET", "/editor/task/5", text=body, headers={"Content-Type": content_type} if content_type else {})
    with pytest.raises(Translate5PageError) as caught:
        make_client().get_task(5)
    assert (caught.value.retryable, caught.value.outage, caught.value.terminal) == (False, False, True)
    assert len(sent) == 1  # no retry of the same page
    assert sleeps == []
    assert "GET /editor/task/5" in str(caught.value)
    if "html" in body.lower():
        assert "check the connection's base URL" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<b>partial", "application/json"),  # starts like markup, but the server does not call it HTML
        ('{"rows": {"id": "5"}} <b>', "application/json"),  # JSON and then something else
    ],
    ids=["markup-not-html", "json-then-markup"],
)
def test_a_body_that_is_no_web_page_stays_a_retryable_response_error(
    no_retry_client, answer, body, content_type
):
    answer("GET", "/editor/task/5", text=body, headers={"Content-Type": content_type})
    with pytest.raises(Translate5ResponseError) as caught:
        no_retry_client.get_task(5)
    assert type(caught.value) is Translate5ResponseError
    assert caught.value.outage


def test_translate5s_404_page_of_an_unknown_route_names_the_route_problem(no_retry_client, answer):
    page = "<html><body><h1>Seite nicht gefunden!</h1>Request URI: /editor/task/5</body></html>"
    answer(
        "GET", "/editor/task/5", text=page, status=404, headers={"Content-type": "text/html; charset=utf-8"}
    )
    with pytest.raises(Translate5NotFoundError) as caught:
        no_retry_client.get_task(5)
    assert type(caught.value) is Translate5NotFoundError
    assert "translate5 does not know this route" in str(caught.value)
    assert "check the path of the base URL" in str(caught.value)


def test_non_json_error_body_uses_a_text_excerpt(no_retry_client, answer):
    answer("GET", "/editor/task/5", text="<html><b>Bad Gateway</b> from nginx</html>", status=502)
    with pytest.raises(Translate5ServerError) as caught:
        no_retry_client.get_task(5)
    assert caught.value.error_message == "Bad Gateway from nginx"


def test_empty_error_body_uses_the_http_reason(no_retry_client, answer):
    answer("DELETE", "/editor/task/5", text="", status=404, reason="Not Found")
    with pytest.raises(Translate5NotFoundError, match="HTTP 404 on DELETE /editor/task/5: Not Found"):
        no_retry_client.delete_task(5)


def test_a_redirect_is_not_followed_and_names_the_target(no_retry_client, answer, requests_mock):
    answer(
        "GET",
        "/editor/task/5",
        text="",
        status=302,
        headers={"Location": "https://sso.example.org/login?x=1"},
    )
    with pytest.raises(Translate5APIError, match=r"redirects to https://sso\.example\.org/login"):
        no_retry_client.get_task(5)
    assert requests_mock.call_count == 1


def test_non_json_success_body_is_a_response_error_naming_what_came_back(client, answer):
    answer(
        "GET",
        "/editor/task/5",
        text="<html><title>Login</title></html>",
        headers={"Content-Type": "text/html"},
    )
    with pytest.raises(Translate5ResponseError) as caught:
        client.get_task(5)
    text = str(caught.value)
    assert "GET /editor/task/5" in text
    assert "text/html" in text
    assert "Login" in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_success_false_on_http_200_is_an_error(client, answer):
    answer(
        "POST", "/editor/task/5/excelreimport", {"success": False, "message": "Task is not in ExcelExported"}
    )
    with pytest.raises(Translate5APIError) as caught:
        client.excel_reimport(5, ("a.xlsx", __import__("io").BytesIO(b"x")))
    assert caught.value.status == 200
    assert "Task is not in ExcelExported" in str(caught.value)


def test_wrong_envelope_is_a_response_error(client, answer):
    answer("GET", "/editor/task/5", {"total": 1})
    with pytest.raises(Translate5ResponseError, match="expected 'rows'"):
        client.get_task(5)


def test_network_failure_is_a_connection_error_with_the_cause_chained(no_retry_client, answer):
    answer("GET", "/editor/task/5", exc=requests.exceptions.ConnectTimeout("timed out"))
    with pytest.raises(Translate5ConnectionError) as caught:
        no_retry_client.get_task(5)
    assert isinstance(caught.value.__cause__, requests.exceptions.ConnectTimeout)
    assert "connect timeout" in str(caught.value)
    assert "GET /editor/task/5" in str(caught.value)
    assert caught.value.retryable


def _api(cls, status, code=None):
    return cls(status=status, error_message="x", error_code=code)


# Every error type once: (error, retryable soon, outage a wait rides out, terminal for Airflow).
CLASSIFICATION = [
    ("local bad value", Translate5ValueError("bad"), False, False, True),
    ("connection refused", Translate5ConnectionError("refused"), True, True, False),
    ("read timeout / deadline", Translate5TimeoutError("slow"), True, True, False),
    ("answer garbled on HTTP 200", Translate5ResponseError("garbled"), True, True, False),
    ("answer cut short (fails its check)", Translate5TransferError("cut"), True, True, False),
    ("login page on HTTP 200", Translate5PageError("html"), False, False, True),
    ("answer over a client limit", Translate5LimitError("too big"), False, False, True),
    ("a count that cannot be read", Translate5DataError("words: '1,234'"), False, False, True),
    ("405 method not allowed", _api(Translate5APIError, 405), False, False, True),
    ("408 request timeout", _api(Translate5APIError, 408), True, True, False),
    ("success:false on HTTP 200", _api(Translate5APIError, 200), False, False, False),
    ("400 bad request", _api(Translate5BadRequestError, 400), False, False, True),
    ("401 token refused", _api(Translate5AuthError, 401), False, False, True),
    ("403 forbidden", _api(Translate5PermissionError, 403), False, False, True),
    ("302 to /login", _api(Translate5PermissionError, 302), False, False, True),
    ("404 task missing", _api(Translate5NotFoundError, 404), False, False, True),
    (
        "404 page of a missing plugin",
        Translate5PluginMissingError(plugin="X", status=404, error_message="x"),
        False,
        False,
        True,
    ),
    ("queued export already fetched", _api(Translate5QueuedExportGoneError, 404), False, False, False),
    ("409 stale entityVersion", _api(Translate5ConflictError, 409, "E1041"), False, False, False),
    ("409 export running", _api(Translate5ConflictError, 409, "E1538"), True, False, False),
    ("422 validation", _api(Translate5ValidationError, 422), False, False, True),
    ("423 locked", _api(Translate5LockedError, 423), False, False, False),
    ("429 rate limit", _api(Translate5RateLimitError, 429), True, True, False),
    ("500 server bug", _api(Translate5ServerError, 500), False, True, False),
    ("502 bad gateway", _api(Translate5ServerError, 502), True, True, False),
    ("503 maintenance page", _api(Translate5MaintenanceError, 503), True, True, False),
    ("pre-maintenance export text", _api(Translate5MaintenanceError, 200), True, True, False),
]


@pytest.mark.parametrize(
    ("error", "retryable", "outage", "terminal"),
    [pytest.param(*case[1:], id=case[0]) for case in CLASSIFICATION],
)
def test_every_error_type_says_whether_to_retry_wait_or_fail(error, retryable, outage, terminal):
    assert (error.retryable, error.outage, error.terminal) == (retryable, outage, terminal)
    assert isinstance(error, Translate5Error)


def test_the_table_covers_every_error_class_of_the_client():
    import airflow_provider_translate5.client.errors as module

    classes = {
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Translate5Error) and value is not Translate5Error
    }
    assert classes == {type(case[1]) for case in CLASSIFICATION}


def test_a_subclass_states_its_own_kind_or_inherits_its_parents():
    class ExportPaused(Translate5ConflictError):
        classification = Classification(retryable=True, outage=False, terminal=False)

    class TaskGone(Translate5NotFoundError):
        pass

    paused, gone = _api(ExportPaused, 409), _api(TaskGone, 404)
    assert (paused.retryable, paused.outage, paused.terminal) == (True, False, False)
    assert (gone.retryable, gone.outage, gone.terminal) == (False, False, True)


@pytest.mark.parametrize("token", ["admin-password", "12:short", "", None])
def test_a_malformed_token_is_terminal_before_any_request(token, requests_mock):
    with pytest.raises(Translate5AuthError) as caught:
        Translate5Client("https://t5.example.org", token)
    assert caught.value.terminal
    assert not caught.value.retryable
    assert "app token" in str(caught.value)
    assert requests_mock.call_count == 0


def test_classification_survives_pickling():
    import pickle

    error = pickle.loads(pickle.dumps(_api(Translate5ConflictError, 409, "E1538")))
    assert (error.retryable, error.terminal, error.error_code) == (True, False, "E1538")


def test_field_errors_normalises_every_shape():
    assert field_errors([{"id": "a", "msg": "x"}, "loose"]) == {"a": ["x"], "": ["loose"]}
    assert field_errors({"a": "x", "b": ["y", "z"], "c": {"isEmpty": "empty"}}) == {
        "a": ["x"],
        "b": ["y", "z"],
        "c": ["empty"],
    }
    assert field_errors(None) == {}
    assert field_errors([]) == {}


def test_errors_translated_wins_over_errors_and_html_is_stripped():
    message, code, errors = parse_error_payload(
        {
            "errorMessage": "<b>Fatal:</b> &quot;x&quot;",
            "errorCode": 1234,
            "errors": {"f": "raw"},
            "errorsTranslated": {"f": "nice"},
        }
    )
    assert (message, code, errors) == ('Fatal: "x"', "1234", {"f": ["nice"]})


def test_token_never_appears_in_an_error_even_when_the_server_echoes_it(no_retry_client, answer):
    answer("GET", "/editor/task/5", rest_error(400, f"bad header Translate5AuthToken: {TOKEN}"), status=400)
    with pytest.raises(Translate5BadRequestError) as caught:
        no_retry_client.get_task(5)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caught.value.body_excerpt
    assert "***" in str(caught.value)


def test_batch_export_refused_before_a_maintenance_is_waited_out_not_failed(no_retry_client, answer):
    """translate5's TaskbatchController answers 422 E1401 while a maintenance is scheduled: try later."""
    body = rest_error(
        422,
        "Maintenance is scheduled, exports are not possible at the moment",
        "E1401",
        errors={"export": ["Maintenance is scheduled, exports are not possible at the moment"]},
    )
    answer("POST", "/editor/taskuserassoc/batchset", body, status=422)
    with pytest.raises(Translate5MaintenanceError) as caught:
        no_retry_client.start_batch_export([7, 8])
    assert (caught.value.outage, caught.value.terminal) == (True, False)
    assert "Maintenance is scheduled" in str(caught.value)


def test_other_validation_errors_stay_terminal(no_retry_client, answer):
    answer("POST", "/editor/taskuserassoc/batchset", rest_error(422, "no tasks", "E1026"), status=422)
    with pytest.raises(Translate5ValidationError) as caught:
        no_retry_client.start_batch_export([7, 8])
    assert caught.value.terminal
