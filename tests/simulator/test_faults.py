"""Fault injection knobs: each fault does what it says, immediately, and only for N requests."""

from __future__ import annotations

import http.client
import json

import pytest
import requests

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import create_task, url, wait_state


def test_fail_next_with_path_and_method_filter(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.faults.fail_next(2, status=502, method="GET", path="/editor/task")
    assert api.get(url(sim, "/editor/language")).status_code == 200  # other path untouched
    first = api.get(url(sim, "/editor/task"))
    assert first.status_code == 502
    assert first.json() == {
        "message": "Bad Gateway",
        "errorMessage": "Internal Server Error (injected by the translate5 simulator)",
        "httpStatus": 502,
        "errorCode": None,
        "success": False,
    }
    assert api.get(url(sim, "/editor/task")).status_code == 502
    assert api.get(url(sim, "/editor/task")).status_code == 200
    assert sim.faults.pending() == []


def test_maintenance_page(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.faults.maintenance(message="Back at 10:00")
    response = api.get(url(sim, "/editor/task"))
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["x-translate5-maintenance-message"] == "Back at 10:00"
    assert "<html>" in response.text
    with pytest.raises(ValueError):
        response.json()


def test_rate_limit(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.faults.rate_limit(retry_after=7)
    response = api.get(url(sim, "/editor/task"))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_latency_fault_and_knob(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.faults.latency(0.05)
    api.get(url(sim, "/editor/language"))
    sim.set(latency=0.01)
    assert api.get(url(sim, "/editor/language")).status_code == 200
    assert sim.faults.pending() == []


def test_drop_mid_body(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.faults.drop_mid_body(path="/editor/language")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.get(url(sim, "/editor/language"))
    assert api.get(url(sim, "/editor/language")).status_code == 200


def test_drop_mid_body_on_a_download(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api)
    wait_state(sim, api, row["id"])
    sim.set(generated_export_size=2_000_000)
    sim.faults.drop_mid_body(path="/editor/task/export")
    received = 0
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # noqa: PT012
        with api.get(url(sim, f"/editor/task/export/id/{row['id']}"), stream=True) as response:
            assert response.status_code == 200
            for chunk in response.iter_content(1 << 16):
                received += len(chunk)
    assert 0 < received < 2_000_000


def test_lose_response_commits_the_create(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.faults.lose_response(path="/editor/task")
    with pytest.raises(requests.exceptions.ConnectionError):
        create_task(sim, api, foreignId="idem-1")
    rows = api.get(
        url(sim, "/editor/task"),
        params={"filter": json.dumps([{"operator": "eq", "property": "foreignId", "value": "idem-1"}])},
    ).json()
    assert rows["total"] == "1"  # the task exists although the client never saw an answer


def test_disconnect_does_not_process(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.faults.disconnect(method="POST", path="/editor/task")
    with pytest.raises(requests.exceptions.ConnectionError):
        create_task(sim, api)
    assert api.get(url(sim, "/editor/task")).json()["total"] == "0"


def test_export_running_fault(sim: Translate5Simulator, api: requests.Session) -> None:
    row = create_task(sim, api)
    wait_state(sim, api, row["id"])
    sim.faults.export_running(1)
    busy = api.get(url(sim, f"/editor/task/export/id/{row['id']}"))
    assert (busy.status_code, busy.json()["errorCode"]) == (409, "E1538")
    assert api.get(url(sim, f"/editor/task/export/id/{row['id']}")).status_code == 200


def test_expire_sessions(sim: Translate5Simulator, api: requests.Session) -> None:
    api.get(url(sim, "/editor/language"))
    old = api.cookies["zfExtended"]
    sim.faults.expire_sessions()
    cookie_only = requests.get(
        url(sim, "/editor/task"), headers={"Accept": "application/json", "Cookie": f"zfExtended={old}"}
    )
    assert cookie_only.status_code == 401
    with_token = api.get(url(sim, "/editor/task"))
    assert with_token.status_code == 200
    assert with_token.cookies["zfExtended"] != old


def test_fail_next_fails_exactly_that_many_requests(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.faults.fail_next(5, status=503)
    answers = [api.get(url(sim, "/editor/task")).status_code for _ in range(6)]
    assert answers == [503] * 5 + [200]
    assert sim.faults.pending() == []


def test_unknown_fault_kind_is_rejected(sim: Translate5Simulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.faults.add("explode")


def test_raw_http_client_sees_no_answer_for_lost_response(sim: Translate5Simulator) -> None:
    sim.faults.lose_response(method="GET", path="/editor/language")
    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    connection.request("GET", "/editor/language", headers={"Translate5AuthToken": sim.token})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        connection.getresponse()
    connection.close()
