"""An open buffer reparsed incrementally from its editor tree indexes like a fresh parse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tree_sitter import Parser, Tree

from helpers import Workspace, edges, snapshot
from kenning.core.facts import Span
from kenning.engine import Engine
from kenning.languages.python import PYTHON
from kenning.pipeline.documents import OpenDocument, TextChange

FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": "def foo():\n    return 1\n\n\ndef bar():\n    return foo()\n",
    "pkg/b.py": "from pkg.a import foo\n\n\ndef use():\n    return foo()\n",
}
# Renames foo to baz in a.py (b.py's edge must follow), then adds a caller of both.
RENAME = [TextChange("baz", Span(0, 4, 0, 7)), TextChange("baz", Span(5, 11, 5, 14))]
ADD = [TextChange("\n\ndef more():\n    return bar() + baz()\n", Span(6, 0, 6, 0))]


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    spaces = [Workspace(tmp_path / name) for name in ("with_trees", "without")]
    for space in spaces:
        space.root.mkdir()
    yield spaces[0].indexed(FILES), spaces[1].indexed(FILES)
    for space in spaces:
        space.close_all()


def stored(engine: Engine) -> dict[str, Any]:
    return {k: v for k, v in snapshot(engine).items() if k != "status"}


def test_apply_bytes_with_editor_trees_matches_a_fresh_parse(
    engines: tuple[Engine, Engine],
) -> None:
    with_trees, without = engines
    document = OpenDocument("pkg/a.py", FILES["pkg/a.py"], 1)
    trees: dict[str, Tree] = {}

    for version, changes in enumerate([RENAME, ADD], start=2):
        document.apply(changes, version)
        snap = document.snapshot()
        if snap.tree is None:
            trees.pop(document.path, None)
        else:
            trees[document.path] = snap.tree
        report = with_trees.indexer.apply_bytes([(document.path, snap.source)], trees=trees)
        assert report.changed == ["pkg/a.py"]
        # The new tree comes back, and is what a fresh parse gives.
        new_tree = trees[document.path]
        assert new_tree is not snap.tree
        assert str(new_tree.root_node) == str(Parser(PYTHON.grammar).parse(snap.source).root_node)
        document.parsed(snap, new_tree)
        without.indexer.apply_bytes([(document.path, snap.source)])
        assert stored(with_trees) == stored(without)
    # The second round started from the first round's tree: really incremental.
    assert snap.tree is not None

    calls = edges(with_trees)
    assert calls[("pkg/a.py#more", "baz")] == ("pkg/a.py#baz", "same-file")
    assert calls[("pkg/b.py#use", "foo")][1] == "unresolved"
