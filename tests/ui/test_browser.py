"""The translate5 view in a real browser (``make ui-test``): headless Chromium logs into a real
``airflow api-server`` and opens the translate5 tab of a finished run of the CMS round-trip example.

The run: ``airflow dags test translate5_cms_roundtrip`` against the bundled simulator (3 sample items: 3
projects of 2 tasks, en → de and fr). The API server runs Airflow's simple auth manager with one change
(``authz.py``): the user ``outsider`` may not read that DAG. Everything listens on 127.0.0.1 and is stopped
by its PID. The screenshot of the view goes to ``docs/img/translate5-view.png`` (docs/getting-started.md).

Needs ``chromium`` and ``chromedriver`` (Debian: ``chromium``, ``chromium-driver``); runs only with
``TRANSLATE5_UI_TEST=1``, as ``make ui-test`` sets it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

from local_services import (  # noqa: E402 - a script folder, not a package
    LOOPBACK,
    Service,
    Services,
    free_port,
    http_ok,
    start_simulator,
    tail,
    wait_until,
)

pytestmark = [
    pytest.mark.skipif(os.environ.get("TRANSLATE5_UI_TEST") != "1", reason="make ui-test runs it (Chromium)"),
    pytest.mark.integration,
    pytest.mark.dagrun,
]

DAG_ID = "translate5_cms_roundtrip"
SCREENSHOT = REPO / "docs" / "img" / "translate5-view.png"
USERS = {"admin": "admin", "outsider": "viewer"}
#: A fresh Airflow and one example run take about a minute; a stuck step fails instead of hanging CI.
STEP_TIMEOUT = 300


@dataclass
class Airflow:
    url: str
    run_id: str
    passwords: dict[str, str]
    translate5: dict[str, Any]  # the simulator's base_url and token

    def token(self, user: str) -> str:
        answer = requests.post(
            f"{self.url}/auth/token",
            json={"username": user, "password": self.passwords[user]},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["access_token"])

    def view_path(self, api: bool = False) -> str:
        prefix = "/translate5/api" if api else "/translate5"
        return f"{prefix}/dags/{DAG_ID}/runs/{quote(self.run_id, safe='')}"

    def translate5_tasks(self, task_ids: list[int]) -> dict[int, dict[str, Any]]:
        """The tasks as translate5 (the simulator) itself lists them: what the page must show."""
        answer = requests.get(
            f"{self.translate5['base_url']}/editor/task",
            params={"filter": json.dumps([{"operator": "in", "value": task_ids, "property": "id"}])},
            headers={"Translate5AuthToken": self.translate5["token"], "Accept": "application/json"},
            timeout=30,
        )
        answer.raise_for_status()
        return {int(row["id"]): row for row in answer.json()["rows"]}


def _run(command: list[str], env: dict[str, str], log: Path, cwd: Path) -> None:
    with log.open("ab") as out:
        result = subprocess.run(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=STEP_TIMEOUT, cwd=cwd
        )
    assert result.returncode == 0, f"{' '.join(command[2:5])} failed; end of {log}:\n{tail(log)}"


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    home = tmp_path_factory.mktemp("ui-airflow")
    logs = home / "logs-test"
    logs.mkdir()
    drop, cms_import = home / "content-drop", home / "cms-import"
    shutil.copytree(REPO / "example_dags" / "sample_content", drop)
    cms_import.mkdir()
    passwords = {user: secrets.token_urlsafe(12) for user in USERS}
    (home / "passwords.json").write_text(json.dumps(passwords), encoding="utf-8")
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    services = Services()
    with services.running():
        sim = start_simulator(services, logs / "simulator.log", import_seconds=0.5, workflow_seconds=2.0)
        env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "example_dags"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__AUTH_MANAGER="authz.OneDagDeniedAuthManager",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=",".join(f"{u}:{r}" for u, r in USERS.items()),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(home / "passwords.json"),
            AIRFLOW__API__HOST=LOOPBACK,
            AIRFLOW__API__PORT=str(port),
            AIRFLOW__API__BASE_URL=url,
            AIRFLOW__API__WORKERS="1",
            AIRFLOW_CONN_TRANSLATE5_DEFAULT=sim["connection"],
            AIRFLOW_VAR_TRANSLATE5_CONTENT_DROP=drop.as_uri(),
            AIRFLOW_VAR_TRANSLATE5_CMS_IMPORT=cms_import.as_uri(),
            TRANSLATE5_EXAMPLE_POKE_INTERVAL="1",
            TRANSLATE5_UI_TEST_DENIED_DAGS=DAG_ID,
            PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), env.get("PYTHONPATH", "")]),
        )
        # Outside the clone, as an installed provider runs: in it, `python -m` also finds the editable
        # install's egg-info build folder, and Airflow reports the plugin's entry point, seen twice, as an
        # import error.
        airflow_cli = [sys.executable, "-m", "airflow"]
        _run([*airflow_cli, "db", "migrate"], env, logs / "cli.log", home)
        _run([*airflow_cli, "dags", "test", DAG_ID], env, logs / "dags-test.log", home)
        server = Service(
            "airflow api-server", [*airflow_cli, "api-server"], logs / "api-server.log", env, home
        )
        services.start(server)
        wait_until("airflow api-server", lambda: http_ok(f"{url}/api/v2/version"), 180, services)
        token = Airflow(url, "", passwords, sim).token("admin")
        plugin_errors = requests.get(
            f"{url}/api/v2/plugins/importErrors", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).json()
        assert plugin_errors["total_entries"] == 0, plugin_errors
        runs = requests.get(
            f"{url}/api/v2/dags/{DAG_ID}/dagRuns", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).json()["dag_runs"]
        assert [run["state"] for run in runs] == ["success"], runs
        yield Airflow(url, runs[0]["dag_run_id"], passwords, sim)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1800,1100"):
        options.add_argument(argument)
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (binary and driver_path):
        pytest.fail("chromium and chromedriver are needed (Debian: chromium chromium-driver)")
    options.binary_location = binary
    driver = webdriver.Chrome(options=options, service=DriverService(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def _log_in(browser: Any, airflow: Airflow, page: str) -> None:
    """Open a UI page as a person would: Airflow sends the login form first, then the page."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{airflow.url}{page}")
    wait = WebDriverWait(browser, 60, ignored_exceptions=(WebDriverException,))
    wait.until(until.presence_of_element_located((By.NAME, "username"))).send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(airflow.passwords["admin"])
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda driver: "/auth/login" not in driver.current_url)


