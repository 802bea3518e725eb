"""Retrieval-quality benchmark: find a function from the first sentence of its docstring.

Run by hand (``python -m bench.retrieval``), never by the test suite. For each pinned
corpus (requests, Flask and scikit-learn by default; see ``corpora.txt``) it

1. builds the evaluation set (``evalset.collect``): functions and methods with a
   docstring, the first sentence of which is the query; ambiguous and trivial ones are
   left out, and at most ``--max-queries`` are sampled with ``--seed``;
2. copies the corpus to ``bench/.cache/retrieval/<corpus>-<version>/`` and blanks the
   sampled functions' docstrings there, keeping every line number (checked with
   ``ast``), so the answer's own words are not in the index;
3. indexes the copy through ``kenning.engine.Engine`` (and embeds it when a vector mode
   is asked for), then runs every query with ``engine.search(query, limit=10, mode=m)``
   for each mode;
4. scores each mode: Recall@1/5/10 and MRR@10 (a hit is the target when it is one of
   the target symbol's chunks; the first such hit counts), per corpus and over all
   queries pooled, plus the median search latency; and sorts every miss (target not in
   the top 10) into the first category of ``MISS_CATEGORIES`` that fits.

It prints the tables and the miss breakdown with a few examples, and writes everything,
per-query ranks included, to ``bench/results/retrieval-<UTC timestamp>.json``. Exit
status: 0 when every corpus ran, 1 when one failed, 2 on a setup problem.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Run as a script (``python bench/retrieval.py``) the bench package is not importable
# until the repository root is on the path; ``python -m bench.retrieval`` works either way.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
import numpy as np

from bench import corpora as corpora_mod
from bench import languages as languages_mod
from bench.evalset import (
    EvalSet,
    Target,
    collect,
    collect_doc_comments,
    is_test_or_doc,
    make_blanked_copy,
)
from bench.measure import median, percentile
from bench.phase1 import environment, json_safe
from kenning.core.results import SearchHit, SearchResult
from kenning.core.settings import Settings
from kenning.engine import Engine
from kenning.query.search import DEFAULT_RANKING, Ranking, search
from kenning.storage.chunks import ChunkFilter

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WORK_DIR = corpora_mod.CACHE_DIR / "retrieval"
# Ranking constants are tuned on the first set only; the second is what the figures
# are judged by (see the README's retrieval section).
TUNING_CORPORA = ("requests", "flask", "click")
HELD_OUT_CORPORA = ("jinja2", "httpx", "more-itertools", "attrs")
DEFAULT_CORPORA = TUNING_CORPORA + HELD_OUT_CORPORA
# Corpora in other languages (``languages.txt``), queried by their doc comments: name ->
# the folder inside the package that is indexed (rxjs's `src`, not its built copies).
# Never tuned on; run when named (``python -m bench.retrieval rxjs``).
LANGUAGE_CORPORA = {"rxjs": "src", "go-prometheus-client": ""}
# Query sets per corpus: docstring -> function (or method), docstring -> class.
QUERY_SETS = ("functions", "classes")
SCORINGS = ("lenient", "strict")
VECTOR_CACHE_DIR = corpora_mod.CACHE_DIR / "vectors"
# Ranking features the bench can turn off (``--ablate``): name -> `Ranking` fields.
# The second round of issue 16 (the description ranker, name matches, one hit per name).
ISSUE16B_OFF: dict[str, Any] = {
    "describe_weight": 0.0,
    "name_match_weight": 0.0,
    "group_names": False,
}
# Ablations that search the raw chunk text build its full-text index first.
RAW_TEXT = {"text_field": "text"}
# Search's constants as the sixth round of issue 16 left them, before the seventh fitted
# them (`bench.fusion_fit`): every earlier round's ablation holds them too.
ROUND_6: dict[str, Any] = {
    "text_weight": 1.0,
    "vector_weight": 1.0,
    "test_factor": 0.5,
    "thing_outline_factor": 1.25,
}
ABLATIONS: dict[str, dict[str, Any]] = {
    # Search as the fourth round of issue 16 left it: BM25 over the chunk text as
    # embedded, its camelCase identifiers one token each.
    "round-4": {**ROUND_6, **RAW_TEXT},
    # Search as the third round of issue 16 left it (outlines not lifted for a query
    # that names a thing).
    "round-3": {**ROUND_6, **RAW_TEXT, "query_form": False},
    # Search as the first round of issue 16 left it.
    "round-1": {**ROUND_6, **RAW_TEXT, **ISSUE16B_OFF, "query_form": False},
    # Search as it was before issue 16: plain RRF of BM25 over the chunk text, substring
    # matches on symbol names and vectors, 30 candidates each, a hit per chunk.
    "before": {
        **ROUND_6,
        **RAW_TEXT,
        **ISSUE16B_OFF,
        "query_form": False,
        "fusion": "rrf",
        "name_field": False,
        "split_identifiers": False,
        "group_symbols": False,
        "test_factor": 1.0,
        "candidates": 30,
    },
    "-score-fusion": {"fusion": "rrf"},
    "-name-field": {"name_field": False, "split_identifiers": False},
    "-split-identifiers": {"split_identifiers": False},
    "-group-symbols": {"group_symbols": False},
    "-test-demotion": {"test_factor": 1.0},
    "+outline-demotion": {"outline_factor": 0.5},
    "+callers-0.2": {"caller_weight": 0.2},
    "+callers-0.5": {"caller_weight": 0.5},
    "-describe": {"describe_weight": 0.0},
    "-name-match": {"name_match_weight": 0.0},
    "-group-names": {"group_names": False},
    "+vector-fill": {"vector_fill": True},
    # Fourth round: each tried from the shipped defaults.
    "+spread-fusion": {"fusion": "spread"},
    "+rrf-20": {"fusion": "rrf", "rrf_k": 20},
    "+query-stop-words": {"query_stop_words": True},
    "+joined-words": {"joined_words": True},
    "+action-outline-0.8": {"outline_factor": 0.8},
    "+embed-stop-words": {"embed_stop_words": True},
    "+candidates-100": {"candidates": 100},
    # Fifth round, once BM25 searched the split words: its weight, and whether class
    # outlines still need lifting for a query that names a thing.
    "+text-weight-1.5": {"text_weight": 1.5},
    "+text-weight-0.7": {"text_weight": 0.7},
    "+thing-outline-1.0": {"thing_outline_factor": 1.0},
    "+thing-outline-1.5": {"thing_outline_factor": 1.5},
    # Search as the sixth round left it.
    "round-6": ROUND_6,
    # Eighth round: no name's first word matched by the query's leading verb (search
    # as the seventh round left it).
    "-verb-match": {"verb_match": False},
}
# (query, limit, mode) -> result: how an ablation searches the engine.
SearchFn = Callable[[str, int, str], SearchResult]
MODES = ("text", "vector", "hybrid")
VECTOR_MODES = frozenset({"vector", "hybrid"})
KS = (1, 5, 10)
NAN = math.nan
LIMIT = 10
# How deep a miss is looked for, to tell a near miss from a target that is nowhere.
DEEP_LIMIT = 100
# Characters that would make a path a pattern rather than itself in `path_globs`.
_GLOB_CHARS = frozenset("*?[]!\\")

# Every miss gets the first category that fits, in this order.
MISS_CATEGORIES = {
    "search error": "engine.search raised",
    "no shared terms": "no query word reaches the target at all: searching the target's "
    "own file in text mode does not return it (BM25 after stemming and stop words, and "
    "symbol names, share nothing with the query)",
    "class outline instead": "the outline chunk of the target's class is in the top 10, "
    "the method itself is not",
    "same file, other code": "another chunk of the target's file is in the top 10",
    "same name elsewhere": "a function of the same name in another class or file is in the top 10",
    "tests or examples instead": "every top-10 hit is in another file, none shares the "
    "name, and the first is test, documentation or example code",
    "other library code instead": "every top-10 hit is in another file, none shares the "
    "name, and the first is library code",
}


# Symbol kinds a target can be (functions, methods and types in every language).
TARGET_KINDS = frozenset({"function", "method", "class", "interface", "struct", "enum", "trait"})


class BenchError(RuntimeError):
    """The benchmark cannot run as asked; the message says what to do."""


# ------------------------------------------------------------------------------- metrics


def rank_of(hits: Sequence[SearchHit], symbol_id: str) -> int | None:
    """1-based rank of the first hit that is one of `symbol_id`'s chunks, else None."""
    for rank, hit in enumerate(hits, start=1):
        if hit.symbol_id == symbol_id:
            return rank
    return None


