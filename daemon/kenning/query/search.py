"""Search: vector similarity, full-text (BM25) and symbol-name matches, fused.

Three rankers each give their best chunks with a raw score: BM25 over the chunk text
(header + code), BM25 over the `terms` field (the words of the symbol's name,
qualified name and path, split out of snake_case and camelCase), and the cosine
similarity of the embedded text. Each ranker's scores are min-max normalised over its
own candidates and summed with weights (`Ranking`); then test code is demoted unless
the query is about tests, and each symbol is scored by its best chunk, so a long
function's pieces are one hit spanning the whole function. The vector ranker joins once
the active model has vectors; every result says whether they covered every chunk, and
a hybrid search without them says it ranked by text and names only.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import pathspec

from kenning.core import cancel
from kenning.core.results import SearchHit, SearchResult
from kenning.query.semantic import SemanticIndex
from kenning.query.symbols import find_symbols
from kenning.storage.chunks import ChunkFilter, identifier_words, split_query
from kenning.storage.layered import ChunkReader, GraphReader

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
# Chunk kinds that are outlines of a type: their members have chunks of their own.
OUTLINE_KINDS = frozenset({"class", "interface", "struct", "enum", "trait", "type"})
TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec"})


class Ranking(msgspec.Struct, frozen=True):
    """How the rankers are weighed and combined. The defaults are what search uses; the
    retrieval bench (`bench/retrieval.py --ablate`) turns features off one at a time to
    measure each, on its tuning corpora only."""

    # "score": each ranker's scores min-max normalised over its candidates, then a
    # weighted sum; "rrf": weighted reciprocal rank fusion (k = 60).
    fusion: str = "score"
    text_weight: float = 1.0  # BM25 over the chunk text (header + code)
    name_weight: float = 1.0  # BM25 over name and path words, or name matches
    vector_weight: float = 1.0  # cosine similarity of the embedded text
    # BM25 over the `terms` field (split name, qualified-name and path words); off:
    # the older ranker of substring matches on symbol names.
    name_field: bool = True
    # Query identifiers are also searched as their words (`PreparedRequest`: prepared,
    # request), matching how the `terms` field is split.
    split_identifiers: bool = True
    # One hit per symbol, scored by its best chunk (a long function's pieces, a big
    # class's outline pieces), with the symbol's whole range.
    group_symbols: bool = True
    # A class outline's score is multiplied by this when one of its own members is also
    # a candidate (the outline lists the member's signature, so it matches too). Off:
    # measured, it cost class queries more than it gained method queries.
    outline_factor: float = 1.0
    # Test code's score is multiplied by this unless the query mentions tests: tests are
    # named after the behaviour they check, so they match descriptions of it, but the
    # question is where the code is that does it.
    test_factor: float = 0.5
    # Candidates each ranker contributes (at least OVERFETCH per requested result).
    candidates: int = 50
    # A graph prior: a candidate's score is multiplied by 1 + caller_weight * c, where c
    # is log(1 + its callers) over the most-called candidate's (0 to 1). Off: measured
    # in bench/README.md.
    caller_weight: float = 0.0


DEFAULT_RANKING = Ranking()


def expand_globs(globs: Sequence[str], paths: Iterable[str]) -> tuple[str, ...] | None:
    """The workspace paths matching any of `globs` (gitignore syntax); None if no globs."""
    if not globs:
        return None
    spec = pathspec.PathSpec.from_lines("gitignore", globs)
    return tuple(p for p in paths if spec.match_file(p))


# A ranker's candidates: (chunk row, raw score), best first.
Ranked = list[tuple[dict[str, Any], float]]


def search(
    graph: GraphReader,
    chunks: ChunkReader,
    query: str,
    limit: int = 10,
    filters: ChunkFilter | None = None,
    mode: str = "hybrid",
    semantic: SemanticIndex | None = None,
    ranking: Ranking = DEFAULT_RANKING,
) -> SearchResult:
    """`mode`: "hybrid" (every ranker), "text" (BM25 and symbol names) or "vector".
    Without `semantic` (no vectors yet, or embedding off) the vector ranker contributes
    nothing; the result's `vectors_complete` (set by the engine) says so, with no note:
    a note is a warning the editors show, and text-only is what a user with embedding
    off asked for."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if mode not in SEARCH_MODES:
        raise ValueError(f"unknown search mode {mode!r}: expected one of {', '.join(SEARCH_MODES)}")
    want = max(limit * OVERFETCH, ranking.candidates)
    text_query = split_query(query) if ranking.split_identifiers else query
    rankers: list[tuple[str, float, Ranked]] = []
    if mode in ("hybrid", "text"):
        text = chunks.search_text(text_query, want, filters)
        rankers.append(("text", ranking.text_weight, [(r, r["_score"]) for r in text]))
        if ranking.name_field:
            names = chunks.search_text(text_query, want, filters, field="terms")
            rankers.append(("symbol", ranking.name_weight, [(r, r["_score"]) for r in names]))
        else:
            names_ranked = _symbol_matches(graph, chunks, query, want, filters)
            rankers.append(("symbol", ranking.name_weight, names_ranked))
    note = ""
    cancel.check()
    if mode in ("hybrid", "vector") and semantic is not None:
        try:
            near = _vector_matches(semantic, chunks, query, want, filters)
            rankers.append(("vector", ranking.vector_weight, near))
        except Exception as exc:  # a broken model must not take text search down with it
            log.warning("vector search failed: %s", exc)
            note = f"vector search unavailable: {exc}; ranked by text and symbol names only"
            semantic = None
    cancel.check()
    fused = _fuse(rankers, ranking)
    _adjust(fused, query, ranking)
    if ranking.caller_weight:
        _caller_prior(graph, fused, ranking.caller_weight)
    candidates = _group(fused) if ranking.group_symbols else list(fused.values())
    candidates.sort(key=lambda c: (-c.score, c.row["path"], c.row["start_line"]))
    top = candidates[:limit]
    spans = _symbol_spans(graph, top) if ranking.group_symbols else {}
    hits = [_hit(c, spans.get(c.row["symbol_id"])) for c in top]
    coverage = semantic.coverage if semantic is not None else 0.0
    return SearchResult(
        query=query,
        hits=hits,
        vectors_complete=coverage >= 1.0,
        vector_coverage=round(coverage, 4),
        note=note,
    )


