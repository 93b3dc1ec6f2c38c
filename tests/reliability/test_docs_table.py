"""docs/reliability.md names exactly the tests in this folder, so the table and the suite cannot drift."""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DOC = REPO / "docs" / "reliability.md"
NODE = re.compile(r"`(tests/reliability/(test_\w+\.py)::(test_\w+))`")


def table_tests() -> list[tuple[str, str]]:
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    named = []
    for row in rows[1:]:  # skip the header row
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 3, f"a table row needs fault | behaviour | test: {row}"
        match = NODE.fullmatch(cells[2])
        assert match, f"the test cell must be one `tests/reliability/<module>.py::<test>`: {cells[2]}"
        named.append((match.group(2), match.group(3)))
    return named


def suite_tests() -> set[tuple[str, str]]:
    found = set()
    for module in HERE.glob("test_*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"):
                found.add((module.name, node.name))
    return found


def test_the_reliability_table_matches_the_tests() -> None:
    named = table_tests()
    assert len(named) == len(set(named)), "a test is named twice in docs/reliability.md"
    suite = suite_tests() - {(Path(__file__).name, "test_the_reliability_table_matches_the_tests")}
    assert sorted(set(named) - suite) == [], "named in docs/reliability.md but not a test"
    assert sorted(suite - set(named)) == [], "tests missing from the table in docs/reliability.md"
