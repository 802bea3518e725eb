"""Exact against approximate vector search: latency by table size, and the approximate
index's recall on real vectors.

Run by hand (``python -m bench.vector_index``), never by the test suite. It answers
where `storage.vectors.ANN_THRESHOLD` should sit:

* latency: the exact scan (cosine, top 30, what hybrid search asks for) over tables of
  random unit vectors of 384 dimensions, 10k to 200k rows (a scan's cost does not
  depend on the values), median of ``--queries`` searches, against the approximate
  index (IVF_HNSW_SQ) on the same table;
* recall: recall@10 of that index against the exact scan on *real* vectors, the ones an
  embedded corpus already holds (``--index``: a workspace embedded by kenning, default
  the scikit-learn copy that ``bench.retrieval`` leaves), using stored vectors as queries.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kenning.pipeline.embedder import ACTIVE_MODEL
from kenning.storage.embed_status import EmbedStatus
from kenning.storage.vectors import VectorStore

DEFAULT_INDEX = Path(__file__).resolve().parent / ".cache/retrieval/scikit-learn-1.7.2"
SIZES = (10_000, 25_000, 50_000, 100_000, 200_000)
DIM = 384


def timed_searches(store: VectorStore, model: str, queries: np.ndarray) -> float:
    times = []
    for query in queries:
        started = time.perf_counter()
        store.search(model, query, 30)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def latency(sizes: list[int], queries: int) -> None:
    rng = np.random.default_rng(0)
    print(f"{'rows':>8}  {'exact p50':>10}  {'approx p50':>10}  {'index build':>11}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = VectorStore(Path(tmp))
            points = rng.standard_normal((size, DIM)).astype(np.float32)
            points /= np.linalg.norm(points, axis=1, keepdims=True)
            for start in range(0, size, 10_000):
                part = points[start : start + 10_000]
                store.add("m", [f"h{start + i}" for i in range(len(part))], part)
            store.optimize("m")
            sample = points[rng.integers(0, size, queries)]
            exact = timed_searches(store, "m", sample)
            started = time.perf_counter()
            store.ensure_index("m", threshold=0, min_recall=0.0)
            build = time.perf_counter() - started
            approx = timed_searches(store, "m", sample)
            print(f"{size:>8,}  {exact:>8.1f}ms  {approx:>8.1f}ms  {build:>9.1f} s", flush=True)


def recall(index: Path) -> None:
    status_path = index / ".kenning" / "embed-status.sqlite"
    if not status_path.exists():
        print(f"no embedded index at {index}; run `python -m bench.retrieval scikit-learn`")
        return
    status = EmbedStatus(status_path, read_only=True)
    model = status.get_meta(ACTIVE_MODEL)
    status.close()
    assert model is not None
    with tempfile.TemporaryDirectory() as tmp:
        source = VectorStore(index / ".kenning" / "chunks")
        table = source._table(model).to_arrow()
        copy = VectorStore(Path(tmp))
        vectors = np.stack(table.column("vector").to_numpy(zero_copy_only=False))
        copy.add("m", table.column("text_hash").to_pylist(), vectors)
        outcome = copy.ensure_index("m", threshold=0, min_recall=0.0)
        print(f"{len(vectors):,} real vectors ({model}): approximate index {outcome}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    args = parser.parse_args(argv)
    recall(args.index)
    latency([int(s) for s in args.sizes.split(",")], args.queries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
