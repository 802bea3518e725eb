"""The vector tables' read caches stay bounded while the embedding pool writes.

The pool adds one batch of vectors at a time and searches read in between; Lance
caches what it reads of each table version and evicts only past gigabytes, so every
batch left entries behind for versions compaction retired. Like the chunk store
(`test_chunk_cache.py`), the vector store reads on with a new cache after compacting.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kenning.storage.vectors import VectorStore

MODEL = "test-model"
DIM = 8


def batch(store: VectorStore, start: int, count: int) -> None:
    """`count` single-vector batches, each followed by the reads a search makes."""
    rng = np.random.default_rng(start)
    for i in range(start, start + count):
        store.add(MODEL, [f"h{i}"], rng.random((1, DIM), dtype=np.float32))
        assert store.existing(MODEL, [f"h{i}"]) == {f"h{i}"}
        assert store.search(MODEL, rng.random(DIM, dtype=np.float32), 3)


def test_compaction_leaves_a_cache_that_does_not_grow_with_the_batches(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "chunks")
    batch(store, 0, 4)
    after: list[int] = []
    for count in (2, 6, 12):
        before = store.cache.approx_num_items
        batch(store, 1000 * count, count)
        assert store.cache.approx_num_items > before, "nothing cached: the test measures nothing"
        store.optimize(MODEL)
        assert store.search(MODEL, np.ones(DIM, dtype=np.float32), 3), "search after compaction"
        after.append(store.cache.approx_num_items)
    # Rounds of 2, 6 and 12 batches: a cache that kept every version would hold several
    # times more after the last round than after the first.
    assert after[-1] <= after[0] + 5, after
    assert store.count(MODEL) == 4 + 2 + 6 + 12
