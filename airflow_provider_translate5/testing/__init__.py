"""A translate5 simulator: a real HTTP server on 127.0.0.1 that behaves like translate5 for tests and demos.

``Translate5Simulator`` answers the same URLs, form fields, envelopes, status codes and error bodies as a
translate5 server as described in the project's translate5 API notes: app-token and session auth
(``zfExtended`` cookie, CSRF blocking of password sessions), languages, the task list with ExtJS filters,
multipart task creation (single files, several files, ZIP packages, multi-target projects), timed import
workers with progress and import callbacks, jobs and workflow steps, PUT/DELETE state rules, synchronous
exports (ZIP, diff, filetranslation, XLIFF 2, Excel round trip) with pseudo-translated content, and
InstantTranslate (translate, filepretranslate, filelist, writetm).

Usage::

    from airflow_provider_translate5.testing import Translate5Simulator

    with Translate5Simulator(import_duration=0.1, workflow_auto_finish=0.5) as sim:
        sim.base_url, sim.token            # point a client at it
        sim.faults.maintenance(2)          # next 2 API calls get the 503 HTML maintenance page
        sim.finish_workflow(task_id)       # act as translator and reviewer
        sim.requests.count("GET", "/editor/task")

From a shell: ``python -m airflow_provider_translate5.testing --port 8085``; in pytest: the fixtures
``translate5_simulator`` and ``translate5_connection`` (plugin loaded automatically).

Knobs (constructor kwargs, ``sim.set(...)``, ``POST /_simulator/knobs``): see ``SimulatorConfig``.
Faults (``sim.faults``, ``POST /_simulator/faults``): see ``faults.py``. Control API: ``GET /_simulator``.

Test hooks (file names):
  * a work file (or ZIP member, or InstantTranslate file) whose name contains ``import-error`` makes the
    import end in state ``error`` with a ``lastErrors`` entry (filelist: ``downloadUrl: isErroneous``);
  * an InstantTranslate file whose name contains ``not-pretranslated`` gets
    ``downloadUrl: isNotPretranslated``.

Users: ``manager`` (owner of the app token, PM/admin/api, password knob ``password``), plus
``translator1``, ``reviewer1``, ``translator2`` to assign jobs to (``GET /editor/user``). Customers: id 1
(default) and id 2 / number ``1000``.

Not simulated (limits): segments and the segment editor API, visual review, real machine translation or
TMs (InstantTranslate returns ``[de] <text>``), match analysis, quality checks, terminology, batch/queued
export, translator packages, ``importArchive``/``excelhistory`` exports, user/customer/token administration,
ACL differences between roles (every authenticated user acts as the PM), session lifetimes beyond token
sessions (1200 s) and password sessions (10 days), PHP upload limits, workflow webhooks, the
``filepretranslateproject``/``filepretranslatenow`` variants, and the unconfirmed behaviour without an
``Accept`` header (knob ``require_accept_json`` answers 415). Exports of projects answer 409 E1046. State
is in memory; files live in a temp dir removed by ``stop()``.
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
