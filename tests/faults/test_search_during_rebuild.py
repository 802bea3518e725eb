"""A full-text search while a rebuild has written the new chunk rows but not yet their
full-text index is answered from the last version that had one, never with LanceDB's
"Cannot perform full text search unless an INVERTED index has been created"."""

from __future__ import annotations

import pytest

from helpers import Workspace
from kenning.storage.chunks import ChunkStore

SOURCES = {
    "a.py": 'def parse_header(x):\n    """Parse the header."""\n    return x\n',
    "b.py": "def render_page(y):\n    return y\n",
}


def test_text_search_in_the_middle_of_a_rebuild(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = workspace.indexed(SOURCES)
    before = [row["id"] for row in engine.chunks.search_text("parse header", 5)]
    assert before
    during: list[list[str]] = []
    build_index = ChunkStore._build_text_index

    def search_first(store: ChunkStore) -> None:
        # The new version holds the rows and no full-text index yet: what a query
        # thread meets while a rebuild runs.
        during.append([row["id"] for row in store.search_text("parse header", 5)])
        during.append([row["id"] for row in store.search_text("parse", 5, field="terms")])
        build_index(store)

    monkeypatch.setattr(ChunkStore, "_build_text_index", search_first)
    engine.index(rebuild=True)
    assert during[0] == before
    assert during[1]
    after = [row["id"] for row in engine.chunks.search_text("parse header", 5)]
    assert after == before
