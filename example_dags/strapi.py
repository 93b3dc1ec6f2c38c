"""Strapi 5's REST API as the REST CMS example uses it: entries per locale, drafts, schema, locales, errors.

Everything Strapi-specific of ``translate5_rest_cms`` lives here and in :mod:`strapi_xliff` (entries to XLIFF
and back); the provider itself knows no CMS. Adapt these two modules for another CMS.

What Strapi 5 does that this module accounts for (seen on a real Strapi 5.54):

- Every locale of a document has a *draft* version; a *published* version exists once it was published.
  ``GET /api/<collection>`` answers published versions unless ``status=draft`` is asked for.
- ``PUT /api/<collection>/<documentId>?locale=de`` creates or updates the German draft and publishes it;
  with ``status=draft`` it only saves the draft, so an editor can review it. Drafts skip the required-field
  check, and a draft PUT quietly stores ``null`` for some invalid values: what was stored is read back.
- A PUT to a locale that is not configured answers 200 and creates a version the admin does not show;
  ``GET /api/i18n/locales`` says which locales exist.
- Writing a field that is not localized writes it into every locale (the source included) and bumps their
  ``updatedAt``; the schema (``GET /api/content-type-builder/content-types``, open to a full-access API
  token) says which fields are localized.
- Errors come as ``{"error": {"status", "name", "message", "details"}}``; a request without a token gets
  403 (the public role), a wrong token 401.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

if TYPE_CHECKING:
    import requests

CMS_CONN_ID = "cms_api"
#: Attribute types whose value is text a translator translates.
TEXT_TYPES = frozenset({"string", "text", "richtext"})
BLOCKS = "blocks"
#: Attribute types that hold other attributes; their text attributes are translated, the rest is kept.
NESTED_TYPES = frozenset({"component", "dynamiczone"})
#: Answers an Airflow retry may fix (timeouts, rate limits); any other 4xx fails the task at once.
RETRYABLE_CLIENT_STATUSES = frozenset({408, 425, 429})
_HINTS = {
    401: "the API token in connection 'cms_api' is wrong, expired or revoked",
    403: "the request had no API token, or the token may not do this (use a full-access token)",
}


class StrapiError(Exception):
    """An answer of Strapi that is not a success, with Strapi's own status, error name and message.

    Server errors (5xx) and 408/425/429 stay plain exceptions so Airflow retries the task.
    """

    def __init__(self, method: str, path: str, status: int, name: str, message: str) -> None:
        hint = _HINTS.get(status)
        super().__init__(
            f"Strapi answered {method} {path} with {status} {name}: {message}"
            + (f" ({hint})" if hint else "")
        )
        self.status, self.name, self.message = status, name, message


class StrapiRequestError(StrapiError, AirflowFailException):
    """A 4xx answer (validation error, unknown entry, no permission): a retry of the request cannot help."""


class StrapiContentError(AirflowFailException, ValueError):
    """The DAG's params do not fit the content type or the locales Strapi has; the message names the fix."""


def raise_for_error(response: requests.Response) -> None:
    """Turn a non-2xx answer into :class:`StrapiError` carrying Strapi's ``error`` object."""
    if response.ok:
        return
    name, message = response.reason or "Error", response.text[:300]
    try:
        error = response.json().get("error")
    except ValueError:
        error = None
    if isinstance(error, Mapping):
        name = str(error.get("name") or name)
        message = str(error.get("message") or message)
        details = error.get("details") or {}
        problems = [str(e.get("message")) for e in details.get("errors", []) if isinstance(e, Mapping)]
        if len(problems) > 1:
            message += " [" + "; ".join(problems) + "]"
    elif isinstance(error, str):
        message = error  # the content-type builder answers {"error": "contentType.notFound"}
    path = response.request.path_url if response.request is not None else response.url
    status = response.status_code
    retryable = status >= 500 or status in RETRYABLE_CLIENT_STATUSES
    raise (StrapiError if retryable else StrapiRequestError)(
        str(response.request.method if response.request else "?"), str(path), status, name, message
    )


