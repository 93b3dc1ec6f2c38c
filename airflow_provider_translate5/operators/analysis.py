"""Cost before commitment: assign language resources, run a match analysis or pre-translation, report it.

The analysis operators start translate5's operation on every task behind the id and wait for the operation,
not for a state (``status.evaluate_operation``: translate5's lock released AND a new analysis there; a task
reads ``open`` while the work is queued and even while its worker holds the lock, transcripts-2 §115, §162),
in the worker or, deferred, in the triggerer. Then they read the newest analysis of each task strictly (a
count that is not a finite, non-negative number fails the task, naming it) and return the word counts per
match band (XCom), optionally writing translate5's report files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_provider_translate5.base import (
    Translate5BaseOperator,
    WaitMixin,
    as_flag,
    check_trigger_event,
    defer_until_done,
    fail_fast_on_bad_input,
    is_template,
    rendered_list,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_translate5.client import Task
    from airflow_provider_translate5.client.analysis import MatchAnalysis
    from airflow_provider_translate5.files import PathLike

REPORT_SUFFIX = {"xml": ".xml", "excel": ".xlsx"}


class Translate5AssignLanguageResourcesOperator(Translate5BaseOperator):
    """Assign TMs, MT engines or term collections to every task behind the id (by name or id).

    Safe to retry: a resource assigned already is left as it is. A resource that is unknown, ambiguous, or
    does not fit the languages or customer of any task behind the id fails the task before anything is
    assigned to any of them (translate5 would accept it, then hide it from the task's resources).

    :param translate5_task_id: task or project id (templated).
    :param language_resources: names or ids of language resources (templated: a list, an ``XComArg``, or a
        template such as ``"{{ params.language_resources }}"`` rendering one; a single name is one item).
    :param segments_updateable: let translators' confirmed segments update writable TMs.

    Returns ``{"<task id>": [{"id", "name", "resource_type", "assoc_id"}, ...]}`` (the task's assignments).
    """

    template_fields = ("translate5_task_id", "language_resources")

    def __init__(
        self,
        *,
        translate5_task_id: int | str,
        language_resources: Sequence[str | int] | str,
        segments_updateable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not language_resources or (isinstance(language_resources, str) and not language_resources.strip()):
            raise ValueError("language_resources must name at least one language resource (name or id)")
        self.translate5_task_id = translate5_task_id
        self.language_resources = language_resources  # a list, or an XComArg / template resolving to one
        self.segments_updateable = segments_updateable

    def execute(self, context: Context) -> dict[str, list[dict[str, Any]]]:
        try:  # the rendered value is known only now; a retry renders it the same way
            wanted = rendered_list(self.language_resources, "language_resources")
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from exc
        if not wanted:
            given = self.language_resources
            raise AirflowFailException(f"language_resources rendered to nothing ({given!r})")
        tasks = self.resolve_tasks(context, self.translate5_task_id)
        with fail_fast_on_bad_input():  # every task of a project first: all of them or none
            for task in tasks:
                self.client.fitting_language_resources(task.task_guid, wanted)
        assigned: dict[str, list[dict[str, Any]]] = {}
        for task in tasks:
            with fail_fast_on_bad_input():
                resources = self.client.assign_language_resources(
                    task.task_guid,
                    wanted,
                    segments_updateable=self.segments_updateable,
                )
            self.log.info("Task %s uses %s", task.id, ", ".join(r.name for r in resources))
            assigned[str(task.id)] = [
                {"id": r.id, "name": r.name, "resource_type": r.resource_type, "assoc_id": r.assoc_id}
                for r in resources
            ]
        return assigned


class Translate5MatchAnalysisOperator(WaitMixin, Translate5BaseOperator):
    """Run translate5's match analysis on every task behind the id and return the word counts per band.

    translate5 analyses only tasks with at least one language resource assigned (see
    :class:`Translate5AssignLanguageResourcesOperator`); a task without one fails at once instead of waiting
    for an analysis that never comes. The wait ends when translate5 released the task's lock and a new
    analysis is there; an analysis translate5 ran without writing one fails, one that never starts ends at
    the timeout (both saying so).

    :param translate5_task_id: task or project id (templated).
    :param unit_type: ``word`` or ``character`` counts.
    :param internal_fuzzy: also count fuzzy matches between segments of the task itself.
    :param report: also download translate5's report, ``"xml"`` or ``"excel"``, into ``report_destination``.
    :param report_destination: a directory (local path, URI or ``ObjectStoragePath``; templated); the report
        of task 7 is written atomically as ``match-analysis-7.xml``.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poke_interval: time between two looks at the tasks (``timedelta`` or seconds, default 10).
    :param timeout: time (``timedelta`` or seconds) the analysis may take before the task fails (translate5
        is left as it is).
    :param rates: the price of one unit (word or character) per match band, by the band names of ``bands``
        (``{"100": 0.03, "90-99": 0.09, ..., "noMatch": 0.18}``; templated: a mapping, an ``XComArg`` or the
        JSON text of ``"{{ params.rates | tojson }}"``). With it the result has ``cost``: every band with
        units needs a rate and every rate a band of the analysis, or the task fails naming the band.
    :param currency: the currency of ``rates`` (``"EUR"``, templated); required with ``rates``.

    A rate or currency known when the DAG is parsed is checked then (``ValueError`` naming the band), a
    rendered one before any analysis is started.

    Returns ``{"task_ids", "unit_type", "total", "bands": {"100": n, "90-99": n, ..., "noMatch": n},
    "tasks": [{"task_id", "task_guid", "total", "bands", "resources", "amount", "currency", "created",
    "report_url"}], "reports": [<URI>, ...], "cost"}``; ``total`` and ``bands`` are summed over the tasks,
    whole counts as integers. ``amount`` is None unless translate5 priced the analysis
    (``metaData.noPricing`` false). ``report_url`` is translate5's download of the task's report (for a
    browser logged in to translate5). ``cost`` is None without ``rates``, else ``{"currency", "lines":
    [{"band", "units", "rate", "amount"}], "total"}`` for the summed bands (see ``client.cost``: Decimal
    arithmetic, amounts rounded to cents, rates and money as decimal text such as ``"12.50"``).
    """

    template_fields: Sequence[str] = ("translate5_task_id", "report_destination", "rates", "currency")
    poll_interval_default: ClassVar[float] = 10.0
    operation: ClassVar[str] = "analysis"

    def __init__(
        self,
        *,
        translate5_task_id: int | str,
        unit_type: str = "word",
        internal_fuzzy: bool | None = None,
        report: str | None = None,
        report_destination: PathLike | None = None,
        deferrable: bool | None = None,
        poke_interval: timedelta | float | None = None,
        timeout: timedelta | float = 3600.0,
        rates: Mapping[str, Any] | str | None = None,
        currency: str | None = None,
        **kwargs: Any,
    ) -> None:
        from airflow_provider_translate5.client.analysis import REPORT_TYPES, UNIT_TYPES

        super().__init__(**kwargs)
        if unit_type not in UNIT_TYPES:
            raise ValueError(f"unit_type must be one of {sorted(UNIT_TYPES)}, got {unit_type!r}")
        if report is not None and report not in REPORT_TYPES:
            raise ValueError(f"report must be one of {sorted(REPORT_TYPES)}, got {report!r}")
        if (report is None) != (report_destination is None):
            raise ValueError("report and report_destination go together: give both or neither")
        self.translate5_task_id = translate5_task_id
        self.unit_type = unit_type
        self.internal_fuzzy = internal_fuzzy
        self.report = report
        self.report_destination = report_destination
        self.configure_wait(deferrable=deferrable, poke_interval=poke_interval, timeout=timeout)
        if (rates is None) != (currency is None):
            raise ValueError("rates and currency go together: give both or neither")
        self.rates = rates
        self.currency = currency
        if rates is not None and not any(map(_rendered_later, (*_values(rates), currency))):
            self._pricing()  # known now: a mistake fails the DAG's parse, not a run

    def _pricing(self) -> tuple[dict[str, Decimal], str] | None:
        """The rates and currency as ``client.cost`` reads them; ``ValueError`` names what is wrong."""
        from airflow_provider_translate5.client.cost import read_currency, read_rates

        if self.rates is None or self.currency is None:
            return None
        return read_rates(self.rates), read_currency(self.currency)

    def start(self, task: Task) -> None:
        self.client.start_analysis(task.id, internal_fuzzy=self.internal_fuzzy)

    def execute(self, context: Context) -> dict[str, Any] | None:
        from airflow_provider_translate5.status import OPERATIONS
        from airflow_provider_translate5.wait import block_until_done

        try:  # rendered values are known only now: checked before anything is started
            self._pricing()
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from exc
        tasks = self.resolve_tasks(context, self.translate5_task_id)
        end_time = self.deadline()
        with fail_fast_on_bad_input():
            bare = [
                t.id
                for t in tasks
                if not any(r.assoc_id for r in self.client.task_language_resources(t.task_guid))
            ]
            if bare:
                raise AirflowFailException(
                    f"translate5 task(s) {', '.join(map(str, bare))} have no language resource assigned; "
                    f"translate5 runs the {self.operation} only with at least one (assign one with "
                    "Translate5AssignLanguageResourcesOperator)"
                )
            before = {
                t.id: self.client.get_analysis(t.task_guid, unit_type=self.unit_type).created for t in tasks
            }
            for task in tasks:
                self.start(task)
                self.log.info("Started the %s of translate5 task %s", self.operation, task.id)
        ids, operation = [task.id for task in tasks], OPERATIONS[self.operation]
        if self.deferrable:
            defer_until_done(self, operation, ids, before, end_time)
            return None
        event = block_until_done(self, operation, ids, before, interval=self.poke_interval, end_time=end_time)
        check_trigger_event(event)
        return self._results(context, {str(i): c for i, c in before.items()})

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> dict[str, Any]:
        before = check_trigger_event(event).get("before")
        if not isinstance(before, Mapping):  # a trigger of an earlier release: the start is not known
            raise AirflowException(
                "the wait ended without the analyses seen before the start; retry the task"
            )
        return self._results(context, before)

    def _results(self, context: Context, before: Mapping[str, Any]) -> dict[str, Any]:
        from airflow_provider_translate5.client.analysis import NO_MATCH, plain_number

        tasks = self.resolve_tasks(context, self.translate5_task_id)
        entries: list[dict[str, Any]] = []
        reports: list[str] = []
        bands: dict[str, float] = {}
        total = 0.0
        with fail_fast_on_bad_input():
            for task in tasks:
                analysis = self.client.get_analysis(task.task_guid, unit_type=self.unit_type)
                self._check_new(task, analysis, before.get(str(task.id)))
                self.log.info("Task %s: %s", task.id, _describe(analysis))
                url = self.client.analysis_report_url(
                    task.task_guid, report=self.report or "xml", unit_type=self.unit_type
                )
                entries.append({"task_id": task.id, **analysis.as_dict(), "report_url": url})
                total += analysis.total
                for band, count in analysis.bands.items():
                    bands[band] = bands.get(band, 0.0) + count
                if self.report is not None and self.report_destination is not None:
                    reports.append(self._write_report(task, self.report, self.report_destination))
        if NO_MATCH in bands:  # keep "noMatch" last, after the bands, as translate5 lists them
            bands[NO_MATCH] = bands.pop(NO_MATCH)
        return {
            "task_ids": [task.id for task in tasks],
            "unit_type": self.unit_type,
            "total": plain_number(total),
            "bands": {band: plain_number(count) for band, count in bands.items()},
            "tasks": entries,
            "reports": reports,
            "cost": self._cost(bands),
        }

    def _cost(self, bands: Mapping[str, float]) -> dict[str, Any] | None:
        """The estimate for the summed bands; a band with units but no rate fails the task (never 0)."""
        from airflow_provider_translate5.client.cost import estimate

        with fail_fast_on_bad_input():
            pricing = self._pricing()
            if pricing is None:
                return None
            cost = estimate(bands, *pricing)
        self.log.info("Estimated cost: %s %s (%s)", cost.total, cost.currency, self.unit_type + "s")
        return cost.as_dict()

    def _check_new(self, task: Task, analysis: MatchAnalysis, before: str | None) -> None:
        """The wait saw a new analysis; this read must show it too, or no numbers are reported."""
        if not analysis.analysed or analysis.created == before:
            raise AirflowFailException(
                f"translate5 ran no new {self.operation} for task {task.id} (it may have been unable to lock "
                "the task, or a language resource failed); see the task's event log in translate5"
            )

    def _write_report(self, task: Task, report: str, destination: PathLike) -> str:
        from airflow_provider_translate5.client.files import write_atomically
        from airflow_provider_translate5.files import ensure_dir, to_path, uri

        target = ensure_dir(to_path(destination)) / f"match-analysis-{task.id}{REPORT_SUFFIX[report]}"
        with self.client.open_analysis_report(task.task_guid, report=report, unit_type=self.unit_type) as dl:
            write_atomically(dl.iter_bytes(), target)
        self.log.info("Wrote the %s analysis report of task %s to %s", report, task.id, uri(target))
        return uri(target)


class Translate5PretranslateOperator(Translate5MatchAnalysisOperator):
    """Pre-translate every task behind the id with its assigned language resources (an analysis runs along).

    Takes the parameters of :class:`Translate5MatchAnalysisOperator` and returns the same result, plus
    (templated, so a run's params can choose them: ``"{{ params.matchrate }}"``; a value known when the DAG
    is parsed is checked then, a rendered one before anything is started):

    :param pretranslate_matchrate: lowest TM match rate (0..100) that pre-translates a segment.
    :param pretranslate_tm_and_term: use TMs and term collections.
    :param pretranslate_mt: use MT engines for segments without a good enough TM match.
    """

    template_fields = (
        *Translate5MatchAnalysisOperator.template_fields,
        "pretranslate_matchrate",
        "pretranslate_tm_and_term",
        "pretranslate_mt",
    )
    operation: ClassVar[str] = "pre-translation"

    def __init__(
        self,
        *,
        pretranslate_matchrate: int | str | None = None,
        pretranslate_tm_and_term: bool | str | None = None,
        pretranslate_mt: bool | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pretranslate_matchrate = pretranslate_matchrate
        self.pretranslate_tm_and_term = pretranslate_tm_and_term
        self.pretranslate_mt = pretranslate_mt
        self._options: dict[str, Any] = {}  # read in execute, when templates are rendered
        if not any(map(is_template, (pretranslate_matchrate, pretranslate_tm_and_term, pretranslate_mt))):
            self._read_options()  # known now: a mistake fails the DAG's parse, not a run

    def _read_options(self) -> dict[str, Any]:
        """The options as the client takes them; ``ValueError`` names the one that is wrong."""
        given = self.pretranslate_matchrate
        text = "" if given is None else str(given).strip()
        matchrate = None
        if text.lower() not in ("", "none"):  # an unset param renders as "None"
            if isinstance(given, bool) or not text.isdigit() or int(text) > 100:
                raise ValueError(f"pretranslate_matchrate must be 0..100, got {given!r}")
            matchrate = int(text)
        return {
            "pretranslate_matchrate": matchrate,
            "pretranslate_tm_and_term": as_flag(self.pretranslate_tm_and_term, "pretranslate_tm_and_term"),
            "pretranslate_mt": as_flag(self.pretranslate_mt, "pretranslate_mt"),
        }

    def execute(self, context: Context) -> dict[str, Any] | None:
        try:  # rendered values are known only now; a retry renders them the same way
            self._options = self._read_options()
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from exc
        return super().execute(context)

    def start(self, task: Task) -> None:
        self.client.start_pretranslation(task.id, internal_fuzzy=self.internal_fuzzy, **self._options)


def _rendered_later(value: Any) -> bool:
    """A Jinja string or an XComArg; a number (``is_template`` takes a float for one) is known now."""
    return not isinstance(value, (int, float, Decimal)) and is_template(value)


def _values(rates: Mapping[str, Any] | str) -> tuple[Any, ...]:
    """What may still be a template: the text, or each rate of a mapping (an XComArg is itself)."""
    return tuple(rates.values()) if isinstance(rates, Mapping) else (rates,)


def _describe(analysis: MatchAnalysis) -> str:
    counts = ", ".join(f"{band}: {count:g}" for band, count in analysis.bands.items() if count)
    price = f"; {analysis.amount:g} {analysis.currency or ''}".rstrip() if analysis.amount is not None else ""
    return f"{analysis.total:g} {analysis.unit_type}s ({counts or 'nothing counted'}){price}"
