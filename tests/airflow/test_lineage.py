"""OpenLineage: the events Airflow's OpenLineage listener emits for the upload, reimport, export and
InstantTranslate operators, and the provider working without the OpenLineage provider installed.

The DAG runs in a child interpreter: the listener is registered when Airflow loads its plugins, once per
process, and only if a transport is configured then. The child uses the OpenLineage client's own file
transport, so the test reads the events exactly as a lineage backend would receive them (the listener's
default mode, a forked child per event, included).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_translate5.lineage import dataset_name, server_namespace

from t5dags import dag_header

XLIFF = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
<file original="page.html" source-language="en" target-language="de" datatype="html"><body>
<trans-unit id="1"><source>Hello</source><target state="new">{target}</target></trans-unit>
</body></file></xliff>
"""

#: Runs a DAG file with dag.test() and prints its task states. ``argv[2:]``: distributions to hide, as if they
#: were not installed (their modules unimportable, their metadata and entry points gone).
RUNNER = textwrap.dedent(
    """
    import json, runpy, sys
    import importlib.metadata, importlib_metadata
    from packaging.utils import canonicalize_name

    hidden = {canonicalize_name(name) for name in sys.argv[2:]}
    for module in (importlib.metadata, importlib_metadata):
        def distributions(*args, _all=module.distributions, **kwargs):
            return [d for d in _all(*args, **kwargs) if canonicalize_name(d.metadata["Name"]) not in hidden]
        module.distributions = distributions
    if hidden:
        sys.modules["airflow.providers.openlineage"] = None
        sys.modules["openlineage"] = None
    dag = runpy.run_path(sys.argv[1], run_name="t5_lineage_dag")["dag"]
    run = dag.test()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    print("STATES " + json.dumps(states))
    """
)

#: What the ``openlineage`` extra installs (beside what Airflow brings anyway).
OPENLINEAGE_DISTRIBUTIONS = (
    "apache-airflow-providers-openlineage",
    "openlineage-python",
    "openlineage-integration-common",
    "openlineage-sql",
)


def run_in_child(dag_file: Path, *, env: dict[str, str], hide: tuple[str, ...] = ()) -> tuple[dict, str]:
    """The DAG's task states and the child's output."""
    child_env = {**os.environ, "AIRFLOW__CORE__DAGS_FOLDER": str(dag_file.parent), **env}
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(dag_file), *hide],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("STATES ")]
    assert result.returncode == 0, output[-4000:]
    assert lines, output[-4000:]
    return json.loads(lines[-1].removeprefix("STATES ")), output


def write_dag(tmp_path: Path, dag_id: str, body: str) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir(exist_ok=True)
    path = folder / f"{dag_id}.py"
    path.write_text(dag_header(dag_id) + textwrap.dedent(body), encoding="utf-8")
    return path


def datasets(event: dict[str, Any], side: str) -> list[tuple[str, str]]:
    return [(item["namespace"], item["name"]) for item in event.get(side, [])]


# -- naming --------------------------------------------------------------------------------------------------


def test_files_are_named_as_the_openlineage_naming_spec_says(tmp_path: Path) -> None:
    """Local files: namespace ``file`` and the absolute path; object storage: ``<scheme>://<bucket>`` and the
    key, with the spec's spelling of the scheme and without the Airflow connection id of the URI."""
    local = tmp_path / "in" / "page.html"
    real = str(local.resolve())
    assert dataset_name(str(local)) == ("file", real)
    assert dataset_name(local) == ("file", real)
    assert dataset_name(local.resolve().as_uri()) == ("file", real)
    assert dataset_name(f"file://localhost{local.resolve()}") == ("file", real)
    assert dataset_name("s3://bucket/out/de/page.html") == ("s3://bucket", "out/de/page.html")
    assert dataset_name("s3://aws_translations@bucket/out//de/page.html") == (
        "s3://bucket",
        "out/de/page.html",
    )
    assert dataset_name("s3a://bucket/page.html") == ("s3://bucket", "page.html")
    assert dataset_name("gs://bucket/page.html") == ("gs://bucket", "page.html")
    assert dataset_name("gcs://bucket/page.html") == ("gs://bucket", "page.html")
    assert dataset_name("abfss://container/page.html") == ("abfss://container", "page.html")


def test_an_object_storage_path_is_named_like_its_uri() -> None:
    from airflow.sdk import ObjectStoragePath

    assert dataset_name(ObjectStoragePath("s3://bucket/out/page.html")) == ("s3://bucket", "out/page.html")


