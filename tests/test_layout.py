"""The package's layout holds: imports run down the layers only, no import cycle, old import paths still work.

The layers (docs/concepts.md, "Module map"), lowest first: the package root (plain data); the client; the
status model, the hook, the links, the file writer and create-once; the wait loop; the triggers; the shared
operator machinery (``base``); operators and sensors. The simulator (``testing``) stands apart: nothing of the
provider imports it. Imports are read from the source (``ast``), including those inside functions, which run
only when a task does, and those for type checkers only.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

import airflow_provider_translate5

PACKAGE = "airflow_provider_translate5"
ROOT = Path(airflow_provider_translate5.__file__).parent

#: Each module's layer: the longest matching prefix decides. A module imports only from lower layers, or from
#: its own package (``operators.export`` may use ``operators.tasks``, not ``sensors``).
LAYERS: dict[str, int] = {
    PACKAGE: -1,  # version and provider info: plain data, anyone may read them
    f"{PACKAGE}.client": 0,
    f"{PACKAGE}.status": 1,
    f"{PACKAGE}.hooks": 1,
    f"{PACKAGE}.links": 1,
    f"{PACKAGE}.files": 1,
    f"{PACKAGE}.once": 1,
    f"{PACKAGE}.wait": 2,
    f"{PACKAGE}.triggers": 3,
    f"{PACKAGE}.base": 4,
    f"{PACKAGE}.lineage": 4,  # what the operators report to OpenLineage (beside base: operators call it)
    f"{PACKAGE}.operators": 5,
    f"{PACKAGE}.sensors": 5,
    f"{PACKAGE}.testing": 6,
    f"{PACKAGE}.ui": 6,  # the translate5 view (an Airflow plugin): nothing of the provider imports it
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> tuple[str, int]:
    """The layer's prefix (``...operators``: its package) and number."""
    prefix = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return prefix, LAYERS[prefix]


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(child) for statement in node.body for child in ast.walk(statement))
    return inside


def imports(root: Path) -> Iterator[tuple[str, str, bool]]:
    """``(importer, imported module, for type checkers only)`` for every import of the package by itself."""
    modules = {module_name(path, root) for path in root.rglob("*.py")}
    for path in sorted(root.rglob("*.py")):
        importer = module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _type_checking_nodes(tree)
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                # ``from package import module`` imports the module; ``from module import name`` the module
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for name in names:
                if name.split(".")[0] == PACKAGE and name in modules and name != importer:
                    yield importer, name, id(node) in typing_only


def upward_imports(root: Path) -> list[str]:
    wrong = []
    for importer, imported, _typing in imports(root):
        (own, own_layer), (their, their_layer) = layer_of(importer), layer_of(imported)
        private = imported.rpartition(".")[2].startswith("_") and not imported.startswith(own + ".")
        if their_layer > own_layer or (their_layer == own_layer and own != their) or private:
            wrong.append(f"{importer} -> {imported}")
    return sorted(set(wrong))


