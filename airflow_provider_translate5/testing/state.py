"""The simulated database: users, sessions, tasks, jobs - and how they move on with time.

Everything lives in memory behind ONE re-entrant lock (``Store.lock``); uploaded files live in the
simulator's temp dir. Time-driven changes (import workers finishing, workflow auto-finish) are applied by
:meth:`Store.advance`, which the server calls before every request and from a small ticker thread, so
callbacks fire even when nobody polls.
"""

from __future__ import annotations

import heapq
import secrets
import shutil
import string
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_translate5.testing import catalog, shapes
from airflow_provider_translate5.testing.config import SimulatorConfig

TOKEN_SESSION_LIFETIME = 1200.0
PASSWORD_SESSION_LIFETIME = 864000.0
WORKERS_TOTAL = 6  # importprogress showed workersTotal 4 at the start and 6 at the end
SYSTEM_GUID = "{00000000-0000-0000-0000-000000000000}"
SYSTEM_USER_NAME = "user, system (system)"
INTERNAL_LOCK = "*translate5InternalLock*"
MANAGER_ROLES = ("systemadmin", "admin", "pm", "editor", "taskOverview", "TMMaintenance_allClients")
EDITOR_ROLES = ("editor", "taskOverview")
IMPLICIT_ROLES = ("basic", "noRights")  # every logged-in user has them: listed by session/current only
FINISHED_JOB_STATES = ("finished", "auto-finish")
#: Job states of the step a task is in (translate5's ``validStates``: open, edit, view; unconfirmed when
#: competitive).
CURRENT_JOB_STATES = ("open", "edit", "view", "unconfirmed")
STEP_NOTICE = 'Der Workflow Schritt der Aufgabe wurde zu "{0}" geändert!'
HIDDEN_TASK_TYPES = frozenset({"instanttranslate-pre-translate"})
PRETRANSLATE_TYPE = "instanttranslate-pre-translate"

# Test hooks: a file name containing one of these changes the outcome of its import.
HOOK_IMPORT_ERROR = "import-error"
HOOK_NOT_PRETRANSLATED = "not-pretranslated"


