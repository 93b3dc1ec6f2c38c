"""Airflow finds the translate5 view as it is installed (no configuration), and the plugin module that Airflow
imports in every process that loads plugins (task runners too) stays light.

The subprocesses run outside the clone: there, ``python -m`` also finds the editable install's
``*.egg-info`` build folder, so Airflow sees the entry point twice and reports the second as an error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _python(code: str, home: Path) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=home,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_airflow_loads_the_plugin_with_its_app_and_views(tmp_path: Path) -> None:
    code = (
        "import json\n"
        "from airflow import plugins_manager\n"
        "info = [p for p in plugins_manager.get_plugin_info() if p['name'] == 'translate5']\n"
        "print(json.dumps({'info': info, 'errors': plugins_manager.get_import_errors()}, default=str))\n"
    )
    loaded = json.loads(_python(code, tmp_path))
    [plugin] = loaded["info"]
    assert loaded["errors"] == {}
    assert [(app["url_prefix"], app["name"]) for app in plugin["fastapi_apps"]] == [
        ("/translate5", "translate5 view")
    ]
    views = {view["destination"]: view for view in plugin["external_views"]}
    assert views["dag_run"]["href"] == "/translate5/dags/{DAG_ID}/runs/{RUN_ID}"
    assert views["dag_run"]["url_route"] == "translate5-run"
    assert (views["nav"]["href"], views["nav"]["category"]) == ("/translate5/", "browse")


def test_importing_the_plugin_loads_no_web_framework(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import airflow_provider_translate5.ui.plugin\n"
        "heavy = ['fastapi', 'starlette', 'airflow_provider_translate5.ui.app', "
        "'airflow_provider_translate5.client']\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    assert _python(code, tmp_path) == "[]"
