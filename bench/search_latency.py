"""Hybrid search latency on an existing index, with where the time goes.

Run by hand (``python -m bench.search_latency WORKSPACE``), never by the test suite. It
opens the workspace's index read-only (index and embed it first: ``kenning index``),
takes the first sentences of docstrings found in the workspace's Python files as
queries (``evalset.collect``; every query distinct, so the query-embedding cache never
answers), and times ``Engine.search(query, limit=10, mode=...)`` in-process, query
embedding included, after a few warm-up searches (the first loads the model; their times
are printed: the first searches after a start). It prints p50/p90/p99 per mode and, for
hybrid, the median time of each stage (the two BM25
searches, the query embedding, the vector scan, the chunk lookup of the nearest texts,
the symbol spans from the graph, the coverage check) measured by wrapping those calls.
``--queries-from FOLDER`` takes the queries from one folder of the workspace (one copy
of a workspace made of several copies, whose docstrings all repeat). ``--vectors
random`` first stores a random unit vector for every text that has none (the scan costs
the same whatever the values), for an index that was not embedded.
``--compare NAME,...`` then times hybrid search under the shipped ranking and under each
named ablation of ``bench/retrieval.py`` in one process, alternating query by query (each
ranking first in turn, so none always finds the query's embedding cached): a before /
after on one index that the machine's load affects alike. ``bm25-one-by-one`` is the
shipped ranking with its two BM25 searches run one after the other before the vector
rankers, as search ran them before it started them together. An ablation that searches the
raw chunk text builds its full-text index first (so the index is opened for writing).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.evalset import collect
from bench.measure import percentile
from kenning.engine import Engine

# (owner, attribute name, stage label) of the calls timed inside a hybrid search. Search
# starts its two BM25 searches together before the vector rankers and waits for them
# after: "bm25 start" is the time to start them, "bm25 wait" what is left of them
# then (`ChunkStore.search_text`: a tree without that, searching one by one).
STAGES = (
    ("kenning.storage.chunks", "ChunkStore.search_text", "bm25 (both fields)"),
    ("kenning.storage.chunks", "ChunkStore.start_text_searches", "bm25 start"),
    ("kenning.query.semantic", "SemanticIndex.embed_query", "query embedding"),
    ("kenning.storage.vectors", "VectorStore.search", "vector scan"),
    ("kenning.storage.chunks", "ChunkStore.by_hashes", "chunks of nearest texts"),
    ("kenning.query.search", "_symbol_spans", "symbol spans (graph)"),
    ("kenning.engine.engine", "Engine.semantic", "coverage check"),
)


REST = "rest (fusion, grouping)"


def instrument(spent: dict[str, float]) -> Callable[[], None]:
    """Wrap each stage's function to add its time to `spent`; returns an undo."""
    import importlib

    undo: list[tuple[Any, str, Any]] = []
    for module_name, attr, label in STAGES:
        module = importlib.import_module(module_name)
        owner: Any = module
        name = attr
        if "." in attr:
            cls_name, name = attr.split(".")
            owner = getattr(module, cls_name)
        original = getattr(owner, name, None)
        if original is None:  # a tree from before this stage existed
            continue

        def timed(*args: Any, _original: Any = original, _label: str = label, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                result = _original(*args, **kw)
            finally:
                spent[_label] += time.perf_counter() - started
            return _waited(result) if _label == "bm25 start" else result

        def _waited(pending: Callable[[], Any]) -> Callable[[], Any]:
            def wait() -> Any:
                started = time.perf_counter()
                try:
                    return pending()
                finally:
                    spent["bm25 wait"] += time.perf_counter() - started

            return wait

        setattr(owner, name, timed)
        undo.append((owner, name, original))

    def restore() -> None:
        for owner_, name_, original_ in undo:
            setattr(owner_, name_, original_)

    return restore


def kenning_dir() -> str:
    """Where the `kenning` package searched was imported from (a before / after run puts
    another tree's `daemon/` first on PYTHONPATH)."""
    import kenning

    return str(Path(kenning.__file__).resolve().parent.parent.parent)


def seed_random_vectors(engine: Engine) -> int:
    """A random unit vector for every chunk text without one, under the active model;
    then every text's status row done and that model active, as a finished embedding
    leaves them (without which search has no vector ranker), and the vector table
    compacted."""
    import numpy as np

    from kenning.embed import resolve_model
    from kenning.pipeline.embedder import ACTIVE_MODEL

    status = engine.status_store
    model_id = status.get_meta(ACTIVE_MODEL) or resolve_model().model_id
    hashes = sorted(engine.chunks.all_hashes())
    have = engine.vectors.existing(model_id, hashes) if engine.vectors.exists(model_id) else set()
    missing = [h for h in hashes if h not in have]
    rng = np.random.default_rng(0)
    for i in range(0, len(missing), 5000):
        part = missing[i : i + 5000]
        vectors = rng.standard_normal((len(part), 384)).astype("float32")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        engine.vectors.add(model_id, part, vectors)
    status.sync(model_id, hashes)
    status.mark_done(model_id, hashes)
    status.set_meta(ACTIVE_MODEL, model_id)
    engine.vectors.optimize(model_id)
    return len(missing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--modes", default="hybrid,text")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--vectors", choices=("stored", "random"), default="stored")
    parser.add_argument("--compare", default="", help="ablations to time against the shipped")
    parser.add_argument(
        "--queries-from",
        type=Path,
        help="take the queries from this folder (inside the workspace): a workspace of "
        "several copies of one package has every docstring several times, and the query "
        "set leaves out sentences that are not unique",
    )
    args = parser.parse_args(argv)
    root = args.workspace.resolve()
    source = args.queries_from.resolve() if args.queries_from else root
    evalset = collect(source, cap=args.queries + args.warmup, seed=args.seed)
    queries = [t.query for t in evalset.targets]
    warmup, queries = queries[: args.warmup], queries[args.warmup :]
    compare = [name for name in args.compare.split(",") if name]
    writes = args.vectors == "random" or bool(compare)
    with Engine.open(root, read_only=not writes) as engine:
        started = time.perf_counter()
        engine.warm_up()
        opened = (time.perf_counter() - started) * 1000
        if args.vectors == "random":
            print(f"stored {seed_random_vectors(engine)} random vectors")
        print(
            f"{engine.chunks.count()} chunks; {len(queries)} queries; kenning from {kenning_dir()}"
        )
        # The warm-up searches are the first after the open: a daemon's warm-up thread
        # has opened the tables by then (`Engine.warm_up`), the query model and the
        # vectors in memory are loaded by the first searches that need them.
        first = []
        for query in warmup:
            started = time.perf_counter()
            engine.search(query + " warm", mode="hybrid")
            first.append(f"{(time.perf_counter() - started) * 1000:.0f}")
        print(f"tables opened in {opened:.0f} ms; first searches {', '.join(first)} ms")
        for mode in args.modes.split(","):
            spent: dict[str, float] = defaultdict(float)
            per_stage: dict[str, list[float]] = defaultdict(list)
            undo = instrument(spent) if mode == "hybrid" else None
            latencies = []
            for query in queries:
                spent.clear()
                started = time.perf_counter()
                engine.search(query, limit=10, mode=mode)
                latencies.append(time.perf_counter() - started)
                for label, seconds in spent.items():
                    per_stage[label].append(seconds)
                if spent:
                    # The stages run one after another in this thread (what runs beside
                    # it counts where it is waited for): the rest is Python's.
                    per_stage[REST].append(latencies[-1] - sum(spent.values()))
            if undo is not None:
                undo()
            ms = [s * 1000 for s in latencies]
            print(
                f"{mode:<8} p50 {statistics.median(ms):6.1f} ms  p90 {percentile(ms, 90):6.1f} ms"
                f"  p99 {percentile(ms, 99):6.1f} ms"
            )
            for label, values in per_stage.items():
                print(f"    {label:<26} p50 {statistics.median(values) * 1000:6.1f} ms")
        if compare:
            compare_rankings(engine, queries, compare)
    return 0


# Not an ablation: the shipped search with its two BM25 searches run one after the
# other before the vector rankers, as search ran them until they were started together.
ONE_BY_ONE = "bm25-one-by-one"


class _OneByOne:
    """The chunk store, its text searches run at once and one by one when started."""

    def __init__(self, chunks: Any) -> None:
        self._chunks = chunks

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chunks, name)

    def start_text_searches(self, searches: Any) -> Callable[[], Any]:
        rows = [self._chunks.search_text(*search) for search in searches]
        return lambda: rows


