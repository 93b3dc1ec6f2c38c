"""Language resources (TMs, MT engines, term collections) and their assignment to tasks.

Pre-translation and match analysis use only the resources assigned to a task. Instances are listed at
``GET /editor/languageresourceinstance`` (``LanguageresourceinstanceController::indexAction``); the resources
that fit a task's languages, each with its assignment id ``taskassocid`` (null when not assigned), at
``GET /editor/languageresourcetaskassoc?filter=[taskGuid eq …]`` (``LanguageresourcetaskassocController``,
``TaskAssociation::loadByAssociatedTaskAndLanguage``). ``POST`` there assigns; a duplicate assignment
answers the existing one, so assigning again is safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_translate5.client._calls import ClientCalls
from airflow_provider_translate5.client.coerce import to_int, to_str
from airflow_provider_translate5.client.errors import Translate5ResponseError, Translate5ValueError
from airflow_provider_translate5.client.filters import Filter, encode_filters

INSTANCES_PATH = "/editor/languageresourceinstance"
ASSOC_PATH = "/editor/languageresourcetaskassoc"


def _record(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise Translate5ResponseError(f"expected a {what} object from translate5, got {type(data).__name__}")
    return dict(data)


@dataclass(frozen=True)
class LanguageResource:
    """A TM, MT engine or term collection (``resource_type`` ``tm``, ``mt``, ``termcollection``).

    Rows of the task-assignment list carry ``assoc_id`` (``taskassocid``): set when the resource is assigned
    to that task, None when it only could be.
    """

    id: int
    name: str
    service_name: str
    resource_type: str
    assoc_id: int | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> LanguageResource:
        raw = _record(data, "language resource")
        return cls(
            id=to_int(raw.get("languageResourceId", raw.get("id"))) or 0,
            name=to_str(raw.get("name")) or "",
            service_name=to_str(raw.get("serviceName")) or "",
            resource_type=to_str(raw.get("resourceType")) or "",
            assoc_id=to_int(raw.get("taskassocid")),
            raw=raw,
        )


class LanguageResourceMixin(ClientCalls):
    """Language resources and task assignments (mixed into :class:`Translate5Client`)."""

    def list_language_resources(self) -> list[LanguageResource]:
        """Every language resource the API user may use (all services, all languages)."""
        resources, _payload = self._many(LanguageResource.from_api, "GET", INSTANCES_PATH)
        return resources

    def resolve_language_resource(self, reference: str | int) -> LanguageResource:
        """A language resource by id or by name (case-insensitive); exactly one must match."""
        if isinstance(reference, bool) or not isinstance(reference, (str, int)) or not str(reference).strip():
            raise Translate5ValueError("a language resource must be given as its id or name")
        text = str(reference).strip()
        found = [
            resource
            for resource in self.list_language_resources()
            if (text.isdigit() and resource.id == int(text)) or resource.name.lower() == text.lower()
        ]
        if not found:
            raise Translate5ValueError(
                f"translate5 has no language resource with the id or name {text!r} "
                "(or the API user may not use it)"
            )
        if len(found) > 1:
            names = ", ".join(f"id {r.id} ({r.name}, {r.service_name})" for r in found)
            raise Translate5ValueError(
                f"{text!r} matches more than one language resource: {names}; use the id"
            )
        return found[0]

    def task_language_resources(self, task_guid: str) -> list[LanguageResource]:
        """Resources that fit the task's languages; ``assoc_id`` is set on those assigned to it."""
        if not isinstance(task_guid, str) or not task_guid.strip():
            raise Translate5ValueError("task_guid must be a non-empty string")
        params = {"filter": encode_filters([Filter.eq("taskGuid", task_guid)])}
        resources, _payload = self._many(LanguageResource.from_api, "GET", ASSOC_PATH, params=params)
        return resources

    def assign_language_resource(
        self, task_guid: str, language_resource_id: int, *, segments_updateable: bool = False
    ) -> dict[str, Any]:
        """Assign a resource to a task (safe to repeat: translate5 answers an existing assignment).

        :param segments_updateable: let translators' edits update the TM (only for writable resources;
            translate5 ignores it for the others).
        """
        if not isinstance(task_guid, str) or not task_guid.strip():
            raise Translate5ValueError("task_guid must be a non-empty string")
        body = {
            "taskGuid": task_guid,
            "languageResourceId": int(language_resource_id),
            "segmentsUpdateable": bool(segments_updateable),
        }
        payload = self._json("POST", ASSOC_PATH, data=body, idempotent=True)
        rows = payload.get("rows") if isinstance(payload, Mapping) else None
        return dict(rows) if isinstance(rows, Mapping) else {}

    def unassign_language_resource(self, assoc_id: int) -> None:
        """Remove an assignment (``taskassocid``); an assignment that is already gone is fine."""
        self._json("DELETE", f"{ASSOC_PATH}/{int(assoc_id)}")

    def assign_language_resources(
        self, task_guid: str, references: Sequence[str | int], *, segments_updateable: bool = False
    ) -> list[LanguageResource]:
        """Resolve each reference and assign it; returns the task's assigned resources afterwards.

        A resource whose languages do not fit the task is refused before anything is assigned.
        """
        resolved = [self.resolve_language_resource(reference) for reference in references]
        wanted = list({resource.id: resource for resource in resolved}.values())  # "TM" and its id: once
        fitting = {resource.id: resource for resource in self.task_language_resources(task_guid)}
        unfit = [resource.name for resource in wanted if resource.id not in fitting]
        if unfit:
            raise Translate5ValueError(
                f"language resource(s) {', '.join(unfit)} do not fit the languages of task {task_guid}"
            )
        for resource in wanted:
            if fitting[resource.id].assoc_id is None:
                self.assign_language_resource(task_guid, resource.id, segments_updateable=segments_updateable)
        return [resource for resource in self.task_language_resources(task_guid) if resource.assoc_id]