def range_rank(hits: Sequence[SearchHit], target: Target, strict: bool) -> int | None:
    """1-based rank of the first hit whose line range contains the target's `def` (or
    `class`) line; `strict` also asks that the hit end inside the definition, so a
    class outline does not count for one of its methods."""
    line, end = target.line - 1, target.end_line - 1  # hits are 0-based
    for rank, hit in enumerate(hits, start=1):
        inside = hit.path == target.path and hit.start_line <= line <= hit.end_line
        if inside and (not strict or hit.end_line <= end):
            return rank
    return None


def metrics(ranks: Sequence[int | None], ks: Sequence[int] = KS, cutoff: int = LIMIT) -> dict:
    """Recall@k for each k and MRR@cutoff over one rank per query (None: not found).

    An empty list gives NaN figures rather than zeros: no queries is not a bad score.
    """
    n = len(ranks)
    out: dict[str, float | int] = {"queries": n}
    for k in ks:
        out[f"recall@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n if n else NAN
    rr = [1.0 / r if r is not None and r <= cutoff else 0.0 for r in ranks]
    out[f"mrr@{cutoff}"] = sum(rr) / n if n else NAN
    return out


# -------------------------------------------------------------------------- the queries


@dataclass
class Query:
    """A target as the index knows it: the symbol id its chunks carry, and its parent's."""

    target: Target
    symbol_id: str
    parent_id: str
    ranks: dict[str, int | None] = field(default_factory=dict)
    # Per mode, the rank under each scoring of ``SCORINGS`` (by line range).
    scored: dict[str, dict[str, int | None]] = field(default_factory=dict)
    latency_s: dict[str, float] = field(default_factory=dict)
    misses: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Whether a text search limited to the target's own file returns it (see misses).
    reachable: bool | None = None

    def record(self) -> dict[str, Any]:
        t = self.target
        return {
            "query": t.query,
            "path": t.path,
            "qualname": t.qualname,
            "line": t.line,
            "symbol_id": self.symbol_id,
            "ranks": self.ranks,
            "scored": self.scored,
            "latency_ms": {m: round(s * 1000, 2) for m, s in self.latency_s.items()},
            "misses": self.misses,
        }


def resolve(engine: Engine, targets: Sequence[Target]) -> tuple[list[Query], Counter[str]]:
    """Match each target to kenning's symbol by file and `def` line; drop the ones the
    index does not hold as a function with chunks of its own (and count why)."""
    dropped: Counter[str] = Counter()
    table = engine.graph.query(
        "MATCH (s:Symbol) WHERE s.path IN $paths AND s.kind IN $kinds "
        "RETURN s.path, s.sel_start_line, s.id, s.qualname, s.parent",
        {"paths": sorted({t.path for t in targets}), "kinds": sorted(TARGET_KINDS)},
    )
    cols = [table.column(i).to_pylist() for i in range(table.num_columns)]
    by_line = {
        (p, line): (sid, qual, parent) for p, line, sid, qual, parent in zip(*cols, strict=True)
    }
    found: list[Query] = []
    for target in targets:
        row = by_line.get((target.path, target.line - 1))
        if row is None:
            dropped["not in the index"] += 1
            continue
        symbol_id, qualname, parent = row
        # The index's qualified names carry the module (`requests.sessions.Session.send`);
        # the other languages' targets name the symbol's local id (`Type.method`).
        local = symbol_id.partition("#")[2].partition("@")[0]
        named = qualname == target.qualname or qualname.endswith("." + target.qualname)
        if not named and local != target.qualname:
            dropped["kenning's qualified name differs"] += 1
            continue
        found.append(Query(target, symbol_id, parent or ""))
    with_chunks = {
        row["symbol_id"] for row in engine.chunks.by_symbols([q.symbol_id for q in found])
    }
    kept = [q for q in found if q.symbol_id in with_chunks]
    if len(kept) < len(found):
        dropped["no chunk of its own in the index"] += len(found) - len(kept)
    return kept, dropped


def run_mode(
    engine: Engine,
    queries: Sequence[Query],
    mode: str,
    search: SearchFn | None = None,
    key: str | None = None,
    explain: bool = True,
) -> dict[str, Any]:
    """Search every query in one mode; fills each query's rank, latency and miss record
    under `key` (the mode's name unless given). `search` replaces ``engine.search``
    (an ablation's ranking options); without `explain` misses are not sorted."""
    k = key or mode

    def run(text: str, limit: int) -> SearchResult:
        if search is None:
            return engine.search(text, limit=limit, mode=mode)
        return search(text, limit, mode)

    vectors_complete = True
    for query in queries:
        started = time.perf_counter()
        try:
            result = run(query.target.query, LIMIT)
        except Exception as exc:
            query.latency_s[k] = time.perf_counter() - started
            query.ranks[k] = None
            query.scored[k] = dict.fromkeys(SCORINGS)
            query.misses[k] = {"category": "search error", "error": f"{type(exc).__name__}: {exc}"}
            continue
        query.latency_s[k] = time.perf_counter() - started
        vectors_complete = vectors_complete and result.vectors_complete
        query.ranks[k] = rank_of(result.hits, query.symbol_id)
        query.scored[k] = {
            scoring: range_rank(result.hits, query.target, scoring == "strict")
            for scoring in SCORINGS
        }
        if explain and query.scored[k]["strict"] is None:
            query.misses[k] = explain_miss(engine, query, result.hits, run)
    latencies = [q.latency_s[k] for q in queries]
    figures = metrics([q.ranks[k] for q in queries])
    for scoring in SCORINGS:
        figures[scoring] = metrics([q.scored[k][scoring] for q in queries])
    figures["latency_ms_p50"] = median(latencies) * 1000 if latencies else NAN
    figures["latency_ms_p90"] = percentile(latencies, 90) * 1000 if latencies else NAN
    figures["misses"] = dict(Counter(q.misses[k]["category"] for q in queries if k in q.misses))
    figures["misses_test_on_top"] = sum(
        1 for q in queries if q.misses.get(k, {}).get("test_on_top")
    )
    figures["miss_depth"] = dict(
        Counter(q.misses[k].get("depth", "") for q in queries if k in q.misses)
    )
    if mode in VECTOR_MODES:
        figures["vectors_complete"] = vectors_complete
    return figures


# -------------------------------------------------------------------------------- misses


def explain_miss(
    engine: Engine,
    query: Query,
    hits: Sequence[SearchHit],
    run: Callable[[str, int], SearchResult],
) -> dict[str, Any]:
    """What the top 10 held instead of the target, and how deep the target really was
    (strict scoring: the hit must be the target itself, not its class outline)."""
    deep = run(query.target.query, DEEP_LIMIT)
    deep_rank = range_rank(deep.hits, query.target, strict=True)
    if query.reachable is None:
        query.reachable = lexically_reachable(engine, query)
    return {
        "category": classify_miss(query, hits),
        "deep_rank": deep_rank,
        "depth": depth_bucket(deep_rank),
        "test_on_top": bool(hits) and is_test_or_doc(hits[0].path),
        "top": [f"{h.path}#{h.symbol}" for h in hits],
    }


def classify_miss(query: Query, hits: Sequence[SearchHit]) -> str:
    """The first of ``MISS_CATEGORIES`` that describes this miss."""
    target = query.target
    if query.reachable is False:
        return "no shared terms"
    if any(h.symbol_id == query.parent_id and h.kind == "class" for h in hits):
        return "class outline instead"
    if any(h.path == target.path for h in hits):
        return "same file, other code"
    if any(h.symbol.rpartition(".")[2] == target.name for h in hits):
        return "same name elsewhere"
    if hits and is_test_or_doc(hits[0].path):
        return "tests or examples instead"
    return "other library code instead"


def lexically_reachable(engine: Engine, query: Query) -> bool | None:
    """Whether text mode finds the target when only its own file is searched; None when
    its path cannot be given as a literal path filter."""
    path = query.target.path
    if _GLOB_CHARS & set(path):
        return None
    hits = engine.search(query.target.query, limit=DEEP_LIMIT, path_globs=[path], mode="text")
    return rank_of(hits.hits, query.symbol_id) is not None


def depth_bucket(rank: int | None) -> str:
    if rank is None:
        return f"beyond {DEEP_LIMIT}"
    for low, high in ((11, 20), (21, 50), (51, DEEP_LIMIT)):
        if low <= rank <= high:
            return f"{low}-{high}"
    # In the top 10 of the deeper search but not of the first: each ranker fetches more
    # candidates for a longer list, so the fused order can differ.
    return f"1-{LIMIT} with more candidates"


# -------------------------------------------------------------------------- one corpus


def embed(engine: Engine, cache_dir: Path | None = None) -> float:
    """Embed every pending chunk (blocking); returns the seconds it took.

    With `cache_dir`, texts embedded by an earlier run (same text hash, same model id)
    are taken from ``<cache_dir>/<model id>.npz`` and stored before the pool runs, so
    the pool finds their vectors and embeds only what is new; the cache then gains
    every vector of this index. The pool itself never reads this cache: it is the
    bench's, so that trying a ranking change does not cost minutes of embedding."""
    embed_all = getattr(engine, "embed", None)
    if embed_all is None:
        raise BenchError(
            "this kenning has no Engine.embed() yet, so vector and hybrid modes cannot run; "
            "use --modes text"
        )
    started = time.perf_counter()
    if cache_dir is None:
        embed_all()
        return time.perf_counter() - started
    from kenning.embed import EmbeddingModel, resolve_model

    spec = engine.settings.embedding
    resolved = resolve_model(spec.model, optimize=spec.optimize)
    cache_file = cache_dir / f"{resolved.model_id.replace('/', '_')}.npz"
    cached: dict[str, np.ndarray] = {}
    if cache_file.is_file():
        with np.load(cache_file) as data:
            cached = dict(zip(data["hashes"].tolist(), data["vectors"], strict=True))
    texts = engine.chunks.texts_for(sorted(engine.chunks.all_hashes()))
    missing = [h for h in texts if h not in cached]
    if missing:
        model = EmbeddingModel(resolved, os.cpu_count() or 1)
        # Like the pool: similar lengths together, small batches.
        tokens = dict(zip(missing, model.count_tokens([texts[h] for h in missing]), strict=True))
        missing.sort(key=lambda h: tokens[h])
        progress(f"embedding {len(missing)} texts ({len(texts) - len(missing)} cached)")
        for i in range(0, len(missing), 16):
            part = missing[i : i + 16]
            cached.update(zip(part, model.embed([texts[h] for h in part]), strict=True))
        cache_dir.mkdir(parents=True, exist_ok=True)
        hashes = sorted(cached)
        np.savez(cache_file, hashes=np.array(hashes), vectors=np.stack([cached[h] for h in hashes]))
    have = list(texts)
    engine.vectors.add(resolved.model_id, have, np.stack([cached[h] for h in have]))
    embed_all()
    return time.perf_counter() - started


def evaluate(
    root: Path,
    work: Path,
    modes: Sequence[str],
    *,
    max_queries: int | None = 300,
    max_class_queries: int | None = 100,
    seed: int = 0,
    settings: Settings | None = None,
    vector_cache: Path | None = None,
    ablations: Sequence[str] = (),
    explain: bool = True,
    doc_comments: bool = False,
) -> tuple[dict[str, Any], dict[str, list[Query]]]:
    """The whole evaluation of the corpus at `root`, its blanked copy made at `work`.

    Both query sets (``QUERY_SETS``) are blanked in one copy and searched in one index.
    `ablations` (names of ``ABLATIONS``) are extra hybrid runs, each with one ranking
    feature turned off or on, reported as modes of that name. `doc_comments`: the
    corpus is in another language, queried by its doc comments."""
    collector = collect_doc_comments if doc_comments else collect
    sets: dict[str, EvalSet] = {
        "functions": collector(root, cap=max_queries, seed=seed),
        "classes": collector(root, cap=max_class_queries, seed=seed, classes=True),
    }
    targets = [t for evalset in sets.values() for t in evalset.targets]
    progress(
        f"{len(sets['functions'].targets)} function and {len(sets['classes'].targets)} class "
        f"queries; copying to {work}"
    )
    rewritten = make_blanked_copy(root, work, targets)
    result: dict[str, Any] = {"files_blanked": rewritten}
    queries: dict[str, list[Query]] = {}
    with Engine.open(work, settings, rebuild=True) as engine:
        started = time.perf_counter()
        report = engine.index()
        result["index_s"] = time.perf_counter() - started
        result["files"], result["chunks"] = report.files, report.chunks
        if any(ABLATIONS[name].get("text_field") == "text" for name in ablations):
            # Not built by an index (`chunks.INDEXED_FIELDS`): only these ablations read it.
            engine.chunks.build_text_indexes(("text",))
        if VECTOR_MODES & set(modes) or ablations:
            result["embed_s"] = embed(engine, vector_cache)
        progress(f"indexed in {result['index_s']:.1f} s")
        for name, evalset in sets.items():
            found, dropped = resolve(engine, evalset.targets)
            queries[name] = found
            part: dict[str, Any] = {
                "evalset": {
                    "with_docstrings": evalset.candidates,
                    "skipped": dict(evalset.skipped),
                    "eligible": evalset.eligible,
                    "sampled": len(evalset.targets),
                    "dropped_after_index": dict(dropped),
                    "queries": len(found),
                },
                "modes": {},
            }
            runs: list[tuple[str, str, SearchFn | None]] = [(m, m, None) for m in modes]
            variants = ablation_searches(engine, ablations)
            runs += [(key, "hybrid", fn) for key, fn in variants.items()]
            for key, mode, fn in runs:
                started = time.perf_counter()
                part["modes"][key] = run_mode(engine, found, mode, fn, key, explain)
                progress(f"{name} {key}: {time.perf_counter() - started:.1f} s")
            part["queries"] = [q.record() for q in found]
            result[name] = part
    return result, queries


# ----------------------------------------------------------------------------- printing


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def print_table(rows: Sequence[tuple[str, str, dict[str, dict[str, Any]]]]) -> None:
    """One line per (corpus or group, query set, mode): lenient recall, MRR@10 under both
    scorings, and the median search latency."""
    head = f"{'corpus':<22}{'set':<10}{'mode':<18}{'queries':>8}"
    head += "".join(f"{'R@' + str(k):>7}" for k in KS)
    head += f"{'MRR':>7}{'strict':>8}{'p50 ms':>8}"
    print("\n" + head + "\n" + "-" * len(head))
    for key, set_name, modes in rows:
        for mode, m in modes.items():
            lenient, strict = m["lenient"], m["strict"]
            line = f"{key:<22}{set_name:<10}{mode:<18}{lenient['queries']:>8}"
            line += "".join(f"{lenient[f'recall@{k}']:>7.3f}" for k in KS)
            line += f"{lenient[f'mrr@{LIMIT}']:>7.3f}{strict[f'mrr@{LIMIT}']:>8.3f}"
            line += f"{m.get('latency_ms_p50', NAN):>8.1f}"
            print(line)


def print_misses(queries: dict[str, list[Query]], modes: Sequence[str], examples: int) -> None:
    for mode in modes:
        counts: Counter[str] = Counter()
        per_corpus: dict[str, Counter[str]] = {}
        for key, qs in queries.items():
            per_corpus[key] = Counter(q.misses[mode]["category"] for q in qs if mode in q.misses)
            counts.update(per_corpus[key])
        total = sum(counts.values())
        print(f"\nmisses in {mode} mode (target not in the top {LIMIT}): {total}")
        keys = list(queries)
        print(f"  {'category':<24}" + "".join(f"{k:>14}" for k in keys) + f"{'all':>8}")
        for category in MISS_CATEGORIES:
            if counts[category]:
                cells = "".join(f"{per_corpus[k][category]:>14}" for k in keys)
                print(f"  {category:<24}{cells}{counts[category]:>8}")
        depth = Counter(
            q.misses[mode].get("depth", "?")
            for qs in queries.values()
            for q in qs
            if mode in q.misses
        )
        print("  found deeper: " + ", ".join(f"{d}: {n}" for d, n in sorted(depth.items())))
        on_top = sum(
            1 for qs in queries.values() for q in qs if q.misses.get(mode, {}).get("test_on_top")
        )
        print(f"  top hit is test, doc or example code: {on_top} of {total}")
        for category in MISS_CATEGORIES:
            shown = [
                q for qs in queries.values() for q in qs
                if mode in q.misses and q.misses[mode]["category"] == category
            ][:examples]  # fmt: skip
            if shown:
                print(f"  {category}: {MISS_CATEGORIES[category]}")
            for q in shown:
                miss = q.misses[mode]
                print(f"    {q.target.query!r}")
                print(
                    f"      want {q.target.path}:{q.target.qualname} (rank {miss.get('deep_rank')})"
                )
                if miss.get("top"):
                    print(f"      got  {', '.join(miss['top'][:3])}")


def pooled(queries: Sequence[Query], modes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Several corpora's queries as one set: each query weighs the same."""
    out: dict[str, dict[str, Any]] = {}
    for mode in modes:
        figures: dict[str, Any] = metrics([q.ranks.get(mode) for q in queries])
        for scoring in SCORINGS:
            figures[scoring] = metrics([q.scored.get(mode, {}).get(scoring) for q in queries])
        latencies = [q.latency_s[mode] for q in queries if mode in q.latency_s]
        figures["latency_ms_p50"] = median(latencies) * 1000 if latencies else NAN
        out[mode] = figures
    return out


def hybrid_check(overall: dict[str, dict[str, Any]]) -> str | None:
    """The issue's bar: hybrid must beat text and vector alone (MRR@10, pooled)."""
    if not set(MODES) <= set(overall):
        return None
    key = f"mrr@{LIMIT}"
    beats = all(overall["hybrid"][key] > overall[m][key] for m in ("text", "vector"))
    return "PASS" if beats else "MISS"


def groups(keys: Sequence[str]) -> dict[str, list[str]]:
    """The tuning, held-out and other-language corpora among `keys`."""
    return {
        "tuning": [k for k in keys if k in TUNING_CORPORA],
        "held-out": [k for k in keys if k in HELD_OUT_CORPORA],
        "languages": [k for k in keys if k in LANGUAGE_CORPORA],
    }


def prepare_corpora(names: Sequence[str]) -> list[tuple[str, str, Path, bool]]:
    """(key, version, root, queried by doc comments) of each corpus named, or of the
    default ones; other-language corpora are fetched through ``bench.languages``."""
    wanted = [n.lower() for n in names] or list(DEFAULT_CORPORA)
    others = {c.name: c for c in languages_mod.load() if c.name in LANGUAGE_CORPORA}
    python = corpora_mod.select([n for n in wanted if n not in others], []) if wanted else []
    roots = corpora_mod.prepare(python) if python else {}
    by_key = {c.key: (c.key, c.version, roots[c.key], False) for c in python}
    for name in wanted:
        if name in others:
            corpus = others[name]
            root = languages_mod.unpack(corpus) / LANGUAGE_CORPORA[name]
            by_key[name] = (name, corpus.version, root, True)
    return [by_key[n] for n in wanted]


# --------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "corpora",
        nargs="*",
        metavar="CORPUS",
        help=f"corpora to run (default: {', '.join(DEFAULT_CORPORA)})",
    )
    parser.add_argument(
        "--modes",
        help="comma-separated subset of text,vector,hybrid (default: all three)",
    )
    parser.add_argument(
        "--ablate",
        default="",
        help=f"comma-separated ablations run beside the modes, or 'all' ({', '.join(ABLATIONS)})",
    )
    parser.add_argument("--max-queries", type=int, default=300, help="function queries (300)")
    parser.add_argument("--max-class-queries", type=int, default=100, help="class queries (100)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (0)")
    parser.add_argument("--examples", type=int, default=3, help="misses shown per category (3)")
    parser.add_argument("--no-explain", action="store_true", help="do not sort misses (faster)")
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--vector-cache",
        type=Path,
        default=VECTOR_CACHE_DIR,
        help="where embedded texts are kept between runs (by text hash and model id)",
    )
    args = parser.parse_args(argv)
    args.modes = [m.strip() for m in (args.modes or ",".join(MODES)).split(",") if m.strip()]
    unknown = set(args.modes) - set(MODES)
    if unknown or not args.modes:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}; expected {', '.join(MODES)}")
    ablate = [a.strip() for a in args.ablate.split(",") if a.strip()]
    args.ablate = ablate
    if set(args.ablate) - set(ABLATIONS):
        parser.error(f"unknown ablation(s): {', '.join(sorted(set(args.ablate) - set(ABLATIONS)))}")
    if args.max_queries < 1 or args.max_class_queries < 0:
        parser.error("--max-queries must be at least 1")
    return args