def compare_rankings(engine: Engine, queries: list[str], names: list[str]) -> None:
    """Hybrid p50 / p90 of the shipped ranking and of each ablation, alternating."""
    import msgspec

    from bench.retrieval import ABLATIONS
    from kenning.query.search import DEFAULT_RANKING, search
    from kenning.storage.chunks import ChunkFilter

    rankings = {"shipped": DEFAULT_RANKING}
    readers: dict[str, Any] = {}
    for name in names:
        if name == ONE_BY_ONE:
            rankings[name] = DEFAULT_RANKING
            readers[name] = _OneByOne(engine.chunks)
            continue
        rankings[name] = msgspec.structs.replace(DEFAULT_RANKING, **ABLATIONS[name])
    if any(r.text_field == "text" for r in rankings.values()):
        engine.chunks.build_text_indexes(("text",))
    times: dict[str, list[float]] = {name: [] for name in rankings}
    order = list(rankings)
    for i, query in enumerate(queries):
        turn = order[i % len(order) :] + order[: i % len(order)]
        for name in turn:
            started = time.perf_counter()
            search(
                engine.graph,
                readers.get(name, engine.chunks),
                query,
                10,
                ChunkFilter(),
                "hybrid",
                engine.semantic(),
                rankings[name],
            )
            times[name].append((time.perf_counter() - started) * 1000)
    for name, ms in times.items():
        print(
            f"hybrid, {name:<16} p50 {statistics.median(ms):6.1f} ms"
            f"  p90 {percentile(ms, 90):6.1f} ms  (alternating, query-layer search)"
        )


if __name__ == "__main__":
    sys.exit(main())
