"""Language resources (TMs, MT engines, term collections) and their assignment to tasks.

Pre-translation and match analysis use only the resources assigned to a task. Instances are listed at
``GET /editor/languageresourceinstance`` (``LanguageresourceinstanceController::indexAction``); the resources
that fit a task's languages, each with its assignment id ``taskassocid`` (null when not assigned), at
``GET /editor/languageresourcetaskassoc?filter=[taskGuid eq …]`` (``LanguageresourcetaskassocController``,
``TaskAssociation::loadByAssociatedTaskAndLanguage``). ``POST`` there assigns; a duplicate assignment
answers the existing one, so assigning again is safe (transcripts part 2, §113).

translate5 accepts ANY resource for any task, and afterwards leaves one whose languages or customer do not fit
out of the task's list (§160/161): analyses use it, yet nobody sees it there, nor can unassign it from there.
So the client refuses such an assignment before it sends anything: the task's list is the rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_translate5.client._calls import ClientCalls
from airflow_provider_translate5.client.coerce import to_int, to_str
from airflow_provider_translate5.client.errors import Translate5ValueError
from airflow_provider_translate5.client.filters import Filter, encode_filters
from airflow_provider_translate5.client.models import record

INSTANCES_PATH = "/editor/languageresourceinstance"
ASSOC_PATH = "/editor/languageresourcetaskassoc"


@dataclass(frozen=True)
class LanguageResource:
    """A TM, MT engine or term collection (``resource_type`` ``tm``, ``mt``, ``termcollection``).

    Rows of the task-assignment list carry ``assoc_id`` (``taskassocid``): set when the resource is assigned
    to that task, None when it only could be. Languages are translate5 language ids: all of the resource's in
    the instance list (lists there), the task's pair in the task's list (single ids there, §110/§111).
    """

    id: int
    name: str
    service_name: str
    resource_type: str
    assoc_id: int | None
    source_langs: tuple[int, ...]
    target_langs: tuple[int, ...]
    customer_ids: tuple[int, ...]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> LanguageResource:
        raw = record(data, "language resource")
        return cls(
            id=to_int(raw.get("languageResourceId", raw.get("id"))) or 0,
            name=to_str(raw.get("name")) or "",
            service_name=to_str(raw.get("serviceName")) or "",
            resource_type=to_str(raw.get("resourceType")) or "",
            assoc_id=to_int(raw.get("taskassocid")),
            source_langs=_ids(raw.get("sourceLang")),
            target_langs=_ids(raw.get("targetLang")),
            customer_ids=_ids(raw.get("customerIds", raw.get("customerId"))),
            raw=raw,
        )


def _ids(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(number for number in (to_int(item) for item in items) if number is not None)


def _resource_id(value: Any) -> int:
    number = to_int(value)
    if number is None or number <= 0 or isinstance(value, bool):
        raise Translate5ValueError(f"a language resource id must be a positive number, got {value!r}")
    return number


class LanguageResourceMixin(ClientCalls):
    """Language resources and task assignments (mixed into :class:`Translate5Client`)."""

    def list_language_resources(self) -> list[LanguageResource]:
        """Every language resource the API user may use (all services, all languages)."""
        resources, _payload = self._many(LanguageResource.from_api, "GET", INSTANCES_PATH)
        return resources

    def resolve_language_resource(self, reference: str | int) -> LanguageResource:
        """A language resource by id or by name (case-insensitive); exactly one must match."""
        return _resolve(reference, self.list_language_resources())

    def task_language_resources(self, task_guid: str) -> list[LanguageResource]:
        """Resources that fit the task's languages and customer; ``assoc_id`` is set on those assigned to it.

        A resource assigned although it does not fit is not listed (§161): the client never makes one.
        """
        params = {"filter": encode_filters([Filter.eq("taskGuid", _guid(task_guid))])}
        resources, _payload = self._many(LanguageResource.from_api, "GET", ASSOC_PATH, params=params)
        return resources

    def fitting_language_resources(
        self, task_guid: str, references: Sequence[str | int]
    ) -> list[LanguageResource]:
        """The task's rows of these resources (by name or id, each once); one that does not fit is an error.

        Nothing is assigned: a DAG checks every task of a project with this before it assigns any.
        """
        available = self.list_language_resources()
        resolved = [_resolve(reference, available) for reference in references]
        wanted = list({resource.id: resource for resource in resolved}.values())  # "TM" and its id: once
        return self._fitting(_guid(task_guid), wanted, available)

    def assign_language_resource(
        self, task_guid: str, language_resource_id: int, *, segments_updateable: bool = False
    ) -> dict[str, Any]:
        """Assign a resource to a task; answers the association (the same one when it exists already).

        A resource that does not fit the task's languages or customer is refused before the request:
        translate5 would accept it and then hide it (§160/161).

        :param segments_updateable: let translators' edits update the TM (only for writable resources;
            translate5 ignores it for the others).
        """
        resource_id = _resource_id(language_resource_id)
        guid = _guid(task_guid)
        self._fitting(guid, [resource_id], None)
        return self._assign(guid, resource_id, segments_updateable)

    def unassign_language_resource(self, assoc_id: int) -> None:
        """Remove an assignment (``taskassocid``); one already gone is done (200, empty body: §119)."""
        self._json("DELETE", f"{ASSOC_PATH}/{_resource_id(assoc_id)}")

    def assign_language_resources(
        self, task_guid: str, references: Sequence[str | int], *, segments_updateable: bool = False
    ) -> list[LanguageResource]:
        """Resolve each reference and assign it; returns the task's assigned resources afterwards.

        A resource that does not fit the task is refused before anything is assigned; one that is assigned
        already is left as it is.
        """
        guid = _guid(task_guid)
        for resource in self.fitting_language_resources(guid, references):
            if resource.assoc_id is None:
                self._assign(guid, resource.id, segments_updateable)
        return [resource for resource in self.task_language_resources(guid) if resource.assoc_id]

    def _assign(self, task_guid: str, resource_id: int, segments_updateable: bool) -> dict[str, Any]:
        body = {
            "taskGuid": task_guid,
            "languageResourceId": resource_id,
            "segmentsUpdateable": bool(segments_updateable),
        }
        payload = self._json("POST", ASSOC_PATH, data=body, idempotent=True)
        rows = payload.get("rows") if isinstance(payload, Mapping) else None
        return dict(rows) if isinstance(rows, Mapping) else {}

    def _fitting(
        self,
        task_guid: str,
        wanted: Sequence[LanguageResource | int],
        available: Sequence[LanguageResource] | None,
    ) -> list[LanguageResource]:
        """The task's rows of ``wanted``; refuses (naming each) those missing from the task's list."""
        fitting = {resource.id: resource for resource in self.task_language_resources(task_guid)}
        ids = [item if isinstance(item, int) else item.id for item in wanted]
        unfit = [resource_id for resource_id in ids if resource_id not in fitting]
        if unfit:
            known = {
                r.id: r for r in (available if available is not None else self.list_language_resources())
            }
            names = "; ".join(self._describe(known.get(resource_id), resource_id) for resource_id in unfit)
            raise Translate5ValueError(
                f"not assigned to translate5 task {task_guid}, it does not fit the task's languages or "
                f"customer: {names}. translate5 would accept the assignment and then hide it from the "
                "task's language resources; choose a resource for the task's language pair and customer"
            )
        return [fitting[resource_id] for resource_id in ids]

    def _describe(self, resource: LanguageResource | None, resource_id: int) -> str:
        if resource is None:
            return f"language resource {resource_id} (not found, or the API user may not use it)"
        codes = {language.id: language.rfc5646 for language in self.list_languages()}

        def named(ids: tuple[int, ...]) -> str:
            return ",".join(codes.get(lang, str(lang)) for lang in ids) or "?"

        customers = ",".join(str(c) for c in resource.customer_ids) or "none"
        return (
            f"{resource.name!r} (id {resource.id}; {named(resource.source_langs)} -> "
            f"{named(resource.target_langs)}; customer ids {customers})"
        )


def _guid(task_guid: str) -> str:
    if not isinstance(task_guid, str) or not task_guid.strip():
        raise Translate5ValueError("task_guid must be a non-empty string")
    return task_guid


def _resolve(reference: str | int, available: Sequence[LanguageResource]) -> LanguageResource:
    if isinstance(reference, bool) or not isinstance(reference, (str, int)) or not str(reference).strip():
        raise Translate5ValueError("a language resource must be given as its id or name")
    text = str(reference).strip()
    found = [
        resource
        for resource in available
        if (text.isdigit() and resource.id == int(text)) or resource.name.lower() == text.lower()
    ]
    if not found:
        raise Translate5ValueError(
            f"translate5 has no language resource with the id or name {text!r} "
            "(or the API user may not use it)"
        )
    if len(found) > 1:
        names = ", ".join(f"id {r.id} ({r.name}, {r.service_name})" for r in found)
        raise Translate5ValueError(f"{text!r} matches more than one language resource: {names}; use the id")
    return found[0]
