"""``make deployment-test``: the example DAGs on a distributed Airflow, as a platform engineer runs them.

PostgreSQL (metadata DB and Celery results) and Redis (Celery broker) from Debian packages, moto's S3 server,
the translate5 simulator, and Airflow 3.3 with the CeleryExecutor: API server, scheduler, DAG processor,
triggerer and TWO Celery workers, each worker with its own AIRFLOW_HOME, HOME and TMPDIR. Everything listens
on 127.0.0.1 and is stopped by this harness (by PID, process group included), whatever happens.

The DAGs are the ones the built wheel installs (``airflow_provider_translate5/example_dags``), with their
folders on ``s3://`` (Airflow Variables and params, as a deployment would set them) and deferrable sensors:

* ``translate5_cms_roundtrip`` over a content drop in S3, one batch per item;
* ``translate5_asset_translate``, one run per document, and ``translate5_asset_delivery`` started by the
  asset events of its exports.

It asserts what a platform engineer would check: every run succeeded with every task on its first try,
tasks ran on both workers, the workflow sensors were deferred, every translated file is in S3 and no content
was handed over through a worker's disk, and translate5 got exactly one task (project) per item. Then it
prints the figures (durations, tasks per worker, task-list requests per poll interval) that
docs/deployment.md quotes. Run it with the deployment virtualenv: ``make deployment-test``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from local_services import (  # noqa: E402
    LOOPBACK,
    Service,
    ServiceError,
    Services,
    free_port,
    http_ok,
    start_moto,
    start_postgres,
    start_redis,
    start_simulator,
    tail,
    wait_until,
)

WORK = REPO / ".deploy"
LOGS = WORK / "logs"
SAMPLE_CONTENT = REPO / "example_dags" / "sample_content"
TARGET_LANGS = ["de", "fr"]
BUCKET = "cms"
S3_CONN = "cms_s3"
#: Seconds between status checks of every sensor (the examples default to minutes).
POLL = 3.0
IMPORT_SECONDS = 1.0
#: Simulated translators and reviewers finish this long after the import: several polls while deferred.
WORKFLOW_SECONDS = 30.0
RUN_TIMEOUT = 420.0
ROUNDTRIP = "translate5_cms_roundtrip"
ASSET_TRANSLATE = "translate5_asset_translate"
ASSET_DELIVERY = "translate5_asset_delivery"
WORKERS = ("worker1", "worker2")


class Failed(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


@dataclass
class Figures:
    started: float = field(default_factory=time.monotonic)
    phases: dict[str, float] = field(default_factory=dict)
    tasks_per_worker: dict[str, int] = field(default_factory=dict)
    deferred: set[tuple[str, str, str, int]] = field(default_factory=set)
    #: (seconds since the DAGs were triggered, task-list polls so far, waits deferred right now)
    samples: list[tuple[float, int, int]] = field(default_factory=list)

    def phase(self, name: str, since: float) -> None:
        self.phases[name] = time.monotonic() - since
        print(f"[{time.monotonic() - self.started:5.0f} s] {name}: {self.phases[name]:.0f} s", flush=True)


# ----- environment --------------------------------------------------------------------------------


def example_dags_folder() -> Path:
    """The example DAGs of the installed wheel (not the repository's folder)."""
    import airflow_provider_translate5

    folder = Path(airflow_provider_translate5.__file__).parent / "example_dags"
    check(folder.is_dir(), f"the installed provider has no example_dags folder ({folder})")
    check("site-packages" in str(folder), f"{folder} is not an installed wheel: run `make deployment-test`")
    return folder


def airflow_env(
    root: Path,
    name: str,
    *,
    db: str,
    broker: str,
    result_backend: str,
    api_port: int,
    s3: str,
    sim: dict[str, Any],
) -> dict[str, str]:
    """The environment of one Airflow process: shared settings, its own home and temp folder."""
    home = root / "homes" / name
    tmp = home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    keep = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(SHARED_ENV)
    env.update(
        HOME=str(home),
        TMPDIR=str(tmp),
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CORE__DAGS_FOLDER=str(example_dags_folder()),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=db,
        AIRFLOW__CELERY__BROKER_URL=broker,
        AIRFLOW__CELERY__RESULT_BACKEND=result_backend,
        AIRFLOW__API__BASE_URL=f"http://{LOOPBACK}:{api_port}",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://{LOOPBACK}:{api_port}/execution/",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="2",
        # A task's first call to the execution API ("I am running") must not time out while two cores are
        # saturated: the default of 5 s then retries a call the server already applied, which answers 400
        # and fails the try (seen with the API server starved for 40 s on a loaded CI machine).
        AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT="60",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="10",
        AWS_EC2_METADATA_DISABLED="true",
        AIRFLOW_CONN_TRANSLATE5_DEFAULT=sim["connection"],
        # Folders as a deployment sets them: Airflow Variables every component reads.
        AIRFLOW_VAR_TRANSLATE5_CONTENT_DROP=uri("drop/"),
        AIRFLOW_VAR_TRANSLATE5_CMS_IMPORT=uri("asset-import/"),
        AIRFLOW_VAR_TRANSLATE5_EXPORT_FOLDER=uri("exports/"),
        TRANSLATE5_EXAMPLE_POKE_INTERVAL=str(POLL),
    )
    aws = {"endpoint_url": s3, "region_name": "us-east-1"}
    env[f"AIRFLOW_CONN_{S3_CONN.upper()}"] = json.dumps(
        {"conn_type": "aws", "login": "testing", "password": "testing", "extra": aws}
    )
    return env


#: Secrets every component must share (tokens of the execution API, encrypted connection fields).
SHARED_ENV: dict[str, str] = {}


def uri(key: str) -> str:
    return f"s3://{S3_CONN}@{BUCKET}/{key}"


def airflow(env: dict[str, str], *args: str, log: Path, timeout: float = 300) -> str:
    """Run an Airflow CLI command; its output goes to ``log`` and is returned."""
    with log.open("ab") as out:
        out.write(f"\n$ airflow {' '.join(args)}\n".encode())
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    with log.open("a", encoding="utf-8") as out:
        out.write(result.stdout + result.stderr)
    if result.returncode != 0:
        raise Failed(f"airflow {' '.join(args)} failed (exit {result.returncode}):\n{tail(log)}")
    return result.stdout


# ----- S3 ----------------------------------------


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


def seed_content(s3: Any) -> tuple[list[str], list[str]]:
    """The sample CMS content into the content drop (roundtrip) and, renamed, into the asset drop."""
    s3.create_bucket(Bucket=BUCKET)
    items, documents = [], []
    for path in sorted(p for p in SAMPLE_CONTENT.rglob("*") if p.is_file()):
        key = path.relative_to(SAMPLE_CONTENT).as_posix()
        s3.put_object(Bucket=BUCKET, Key=f"drop/{key}", Body=path.read_bytes())
        items.append(key)
        name = f"asset-{path.name}"
        s3.put_object(Bucket=BUCKET, Key=f"asset-drop/{name}", Body=path.read_bytes())
        documents.append(name)
    return items, documents


def s3_keys(s3: Any, prefix: str) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for entry in page.get("Contents", []):
            found[entry["Key"]] = s3.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read()
    return found


# ----- the metadata DB ----------------------------------------


class MetadataDB:
    def __init__(self, port: int) -> None:
        import psycopg2

        self.connection = psycopg2.connect(host=LOOPBACK, port=port, user="airflow", dbname="airflow")
        self.connection.autocommit = True

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, args)
            return list(cursor.fetchall())

    def runs(self) -> list[tuple[str, str, str]]:
        return [
            (str(d), str(r), str(s))
            for d, r, s in self.rows(
                "select dag_id, run_id, state from dag_run where dag_id in (%s, %s, %s)",
                ROUNDTRIP,
                ASSET_TRANSLATE,
                ASSET_DELIVERY,
            )
        ]

    def task_instances(self) -> list[tuple[str, str, str, int, str | None, int]]:
        return [
            (str(d), str(r), str(t), int(m), None if s is None else str(s), int(n))
            for d, r, t, m, s, n in self.rows(
                "select dag_id, run_id, task_id, map_index, state, try_number from task_instance"
            )
        ]


