"""Export: a task's (or project's) files into a folder, delivered all at once or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_translate5.base import (
    Translate5BaseOperator,
    fail_fast_on_bad_input,
    idempotency_key,
    rendered_ids,
)
from airflow_provider_translate5.links import TASK_ID_XCOM_KEY, TASK_URL_XCOM_KEY

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.files import PathLike


class Translate5ExportOperator(Translate5BaseOperator):
    """Export a task (or every task of a project) into a folder: all files arrive, or nothing changes.

    Every file (or unzipped member) is first written into a hidden staging folder inside the destination;
    only when all tasks exported completely are the files moved into place together. A failure anywhere
    (network, full disk, unsafe archive) leaves the destination exactly as it was, earlier files of the same
    names included; a try killed midway leaves a staging folder that the next export into the same folder
    removes. A destination that cannot be written is refused before anything is downloaded. File names come
    from translate5, sanitized, and made unique across the project's tasks.

    :param translate5_task_id: task or project id (templated).
    :param translate5_task_ids: the task ids behind it, when an earlier step already knows them (templated;
        e.g. the upload's ``task_ids``): saves looking the project up again.
    :param destination: the folder: a local path, a URI (``s3://bucket/out/``) or an ``ObjectStoragePath``
        (templated). Created if missing.
    :param format: ``None`` (translated files as ZIP), ``"filetranslation"`` (the translated file itself, for
        single-file tasks), ``"xliff2"``, ``"importArchive"``, ``"excelhistory"`` (templated).
    :param diff: add track-changes markup (ZIP export).
    :param taskguiddirectory: whether the ZIP has the legacy ``{taskGuid}/`` root folder (None: server's).
    :param unzip: extract ZIP exports into ``<destination>/<zip name without .zip>/``. Members with ``..``,
        absolute paths or links are refused, and so are archives beyond the size limits below.
    :param max_unzipped_size: total bytes one archive may expand to.
    :param max_compression_ratio: how many times a member may expand (ZIP bomb guard).
    :param max_zip_members: entries one archive may have.

    Returns the list of written file URIs. Asset outlets get these URIs in their event's ``extra`` (``uris``).
    """

    template_fields = (
        "translate5_task_id",
        "translate5_task_ids",
        "destination",
        "format",
        "translate5_conn_id",
    )
    ui_color = "#c7f4d9"

    def __init__(
        self,
        *,
        translate5_task_id: int | str,
        destination: PathLike,
        translate5_task_ids: Sequence[int | str] | str | None = None,
        format: str | None = None,
        diff: bool = False,
        taskguiddirectory: bool | None = None,
        unzip: bool = False,
        max_unzipped_size: int | None = None,
        max_compression_ratio: float | None = None,
        max_zip_members: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for name, limit in (
            ("max_unzipped_size", max_unzipped_size),
            ("max_compression_ratio", max_compression_ratio),
            ("max_zip_members", max_zip_members),
        ):
            if limit is not None and (isinstance(limit, bool) or limit <= 0):
                raise ValueError(f"{name} must be positive, got {limit!r}")
        self.translate5_task_id = translate5_task_id
        self.translate5_task_ids = translate5_task_ids
        self.destination = destination
        self.format = format
        self.diff = diff
        self.taskguiddirectory = taskguiddirectory
        self.unzip = unzip
        self.max_unzipped_size = max_unzipped_size
        self.max_compression_ratio = max_compression_ratio
        self.max_zip_members = max_zip_members

    def execute(self, context: Context) -> list[str]:
        from airflow_provider_translate5.files import (
            Delivery,
            DestinationError,
            UnsafeArchiveError,
            to_path,
        )

        ids = self._task_ids(context)
        with fail_fast_on_bad_input():
            folder = to_path(self.destination)
        used: set[str] = set()
        try:
            with Delivery(folder, idempotency_key(context) + "/export") as delivery:
                for task_id in ids:
                    with (
                        fail_fast_on_bad_input(),
                        self.client.open_export(
                            task_id,
                            format=self.format,
                            diff=self.diff,
                            taskguiddirectory=self.taskguiddirectory,
                        ) as download,
                    ):
                        name = _unique_name(download.filename, task_id, used)
                        if self.unzip and name.lower().endswith(".zip"):
                            delivery.unpack(
                                download.iter_bytes(),
                                folder / _unique_name(name[:-4], task_id, used),
                                max_total_size=self.max_unzipped_size,
                                max_ratio=self.max_compression_ratio,
                                max_members=self.max_zip_members,
                            )
                        else:
                            delivery.write(folder / name, download.iter_bytes())
                    self.log.info("Exported translate5 task %s (%s)", task_id, name)
                written = delivery.commit()
        except DestinationError as exc:
            raise AirflowFailException(str(exc)) from exc
        except UnsafeArchiveError as exc:
            raise AirflowFailException(f"Refusing to extract the export: {exc}") from exc
        self.log.info("Delivered %d file(s) into %s", len(written), self.destination)
        self._announce(context, written)
        return written

    def _task_ids(self, context: Context) -> list[int]:
        """The ids handed over by an earlier step, or the tasks behind the id (one lookup)."""
        if self.translate5_task_ids is not None:
            ids = rendered_ids(self.translate5_task_ids, required=False)
            if ids:
                context["ti"].xcom_push(key=TASK_ID_XCOM_KEY, value=int(self.translate5_task_id))
                context["ti"].xcom_push(
                    key=TASK_URL_XCOM_KEY,
                    value=self.hook.task_url(self.translate5_task_id),
                )
                return ids
        return [task.id for task in self.resolve_tasks(context, self.translate5_task_id)]

    def _announce(self, context: Context, uris: list[str]) -> None:
        """Put the written files into the events of Asset outlets, for the DAGs they trigger."""
        from airflow.sdk import Asset

        for outlet in self.outlets or []:
            if isinstance(outlet, Asset):
                extra = context["outlet_events"][outlet].extra
                extra["uris"] = list(uris)
                extra["translate5_task_id"] = int(self.translate5_task_id)


def _unique_name(name: str, task_id: int, used: set[str]) -> str:
    """Keep the server's name unless another task of the project already used it (case-insensitive)."""
    from airflow_provider_translate5.client import safe_filename

    name = safe_filename(name)
    if name.lower() in used:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem}-{task_id}.{suffix}" if dot and stem else f"{name}-{task_id}"
    used.add(name.lower())
    return name
