"""A misconfigured translate5, or one without a plugin, fails at once saying why; outages are waited out.

A login page of a proxy in front of translate5 answers every call with HTTP 200 and HTML: nothing a wait can
ride out (the example's workflow wait would run 14 days), so the wait fails at its first look. translate5's
own maintenance page (a 503) stays an outage. A server without the InstantTranslate plugin answers its
routes with a 404 HTML page (part 2 §100-102): one request, one clear message.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from t5support import wait_imported

from airflow_provider_translate5.client import Translate5Client
from airflow_provider_translate5.sensors import Translate5WorkflowEndedSensor

from .conftest import CannedServer, context_for, run_like_airflow

pytestmark = pytest.mark.integration

MODES = pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
TOKEN = "7:" + "a" * 36
SSO_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in - Example SSO</title></head><body>"
    b"<form method='post' action='/sso/login'><input name='username'><input name='password'></form>"
    b"</body></html>"
)


@MODES
@pytest.mark.timeout(120)  # before the fix the wait rode the page out until its deadline (here: 14 days)
def test_a_login_page_on_http_200_fails_the_wait_at_its_first_look(
    canned: CannedServer, monkeypatch: pytest.MonkeyPatch, deferrable: bool
) -> None:
    page = (200, {"Content-Type": "text/html; charset=utf-8"}, SSO_PAGE)
    for path in ("/editor/task", "/editor/task/5", "/editor/session/current"):
        canned.routes[path] = page
    connection = {"conn_type": "translate5", "host": canned.url, "password": TOKEN}
    monkeypatch.setenv("AIRFLOW_CONN_TRANSLATE5_DEFAULT", json.dumps(connection))
    sensor = Translate5WorkflowEndedSensor(
        task_id="workflow",
        translate5_task_id=5,
        poke_interval=0.05,
        timeout=timedelta(days=14),
        deferrable=deferrable,
    )

    with pytest.raises(AirflowFailException) as caught:
        run_like_airflow(sensor)  # in the worker, or deferred: the triggerer's look, then the sensor's

    assert "Translate5PageError" in str(caught.value)
    assert "check the connection's base URL" in str(caught.value)
    assert len(canned.seen) <= 2  # one look (the deferred wait's own first one too), no retries of the page


@pytest.mark.timeout(120)
def test_the_maintenance_page_during_a_wait_is_ridden_out(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    task = client.create_task(page, task_name="Maintained", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    sensor = Translate5WorkflowEndedSensor(
        task_id="workflow", translate5_task_id=task.id, poke_interval=0.05, timeout=60, deferrable=False
    )
    context = context_for()
    assert not sensor.poke(context)
    maintenance = sim.faults.maintenance(12, message="Update to 7.36, back at 10:00")  # > the retries

    assert not sensor.poke(context)  # waiting on, not failed
    assert maintenance.remaining < 12  # the look met the maintenance page
    sim.faults.clear()
    for task_id in task.task_ids:
        sim.finish_workflow(task_id)

    assert sensor.poke(context)


def test_a_server_without_instant_translate_fails_the_pretranslation_once_saying_so(
    sim: Any, page: Path, tmp_path: Path
) -> None:
    from airflow_provider_translate5.operators import Translate5InstantTranslatePretranslateOperator

    sim.set(instant_translate=False)
    operator = Translate5InstantTranslatePretranslateOperator(
        task_id="pre",
        source=str(page),
        source_lang="en",
        target_lang="de",
        destination=str(tmp_path / "out") + "/",
        poke_interval=0.02,
        timeout=30,
        deferrable=False,
    )

    with pytest.raises(AirflowFailException, match="this translate5 has no InstantTranslate plugin"):
        operator.execute(context_for())

    assert sim.requests.count(prefix="/editor/instanttranslateapi/") == 1  # asked once, nothing uploaded
