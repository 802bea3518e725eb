"""Java resolution, as annotated fixture files (in the manner of stack-graphs' tests).

Each fixture under `fixtures/` is a small multi-package Java project. Under a call or
a supertype, a comment line carries what it must resolve to, with `^` under the
name it is about:

    order.add(line);
//        ^ calls: com.acme.model.Order.add (typed)

The test indexes the project with the real engine and checks every annotation
against the CALLS and INHERITS edges that start at that line and column. Overloads
share a qualified name, so the n-th declaration of a name is written `NAME@n` (the
first plain `NAME`); a site with several edges (`candidate`) has one line for each.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from helpers import Workspace, stored_edges

FIXTURES = Path(__file__).parent / "fixtures"
ANNOTATION = re.compile(
    r"^\s*//(?P<pad>\s*)\^ (?P<table>calls|inherits): (?P<target>\S+) \((?P<how>[\w-]+)\)"
)
TABLES = {"calls": "CALLS", "inherits": "INHERITS"}
# The id suffix of a name's second, third, ... declaration in one scope.
OVERLOAD = re.compile(r"@\d+$")


def expectations(root: Path) -> list[tuple[str, int, int, str, str, str]]:
    """(path, line, column, table, target qualname, resolution) for every `^` line."""
    found = []
    for file in sorted(root.rglob("*.java")):
        path = file.relative_to(root).as_posix()
        lines = file.read_text(encoding="utf-8").splitlines()
        code_line = -1
        for number, line in enumerate(lines):
            match = ANNOTATION.match(line)
            if match is None:
                code_line = number
                continue
            column = line.index("^")
            table = TABLES[match["table"]]
            found.append((path, code_line, column, table, match["target"], match["how"]))
    return found


def edges_at(engine, table: str) -> dict[tuple[str, int], list[tuple[int, int, str, str]]]:
    """(path, line) -> [(start column, end column, target qualname, resolution)]."""
    out: dict[tuple[str, int], list[tuple[int, int, str, str]]] = {}
    for e in stored_edges(engine, table):
        overload = OVERLOAD.search(e.dst)
        name = f"{e.qualname}{overload.group(0)}" if overload else e.qualname
        span = e.span
        out.setdefault((e.path, span.start_line), []).append(
            (span.start_col, span.end_col, name, e.resolution)
        )
    return out


@pytest.mark.parametrize("project", sorted(p.name for p in FIXTURES.iterdir()))
def test_annotated_fixture(workspace: Workspace, project: str) -> None:
    shutil.copytree(FIXTURES / project, workspace.root, dirs_exist_ok=True)
    engine = workspace.indexed()
    expected: dict[tuple[str, int, int, str], list[tuple[str, str]]] = {}
    for path, line, column, table, target, how in expectations(workspace.root):
        expected.setdefault((path, line, column, table), []).append((target, how))
    assert expected, "a fixture without annotations checks nothing"
    by_table = {table: edges_at(engine, table) for table in TABLES.values()}
    problems = []
    for (path, line, column, table), wanted in expected.items():
        here = [
            (qualname, resolution)
            for col, end_col, qualname, resolution in by_table[table].get((path, line), [])
            if col <= column < end_col
        ]
        if sorted(here) != sorted(wanted):
            problems.append(f"{path}:{line + 1}:{column + 1} {table} want {wanted}, got {here}")
    assert not problems, "\n".join(problems)
