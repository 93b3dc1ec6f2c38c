"""OpenLineage: what the upload, export, InstantTranslate and reimport operators read and wrote.

Airflow's OpenLineage provider (optional, the ``openlineage`` extra) asks each operator for its lineage
through ``get_openlineage_facets_on_start`` and ``get_openlineage_facets_on_complete`` (its
``DefaultExtractor``, which also asks the latter after a failed try). These four operators answer with
:func:`operator_lineage`:

* Files are datasets named as the OpenLineage naming spec says: a local file is namespace ``file`` with its
  absolute path as name; object storage is ``<scheme>://<bucket>`` with the key as name (``s3://bucket``,
  ``gs://bucket``; ``gcs://`` and ``s3a://`` spelled the spec's way). Where a path points is decided by
  :func:`airflow_provider_translate5.files.location`, the same rule the overwrite checks use.
* Each translate5 task a run created, exported or changed is a dataset too, namespace
  ``translate5://<host>[:port][/path]`` and name ``task/<id>``: it joins the files an upload sent to the files
  the export delivered in a lineage graph.
* The run facet ``translate5`` says what translate5 did: the operation, task ids, project id, languages, the
  server's URL and the task's link in translate5.

The listener asks after the task ended, by default in a forked child of the task process, where requests
to translate5 or to Airflow's API server (XComs, connections) are not safe. So an operator notes what it did
while it runs (:func:`note`), and its hooks only read that note. Nothing of this module is imported when a DAG
file is parsed; the OpenLineage provider only inside :func:`operator_lineage`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias, cast
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from airflow.providers.common.compat.openlineage.facet import Dataset, RunFacet
    from airflow.providers.openlineage.extractors import OperatorLineage

    #: What the lineage hooks return.
    Lineage: TypeAlias = OperatorLineage[Dataset, RunFacet]

#: The run facet's key in an OpenLineage event.
FACET = "translate5"

#: Where a run's note is kept on the operator (a plain attribute: the listener reads the same object).
_NOTE = "_translate5_lineage"

#: Schemes the naming spec spells another way (fsspec knows both).
_SCHEMES = {"gcs": "gs", "s3a": "s3", "s3n": "s3"}


def note(operator: Any, **facts: Any) -> None:
    """Keep what this run did for the lineage hooks: facet fields (camelCase, as OpenLineage names them) and
    ``written``, the files delivered.

    Also notes translate5's base URL, read from the operator's hook while its client is open (the hook closes
    it in ``post_execute``, before the listener asks).
    """
    facts.setdefault("serverUrl", operator.hook.base_url)
    operator.__dict__[_NOTE] = {**operator.__dict__.get(_NOTE, {}), **facts}


def dataset_name(path: Any) -> tuple[str, str]:
    """``(namespace, name)`` of a file: a local path, a URI or an ``ObjectStoragePath``."""
    from airflow_provider_translate5.files import location

    place = location(path)
    if place.protocol == "file":
        return "file", place.key
    scheme = str(path).partition("://")[0].lower()
    return f"{_SCHEMES.get(scheme, scheme)}://{place.bucket}", place.key.lstrip("/")


def server_namespace(base_url: str) -> str:
    """One translate5 server, whether reached over http or https (never its user name or password)."""
    parts = urlsplit(base_url)
    host = parts.netloc.rpartition("@")[2].lower()
    return f"translate5://{host}{parts.path.rstrip('/')}"


def operator_lineage(
    operator: Any,
    operation: str,
    *,
    inputs: Iterable[Any] = (),
    tasks: str | None = None,
    source_lang: Any = None,
    target_lang: Any = None,
) -> Lineage:
    """The lineage of one operator's run: ``inputs`` (files it reads, as the DAG named them), the files it
    noted as written, and the noted translate5 tasks as ``tasks`` (``"inputs"`` or ``"outputs"``).

    The languages are the DAG's (one target or a list); unknown fields are left out of the facet. Before the
    run (the start event), or after a failure before the note, only what the DAG gave is reported.
    """
    from airflow.providers.common.compat.openlineage.facet import Dataset, RunFacet
    from airflow.providers.openlineage.extractors import OperatorLineage

    noted = dict(operator.__dict__.get(_NOTE, {}))
    written = noted.pop("written", [])
    read = [dataset_name(path) for path in _paths(inputs)]
    wrote = [dataset_name(path) for path in written]
    if tasks is not None and noted.get("serverUrl") and noted.get("taskIds"):
        namespace = server_namespace(noted["serverUrl"])
        t5 = [(namespace, f"task/{task_id}") for task_id in noted["taskIds"]]
        (read if tasks == "inputs" else wrote).extend(t5)
    fields = {
        "operation": operation,
        "sourceLanguage": None if source_lang is None else str(source_lang),
        "targetLanguages": None if target_lang is None else [str(t) for t in _listed(target_lang)],
        **noted,
    }
    known = {key: value for key, value in fields.items() if value is not None}
    facet = cast("RunFacet", RunFacet().with_additional_properties(**known))
    return OperatorLineage(
        inputs=[Dataset(*name) for name in dict.fromkeys(read)],  # a shared tbx once, in order
        outputs=[Dataset(*name) for name in dict.fromkeys(wrote)],
        run_facets={FACET: facet},
    )


def _paths(values: Iterable[Any]) -> Iterator[Any]:
    """Each file of the values (a source may be one path or a list of them); ``None`` skipped."""
    from airflow_provider_translate5.files import is_single

    for value in values:
        if value is None:
            continue
        if is_single(value):
            yield value
        else:
            yield from _paths(value)


def _listed(value: Any) -> list[Any]:
    """One language or a list of them, as the operators take them."""
    return [value] if isinstance(value, (str, int)) else list(value)