class _Candidate:
    """A chunk (or, once grouped, a symbol through its best chunk) and its fused score."""

    __slots__ = ("pieces", "row", "score", "sources")

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.score = 0.0
        self.sources: list[str] = []
        self.pieces = 1


def _fuse(rankers: list[tuple[str, float, Ranked]], ranking: Ranking) -> dict[str, _Candidate]:
    """Each chunk's weighted sum over the rankers that found it."""
    fused: dict[str, _Candidate] = {}
    for source, weight, ranked in rankers:
        if not ranked or weight == 0.0:
            continue
        scores = [score for _, score in ranked]
        high, low = max(scores), min(scores)
        for rank, (row, score) in enumerate(ranked):
            if ranking.fusion == "rrf":
                part = 1.0 / (RRF_K + rank + 1)
            else:
                # Min-max over the ranker's own candidates: its best is 1, and the last
                # of a long list near 0, whatever the scale of its raw scores.
                part = (score - low) / (high - low) if high > low else 1.0
            candidate = fused.get(row["id"])
            if candidate is None:
                candidate = fused[row["id"]] = _Candidate(row)
            candidate.score += weight * part
            if source not in candidate.sources:
                candidate.sources.append(source)
    return fused


def _adjust(fused: dict[str, _Candidate], query: str, ranking: Ranking) -> None:
    """Demote test code (unless the query is about tests) and class outlines whose own
    members are candidates too."""
    about_tests = any(w.startswith("test") for w in identifier_words(query))
    if ranking.test_factor != 1.0 and not about_tests:
        for candidate in fused.values():
            if is_test_path(candidate.row["path"]):
                candidate.score *= ranking.test_factor
    if ranking.outline_factor != 1.0:
        symbols = {c.row["symbol_id"] for c in fused.values()}
        parents = {sid.rpartition(".")[0] for sid in symbols if "#" in sid}
        for candidate in fused.values():
            row = candidate.row
            if row["kind"] in OUTLINE_KINDS and row["symbol_id"] in parents:
                candidate.score *= ranking.outline_factor


def _caller_prior(graph: GraphReader, fused: dict[str, _Candidate], weight: float) -> None:
    """Lift candidates that much of the code calls: a used function is more often the
    one a person looks for than an unused one that reads alike."""
    ids = sorted({c.row["symbol_id"] for c in fused.values() if c.row["kind"] != "module"})
    if not ids:
        return
    callers = graph.caller_counts(ids)
    top = max(callers.values(), default=0)
    if not top:
        return
    scale = math.log1p(top)
    for candidate in fused.values():
        n = callers.get(candidate.row["symbol_id"], 0)
        candidate.score *= 1.0 + weight * math.log1p(n) / scale