@dataclass(frozen=True)
class Schema:
    """A content type's attributes and those of the components it uses, as Strapi's schema API answers."""

    uid: str
    collection: str
    attributes: Mapping[str, Mapping[str, Any]]
    components: Mapping[str, Mapping[str, Mapping[str, Any]]]
    localized: bool
    draft_and_publish: bool

    def is_localized(self, field: str) -> bool:
        options = self.attributes[field].get("pluginOptions") or {}
        return bool((options.get("i18n") or {}).get("localized", False))

    def component(self, uid: str) -> Mapping[str, Mapping[str, Any]]:
        if uid not in self.components:
            raise StrapiContentError(f"{self.collection}: Strapi did not list the component {uid!r}")
        return self.components[uid]

    def holds_text(self, attribute: Mapping[str, Any], seen: frozenset[str] = frozenset()) -> bool:
        """Whether an attribute is text, or a component/dynamic zone with text somewhere inside."""
        kind = attribute.get("type")
        if kind in TEXT_TYPES or kind == BLOCKS:
            return True
        uids = [attribute["component"]] if kind == "component" else list(attribute.get("components", []))
        return any(
            self.holds_text(inner, seen | {uid})
            for uid in uids
            if uid not in seen
            for inner in self.component(uid).values()
        )

    def translatable_fields(self, requested: Sequence[str] | None) -> list[str]:
        """The fields to translate: ``requested``, checked, or every localized field that holds text.

        Refuses, before anything is ordered: an unknown field; a field that is not localized (Strapi would
        write its translation into every locale, the source included); one that holds no text; and leaving
        out a required localized text field (the translated version could not be published without it).
        """
        if not self.localized:
            raise StrapiContentError(
                f"{self.collection} is not localized in Strapi (enable Internationalization on the type)"
            )
        candidates = [f for f, a in self.attributes.items() if self.is_localized(f) and self.holds_text(a)]
        if requested is None:
            return candidates
        problems = []
        for field in requested:
            if field not in self.attributes:
                problems.append(
                    f"{field!r} is not a field of {self.collection} ({', '.join(self.attributes)})"
                )
            elif not self.is_localized(field):
                problems.append(
                    f"{field!r} is not localized in Strapi: a translation written to it would replace it in "
                    "every locale, the source included"
                )
            elif field not in candidates:
                problems.append(f"{field!r} holds no text ({self.attributes[field].get('type')})")
        missing = [f for f in candidates if self.attributes[f].get("required") and f not in requested]
        if missing:
            problems.append(f"required localized field(s) {', '.join(missing)} must be translated too")
        if problems:
            raise StrapiContentError(f"param fields does not fit {self.collection}: " + "; ".join(problems))
        return list(requested)

    def populate(self, fields: Sequence[str]) -> dict[str, str]:
        """Query parameters that make Strapi return the components and dynamic zones among ``fields``.

        Strapi answers neither unless asked; nested components are asked for level by level.
        """
        params: dict[str, str] = {}
        for field in fields:
            self._populate(self.attributes[field], f"populate[{field}]", params, frozenset())
        return params

    def _populate(
        self, attribute: Mapping[str, Any], prefix: str, params: dict[str, str], seen: frozenset[str]
    ) -> None:
        kind = attribute.get("type")
        if kind == "component":
            uid = attribute["component"]
            nested = self._nested(uid, seen)
            if not nested:
                params[prefix] = "true"
            for name in nested:
                self._populate(self.component(uid)[name], f"{prefix}[populate][{name}]", params, seen | {uid})
        elif kind == "dynamiczone":
            uids = list(attribute.get("components", []))
            inside = {uid: self._nested(uid, seen) for uid in uids}
            if not any(inside.values()):
                params[prefix] = "true"
                return
            for uid in uids:  # with "on", Strapi answers only the components named (seen on 5.54)
                if not inside[uid]:
                    params[f"{prefix}[on][{uid}]"] = "true"
                for name in inside[uid]:
                    attr = self.component(uid)[name]
                    self._populate(attr, f"{prefix}[on][{uid}][populate][{name}]", params, seen | {uid})

    def _nested(self, uid: str, seen: frozenset[str]) -> list[str]:
        attributes = self.component(uid)
        unsupported = [n for n, a in attributes.items() if a.get("type") in ("relation", "media")]
        if unsupported:
            raise StrapiContentError(
                f"component {uid} has media or relation fields ({', '.join(unsupported)}): this example "
                "copies no media or relations into other locales; leave the field out of param fields"
            )
        return [n for n, a in attributes.items() if a.get("type") in NESTED_TYPES and uid not in seen]


