"""Apache Airflow provider for translate5, the open-source translation management system.

This module is imported by Airflow's ProvidersManager in every process (scheduler, workers, API server,
DAG processor), so it must stay plain data: no imports beyond the standard library.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: The default Airflow connection id of the hook, operators, sensors and triggers.
DEFAULT_CONN_ID = "translate5_default"

_CONN_TYPE = "translate5"


def get_provider_info() -> dict[str, Any]:
    """Describe the provider to Airflow (entry point ``apache_airflow_provider``).

    The connection form is declared here (Airflow 3.2+ ``conn-fields``/``ui-field-behaviour``) rather than
    through the hook's legacy WTForms methods, which a default Airflow 3 install cannot render.
    """
    integration = "translate5"
    return {
        "package-name": "airflow-provider-translate5",
        "name": "translate5",
        "description": (
            "`translate5 <https://www.translate5.net/>`__: open-source translation management system."
        ),
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": integration,
                "external-doc-url": "https://confluence.translate5.net/display/TAD/API",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": integration,
                "python-modules": ["airflow_provider_translate5.hooks.translate5"],
            }
        ],
        "operators": [
            {
                "integration-name": integration,
                "python-modules": [
                    "airflow_provider_translate5.operators.tasks",
                    "airflow_provider_translate5.operators.workflow",
                    "airflow_provider_translate5.operators.export",
                    "airflow_provider_translate5.operators.instanttranslate",
                    "airflow_provider_translate5.operators.analysis",
                    "airflow_provider_translate5.operators.reimport",
                    "airflow_provider_translate5.operators.batchexport",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": integration,
                "python-modules": ["airflow_provider_translate5.sensors.translate5"],
            }
        ],
        "triggers": [
            {
                "integration-name": integration,
                "python-modules": [
                    "airflow_provider_translate5.triggers.translate5",
                    "airflow_provider_translate5.triggers.batchexport",
                    "airflow_provider_translate5.triggers.operation",
                ],
            }
        ],
        "extra-links": [
            "airflow_provider_translate5.links.Translate5TaskLink",
            "airflow_provider_translate5.links.Translate5ViewLink",
        ],
        # The translate5 view in the Airflow UI. Airflow 3.3 loads provider plugins from here only with
        # [core] lazy_discover_providers = False; the airflow.plugins entry point (pyproject.toml) loads it
        # by default. Importing the plugin class loads nothing heavy (it is imported by task runners too).
        "plugins": [
            {"name": "translate5", "plugin-class": "airflow_provider_translate5.ui.plugin.Translate5Plugin"}
        ],
        "connection-types": [
            {
                "connection-type": _CONN_TYPE,
                "hook-class-name": "airflow_provider_translate5.hooks.translate5.Translate5Hook",
                "hook-name": "translate5",
                "ui-field-behaviour": {
                    "hidden-fields": ["port", "schema"],
                    "relabeling": {
                        "host": "Base URL",
                        "password": "App token",
                        "login": "Login (optional)",
                    },
                    "placeholders": {
                        "host": "https://translate5.example.org",
                        "password": "12:AbCdEf... (translate5 app token)",
                        "login": "only for session login with the app token as password",
                    },
                },
                "conn-fields": {
                    "timeout": {
                        "label": "Read timeout (s)",
                        "description": "Seconds to wait for an answer; translate5 exports are "
                        "synchronous, so keep this generous.",
                        "schema": {"type": ["number", "null"], "minimum": 1, "default": 300},
                    },
                    "connect_timeout": {
                        "label": "Connect timeout (s)",
                        "schema": {"type": ["number", "null"], "minimum": 0.1, "default": 10},
                    },
                    "deadline": {
                        "label": "Deadline per call (s)",
                        "description": "The longest one API call may take in all (retries and a download "
                        "included), however slowly the server answers. Empty: derived from the timeouts "
                        "and retries, 5 x (connect + 2 x read timeout) + the backoff pauses: about 51 "
                        "minutes with the defaults.",
                        "schema": {"type": ["number", "null"], "minimum": 1},
                    },
                    "verify": {
                        "label": "Verify TLS certificate",
                        "description": "Leave on. Turn off only for a test server with a self-signed "
                        "certificate.",
                        "schema": {"type": ["boolean", "null"], "default": True},
                    },
                    "ca_bundle": {
                        "label": "CA bundle path",
                        "description": "Path to a PEM file with the CA that signed the server certificate.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "proxies": {
                        "label": "Proxies",
                        "description": 'JSON object, e.g. {"https": "http://proxy:3128"}',
                        "schema": {"type": ["object", "null"]},
                    },
                    "server_timezone": {
                        "label": "Server time zone",
                        "description": "IANA name of the zone the translate5 server runs in, e.g. "
                        "Europe/Berlin. translate5 stores deadlines without a zone and drops one silently; "
                        "with this set, deadlines given with a zone are converted, without it they are "
                        "refused.",
                        "schema": {"type": ["string", "null"]},
                    },
                },
            }
        ],
    }