# ----- the translate5 simulator ----------------------------------------


def simulator_get(sim: dict[str, Any], path: str) -> Any:
    with urllib.request.urlopen(f"{sim['base_url']}{path}", timeout=30) as answer:  # loopback only
        return json.loads(answer.read())


def task_list_polls(sim: dict[str, Any]) -> int:
    """Task-list requests that ask for tasks by id: sensor pokes and the triggerer's shared polls."""
    count = 0
    for record in simulator_get(sim, "/_simulator/requests")["requests"]:
        if record["method"] != "GET" or record["path"] != "/editor/task":
            continue
        for rule in json.loads(parse_qs(record["query"]).get("filter", ["[]"])[0]):
            if rule.get("property") == "id" and rule.get("operator") == "in":
                count += 1
                break
    return count


def translate5_projects(sim: dict[str, Any]) -> Counter[str]:
    """How many translate5 projects (or single tasks) exist per foreignId."""
    from airflow_provider_translate5.client import Translate5Client

    with Translate5Client(sim["base_url"], sim["token"]) as client:
        tasks = list(client.iter_tasks())
    per_foreign: dict[str, set[int]] = {}
    for row in tasks:
        per_foreign.setdefault(row.foreign_id or "", set()).add(row.project_id or row.id)
    return Counter({foreign: len(projects) for foreign, projects in per_foreign.items()})