def test_a_translate5_server_is_one_namespace_whatever_the_scheme_and_credentials() -> None:
    assert server_namespace("https://T5.example.org/") == "translate5://t5.example.org"
    assert server_namespace("http://t5.example.org") == "translate5://t5.example.org"
    assert server_namespace("https://me:secret@t5.example.org:8443/translate5/") == (
        "translate5://t5.example.org:8443/translate5"
    )


def test_a_dag_file_that_imports_the_operators_loads_nothing_of_lineage() -> None:
    """DAG parse time stays as it was: the lineage module and OpenLineage load only when the listener asks."""
    code = (
        "import sys, json, airflow.sdk\n"
        "before = set(sys.modules)\n"
        "import airflow_provider_translate5.operators, airflow_provider_translate5.sensors\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    added = json.loads(out.strip().splitlines()[-1])
    assert added  # the operators themselves
    assert [name for name in added if "lineage" in name] == []


def test_an_upload_of_many_items_names_every_file_it_will_send_once(tmp_path: Path) -> None:
    """What the start event of an upload of ``items`` reports: each item's source, its own and the shared
    ``create_task_kwargs`` files (a shared glossary once), no languages (items may each have their own)."""
    from airflow_provider_translate5.operators import Translate5UploadTaskOperator

    a, b, glossary, config = (tmp_path / name for name in ("a.html", "b.html", "terms.tbx", "b.config"))
    upload = Translate5UploadTaskOperator(
        task_id="upload",
        items=[
            {"source": str(a), "foreign_id": "a"},
            {"source": b.as_uri(), "foreign_id": "b", "create_task_kwargs": {"task_config": str(config)}},
        ],
        task_name="Pages",
        source_lang="en",
        target_lang=["de", "fr"],
        create_task_kwargs={"tbx": str(glossary)},
    )

    lineage = upload.get_openlineage_facets_on_start()

    expected = [a, glossary, b, config]
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("file", str(p.resolve())) for p in expected]
    assert lineage.outputs == []
    facet = lineage.run_facets["translate5"]
    assert facet.operation == "upload"
    assert getattr(facet, "targetLanguages", None) is None


# -- events --------------------------------------------------------------------------------------------------


