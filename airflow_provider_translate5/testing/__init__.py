"""A translate5 simulator: a real HTTP server on 127.0.0.1 that answers like translate5 for tests and demos.

``Translate5Simulator`` is calibrated to answers recorded from a real translate5 (develop snapshot of
2026-04-15, about 7.35.6) and passes the same contract suite (``tests/contract``, ``make contract``) as a real
server: ids and DB numbers as JSON strings, ``Content-Type: application/json`` twice, XML without
``Accept: application/json``, ``Set-Cookie`` on every answer, errors outside the REST view (401, 403, unknown
export format) as JSON in ``text/html``, answers without Content-Length (``Connection: close``), ZIP names
transliterated and percent-encoded, filetranslation names as raw UTF-8. It covers app-token and session auth
(``zfExtended`` cookie, CSRF blocking of password sessions, session DELETE only with the ``api`` role),
languages, the task list with ExtJS filters, multipart task creation (single files, several files, ZIP
packages, multi-target projects; one plain file with several targets fails with HTTP 500; a create without
a file leaves a stub), timed import workers with progress and import callbacks, jobs that drive the workflow
("no workflow" until a job exists, ``workflowEnded`` when all are finished; job URLs answer editors 302 to
/login), PUT/DELETE state rules, synchronous exports (ZIP, diff, filetranslation, XLIFF 2, import archive,
Excel round trip with its lock) with pseudo-translated content, InstantTranslate, and the features of
``docs/features.md``: users and customers (with their default jobs), language resources, match analysis,
pre-translation and file reimport operations, and the queued batch export.

Usage::

    from airflow_provider_translate5.testing import Translate5Simulator

    with Translate5Simulator(import_duration=0.1, workflow_auto_finish=0.5) as sim:
        sim.base_url, sim.token            # point a client at it (the manager, a PM)
        sim.user_token                     # app token of translator1, an editor
        sim.faults.maintenance(2)          # next 2 API calls get the 503 HTML maintenance page
        sim.finish_workflow(task_id)       # finish every job (assigns translator1 if there is none)
        sim.requests.count("GET", "/editor/task")

From a shell: ``python -m airflow_provider_translate5.testing --port 8085`` (``--json`` prints the URL and
both tokens); in pytest: the fixtures ``translate5_simulator`` and ``translate5_connection`` (plugin loaded
automatically).

Knobs (constructor kwargs, ``sim.set(...)``, ``POST /_simulator/knobs``): see ``SimulatorConfig``.
Faults (``sim.faults``, ``POST /_simulator/faults``): see ``faults.py``. Control API: ``GET /_simulator``.

Test hooks (file names):
  * a work file (or ZIP member, or InstantTranslate file) whose name contains ``import-error`` makes the
    import end in state ``error`` with a ``lastErrors`` entry (filelist: ``downloadUrl: isErroneous``);
  * an InstantTranslate file whose name contains ``not-pretranslated`` gets
    ``downloadUrl: isNotPretranslated``.

Users: ``manager`` (owner of the app token: systemadmin/admin/pm/editor, the ``api`` role only with the knob
``api_role``, password knob ``password``), plus the editors ``translator1``, ``reviewer1``, ``translator2``.
Customers: id 1 (default) and id 2 / number ``1000``.

Not simulated (limits): segments and the segment editor API, visual review, real machine translation or
TMs (InstantTranslate returns ``[de] <text>``), quality checks, terminology, queued HTML/TM exports,
translator packages, user/customer/token administration, ACL rules other than PM-only job endpoints, session
lifetimes beyond token sessions (1200 s) and password sessions (10 days), PHP upload limits, workflow
webhooks, the ``filepretranslateproject``/``filepretranslatenow`` variants. Every deliberate difference to
the recorded server is listed in ``docs/testing.md``. State is in memory; files live in a temp dir removed
by ``stop()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_translate5.testing.config import SimulatorConfig
    from airflow_provider_translate5.testing.faults import Faults
    from airflow_provider_translate5.testing.server import Translate5Simulator

__all__ = ["Faults", "SimulatorConfig", "Translate5Simulator"]

_LAZY = {
    "Translate5Simulator": "airflow_provider_translate5.testing.server",
    "SimulatorConfig": "airflow_provider_translate5.testing.config",
    "Faults": "airflow_provider_translate5.testing.faults",
}


def __getattr__(name: str) -> Any:
    """Import lazily: the pytest plugin lives in this package and must load fast in every pytest run."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
