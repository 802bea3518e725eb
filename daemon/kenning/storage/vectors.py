"""Vectors in LanceDB, one table per model, keyed by the hash of the embedded text.

A vector belongs to a text, not to a chunk: a chunk that moves to another file, a
file saved again unchanged, a branch switched back all find their vectors by hash and
need no embedding. One table per model id, because each model has its own dimension
and a model change builds the new table beside the old one, then drops the old one
whole.

Search is exact (a flat scan, cosine distance) below `ANN_THRESHOLD` rows: exact
answers, and fast enough there. Once a table has stopped changing (the same version
seen by two searches in a row) the exact scan runs over a copy of its vectors in memory
(`_Matrix`: 1.5 KB per text, 117 MB for Django's 76k texts: 42k chunk texts and 34k
definitions' descriptions), one matrix product: about 8 ms for the top 100 of 41k or of
76k rows on this 2-core machine, where LanceDB's flat scan took 29 ms for 50k rows and
51 ms for 100k (`bench/vector_index.py`); while the pool is still appending, searches
scan the table. The threshold was 50k until descriptions nearly doubled the texts of
an index; at 100k the matrix is 150 MB.
Approximate indexes can lose recall badly, so past the threshold `ensure_index` builds an
approximate index (IVF partitions, HNSW inside each, scalar-quantised) and keeps it
only if its recall@10 against the exact scan, on a sample of stored vectors used as
queries, is at least `MIN_RECALL`; otherwise search stays exact and says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from kenning.storage import native_memory
from kenning.storage.batches import batched
from kenning.storage.chunks import IN_BATCH, connect

TABLE_PREFIX = "vectors_"
# Below this many rows search scans every vector; see the module docstring.
ANN_THRESHOLD = 100_000
MIN_RECALL = 0.95
RECALL_SAMPLE = 50
ANN_INDEX = "vector_idx"


def table_name(model_id: str) -> str:
    return TABLE_PREFIX + hashlib.blake2b(model_id.encode(), digest_size=8).hexdigest()


class _Matrix:
    """One model's vectors in memory, as of one table version: unit rows, for an exact
    cosine scan with one matrix product."""

    def __init__(self, version: int, rows: pa.Table) -> None:
        self.version = version
        self.hashes: list[str] = rows.column("text_hash").to_pylist()
        column = rows.column("vector")
        dim = column.type.list_size
        # Filled part by part and normalised in place: one copy of the vectors beside
        # Arrow's, where joining the parts, converting and dividing made three (Django:
        # 117 MB of vectors, 465 MB more at the peak, 285-311 MB of it kept resident).
        vectors = np.empty((len(self.hashes), dim), dtype=np.float32)
        start = 0
        for part in column.chunks:
            values = part.flatten().to_numpy(zero_copy_only=False).reshape(-1, dim)
            vectors[start : start + len(values)] = values
            start += len(values)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        np.divide(vectors, np.where(norms > 0, norms, 1.0), out=vectors)
        self.vectors = vectors
        self._rows: dict[str, int] | None = None

    def rows_of(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The unit vector of each of `hashes` held here."""
        if self._rows is None:  # built on first use: most searches never ask
            self._rows = {h: i for i, h in enumerate(self.hashes)}
        found = {h: self._rows[h] for h in hashes if h in self._rows}
        return {h: self.vectors[i] for h, i in found.items()}

    def nearest(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        query = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(query))
        similarity = self.vectors @ (query / norm if norm > 0 else query)
        k = min(limit, len(self.hashes))
        if k <= 0:
            return []
        top = np.argpartition(-similarity, k - 1)[:k]
        top = top[np.argsort(-similarity[top], kind="stable")]
        return [(self.hashes[i], float(1.0 - similarity[i])) for i in top]


