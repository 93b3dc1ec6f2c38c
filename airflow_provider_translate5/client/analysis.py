"""Match analysis: how many words of a task each TM/MT match band covers - the basis of every quote.

translate5's MatchAnalysis plugin (public, ``application/modules/editor/Plugins/MatchAnalysis``) starts with
``PUT /editor/task/ID/analysis/operation`` (``Init::handleOnAnalysisOperation``), which answers at once with
the task row, still ``open``; a worker then locks the task (``lockedInternalSessionUniqId``, at first while
the state still reads ``open``) and runs it in state ``matchanalysis`` (transcripts-2 §115, §123, §162).
Results: ``GET /editor/plugins_matchanalysis_matchanalysis?taskGuid=`` (``MatchAnalysisController::
indexAction``): one row per language resource, an ``auto-propagated`` row, a ``summary`` row and, for words,
an ``amount`` row; the match bands as keys (``"100"``, ``"90"`` ... the lower bound of each band,
``"noMatch"``), the band bounds in ``metaData.fields``. The counts are JSON numbers in every row; the text
columns are strings, ``""`` in the summary row and ``0`` in the amount row (§124). The plugin analyses only
tasks with at least one language resource assigned (``Init::queueAnalysis`` returns early otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from airflow_provider_translate5.client._calls import ClientCalls
from airflow_provider_translate5.client.coerce import as_mapping, form_value, to_count, to_str
from airflow_provider_translate5.client.errors import Translate5DataError, Translate5ValueError
from airflow_provider_translate5.client.files import Download

ANALYSIS_PATH = "/editor/plugins_matchanalysis_matchanalysis"
REPORT_PATH = f"{ANALYSIS_PATH}/export"
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
    if not any(key == NO_MATCH for key, _label in bands):
        bands.append((NO_MATCH, NO_MATCH))
    return bands


def _count(row: Mapping[str, Any], key: str, what: str) -> float:
    """One number of a row, read strictly (``coerce.to_count``): an unreadable one is an error, never 0."""
    value = row.get(key)
    number = to_count(value)
    if number is None:
        shown = "missing" if key not in row else repr(value)
        raise Translate5DataError(
            f"translate5's match analysis has an unreadable {key!r} in {what}: {shown} (expected a finite, "
            "non-negative number); the numbers are not used"
        )
    return number


def _row_name(row: Mapping[str, Any]) -> str:
    name = row.get("resourceName")
    if name in (_SUMMARY, _AMOUNT):
        return f"the {name} row"
    if not name:
        return f"the {to_str(row.get('resourceType')) or 'unnamed'} row"
    return f"the row of language resource {name!r}"


def _counts(row: Mapping[str, Any], bands: list[tuple[str, str]]) -> dict[str, float]:
    what = _row_name(row)
    return {label: _count(row, key, what) for key, label in bands}


@dataclass(frozen=True)
class MatchAnalysis:
    """The newest analysis of one task; ``bands`` maps ``"100"``, ``"90-99"``, ..., ``"noMatch"`` to units.

    ``bands`` and ``total`` come from translate5's ``summary`` row (best match per segment, so every unit is
    counted once); ``resources`` keeps the split per language resource (and translate5's
    ``auto-propagated`` row: repetitions). Every count is read strictly: a value that is not a finite,
    non-negative number raises :class:`Translate5DataError` naming the field and the row. ``amount`` and
    ``currency`` are set only when a pricing preset priced the task: translate5 sends an ``amount`` row of
    zeros with ``metaData.noPricing: true`` (transcripts-2 §124), and none for ``unitType=character``
    (§163). ``analysed`` is False when translate5 has no analysis for the task (``rows: []``).
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
        metadata = as_mapping(raw.get("metaData"))
        summary = next((r for r in rows if r.get("resourceName") == _SUMMARY), None)
        priced = next((r for r in rows if r.get("resourceName") == _AMOUNT), None)
        counted = [row for row in rows if row.get("resourceName") not in (_SUMMARY, _AMOUNT)]
        if rows and summary is None:
            raise Translate5DataError(
                "translate5's match analysis has rows but no summary row, so its numbers cannot be read"
            )
        bands = _bands(metadata)
        resources = [
            {
                "name": to_str(row.get("resourceName")) or "",
                "type": to_str(row.get("resourceType")) or "",
                "total": _count(row, "unitCountTotal", _row_name(row)),
                "bands": _counts(row, bands),
            }
            for row in counted
        ]
        amount = None
        if priced is not None and metadata.get("noPricing") is not True:
            amount = _count(priced, "finalAmount", _row_name(priced))
        created = [text for row in counted if (text := row.get("created")) and isinstance(text, str)]
        return cls(
            task_guid=task_guid,
            unit_type=unit_type,
            analysed=summary is not None,
            total=_count(summary, "unitCountTotal", _row_name(summary)) if summary else 0.0,
            bands=_counts(summary, bands) if summary else {},
            resources=resources,
            amount=amount,
            currency=(to_str(metadata.get("currency")) or None) if amount is not None else None,
            created=max(created, default=None),
            raw=raw,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (what operators push to XCom); whole counts as integers (34, not 34.0)."""
        return {
            "task_guid": self.task_guid,
            "unit_type": self.unit_type,
            "analysed": self.analysed,
            "total": plain_number(self.total),
            "bands": {band: plain_number(count) for band, count in self.bands.items()},
            "resources": [
                {
                    **resource,
                    "total": plain_number(resource["total"]),
                    "bands": {band: plain_number(n) for band, n in resource["bands"].items()},
                }
                for resource in self.resources
            ],
            "amount": self.amount,
            "currency": self.currency,
            "created": self.created,
        }


def plain_number(value: float) -> int | float:
    """A count as a person reads it: ``34`` for 34.0, fractions kept (``12.5``)."""
    return int(value) if value.is_integer() else value


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
        params = _report_params(task_guid, report, unit_type)
        suffix = ".xml" if report == "xml" else ".xlsx"
        with self._download(REPORT_PATH, params, f"match-analysis{suffix}") as download:
            yield download

    def analysis_report_url(self, task_guid: str, *, report: str = "xml", unit_type: str = "word") -> str:
        """Where a person downloads the analysis report in a browser logged in to translate5 (the link an
        approval shows): the URL :meth:`open_analysis_report` reads, without credentials."""
        params = _report_params(task_guid, report, unit_type)
        return f"{self._transport.url_for(REPORT_PATH)}?{urlencode(params)}"


def _report_params(task_guid: str, report: str, unit_type: str) -> dict[str, str]:
    if report not in REPORT_TYPES:
        raise Translate5ValueError(f"report must be one of {sorted(REPORT_TYPES)}, got {report!r}")
    if not isinstance(task_guid, str) or not task_guid.strip():
        raise Translate5ValueError("task_guid must be a non-empty string")
    return {"taskGuid": task_guid, "type": REPORT_TYPES[report], "unitType": _unit_type(unit_type)}
