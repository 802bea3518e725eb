"""Search: vector similarity, full-text (BM25) and symbol-name matches, fused.

Each ranker produces a ranked list of chunks; reciprocal rank fusion (RRF) merges
them, so a chunk that several rankers like beats one that only one ranker likes, and no
ranker's raw scores need calibrating against another's. The vector ranker joins once
the active model has vectors; every result says whether they covered every chunk.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pathspec

from kenning.core.results import SearchHit, SearchResult
from kenning.query.semantic import SemanticIndex
from kenning.query.symbols import find_symbols
from kenning.storage.chunks import ChunkFilter, ChunkStore
from kenning.storage.graph import GraphStore

log = logging.getLogger(__name__)

# The usual RRF constant: damps the advantage of the very top ranks.
RRF_K = 60
# Each ranker contributes this many candidates per requested result.
OVERFETCH = 3
# With filters, the vector ranker reads this many times more neighbours, since most
# may be filtered out (vectors belong to texts; filters apply to their chunks).
FILTERED_OVERFETCH = 20
# Symbols read for the name ranker, over all of a query's words.
NAME_CANDIDATES = 20_000
SNIPPET_LINES = 4
SEARCH_MODES = ("hybrid", "text", "vector")
SNIPPET_CHARS = 300
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words too common in prose queries to say which symbol is meant.
_STOP_WORDS = (
    "the and for with from into that this then than are was were has have had not but "
    "its all any can may will should would could each which when where what who how "
    "used using given returns return one two also more most only other some such"
)
STOP = frozenset(_STOP_WORDS.split())


def expand_globs(globs: Sequence[str], paths: Iterable[str]) -> tuple[str, ...] | None:
    """The workspace paths matching any of `globs` (gitignore syntax); None if no globs."""
    if not globs:
        return None
    spec = pathspec.PathSpec.from_lines("gitignore", globs)
    return tuple(p for p in paths if spec.match_file(p))


def search(
    graph: GraphStore,
    chunks: ChunkStore,
    query: str,
    limit: int = 10,
    filters: ChunkFilter | None = None,
    mode: str = "hybrid",
    semantic: SemanticIndex | None = None,
) -> SearchResult:
    """`mode`: "hybrid" (every ranker), "text" (BM25 and symbol names) or "vector".
    Without `semantic` (no vectors yet) the vector ranker contributes nothing."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if mode not in SEARCH_MODES:
        raise ValueError(f"unknown search mode {mode!r}: expected one of {', '.join(SEARCH_MODES)}")
    want = limit * OVERFETCH
    rankers: list[tuple[str, list[dict[str, Any]]]] = []
    if mode in ("hybrid", "text"):
        rankers.append(("text", chunks.search_text(query, want, filters)))
        rankers.append(("symbol", _symbol_matches(graph, chunks, query, want, filters)))
    note = ""
    if mode in ("hybrid", "vector") and semantic is not None:
        try:
            rankers.append(("vector", _vector_matches(semantic, chunks, query, want, filters)))
        except Exception as exc:  # a broken model must not take text search down with it
            log.warning("vector search failed: %s", exc)
            note = f"vector search unavailable: {exc}"
            semantic = None
    fused: dict[str, tuple[float, dict[str, Any], list[str]]] = {}
    for source, rows in rankers:
        for rank, row in enumerate(rows):
            score, _, sources = fused.get(row["id"], (0.0, row, []))
            fused[row["id"]] = (score + 1.0 / (RRF_K + rank + 1), row, [*sources, source])
    ranked = sorted(fused.values(), key=lambda item: (-item[0], item[1]["path"],
                                                     item[1]["start_line"]))  # fmt: skip
    hits = [_hit(row, score, sources) for score, row, sources in ranked[:limit]]
    coverage = semantic.coverage if semantic is not None else 0.0
    return SearchResult(
        query=query,
        hits=hits,
        vectors_complete=coverage >= 1.0,
        vector_coverage=round(coverage, 4),
        note=note,
    )


def _vector_matches(
    semantic: SemanticIndex,
    chunks: ChunkStore,
    query: str,
    want: int,
    filters: ChunkFilter | None,
) -> list[dict[str, Any]]:
    """Chunks whose text is nearest the query, nearest first."""
    filtered = filters is not None and filters.expr() is not None
    near = semantic.nearest(query, want * FILTERED_OVERFETCH if filtered else want)
    rank = {text_hash: i for i, (text_hash, _) in enumerate(near)}
    rows = chunks.by_hashes(list(rank), filters)
    rows.sort(key=lambda r: (rank[r["text_hash"]], r["path"], r["start_line"]))
    return rows[:want]


def _symbol_matches(
    graph: GraphStore, chunks: ChunkStore, query: str, want: int, filters: ChunkFilter | None
) -> list[dict[str, Any]]:
    """Chunks of symbols whose names match the query's identifiers, best match first.

    Each identifier of the query (stop words aside) is looked up on its own; a symbol
    scores by its rank in each lookup, so one that several words name comes first and
    no single word (the first, say) fills the list on its own."""
    words = _IDENT.findall(query)
    probes = list(dict.fromkeys(w.lower() for w in words if len(w) >= 3 and w.lower() not in STOP))
    scores: dict[str, float] = {}
    # A dotted query (`Session.request`) is tried whole as well as word by word.
    if "." in query.strip():
        for rank, sym in enumerate(find_symbols(graph, query.strip(), limit=want)):
            scores[sym.id] = scores.get(sym.id, 0.0) + 1.0 / (RRF_K + rank + 1)
    # One scan of the symbol table for every word, then each word ranks its own
    # matches as `find_symbols` would: exact name, prefix, substring; shorter first.
    candidates = graph.names_containing(probes, NAME_CANDIDATES)
    for probe in probes:
        matching = [c for c in candidates if probe in c[1].lower()]
        matching.sort(key=lambda c: (_name_tier(probe, c[1].lower()), len(c[2]), c[2]))
        for rank, (sym_id, _, _) in enumerate(matching[:want]):
            scores[sym_id] = scores.get(sym_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    if not scores:
        return []
    ids = sorted(scores, key=lambda sid: -scores[sid])
    rows = chunks.by_symbols(ids[: want * 2], filters)
    order = {sid: i for i, sid in enumerate(ids)}
    first: dict[str, dict[str, Any]] = {}
    for row in rows:  # the first chunk of each symbol stands for it
        first.setdefault(row["symbol_id"], row)
    return sorted(first.values(), key=lambda r: order.get(r["symbol_id"], len(order)))[:want]


def _name_tier(word: str, name: str) -> int:
    return 0 if name == word else 1 if name.startswith(word) else 2


def _hit(row: dict[str, Any], score: float, sources: list[str]) -> SearchHit:
    return SearchHit(
        path=row["path"],
        start_line=row["start_line"],
        end_line=row["end_line"],
        symbol=row["qualname"],
        symbol_id=row["symbol_id"],
        kind=row["kind"],
        language=row["language"],
        snippet=snippet(row["code"]),
        score=round(score, 6),
        sources=tuple(sources),
    )


def snippet(code: str) -> str:
    lines = [line for line in code.splitlines() if line.strip()][:SNIPPET_LINES]
    text = "\n".join(lines)
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"
