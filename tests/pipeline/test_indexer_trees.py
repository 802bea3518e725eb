"""An open buffer reparsed incrementally from its editor tree indexes like a fresh parse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tree_sitter import Parser

from helpers import edges, indexed_twice, stored
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
    with indexed_twice(tmp_path, FILES, ("with_trees", "without")) as pair:
        yield pair


def test_open_buffers_reparsed_from_their_trees_index_like_a_fresh_parse(
    engines: tuple[Engine, Engine],
) -> None:
    with_trees, without = engines
    document = OpenDocument("pkg/a.py", FILES["pkg/a.py"], 1)
    trees = with_trees.indexer.trees
    previous = None
    for version, changes in enumerate([RENAME, ADD], start=2):
        document.apply(changes, version)
        source, _ = document.snapshot()
        report = with_trees.apply_changes([(document.path, source)], open_paths={document.path})
        assert report.changed == ["pkg/a.py"]
        # The writer kept the new tree, and it is what a fresh parse gives.
        assert document.path in trees
        kept = trees.start(document.path, source)
        assert kept is not None and kept is not previous
        assert str(kept.root_node) == str(Parser(PYTHON.grammar).parse(source).root_node)
        trees.keep(document.path, source, kept)
        previous = kept
        without.apply_changes([(document.path, source)])
        assert stored(with_trees) == stored(without)

    calls = edges(with_trees)
    assert calls[("pkg/a.py#more", "baz")] == ("pkg/a.py#baz", "same-file")
    assert calls[("pkg/b.py#use", "foo")][1] == "unresolved"
    # Closed (the file on disk indexed again): its tree goes with that batch.
    with_trees.apply_changes([(document.path, None)])
    assert document.path not in trees
