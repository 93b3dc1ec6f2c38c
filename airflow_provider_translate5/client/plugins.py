"""Which optional parts a translate5 offers, each learnt from one cheap request (the connection test).

A translate5 is assembled from plugins, and what a DAG may use differs from server to server:

- **InstantTranslate** is a private plugin: a server built from translate5's public source does not have it
  and answers its routes with its 404 HTML page (recorded, part 2 §100-102). Asked with the file list
  (``GET /editor/instanttranslateapi/filelist``): the user's pre-translated files, no side effect.
- **MatchAnalysis** (analysis, pricing, the pre-translation operation) is a plugin that may be switched off;
  then its route is unknown the same way. Asked with the analysis of a task that cannot exist (the nil
  GUID): a server with the plugin answers JSON (``rows: []`` as for a task never analysed, §120, or an
  entity-not-found envelope), one without it its 404 page.
- **Language resources** (TMs, MT engines, term collections) are core, but without any the analysis and the
  pre-translation have nothing to use. Asked with the instance list (``GET /editor/languageresourceinstance``,
  §110).

Each probe is sent once, without retries: a connection test must answer in seconds, and what it cannot tell
it reports as unknown instead of failing the test of a connection that works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from airflow_provider_translate5.client._calls import ClientCalls
from airflow_provider_translate5.client.errors import (
    Translate5AuthError,
    Translate5Error,
    Translate5NotFoundError,
    Translate5PermissionError,
    Translate5PluginMissingError,
)
from airflow_provider_translate5.client.langres import INSTANCES_PATH, LanguageResource

OFFERED: Final = "offered"
ABSENT: Final = "absent"
#: Installed, but the token's user may not use it (translate5's 302 to /login, or 401/403).
REFUSED: Final = "refused"
#: The probe failed otherwise (a timeout, a 5xx): nothing is known.
UNKNOWN: Final = "unknown"

_NIL_GUID = "{00000000-0000-0000-0000-000000000000}"


@dataclass(frozen=True)
class PluginOffer:
    """What one probe found: ``state`` is one of OFFERED, ABSENT, REFUSED, UNKNOWN."""

    name: str
    state: str
    detail: str

    def __str__(self) -> str:
        return f"{self.name}: {self.detail}"


def _refused(name: str, exc: Translate5Error, role: str | None) -> PluginOffer:
    need = f" (the user needs the role {role!r})" if role else ""
    return PluginOffer(name, REFUSED, f"installed, but not for this token's user{need}: {exc}")


class PluginsMixin(ClientCalls):
    """The optional-plugin probes (mixed into :class:`Translate5Client`)."""

    def optional_plugins(self) -> list[PluginOffer]:
        """InstantTranslate, MatchAnalysis and the language resources: one request each, never retried."""
        return [self._instant_translate(), self._match_analysis(), self._language_resources()]

    def _probe(self, name: str, role: str | None, ask: Callable[[], PluginOffer]) -> PluginOffer:
        try:
            return ask()
        except Translate5PluginMissingError:
            return PluginOffer(
                name, ABSENT, "not installed (translate5 answers its routes with its 404 page)"
            )
        except (Translate5PermissionError, Translate5AuthError) as exc:
            return _refused(name, exc, role)
        except Translate5Error as exc:
            return PluginOffer(name, UNKNOWN, f"could not tell: {type(exc).__name__}: {exc}")

    def _instant_translate(self) -> PluginOffer:
        name = "InstantTranslate"

        def ask() -> PluginOffer:
            self._json("GET", "/editor/instanttranslateapi/filelist", retry=False)
            return PluginOffer(name, OFFERED, "offered")

        return self._probe(name, "instantTranslate", ask)

    def _match_analysis(self) -> PluginOffer:
        name = "MatchAnalysis"
        params = {"taskGuid": _NIL_GUID, "unitType": "word"}

        def ask() -> PluginOffer:
            try:
                self._json("GET", "/editor/plugins_matchanalysis_matchanalysis", params=params, retry=False)
            except Translate5PluginMissingError:
                raise
            except Translate5NotFoundError:
                pass  # the plugin answered: it knows no such task
            return PluginOffer(name, OFFERED, "offered")

        return self._probe(name, None, ask)

    def _language_resources(self) -> PluginOffer:
        name = "language resources"

        def ask() -> PluginOffer:
            resources, _payload = self._many(LanguageResource.from_api, "GET", INSTANCES_PATH, retry=False)
            if not resources:
                return PluginOffer(name, ABSENT, "none for this user (analysis and pre-translation use none)")
            services = sorted({r.service_name for r in resources if r.service_name})
            return PluginOffer(
                name, OFFERED, f"{len(resources)} ({', '.join(services) or 'no service named'})"
            )

        return self._probe(name, None, ask)
