"""What the feature mixins (people, analysis) use of :class:`Translate5Client`, declared for type checkers.

The mixins live in their own modules so each stays small; at run time these names resolve to the client's
own plumbing (``Translate5Client`` comes first in the MRO), so nothing here is ever executed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from datetime import tzinfo

    from airflow_provider_translate5.client.files import Download
    from airflow_provider_translate5.client.models import Job, Language, Task
    from airflow_provider_translate5.client.people import Customer
    from airflow_provider_translate5.client.transport import Transport

_Model = TypeVar("_Model")


class ClientCalls:
    """Declarations only: the request helpers every translate5 call is built from."""

    if TYPE_CHECKING:
        _transport: Transport
        server_zone: tzinfo | None

        def _json(self, method: str, path: str, **kwargs: Any) -> Any: ...

        def _one(
            self, model: Callable[[Mapping[str, Any]], _Model], method: str, path: str, **kwargs: Any
        ) -> _Model: ...

        def _many(
            self, model: Callable[[Mapping[str, Any]], _Model], method: str, path: str, **kwargs: Any
        ) -> tuple[list[_Model], Any]: ...

        def _download(
            self,
            path: str,
            params: Mapping[str, str] | None,
            fallback_name: str,
            *,
            export: bool = False,
            zip_expected: bool = False,
        ) -> AbstractContextManager[Download]: ...

        def get_task(self, task_id: int | str) -> Task: ...

        def list_languages(self, *, refresh: bool = False) -> list[Language]: ...

        def project_tasks(self, task_or_project_id: int | str) -> list[Task]: ...

        def list_jobs(self, task_id: int | str) -> list[Job]: ...

        def create_job(
            self,
            task_id: int | str,
            *,
            user_guid: str,
            workflow_step_name: str,
            state: str | None = None,
            extra: Mapping[str, Any] | None = None,
        ) -> Job: ...

        def resolve_customer(self, reference: str | int) -> Customer: ...