def import_cycles(root: Path) -> list[list[str]]:
    """Strongly connected groups of modules in the imports that run (at import time or in a function)."""
    graph: dict[str, set[str]] = {}
    for importer, imported, typing_only in imports(root):
        graph.setdefault(importer, set())
        if not typing_only:
            graph[importer].add(imported)
            graph.setdefault(imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                cycles.append(sorted([node, *group]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_imports_run_down_the_layers_only() -> None:
    assert upward_imports(ROOT) == []


def test_no_import_cycle() -> None:
    assert import_cycles(ROOT) == []


def test_the_checks_see_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """The walk finds what it looks for: a trigger importing an operator, two client modules importing
    each other inside functions."""
    package = tmp_path / PACKAGE
    for name, text in {
        "__init__.py": "",
        "client/__init__.py": "",
        "client/a.py": "def f():\n    from airflow_provider_translate5.client.b import g\n",
        "client/b.py": "def g():\n    from airflow_provider_translate5.client import a\n",
        "operators/__init__.py": "",
        "triggers/__init__.py": "from airflow_provider_translate5.operators import X\n",
    }.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    assert upward_imports(package) == [f"{PACKAGE}.triggers -> {PACKAGE}.operators"]
    assert import_cycles(package) == [[f"{PACKAGE}.client.a", f"{PACKAGE}.client.b"]]


#: Where users found each class before the operators were grouped by what they do (0.1.0 pre-releases).
OLD_PATHS = {
    "operators.translate5": [
        "Translate5AssignJobOperator",
        "Translate5BaseOperator",
        "Translate5DeleteTaskOperator",
        "Translate5EndTaskOperator",
        "Translate5ExportOperator",
        "Translate5InstantTranslatePretranslateOperator",
        "Translate5RenameTaskOperator",
        "Translate5ReopenTaskOperator",
        "Translate5StartImportOperator",
        "Translate5TriggerWorkflowOperator",
        "Translate5UploadTaskOperator",
        "Translate5WriteTmOperator",
    ],
    "operators.people": ["Translate5AssignDefaultJobsOperator", "Translate5UpdateJobOperator"],
    "operators.analysis": [
        "Translate5AssignLanguageResourcesOperator",
        "Translate5MatchAnalysisOperator",
        "Translate5PretranslateOperator",
    ],
    "operators.reimport": ["Translate5ReimportFileOperator"],
    "operators.batchexport": ["Translate5BatchExportOperator"],
    "sensors": ["Translate5ImportSensor", "Translate5WorkflowEndedSensor"],
    "sensors.translate5": ["Translate5ImportSensor", "Translate5WorkflowEndedSensor"],
    "triggers": ["Translate5PretranslationTrigger", "Translate5TaskStateTrigger"],
    "triggers.translate5": ["Translate5PretranslationTrigger", "Translate5TaskStateTrigger"],
    "hooks": ["Translate5Hook"],
    "hooks.translate5": ["Translate5Hook"],
}


@pytest.mark.parametrize(("module", "names"), OLD_PATHS.items(), ids=list(OLD_PATHS))
def test_old_import_paths_give_the_same_classes(module: str, names: list[str]) -> None:
    old = importlib.import_module(f"{PACKAGE}.{module}")
    for name in names:
        cls = getattr(old, name)
        home = importlib.import_module(cls.__module__)
        assert getattr(home, name) is cls
        if module.startswith("operators") and name != "Translate5BaseOperator":
            assert getattr(importlib.import_module(f"{PACKAGE}.operators"), name) is cls


def test_operators_package_exports_every_operator_class() -> None:
    """``from airflow_provider_translate5.operators import ...`` offers every operator defined under it."""
    from airflow.sdk import BaseOperator

    package = importlib.import_module(f"{PACKAGE}.operators")
    defined = {
        name
        for path in (ROOT / "operators").glob("*.py")
        for name, cls in inspect.getmembers(importlib.import_module(module_name(path, ROOT)), inspect.isclass)
        if issubclass(cls, BaseOperator)
        and cls.__module__ == module_name(path, ROOT)
        and not name.startswith("_")
    }
    assert defined <= set(package.__all__)
    assert {getattr(package, name).__module__ for name in package.__all__} <= {
        module_name(path, ROOT) for path in (ROOT / "operators").glob("*.py")
    }


def test_the_client_package_offers_every_name_it_lists_and_loads_it_on_use() -> None:
    """``client/__init__`` loads names lazily: each listed name resolves, and the map and the list agree."""
    client = importlib.import_module(f"{PACKAGE}.client")
    assert sorted(client._HOMES) == sorted(client.__all__)
    for name in client.__all__:
        assert getattr(client, name) is getattr(
            importlib.import_module(f"{PACKAGE}.client.{client._HOMES[name]}"), name
        )
