"""Match analysis: how many words of a task each TM/MT match band covers - the basis of every quote.

translate5's MatchAnalysis plugin (public, ``application/modules/editor/Plugins/MatchAnalysis``) starts with
``PUT /editor/task/ID/analysis/operation`` (``Init::handleOnAnalysisOperation``); while it runs the task is
locked in state ``matchanalysis``. Results: ``GET /editor/plugins_matchanalysis_matchanalysis?taskGuid=``
(``MatchAnalysisController::indexAction``): one row per language resource plus a ``summary`` row (and an
``amount`` row when a pricing preset applies), the match bands as keys (``"100"``, ``"90"`` ... the lower
bound of each band, ``"noMatch"``), the band bounds in ``metaData.fields``. The plugin analyses only tasks
with at least one language resource assigned (``Init::queueAnalysis`` returns early otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_translate5.client._calls import ClientCalls
from airflow_provider_translate5.client.coerce import form_value, to_float, to_str
from airflow_provider_translate5.client.errors import Translate5ValueError
from airflow_provider_translate5.client.files import Download

ANALYSIS_PATH = "/editor/plugins_matchanalysis_matchanalysis"
#: Report formats of ``.../export?type=`` (``MatchAnalysisController::exportAction``).
REPORT_TYPES = {"xml": "exportXml", "excel": "exportExcel"}
UNIT_TYPES = frozenset({"word", "character"})
NO_MATCH = "noMatch"
_SUMMARY, _AMOUNT = "summary", "amount"


def _bands(metadata: Any) -> list[tuple[str, str]]:
    """``(key, label)`` per band, best first: key ``"90"`` with bounds 90..99 is labelled ``"90-99"``."""
    fields = metadata.get("fields") if isinstance(metadata, Mapping) else None
    bands = []
    for item in fields if isinstance(fields, list) else []:
        if not isinstance(item, Mapping) or "begin" not in item:
            continue
        begin, end = to_str(item.get("begin")) or "", to_str(item.get("end")) or ""
        bands.append(
            (to_str(item.get("name")) or begin, begin if begin == end or not end else f"{begin}-{end}")
        )
    return bands


def _counts(row: Mapping[str, Any], bands: list[tuple[str, str]]) -> dict[str, float]:
    counts = {label: to_float(row.get(key)) or 0.0 for key, label in bands}
    counts[NO_MATCH] = to_float(row.get(NO_MATCH)) or 0.0
    return counts


@dataclass(frozen=True)
class MatchAnalysis:
    """The newest analysis of one task; ``bands`` maps ``"100"``, ``"90-99"``, ..., ``"noMatch"`` to units.

    ``bands`` and ``total`` come from translate5's ``summary`` row (best match per segment, so every unit is
    counted once); ``resources`` keeps the per language resource split; ``amount``/``currency`` are set when
    a pricing preset priced the task. ``analysed`` is False when translate5 has no analysis for the task.
    """

    task_guid: str
    unit_type: str
    analysed: bool
    total: float
    bands: dict[str, float]
    resources: list[dict[str, Any]]
    amount: float | None
    currency: str | None
    created: str | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, payload: Any, *, task_guid: str, unit_type: str) -> MatchAnalysis:
        raw = dict(payload) if isinstance(payload, Mapping) else {"rows": payload}
        rows = [row for row in raw.get("rows") or [] if isinstance(row, Mapping)]
        metadata = raw.get("metaData")
        bands = _bands(metadata)
        summary = next((r for r in rows if r.get("resourceName") == _SUMMARY), None)
        priced = next((r for r in rows if r.get("resourceName") == _AMOUNT), None)
        resources = [
            {
                "name": to_str(row.get("resourceName")) or "",
                "type": to_str(row.get("resourceType")) or "",
                "total": to_float(row.get("unitCountTotal")) or 0.0,
                "bands": _counts(row, bands),
            }
            for row in rows
            if row.get("resourceName") not in (_SUMMARY, _AMOUNT)
        ]
        currency = to_str(metadata.get("currency")) if isinstance(metadata, Mapping) else None
        return cls(
            task_guid=task_guid,
            unit_type=unit_type,
            analysed=summary is not None,
            total=(to_float(summary.get("unitCountTotal")) or 0.0) if summary else 0.0,
            bands=_counts(summary, bands) if summary else {},
            resources=resources,
            amount=to_float(priced.get("finalAmount")) if priced else None,
            currency=currency or None,
            created=next((to_str(r.get("created")) for r in rows if to_str(r.get("created"))), None),
            raw=raw,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (what operators push to XCom)."""
        return {
            "task_guid": self.task_guid,
            "unit_type": self.unit_type,
            "analysed": self.analysed,
            "total": self.total,
            "bands": dict(self.bands),
            "resources": [dict(resource) for resource in self.resources],
            "amount": self.amount,
            "currency": self.currency,
            "created": self.created,
        }