def now_str(at: float | None = None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def _alnum(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_token(token_id: int = 1) -> str:
    """App token in translate5's shape ``<numericTokenId>:<36 alphanumerics>``."""
    return f"{token_id}:{_alnum(36)}"


def new_session_id() -> str:
    return _alnum(26, string.ascii_lowercase + string.digits)


def is_token_shaped(value: str) -> bool:
    head, sep, tail = value.partition(":")
    return bool(sep) and head.isdigit() and len(tail) == 36 and tail.isalnum() and tail.isascii()


@dataclass(frozen=True)
class User:
    id: int
    guid: str
    login: str
    first_name: str
    sur_name: str
    roles: tuple[str, ...]
    gender: str = "n"
    locale: str = "en"
    #: translate5 does not require unique addresses; test servers share one (part 2, §131).
    email: str | None = None

    @property
    def address(self) -> str:
        return self.email or f"{self.login}@example.org"

    @property
    def long_name(self) -> str:
        """translate5's ``longUserName`` / ``pmName``: "Sur, First (login)"."""
        return f"{self.sur_name}, {self.first_name} ({self.login})"

    def session_row(self, roles: tuple[str, ...]) -> dict[str, Any]:
        """``user`` of GET /editor/session/current: native numbers, roles as a LIST (section 01)."""
        return {
            "id": self.id,
            "userGuid": self.guid,
            "firstName": self.first_name,
            "surName": self.sur_name,
            "gender": self.gender,
            "login": self.login,
            "email": self.address,
            "roles": [*roles, *IMPLICIT_ROLES],
            "passwd": "********",
            "editable": 0 if "systemadmin" in roles else 1,
            "locale": self.locale,
            "customers": "",
            "userName": f"{self.first_name} {self.sur_name}",
            "loginTimeStamp": int(time.time()),
            "isClientRestricted": False,
            "restrictedClientIds": [],
        }

    def list_row(self, roles: tuple[str, ...]) -> dict[str, Any]:
        """A GET /editor/user row: roles as a comma STRING (section 43); shapes.typed() makes ids strings."""
        return {
            "id": self.id,
            "userGuid": self.guid,
            "firstName": self.first_name,
            "surName": self.sur_name,
            "gender": self.gender,
            "login": self.login,
            "email": self.address,
            "roles": ",".join(roles),
            "editable": 0 if "systemadmin" in roles else 1,
            "locale": self.locale,
            "customers": "",
            "coordinatorGroup": None,
        }


def _guid() -> str:
    return "{" + str(uuid.uuid4()) + "}"


#: The address the recorded server's manager, translator1 and 13 more users share (part 2, §130/131).
SHARED_EMAIL = "noreply@translate5.net"
DEFAULT_USERS = (
    User(1, "{00000000-0000-4000-8000-000000000001}", "manager", "Project", "Manager", MANAGER_ROLES, "m",
         email=SHARED_EMAIL),
    User(2, "{00000000-0000-4000-8000-000000000002}", "translator1", "Trans", "Lator One", EDITOR_ROLES, "f",
         email=SHARED_EMAIL),
    User(3, "{00000000-0000-4000-8000-000000000003}", "reviewer1", "Rick", "Reviewer", EDITOR_ROLES, "m"),
    User(4, "{00000000-0000-4000-8000-000000000004}", "translator2", "Tom", "Translator", EDITOR_ROLES, "m",
         email=SHARED_EMAIL),
)  # fmt: skip


def step_notice(step: str) -> dict[str, Any]:
    """The German notice translate5 returns when a job change moved the task's workflow step."""
    label = step[:1].upper() + step[1:]
    return {"origin": "core", "msg": STEP_NOTICE, "id": -1, "data": label, "type": "notice"}


def _states_fit(steps: list[str], step: str, jobs: list[dict[str, Any]]) -> bool:
    """Whether the jobs' states point at ``step`` (translate5's ``areTuasSubset``): earlier steps finished,
    ``step`` current, later steps waiting, and at least one job of ``step``; off-chain jobs (visiting,
    pmCheck) are left out."""
    at = steps.index(step)
    has_own = False
    for job in jobs:
        if job["workflowStepName"] not in steps:
            continue
        index = steps.index(job["workflowStepName"])
        fits = FINISHED_JOB_STATES if index < at else CURRENT_JOB_STATES if index == at else ("waiting",)
        if job["state"] not in fits:
            return False
        has_own = has_own or index == at
    return has_own


def blank_row(task_id: int, creator: User, app_version: str = "development") -> dict[str, Any]:
    """Every LEK_task column with the value a fresh task shows (section 10), in the server's key order."""
    now = now_str()
    return {
        "id": task_id,
        "entityVersion": 1,
        "modified": now,
        "taskGuid": _guid(),
        "taskNr": "",
        "foreignId": "",
        "taskName": "",
        "foreignName": "",
        "foreignState": None,
        "sourceLang": 0,
        "targetLang": 0,
        "relaisLang": 0,
        "lockedInternalSessionUniqId": None,
        "locked": None,
        "lockingUser": None,
        "state": "import",
        "workflow": "default",
        "workflowStep": 1,
        "workflowStepName": catalog.NO_WORKFLOW,
        "pmGuid": creator.guid,
        "pmName": creator.long_name,
        "wordCount": 0,
        "userCount": 0,
        "referenceFiles": 0,
        "terminologie": 0,
        "orderdate": None,
        "enddate": None,
        "enableSourceEditing": 0,
        "edit100PercentMatch": 0,
        "lockLocked": 0,
        "qmSubsegmentFlags": None,
        "emptyTargets": 0,
        "importAppVersion": app_version,
        "customerId": 1,
        "usageMode": "simultaneous",
        "segmentCount": 0,
        "segmentEditableCount": 0,
        "segmentFinishCount": 0,
        "taskType": "default",
        "projectId": task_id,
        "diffExportUsable": 0,
        "reimportable": 1,
        "description": "",
        "created": now,
        "deadlineDate": None,
        "createdByUserGuid": creator.guid,
    }


def lock_for(row: dict[str, Any], what: str) -> None:
    """An internal (system) lock, e.g. ``*translate5InternalLock*import`` while a task imports."""
    row["lockedInternalSessionUniqId"] = INTERNAL_LOCK + what
    row["locked"] = now_str()
    row["lockingUser"] = SYSTEM_GUID


def unlock(row: dict[str, Any]) -> None:
    row["lockedInternalSessionUniqId"] = row["locked"] = row["lockingUser"] = None


@dataclass
class Session:
    id: str
    user_guid: str
    token_auth: bool  # CSRF is off only for app-token sessions (docs/compatibility.md#sessions)
    expires: float
    session_token: str = field(default_factory=lambda: secrets.token_hex(16))


@dataclass
class TaskFile:
    relpath: str  # path inside the task ("sub/file.xlf"), without workfiles/ prefix
    kind: str  # workfiles | pivot | reference
    path: Path
    language: int | None = None  # target language for project-upload mode
    #: Targets a reimport set, by unit id: exports show them instead of the pseudo translation (§143-147).
    targets: dict[str, str] = field(default_factory=dict)
    #: The last file reimported into it: the task's import archive holds it instead of the upload (§150).
    archived: Path | None = None


@dataclass
class Task:
    row: dict[str, Any]
    files: list[TaskFile] = field(default_factory=list)
    import_started: float | None = None
    import_finished: float | None = None
    fail_import: bool = False
    not_pretranslated: bool = False
    last_errors: list[dict[str, Any]] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    export_running: bool = False
    workflow_finished: bool = False
    excel_state_before: str = "open"

    @property
    def id(self) -> int:
        return int(self.row["id"])

    @property
    def guid(self) -> str:
        return str(self.row["taskGuid"])

    @property
    def is_project(self) -> bool:
        return bool(self.row["taskType"] == "project")

    @property
    def importing(self) -> bool:
        return bool(self.row["state"] == "import")


class Store:
    def __init__(
        self, config: SimulatorConfig, root: Path, token: str, user_tokens: dict[str, str] | None = None
    ) -> None:
        self.lock = threading.RLock()
        self.config = config
        self.root = root
        self.token = token
        self.users = {u.guid: u for u in DEFAULT_USERS}
        self.manager = DEFAULT_USERS[0]
        self.tokens = {token: self.manager.guid}
        for login, user_token in (user_tokens or {}).items():
            user = self.user_by_login(login)
            if user is None:
                raise ValueError(f"no simulated user {login!r}")
            self.tokens[user_token] = user.guid
        self.sessions: dict[str, Session] = {}
        self.tasks: dict[int, Task] = {}
        self.deleted: set[int] = set()
        self.jobs: dict[int, dict[str, Any]] = {}
        #: The jobs of each task by taskGuid, so a task's jobs are found without scanning every job:
        #: finishing 20,000 workflows scanned 20,000 jobs each (minutes under the store lock).
        self._jobs_by_task: dict[str, dict[int, dict[str, Any]]] = {}
        #: What :meth:`advance` may have to act on: running imports by start time (the first one not due
        #: ends the look), and imported tasks whose workflow has not ended. Every request calls it under the
        #: store lock; scanning all 30,000 tasks of a 10,000-item run there made the lock the simulator's
        #: bottleneck.
        self._imports: list[tuple[float, int]] = []
        self._workflow_open: set[int] = set()
        self.tm_ids: dict[tuple[str, str], int] = {}
        self._next_task = 1
        self._next_job = 1
        self._next_error = 1

    # ----- users and sessions -------------------------------------------------------------------------
    def user_by_login(self, login: str) -> User | None:
        return next((u for u in self.users.values() if u.login == login), None)

    def user_by_token(self, token: str) -> User | None:
        guid = self.tokens.get(token.strip())
        return self.users.get(guid) if guid else None

    def roles(self, user: User) -> tuple[str, ...]:
        """The user's roles; the manager gets ``api`` only with the ``api_role`` knob (as on the server)."""
        if user.guid == self.manager.guid and self.config.api_role:
            return (*user.roles, "api")
        return user.roles

    def is_pm(self, user: User) -> bool:
        return bool({"pm", "admin", "systemadmin"} & set(self.roles(user)))

    def new_session(self, user: User, *, token_auth: bool) -> Session:
        lifetime = TOKEN_SESSION_LIFETIME if token_auth else PASSWORD_SESSION_LIFETIME
        session = Session(new_session_id(), user.guid, token_auth, time.time() + lifetime)
        self.sessions[session.id] = session
        return session

    def session(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self.sessions.get(session_id)
        if session is not None and session.expires < time.time():
            del self.sessions[session_id]
            return None
        return session

    # ----- tasks --------------------------------------------------------------------------------------
    def task(self, task_id: int | str) -> Task | None:
        text = str(task_id)
        if text.isdigit():
            return self.tasks.get(int(text))
        return next((t for t in list(self.tasks.values()) if t.guid.lower() == text.lower()), None)

    def task_dir(self, task_id: int) -> Path:
        path = self.root / "tasks" / str(task_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def reserve_ids(self, count: int) -> None:
        """Ids a failed create used up (the real server's auto-increment does not give them back)."""
        self._next_task += count

    def new_task(self, fields: dict[str, Any], creator: User) -> Task:
        task_id = self._next_task
        self._next_task += 1
        row = blank_row(task_id, creator, self.config.app_version)
        row.update(fields)
        task = Task(row)
        self.tasks[task_id] = task
        return task

    def touch(self, task: Task) -> None:
        """Every update bumps entityVersion (a MySQL trigger in translate5)."""
        task.row["entityVersion"] += 1
        task.row["modified"] = now_str()

    def start_import(self, task: Task, at: float | None = None) -> None:
        if task.is_project:
            for child_id in task.children:
                child = self.tasks.get(child_id)
                if child is not None:
                    self.start_import(child, at)
            return
        if task.importing and task.import_started is None and task.import_finished is None:
            task.import_started = time.time() if at is None else at
            heapq.heappush(self._imports, (task.import_started, task.id))

    def import_progress(self, task: Task) -> dict[str, Any] | None:
        """The ``progress`` object of importprogress (sections 14, 16): integer percent, at least 1."""
        if task.import_finished is not None:
            fraction, done = 1.0, WORKERS_TOTAL
        elif task.importing and task.import_started is not None:
            duration = max(self.config.import_duration, 1e-6)
            fraction = min(max((time.time() - task.import_started) / duration, 0.01), 0.99)
            done = min(int(fraction * WORKERS_TOTAL), WORKERS_TOTAL - 1)
        else:
            return None
        return {
            "progress": max(1, int(fraction * 100)),
            "workersDone": done,
            "workersTotal": WORKERS_TOTAL,
            "taskGuid": task.guid,
            "workerRunning": "",
            "operationType": "import",
        }

    def add_error(self, task: Task, message: str, code: str = "E1000") -> None:
        task.last_errors.append(
            {
                "id": self._next_error,
                "taskGuid": task.guid,
                "errorCode": code,
                "level": 4,
                "domain": "editor.import",
                "worker": "editor_Models_Import_Worker",
                "message": message,
                "created": now_str(),
            }
        )
        self._next_error += 1

    def advance(self) -> list[dict[str, Any]]:
        """Apply everything that became due; returns the tasks whose import ended (for the callback)."""
        finished: list[dict[str, Any]] = []
        now = time.time()
        with self.lock:
            while self._imports and now >= self._imports[0][0] + self.config.import_duration:
                started, task_id = heapq.heappop(self._imports)
                task = self.tasks.get(task_id)
                if task is not None and task.import_started == started and task.importing:
                    self._finish_import(task, now)
                    finished.append(self.callback_row(task))
            auto = self.config.workflow_auto_finish
            for task_id in sorted(self._workflow_open) if auto is not None else ():
                task = self.tasks.get(task_id)
                if task is None or task.workflow_finished:
                    self._workflow_open.discard(task_id)
                elif task.row["state"] in ("open", "unconfirmed") and self._auto_finish_due(task, now):
                    self.finish_workflow(task)
        return finished

    def _auto_finish_due(self, task: Task, now: float) -> bool:
        auto = self.config.workflow_auto_finish
        return auto is not None and task.import_finished is not None and now >= task.import_finished + auto

    def callback_row(self, task: Task) -> dict[str, Any]:
        """The task row translate5 POSTs to the import callback URL (DB columns, strings like everywhere)."""
        row = {
            k: v for k, v in task.row.items() if k not in ("lockedInternalSessionUniqId", "qmSubsegmentFlags")
        }
        return shapes.typed(row, shapes.TASK_STRING_COLUMNS, self.config.numbers_as_strings)

    def _finish_import(self, task: Task, now: float) -> None:
        task.import_finished = now
        self._workflow_open.add(task.id)
        row = task.row
        unlock(row)
        if task.fail_import:
            row["state"] = "error"
            self.add_error(
                task, "The import of the task failed: the file asked for it (simulator test hook)."
            )
        else:
            row["state"] = self.config.initial_task_state
            segments = self._segment_count(task)
            row["segmentCount"] = row["segmentEditableCount"] = segments
            row["emptyTargets"] = 1
            if not row["wordCount"]:
                row["wordCount"] = segments * 3
            for job in self.task_jobs(task):
                job["segmentEditableCount"] = segments
            self._assign_default_jobs(task)
            self.recalculate_step(task)
        self.touch(task)

    def _assign_default_jobs(self, task: Task) -> None:
        """translate5's import gives a task its customer's default jobs for its languages and workflow
        (part 2, §148: the job is there right after the import); a person with a job in that step keeps it."""
        row = task.row
        taken = {(job["userGuid"], job["workflowStepName"]) for job in self.task_jobs(task)}
        for number, login, step, source, target in catalog.DEFAULT_JOBS:
            customer = catalog.find_customer(number)
            user = self.user_by_login(login)
            if (
                customer is None
                or user is None
                or str(row["customerId"]) != str(customer.id)
                or row["workflow"] != "default"
                or (row["sourceLang"], row["targetLang"])
                != (catalog.resolve_language(source), catalog.resolve_language(target))
                or (user.guid, step) in taken
            ):
                continue
            self.new_job(task, user, step, {})

    def _segment_count(self, task: Task) -> int:
        total = 0
        for task_file in task.files:
            if task_file.kind == "workfiles":
                total += self._estimate(task_file)
        return max(total, 1)

    @staticmethod
    def _estimate(task_file: TaskFile) -> int:
        stat_size = task_file.path.stat().st_size
        if stat_size <= 1 << 20:
            data = task_file.path.read_bytes()
            units = data.count(b"<trans-unit") + data.count(b"<unit ")
            return units or max(1, data.count(b"\n"))
        return max(1, stat_size // 80)

    # ----- workflow -----------------------------------------------------------------------------------
    def chain(self, task: Task) -> list[str]:
        flow = catalog.WORKFLOWS.get(task.row["workflow"], catalog.WORKFLOWS["default"])
        return [name for name, _ in flow.steps]

    def task_jobs(self, task: Task) -> list[dict[str, Any]]:
        return list(self._jobs_by_task.get(task.guid, {}).values())

    def _open_jobs_of_current_step(self, task: Task) -> None:
        for job in self.task_jobs(task):
            if job["workflowStepName"] == task.row["workflowStepName"] and job["state"] == "waiting":
                job["state"] = "open"

    def recalculate_step(self, task: Task) -> str | None:
        """Put the task at the first chain step with unfinished jobs: "no workflow" without jobs,
        "workflowEnded" when all are finished, and open the waiting jobs of the step reached. This is what
        translate5 does at the end of an import (``setupInitialWorkflow``) and when a step is finished (the
        next step's jobs open); a job created or changed through the API moves the step by
        :meth:`recalculate_step_by_jobs`. Returns the new step if it changed (for the notice)."""
        if task.is_project:
            return None
        jobs = self.task_jobs(task)
        steps = self.chain(task)
        pending = {j["workflowStepName"] for j in jobs if j["state"] not in FINISHED_JOB_STATES}
        if not jobs:
            wanted = catalog.NO_WORKFLOW
        elif any(step in pending for step in steps):
            wanted = next(step for step in steps if step in pending)
        elif pending:
            wanted = sorted(pending)[0]  # only off-chain steps (visiting, pmCheck) left
        else:
            wanted = catalog.WORKFLOW_ENDED
        return self._move_step(task, wanted)

    def recalculate_step_by_jobs(self, task: Task) -> str | None:
        """After a job POST or PUT: translate5's ``recalculateWorkflowStep`` (``StepRecalculation.php``).

        The task moves to the first chain step its jobs' states fit (jobs of earlier steps finished, of that
        step open, being worked on or unconfirmed, of later steps waiting) and stays where it is when none
        fits. So a job created without ``state`` - translate5's default ``waiting`` - moves nothing and
        opens nothing (part 2 §138); opening it moves the step, with the notice (§140, part 1 §45).
        """
        if task.is_project:
            return None
        jobs = self.task_jobs(task)
        steps = self.chain(task)
        fitting = [s for s in steps if _states_fit(steps, s, jobs)] if jobs else [catalog.NO_WORKFLOW]
        if not fitting or task.row["workflowStepName"] in fitting:
            return None
        return self._move_step(task, fitting[0])

    def _move_step(self, task: Task, wanted: str) -> str | None:
        current = task.row["workflowStepName"]
        steps = self.chain(task)
        if wanted == current:
            return None
        moved_on = current in steps and (
            wanted == catalog.WORKFLOW_ENDED
            or steps.index(current) < (steps.index(wanted) if wanted in steps else -1)
        )
        task.row["workflowStepName"] = wanted
        if moved_on:
            task.row["workflowStep"] += 1
        if wanted == catalog.WORKFLOW_ENDED:
            task.row["segmentFinishCount"] = task.row["segmentEditableCount"]
            task.workflow_finished = True
        else:
            task.workflow_finished = False
            if task.import_finished is not None:
                self._workflow_open.add(task.id)
        self._open_jobs_of_current_step(task)
        self.touch(task)
        return wanted

    def finish_step(self, task: Task) -> None:
        """Act as the users of the current step: finish their jobs (a project: in all its tasks). A task
        without jobs first gets translator1 in the first step, as only jobs can end a workflow."""
        if task.is_project:
            for child_id in task.children:
                child = self.tasks.get(child_id)
                if child is not None:
                    self.finish_step(child)
            return
        current = task.row["workflowStepName"]
        if current == catalog.WORKFLOW_ENDED:
            return
        if current == catalog.NO_WORKFLOW and self.task_jobs(task):
            return  # only waiting jobs: nobody can work, and translate5 does not start the workflow (§138)
        if not self.task_jobs(task):
            translator = self.user_by_login("translator1") or self.manager
            self.new_job(task, translator, self.chain(task)[0], {"state": "open"})
            self.recalculate_step(task)
            current = task.row["workflowStepName"]
        for job in self.task_jobs(task):
            if job["workflowStepName"] == current and job["state"] not in FINISHED_JOB_STATES:
                self._mark_finished(task, job)
        self.recalculate_step(task)

    def _mark_finished(self, task: Task, job: dict[str, Any]) -> None:
        job["state"] = "finished"
        job["finishedDate"] = now_str()
        job["segmentFinishCount"] = task.row["segmentEditableCount"]

    def finish_workflow(self, task: Task) -> None:
        if task.is_project:
            for child_id in task.children:
                child = self.tasks.get(child_id)
                if child is not None:
                    self.finish_workflow(child)
            return
        for _ in range(len(self.chain(task)) + 3):
            if task.row["workflowStepName"] == catalog.WORKFLOW_ENDED:
                break
            self.finish_step(task)
        task.workflow_finished = True

    def job_finished(self, task: Task, job: dict[str, Any]) -> str | None:
        """A user (or the PM) finished a job: the workflow moves on once its step is done."""
        job["finishedDate"] = job.get("finishedDate") or now_str()
        return self.recalculate_step(task)

    def progress_summary(self, task: Task) -> list[dict[str, Any]]:
        """``workflowProgressSummary`` (section 15): every step of the workflow incl. the pseudo steps."""
        if task.importing or task.is_project or task.import_finished is None:
            return []
        current = task.row["workflowStepName"]
        steps = [catalog.NO_WORKFLOW, *self.chain(task), catalog.WORKFLOW_ENDED, "pmCheck", "visiting"]
        jobs = self.task_jobs(task)
        summary = []
        for step in steps:
            step_jobs = [j for j in jobs if j["workflowStepName"] == step]
            done = sum(1 for j in step_jobs if j["state"] in FINISHED_JOB_STATES)
            if step_jobs and done == len(step_jobs):
                status, progress = "finished", 100
            elif step == current:
                status = "edit"
                progress = round(100 * done / len(step_jobs)) if step_jobs else 0
            else:
                status, progress = "open", 0
            edited = task.row["segmentEditableCount"] if status == "finished" else 0
            summary.append(
                {
                    "workflowStep": step,
                    "status": status,
                    "progress": progress,
                    "segmentWorkCount": {"edited": edited, "confirmed": edited, "sum": edited},
                }
            )
        return summary

    # ----- jobs ---------------------------------------------------------------------------------------
    def new_job(self, task: Task, user: User, step: str, data: dict[str, Any]) -> dict[str, Any]:
        job_id = self._next_job
        self._next_job += 1
        role = catalog.step_role(task.row["workflow"], step) or "translator"
        state = data.get("state") or "waiting"
        if task.row["usageMode"] == "competitive" and not data.get("state"):
            state = "unconfirmed"
        job = {
            "id": job_id,
            "taskGuid": task.guid,
            "userGuid": user.guid,
            "sourceLang": task.row["sourceLang"],
            "targetLang": task.row["targetLang"],
            "state": state,
            "role": role,
            "workflowStepName": step,
            "workflow": task.row["workflow"],
            "segmentrange": data.get("segmentrange"),
            "segmentEditableCount": task.row["segmentEditableCount"],
            "segmentFinishCount": 0,
            "usedState": None,
            "deadlineDate": None if data.get("deadlineDate") == "default" else data.get("deadlineDate"),
            "assignmentDate": data.get("assignmentDate") or now_str(),
            "finishedDate": None,
            "trackchangesShow": int(data.get("trackchangesShow", 1)),
            "trackchangesShowAll": int(data.get("trackchangesShowAll", 1)),
            "trackchangesAcceptReject": int(data.get("trackchangesAcceptReject", 1)),
            "type": int(data.get("type", 1)),
            "login": user.login,
            "firstName": user.first_name,
            "surName": user.sur_name,
            "longUserName": user.long_name,
            "groupId": None,
            "isCoordinatorGroupJob": False,
            "isCoordinatorGroupUserJob": False,
        }
        self.jobs[job_id] = job
        self._jobs_by_task.setdefault(task.guid, {})[job_id] = job
        task.row["userCount"] = len(self.task_jobs(task))
        self.touch(task)
        return job

    def delete_job(self, task: Task, job: dict[str, Any]) -> str | None:
        del self.jobs[job["id"]]
        self._jobs_by_task.get(task.guid, {}).pop(job["id"], None)
        task.row["userCount"] = len(self.task_jobs(task))
        self.touch(task)
        return self.recalculate_step(task)

    # ----- deletion and cleanup -----------------------------------------------------------------------
    def delete_task(self, task: Task) -> None:
        for child_id in list(task.children):
            child = self.tasks.get(child_id)
            if child is not None:
                self.delete_task(child)
        self.tasks.pop(task.id, None)
        self.deleted.add(task.id)
        for job_id in self._jobs_by_task.pop(task.guid, {}):
            self.jobs.pop(job_id, None)
        shutil.rmtree(self.root / "tasks" / str(task.id), ignore_errors=True)

    def visible_tasks(self) -> Iterable[Task]:
        return [t for t in list(self.tasks.values()) if t.row["taskType"] not in HIDDEN_TASK_TYPES]

    def reset(self) -> None:
        with self.lock:
            for task in list(self.tasks.values()):
                self.delete_task(task)
            self.tasks.clear()
            self.deleted.clear()
            self.jobs.clear()
            self._jobs_by_task.clear()
            self._imports.clear()
            self._workflow_open.clear()
            self.sessions.clear()
            self.tm_ids.clear()
