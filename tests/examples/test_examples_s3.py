"""The content-drop examples with every folder on S3 (moto server on 127.0.0.1), as on Celery/Kubernetes.

Object stores have no directories: an empty staging "folder" does not exist, and keys are not relative
paths. These runs go through the same ``s3://<connection>@bucket/...`` paths a deployment uses, through the
Amazon provider's filesystem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from examples_support import SAMPLE_CONTENT, ExampleRunner, sample_items

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]


def upload_folder(s3: Any, bucket: str, prefix: str, folder: Path) -> None:
    client = s3.client()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder).as_posix()}")


def test_roundtrip_with_content_drop_and_cms_import_on_s3(
    translate5_simulator: Any, run_example: ExampleRunner, s3: Any
) -> None:
    uri = s3.bucket("cms")
    bucket = uri.rpartition("@")[2]
    upload_folder(s3, bucket, "export", SAMPLE_CONTENT)
    conf = {"content_drop": f"{uri}/export/", "cms_import": f"{uri}/import/"}

    run = run_example("translate5_cms_roundtrip", **conf)

    assert run.state == "success", run.states
    items = sample_items()
    delivered = [f"import/{lang}/{item}" for lang in ("de", "fr") for item in items]
    # Every translation is in S3, staging is gone, and nothing else was written.
    assert s3.keys(bucket, "import/") == sorted(["import/.translate5-manifest.json", *delivered])
    html = s3.read(bucket, "import/de/pages/about-us.html")
    assert "<h1>[de] About Alpine Outfitters</h1>" in html
    manifest = json.loads(s3.read(bucket, "import/.translate5-manifest.json"))["items"]
    assert sorted(manifest) == items

    again = run_example("translate5_cms_roundtrip", **conf)

    assert again.state == "success", again.states
    assert again.xcom("find_changed_content") == []
    assert translate5_simulator.requests.count("POST", "/editor/task") == len(items)


def test_asset_delivery_from_s3_exports_into_an_s3_cms_folder(
    translate5_simulator: Any,
    run_example: ExampleRunner,
    s3: Any,
    example_dag_bag: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uri = s3.bucket("cms")
    bucket = uri.rpartition("@")[2]
    upload_folder(s3, bucket, "export", SAMPLE_CONTENT)
    monkeypatch.setenv("AIRFLOW_VAR_TRANSLATE5_EXPORT_FOLDER", f"{uri}/translations/")
    monkeypatch.setenv("AIRFLOW_VAR_TRANSLATE5_CMS_IMPORT", f"{uri}/import/")
    sources = [f"{uri}/export/pages/about-us.html", f"{uri}/export/blog/2026-11-release-notes.md"]

    translated = run_example("translate5_asset_translate", sources=sources)
    assert translated.state == "success", translated.states
    delivered = run_example("translate5_asset_delivery")  # no events at all: it delivers what is pending

    assert delivered.state == "success", delivered.states
    names = ("2026-11-release-notes.md", "about-us.html")
    assert s3.keys(bucket, "import/") == [f"import/{lang}/{name}" for lang in ("de", "fr") for name in names]
    assert s3.keys(bucket, "translations/") == []
