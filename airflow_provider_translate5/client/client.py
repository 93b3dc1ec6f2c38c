"""The translate5 API calls: one method per operation, each a URL plus a parse function.

Transport concerns (auth, retries, error mapping, secrets) are in :mod:`.transport`; the shapes of the
answers in :mod:`.models`. There is one implementation only: Airflow triggers run it via
``asyncio.to_thread``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime
from functools import partial
from types import TracebackType
from typing import Any, TypeVar

import requests

from airflow_provider_translate5.client import checks
from airflow_provider_translate5.client.checks import count, non_empty, positive_id
from airflow_provider_translate5.client.coerce import form_value, keyed_records, to_int
from airflow_provider_translate5.client.errors import (
    MAINTENANCE_HEADER,
    Translate5AuthError,
    Translate5ConflictError,
    Translate5LimitError,
    Translate5MaintenanceError,
    Translate5NotFoundError,
    Translate5PermissionError,
    Translate5TransferError,
    Translate5ValueError,
    error_from_response,
    response_error,
)
from airflow_provider_translate5.client.features import FeaturesMixin
from airflow_provider_translate5.client.files import (
    Download,
    PreparedUpload,
    UploadFile,
    UploadSource,
    prepare_upload,
)
from airflow_provider_translate5.client.filters import Filter, Sort, encode_filters, encode_sort
from airflow_provider_translate5.client.languages import find_language, parse_language_code
from airflow_provider_translate5.client.limits import Limits
from airflow_provider_translate5.client.models import (
    ImportProgress,
    Job,
    Language,
    PretranslatedFileList,
    Task,
    TaskPage,
)
from airflow_provider_translate5.client.notices import log_notices
from airflow_provider_translate5.client.package import FOLDERS, import_package, is_zip_package
from airflow_provider_translate5.client.retry import RetryPolicy
from airflow_provider_translate5.client.server_time import deadline_text, server_zone
from airflow_provider_translate5.client.transport import ENTITY_VERSION_HEADER, Timeout, Transport
from airflow_provider_translate5.client.verify import is_zip, looks_like_json, without_bom

FILE_TYPES = frozenset(FOLDERS)
#: Export formats that answer a file. translate5 answers the others with JSON, a redirect, HTML or an
#: HTTP 500 ("Context ... does not exist"), never with a file.
EXPORT_FORMATS = frozenset({"filetranslation", "xliff2", "importArchive", "excelhistory"})
#: Bytes of a download looked at before it is handed out (envelopes, maintenance texts).
_SNIFF_BYTES = 1 << 16
#: translate5's text in the 30 minutes before a scheduled maintenance, instead of an export.
MAINTENANCE_TEXT = "maintenance is scheduled"
_Model = TypeVar("_Model")

# Languages practically never change on a server: one ``GET /editor/language`` per process and server.
_LANGUAGES: dict[str, tuple[float, list[Language]]] = {}
_LANGUAGES_LOCK = threading.Lock()
#: A code missing from a list older than this is looked up once more (a language added on the server).
LANGUAGES_RECHECK_AFTER = 300.0


def _sources(files: Any) -> list[Any]:
    """One upload source or several; a ``(name, fileobj)`` tuple is one source, not two."""
    single = isinstance(files, (str, os.PathLike, UploadFile)) or (
        isinstance(files, tuple)
        and len(files) == 2
        and isinstance(files[0], str)
        and hasattr(files[1], "read")
    )
    return list(files) if not single and isinstance(files, (list, tuple)) else [files]


def _rfc5646(code: str, what: str) -> str:
    """InstantTranslate takes RFC 5646 codes only; check the format locally."""
    kind, _key = parse_language_code(code)
    if kind != "rfc5646":
        raise Translate5ValueError(f"{what} must be an RFC 5646 code such as 'de' or 'en-GB', got {code!r}")
    return str(code).strip()


def _json_mapping(body: bytes) -> Mapping[str, Any] | None:
    import json

    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, Mapping) else None


def _ids(value: Any) -> list[int]:
    if isinstance(value, Mapping):
        value = list(value.values())
    items = value if isinstance(value, list) else [value]
    ids = [to_int(item.get("id")) if isinstance(item, Mapping) else to_int(item) for item in items]
    return [item for item in ids if item is not None]


class Translate5Client(FeaturesMixin):
    """Client for the translate5 REST API, authenticated by an app token.

    :param base_url: server URL with scheme (may include a path prefix), e.g. ``https://t5.example.org``.
    :param token: translate5 app token ``<id>:<36 alphanumerics>``; anything else is refused before any
        HTTP call (translate5 >= 6.5.2 blocks password sessions from the API).
    :param login: log in once (``POST /editor/session`` with the token as password) and use only the
        session cookie afterwards; default is the ``Translate5AuthToken`` header plus cookie reuse.
    :param timeout: ``(connect, read)`` seconds; exports are synchronous in translate5, keep read generous.
    :param verify: TLS verification, or the path of a CA bundle.
    :param on_secret: called with every secret learned at runtime (session ids, cookies) so callers can
        mask them in their logs.
    :param limits: what a server can make the client do: decoded bytes per download, bytes per JSON answer,
        an overall deadline per call (see :class:`~airflow_provider_translate5.client.limits.Limits`).
    :param server_timezone: the IANA zone the translate5 server runs in (``"Europe/Berlin"``): a deadline
        given with a zone is sent converted into it. Without it such a deadline is refused, because
        translate5 stores deadlines without a zone and silently drops one.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        login: str | None = None,
        timeout: Timeout = (10.0, 300.0),
        verify: bool | str = True,
        proxies: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        on_secret: Callable[[str], None] | None = None,
        user_agent: str | None = None,
        session: requests.Session | None = None,
        limits: Limits | None = None,
        server_timezone: str | None = None,
    ) -> None:
        from airflow_provider_translate5 import __version__

        #: The zone translate5's server runs in (None: not known): deadlines with a zone are converted into
        #: it, as translate5 itself would drop the zone (see :mod:`.server_time`).
        self.server_zone = server_zone(server_timezone)
        self._transport = Transport(
            base_url,
            token,
            login=login,
            timeout=timeout,
            verify=verify,
            proxies=proxies,
            retry=retry,
            on_secret=on_secret,
            user_agent=user_agent or f"airflow-provider-translate5/{__version__}",
            session=session,
            limits=limits,
        )

    def __repr__(self) -> str:
        return f"Translate5Client(base_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def server_version(self) -> str | None:
        """translate5 version from the last ``x-translate5-version`` header seen."""
        return self._transport.server_version

    def close(self) -> None:
        """Release connections; in login mode also end the server session (a token client has none to end)."""
        self._transport.close()

    def __enter__(self) -> Translate5Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- plumbing shared by all calls -----------------------------------------------------------------------

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        payload = self._transport.request_json(method, path, **kwargs)
        log_notices(payload, method, self._transport.redact(path))  # ``errors`` on a 200: logged, not raised
        return payload

    def _json_object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Calls answering a status object: its fields, or {} when the body is empty or not an object."""
        payload = self._json(method, path, **kwargs)
        return dict(payload) if isinstance(payload, Mapping) else {}

    def _field(self, payload: Any, key: str, method: str, path: str) -> Any:
        if not isinstance(payload, Mapping) or key not in payload:
            got = f"keys {sorted(payload)[:10]}" if isinstance(payload, Mapping) else type(payload).__name__
            raise self._transport.unexpected(f"expected {key!r} in the answer, got {got}", method, path)
        return payload[key]

    def _one(
        self, model: Callable[[Mapping[str, Any]], _Model], method: str, path: str, **kwargs: Any
    ) -> _Model:
        """Calls answering ``{"rows": {...}}``."""
        value = self._field(self._json(method, path, **kwargs), "rows", method, path)
        if not isinstance(value, Mapping):
            raise self._transport.unexpected(
                f"'rows' is a {type(value).__name__}, not an object", method, path
            )
        return model(value)

    def _many(
        self, model: Callable[[Mapping[str, Any]], _Model], method: str, path: str, **kwargs: Any
    ) -> tuple[list[_Model], Any]:
        """Calls answering ``{"rows": [...], "total": N}`` (a bare list is tolerated)."""
        payload = self._json(method, path, **kwargs)
        rows = payload if isinstance(payload, list) else self._field(payload, "rows", method, path)
        return [model(item) for _key, item in keyed_records(rows)], payload

    @contextmanager
    def _download(
        self,
        path: str,
        params: Mapping[str, str] | None,
        fallback_name: str,
        *,
        export: bool = False,
        zip_expected: bool = False,
    ) -> Iterator[Download]:
        """Stream a file; what is not a file (an envelope, a maintenance text, a page) raises instead.

        ``export``: the answer must be a file (Content-Disposition or a ZIP); exports never answer anything
        else when they work. ``zip_expected``: the file must be a ZIP (translate5's ZIP exports). What the
        answer is, is decided by its body and its Content-Disposition, never by its Content-Type alone; the
        file is verified while it is read (:mod:`~airflow_provider_translate5.client.verify`).
        """
        transport = self._transport
        response = transport.request("GET", path, params=params, stream=True)
        deadline = response.t5_deadline  # type: ignore[attr-defined]
        url = transport.url_for(path)
        shown = transport.redact(path)
        limits = transport.limits
        try:
            with response:
                download = Download(
                    response,
                    fallback_name=fallback_name,
                    on_error=partial(transport.connection_error, method="GET", path=shown),
                    max_bytes=limits.max_download_bytes,
                    on_limit=lambda limit: Translate5LimitError(
                        f"the download of GET {shown} exceeds {limit} decoded bytes; refused (a compression "
                        "bomb, or a file larger than Limits(max_download_bytes=...) allows)",
                        method="GET",
                        url=transport.redact(url),
                        status=response.status_code,
                        content_type=response.headers.get("Content-Type"),
                    ),
                    on_deadline=partial(transport.deadline_error, deadline, "GET", shown),
                    on_broken=lambda problem: Translate5TransferError(
                        f"translate5's answer to GET {shown} arrived incomplete or damaged: {problem}; "
                        "nothing was delivered (a new download gets the whole file)"
                    ),
                    zip_expected=zip_expected,
                    max_json=limits.max_json_bytes,
                )
                self._check_file(download, response, url, export=export, zip_expected=zip_expected)
                yield download
        finally:
            deadline.cancel()

    def _check_file(
        self, download: Download, response: requests.Response, url: str, *, export: bool, zip_expected: bool
    ) -> None:
        """What the answer is, by its body and Content-Disposition: an error envelope (at any size, with or
        without a byte order mark, whatever its Content-Type), a maintenance notice, or the file."""
        transport = self._transport
        head = download.peek(_SNIFF_BYTES)
        if looks_like_json(head):
            self._refuse_envelope(download, response, url)
        if download.content_disposition or is_zip(head):
            if zip_expected and not is_zip(head):
                response._content = head
                raise response_error(
                    response,
                    "JSON instead of the export file" if looks_like_json(head) else "not a ZIP archive",
                    method="GET",
                    url=url,
                    redact=transport.redact,
                )
            return
        text = head.decode("utf-8", "replace")
        maintenance = response.headers.get(MAINTENANCE_HEADER)
        # The whole answer is that one sentence; a longer text that mentions maintenance is a file.
        notice = download.complete and len(head) < 4096 and text.strip().lower().startswith(MAINTENANCE_TEXT)
        if maintenance or notice:
            raise Translate5MaintenanceError(
                status=response.status_code,
                error_message="translate5 refused the download because of a (scheduled) maintenance: "
                + (maintenance or text.strip()[:300]),
                method="GET",
                url=transport.redact(url),
                body_excerpt=transport.redact(text[:500]),
                hint="exports are refused in the 30 minutes before a maintenance; try again after it",
            )
        if export:
            response._content = head
            raise response_error(
                response,
                "JSON instead of the export file"
                if looks_like_json(head)
                else "no file (no Content-Disposition and not a ZIP)",
                method="GET",
                url=url,
                redact=transport.redact,
            )

    def _refuse_envelope(self, download: Download, response: requests.Response, url: str) -> None:
        """Raise the API error of a body that is translate5's ``success: false`` envelope (read whole, up to
        the JSON limit); a JSON body over the limit is refused, unless a Content-Disposition names a file."""
        transport = self._transport
        limit = transport.limits.max_json_bytes
        body = download.peek(limit + 1 if limit is not None else 1 << 62)
        if limit is not None and len(body) > limit:
            if download.content_disposition:
                return  # a JSON file, not an answer: delivered (and verified) like any other
            raise transport.json_limit_error(response, "GET", url, limit)
        response._content = without_bom(body)  # error_from_response reads the text
        envelope = _json_mapping(response._content)
        if envelope is not None and envelope.get("success") is False:
            raise error_from_response(response, method="GET", url=url, redact=transport.redact)

    def _language_code(self, code: str | int) -> str:
        """Resolve locally first (fail before uploading); send the RFC 5646 code translate5 knows."""
        try:
            language = self.resolve_language(code)
        except Translate5PermissionError:
            parse_language_code(code)  # this user may not list languages: at least check the format
            return str(code).strip()
        return language.rfc5646 or str(language.id)

    # -- auth / status --------------------------------------------------------------------------------------

    def login(self) -> None:
        """Open the server session now instead of on the first call (session mode: POST /editor/session)."""
        if self._transport.session_mode:
            self._transport.login()
        else:
            self.whoami()  # the first token request opens a session whose cookie is reused

    def logout(self) -> None:
        self._transport.logout()

    def whoami(self) -> dict[str, Any]:
        """``{"state": "authenticated", "user": {...}}``; a cheap check that URL and token work."""
        path = "/editor/session/current"
        try:
            payload = self._json("GET", path)
        except Translate5NotFoundError as exc:
            if "not authenticated" not in exc.body_excerpt:
                raise
            raise Translate5AuthError(
                status=exc.status,
                error_message="translate5 reports this request as not authenticated",
                method="GET",
                url=exc.url,
            ) from exc
        if not isinstance(payload, Mapping):
            raise self._transport.unexpected("no session status object", "GET", path)
        return dict(payload)

    # -- languages ------------------------------------------------------------------------------------------

    def list_languages(self, *, refresh: bool = False) -> list[Language]:
        """All languages of the server, fetched once per process and server (they practically never change).

        :param refresh: fetch them again (after languages were added on the server).
        """
        key = self.base_url
        with _LANGUAGES_LOCK:
            cached = None if refresh else _LANGUAGES.get(key)
        if cached is None:
            languages, _payload = self._many(Language.from_api, "GET", "/editor/language")
            cached = (time.monotonic(), languages)
            with _LANGUAGES_LOCK:
                _LANGUAGES[key] = cached
        return list(cached[1])

    def resolve_language(self, code: str | int) -> Language:
        """``"de"``, ``"en-GB"``, ``4``, ``"4"`` or ``"lcid-1031"`` to the server's language, or an error."""
        parse_language_code(code)  # refuse malformed input without a request
        try:
            return find_language(self.list_languages(), code)
        except Translate5ValueError:
            with _LANGUAGES_LOCK:
                fetched_at = _LANGUAGES[self.base_url][0]
            if time.monotonic() - fetched_at < LANGUAGES_RECHECK_AFTER:
                raise
        # Added on the server since this process cached its languages? One fresh look before failing.
        return find_language(self.list_languages(refresh=True), code)

    # -- tasks ----------------------------------------------------------------------------------------------

    def list_tasks(
        self,
        *,
        filters: Sequence[Filter] = (),
        sort: Sequence[Sort] = (),
        start: int = 0,
        limit: int | None = None,
        projects_only: bool = False,
    ) -> TaskPage:
        """One page of ``GET /editor/task`` (``projects_only``: multi-target project rows instead)."""
        params: dict[str, Any] = {"start": count(start, "start", 0)}
        if limit is not None:
            params["limit"] = count(limit, "limit", 1, " (or None for all rows)")
        encoded = {"filter": encode_filters(filters), "sort": encode_sort(sort)}
        params.update({key: value for key, value in encoded.items() if value is not None})
        if projects_only:
            params["projectsOnly"] = 1
        rows, payload = self._many(Task.from_api, "GET", "/editor/task", params=params)
        total = to_int(payload.get("total")) if isinstance(payload, Mapping) else None
        return TaskPage(total=start + len(rows) if total is None else total, rows=rows)

    def iter_tasks(
        self,
        *,
        filters: Sequence[Filter] = (),
        sort: Sequence[Sort] = (),
        page_size: int = 100,
        projects_only: bool = False,
    ) -> Iterator[Task]:
        """Every matching task, fetched page by page (each task once, even if pages shift meanwhile)."""
        count(page_size, "page_size", 1)
        # Validated here, outside the generator, so bad input fails at the call, not at the first next().
        encode_filters(filters)
        encode_sort(sort)
        return self._pages(filters, sort, page_size, projects_only)

    def _pages(
        self, filters: Sequence[Filter], sort: Sequence[Sort], page_size: int, projects_only: bool
    ) -> Iterator[Task]:
        start, seen = 0, set()
        while True:
            page = self.list_tasks(
                filters=filters, sort=sort, start=start, limit=page_size, projects_only=projects_only
            )
            for task in page.rows:
                if task.id not in seen:
                    seen.add(task.id)
                    yield task
            start += len(page.rows)
            # translate5's total counts all matches before paging; a short or empty page also ends the list.
            if not page.rows or len(page.rows) < page_size or start >= page.total:
                return

    def get_task(self, task_id: int | str) -> Task:
        return self._one(Task.from_api, "GET", f"/editor/task/{positive_id(task_id)}")

    def get_tasks(self, task_ids: Sequence[int | str], *, page_size: int = 500) -> dict[int, Task]:
        """Many tasks in few requests (``filter id in [...]``, ``page_size`` ids per request).

        Tasks that no longer exist (or that this user may not see) are missing from the result.
        """
        count(page_size, "page_size", 1)
        ids = list(dict.fromkeys(positive_id(task_id) for task_id in task_ids))
        found: dict[int, Task] = {}
        for start in range(0, len(ids), page_size):
            chunk = ids[start : start + page_size]
            page = self.list_tasks(filters=[Filter.in_("id", chunk)], limit=len(chunk))
            found.update((task.id, task) for task in page.rows if task.id in chunk)
        return found

    def find_tasks_by_foreign_id(self, foreign_id: str) -> list[Task]:
        """The top-level entries whose ``foreignId`` equals ``foreign_id``: projects and single-target tasks.

        One request (``projectsOnly=1``): every upload creates exactly one such entry, so this is the
        idempotency lookup; the tasks of a project are :meth:`project_tasks`.
        """
        rule = [Filter.eq("foreignId", checks.foreign_id(foreign_id))]
        return list(self.iter_tasks(filters=rule, projects_only=True))

    def project_tasks(self, task_or_project_id: int | str) -> list[Task]:
        """The tasks behind an id: a project's tasks, or ``[task]`` for a plain task."""
        task = self.get_task(task_or_project_id)
        if not task.is_project:
            return [task]
        return [t for t in self.iter_tasks(filters=[Filter.eq("projectId", task.id)]) if t.id != task.id]

    def create_task(
        self,
        files: UploadSource | Sequence[UploadSource],
        *,
        task_name: str,
        source_lang: str | int,
        target_lang: str | int | Sequence[str | int],
        foreign_id: str | None = None,
        foreign_name: str | None = None,
        customer_id: str | int | None = None,
        relais_lang: str | int | None = None,
        description: str | None = None,
        task_nr: str | None = None,
        workflow: str | None = None,
        auto_start_import: bool | None = None,
        edit_100_percent_match: bool | None = None,
        lock_locked: bool | None = None,
        enable_source_editing: bool | None = None,
        usage_mode: str | None = None,
        order_date: str | None = None,
        deadline_date: str | datetime | None = None,
        word_count: int | None = None,
        file_types: Sequence[str] | None = None,
        file_languages: Sequence[str] | None = None,
        tbx: UploadSource | None = None,
        task_config: UploadSource | None = None,
        extra_fields: Mapping[str, str] | None = None,
    ) -> Task:
        """Upload files as a new task (several targets: a project). Never blindly retried once sent.

        Everything that can be checked locally (files, languages, lengths, per-file lists) is checked before
        the upload starts. The returned task's ``project_tasks`` is always a list (``[task]`` for one target).

        Several target languages: translate5 fails on plain files (HTTP 500), so unless the upload already is
        one ZIP import package, or per-file languages are given, the files are sent inside a temporary import
        package (``workfiles/<name>``). translate5 ignores per-file ``file_types`` unless ``file_languages``
        come too: with one target the client sends that target as every file's language; with several, each
        file goes into its type's package folder (``workfiles/``, ``relais/``, ``referenceFiles/``).
        """
        checks.task_name(task_name)
        if foreign_id is not None:
            checks.foreign_id(foreign_id)
        targets = checks.target_languages(target_lang)
        sources = _sources(files)
        if not sources:
            raise Translate5ValueError("create_task needs at least one file")
        prepared = [prepare_upload(source, "import file") for source in sources]
        per_file = {"file_types": file_types, "file_languages": file_languages}
        for name, values in per_file.items():
            if values is not None and (isinstance(values, str) or len(values) != len(prepared)):
                raise Translate5ValueError(f"{name} must be a list with one entry per file ({len(prepared)})")
        if file_types is not None and not set(file_types) <= FILE_TYPES:
            raise Translate5ValueError(
                f"file_types must be among {sorted(FILE_TYPES)}, got {list(file_types)}"
            )
        if file_types is not None and "pivot" in file_types and relais_lang in (None, "", 0):
            raise Translate5ValueError(
                "pivot files (file_types 'pivot') need relais_lang, the pivot language"
            )
        extras: list[tuple[str, PreparedUpload]] = []
        if tbx is not None:
            extras.append(("importTbx", prepare_upload(tbx, "TBX file")))
        if task_config is not None:
            extras.append(("taskConfig", prepare_upload(task_config, "task config file")))

        fields: list[tuple[str, str]] = [
            ("taskName", task_name),
            ("sourceLang", self._language_code(source_lang)),
        ]
        codes = [self._language_code(target) for target in targets]
        checks.distinct(codes, targets)  # "de" and "lcid-1031" are one language
        target_field = "targetLang" if len(codes) == 1 else "targetLang[]"
        fields += [(target_field, code) for code in codes]
        if relais_lang is not None:
            fields.append(("relaisLang", "" if relais_lang in ("", 0) else self._language_code(relais_lang)))
        optional = {
            "foreignId": foreign_id,
            "foreignName": foreign_name,
            "customerId": customer_id,
            "description": description,
            "taskNr": task_nr,
            "workflow": workflow,
            "autoStartImport": auto_start_import,
            "edit100PercentMatch": edit_100_percent_match,
            "lockLocked": lock_locked,
            "enableSourceEditing": enable_source_editing,
            "usageMode": usage_mode,
            "orderdate": order_date,
            "deadlineDate": None if deadline_date is None else deadline_text(deadline_date, self.server_zone),
            "wordCount": word_count,
            **(extra_fields or {}),
        }
        fields += [(name, form_value(value)) for name, value in optional.items() if value is not None]
        # translate5 honours per-file types only together with per-file languages ("project upload"). With
        # one target, every file's language is that target; with several, the types become package folders.
        languages = list(file_languages) if file_languages is not None else None
        if languages is None and file_types is not None and len(codes) == 1:
            languages = [codes[0]] * len(prepared)
        project_upload = languages is not None
        single_package = len(prepared) == 1 and is_zip_package(prepared[0])
        wrap = not project_upload and not single_package and (len(codes) > 1 or file_types is not None)
        if project_upload:
            # Both lists, parallel to importUpload[] (types default to work files).
            fields += [("importUpload_type[]", kind) for kind in file_types or ["workfiles"] * len(prepared)]
            fields += [("importUpload_language[]", self._language_code(lang)) for lang in languages or ()]
        with ExitStack() as stack:
            if wrap:
                prepared = [stack.enter_context(import_package(prepared, file_types))]
            upload_field = "importUpload" if len(prepared) == 1 and not project_upload else "importUpload[]"
            uploads = [(upload_field, upload) for upload in prepared] + extras
            task = self._one(
                Task.from_api, "POST", "/editor/task", fields=fields, uploads=uploads, idempotent=False
            )
        return task.with_project_tasks()

    def start_import(self, task_id: int | str) -> Task:
        """Start the import of a task created with ``auto_start_import=False`` (a project: all its tasks)."""
        return self._one(
            Task.from_api, "POST", f"/editor/task/{positive_id(task_id)}/import", idempotent=False
        )

    def get_import_progress(self, task_guid: str) -> ImportProgress | None:
        """Import worker progress; None when no import worker is queued or running (e.g. finished)."""
        path = "/editor/task/importprogress"
        payload = self._json("GET", path, params={"taskGuid": non_empty(task_guid, "task_guid")})
        return ImportProgress.parse(self._field(payload, "progress", "GET", path))

    def update_task(
        self, task_id: int | str, data: Mapping[str, Any], *, entity_version: int | None = None
    ) -> Task:
        """``PUT /editor/task/ID``; with ``entity_version`` a concurrent change gives a 409 conflict."""
        body = dict(data)
        if entity_version is not None:
            body["entityVersion"] = entity_version
        return self._one(Task.from_api, "PUT", f"/editor/task/{positive_id(task_id)}", data=body)

    def rename_task(self, task_id: int | str, task_name: str, *, entity_version: int | None = None) -> Task:
        return self.update_task(
            task_id, {"taskName": non_empty(task_name, "task_name")}, entity_version=entity_version
        )

    def _set_state(self, task_id: int | str, state: str) -> Task:
        """PUT a state and check it took: translate5 answers HTTP 200 but keeps its state while a task
        imports or is in a special export state (e.g. ``ExcelExported``)."""
        task = self.update_task(task_id, {"state": state})
        if task.state != state:
            raise Translate5ConflictError(
                status=200,
                error_message=f"translate5 ignored state={state!r} for task {task.id}: the task is in state "
                f"{task.state!r}",
                method="PUT",
                url=self._transport.url_for(f"/editor/task/{task.id}"),
                hint="translate5 keeps a task's state while it imports, runs an operation or is in a "
                "special export state such as ExcelExported (reimport the Excel file first); try again when "
                "it is open",
            )
        return task

    def end_task(self, task_id: int | str) -> Task:
        """End the task; raises :class:`Translate5ConflictError` naming the state if it was ignored."""
        return self._set_state(task_id, "end")

    def reopen_task(self, task_id: int | str) -> Task:
        """Reopen the task; raises :class:`Translate5ConflictError` naming the state if it was ignored."""
        return self._set_state(task_id, "open")

    def cancel_import(self, task_id: int | str) -> Task:
        return self.update_task(task_id, {"state": "error"})

    def delete_task(self, task_id: int | str, *, force: bool = False) -> None:
        """Delete a task (a project: with all its tasks)."""
        self._json("DELETE", f"/editor/task/{positive_id(task_id)}", params={"force": 1} if force else None)

    # -- jobs / workflow ------------------------------------------------------------------------------------

    @staticmethod
    def _version_header(entity_version: int | None) -> dict[str, str] | None:
        return {ENTITY_VERSION_HEADER: str(entity_version)} if entity_version is not None else None

    def list_jobs(self, task_id: int | str) -> list[Job]:
        jobs, _payload = self._many(Job.from_api, "GET", f"/editor/task/{positive_id(task_id)}/job")
        return jobs

    def create_job(
        self,
        task_id: int | str,
        *,
        user_guid: str,
        workflow_step_name: str,
        state: str | None = None,
        type: int | None = None,  # translate5's field name
        deadline_date: str | datetime | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Job:
        """Assign a user to a workflow step of the task (``type`` 1 = editor, 2 = coordinator).

        ``deadline_date``: the server's local time (``"YYYY-MM-DD HH:MM:SS"`` or a datetime), or ``"default"``
        (translate5 derives it from its configuration); one with a zone needs ``server_timezone``.
        No ``Mqi-Entity-Version`` is sent: translate5 does not check it when a job is created (only job PUT
        and DELETE do).
        """
        body: dict[str, Any] = {
            "userGuid": non_empty(user_guid, "user_guid"),
            "workflowStepName": non_empty(workflow_step_name, "workflow_step_name"),
        }
        deadline = (
            deadline_date
            if deadline_date in (None, "default")
            else deadline_text(deadline_date, self.server_zone)
        )
        optional = {"state": state, "type": type, "deadlineDate": deadline}
        body.update({key: value for key, value in optional.items() if value is not None})
        body.update(extra or {})
        return self._one(
            Job.from_api,
            "POST",
            f"/editor/task/{positive_id(task_id)}/job",
            data=body,
            idempotent=False,
        )

    def delete_job(
        self, task_id: int | str, job_id: int | str, *, entity_version: int | None = None, force: bool = False
    ) -> None:
        self._json(
            "DELETE",
            f"/editor/task/{positive_id(task_id)}/job/{positive_id(job_id, 'job id')}",
            params={"force": 1} if force else None,
            headers=self._version_header(entity_version),
        )

    def trigger_workflow(self, task_id: int | str, trigger: str) -> dict[str, Any]:
        """Run a configured workflow action (e.g. ``notifyAllUsersAboutTaskAssociation``)."""
        return self._json_object(
            "POST",
            f"/editor/task/{positive_id(task_id)}/workflow",
            fields=[("trigger", non_empty(trigger, "trigger"))],
            idempotent=False,
        )

    # -- export ---------------------------------------------------------------------------------------------

    @contextmanager
    def open_export(
        self,
        task_id: int | str,
        *,
        format: str | None = None,  # translate5's parameter name
        diff: bool = False,
        taskguiddirectory: bool | None = None,
    ) -> Iterator[Download]:
        """Stream an export (ZIP by default; ``format="filetranslation"`` gives the single translated file).

        translate5 exports synchronously; a 409 E1538 (export of this task already running) is waited out.
        ``format`` is None (the ZIP) or one of :data:`EXPORT_FORMATS`; other values are refused before any
        request (translate5 answers them with JSON, a redirect, HTML or an error, never a file).
        """
        if format not in (None, "") and format not in EXPORT_FORMATS:
            raise Translate5ValueError(
                f"export format {format!r} is not one that answers a file; use None (the ZIP) or one of "
                f"{sorted(EXPORT_FORMATS)}"
            )
        format = format or None
        number = positive_id(task_id)
        params = {"format": format, "diff": "1" if diff else None}
        if taskguiddirectory is not None:
            params["taskguiddirectory"] = form_value(taskguiddirectory)
        fallback = f"task-{number}" + ("-diff" if diff else "") + (f"-{format}" if format else "")
        with self._download(
            f"/editor/task/export/id/{number}",
            {key: value for key, value in params.items() if value is not None},
            fallback,
            export=True,
            zip_expected=format != "filetranslation",  # the others are ZIPs (an xlsx for excelhistory)
        ) as download:
            yield download

    def export_task(
        self, task_id: int | str, destination: str | os.PathLike[str] | Any, **export_kwargs: Any
    ) -> Any:
        """Export into ``destination`` (a directory: the server's file name is used) atomically.

        ``destination`` may be a local path or an object-storage path (``ObjectStoragePath``); see
        :func:`~airflow_provider_translate5.client.files.write_atomically`.
        """
        with self.open_export(task_id, **export_kwargs) as download:
            return download.save(destination)

    @contextmanager
    def open_excel_export(self, task_id: int | str) -> Iterator[Download]:
        """Stream the Excel export; translate5 locks the task (state ``ExcelExported``) until the reimport."""
        number = positive_id(task_id)
        path = f"/editor/task/{number}/excelexport"
        with self._download(path, None, f"task-{number}.xlsx", export=True, zip_expected=True) as download:
            yield download

    def excel_reimport(self, task_id: int | str, file: UploadSource) -> dict[str, Any]:
        upload = prepare_upload(file, "Excel file")
        return self._json_object(
            "POST",
            f"/editor/task/{positive_id(task_id)}/excelreimport",
            uploads=[("excelreimportUpload", upload)],
            idempotent=False,
        )

    @contextmanager
    def open_download(self, url_path: str) -> Iterator[Download]:
        """Stream a server-relative download URL (e.g. an InstantTranslate ``downloadUrl``)."""
        with self._download(non_empty(url_path, "url_path"), None, "download") as download:
            yield download

    # -- InstantTranslate -----------------------------------------------------------------------------------

    def instant_translate(
        self,
        text: str,
        *,
        source: str,
        target: str,
        langres_type: str | None = None,
        langres_id: str | None = None,
    ) -> dict[str, Any]:
        fields = [
            ("text", non_empty(text, "text")),
            ("source", _rfc5646(source, "source")),
            ("target", _rfc5646(target, "target")),
        ]
        optional = {"langresType": langres_type, "langresId": langres_id}
        fields += [(name, form_value(value)) for name, value in optional.items() if value is not None]
        return self._json_object(
            "POST", "/editor/instanttranslateapi/translate", fields=fields, idempotent=True
        )

    def file_pretranslate(
        self, file: UploadSource, *, source: str, target: str, customer_id: str | int | None = None
    ) -> int:
        """Start an InstantTranslate file pre-translation; returns its task id (poll the file list)."""
        upload = prepare_upload(file, "file")
        fields = [("source", self._language_code(source)), ("target", self._language_code(target))]
        if customer_id is not None:
            fields.append(("customerId", form_value(customer_id)))
        path = "/editor/instanttranslateapi/filepretranslate"
        payload = self._json("POST", path, fields=fields, uploads=[("file", upload)], idempotent=False)
        task_id = to_int(self._field(payload, "taskId", "POST", path))
        if task_id is None:
            raise self._transport.unexpected("'taskId' is not a number", "POST", path)
        return task_id

    def list_pretranslated_files(self) -> PretranslatedFileList:
        path = "/editor/instanttranslateapi/filelist"
        payload = self._json("GET", path)
        if not isinstance(payload, Mapping):
            raise self._transport.unexpected("no file list object", "GET", path)
        return PretranslatedFileList.from_api(payload)

    def write_tm(self, *, source_language: str, target_language: str, source: str, target: str) -> list[int]:
        """Store a translation in the user's InstantTranslate memory; returns the language resource ids."""
        body = {
            "sourceLanguage": _rfc5646(source_language, "source_language"),
            "targetLanguage": _rfc5646(target_language, "target_language"),
            "source": non_empty(source, "source"),
            "target": non_empty(target, "target"),
        }
        path = "/editor/instanttranslateapi/writetm"
        payload = self._json("POST", path, data=body, idempotent=False)
        return _ids(self._field(payload, "created", "POST", path))
