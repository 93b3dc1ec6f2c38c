"""The fake Strapi of the unit tests (``tests/examples/fake_cms.py``) answers like the real Strapi 5.54.

Every test here runs twice, against the real Strapi of ``make cms-test`` and against the fake, with the same
requests and the same expectations. Elsewhere the real half is skipped; the fake half always runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from fake_cms import TOKEN, FakeCms

BODY = [{"type": "paragraph", "children": [{"type": "text", "text": "Now."}]}]


@dataclass
class Server:
    base_url: str
    token: str

    def call(self, method: str, path: str, token: str | None = "", **kwargs: Any) -> tuple[int, Any]:
        headers = {} if token is None else {"Authorization": f"Bearer {token or self.token}"}
        response = requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)
        return response.status_code, (response.json() if response.content else None)

    def error(self, method: str, path: str, **kwargs: Any) -> tuple[int, str, str]:
        status, body = self.call(method, path, **kwargs)
        return status, body["error"]["name"], body["error"]["message"]

    def clear(self) -> None:
        for status in ("draft", "published"):
            for locale in ("en", "de", "fr", "xx"):
                _, body = self.call("GET", "/api/articles", params={"locale": locale, "status": status})
                for entry in body["data"]:
                    self.call("DELETE", f"/api/articles/{entry['documentId']}", params={"locale": "*"})


@pytest.fixture(params=["strapi", "fake"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "fake":
        fake = FakeCms(max_page_size=100).start()
        try:
            yield Server(fake.base_url, TOKEN)
        finally:
            fake.stop()
        return
    if os.environ.get("TRANSLATE5_CMS_TEST") != "1":
        pytest.skip("needs Node.js and the Strapi project: run `make cms-test`")
    strapi = request.getfixturevalue("strapi_server")
    real = Server(strapi.base_url, strapi.token)
    real.clear()
    yield real


def test_listing_paging_auth_and_query_errors(server: Server) -> None:
    status, body = server.call("GET", "/api/articles", params={"locale": "en"})
    assert (status, body["data"], body["meta"]["pagination"]["pageCount"]) == (200, [], 0)
    assert server.error("GET", "/api/articles", token=None) == (403, "ForbiddenError", "Forbidden")
    wrong = server.error("GET", "/api/articles", token="wrong")
    assert wrong == (401, "UnauthorizedError", "Missing or invalid credentials")
    nope = server.error("GET", "/api/articles", params={"populate[nope]": "true"})
    assert nope == (400, "ValidationError", "Invalid key nope")
    assert server.error("GET", "/api/articles/nope", params={"locale": "en"}) == (
        404,
        "NotFoundError",
        "Not Found",
    )
    _, locales = server.call("GET", "/api/i18n/locales")
    assert sorted(locale["code"] for locale in locales) == ["de", "en", "fr"]


def test_schema_answers_what_the_dag_reads(server: Server) -> None:
    _, types = server.call("GET", "/api/content-type-builder/content-types")
    (article,) = [t for t in types["data"] if t["uid"].startswith("api::")]
    schema = article["schema"]
    assert (article["uid"], schema["pluralName"], schema["draftAndPublish"]) == (
        "api::article.article",
        "articles",
        True,
    )
    assert schema["pluginOptions"] == {"i18n": {"localized": True}}
    assert schema["attributes"] == FakeCms().attributes
    _, components = server.call("GET", "/api/content-type-builder/components")
    assert sorted(c["uid"] for c in components["data"]) == ["shared.quote", "shared.rich-text", "shared.seo"]


def test_drafts_locales_components_and_validation(server: Server) -> None:
    data = {"title": "Sale", "body": BODY, "slug": "sale", "seo": {"metaTitle": "M", "noIndex": True}}
    status, created = server.call("POST", "/api/articles", params={"locale": "en"}, json={"data": data})
    assert status == 201
    doc = created["data"]["documentId"]
    assert "seo" not in created["data"]  # components only when populated
    _, drafts = server.call(
        "GET", "/api/articles", params={"locale": "en", "status": "draft", "populate[seo]": "1"}
    )
    (english,) = drafts["data"]
    assert english["publishedAt"] is None
    assert english["seo"]["metaTitle"] == "M"
    url = f"/api/articles/{doc}"

    status, german = server.call(
        "PUT", url, params={"locale": "de", "status": "draft"}, json={"data": {"title": "T"}}
    )
    assert status == 200  # drafts skip the required-field check
    assert (german["data"]["slug"], german["data"]["body"], german["data"]["publishedAt"]) == (
        "sale",
        None,
        None,
    )
    assert server.error("GET", url, params={"locale": "de"})[0] == 404  # no published German version
    _, published_de = server.call("GET", "/api/articles", params={"locale": "de"})
    assert published_de["meta"]["pagination"]["pageCount"] == 0

    bad_block = {"data": {"body": [{"type": "paragraph"}]}}
    assert server.error("PUT", url, params={"locale": "de", "status": "draft"}, json=bad_block) == (
        400,
        "ValidationError",
        "body[0].children is a required field",
    )
    assert server.error("PUT", url, params={"locale": "fr"}, json={"data": {"title": "T"}}) == (
        400,
        "ValidationError",
        "body must be a `array` type, but the final value was: `null`.",
    )
    foreign_component = {"data": {"seo": {"id": english["seo"]["id"], "metaTitle": "X"}}}
    assert server.error("PUT", url, params={"locale": "de", "status": "draft"}, json=foreign_component) == (
        400,
        "ApplicationError",
        "Some of the provided components in seo are not related to the entity",
    )
    unknown = server.error("PUT", url, params={"locale": "de", "status": "draft"}, json={"data": {"nope": 1}})
    assert unknown == (400, "ValidationError", "Invalid key nope")

    # A locale Strapi does not have: 200, and a version the locale list does not show.
    status, _ = server.call(
        "PUT", url, params={"locale": "xx", "status": "draft"}, json={"data": {"title": "X"}}
    )
    assert status == 200
    _, locales = server.call("GET", "/api/i18n/locales")
    assert "xx" not in [locale["code"] for locale in locales]

    # A non-localized field written through German changes English too, and English's updatedAt.
    server.call("PUT", url, params={"locale": "de", "status": "draft"}, json={"data": {"slug": "sale-de"}})
    _, after = server.call("GET", url, params={"locale": "en", "status": "draft"})
    assert after["data"]["slug"] == "sale-de"
    assert after["data"]["updatedAt"] > english["updatedAt"]
