"""Many items in one upload, against the server: what the batch relies on.

The upload looks many foreignIds up with one ``filter foreignId in [...]`` request with ``projectsOnly=1``
(the top-level entries: a project, or a single-target task, per upload) and lists the tasks of the projects
it found with one ``filter projectId in [...]`` request. Recorded: ``foreignId eq`` (part 1 §30), ``id in``
(§32), ``projectsOnly=1`` (§34), ``projectId eq`` (§35); the ``in`` forms on these fields are asserted here,
as an expectation for the next real-server run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from contract_support import PAGE, SECOND_PAGE, SECOND_TARGET, SOURCE, TARGET, Cleanup, T5Http


@pytest.fixture
def files(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def test_foreign_id_in_finds_each_upload_and_project_id_in_its_tasks(
    t5_client: Any, t5_http: T5Http, cleanup: Cleanup, files: Callable[[str, bytes], Path]
) -> None:
    project_key, task_key = cleanup.owned_name("batch project"), cleanup.owned_name("batch task")
    project = t5_client.create_task(
        files("about.xlf", PAGE),
        task_name=project_key,
        source_lang=SOURCE,
        target_lang=[TARGET, SECOND_TARGET],
        foreign_id=project_key,
    )
    cleanup.task(project.id)
    task = t5_client.create_task(
        files("products.xlf", SECOND_PAGE),
        task_name=task_key,
        source_lang=SOURCE,
        target_lang=TARGET,
        foreign_id=task_key,
    )
    cleanup.task(task.id)

    by_key = [{"operator": "in", "value": [project_key, task_key], "property": "foreignId"}]
    top = {int(row["id"]): row for row in t5_http.list_tasks(by_key, projectsOnly=1)["rows"]}
    assert set(top) == {project.id, task.id}  # one entry per upload
    assert (top[project.id]["foreignId"], top[task.id]["foreignId"]) == (project_key, task_key)
    assert top[project.id]["taskType"] == "project"

    by_project = [{"operator": "in", "value": [project.id], "property": "projectId"}]
    rows = [row for row in t5_http.list_tasks(by_project)["rows"] if row["taskType"] != "project"]
    assert {int(row["id"]) for row in rows} == {t.id for t in project.project_tasks}
    languages = {int(lang["id"]): lang["rfc5646"] for lang in t5_http.ok("GET", "/editor/language")["rows"]}
    assert sorted(languages[int(row["targetLang"])] for row in rows) == sorted([TARGET, SECOND_TARGET])


def test_an_upload_of_many_items_looks_them_up_once_before_and_once_after(
    t5_url: str,
    t5_token: str,
    t5_http: T5Http,
    cleanup: Cleanup,
    airflow_connection: str,
    files: Callable[[str, bytes], Path],
) -> None:
    import requests

    from airflow_provider_translate5.hooks.translate5 import Translate5Hook
    from airflow_provider_translate5.operators import Translate5UploadTaskOperator

    keys = [cleanup.owned_name(f"batch item {n}") for n in range(2)]
    items = [
        {"source": str(files(f"page{n}.xlf", page)), "foreign_id": key, "task_name": key}
        for n, (key, page) in enumerate(zip(keys, (PAGE, SECOND_PAGE), strict=True))
    ]
    sent: list[str] = []
    session = requests.Session()
    session.hooks["response"].append(
        lambda response, *args, **kwargs: sent.append(
            f"{response.request.method} {urlsplit(response.request.url).path}"
        )
    )
    operator = Translate5UploadTaskOperator(
        task_id="upload", items=items, source_lang=SOURCE, target_lang=[TARGET, SECOND_TARGET]
    )
    operator.__dict__["hook"] = Translate5Hook(session=session)
    ti = SimpleNamespace(
        dag_id="contract",
        run_id="batch",
        task_id="upload",
        map_index=-1,
        try_number=1,
        xcom_push=lambda **_: None,
    )
    try:
        result = operator.execute({"ti": ti})  # type: ignore[typeddict-item]
    finally:
        operator.hook.close()
    for item in result["items"]:
        cleanup.task(item["id"])

    creates = [request for request in sent if request == "POST /editor/task"]
    lists = [request for request in sent if request == "GET /editor/task"]
    assert (len(creates), len(lists)) == (2, 2)  # the DAG's own keys: one lookup for both, one check after
    for key, item in zip(keys, result["items"], strict=True):
        assert item["foreign_id"] == key
        assert not item["reattached"]
        rows = {int(row["id"]): row for row in t5_http.tasks_where("projectId", item["id"])}
        assert {task["id"] for task in item["tasks"]} == {i for i in rows if i != item["id"]}
        assert sorted(task["target_lang"] for task in item["tasks"]) == sorted([TARGET, SECOND_TARGET])
        for task in item["tasks"]:  # translate5 names a project task "<name> - <source> / <target>"
            assert rows[task["id"]]["taskName"].endswith(f" / {task['target_lang']}")
