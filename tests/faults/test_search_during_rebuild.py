"""A full-text search while a rebuild has written the new chunk rows but not yet their
full-text index is answered from the last version that had one, never with LanceDB's
"Cannot perform full text search unless an INVERTED index has been created"; and
queries during a rebuild read the table it replaces, not the new one while it fills
(`bench/http_load.py --during-reindex` is the same with 20 clients and a daemon)."""

from __future__ import annotations

import pyarrow as pa
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
    build_index = ChunkStore.build_text_indexes

    def search_first(store: ChunkStore) -> None:
        # The new version holds the rows and no full-text index yet: what a query
        # thread meets while a rebuild runs.
        during.append([row["id"] for row in store.search_text("parse header", 5)])
        during.append([row["id"] for row in store.search_text("parse", 5, field="terms")])
        # And started together, as hybrid search starts them.
        together = store.start_text_searches(
            [("parse header", 5, None, "words"), ("parse", 5, None, "terms")]
        )()
        during.extend([row["id"] for row in rows] for rows in together)
        build_index(store)

    monkeypatch.setattr(ChunkStore, "build_text_indexes", search_first)
    engine.index(rebuild=True)
    assert during[0] == before
    assert during[1]
    assert during[2:] == during[:2]
    after = [row["id"] for row in engine.chunks.search_text("parse header", 5)]
    assert after == before


def test_queries_read_the_previous_table_until_a_rebuild_is_done(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = workspace.indexed(SOURCES)
    before = [row["id"] for row in engine.chunks.search_text("parse header", 5)]
    symbol = engine.chunks.search_text("parse header", 1)[0]["symbol_id"]
    by_symbol = engine.chunks.by_symbols([symbol])
    assert before and by_symbol
    during: list[tuple[list[str], int]] = []
    append = ChunkStore.append

    def search_first(store: ChunkStore, rows: pa.Table) -> None:
        # The new table is empty (its first part not yet written): what a query thread
        # meets while a daemon rebuilds a workspace.
        hits = [row["id"] for row in store.search_text("parse header", 5)]
        during.append((hits, len(store.by_symbols([symbol]))))
        append(store, rows)

    monkeypatch.setattr(ChunkStore, "append", search_first)
    engine.index(rebuild=True)
    assert during and during[0] == (before, len(by_symbol))
    # Once the rebuild is done, queries read the new table.
    assert engine.chunks._previous is None
    assert [row["id"] for row in engine.chunks.search_text("parse header", 5)] == before
