"""``translate5_rest_cms`` against a real Strapi 5 and the translate5 simulator; Strapi is read back after.

Content is written the way an editor's work arrives in Strapi (through its REST API with the API token);
what the DAG did is read back through the same API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import harness
import pytest
import requests

from examples_support import uri

pytestmark = [pytest.mark.integration, pytest.mark.dagrun]

DAG_ID = "translate5_rest_cms"

BODY = [
    {
        "type": "paragraph",
        "children": [
            {"type": "text", "text": "Fish & Chips "},
            {"type": "text", "text": "-50%", "bold": True, "italic": True},
            {"type": "text", "text": " in all "},
            {
                "type": "link",
                "url": "https://shop.example.org/",
                "children": [{"type": "text", "text": "stores"}],
            },
        ],
    },
    {"type": "heading", "level": 2, "children": [{"type": "text", "text": "Größen"}]},
    {
        "type": "list",
        "format": "unordered",
        "children": [
            {"type": "list-item", "children": [{"type": "text", "text": "small"}]},
            {"type": "list-item", "children": [{"type": "text", "text": "large", "code": True}]},
        ],
    },
    {"type": "code", "children": [{"type": "text", "text": "print('not translated')"}]},
]


class Articles:
    """The ``articles`` collection of the test Strapi, as an editor and a reader use it."""

    def __init__(self, strapi: harness.Strapi) -> None:
        self.url = f"{strapi.base_url}/api/articles"
        self.session = strapi.api()

    def _check(self, response: requests.Response) -> Any:
        assert response.ok, (response.status_code, response.text)
        return response.json()

    def clear(self) -> None:
        for status in ("draft", "published"):
            for locale in ("en", "de", "fr"):
                body = self._check(self.session.get(self.url, params={"locale": locale, "status": status}))
                for entry in body["data"]:
                    self.session.delete(f"{self.url}/{entry['documentId']}", params={"locale": "*"})

    def create(self, slug: str, title: str, publish: bool = True, **fields: Any) -> str:
        data = {"slug": slug, "title": title, "body": BODY, **fields}
        params = {"locale": "en", "status": "published" if publish else "draft"}
        return str(
            self._check(self.session.post(self.url, params=params, json={"data": data}))["data"]["documentId"]
        )

    def write(self, document_id: str, locale: str, publish: bool, **data: Any) -> dict[str, Any]:
        params = {"locale": locale, "status": "published" if publish else "draft"}
        body = self._check(self.session.put(f"{self.url}/{document_id}", params=params, json={"data": data}))
        return dict(body["data"])

    def get(self, document_id: str, locale: str, status: str) -> dict[str, Any] | None:
        params = {"locale": locale, "status": status, "populate[seo]": "true", "populate[sections]": "true"}
        response = self.session.get(f"{self.url}/{document_id}", params=params)
        if response.status_code == 404:
            return None
        return dict(self._check(response)["data"])

    def locales_of(self, document_id: str, status: str) -> list[str]:
        return sorted(
            locale
            for locale in ("en", "de", "fr")
            if self.session.get(f"{self.url}/{document_id}", params={"locale": locale, "status": status}).ok
        )


@pytest.fixture
def articles(strapi_server: harness.Strapi, monkeypatch: pytest.MonkeyPatch) -> Articles:
    """An empty ``articles`` collection, and the DAG's connection ``cms_api`` to it."""
    connection = {"conn_type": "generic", "host": strapi_server.base_url, "password": strapi_server.token}
    monkeypatch.setenv("AIRFLOW_CONN_CMS_API", json.dumps(connection))
    collection = Articles(strapi_server)
    collection.clear()
    return collection


