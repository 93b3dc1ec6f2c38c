"""What a user installs: the wheel's contents, its dependencies, README links, pytest without the extras.

Building the wheel itself and resolving it next to other providers is `make dist-check` (CI's deployment
step); these tests check the inputs of that build quickly, on every `make test`.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import tomllib
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent.parent
PACKAGE = REPO / "airflow_provider_translate5"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

#: Distribution name -> import name, where they differ.
IMPORT_NAMES = {
    "apache-airflow": "airflow",
    "apache-airflow-providers-common-compat": "airflow.providers.common.compat",
    "requests-toolbelt": "requests_toolbelt",
    "python-multipart": "python_multipart",
}
#: Modules that come with a runtime dependency (requests brings urllib3, Airflow brings the rest).
# The translate5 view (ui/) runs inside Airflow's API server, whose own requirements bring FastAPI and
# SQLAlchemy (apache-airflow-core declares both).
TRANSITIVE = {"urllib3": "requests", "fastapi": "airflow", "sqlalchemy": "airflow"}


def top_level_imports(root: Path) -> dict[str, set[Path]]:
    """Every third-party or stdlib top-level module imported under ``root`` (relative imports skipped)."""
    found: dict[str, set[Path]] = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(path)
    return found


def third_party(imports: dict[str, set[Path]]) -> dict[str, set[Path]]:
    return {
        name: paths
        for name, paths in imports.items()
        if name not in sys.stdlib_module_names and name != "airflow_provider_translate5"
    }


def declared(extra: str | None = None) -> set[str]:
    project = PYPROJECT["project"]
    reqs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return {Requirement(r).name for r in reqs}


def test_every_runtime_dependency_is_imported_and_every_import_is_declared() -> None:
    runtime = third_party(top_level_imports(PACKAGE))
    testing = third_party(top_level_imports(PACKAGE / "testing"))
    production = {
        name: {p for p in paths if PACKAGE / "testing" not in p.parents} for name, paths in runtime.items()
    }
    production = {name: paths for name, paths in production.items() if paths}
    # pytest is imported only by the pytest plugin, which pytest itself loads.
    testing.pop("pytest", None)

    runtime_modules = {IMPORT_NAMES.get(dist, dist).split(".")[0] for dist in declared()}
    sources = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    for dist in declared():
        module = IMPORT_NAMES.get(dist, dist)
        used = module in production if "." not in module else re.search(rf"\b{re.escape(module)}\b", sources)
        assert used, f"runtime dependency {dist} is never imported"
    for module, paths in production.items():
        provider = TRANSITIVE.get(module, module)
        assert provider in runtime_modules, (
            f"{module} is imported by {sorted(map(str, paths))} but not declared"
        )

    testing_modules = {IMPORT_NAMES.get(dist, dist) for dist in declared("testing")}
    for module in testing:
        assert module in runtime_modules | testing_modules | set(TRANSITIVE), f"{module} missing in [testing]"
    assert "python_multipart" not in production, "the provider must run without python-multipart"


def test_the_wheel_lists_every_package_of_the_source_tree() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    on_disk = {".".join(init.parent.relative_to(REPO).parts) for init in PACKAGE.rglob("__init__.py")}
    assert on_disk <= listed, f"packages missing from [tool.setuptools] packages: {sorted(on_disk - listed)}"
    examples = PYPROJECT["tool"]["setuptools"]["package-dir"]["airflow_provider_translate5.example_dags"]
    assert (REPO / examples / "translate5_cms_roundtrip.py").is_file()


def github_anchor(heading: str) -> str:
    """The anchor GitHub (and mkdocs' default slugs, for ASCII headings) give a Markdown heading."""
    text = re.sub(r"[`*_\[\]()]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.MULTILINE)  # not a comment in a code block
    return {github_anchor(heading) for heading in headings}


def test_readme_links_are_relative_and_point_at_files_and_headings_of_this_repository() -> None:
    """Relative links work in a clone, offline and on the repository's web page. (The package index shows
    the same README as its long description, where these links do not resolve; its sidebar carries the
    project URLs of pyproject.toml, which do.)"""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    source = PYPROJECT["project"]["urls"]["Source"].rstrip("/")
    inline = re.findall(r"\]\(([^)\s]+)\)", readme)
    references = re.findall(r"^\[[^\]]+\]:\s*(\S+)", readme, flags=re.MULTILINE)  # [name]: docs/...
    assert inline
    assert references
    relative = 0
    for link in inline + references:
        if re.match(r"^https?://", link):
            assert not link.startswith(source + "/"), f"{link}: link this repository's files relatively"
            continue
        relative += 1
        path, _hash, anchor = link.partition("#")
        target = REPO / path
        assert target.exists(), f"{link} points at a file that does not exist"
        if anchor:
            assert anchor in anchors(target), f"{link}: {path} has no heading with the anchor #{anchor}"
    assert relative


def test_license_file_is_the_apache_license() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_pytest_still_works_where_the_testing_extra_is_missing(tmp_path: Path) -> None:
    """The pytest11 entry point loads in every pytest run of a user who installed the provider."""
    (tmp_path / "test_user.py").write_text("def test_mine():\n    assert 1 + 1 == 2\n", encoding="utf-8")
    runner = textwrap.dedent(
        """
        import sys
        sys.modules["python_multipart"] = None  # as if the [testing] extra were not installed
        import pytest
        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", sys.argv[1]]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", runner, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_provider_info_lists_every_public_module_of_each_component_kind() -> None:
    """`airflow providers operators` (and hooks, sensors, triggers) show what get_provider_info lists."""
    from airflow_provider_translate5 import get_provider_info

    info = get_provider_info()
    for kind in ("hooks", "operators", "sensors", "triggers"):
        listed = {module for entry in info[kind] for module in entry["python-modules"]}
        public = {
            f"airflow_provider_translate5.{kind}.{path.stem}"
            for path in (PACKAGE / kind).glob("*.py")
            if not path.name.startswith("_") and path.stem not in ("poller",) and _defines_a_class(path)
        }
        assert public == listed, f"{kind}: listed {sorted(listed)}, modules {sorted(public)}"


def _defines_a_class(path: Path) -> bool:
    """A module kept only for an old import path re-exports classes defined elsewhere, listed once."""
    return any(isinstance(node, ast.ClassDef) for node in ast.parse(path.read_text(encoding="utf-8")).body)
