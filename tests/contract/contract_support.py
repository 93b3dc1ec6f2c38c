"""Helpers of the contract suite: raw HTTP against translate5, waiting with deadlines, clean-up.

Everything here speaks translate5's public REST API only (never the simulator's ``/_simulator`` control
calls), so the same code runs against the bundled simulator and against a real translate5. Deadlines are
generous on purpose: a real import takes about ten seconds, an export about three.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import secrets
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
from t5support import eventually

if TYPE_CHECKING:
    from airflow_provider_translate5.client import Task, Translate5Client, UploadSource

#: Seconds an import may take before a test gives up (a real server needs ~10 s, a busy one much more).
IMPORT_DEADLINE = float(os.environ.get("TRANSLATE5_CONTRACT_IMPORT_TIMEOUT", "300"))
#: Seconds a workflow change (job finished -> workflowEnded) or a lock release may take.
STATE_DEADLINE = float(os.environ.get("TRANSLATE5_CONTRACT_STATE_TIMEOUT", "120"))
POLL_SECONDS = 0.5
#: (connect, read) seconds of every raw request: exports are synchronous in translate5.
TIMEOUT = (10.0, 300.0)

#: States in which translate5 is still importing the task (``preparation`` precedes ``import``).
IMPORTING = frozenset({"import", "preparation"})
#: States in which a task is busy with an operation and rejects most changes.
BUSY = IMPORTING | {
    "matchanalysis",
    "autoqa",
    "pivotpretranslation",
    "tagterms",
    "visualexchange",
    "reimport",
}

SOURCE = "en"
TARGET = "de"
SECOND_TARGET = "fr"
XLIFF_TYPE = "application/xliff+xml"
#: The file name of the one-page upload unless a test names another (umlauts: translate5's name handling).
UPLOAD_NAME = "About us ÄÖ.xlf"

#: One run's tag: every task this run creates carries it in its name and foreignId.
RUN_TAG = f"t5contract-{time.strftime('%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"
_counter = itertools.count(1)


def unique(label: str) -> str:
    """A name/foreignId unique to this run and call (translate5's foreignId limit is 120 characters)."""
    value = f"{RUN_TAG}-{next(_counter):03d}-{label}"
    return value[:120]


# -- content -------------------------------------------------------------------------------------------------


def xliff(
    units: Iterable[str], *, source: str = SOURCE, target: str = TARGET, original: str = "page"
) -> bytes:
    """An XLIFF 1.2 file with one trans-unit per text and empty targets (what a CMS sends)."""
    body = "\n".join(
        f'      <trans-unit id="{n}"><source>{_escape(text)}</source><target/></trans-unit>'
        for n, text in enumerate(units, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">\n'
        f'  <file original="{_escape(original)}" source-language="{source}" target-language="{target}"'
        ' datatype="plaintext">\n'
        f"    <body>\n{body}\n    </body>\n  </file>\n</xliff>\n"
    ).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


PAGE = xliff(["About us", "We translate websites.", "Contact us today."], original="about-us")
SECOND_PAGE = xliff(["Our products", "Fast and reliable."], original="products")


def import_package(files: Mapping[str, bytes]) -> bytes:
    """A translate5 import package: the files below ``workfiles/`` (a ZIP upload is always a package)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"workfiles/{name}", data)
    return buffer.getvalue()


def zip_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


# -- raw HTTP ------------------------------------------------------------------------------------------------


def recorded_type(value: Any, expected: type, what: str) -> str:
    """The message of a failed JSON-type check: what the recording showed and what this server sent.

    The recorded translate5 (PHP 8.2, MySQL) sends ids and counters of task and job rows as JSON strings;
    another PHP/MySQL setup (e.g. PDO with native types) may send numbers. The provider copes with both, but
    the suite pins the recording, so a reviewer must see at once that only the JSON type differs.
    """
    return (
        f"{what}: the recorded translate5 sent a JSON {expected.__name__}, this server sent "
        f"{type(value).__name__} {value!r} (a PHP/MySQL setup difference, not a lost value)"
    )


def as_recorded(value: Any, expected: str, what: str) -> None:
    """Assert a row value the recording sent as a JSON string (``"3"``); the same number is named as a type
    difference of the server's setup, any other value as a different answer."""
    if value == expected:
        return
    if str(value) == expected:
        raise AssertionError(recorded_type(value, str, what))
    raise AssertionError(f"{what}: expected {expected!r} (as recorded), this server sent {value!r}")


def describe(response: requests.Response) -> str:
    """Method, URL, status and the start of the body: the message of a failed assertion."""
    request = response.request
    return f"{request.method} {request.url} -> {response.status_code}: {response.text[:600]!r}"


def content_types(response: requests.Response) -> str:
    """All Content-Type values (translate5 sends the header twice; requests joins them with ', ')."""
    return response.headers.get("Content-Type", "").lower()


class T5Http:
    """A ``requests`` session on translate5's REST API with the app token header (and JSON by default).

    Redirects are never followed: translate5 answers a missing right with ``302 Location: /login``, which a
    test must see as such.
    """

    def __init__(self, base_url: str, token: str, *, accept_json: bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Translate5AuthToken"] = token
        if accept_json:
            self.session.headers["Accept"] = "application/json"

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The parsed JSON body of a call that must answer 200 (None for an empty body)."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, describe(response)
        return response.json() if response.content.strip() else None

    # -- the calls the helpers need --------------------------------------------------------------------------

    def task(self, task_id: int | str) -> dict[str, Any]:
        row = self.ok("GET", f"/editor/task/{task_id}")["rows"]
        assert isinstance(row, dict), row
        return row

    def find_task(self, task_id: int | str) -> dict[str, Any] | None:
        """The task row, or None once translate5 answers 404 (deleted)."""
        response = self.get(f"/editor/task/{task_id}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, describe(response)
        row = response.json()["rows"]
        assert isinstance(row, dict), row
        return row

    def list_tasks(self, filters: list[dict[str, Any]] | None = None, **params: Any) -> dict[str, Any]:
        query = dict(params)
        if filters is not None:
            query["filter"] = json.dumps(filters)
        payload = self.ok("GET", "/editor/task", params=query)
        assert isinstance(payload, dict), payload
        return payload

    def tasks_where(self, prop: str, value: Any, *, projects_only: bool = False) -> list[dict[str, Any]]:
        params = {"projectsOnly": 1} if projects_only else {}
        rows = self.list_tasks([{"operator": "eq", "value": value, "property": prop}], **params)["rows"]
        assert isinstance(rows, list), rows
        return rows

    def project_tasks(self, project_id: int | str) -> list[dict[str, Any]]:
        rows = self.tasks_where("projectId", int(project_id))
        return [row for row in rows if str(row["id"]) != str(project_id)]

    def put_task(self, task_id: int | str, data: Mapping[str, Any]) -> requests.Response:
        return self.put(f"/editor/task/{task_id}", data={"data": json.dumps(dict(data))})

    def jobs(self, task_id: int | str) -> list[dict[str, Any]]:
        rows = self.ok("GET", f"/editor/task/{task_id}/job")["rows"]
        assert isinstance(rows, list), rows
        return rows

    def create_job(
        self, task_id: int | str, user_guid: str, step: str = "translation", state: str = "open"
    ) -> requests.Response:
        data = {"userGuid": user_guid, "workflowStepName": step, "state": state}
        return self.post(f"/editor/task/{task_id}/job", data={"data": json.dumps(data)})

    def current_user(self) -> dict[str, Any]:
        user = self.ok("GET", "/editor/session/current")["user"]
        assert isinstance(user, dict), user
        return user

    def create_task(
        self,
        files: list[tuple[str, tuple[str, bytes, str]]],
        fields: Mapping[str, Any] | list[tuple[str, Any]],
    ) -> requests.Response:
        """``POST /editor/task`` as multipart/form-data: ``files`` are (field, (name, bytes, type)) pairs."""
        return self.post("/editor/task", files=files, data=fields)


# -- waiting -------------------------------------------------------------------------------------------------


def _summary(row: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "state", "workflowStepName", "segmentCount", "taskType", "locked", "entityVersion")
    return {key: row.get(key) for key in keys}


def wait_for_import(http: T5Http, task_id: int | str, *, deadline: float = IMPORT_DEADLINE) -> dict[str, Any]:
    """Wait until a task (or every task of a project) has imported and no operation runs; returns the row.

    The import must have been started (``autoStartImport`` default, or ``POST .../import``); a task created
    with ``autoStartImport=0`` stays in state ``import`` until then. ``error`` fails at once.
    """
    row = http.task(task_id)
    if row.get("taskType") == "project":
        for task in http.project_tasks(task_id):
            wait_for_import(http, task["id"], deadline=deadline)
        return http.task(task_id)
    final = eventually(
        lambda: http.task(task_id),
        lambda current: current.get("state") not in BUSY,  # imported, and no follow-up operation running
        what=f"the import of task {task_id}",
        timeout=deadline,
        interval=POLL_SECONDS,
    )
    assert final.get("state") != "error", f"import of task {task_id} failed: {_summary(final)}"
    return dict(final)


def wait_for_state(
    http: T5Http, task_id: int | str, accept: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    row = eventually(
        lambda: http.task(task_id),
        accept,
        what=f"{what} (task {task_id})",
        timeout=STATE_DEADLINE,
        interval=POLL_SECONDS,
    )
    return dict(row)


def finish_workflow_as_pm(http: T5Http, task_id: int | str, user_guid: str) -> dict[str, Any]:
    """End the task's workflow the way a PM can: assign ``user_guid`` if nobody is assigned, then finish every
    open job with ``PUT .../job/<id> data={"state":"finished"}``; wait for ``workflowEnded``."""
    jobs = http.jobs(task_id)
    if not jobs:
        response = http.create_job(task_id, user_guid)
        assert response.status_code == 200, describe(response)
        jobs = http.jobs(task_id)
    for job in jobs:
        if job.get("state") != "finished":
            response = http.put(
                f"/editor/task/{task_id}/job/{job['id']}", data={"data": json.dumps({"state": "finished"})}
            )
            assert response.status_code == 200, describe(response)
    return wait_for_state(
        http, task_id, lambda row: row.get("workflowStepName") == "workflowEnded", "workflow end"
    )


# -- tasks the run owns --------------------------------------------------------------------------------------


def create_owned_task(
    http: T5Http, cleanup: Cleanup, name: str, *, file_name: str = UPLOAD_NAME, **fields: Any
) -> dict[str, Any]:
    """Raw ``POST /editor/task`` of the one-page XLIFF (``PAGE``) as ``file_name``, en -> de, named ``name``
    (task name and foreignId); ``fields`` override or add form fields. Returns the body of the 200 answer.

    ``name`` is registered for the clean-up before the create (a create whose answer is lost is still found
    and deleted), the created id right after.
    """
    cleanup.foreign_id(name)
    form = {"taskName": name, "foreignId": name, "sourceLang": SOURCE, "targetLang": TARGET, **fields}
    response = http.create_task([("importUpload", (file_name, PAGE, XLIFF_TYPE))], form)
    assert response.status_code == 200, describe(response)
    body: dict[str, Any] = response.json()
    cleanup.task(body["rows"]["id"])
    return body


def import_owned_task(
    http: T5Http, cleanup: Cleanup, name: str, *, file_name: str = UPLOAD_NAME
) -> dict[str, Any]:
    """``create_owned_task`` without extra fields, then wait for its import: returns the imported row."""
    return wait_for_import(http, create_owned_task(http, cleanup, name, file_name=file_name)["rows"]["id"])


def create_owned_client_task(
    client: Translate5Client,
    http: T5Http,
    cleanup: Cleanup,
    name: str,
    files: UploadSource | list[UploadSource],
    *,
    source_lang: str = SOURCE,
    target_lang: str | list[str] = TARGET,
    wait: bool = True,
    **options: Any,
) -> Task:
    """The provider client's ``create_task`` of ``files`` named ``name`` (task name and foreignId), en -> de
    unless told; ``options`` are further ``create_task`` arguments. With ``wait``, returns once imported.

    ``name`` is registered for the clean-up before the create (a create whose answer is lost is still found
    and deleted), the created id right after. Returns the client's answer of the create.
    """
    cleanup.foreign_id(name)
    task = client.create_task(
        files, task_name=name, source_lang=source_lang, target_lang=target_lang, foreign_id=name, **options
    )
    cleanup.task(task.id)
    if wait:
        wait_for_import(http, task.id)
    return task


# -- clean-up ------------------------------------------------------------------------------------------------


@dataclass
class Cleanup:
    """What a test created, deleted afterwards whatever happened in between.

    Tasks are found by id and by every foreignId/task name registered (a failed create may leave a stub that
    the test never learned the id of). A task in state ``ExcelExported`` cannot be deleted (409 E1046, even
    with ``force``), so its Excel file is re-imported first; that is why Excel exports register their file.
    """

    http: T5Http
    task_ids: list[str] = field(default_factory=list)
    foreign_ids: list[str] = field(default_factory=list)
    task_names: list[str] = field(default_factory=list)
    excel_files: dict[str, bytes] = field(default_factory=dict)

    def owned_name(self, label: str) -> str:
        """A new unique task name/foreignId (``unique``), registered BEFORE anything is created under it.

        A create that fails half way or whose answer is lost leaves a task the test never learned the id of;
        the registered foreignId still finds it for the clean-up.
        """
        name = unique(label)
        self.foreign_id(name)
        return name

    def task(self, task_id: int | str) -> None:
        self.task_ids.append(str(task_id))

    def foreign_id(self, foreign_id: str) -> None:
        if foreign_id not in self.foreign_ids:  # one look-up per foreignId, however often it is registered
            self.foreign_ids.append(foreign_id)

    def task_name(self, name: str) -> None:
        self.task_names.append(name)

    def excel_file(self, task_id: int | str, data: bytes) -> None:
        self.excel_files[str(task_id)] = data

    def _known_ids(self, problems: list[str]) -> list[str]:
        ids = list(self.task_ids)
        lookups = [("foreignId", value) for value in self.foreign_ids]
        lookups += [("taskName", value) for value in self.task_names]
        for prop, value in lookups:
            for projects_only in (True, False):
                try:
                    rows = self.http.tasks_where(prop, value, projects_only=projects_only)
                except Exception as error:  # one failed lookup must not keep the others from running
                    problems.append(f"looking up tasks with {prop} {value!r}: {error}")
                    continue
                ids += [str(row["id"]) for row in rows]
        return list(dict.fromkeys(ids))

    def run(self) -> list[str]:
        """Delete everything; returns what could not be deleted (empty when all is gone)."""
        problems: list[str] = []
        ids = self._known_ids(problems)
        # Tasks before their projects: a project task locked by an Excel export would block the project.
        projects: set[str] = set()
        for task_id in list(ids):
            try:
                row = self.http.find_task(task_id)
                if row is not None and row.get("taskType") == "project":
                    projects.add(task_id)
                    ids += [str(task["id"]) for task in self.http.project_tasks(task_id)]
            except Exception as error:  # still tried below: a plain DELETE needs no row
                problems.append(f"reading task {task_id} before its delete: {error}")
        ids = list(dict.fromkeys(ids))
        ordered = [task_id for task_id in ids if task_id not in projects] + sorted(projects)
        for task_id in ordered:
            try:
                self._delete(task_id)
            except Exception as error:  # clean-up reports every failure, then goes on
                problems.append(f"task {task_id}: {error}")
        return problems

    def _delete(self, task_id: str) -> None:
        response = self.http.delete(f"/editor/task/{task_id}")
        if response.status_code in (200, 404):
            return
        assert response.status_code == 409, describe(response)
        row = self.http.find_task(task_id)
        if row is None:
            return
        if row.get("state") == "ExcelExported":
            self._reimport_excel(task_id)
        elif row.get("state") in BUSY:
            wait_for_state(self.http, task_id, lambda r: r.get("state") not in BUSY, "end of operation")
        response = self.http.delete(f"/editor/task/{task_id}")
        if response.status_code == 409:
            response = self.http.delete(f"/editor/task/{task_id}", params={"force": 1})
        assert response.status_code in (200, 404), describe(response)

    def _reimport_excel(self, task_id: str) -> None:
        data = self.excel_files.get(task_id)
        if data is None:  # exported by something that did not register the file: export it again
            response = self.http.get(f"/editor/task/{task_id}/excelexport")
            assert response.status_code == 200, describe(response)
            data = response.content
        response = self.http.post(
            f"/editor/task/{task_id}/excelreimport",
            files=[("excelreimportUpload", ("reimport.xlsx", data, XLSX))],
        )
        assert response.status_code == 200, describe(response)
        wait_for_state(
            self.http, task_id, lambda r: r.get("state") not in BUSY | {"ExcelExported"}, "Excel re-import"
        )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