def ablation_searches(engine: Engine, names: Sequence[str]) -> dict[str, SearchFn]:
    """Hybrid search with one ranking feature turned off, per ablation name (the query
    layer's `search`, as ``Engine.search`` calls it, with other `Ranking` options)."""
    out: dict[str, SearchFn] = {}
    for name in names:
        ranking = msgspec.structs.replace(DEFAULT_RANKING, **ABLATIONS[name])

        def run(text: str, limit: int, mode: str, ranking: Ranking = ranking) -> SearchResult:
            semantic = engine.semantic() if mode != "text" else None
            return search(
                engine.graph, engine.chunks, text, limit, ChunkFilter(), mode, semantic, ranking
            )

        out[name] = run
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        selected = prepare_corpora(args.corpora)
    except (corpora_mod.CorpusError, languages_mod.CorpusError) as exc:
        print(f"error preparing corpora: {exc}", file=sys.stderr)
        return 2

    print(f"modes: {', '.join(args.modes)}   max queries: {args.max_queries}   seed: {args.seed}")
    started = dt.datetime.now(dt.UTC)
    results: dict[str, dict[str, Any]] = {}
    queries: dict[str, dict[str, list[Query]]] = {}
    failed = False
    for key, version, root, doc_comments in selected:
        print(f"\n{key} {version}", file=sys.stderr)
        try:
            result, queries[key] = evaluate(
                root,
                args.work_dir / f"{key}-{version}",
                args.modes,
                max_queries=args.max_queries,
                max_class_queries=args.max_class_queries,
                seed=args.seed,
                vector_cache=args.vector_cache,
                ablations=args.ablate,
                explain=not args.no_explain,
                doc_comments=doc_comments,
            )
            results[key] = {"version": version, **result}
        except Exception as exc:
            # One corpus failing (kenning raising, a blanking check) is reported, and the
            # others still run.
            failed = True
            results[key] = {"version": version, "error": f"{type(exc).__name__}: {exc}"}
            print(f"  !! {key}: {type(exc).__name__}: {exc}", file=sys.stderr)

    keys = [*args.modes, *args.ablate]
    rows: list[tuple[str, str, dict[str, dict[str, Any]]]] = []
    overall: dict[str, dict[str, Any]] = {}
    for set_name in QUERY_SETS:
        for key, result in results.items():
            if set_name in result:
                rows.append((key, set_name, result[set_name]["modes"]))
        for group, members in groups(list(queries)).items():
            every = [q for k in members for q in queries[k][set_name]]
            if every:
                overall[f"{group} {set_name}"] = pooled(every, keys)
                rows.append((group, set_name, overall[f"{group} {set_name}"]))
    print_table(rows)
    check = hybrid_check(overall.get("held-out functions", {}))
    if check:
        print(f"\nhybrid beats text and vector alone (MRR@{LIMIT}, held-out functions): {check}")
    if not args.no_explain:
        print_misses({k: qs["functions"] for k, qs in queries.items()}, keys, args.examples)

    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"retrieval-{started:%Y%m%dT%H%M%SZ}.json"
    environ = environment([])
    environ.pop("kenning_command", None)
    document = {
        "started": started.isoformat(),
        "args": {
            "modes": args.modes,
            "ablate": args.ablate,
            "max_queries": args.max_queries,
            "max_class_queries": args.max_class_queries,
            "seed": args.seed,
        },
        "environment": environ,
        "miss_categories": MISS_CATEGORIES,
        "tuning": list(TUNING_CORPORA),
        "held_out": list(HELD_OUT_CORPORA),
        "overall": overall,
        "hybrid_beats_both": check,
        "corpora": results,
    }
    out.write_text(json.dumps(json_safe(document), indent=2) + "\n")
    print(f"\nresults: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