def _unit_type(value: str) -> str:
    if value not in UNIT_TYPES:
        raise Translate5ValueError(f"unit_type must be one of {sorted(UNIT_TYPES)}, got {value!r}")
    return value


class AnalysisMixin(ClientCalls):
    """Match analysis and pre-translation operations (mixed into :class:`Translate5Client`)."""

    def _operation(self, task_id: int | str, operation: str, options: Mapping[str, Any]) -> dict[str, Any]:
        from airflow_provider_translate5.client.checks import positive_id

        fields = [(name, form_value(value)) for name, value in options.items() if value is not None]
        path = f"/editor/task/{positive_id(task_id)}/{operation}/operation"
        # The translate5 UI sends operations as PUT with form parameters (TaskActions.js::operation).
        payload = self._json("PUT", path, fields=fields, idempotent=False)
        return dict(payload) if isinstance(payload, Mapping) else {}

    def start_analysis(
        self,
        task_id: int | str,
        *,
        internal_fuzzy: bool | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Start a match analysis of a task (a project: of each of its tasks); it runs in the background.

        :param internal_fuzzy: also count fuzzy matches between segments of the task itself (translate5's
            default comes from the ``runtimeOptions.plugins.MatchAnalysis.internalFuzzyDefault`` config).
        """
        return self._operation(task_id, "analysis", {"internalFuzzy": internal_fuzzy, **(extra or {})})

    def start_pretranslation(
        self,
        task_id: int | str,
        *,
        internal_fuzzy: bool | None = None,
        pretranslate_matchrate: int | None = None,
        pretranslate_tm_and_term: bool | None = None,
        pretranslate_mt: bool | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Pre-translate a task with its assigned language resources (an analysis runs along).

        :param pretranslate_matchrate: lowest TM match rate used for pre-translation (0..100).
        """
        if pretranslate_matchrate is not None and (
            isinstance(pretranslate_matchrate, bool) or not 0 <= int(pretranslate_matchrate) <= 100
        ):
            raise Translate5ValueError(
                f"pretranslate_matchrate must be 0..100, got {pretranslate_matchrate!r}"
            )
        options = {
            "internalFuzzy": internal_fuzzy,
            "pretranslateMatchrate": pretranslate_matchrate,
            "pretranslateTmAndTerm": pretranslate_tm_and_term,
            "pretranslateMt": pretranslate_mt,
            **(extra or {}),
        }
        return self._operation(task_id, "pretranslation", options)

    def get_analysis(self, task_guid: str, *, unit_type: str = "word") -> MatchAnalysis:
        """The newest analysis of a task (by ``taskGuid``; ``analysed`` is False if there is none)."""
        if not isinstance(task_guid, str) or not task_guid.strip():
            raise Translate5ValueError("task_guid must be a non-empty string")
        params = {"taskGuid": task_guid, "unitType": _unit_type(unit_type)}
        payload = self._json("GET", ANALYSIS_PATH, params=params)
        return MatchAnalysis.from_api(payload, task_guid=task_guid, unit_type=unit_type)

    @contextmanager
    def open_analysis_report(
        self, task_guid: str, *, report: str = "xml", unit_type: str = "word"
    ) -> Iterator[Download]:
        """Stream the analysis report (``xml`` or ``excel``) as translate5 renders it for download."""
        if report not in REPORT_TYPES:
            raise Translate5ValueError(f"report must be one of {sorted(REPORT_TYPES)}, got {report!r}")
        if not isinstance(task_guid, str) or not task_guid.strip():
            raise Translate5ValueError("task_guid must be a non-empty string")
        params = {"taskGuid": task_guid, "type": REPORT_TYPES[report], "unitType": _unit_type(unit_type)}
        suffix = ".xml" if report == "xml" else ".xlsx"
        with self._download(f"{ANALYSIS_PATH}/export", params, f"match-analysis{suffix}") as download:
            yield download