class VectorStore:
    """The vector tables of one index (they live in the chunk database's folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Other threads and processes write these tables: `connect` checks for a newer
        # version on every read rather than serving a stale one.
        self._db, self.cache = connect(path)
        self._tables: dict[str, Any] = {}
        # Per model: the vectors in memory, and the table version the last search saw.
        self._matrices: dict[str, _Matrix] = {}
        self._seen: dict[str, int] = {}

    def _table(self, model_id: str) -> Any:
        name = table_name(model_id)
        table = self._tables.get(name)
        if table is None and name in self._db.list_tables().tables:
            table = self._tables[name] = self._db.open_table(name)
        return table

    def exists(self, model_id: str) -> bool:
        return self._table(model_id) is not None

    def add(self, model_id: str, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Store one batch's vectors (rows in the order of `hashes`)."""
        if not hashes:
            return
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = int(matrix.shape[1])
        column = pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), dim)
        rows = pa.table({"text_hash": pa.array(list(hashes), pa.string()), "vector": column})
        table = self._table(model_id)
        if table is None:
            name = table_name(model_id)
            self._tables[name] = self._db.create_table(name, rows)
        else:
            table.add(rows)

    def existing(self, model_id: str, hashes: Sequence[str]) -> set[str]:
        """Which of these texts already have a vector."""
        table = self._table(model_id)
        if table is None or not hashes:
            return set()
        found: set[str] = set()
        for part in batched(hashes, IN_BATCH):
            rows = table.search().where(_in(part)).select(["text_hash"]).limit(len(part))
            found.update(rows.to_arrow().column("text_hash").to_pylist())
        return found

    def search(
        self, model_id: str, vector: np.ndarray, limit: int, settled: bool = False
    ) -> list[tuple[str, float]]:
        """The `limit` nearest texts: (hash, cosine distance), nearest first. `settled`:
        nothing is waiting to be embedded, so the table is not about to change."""
        table = self._table(model_id)
        if table is None:
            return []
        matrix = self._matrix(model_id, table, settled)
        if matrix is not None:
            return matrix.nearest(vector, limit)
        rows = (
            table.search(np.asarray(vector, dtype=np.float32), vector_column_name="vector")
            .distance_type("cosine")
            .select(["text_hash"])
            .limit(limit)
            .to_arrow()
        )
        return list(
            zip(
                rows.column("text_hash").to_pylist(),
                rows.column("_distance").to_pylist(),
                strict=True,
            )
        )

    def vectors_of(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored unit vectors of these texts (those that have one), for scoring a
        few known candidates against a query rather than searching all of them."""
        table = self._table(model_id)
        if table is None or not hashes:
            return {}
        held = self._matrices.get(model_id)
        if held is not None and held.version == int(table.version):
            return held.rows_of(hashes)
        out: dict[str, np.ndarray] = {}
        for part in batched(list(dict.fromkeys(hashes)), IN_BATCH):
            rows = table.search().where(_in(part)).select(["text_hash", "vector"])
            found = rows.limit(len(part) * 2).to_arrow()
            for text_hash, vector in zip(
                found.column("text_hash").to_pylist(),
                found.column("vector").to_numpy(zero_copy_only=False),
                strict=True,
            ):
                array = np.asarray(vector, dtype=np.float32)
                norm = float(np.linalg.norm(array))
                out[text_hash] = array / norm if norm > 0 else array
        return out

    def _matrix(self, model_id: str, table: Any, settled: bool = False) -> _Matrix | None:
        """The model's vectors in memory when they are current, loading them once the
        table has stopped changing (or is `settled`); None: scan the table."""
        version = int(table.version)
        held = self._matrices.get(model_id)
        if held is not None and held.version == version:
            return held
        self._matrices.pop(model_id, None)
        # While the pool appends a batch every second or so, reloading on each search
        # would cost more than the scans it saves: wait for a version two searches see.
        # With nothing left to embed no batch is coming: load now, rather than scan the
        # table first (a daemon's first search on Django: 0.16-0.37 s of LanceDB's scan
        # of a cold table, then the load at the second search anyway).
        seen_before = self._seen.get(model_id) == version
        self._seen[model_id] = version
        if not (seen_before or settled):
            return None
        if table.count_rows() >= ANN_THRESHOLD:
            return None  # the approximate index (or an exact scan) serves this size
        rows = table.search().select(["text_hash", "vector"]).limit(None).to_arrow()
        matrix = self._matrices[model_id] = _Matrix(version, rows)
        # The read's buffers (as large as the matrix) are freed now; glibc would keep
        # their pages (Django: 230-300 MB resident for a 117 MB matrix).
        del rows
        native_memory.release()
        return matrix

    def delete(self, model_id: str, hashes: Sequence[str]) -> None:
        table = self._table(model_id)
        if table is None:
            return
        for part in batched(hashes, IN_BATCH):
            table.delete(_in(part))

    def count(self, model_id: str) -> int:
        table = self._table(model_id)
        return 0 if table is None else int(table.count_rows())

    def drop(self, model_id: str) -> None:
        name = table_name(model_id)
        self._tables.pop(name, None)
        self._matrices.pop(model_id, None)
        if name in self._db.list_tables().tables:
            self._db.drop_table(name)

    def ensure_index(
        self, model_id: str, threshold: int = ANN_THRESHOLD, min_recall: float = MIN_RECALL
    ) -> str:
        """Build or drop the approximate index as the table's size calls for; returns
        how search runs: "exact", "approximate (recall 0.97)" or why it stays exact."""
        table = self._table(model_id)
        if table is None:
            return "exact"
        rows = int(table.count_rows())
        indexed = any(ix.name == ANN_INDEX for ix in table.list_indices())
        if rows < threshold:
            if indexed:
                table.drop_index(ANN_INDEX)
            return "exact"
        if indexed:  # checked when it was built; `optimize()` keeps it up to date
            return "approximate"
        from lancedb.index import IvfHnswSq

        # LanceDB's unified form: the column first, the index type as a config.
        table.create_index("vector", config=IvfHnswSq(distance_type="cosine"), name=ANN_INDEX)
        recall = self.index_recall(model_id)
        if recall < min_recall:
            table.drop_index(ANN_INDEX)
            return f"exact (an approximate index reached recall {recall:.2f} < {min_recall})"
        return f"approximate (recall {recall:.2f})"

    def index_recall(self, model_id: str, k: int = 10) -> float:
        """Recall@k of the approximate index against the exact scan, with a fixed
        sample of stored vectors as queries."""
        table = self._table(model_id)
        sample = table.search().select(["vector"]).limit(RECALL_SAMPLE).to_arrow()
        queries = sample.column("vector").to_numpy(zero_copy_only=False)
        found = total = 0
        for query in queries:
            vector = np.asarray(query, dtype=np.float32)
            exact = self._nearest(table, vector, k, exact=True)
            approx = self._nearest(table, vector, k, exact=False)
            found += len(set(exact) & set(approx))
            total += len(exact)
        return found / total if total else 1.0

    @staticmethod
    def _nearest(table: Any, vector: np.ndarray, k: int, exact: bool) -> list[str]:
        query = table.search(vector, vector_column_name="vector").distance_type("cosine")
        if exact:
            query = query.bypass_vector_index()
        rows = query.select(["text_hash"]).limit(k).to_arrow()
        return list(rows.column("text_hash").to_pylist())

    def optimize(self, model_id: str) -> None:
        """Fold the many small batch writes into few files and drop old versions."""
        table = self._table(model_id)
        if table is not None:
            table.optimize(cleanup_older_than=timedelta(minutes=1))
            # Every batch the pool wrote left cache entries for a version this retired:
            # read on with an empty cache (`connect`), or a daemon's memory grows with
            # each batch embedded. Searches in flight keep the handles they hold.
            self._db, self.cache = connect(self.path)
            self._tables = {}


def _in(hashes: Sequence[str]) -> str:
    from lancedb.expr import col, lit

    return str(col("text_hash").isin([lit(h) for h in hashes]).to_sql())
