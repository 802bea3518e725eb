"""The chunk store's read caches stay bounded under a stream of per-file writes.

Lance caches what it reads of each table version (manifests, file metadata, index
pages) and evicts only past gigabytes, so every write left entries behind for
versions compaction had retired: a daemon's memory grew with each batch of edits
(`bench/soak.py`). Compaction now starts a new cache; what the cache holds after a
compaction does not grow with the number of writes before it.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from kenning.core.facts import Chunk, text_hash
from kenning.storage.chunks import ChunkStore, chunk_table

FILES = 20


def rows(path: str, edit: int) -> pa.Table:
    code = f"def handler_{edit}(request):\n    return parse_body(request, {edit})\n"
    chunk = Chunk(id=f"{path}#0", path=path, symbol_id=f"{path}#handler_{edit}",
                  kind="function", language="python", start_line=0, end_line=1,
                  code=code, text=code, text_hash=text_hash(code))  # fmt: skip
    return chunk_table([(chunk, f"m.handler_{edit}")])


def edit_and_search(store: ChunkStore, writes: int, start: int) -> None:
    """`writes` single-file writes, each followed by the searches an editor makes."""
    for edit in range(start, start + writes):
        path = f"pkg/m{edit % FILES}.py"
        store.replace_files([path], rows(path, edit))
        assert store.search_text("parse body request", 5)
        assert store.by_symbols([f"{path}#handler_{edit}"])


def test_compaction_leaves_a_cache_that_does_not_grow_with_the_writes(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "chunks")
    store.replace_all(pa.concat_tables([rows(f"pkg/m{i}.py", i) for i in range(FILES)]))
    after: list[int] = []
    for writes in (2, 6, 12):
        before = store.cache.approx_num_items
        edit_and_search(store, writes, start=1000 * writes)
        grown = store.cache.approx_num_items
        assert grown > before, "the writes were not cached: the test measures nothing"
        store.optimize()
        assert store.search_text("parse body request", 5), "search after compaction"
        after.append(store.cache.approx_num_items)
    # Three rounds of 2, 6 and 12 writes: a cache that kept every version would hold
    # several times more after the last round than after the first.
    assert after[-1] <= after[0] + 5, after
