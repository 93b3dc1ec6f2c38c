"""Code in the docs comes from example DAGs that tests run: a block after a ``snippet`` comment must equal
the marked section of its file, the way Airflow's provider docs include examples (``exampleinclude``).

In README.md or docs/*.md::

    <!-- snippet: example_dags/translate5_building_blocks.py#readme_dag -->
    ```python
    ...the lines between "# [START readme_dag]" and "# [END readme_dag]" in that file...
    ```

The docs stay plain Markdown (GitHub and the package index show the README as it is), and cannot drift.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNIPPET = re.compile(
    r"<!-- snippet: (?P<path>[\w./-]+)#(?P<name>\w+)[^>]*-->\n```python\n(?P<code>.*?)```", re.S
)
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def marked_section(path: Path, name: str) -> str:
    """The lines between ``# [START name]`` and ``# [END name]``."""
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^# \[START {name}\]\n(.*?)^# \[END {name}\]$", text, re.S | re.M)
    assert match, f"{path.relative_to(REPO)} has no section {name!r} (# [START {name}] ... # [END {name}])"
    return match.group(1)


SNIPPETS = [(page, match) for page in PAGES for match in SNIPPET.finditer(page.read_text(encoding="utf-8"))]


def test_the_readme_shows_a_dag_from_an_example() -> None:
    assert [m["name"] for page, m in SNIPPETS if page.name == "README.md"] == ["readme_dag"]


@pytest.mark.parametrize(
    ("page", "match"), SNIPPETS, ids=[f"{page.name}:{m['name']}" for page, m in SNIPPETS]
)
def test_each_snippet_equals_its_marked_section(page: Path, match: re.Match[str]) -> None:
    expected = marked_section(REPO / match["path"], match["name"])
    assert match["code"] == expected, (
        f"{page.name}: the block after '<!-- snippet: {match['path']}#{match['name']} -->' differs from that "
        f"section; copy it from the example (the example is what the tests run):\n{expected}"
    )
