"""Fixtures of the contract suite: the same tests against ANY translate5 (a real server or the simulator).

Configuration (environment):

- ``TRANSLATE5_CONTRACT_URL``: base URL of the translate5 under test;
- ``TRANSLATE5_CONTRACT_TOKEN``: an app token of a PM/admin user (creates, finishes and deletes tasks);
- ``TRANSLATE5_CONTRACT_USER_TOKEN`` (optional): an editor's app token; jobs are then assigned to that user
  and the editor-side steps (finishing a job as the assigned user) run too.

``make contract`` sets them, starting the bundled simulator when no URL is given. The suite needs a server,
so plain ``pytest`` (``make test``) does not collect it: it runs only when ``tests/contract`` (or a file in
it) is named on the command line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from contract_support import (
    RUN_TAG,
    Cleanup,
    T5Http,
    create_owned_client_task,
    finish_workflow_as_pm,
    import_owned_task,
    unique,
    wait_for_import,
)

URL_ENV = "TRANSLATE5_CONTRACT_URL"
TOKEN_ENV = "TRANSLATE5_CONTRACT_TOKEN"
USER_TOKEN_ENV = "TRANSLATE5_CONTRACT_USER_TOKEN"
_HERE = Path(__file__).resolve().parent


def _named_on_command_line(config: pytest.Config) -> bool:
    base = Path(config.invocation_params.dir)
    for arg in config.invocation_params.args:
        if arg.startswith("-"):
            continue
        path = (base / arg.split("::", 1)[0]).resolve()
        if path == _HERE or _HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Keep the suite out of a plain ``pytest`` run: it needs a translate5 and creates tasks on it."""
    return None if _named_on_command_line(config) else True


#: Seconds one contract test may take in all (pytest-timeout). The project's default (300 s) equals one
#: import deadline; a test on a real server may wait for several imports, an export and a workflow, and a
#: hit deadline of the suite's own waits says more (what it waited for, the last row seen) than a kill.
TEST_TIMEOUT = float(os.environ.get("TRANSLATE5_CONTRACT_TEST_TIMEOUT", "900"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT))


# -- configuration -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def t5_url() -> str:
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        pytest.skip(f"{URL_ENV} is not set: run `make contract` (starts the bundled simulator) or set it")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def t5_token(t5_url: str) -> str:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        pytest.skip(f"{TOKEN_ENV} is not set: a PM/admin app token of {t5_url} is needed")
    return token


@pytest.fixture(scope="session")
def t5_user_token(t5_url: str) -> str:
    token = os.environ.get(USER_TOKEN_ENV, "").strip()
    if not token:
        pytest.skip(f"{USER_TOKEN_ENV} is not set: the steps of an assigned editor are skipped")
    return token


# -- HTTP and client -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def t5_http(t5_url: str, t5_token: str) -> Iterator[T5Http]:
    """Raw ``requests`` session with the PM's token header and ``Accept: application/json``."""
    http = T5Http(t5_url, t5_token)
    yield http
    http.close()


@pytest.fixture(scope="session")
def t5_user_http(t5_url: str, t5_user_token: str) -> Iterator[T5Http]:
    """Raw session of the editor (``TRANSLATE5_CONTRACT_USER_TOKEN``)."""
    http = T5Http(t5_url, t5_user_token)
    yield http
    http.close()


@pytest.fixture
def t5_client(t5_url: str, t5_token: str) -> Iterator[Any]:
    """The provider's client (no Airflow) on the server under test."""
    from airflow_provider_translate5.client import Translate5Client

    client = Translate5Client(t5_url, t5_token)
    yield client
    client.close()


@pytest.fixture
def counting_client(t5_url: str, t5_token: str) -> Iterator[tuple[Any, list[str]]]:
    """The provider's client and the requests it sent (``METHOD path``, in order): proves what was not
    repeated, on any server."""
    import requests

    from airflow_provider_translate5.client import Translate5Client

    sent: list[str] = []
    session = requests.Session()
    session.hooks["response"].append(
        lambda response, *args, **kwargs: sent.append(
            f"{response.request.method} {urlsplit(response.request.url).path}"
        )
    )
    client = Translate5Client(t5_url, t5_token, session=session)
    yield client, sent
    client.close()
    session.close()


