"""Language resources on a task: what cannot work is refused before any request, what is done stays done.

translate5 accepts any resource for any task and then leaves one whose languages or customer do not fit out
of the task's resource list (transcripts part 2, §160/161), so the check is the client's. Assigning again
answers the same association (§113); unassigning answers 200 with an empty body, also when the association
is already gone (§118/119).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from t5support import wait_imported

from airflow_provider_translate5.client import Translate5Client, Translate5ValueError

from t5dags import DagRunner, dag_header

pytestmark = pytest.mark.integration

ASSOC = "/editor/languageresourcetaskassoc"
XLIFF = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="page.html" source-language="en" target-language="de" datatype="html"><body>
    <trans-unit id="1"><source>About us</source><target></target></trans-unit>
  </body></file>
</xliff>
"""


@pytest.fixture
def client(sim: Any) -> Iterator[Translate5Client]:
    with Translate5Client(sim.base_url, sim.token) as t5:
        yield t5


def _task(client: Translate5Client, target: str = "de", customer: str | None = None) -> Any:
    task = client.create_task(
        ("page.xlf", io.BytesIO(XLIFF)),
        task_name="R",
        source_lang="en",
        target_lang=target,
        customer_id=customer,
    )
    wait_imported(client, [task.id])
    return task


def _posts(sim: Any) -> int:
    return int(sim.requests.count("POST", ASSOC))


def test_a_resource_for_other_languages_is_refused_before_the_request(
    sim: Any, client: Translate5Client
) -> None:
    task = _task(client)  # en -> de, default customer
    french = client.resolve_language_resource("ZDemoMT en-fr")

    with pytest.raises(Translate5ValueError, match=r"'ZDemoMT en-fr' \(id \d+; en -> fr") as refused:
        client.assign_language_resource(task.task_guid, french.id)
    assert task.task_guid in str(refused.value)
    with pytest.raises(Translate5ValueError, match="ZDemoMT en-fr"):
        client.assign_language_resources(task.task_guid, ["Demo TM", "ZDemoMT en-fr"])

    assert _posts(sim) == 0  # nothing assigned: not the fitting Demo TM either
    assert not [r for r in client.task_language_resources(task.task_guid) if r.assoc_id]


def test_a_resource_of_another_customer_is_refused(sim: Any, client: Translate5Client) -> None:
    task = _task(
        client, customer="1000"
    )  # en -> de, but ACME's task: "ZDemoMT en-de" is the default customer's
    with pytest.raises(Translate5ValueError, match=r"'ZDemoMT en-de' .*customer"):
        client.assign_language_resources(task.task_guid, ["ZDemoMT en-de"])
    assert _posts(sim) == 0


def test_assigning_again_is_done_not_duplicated(sim: Any, client: Translate5Client) -> None:
    task = _task(client)
    resource = client.resolve_language_resource("ZDemoMT en-de")

    first = client.assign_language_resource(task.task_guid, resource.id)
    again = client.assign_language_resource(task.task_guid, resource.id)
    listed = client.assign_language_resources(task.task_guid, ["ZDemoMT en-de", resource.id])

    assert again["id"] == first["id"]
    assert [(r.name, r.assoc_id) for r in listed] == [("ZDemoMT en-de", int(first["id"]))]
    assert _posts(sim) == 2  # the list call saw the assignment and sent nothing


def test_unassigning_what_is_already_gone_is_done(sim: Any, client: Translate5Client) -> None:
    task = _task(client)
    [entry] = client.assign_language_resources(task.task_guid, ["Demo TM"])
    assert entry.assoc_id is not None

    client.unassign_language_resource(entry.assoc_id)
    client.unassign_language_resource(entry.assoc_id)  # 200 with an empty body again (§119)

    assert sim.requests.count("DELETE", f"{ASSOC}/{entry.assoc_id}") == 2
    assert all(r.assoc_id is None for r in client.task_language_resources(task.task_guid))


def test_rows_read_as_recorded(client: Translate5Client) -> None:
    task = _task(client)
    german, english = client.resolve_language("de").id, client.resolve_language("en").id
    listed = {r.name: r for r in client.list_language_resources()}
    assert (listed["ZDemoMT en-de"].source_langs, listed["ZDemoMT en-de"].target_langs) == (
        (english,),
        (german,),
    )
    assert listed["ZDemoMT en-de"].customer_ids == (1,)
    fitting = {r.name for r in client.task_language_resources(task.task_guid)}
    assert "ZDemoMT en-de" in fitting
    assert "ZDemoMT en-fr" not in fitting  # the task's list shows only what fits (§111)


@pytest.mark.dagrun
def test_operator_refuses_a_project_before_assigning_any_task(
    sim: Any, run_dag: DagRunner, source_file: Callable[..., Path]
) -> None:
    dag_id = "t5_resources_unfit"
    task_id = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"
    source = (
        dag_header(dag_id)
        + f"""
from airflow_provider_translate5.operators.analysis import Translate5AssignLanguageResourcesOperator

with dag:
    upload = Translate5UploadTaskOperator(
        task_id="upload", source=ObjectStoragePath("file://{source_file()}"), task_name="Unfit",
        source_lang="en", target_lang=["de", "fr"],
    )
    imported = Translate5ImportSensor(task_id="imported", translate5_task_id={task_id!r}, poke_interval=0.1)
    resources = Translate5AssignLanguageResourcesOperator(
        task_id="resources", translate5_task_id={task_id!r}, language_resources=["ZDemoMT en-de"], retries=2,
    )
    upload >> imported >> resources
"""
    )
    result = run_dag(source, dag_id)

    assert result.states["resources"] == "failed", result.output[-3000:]
    assert "'ZDemoMT en-de'" in result.output
    assert "does not fit" in result.output
    assert _posts(sim) == 0  # the German task, which it fits, was not assigned either