# ----- the run ----------------------------------------


def start_airflow(
    services: Services, root: Path, envs: dict[str, dict[str, str]], api_port: int, figures: Figures
) -> None:
    begin = time.monotonic()
    airflow(envs["main"], "db", "migrate", log=LOGS / "db-migrate.log", timeout=600)
    figures.phase("airflow db migrate", begin)
    python = [sys.executable, "-m", "airflow"]
    main = envs["main"]
    services.start(
        Service(
            "api-server",
            [*python, "api-server", "--host", LOOPBACK, "--port", str(api_port), "--workers", "1"],
            LOGS / "api-server.log",
            main,
        )
    )
    services.start(Service("scheduler", [*python, "scheduler"], LOGS / "scheduler.log", main))
    services.start(Service("dag-processor", [*python, "dag-processor"], LOGS / "dag-processor.log", main))
    services.start(Service("triggerer", [*python, "triggerer"], LOGS / "triggerer.log", main))
    for name in WORKERS:
        services.start(
            Service(
                f"celery {name}",
                [*python, "celery", "worker", "--celery-hostname", f"{name}@%h", "--concurrency", "2"],
                LOGS / f"{name}.log",
                envs[name],
            )
        )
    wait_until(
        "Airflow API server", lambda: http_ok(f"http://{LOOPBACK}:{api_port}/api/v2/version"), 180, services
    )
    figures.phase("Airflow up", begin)


def wait_for_dags(db: MetadataDB, services: Services) -> None:
    wanted = {ROUNDTRIP, ASSET_TRANSLATE, ASSET_DELIVERY}

    def parsed() -> bool:
        rows = db.rows("select dag_id from serialized_dag")
        return wanted <= {str(r[0]) for r in rows}

    wait_until(f"the DAG processor parsing {sorted(wanted)}", parsed, 240, services, every=1)


