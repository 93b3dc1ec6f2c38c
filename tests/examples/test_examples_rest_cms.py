"""``translate5_rest_cms`` end to end against a fake Strapi 5 and the translate5 simulator.

The fake (``fake_cms.py``) answers like the real Strapi of ``make cms-test``; these runs show each case in
seconds, the real one proves the fake right.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples_support import EXAMPLE_DAGS, ExampleRunner, uri
from fake_cms import TOKEN, FakeCms, StrapiError

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

DAG_ID = "translate5_rest_cms"
EARLIER, LATER = "2026-11-01T08:00:00.000Z", "2026-11-02T08:00:00.000Z"
BODY = [
    {
        "type": "paragraph",
        "children": [
            {"type": "text", "text": "Fish & Chips "},
            {"type": "text", "text": "<b>-50%</b>", "bold": True},
            {
                "type": "link",
                "url": "https://shop.example.org/",
                "children": [{"type": "text", "text": "here"}],
            },
        ],
    }
]


def text(value: str) -> list[dict[str, Any]]:
    return [{"type": "paragraph", "children": [{"type": "text", "text": value}]}]


@pytest.fixture
def cms(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCms]:
    cms = FakeCms().start()
    monkeypatch.setenv("AIRFLOW_CONN_CMS_API", cms.connection_json())
    try:
        yield cms
    finally:
        cms.stop()


@pytest.fixture
def conf(tmp_path: Path) -> dict[str, Any]:
    return {"target_langs": ["de", "fr"], "work_folder": uri(tmp_path / "work")}


def test_translations_arrive_as_drafts_and_a_persons_versions_stay(
    translate5_simulator: Any, run_example: ExampleRunner, cms: FakeCms, conf: dict[str, Any]
) -> None:
    cms.add("spring-sale", "en", LATER, title="Spring sale", summary="Fish & Chips", body=BODY, slug="sale")
    cms.add("spring-sale", "de", EARLIER, title="Frühlingsangebot", body=text("alt"))  # a person's, older
    cms.add("new-store", "en", EARLIER, title="New store in Graz", body=text("Opening on Friday."))
    cms.add("new-store", "fr", LATER, status="draft", title="Nouveau magasin", body=text("Vendredi."))
    cms.add("careers", "en", EARLIER, status="draft", title="We are hiring", body=text("Join us."))

    run = run_example(DAG_ID, **conf)

    assert run.state == "success", run.states
    needed = {item["path"]: item["target_langs"] for item in run.xcom("fetch_entries")}
    assert needed == {"articles/new-store.xliff": ["de"], "articles/spring-sale.xliff": ["fr"]}
    report = run.xcom("fetch_entries", key="report")
    assert report["drafts_only"] == ["careers"]
    assert [(e["documentId"], e["locale"]) for e in report["left_alone"]] == [("spring-sale", "de")]
    assert sorted((doc, locale, status) for doc, locale, status, _ in cms.puts) == [
        ("new-store", "de", "draft"),
        ("spring-sale", "fr", "draft"),
    ]
    assert cms.version("spring-sale", "fr", "published") is None  # for an editor to review and publish
    french = cms.version("spring-sale", "fr")
    assert french is not None
    assert french["title"] == "[fr] Spring sale"
    assert french["slug"] == "sale"  # not localized: Strapi copies it, the DAG does not translate it
    assert french["body"][0]["children"] == [
        {"type": "text", "text": "[fr] Fish & Chips "},
        {"type": "text", "text": "<b>-50%</b>", "bold": True},
        {"type": "link", "url": "https://shop.example.org/", "children": [{"type": "text", "text": "here"}]},
    ]
    assert cms.version("spring-sale", "de")["title"] == "Frühlingsangebot"  # type: ignore[index]
    assert cms.version("new-store", "fr")["title"] == "Nouveau magasin"  # type: ignore[index]
    assert cms.version("spring-sale", "en")["updatedAt"] == LATER  # type: ignore[index]

    again = run_example(DAG_ID, **conf)

    assert again.state == "success", again.states
    assert again.xcom("fetch_entries") == []
    assert translate5_simulator.requests.count("POST", "/editor/task") == 2

    cms.add("new-store", "en", "2026-11-03T08:00:00.000Z", title="New store in Linz", body=text("Friday."))
    changed = run_example(DAG_ID, **conf)

    assert [item["target_langs"] for item in changed.xcom("fetch_entries")] == [["de"]]  # fr is a person's
    assert cms.version("new-store", "de")["title"] == "[de] New store in Linz"  # type: ignore[index]
    assert cms.version("new-store", "fr")["title"] == "Nouveau magasin"  # type: ignore[index]
    assert translate5_simulator.requests.count("POST", "/editor/task") == 3


def test_publish_and_overwrite_params_and_draft_sources(
    translate5_simulator: Any, run_example: ExampleRunner, cms: FakeCms, conf: dict[str, Any]
) -> None:
    cms.add("careers", "en", LATER, status="draft", title="We are hiring", body=text("Join us."))
    cms.add("careers", "de", EARLIER, title="Alt", body=text("alt"))

    run = run_example(DAG_ID, **conf, source_status="draft", publish=True, overwrite=True)

    assert run.state == "success", run.states
    assert [item["target_langs"] for item in run.xcom("fetch_entries")] == [["de", "fr"]]
    for locale in ("de", "fr"):
        published = cms.version("careers", locale, "published")
        assert published is not None
        assert published["title"] == f"[{locale}] We are hiring"


def test_components_and_dynamic_zones_keep_their_structure(
    translate5_simulator: Any, run_example: ExampleRunner, cms: FakeCms, conf: dict[str, Any]
) -> None:
    cms.add(
        "sale",
        "en",
        LATER,
        title="Sale",
        body=text("Now."),
        seo={"metaTitle": "Sale", "metaDescription": None, "noIndex": True},
        sections=[
            {"__component": "shared.quote", "text": "Best chips.", "style": "highlight"},
            {"__component": "shared.rich-text", "body": BODY},
        ],
    )

    run = run_example(DAG_ID, **{**conf, "target_langs": ["de"]})

    assert run.state == "success", run.states
    german = cms.version("sale", "de")
    assert german is not None
    assert german["seo"]["metaTitle"] == "[de] Sale"
    assert (german["seo"]["metaDescription"], german["seo"]["noIndex"]) == (None, True)
    quote, rich = german["sections"]
    assert (quote["__component"], quote["text"], quote["style"]) == (
        "shared.quote",
        "[de] Best chips.",
        "highlight",
    )
    assert rich["body"][0]["children"][0] == {"type": "text", "text": "[de] Fish & Chips "}
    assert quote["id"] != cms.version("sale", "en")["sections"][0]["id"]  # type: ignore[index]


def test_a_version_a_person_writes_while_in_translation_is_left_alone(
    translate5_simulator: Any, run_example: ExampleRunner, cms: FakeCms, conf: dict[str, Any]
) -> None:
    cms.add("sale", "en", LATER, title="Sale", body=text("Now."))

    def person_writes_german(document_id: str, locale: str) -> None:
        if locale == "de" and cms.version(document_id, "de") is None:
            cms.add(document_id, "de", LATER, status="draft", title="Ausverkauf", body=text("Jetzt."))

    cms.before_read_one = person_writes_german  # between the order and the write-back

    run = run_example(DAG_ID, **conf)

    assert run.state == "success", run.states
    assert [item["target_langs"] for item in run.xcom("fetch_entries")] == [["de", "fr"]]
    assert cms.version("sale", "de")["title"] == "Ausverkauf"  # type: ignore[index]
    assert cms.version("sale", "fr")["title"] == "[fr] Sale"  # type: ignore[index]
    result = run.xcom("write_back")
    assert [(w["documentId"], w["locale"], w["status"]) for w in result["written"]] == [
        ("sale", "fr", "draft")
    ]
    assert [(w["documentId"], w["locale"]) for w in result["left_alone"]] == [("sale", "de")]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fields": ["title", "body", "slug"]}, "'slug' is not localized"),
        ({"fields": ["title"]}, "required localized field(s) body"),
        ({"target_langs": ["de", "DE-at"]}, "Strapi has no locale 'DE-at'"),
        ({"target_langs": ["de", "FR"]}, "did you mean 'fr'?"),
    ],
)
def test_params_that_do_not_fit_strapi_fail_before_anything_is_ordered(
    translate5_simulator: Any,
    run_example: ExampleRunner,
    cms: FakeCms,
    conf: dict[str, Any],
    params: dict[str, Any],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cms.add("sale", "en", LATER, title="Sale", body=text("Now."), slug="sale")

    run = run_example(DAG_ID, **{**conf, **params})

    assert run.state == "failed"
    assert run.task_states("fetch_entries") == ["failed"]  # at once: an Airflow retry cannot fix params
    assert message in capsys.readouterr().out  # the task's failure, as its log shows it
    assert translate5_simulator.requests.count("POST", "/editor/task") == 0
    assert cms.puts == []


def test_strapis_own_error_fails_the_write_without_retry(
    translate5_simulator: Any,
    run_example: ExampleRunner,
    cms: FakeCms,
    conf: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    cms.add("sale", "en", LATER, title="Sale", body=text("Now."))
    message = "title must be at most 60 characters"  # e.g. a maxLength the translation exceeds
    cms.refuse_next_put = StrapiError(400, "ValidationError", message, {"errors": [{"path": ["title"]}]})

    run = run_example(DAG_ID, **{**conf, "target_langs": ["de"]})

    assert run.state == "failed"
    assert run.task_states("write_back") == ["failed"]
    assert f"400 ValidationError: {message}" in capsys.readouterr().out
    assert [request for request in cms.requests if request[0] == "PUT"] == [("PUT", "/api/articles/sale")]


def test_api_errors_name_strapis_status_error_and_fix(cms: FakeCms, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(EXAMPLE_DAGS))
    import strapi
    from airflow.sdk.exceptions import AirflowFailException

    monkeypatch.setenv("AIRFLOW_CONN_CMS_API", cms.connection_json(token=None))
    with pytest.raises(
        strapi.StrapiRequestError, match=r"403 ForbiddenError: Forbidden \(the request had no API token"
    ):
        strapi.StrapiApi().locales()
    monkeypatch.setenv("AIRFLOW_CONN_CMS_API", cms.connection_json(token=TOKEN + "x"))
    with pytest.raises(AirflowFailException, match="401 UnauthorizedError: Missing or invalid credentials"):
        strapi.StrapiApi().locales()
    monkeypatch.setenv("AIRFLOW_CONN_CMS_API", cms.connection_json())
    assert list(strapi.StrapiApi().entries("articles", "en", "published", {})) == []  # pageCount 0
