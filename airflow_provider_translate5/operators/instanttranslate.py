"""InstantTranslate and its translation memory: pre-translate a file (paid once per task instance), write
a TM pair."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_translate5.base import (
    DEFAULT_CREATE_GRACE,
    Translate5BaseOperator,
    WaitMixin,
    as_timedelta,
    check_trigger_event,
    fail_fast_on_bad_input,
    idempotency_key,
    is_template,
    raise_for_verdict,
    retry_pre_wait,
)
from airflow_provider_translate5.links import PRETRANSLATION_ID_XCOM_KEY

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.files import AnyPath, PathLike
    from airflow_provider_translate5.lineage import Lineage


#: The marker an InstantTranslate upload carries in its file name: the idempotency key of the pre-translation.
_MARKER_PREFIX = "__af"


def pretranslation_marker(context: Context, source_lang: str, target_lang: str, content: str = "") -> str:
    """Names this task instance's pre-translation of this content (not the try) inside the uploaded name.

    ``content`` (a digest of the file) makes a cleared task whose source file changed upload the new one.
    """
    key = f"{idempotency_key(context)}|{source_lang}|{target_lang}|{content}"
    return _MARKER_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def marked_name(name: str, marker: str) -> str:
    """``page.html`` -> ``page__af1a2b3c4d5e6f.html``: the extension (which translate5 reads) stays last."""
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}{marker}.{suffix}" if dot and stem else f"{name}{marker}"


class Translate5InstantTranslatePretranslateOperator(WaitMixin, Translate5BaseOperator):
    """Pre-translate a file with InstantTranslate and download the result; one paid pre-translation per run.

    Retry-safe: the uploaded file name carries a marker derived from the task instance (dag, run, task, map
    index, languages). Before uploading, the file list is searched for it: an Airflow retry (or a rerun of
    the task instance) re-uses the earlier try's pre-translation instead of paying machine translation
    again. An upload whose answer is lost is looked for like a lost task create (``create_grace``). The
    marker is removed again from the name the result is saved under.

    Waits like a sensor: ``poke_interval``, ``timeout`` (``timedelta`` or seconds) and ``deferrable`` (then
    the wait runs in the triggerer). Fails clearly (without retries) when translate5 marks the file erroneous
    or not pre-translatable, quoting the entry's errors. A ``destination`` that is, or would overwrite, the
    ``source`` is refused before anything is sent, and so is a destination that cannot be written.

    :param source: the file: a local path, a URI or an ``ObjectStoragePath`` (templated).
    :param source_lang: RFC 5646 source language (templated).
    :param target_lang: RFC 5646 target language (templated).
    :param destination: a folder (existing, ending in ``/``, or without a file extension) to put the server's
        file name into, or the file to write (templated).
    :param customer_id: translate5 customer whose language resources to use (templated).
    :param poke_interval: time between checks (default 10 s; at least ``[translate5] min_poll_interval``).
    :param timeout: how long to wait for the pre-translation (default one hour).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).

    Returns the URI of the translated file.
    """

    operator_extra_links = ()  # nothing to open in the translate5 UI
    template_fields = (
        "source",
        "source_lang",
        "target_lang",
        "destination",
        "customer_id",
        "translate5_conn_id",
    )
    ui_color = "#f4e9c7"
    poll_interval_default = 10.0

    def __init__(
        self,
        *,
        source: PathLike,
        source_lang: str,
        target_lang: str,
        destination: PathLike,
        customer_id: str | int | None = None,
        poke_interval: timedelta | float | None = None,
        timeout: timedelta | float = timedelta(hours=1),
        deferrable: bool | None = None,
        create_grace: timedelta | float = DEFAULT_CREATE_GRACE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.destination = destination
        self.customer_id = customer_id
        self.configure_wait(deferrable=deferrable, poke_interval=poke_interval, timeout=timeout)
        self.create_grace = as_timedelta(create_grace, "create_grace")
        if not is_template(source) and not is_template(destination):
            from airflow_provider_translate5.files import overlaps

            if overlaps(source, destination):
                raise ValueError(f"the destination {destination!s} would overwrite the source {source!s}")

    def execute(self, context: Context) -> str:
        from airflow_provider_translate5 import status
        from airflow_provider_translate5.files import is_single
        from airflow_provider_translate5.wait import Wait, block

        if not is_single(self.source):
            raise AirflowFailException(
                "InstantTranslate pre-translates one file per call; pass a single source"
            )
        with fail_fast_on_bad_input():
            self._refuse_overwriting(self.destination)
            self._writable_destination()
        end_time = self.deadline()
        with fail_fast_on_bad_input():
            marker = self._marker(context)
            file_id = self._pretranslate_once(marker, context)
        context["ti"].xcom_push(key=PRETRANSLATION_ID_XCOM_KEY, value=file_id)
        wait = Wait(condition=status.PRETRANSLATED, ids=[file_id], log=self.log)

        def look() -> status.Verdict:
            from airflow_provider_translate5.client import Translate5Error

            try:
                entry = self.client.list_pretranslated_files().get(file_id)
            except Translate5Error as exc:
                return wait.failed_with(exc)
            self._entry = entry
            return wait.look_file(file_id, entry)

        verdict = look()
        if verdict.status == status.WAITING and self.deferrable:
            from airflow_provider_translate5.triggers.translate5 import Translate5PretranslationTrigger

            self.defer_until(
                Translate5PretranslationTrigger,
                task_ids=[file_id],
                end_time=end_time,
                last_seen=wait.last_seen,
            )
        if verdict.status == status.WAITING:
            verdict = block(wait, look, interval=self.poke_interval, end_time=end_time)
        raise_for_verdict(verdict)
        assert self._entry is not None
        assert self._entry.download_url
        return self._download(self._entry.download_url, marker)

    _entry: Any = None

    def _pretranslate_once(self, marker: str, context: Context) -> int:
        from airflow_provider_translate5.client import PretranslatedFile, Translate5Error, UploadFile
        from airflow_provider_translate5.files import open_upload
        from airflow_provider_translate5.once import CreateOnce

        client = self.client

        def lookup() -> list[PretranslatedFile]:
            # Erroneous or not pre-translatable entries are not re-used: the new try uploads again.
            return [
                entry
                for entry in client.list_pretranslated_files().files
                if marker in entry.task_name and entry.status in ("importing", "ready")
            ]

        def upload() -> PretranslatedFile:
            with open_upload(self.source) as (name, handle):
                file_id = client.file_pretranslate(
                    UploadFile(marked_name(name, marker), handle),
                    source=self.source_lang,
                    target=self.target_lang,
                    customer_id=self.customer_id,
                )
            self.log.info(
                "InstantTranslate accepted the file as %s; waiting for the pre-translation", file_id
            )
            return PretranslatedFile.from_api({"taskId": file_id, "taskName": marked_name(name, marker)})

        def delete(file_id: int) -> None:
            try:
                client.delete_task(file_id)
            except Translate5Error as exc:  # a duplicate costs money once, but does no harm: say so
                self.log.warning("Could not delete duplicate InstantTranslate file %s: %s", file_id, exc)

        grace = self.create_grace.total_seconds()
        outcome = CreateOnce(
            lookup=lookup,
            create=upload,
            root_of=lambda entry: entry.task_id,
            delete=delete,
            grace=grace,
            poll_interval=min(5.0, max(grace / 10, 0.05)),
            what="InstantTranslate file",
        ).run(pre_wait=retry_pre_wait(context, self, grace))
        if outcome.reattached:
            self.log.warning(
                "Re-using InstantTranslate file %s (%s) of an earlier try instead of uploading (and paying "
                "for machine translation) again",
                outcome.unit.task_id,
                outcome.unit.task_name,
            )
        return outcome.unit.task_id

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> str:
        event = check_trigger_event(event)
        return self._download(str(event["download_url"]), self._marker(context))

    def _marker(self, context: Context) -> str:
        from airflow_provider_translate5.files import open_upload

        digest = hashlib.sha256()
        with open_upload(self.source) as (_name, handle):
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return pretranslation_marker(
            context, str(self.source_lang), str(self.target_lang), digest.hexdigest()
        )

    def _refuse_overwriting(self, destination: Any) -> None:
        from airflow_provider_translate5.client import Translate5ValueError
        from airflow_provider_translate5.files import overlaps

        if overlaps(self.source, destination):
            raise Translate5ValueError(
                f"the destination {destination!s} would overwrite the source {self.source!s}; choose another"
            )

    def _writable_destination(self) -> None:
        from airflow_provider_translate5.client import Translate5ValueError
        from airflow_provider_translate5.files import (
            DestinationError,
            check_writable,
            is_dir,
            to_path,
        )

        path = to_path(self.destination)
        into_folder = is_dir(path) or str(self.destination).endswith("/") or not path.suffix
        try:
            check_writable(path if into_folder else path.parent)
        except DestinationError as exc:
            raise Translate5ValueError(f"{exc} (checked before uploading)") from exc

    def _download(self, download_url: str, marker: str) -> str:
        from airflow_provider_translate5 import lineage
        from airflow_provider_translate5.client.files import remove_stale_partials, write_atomically
        from airflow_provider_translate5.files import uri

        with fail_fast_on_bad_input(), self.client.open_download(download_url) as download:
            target = self._target(download.filename.replace(marker, ""))
            self._refuse_overwriting(target)
            remove_stale_partials(target)
            written = uri(write_atomically(download.iter_bytes(), target))
        self.log.info("Downloaded the pre-translated file to %s", written)
        lineage.note(self, written=[written])
        return written

    def get_openlineage_facets_on_start(self) -> Lineage:
        return self.get_openlineage_facets_on_complete(None)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Lineage:
        """OpenLineage: the file sent to InstantTranslate, the pre-translated file written."""
        from airflow_provider_translate5 import lineage

        return lineage.operator_lineage(
            self,
            "instantTranslate",
            inputs=[self.source],
            source_lang=self.source_lang,
            target_lang=self.target_lang,
        )

    def _target(self, server_name: str) -> AnyPath:
        from airflow_provider_translate5.client import safe_filename
        from airflow_provider_translate5.files import ensure_dir, is_dir, to_path

        path = to_path(self.destination)
        if is_dir(path) or str(self.destination).endswith("/") or not path.suffix:
            return ensure_dir(path) / safe_filename(server_name)
        ensure_dir(path.parent)
        return path


class Translate5WriteTmOperator(Translate5BaseOperator):
    """Write one translation pair to the InstantTranslate translation memory.

    :param source_lang: RFC 5646 source language (templated).
    :param target_lang: RFC 5646 target language (templated).
    :param source_text: the source text (templated).
    :param target_text: its translation (templated).

    Returns the ids of the language resources written to.
    """

    operator_extra_links = ()  # nothing to open in the translate5 UI
    template_fields = ("source_lang", "target_lang", "source_text", "target_text", "translate5_conn_id")

    def __init__(
        self,
        *,
        source_lang: str,
        target_lang: str,
        source_text: str,
        target_text: str,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.source_text = source_text
        self.target_text = target_text
        missing = [
            n for n in ("source_lang", "target_lang", "source_text", "target_text") if not getattr(self, n)
        ]
        if missing:
            raise ValueError(f"{type(self).__name__} needs {', '.join(missing)}")

    def execute(self, context: Context) -> list[int]:
        with fail_fast_on_bad_input():
            created = self.client.write_tm(
                source_language=self.source_lang,
                target_language=self.target_lang,
                source=self.source_text,
                target=self.target_text,
            )
        self.log.info("Wrote the translation to language resource(s) %s", created)
        return list(created)