@pytest.mark.dagrun
def test_the_listener_emits_the_files_and_tasks_each_operator_read_and_wrote(
    sim: Any, airflow_db: Path, tmp_path: Path
) -> None:
    """upload -> reimport -> export and an InstantTranslate pre-translation, run with the OpenLineage
    provider's listener: each COMPLETE event names the files and translate5 tasks as datasets and carries
    the translate5 facet; the upload's START event already names the file it will send. The reimport and
    the pre-translation are deferrable: what they did is reported from the try that resumed."""
    source = tmp_path / "in" / "page.xlf"
    source.parent.mkdir()
    source.write_text(XLIFF.format(target=""), encoding="utf-8")
    updated = tmp_path / "update" / "page.xlf"
    updated.parent.mkdir()
    updated.write_text(XLIFF.format(target="Hallo"), encoding="utf-8")
    html = tmp_path / "in" / "home.html"
    html.write_text("<p>Hello world.</p>", encoding="utf-8")
    out = tmp_path / "out"
    task_id = "{{ ti.xcom_pull(task_ids='upload')['id'] }}"
    dag_file = write_dag(
        tmp_path,
        "t5_lineage",
        f"""
        with dag:
            upload = Translate5UploadTaskOperator(
                task_id="upload", source={str(source)!r}, task_name="Page", source_lang="en",
                target_lang="de", foreign_id="cms-7",
            )
            imported = Translate5ImportSensor(
                task_id="imported", translate5_task_id={task_id!r}, poke_interval=0.05,
            )
            reimport = Translate5ReimportFileOperator(
                task_id="reimport", foreign_id="cms-7", source={str(updated)!r}, poke_interval=0.05,
                deferrable=True,  # the note is made where the resumed task ends
            )
            export = Translate5ExportOperator(
                task_id="export", translate5_task_id={task_id!r}, destination={str(out / "export")!r},
                format="filetranslation",
            )
            export_items = Translate5ExportOperator(
                task_id="export_items", items=upload.output["items"],
                destination={str(out / "items" / "{foreign_id}" / "{target_lang}")!r},
                format="filetranslation",
            )
            upload >> imported >> reimport >> [export, export_items]
            Translate5InstantTranslatePretranslateOperator(
                task_id="pretranslate", source={str(html)!r}, source_lang="en", target_lang="fr",
                destination={str(out / "instant") + "/"!r}, poke_interval=0.05, deferrable=True,
            )
        """,
    )
    events_file = tmp_path / "events.jsonl"
    transport = {"type": "file", "log_file_path": str(events_file), "append": True}
    states, output = run_in_child(dag_file, env={"AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport)})
    assert set(states.values()) == {"success"}, output[-4000:]

    events = [json.loads(line) for line in events_file.read_text(encoding="utf-8").splitlines()]
    by_task = {
        (event["job"]["name"].rpartition(".")[2], event["eventType"]): event
        for event in events
        if event["job"]["name"].startswith("t5_lineage.")
    }
    server = sim.base_url
    t5 = server_namespace(server)
    upload = by_task["upload", "COMPLETE"]
    facet = upload["run"]["facets"]["translate5"]
    tid = facet["taskIds"][0]
    assert datasets(upload, "inputs") == [("file", str(source.resolve()))]
    assert datasets(upload, "outputs") == [(t5, f"task/{tid}")]
    assert {k: v for k, v in facet.items() if not k.startswith("_")} == {
        "operation": "upload",
        "taskIds": [tid],
        "projectId": tid,  # a single-target task is its own project
        "foreignId": "cms-7",
        "sourceLanguage": "en",
        "targetLanguages": ["de"],
        "serverUrl": server,
        "taskUrl": f"{server}/editor/#project/{tid}/focus",
    }
    start = by_task["upload", "START"]
    assert datasets(start, "inputs") == [("file", str(source.resolve()))]
    assert datasets(start, "outputs") == []
    assert start["run"]["facets"]["translate5"]["targetLanguages"] == ["de"]

    reimport = by_task["reimport", "COMPLETE"]
    assert datasets(reimport, "inputs") == [("file", str(updated.resolve()))]
    assert datasets(reimport, "outputs") == [(t5, f"task/{tid}")]
    facet = reimport["run"]["facets"]["translate5"]
    assert (facet["operation"], facet["taskIds"], facet["foreignId"]) == ("reimport", [tid], "cms-7")
    assert isinstance(facet["fileId"], int)

    export = by_task["export", "COMPLETE"]
    assert datasets(export, "inputs") == [(t5, f"task/{tid}")]
    delivered = sorted((out / "export").iterdir())
    assert datasets(export, "outputs") == [("file", str(p.resolve())) for p in delivered]
    assert export["run"]["facets"]["translate5"]["operation"] == "export"

    by_items = by_task["export_items", "COMPLETE"]
    assert datasets(by_items, "inputs") == [(t5, f"task/{tid}")]
    [delivered_item] = (out / "items" / "cms-7" / "de").iterdir()
    assert datasets(by_items, "outputs") == [("file", str(delivered_item.resolve()))]

    instant = by_task["pretranslate", "COMPLETE"]
    [translated] = sorted((out / "instant").iterdir())
    assert datasets(instant, "inputs") == [("file", str(html.resolve()))]
    assert datasets(instant, "outputs") == [("file", str(translated.resolve()))]
    facet = instant["run"]["facets"]["translate5"]
    assert (facet["operation"], facet["sourceLanguage"], facet["targetLanguages"]) == (
        "instantTranslate",
        "en",
        ["fr"],
    )
    assert facet["serverUrl"] == server
    assert sim.token not in events_file.read_text(encoding="utf-8")


@pytest.mark.dagrun
def test_without_the_openlineage_provider_the_operators_run_as_before(
    sim: Any, airflow_db: Path, tmp_path: Path
) -> None:
    """The extra is optional: with neither the provider nor the OpenLineage client importable, a DAG that
    uploads and exports still runs and delivers (the hooks are never called: nobody listens)."""
    source = tmp_path / "in" / "page.html"
    source.parent.mkdir()
    source.write_text("<p>Hello world.</p>", encoding="utf-8")
    out = tmp_path / "out"
    dag_file = write_dag(
        tmp_path,
        "t5_no_lineage",
        f"""
        import importlib.metadata, sys
        assert sys.modules["airflow.providers.openlineage"] is None and sys.modules["openlineage"] is None
        names = [d.metadata["Name"] for d in importlib.metadata.distributions()]
        assert "apache-airflow-providers-openlineage" not in names

        with dag:
            upload = Translate5UploadTaskOperator(
                task_id="upload", source={str(source)!r}, task_name="Page", source_lang="en",
                target_lang="de",
            )
            upload >> Translate5ExportOperator(
                task_id="export", translate5_task_id=upload.output["id"],
                destination={str(out)!r}, format="filetranslation",
            )
        """,
    )
    states, output = run_in_child(dag_file, env={}, hide=OPENLINEAGE_DISTRIBUTIONS)
    assert states == {"upload": "success", "export": "success"}, output[-4000:]
    assert [p.name for p in out.iterdir()] == ["page_de.html"]
