"""Resolution checked against annotated fixture files, in the style of stack-graphs'
tests: the expectation sits under the code it is about.

`fixtures/project/` is a small TypeScript and JavaScript workspace (a tsconfig
`paths` alias, a workspace package, an `index` barrel, CommonJS, JSX). A comment line

    //     ^ calls: @lib/shapes.Circle.square (self)

says that the call whose callee covers the caret's column, on the nearest code line
above, resolves to that qualified name with that resolution kind (the outermost call
when calls nest there). `// ^ inherits: NAME` says the class defined on the line above
inherits from NAME. Every annotation must match an edge of a real index.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import Workspace, rows, stored_edges
from kenning.engine import Engine
from kenning.languages import for_path

FIXTURE = Path(__file__).parent / "fixtures" / "project"
ANNOTATION = re.compile(r"^(\s*)//(\s*)\^ (calls|inherits): (\S+)(?: \(([\w-]+)\))?\s*$")
SOURCES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")


def annotated() -> list[tuple[str, int, int, str, str, str | None]]:
    """(path, code line, caret column, relation, qualified name, resolution) of each."""
    found = []
    for file in sorted(FIXTURE.rglob("*")):
        if file.suffix not in SOURCES:
            continue
        rel = file.relative_to(FIXTURE).as_posix()
        code_line = -1
        for number, line in enumerate(file.read_text().splitlines()):
            match = ANNOTATION.match(line)
            if match is None:
                code_line = number
                continue
            column = line.index("^")
            relation, name, how = match.group(3), match.group(4), match.group(5)
            found.append((rel, code_line, column, relation, name, how))
    return found


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("ts") / "project"
    shutil.copytree(FIXTURE, root)
    (root / ".git").mkdir()
    workspace = Workspace(root)
    engine = workspace.indexed()
    yield engine
    workspace.close_all()


def test_the_fixture_has_annotations() -> None:
    assert len(annotated()) >= 30


@pytest.mark.parametrize(
    "path,line,column,relation,name,how",
    annotated(),
    ids=lambda value: str(value),
)
def test_annotation(
    indexed: Engine, path: str, line: int, column: int, relation: str, name: str, how: str | None
) -> None:
    if relation == "calls":
        calls = sorted(
            (e.span.start_col, e.span.end_col, e.call.callee, e.qualname, e.resolution)
            for e in stored_edges(indexed)
            if e.path == path and e.span.start_line == line and e.call is not None
        )
        covering = [c for c in calls if c[0] <= column <= c[1]]
        assert covering, f"no call at {path}:{line + 1}:{column + 1}; calls there: {calls}"
        # The widest call there; its site may have several edges (overrides).
        width = max(c[1] - c[0] for c in covering)
        assert (name, how) in [(c[3], c[4]) for c in covering if c[1] - c[0] == width], calls
    else:
        bases = rows(
            indexed,
            "MATCH (a:Symbol)-[e:INHERITS]->(b:Symbol) WHERE a.path = $path "
            "AND a.start_line <= $line AND a.end_line >= $line RETURN b.qualname, e.resolution",
            {"path": path, "line": line},
        )
        assert name in [b[0] for b in bases], bases


def test_no_edge_crosses_languages(indexed: Engine) -> None:
    """JavaScript and TypeScript files resolve in their own models."""
    edges = rows(
        indexed,
        "MATCH (a:Symbol)-[:CALLS|IMPORTS|INHERITS]->(b:Symbol) WHERE b.kind <> 'external' "
        "RETURN a.path, b.path",
    )
    assert edges
    crossing = [(a, b) for a, b in edges if for_path(a) is not for_path(b)]
    assert crossing == []
