"""Go resolution checked against annotated fixture projects, stack-graphs style.

Each fixture under `fixtures/` is a small Go module. A comment

    // ^ calls: example.com/shop/store.Store.Put (typed)

says that a call on the nearest code line above it resolves to the definition with
that qualified name (or the external placeholder with that name) and that the edge
was resolved that way. Every annotation must match an indexed CALLS edge on its line.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from helpers import Workspace, stored_edges

FIXTURES = Path(__file__).parent / "fixtures"
ANNOTATION = re.compile(r"^\s*// \^ calls: (\S+) \(([\w-]+)\)\s*$")


def collect_annotations(root: Path) -> list[tuple[str, int, str, str]]:
    """(path, 0-based line of the call, target qualname, resolution) of every annotation."""
    found: list[tuple[str, int, str, str]] = []
    for file in sorted(root.rglob("*.go")):
        path = file.relative_to(root).as_posix()
        code_line = -1
        for number, line in enumerate(file.read_text().splitlines()):
            match = ANNOTATION.match(line)
            if match:
                found.append((path, code_line, match.group(1), match.group(2)))
            elif line.strip() and not line.strip().startswith("//"):
                code_line = number
    return found


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_annotated_calls(workspace: Workspace, fixture: str) -> None:
    shutil.copytree(FIXTURES / fixture, workspace.root, dirs_exist_ok=True)
    engine = workspace.indexed()
    got = {(e.path, e.span.start_line, e.qualname, e.resolution) for e in stored_edges(engine)}
    expected = collect_annotations(workspace.root)
    assert expected, "a fixture without annotations checks nothing"
    missing = []
    for path, line, qualname, how in expected:
        if (path, line, qualname, how) not in got:
            on_line = sorted((q, h) for p, n, q, h in got if p == path and n == line)
            missing.append(f"{path}:{line + 1}: want {qualname} ({how}), got {on_line}")
    assert not missing, "\n".join(missing)