def api(api_port: int, method: str, path: str, body: dict[str, Any]) -> Any:
    """The Airflow REST API (the simple auth manager's all-admins mode needs no login on 127.0.0.1)."""
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{api_port}/api/v2{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # loopback only
            return json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        raise Failed(f"{method} {path}: HTTP {error.code}: {error.read()[:500]!r}") from None


def trigger(api_port: int, documents: list[str]) -> None:
    """What a CMS webhook or an operator does: unpause the DAGs, start the runs."""
    for dag_id in (ROUNDTRIP, ASSET_TRANSLATE, ASSET_DELIVERY):
        api(api_port, "PATCH", f"/dags/{dag_id}", {"is_paused": False})
    roundtrip_conf = {
        "content_drop": uri("drop/"),
        "cms_import": uri("roundtrip-import/"),
        "target_langs": TARGET_LANGS,
        "batch_size": 1,
        "import_check_interval": POLL,
        "translation_check_interval": POLL,
    }
    api(api_port, "POST", f"/dags/{ROUNDTRIP}/dagRuns", {"logical_date": None, "conf": roundtrip_conf})
    for number, name in enumerate(documents):
        conf = {"sources": [uri(f"asset-drop/{name}")], "target_langs": TARGET_LANGS}
        run = {"dag_run_id": f"doc{number}", "logical_date": None, "conf": conf}
        api(api_port, "POST", f"/dags/{ASSET_TRANSLATE}/dagRuns", run)


class Sampler(threading.Thread):
    """Samples deferred task instances and the simulator's task-list requests twice a second."""

    def __init__(self, db_port: int, sim: dict[str, Any], figures: Figures) -> None:
        super().__init__(daemon=True)
        self.db = MetadataDB(db_port)
        self.sim = sim
        self.figures = figures
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        begin = time.monotonic()
        try:
            while not self.stop.wait(0.5):
                tis = self.db.task_instances()
                deferred = [(d, r, t, m) for d, r, t, m, state, _ in tis if state == "deferred"]
                self.figures.deferred.update(deferred)
                polls = task_list_polls(self.sim)
                self.figures.samples.append((time.monotonic() - begin, polls, len(deferred)))
        except BaseException as error:  # reported by the main thread
            self.error = error


def monitor(db: MetadataDB, s3: Any, services: Services, documents: list[str], figures: Figures) -> None:
    """Until every run ended and every delivered file is in S3."""
    begin = time.monotonic()
    expected_asset_files = {f"asset-import/{lang}/{name}" for lang in TARGET_LANGS for name in documents}
    while True:
        services.check_alive()
        runs = db.runs()
        translation_runs = [r for r in runs if r[0] in (ROUNDTRIP, ASSET_TRANSLATE)]
        failed = [r for r in runs if r[2] == "failed"]
        check(not failed, f"DAG run(s) failed: {failed}")
        done = len(translation_runs) == 1 + len(documents)
        done = done and all(r[2] == "success" for r in translation_runs)
        deliveries = [r for r in runs if r[0] == ASSET_DELIVERY]
        delivered = set(s3_keys(s3, "asset-import/")) >= expected_asset_files
        if done and delivered and deliveries and all(r[2] == "success" for r in deliveries):
            break
        if time.monotonic() - begin > RUN_TIMEOUT:
            raise Failed(f"the runs did not finish within {RUN_TIMEOUT:.0f} s: {runs}")
        time.sleep(1)
    figures.phase("DAG runs (trigger to last delivery)", begin)


def verify(
    db: MetadataDB,
    s3: Any,
    sim: dict[str, Any],
    root: Path,
    items: list[str],
    documents: list[str],
    figures: Figures,
) -> None:
    tis = db.task_instances()
    ours = [ti for ti in tis if ti[0] in (ROUNDTRIP, ASSET_TRANSLATE, ASSET_DELIVERY)]
    check(bool(ours), "no task instances found")
    # A mapped task's unexpanded placeholder (map index -1 next to expanded ones) never runs.
    expanded = {(d, r, t) for d, r, t, m, _, _ in ours if m >= 0}
    ours = [ti for ti in ours if not (ti[3] == -1 and ti[:3] in expanded and ti[4] in (None, "removed"))]
    not_ok = [ti for ti in ours if ti[4] not in ("success", "skipped")]
    check(not not_ok, f"task instances not successful: {not_ok}")
    retried = [ti for ti in ours if ti[5] > 1 or (ti[4] == "success" and ti[5] != 1)]
    check(not retried, f"task instances that needed more than one try: {retried}")

    # Both workers ran tasks: each writes the logs of the tasks it ran below its own AIRFLOW_HOME.
    for name in WORKERS:
        logs = list((root / "homes" / name / "logs").rglob("attempt=*.log"))
        figures.tasks_per_worker[name] = len(logs)
    check(all(figures.tasks_per_worker.values()), f"a worker ran no task: {figures.tasks_per_worker}")

    # The workflow waits were deferred (the triggerer polled; no worker slot was held).
    sensors = {(d, r, t, m) for d, r, t, m, _, _ in ours if t.endswith("wait_for_translation")}
    check(bool(sensors), "no wait_for_translation task instances")
    check(sensors <= figures.deferred, f"sensors never seen deferred: {sorted(sensors - figures.deferred)}")
    triggerer_log = (LOGS / "triggerer.log").read_text(encoding="utf-8", errors="replace")
    check(
        "translate5 poller on connection" in triggerer_log,
        "the triggerer log has no translate5 poller report",
    )

    # Every translated file is in S3, translated.
    roundtrip = s3_keys(s3, "roundtrip-import/")
    asset = s3_keys(s3, "asset-import/")
    for lang in TARGET_LANGS:
        for item in items:
            body = roundtrip.get(f"roundtrip-import/{lang}/{item}")
            check(body is not None, f"roundtrip: {lang}/{item} is not in S3")
            check(f"[{lang}]".encode() in (body or b""), f"roundtrip: {lang}/{item} is not translated")
        for name in documents:
            body = asset.get(f"asset-import/{lang}/{name}")
            check(body is not None, f"asset delivery: {lang}/{name} is not in S3")
            check(f"[{lang}]".encode() in (body or b""), f"asset delivery: {lang}/{name} is not translated")
    left = [k for k in s3_keys(s3, "exports/") if not k.rsplit("/", 1)[-1].startswith(".")]
    check(not left, f"exports left undelivered: {left}")

    # Nothing went through a worker's disk: no content, no partial file, no local fallback folder.
    names = {Path(i).name for i in items} | set(documents)
    for name in WORKERS:
        home = root / "homes" / name
        check(not (home / "translate5").exists(), f"{name} used the local fallback folder under {home}")
        for path in home.rglob("*"):
            if not path.is_file() or "logs" in path.relative_to(home).parts:
                continue
            check(
                path.name not in names and not path.name.endswith(".part"),
                f"content on {name}'s disk: {path}",
            )

    # One translate5 project per item.
    projects = translate5_projects(sim)
    duplicated = {foreign: n for foreign, n in projects.items() if n != 1}
    check(not duplicated, f"more than one translate5 project per foreignId: {duplicated}")
    check(
        len(projects) == len(items) + len(documents),
        f"{len(projects)} translate5 projects for {len(items) + len(documents)} items: {sorted(projects)}",
    )


def requests_per_interval(figures: Figures) -> tuple[int, float, int]:
    """(max, mean) task-list requests per poll interval while waits were deferred, and the most waits."""
    windows: list[int] = []
    samples = figures.samples
    for i, (start, polls, waiting) in enumerate(samples):
        if waiting == 0:
            continue
        end = next((s for s in samples[i:] if s[0] >= start + POLL), None)
        if end is None:
            break
        windows.append(end[1] - polls)
    most_waits = max((s[2] for s in samples), default=0)
    if not windows:
        return 0, 0.0, most_waits
    return max(windows), sum(windows) / len(windows), most_waits


def report(figures: Figures, ok: bool) -> None:
    print("\n== deployment test figures ==")
    print(f"result: {'PASSED' if ok else 'FAILED'}; total {time.monotonic() - figures.started:.0f} s")
    for name, seconds in figures.phases.items():
        print(f"  {name}: {seconds:.0f} s")
    if figures.tasks_per_worker:
        per_worker = ", ".join(f"{k} {v}" for k, v in figures.tasks_per_worker.items())
        print(f"  task instances per worker: {per_worker}")
    print(f"  task instances seen deferred: {len(figures.deferred)}")
    most, mean, waits = requests_per_interval(figures)
    print(
        f"  task-list requests per {POLL:g} s poll interval while waits were deferred: max {most}, "
        f"mean {mean:.1f} (up to {waits} waits deferred at once)"
    )


def main() -> int:
    figures = Figures()
    if WORK.exists():
        shutil.rmtree(WORK)
    LOGS.mkdir(parents=True)
    root = Path(tempfile.mkdtemp(prefix="t5-deploy-"))
    services = Services()
    ok = False
    try:
        with services.running():
            begin = time.monotonic()
            pg_port, redis_port, moto_port, api_port = free_port(), free_port(), free_port(), free_port()
            db_url = start_postgres(services, LOGS / "postgres.log", pg_port)
            broker = start_redis(services, root, LOGS / "redis.log", redis_port)
            s3_url = start_moto(services, LOGS / "moto.log", moto_port)
            sim = start_simulator(
                services,
                LOGS / "simulator.log",
                import_seconds=IMPORT_SECONDS,
                workflow_seconds=WORKFLOW_SECONDS,
            )
            figures.phase("PostgreSQL, Redis, moto, simulator up", begin)
            s3 = s3_client(s3_url)
            items, documents = seed_content(s3)
            SHARED_ENV.update(
                AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(32),
                AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
                AIRFLOW__CORE__FERNET_KEY=fernet_key(),
            )
            envs = {
                name: airflow_env(
                    root,
                    name,
                    db=db_url,
                    broker=broker,
                    result_backend="db+" + db_url,
                    api_port=api_port,
                    s3=s3_url,
                    sim=sim,
                )
                for name in ("main", *WORKERS)
            }
            start_airflow(services, root, envs, api_port, figures)
            db = MetadataDB(pg_port)
            begin = time.monotonic()
            wait_for_dags(db, services)
            figures.phase("DAGs parsed", begin)
            sampler = Sampler(pg_port, sim, figures)
            sampler.start()
            try:
                trigger(api_port, documents)
                monitor(db, s3, services, documents, figures)
            finally:
                sampler.stop.set()
                sampler.join()
            check(sampler.error is None, f"sampling failed: {sampler.error!r}")
            verify(db, s3, sim, root, items, documents, figures)
            ok = True
    except (Failed, ServiceError, subprocess.CalledProcessError) as error:
        print(f"\nDEPLOYMENT TEST FAILED: {error}", file=sys.stderr)
        print(f"logs: {LOGS}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted; all servers stopped", file=sys.stderr)
    finally:
        report(figures, ok)
        # The task logs live on the workers' disks (their homes): keep them next to the servers' logs.
        for name in ("main", *WORKERS):
            logs = root / "homes" / name / "logs"
            if logs.is_dir():
                shutil.copytree(logs, LOGS / f"task-logs-{name}", dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


def fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


if __name__ == "__main__":
    raise SystemExit(main())