def _group(fused: dict[str, _Candidate]) -> list[_Candidate]:
    """One candidate per symbol, its best chunk's; module-level code stays per chunk
    (one module's separate runs of statements are not one thing)."""
    best: dict[str, _Candidate] = {}
    out: list[_Candidate] = []
    for candidate in fused.values():
        row = candidate.row
        if row["kind"] == "module":
            out.append(candidate)
            continue
        held = best.get(row["symbol_id"])
        if held is None:
            best[row["symbol_id"]] = candidate
            continue
        winner, other = (candidate, held) if candidate.score > held.score else (held, candidate)
        winner.pieces += other.pieces
        winner.sources.extend(s for s in other.sources if s not in winner.sources)
        best[row["symbol_id"]] = winner
    return out + list(best.values())


def _symbol_spans(graph: GraphReader, top: Sequence[_Candidate]) -> dict[str, tuple[int, int]]:
    """The whole line range of each symbol whose hit is one of several chunks, or not
    its first: a hit says where the function is, not where its best piece starts."""
    ids = [
        c.row["symbol_id"]
        for c in top
        if c.row["kind"] != "module" and (c.pieces > 1 or c.row["kind"] not in OUTLINE_KINDS)
    ]
    if not ids:
        return {}
    return {s.id: (s.span.start_line, s.span.end_line) for s in graph.symbols_by_ids(ids)}


def is_test_path(path: str) -> bool:
    """Whether a workspace path is test code, by the conventions most languages share:
    a `test`/`tests`/`__tests__` folder, or a file named `test_*`, `*_test.*`,
    `*.test.*`, `*.spec.*` or `conftest.py`."""
    parts = path.lower().split("/")
    if any(part in TEST_DIRS for part in parts[:-1]):
        return True
    name = parts[-1]
    stem = name.partition(".")[0]
    return (
        name.startswith("test_")
        or stem.endswith("_test")
        or ".test." in name
        or ".spec." in name
        or name == "conftest.py"
    )


def _vector_matches(
    semantic: SemanticIndex,
    chunks: ChunkReader,
    query: str,
    want: int,
    filters: ChunkFilter | None,
) -> Ranked:
    """Chunks whose text is nearest the query, with their cosine similarity, nearest first."""
    filtered = filters is not None and filters.expr() is not None
    near = semantic.nearest(query, want * FILTERED_OVERFETCH if filtered else want)
    rank = {text_hash: i for i, (text_hash, _) in enumerate(near)}
    similarity = {text_hash: 1.0 - distance for text_hash, distance in near}
    rows = chunks.by_hashes(list(rank), filters)
    rows.sort(key=lambda r: (rank[r["text_hash"]], r["path"], r["start_line"]))
    return [(row, similarity[row["text_hash"]]) for row in rows[:want]]


def _symbol_matches(
    graph: GraphReader, chunks: ChunkReader, query: str, want: int, filters: ChunkFilter | None
) -> Ranked:
    """Chunks of symbols whose names match the query's identifiers, best match first,
    with their name-match scores (the ranker used when `Ranking.name_field` is off).

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
    ranked = sorted(first.values(), key=lambda r: order.get(r["symbol_id"], len(order)))[:want]
    return [(row, scores[row["symbol_id"]]) for row in ranked]


def _name_tier(word: str, name: str) -> int:
    return 0 if name == word else 1 if name.startswith(word) else 2


def _hit(candidate: _Candidate, span: tuple[int, int] | None) -> SearchHit:
    row = candidate.row
    start, end = span if span is not None else (row["start_line"], row["end_line"])
    return SearchHit(
        path=row["path"],
        start_line=start,
        end_line=end,
        symbol=row["qualname"],
        symbol_id=row["symbol_id"],
        kind=row["kind"],
        language=row["language"],
        snippet=snippet(row["code"]),
        score=round(candidate.score, 6),
        sources=tuple(candidate.sources),
    )


def snippet(code: str) -> str:
    lines = [line for line in code.splitlines() if line.strip()][:SNIPPET_LINES]
    text = "\n".join(lines)
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"
