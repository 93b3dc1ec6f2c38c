"""The provider registers with Airflow the way a user installing it would find it."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest

import airflow_provider_translate5


@pytest.fixture(scope="module")
def providers_manager():
    from airflow.providers_manager import ProvidersManager

    return ProvidersManager()


def test_provider_is_discovered_with_its_connection_type(providers_manager) -> None:
    info = providers_manager.providers["airflow-provider-translate5"]
    assert info.version == airflow_provider_translate5.__version__
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    from airflow_provider_translate5.hooks import Translate5Hook

    hook = ProvidersManagerTaskRuntime().hooks["translate5"]
    module, _, name = hook.hook_class_name.rpartition(".")
    assert getattr(importlib.import_module(module), name) is Translate5Hook  # the class users get
    assert hook.connection_testable


def test_connection_form_relabels_and_hides_fields(providers_manager) -> None:
    behaviour = providers_manager.field_behaviours["translate5"]
    assert behaviour["relabeling"]["host"] == "Base URL"
    assert behaviour["relabeling"]["password"] == "App token"
    assert {"port", "schema"} <= set(behaviour["hidden_fields"])
    widgets = providers_manager.connection_form_widgets
    for field in ("timeout", "connect_timeout", "verify", "ca_bundle", "proxies", "server_timezone"):
        assert f"extra__translate5__{field}" in widgets


def test_every_module_and_class_listed_in_provider_info_imports() -> None:
    info = airflow_provider_translate5.get_provider_info()
    modules = [
        module
        for kind in ("hooks", "operators", "sensors", "triggers")
        for entry in info[kind]
        for module in entry["python-modules"]
    ]
    for module in modules:
        importlib.import_module(module)
    for dotted in [*info["extra-links"], *(c["hook-class-name"] for c in info["connection-types"])]:
        module, _, name = dotted.rpartition(".")
        assert hasattr(importlib.import_module(module), name), dotted


def test_provider_info_is_plain_json() -> None:
    info = airflow_provider_translate5.get_provider_info()
    assert json.loads(json.dumps(info)) == info
    assert info["package-name"] == "airflow-provider-translate5"


def test_airflow_cli_lists_the_provider() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "get", "airflow-provider-translate5", "-o", "json"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "airflow-provider-translate5" in result.stdout


def test_every_trigger_is_listed_in_provider_info() -> None:
    """Airflow finds a deferred task's trigger by the modules the provider lists (and docs list them)."""
    import inspect
    import pkgutil

    from airflow.triggers.base import BaseTrigger

    import airflow_provider_translate5.triggers as triggers

    info = airflow_provider_translate5.get_provider_info()
    listed = {module for entry in info["triggers"] for module in entry["python-modules"]}
    defined = {
        cls.__module__
        for found in pkgutil.iter_modules(triggers.__path__, f"{triggers.__name__}.")
        for _name, cls in inspect.getmembers(importlib.import_module(found.name), inspect.isclass)
        if issubclass(cls, BaseTrigger) and cls.__module__ == found.name and not cls.__name__.startswith("_")
    }
    assert defined == listed