@pytest.fixture(scope="session")
def pm_user(t5_http: T5Http) -> dict[str, Any]:
    """``/editor/session/current`` user of the PM token."""
    return t5_http.current_user()


@pytest.fixture(scope="session")
def job_user_guid(pm_user: dict[str, Any]) -> str:
    """Who gets the jobs the suite assigns: the editor of the user token if given, else the PM itself."""
    token = os.environ.get(USER_TOKEN_ENV, "").strip()
    url = os.environ.get(URL_ENV, "").strip()
    if token and url:
        editor = T5Http(url, token)
        try:
            return str(editor.current_user()["userGuid"])
        finally:
            editor.close()
    return str(pm_user["userGuid"])


# -- names, clean-up, waiting --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def unique_name() -> Callable[[str], str]:
    """``unique_name("label")``: a task name / foreignId no other run (or call) uses."""
    return unique


def _cleanup(http: T5Http) -> Iterator[Cleanup]:
    registry = Cleanup(http)
    yield registry
    problems = registry.run()
    assert not problems, "clean-up failed, delete these by hand: " + "; ".join(problems)


@pytest.fixture
def cleanup(t5_http: T5Http) -> Iterator[Cleanup]:
    """Register what a test creates (task ids, foreignIds, task names, Excel files); deleted afterwards."""
    yield from _cleanup(t5_http)


@pytest.fixture(scope="session")
def session_cleanup(t5_http: T5Http) -> Iterator[Cleanup]:
    """Like ``cleanup`` for tasks shared by several tests; deleted at the end of the run."""
    yield from _cleanup(t5_http)


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind() -> Iterator[None]:
    """After the run, no task carrying this run's tag may remain on the server (found ones are deleted)."""
    yield
    url, token = os.environ.get(URL_ENV, "").strip(), os.environ.get(TOKEN_ENV, "").strip()
    if not url or not token:
        return
    http = T5Http(url, token)
    try:
        sort = json.dumps([{"property": "id", "direction": "DESC"}])
        left: dict[str, str] = {}
        for projects_only in (1, 0):
            rows = http.list_tasks(sort=sort, start=0, limit=500, projectsOnly=projects_only)["rows"]
            left.update({str(row["id"]): row["taskName"] for row in rows if RUN_TAG in row["taskName"]})
        if left:
            sweep = Cleanup(http)
            for task_id in left:
                sweep.task(task_id)
            problems = sweep.run()
            pytest.fail(f"the suite left tasks behind (now deleted: {not problems}): {left} {problems}")
    finally:
        http.close()


@pytest.fixture(scope="session")
def await_import(t5_http: T5Http) -> Callable[[int | str], dict[str, Any]]:
    """``await_import(task_id)``: wait (with a deadline) until the task or project has imported."""
    return lambda task_id: wait_for_import(t5_http, task_id)


@pytest.fixture(scope="session")
def finish_workflow(t5_http: T5Http, job_user_guid: str) -> Callable[[int | str], dict[str, Any]]:
    """``finish_workflow(task_id)``: as PM, assign a job if none, finish all jobs, wait for workflowEnded."""
    return lambda task_id: finish_workflow_as_pm(t5_http, task_id, job_user_guid)


@pytest.fixture(scope="session")
def imported_task(t5_http: T5Http, session_cleanup: Cleanup) -> dict[str, Any]:
    """One imported single-file task (en -> de) shared by the read-only tests; deleted at the end."""
    return import_owned_task(t5_http, session_cleanup, unique("shared"))


@pytest.fixture
def owned_client_task(t5_client: Any, t5_http: T5Http, cleanup: Cleanup) -> Callable[..., Any]:
    """``owned_client_task(name, files, target_lang=..., wait=True, **create_task_options)``: a task the test
    owns, created by the provider's client (see ``contract_support.create_owned_client_task``)."""

    def create(name: str, files: Any, **kwargs: Any) -> Any:
        return create_owned_client_task(t5_client, t5_http, cleanup, name, files, **kwargs)

    return create


@pytest.fixture
def airflow_connection(t5_url: str, t5_token: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Airflow's ``translate5_default`` connection pointing at the server under test."""
    value = json.dumps({"conn_type": "translate5", "host": t5_url, "password": t5_token})
    monkeypatch.setenv("AIRFLOW_CONN_TRANSLATE5_DEFAULT", value)
    return value