class StrapiApi:
    """The Strapi 5 calls the DAG makes, on one session with the connection's API token."""

    def __init__(self, conn_id: str = CMS_CONN_ID) -> None:
        import requests
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(conn_id)
        if not conn.host or "://" not in conn.host:
            raise StrapiContentError(f"connection {conn_id!r}: host must be the CMS base URL with scheme")
        self.base_url = conn.host.rstrip("/")
        self.timeout = float(conn.extra_dejson.get("timeout", 30))
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if conn.password:
            self.session.headers["Authorization"] = f"Bearer {conn.password}"

    def _call(self, method: str, path: str, params: Mapping[str, str], body: Any = None) -> Any:
        response = self.session.request(
            method, f"{self.base_url}{path}", params=dict(params), json=body, timeout=self.timeout
        )
        raise_for_error(response)
        return response.json()

    def locales(self) -> list[str]:
        """The locale codes configured in Strapi's Internationalization settings."""
        return [str(locale["code"]) for locale in self._call("GET", "/api/i18n/locales", {})]

    def schema(self, collection: str) -> Schema:
        """The content type served at ``/api/<collection>`` (its plural API id) and its components."""
        types = self._call("GET", "/api/content-type-builder/content-types", {})["data"]
        matches = [
            t for t in types if t["uid"].startswith("api::") and t["schema"]["pluralName"] == collection
        ]
        if not matches:
            names = sorted(t["schema"]["pluralName"] for t in types if t["uid"].startswith("api::"))
            raise StrapiContentError(f"Strapi has no collection {collection!r} (it has: {', '.join(names)})")
        schema = matches[0]["schema"]
        components = self._call("GET", "/api/content-type-builder/components", {})["data"]
        return Schema(
            uid=matches[0]["uid"],
            collection=collection,
            attributes=schema["attributes"],
            components={c["uid"]: c["schema"]["attributes"] for c in components},
            localized=bool(((schema.get("pluginOptions") or {}).get("i18n") or {}).get("localized")),
            draft_and_publish=bool(schema.get("draftAndPublish")),
        )

    def entries(
        self, collection: str, locale: str, status: str, populate: Mapping[str, str]
    ) -> Iterator[dict[str, Any]]:
        """Every entry of a collection in one locale and status (``draft`` or ``published``), page by page."""
        page, page_count = 1, 1
        while page <= page_count:  # an empty collection answers pageCount 0
            params = {"locale": locale, "status": status, "pagination[page]": str(page)}
            body = self._call(
                "GET", f"/api/{collection}", {**params, "pagination[pageSize]": "100", **populate}
            )
            yield from body["data"]
            page_count = int(body["meta"]["pagination"]["pageCount"])
            page += 1

    def draft(
        self, collection: str, document_id: str, locale: str, populate: Mapping[str, str]
    ) -> dict[str, Any] | None:
        """The draft of one locale version, or None when that locale has none."""
        try:
            body = self._call(
                "GET", f"/api/{collection}/{document_id}", {"locale": locale, "status": "draft", **populate}
            )
        except StrapiRequestError as error:
            if error.status == 404:
                return None
            raise
        return dict(body["data"])

    def put(
        self,
        collection: str,
        document_id: str,
        locale: str,
        data: Mapping[str, Any],
        publish: bool,
        populate: Mapping[str, str],
    ) -> dict[str, Any]:
        """Create or update the ``locale`` version (a draft unless ``publish``); returns what was stored."""
        params = {"locale": locale, "status": "published" if publish else "draft", **populate}
        return dict(
            self._call("PUT", f"/api/{collection}/{document_id}", params, {"data": dict(data)})["data"]
        )


def check_locales(available: Sequence[str], source_lang: str, target_langs: Sequence[str]) -> None:
    """Refuse locales Strapi does not have: a PUT to one would create a version the admin never shows."""
    problems = []
    for lang in [source_lang, *target_langs]:
        if lang not in available:
            close = [code for code in available if code.lower() == lang.lower()]
            problems.append(f"{lang!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    if problems:
        raise StrapiContentError(
            f"Strapi has no locale {', '.join(problems)}; it has {', '.join(available)} "
            "(Settings > Internationalization)"
        )
    if source_lang in target_langs:
        raise StrapiContentError(f"the source locale {source_lang!r} is among the target locales")


def fingerprint(entry: Mapping[str, Any], fields: Sequence[str]) -> str:
    """Hash of what ``fields`` hold, without Strapi's row ids (they change whenever a component is saved)."""
    return hashlib.sha256(
        json.dumps({f: without_ids(entry.get(f)) for f in fields}, sort_keys=True).encode()
    ).hexdigest()


def without_ids(value: Any) -> Any:
    """A field's value without the ``id`` of its components (ids belong to one locale's rows)."""
    if isinstance(value, Mapping):
        return {k: without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


# Who wrote a locale version. Strapi does not tell an API client whether a person or this DAG wrote a
# version, so the DAG keeps a record beside its XLIFF files: for each version it wrote, the source it
# translated and a fingerprint of what Strapi stored. A version whose content still has that fingerprint is
# the DAG's own (an editor may have published it unchanged); any other existing version is a person's.
# Without the record (lost, or a new work folder) every existing version counts as a person's: the safe side.

RECORD_NAME = "strapi-written.json"


def record_key(collection: str, document_id: str, locale: str) -> str:
    return f"{collection}/{document_id}/{locale}"


def needs_writing(
    target: Mapping[str, Any] | None,
    written: Mapping[str, str] | None,
    source_sha256: str,
    source_updated_at: str | None,
    fields: Sequence[str],
    overwrite: bool,
) -> tuple[bool, str | None]:
    """Whether a locale version should get the translation of the source, and a note when a person's stays.

    Missing: yes. The DAG's own, unchanged since: yes if it translates an older source. A person's (draft or
    published): never, unless ``overwrite`` and it is older than the source.
    """
    if target is None:
        return True, None
    if written is not None and written.get("target") == fingerprint(target, fields):
        return written.get("source") != source_sha256, None
    if not _older(target.get("updatedAt"), source_updated_at):
        return False, None
    if overwrite:
        return True, "written in the CMS and older than the source: replaced (param overwrite)"
    return (
        False,
        "written or edited in the CMS and older than the source: left alone (param overwrite replaces it)",
    )


def _older(updated_at: Any, than: str | None) -> bool:
    # ISO 8601 UTC stamps as Strapi writes them ("2026-11-20T09:15:00.000Z") sort as text.
    return isinstance(updated_at, str) and than is not None and updated_at < than
