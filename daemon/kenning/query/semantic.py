"""The vector ranker: a query's embedding against the stored vectors of one model.

The query model is loaded once, on the first search that needs it, and pinned to one
ONNX Runtime thread so that a search never waits behind a batch of the embedding pool.
Query embeddings are cached (a user repeats and refines searches; an editor re-asks
the same query as the user types), so a repeated query costs only the vector scan.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from kenning.storage.vectors import VectorStore

QUERY_CACHE_SIZE = 256


class QueryModel(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class SemanticIndex:
    """Nearest texts to a query under one model."""

    def __init__(
        self,
        vectors: VectorStore,
        model_id: str,
        load_model: Callable[[], QueryModel],
        coverage: float,
    ) -> None:
        self.vectors = vectors
        self.model_id = model_id
        # The share of texts with a vector when this index was opened.
        self.coverage = coverage
        self._load_model = load_model
        self._model: QueryModel | None = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed_query(self, query: str) -> np.ndarray:
        vector = self._cache.get(query)
        if vector is not None:
            self._cache.move_to_end(query)
            return vector
        if self._model is None:
            self._model = self._load_model()
            if self._model.model_id != self.model_id:
                raise RuntimeError(
                    f"the query model is {self._model.model_id} but the vectors were made "
                    f"with {self.model_id}"
                )
        vector = self._model.embed([query])[0]
        self._cache[query] = vector
        if len(self._cache) > QUERY_CACHE_SIZE:
            self._cache.popitem(last=False)
        return vector

    def similarities(self, query: str, hashes: Sequence[str]) -> dict[str, float]:
        """The cosine similarity of the query to each of these texts that has a vector."""
        if not query.strip() or not hashes:
            return {}
        vector = np.asarray(self.embed_query(query), dtype=np.float32)
        norm = float(np.linalg.norm(vector))
        unit = vector / norm if norm > 0 else vector
        stored = self.vectors.vectors_of(self.model_id, hashes)
        return {h: float(v @ unit) for h, v in stored.items()}

    def nearest(self, query: str, limit: int) -> list[tuple[str, float]]:
        """(text hash, cosine distance), nearest first."""
        if not query.strip():
            return []
        vector = self.embed_query(query)
        # Every text embedded: no batch of the pool is about to change the table.
        return self.vectors.search(self.model_id, vector, limit, settled=self.coverage >= 1.0)
