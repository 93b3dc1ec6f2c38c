"""``translate5_rest_cms`` end to end against a small Strapi-like CMS and the translate5 simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples_support import ExampleRunner, uri
from fake_cms import FakeCms

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

DAG_ID = "translate5_rest_cms"
EARLIER, LATER = "2026-11-01T08:00:00.000Z", "2026-11-02T08:00:00.000Z"


@pytest.fixture
def cms(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCms]:
    cms = FakeCms().start()
    monkeypatch.setenv("AIRFLOW_CONN_CMS_API", cms.connection_json())
    try:
        yield cms
    finally:
        cms.stop()


def test_translates_missing_and_outdated_locales_and_writes_them_back(
    translate5_simulator: Any, run_example: ExampleRunner, cms: FakeCms, tmp_path: Path
) -> None:
    cms.add("spring-sale", "en", LATER, title="Spring sale", summary="Fish & Chips <b>-50%</b>", body="")
    cms.add("spring-sale", "de", EARLIER, title="Frühlingsangebot", summary="alt")  # older than the source
    cms.add("new-store", "en", EARLIER, title="New store in Graz", summary="Opening on Friday.")
    cms.add("new-store", "de", LATER, title="Neuer Laden in Graz", summary="Am Freitag.")  # up to date
    cms.add("careers", "en", EARLIER, title="We are hiring", summary="Join our workshop team.")
    conf = {"target_langs": ["de", "fr"], "work_folder": uri(tmp_path / "work")}

    run = run_example(DAG_ID, **conf)

    assert run.state == "success", run.states
    needed = {item["path"]: item["target_langs"] for item in run.xcom("fetch_entries")}
    assert needed == {
        "articles/careers.xliff": ["de", "fr"],
        "articles/new-store.xliff": ["fr"],
        "articles/spring-sale.xliff": ["de", "fr"],
    }
    puts = {(doc, locale): data for doc, locale, data in cms.puts}
    assert sorted(puts) == [
        ("careers", "de"),
        ("careers", "fr"),
        ("new-store", "fr"),
        ("spring-sale", "de"),
        ("spring-sale", "fr"),
    ]
    # Markup is escaped in the XLIFF and restored on the way back; empty fields are not sent at all.
    assert puts["spring-sale", "de"] == {
        "title": "[de] Spring sale",
        "summary": "[de] Fish & Chips <b>-50%</b>",
    }
    assert cms.entries["new-store", "de"]["title"] == "Neuer Laden in Graz"  # up to date: left alone
    assert cms.entries["new-store", "fr"]["summary"] == "[fr] Opening on Friday."
    written = run.xcom("write_back")
    assert {(w["documentId"], w["locale"]) for w in written} == {(doc, loc) for doc, loc, _ in cms.puts}
    assert translate5_simulator.requests.count("POST", "/editor/task") == 3

    again = run_example(DAG_ID, **conf)

    assert again.state == "success"
    assert again.xcom("fetch_entries") == []  # the CMS itself records what is done
    assert len(cms.puts) == 5
    assert translate5_simulator.requests.count("POST", "/editor/task") == 3