def _in_view(browser: Any, selector: str) -> list[Any]:
    """The elements of the translate5 view (inside the UI's iframe) once there: the UI may replace the iframe
    while it renders the page, so the frame is looked up again until its content is there."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(driver: Any) -> list[Any] | bool:
        driver.switch_to.default_content()
        driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe[title=translate5]"))
        return driver.find_elements(By.CSS_SELECTOR, selector) or False

    result: list[Any] = WebDriverWait(browser, 60, ignored_exceptions=(WebDriverException,)).until(found)
    return result


def test_the_run_shows_every_project_with_state_and_progress(browser: Any, airflow: Airflow) -> None:
    from selenium.webdriver.common.by import By

    view = requests.get(
        f"{airflow.url}{airflow.view_path(api=True)}",
        headers={"Authorization": f"Bearer {airflow.token('admin')}"},
        timeout=60,
    ).json()
    task_ids = [task["id"] for project in view["projects"] for task in project["tasks"]]
    expected = airflow.translate5_tasks(task_ids)
    assert len(view["projects"]) == 3
    assert len(expected) == len(task_ids) == 6

    _log_in(browser, airflow, f"/dags/{DAG_ID}/runs/{quote(airflow.run_id, safe='')}/plugin/translate5-run")
    sections = _in_view(browser, "section.project")
    assert sorted(int(s.get_attribute("data-project-id")) for s in sections) == sorted(
        {int(row["projectId"]) for row in expected.values()}
    )
    assert not browser.find_elements(By.CSS_SELECTOR, ".status.problem")
    shown = browser.find_elements(By.CSS_SELECTOR, "tr.task")
    assert sorted(int(row.get_attribute("data-task-id")) for row in shown) == sorted(expected)
    for row in shown:
        task = expected[int(row.get_attribute("data-task-id"))]
        cells = {cell.get_attribute("class"): cell.text for cell in row.find_elements(By.TAG_NAME, "td")}
        assert task["taskName"] in cells["name"]
        assert cells["state"] == task["state"]
        assert cells["step"] == task["workflowStepName"]
        assert cells["progress"].startswith(
            f"{task['segmentFinishCount']} of {task['segmentEditableCount']} segments"
        )
        assert "translator1" in cells["assigned"] or cells["assigned"] == "nobody assigned"
    browser.switch_to.default_content()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))


def test_a_project_link_opens_the_project_in_a_new_tab(browser: Any, airflow: Airflow) -> None:
    """From inside the UI's sandboxed iframe, the project's link opens a tab; on the simulator it lands on
    its /editor page, which shows the tasks of that project only."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{airflow.url}/dags/{DAG_ID}/runs/{quote(airflow.run_id, safe='')}/plugin/translate5-run")
    section = _in_view(browser, "section.project")[0]
    project_id = section.get_attribute("data-project-id")
    before = set(browser.window_handles)
    section.find_element(By.CSS_SELECTOR, "h2 a.t5-out").click()
    WebDriverWait(browser, 30).until(lambda driver: set(driver.window_handles) - before)
    [opened] = set(browser.window_handles) - before
    browser.switch_to.window(opened)
    try:
        WebDriverWait(browser, 30).until(
            lambda driver: driver.find_elements(By.CSS_SELECTOR, "tr[data-task-id]")
        )
        assert browser.current_url == f"{airflow.translate5['base_url']}/editor/#project/{project_id}/focus"
        assert "translate5 simulator" in browser.find_element(By.TAG_NAME, "h1").text
        shown = [
            row for row in browser.find_elements(By.CSS_SELECTOR, "tr[data-task-id]") if row.is_displayed()
        ]
        assert len(shown) == 2
        assert {row.get_attribute("data-project-id") for row in shown} == {project_id}
    finally:
        browser.close()
        browser.switch_to.window(next(iter(before)))


def test_browse_lists_the_run(browser: Any, airflow: Airflow) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{airflow.url}/plugin/translate5")
    [run] = _in_view(browser, "article.run")
    assert (run.get_attribute("data-dag-id"), run.get_attribute("data-run-id")) == (DAG_ID, airflow.run_id)
    assert len(run.find_elements(By.CSS_SELECTOR, "section.project")) == 3
    browser.switch_to.default_content()


def test_anonymous_and_unauthorized_requests_get_nothing(airflow: Airflow) -> None:
    for path in (airflow.view_path(), airflow.view_path(api=True), "/translate5/"):
        anonymous = requests.get(f"{airflow.url}{path}", timeout=30)
        assert anonymous.status_code == 401, path
    outsider = {"Authorization": f"Bearer {airflow.token('outsider')}"}
    for path in (airflow.view_path(), airflow.view_path(api=True)):
        denied = requests.get(f"{airflow.url}{path}", headers=outsider, timeout=30)
        assert denied.status_code == 403, path
    overview = requests.get(f"{airflow.url}/translate5/", headers=outsider, timeout=30)
    assert overview.status_code == 200
    assert DAG_ID not in overview.text