def test_drafts_components_and_rich_text_round_trip_and_a_persons_draft_survives(
    translate5_simulator: Any, run_example: Any, articles: Articles, tmp_path: Path
) -> None:
    sale = articles.create(
        "spring-sale",
        "Spring sale",
        summary="Everything must go.",
        seo={"metaTitle": "Sale", "metaDescription": "Cheap fish", "noIndex": True},
        sections=[
            {"__component": "shared.quote", "text": "Best chips in town.", "style": "highlight"},
            {"__component": "shared.rich-text", "body": BODY[:2]},
        ],
    )
    store = articles.create("new-store", "New store in Graz", summary="Opening on Friday.")
    persons = articles.write(store, "de", publish=False, title="Neuer Laden in Graz", body=BODY[:1])
    careers = articles.create("careers", "We are hiring", publish=False)
    english_before = articles.get(sale, "en", "draft")
    conf = {"target_langs": ["de", "fr"], "work_folder": uri(tmp_path / "work")}

    run = run_example(DAG_ID, **conf)

    assert run.state == "success", run.states
    needed = {item["path"]: item["target_langs"] for item in run.xcom("fetch_entries")}
    assert needed == {f"articles/{sale}.xliff": ["de", "fr"], f"articles/{store}.xliff": ["fr"]}
    assert run.xcom("fetch_entries", key="report")["drafts_only"] == [careers]
    # Translations arrive as drafts: nothing new is published.
    assert articles.locales_of(sale, "published") == ["en"]
    assert articles.locales_of(sale, "draft") == ["de", "en", "fr"]
    german = articles.get(sale, "de", "draft")
    assert german is not None
    assert german["title"] == "[de] Spring sale"
    assert german["summary"] == "[de] Everything must go."
    assert german["slug"] == "spring-sale"  # not localized: Strapi's own copy, not translated
    # Rich text comes back as blocks with its formatting and links where the source had them.
    paragraph, heading, bullets, code = german["body"]
    assert paragraph["children"] == [
        {"type": "text", "text": "[de] Fish & Chips "},
        {"type": "text", "text": "-50%", "bold": True, "italic": True},
        {"type": "text", "text": " in all "},
        {
            "type": "link",
            "url": "https://shop.example.org/",
            "children": [{"type": "text", "text": "stores"}],
        },
    ]
    assert heading == {"type": "heading", "level": 2, "children": [{"type": "text", "text": "[de] Größen"}]}
    assert [item["children"] for item in bullets["children"]] == [
        [{"type": "text", "text": "[de] small"}],
        [{"type": "text", "text": "[de] "}, {"type": "text", "text": "large", "code": True}],
    ]
    assert code == BODY[3]
    # Components: text translated, the rest kept.
    assert {k: v for k, v in german["seo"].items() if k != "id"} == {
        "metaTitle": "[de] Sale",
        "metaDescription": "[de] Cheap fish",
        "noIndex": True,
    }
    quote, rich = german["sections"]
    assert (quote["__component"], quote["text"], quote["style"]) == (
        "shared.quote",
        "[de] Best chips in town.",
        "highlight",
    )
    assert rich["body"][1]["children"] == [{"type": "text", "text": "[de] Größen"}]
    # The person's German draft is untouched; French was missing and arrives as a draft.
    assert articles.get(store, "de", "draft") == {**persons, "seo": None, "sections": []}
    french = articles.get(store, "fr", "draft")
    assert french is not None
    assert french["title"] == "[fr] New store in Graz"
    # The source is unchanged (not even its updatedAt).
    assert articles.get(sale, "en", "draft") == english_before
    assert translate5_simulator.requests.count("POST", "/editor/task") == 2

    again = run_example(DAG_ID, **conf)

    assert again.state == "success", again.states
    assert again.xcom("fetch_entries") == []
    assert translate5_simulator.requests.count("POST", "/editor/task") == 2

    articles.write(sale, "de", publish=True)  # an editor reviews the German draft and publishes it as it is
    articles.write(sale, "en", publish=True, title="Spring sale, extended")
    changed = run_example(DAG_ID, **conf)

    assert changed.state == "success", changed.states
    assert {item["path"]: item["target_langs"] for item in changed.xcom("fetch_entries")} == {
        f"articles/{sale}.xliff": ["de", "fr"]
    }
    assert articles.get(sale, "fr", "draft")["title"] == "[fr] Spring sale, extended"  # type: ignore[index]
    # The published German version stays until the editor publishes the new draft.
    assert articles.get(sale, "de", "draft")["title"] == "[de] Spring sale, extended"  # type: ignore[index]
    assert articles.get(sale, "de", "published")["title"] == "[de] Spring sale"  # type: ignore[index]
    assert articles.get(store, "de", "draft") == {**persons, "seo": None, "sections": []}
    assert translate5_simulator.requests.count("POST", "/editor/task") == 3


def test_translations_are_published_when_asked(
    translate5_simulator: Any, run_example: Any, articles: Articles, tmp_path: Path
) -> None:
    sale = articles.create("sale", "Sale")

    run = run_example(DAG_ID, target_langs=["de", "fr"], publish=True, work_folder=uri(tmp_path / "work"))

    assert run.state == "success", run.states
    assert articles.locales_of(sale, "published") == ["de", "en", "fr"]
    assert articles.get(sale, "fr", "published")["title"] == "[fr] Sale"  # type: ignore[index]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fields": ["title", "body", "slug"]}, "'slug' is not localized in Strapi"),
        ({"target_langs": ["de", "xx"]}, "Strapi has no locale 'xx'"),
    ],
)
def test_a_non_localized_field_or_an_unknown_locale_fails_before_any_order(
    translate5_simulator: Any,
    run_example: Any,
    articles: Articles,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    params: dict[str, Any],
    message: str,
) -> None:
    sale = articles.create("sale", "Sale")

    run = run_example(DAG_ID, **{"target_langs": ["de"], "work_folder": uri(tmp_path / "work"), **params})

    assert run.state == "failed"
    assert run.task_states("fetch_entries") == ["failed"]
    assert message in capsys.readouterr().out
    assert translate5_simulator.requests.count("POST", "/editor/task") == 0
    assert articles.locales_of(sale, "draft") == ["en"]
    assert articles.get(sale, "en", "draft")["slug"] == "sale"  # type: ignore[index]


def test_strapis_errors_carry_its_status_name_and_message(
    strapi_server: harness.Strapi, articles: Articles, monkeypatch: pytest.MonkeyPatch
) -> None:
    import strapi
    from airflow.sdk.exceptions import AirflowFailException

    api = strapi.StrapiApi()
    assert list(api.entries("articles", "en", "published", {})) == []  # pageCount 0 ends the listing
    sale = articles.create("sale", "Sale")
    with pytest.raises(AirflowFailException) as refused:  # a validation error: no Airflow retry
        api.put("articles", sale, "de", {"body": [{"type": "paragraph"}]}, publish=False, populate={})
    assert isinstance(refused.value, strapi.StrapiRequestError)
    assert (refused.value.status, refused.value.name) == (400, "ValidationError")
    assert "body[0].children is a required field" in str(refused.value)
    connection = {"conn_type": "generic", "host": strapi_server.base_url}
    monkeypatch.setenv("AIRFLOW_CONN_CMS_API", json.dumps(connection))
    with pytest.raises(strapi.StrapiRequestError, match="403 ForbiddenError: Forbidden"):
        strapi.StrapiApi().locales()
    monkeypatch.setenv("AIRFLOW_CONN_CMS_API", json.dumps({**connection, "password": "wrong"}))
    with pytest.raises(
        strapi.StrapiRequestError, match="401 UnauthorizedError: Missing or invalid credentials"
    ):
        strapi.StrapiApi().locales()
