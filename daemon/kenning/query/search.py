"""Search: vector similarity, full-text (BM25) and symbol-name matches, fused.

Four rankers each give their best chunks with a raw score: BM25 over the chunk text
(header + code, camelCase identifiers split into their words as well), BM25 over the
`terms` field (the words of the symbol's name, qualified name and path, split out of
snake_case and camelCase), the cosine similarity of the embedded text, and that of the
definition's description (its name, owner and parameter words). Each ranker's scores are
min-max normalised over its own candidates and summed with weights (`Ranking`); every
candidate gains the share of its name's words that the query spells (prefix and typo
tolerant; a name's leading `get`, `is`, `make` ... also by the query's leading verb:
"Returns ...", "Check whether ...", "Creates ..."); then test code is demoted unless
the query is about tests, class outlines are lifted when the query opens with an
article (it names a thing, as class docs do, rather than an action), and each symbol
(and each name within a file: its overloads) is scored by its best chunk, so a long
function's pieces are one hit spanning the whole function. The vector rankers join once
the active model has vectors; every result says whether they covered every text, and a
hybrid search without them says it ranked by text and names only.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import pathspec

from kenning.core import cancel
from kenning.core.results import SearchHit, SearchResult
from kenning.core.words import identifier_words
from kenning.query.semantic import SemanticIndex
from kenning.query.symbols import find_symbols
from kenning.storage.chunks import ChunkFilter, PendingSearches, split_query
from kenning.storage.layered import ChunkReader, GraphReader

log = logging.getLogger(__name__)

# The usual RRF constant: damps the advantage of the very top ranks.
RRF_K = 60
# The spread of a uniform distribution over its range, in standard deviations: the
# unit of `Ranking.fusion` "spread".
SPREAD_UNIT = math.sqrt(12)
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
ARTICLES = frozenset({"a", "an", "the"})
# A query's leading verb and the words a definition's name opens with for the same
# action, by the naming conventions most languages share: "Returns the ..." describes
# a `get_...`, "Check whether ..." an `is_...`, "Creates ..." a `make_...` or Go's
# `New...`. Chosen from those conventions, not from the evaluation's queries; each
# group's query words -> its name words.
_LEADING_VERBS = (
    ("return returns get gets fetch fetches retrieve retrieves obtain obtains",
     "get fetch retrieve obtain"),
    ("create creates make makes build builds construct constructs instantiate instantiates",
     "create make build construct new"),
    ("add adds register registers append appends insert inserts attach attaches",
     "add register append insert attach"),
    ("check checks determine determines verify verifies validate validates whether",
     "is has check should can verify validate"),
    ("convert converts transform transforms", "to as convert transform"),
    ("remove removes delete deletes unset unsets discard discards clear clears drop drops",
     "remove delete del unset discard clear drop pop"),
    ("iterate iterates yield yields", "iter"),
    ("close closes dispose disposes release releases", "close dispose release shutdown"),
    ("set sets assign assigns", "set assign"),
    ("load loads read reads", "load read"),
    ("write writes save saves dump dumps", "write save dump"),
    ("find finds search searches locate locates", "find search lookup locate"),
    ("update updates merge merges", "update merge"),
    ("initialize initializes initialise initialises", "init initialize initialise setup"),
)  # fmt: skip
VERB_NAMES: dict[str, frozenset[str]] = {
    verb: frozenset(names.split()) for verbs, names in _LEADING_VERBS for verb in verbs.split()
}
TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec"})


class Ranking(msgspec.Struct, frozen=True):
    """How the rankers are weighed and combined. The defaults are what search uses; the
    retrieval bench (`bench/retrieval.py --ablate`) turns features off one at a time to
    measure each, on its tuning corpora only."""

    # "score": each ranker's scores min-max normalised over its candidates, then a
    # weighted sum; "spread": each score's distance above the ranker's last candidate
    # in standard deviations of its candidates' scores, so a ranker whose best stands
    # far above the rest (confident) weighs more than one whose list is flat (flat on
    # the tuning corpora: not the default); "rrf": weighted reciprocal rank fusion
    # (k = `rrf_k`; clearly worse, see bench/README.md).
    fusion: str = "score"
    rrf_k: int = RRF_K
    # The query words of `STOP` (prose: "return", "given", "used") are left out of the
    # BM25 queries too, not only the name match: in code they match every `return`.
    # Off: measured within noise.
    query_stop_words: bool = False
    # The chunk-text BM25 query also holds each pair of neighbouring query words run
    # together ("app context" -> appcontext): the full-text tokenizer splits code at
    # underscores but not at case changes, so in the raw text `app_context` is two words
    # and `AppContext` (a class, any camelCase name) one. Off: measured within noise on
    # the raw text, and moot on `words` (`text_field`), which splits `AppContext` too.
    joined_words: bool = False
    # The words of `STOP` are left out of the query the model embeds as well. Off:
    # measured, it cost function queries.
    embed_stop_words: bool = False
    # The chunk-text field BM25 searches: "words" (the text with a space wherever an
    # identifier's words meet, `chunks.split_words_column`) or "text" as embedded,
    # whose camelCase names are one token each (only when its index was built:
    # `ChunkStore.build_text_indexes`, for the bench).
    text_field: str = "words"
    # The rankers' weights, with `thing_outline_factor` and `test_factor`, were fitted
    # together rather than chosen one at a time: coordinate ascent on MRR@10 over the
    # function and class queries of the tuning corpora (requests, Flask, click; `python
    # -m bench.fusion_fit fit requests flask click`, bench/README.md, seventh round).
    # Each change alone was within noise in earlier rounds; together, on the held-out
    # corpora run once after the fit, function queries +0.009 / +0.007 MRR@10 and class
    # queries +0.013 (TypeScript and Go classes +0.037).
    text_weight: float = 1.25  # BM25 over the chunk text (header + code)
    name_weight: float = 1.0  # BM25 over name and path words, or name matches
    vector_weight: float = 1.5  # cosine similarity of the embedded text
    # BM25 over the `terms` field (split name, qualified-name and path words); off:
    # the older ranker of substring matches on symbol names.
    name_field: bool = True
    # Query identifiers are also searched as their words (`PreparedRequest`: prepared,
    # request), matching how the `terms` field is split.
    split_identifiers: bool = True
    # One hit per symbol, scored by its best chunk (a long function's pieces, a big
    # class's outline pieces), with the symbol's whole range.
    group_symbols: bool = True
    # Also one hit per name per file (overloads, a property's getter and setter).
    group_names: bool = True
    # A class outline's score is multiplied by this when one of its own members is also
    # a candidate (the outline lists the member's signature, so it matches too). Off:
    # measured, it cost class queries more than it gained method queries.
    outline_factor: float = 1.0
    # Read the query's form: one that opens with an article ("The request context
    # ...", "A loader that ...") names a thing, as class docs do; any other reads as
    # an action ("Return the ...", "Register a ..."), as function docs do. Then
    # `outline_factor` applies to actions only, and `thing_outline_factor` multiplies
    # outlines when the query names a thing: a class's methods carry its words in their
    # names and descriptions, and would otherwise outrank it (bench/README.md, fourth
    # round: tuning class queries 0.619 -> 0.661, function queries unchanged; the
    # factor fitted with the weights, seventh round).
    query_form: bool = True
    thing_outline_factor: float = 1.5
    # Test code's score is multiplied by this unless the query mentions tests: tests are
    # named after the behaviour they check, so they match descriptions of it, but the
    # question is where the code is that does it (fitted with the weights).
    test_factor: float = 0.25
    # Candidates each ranker contributes (at least OVERFETCH per requested result).
    candidates: int = 50
    # A graph prior: a candidate's score is multiplied by 1 + caller_weight * c, where c
    # is log(1 + its callers) over the most-called candidate's (0 to 1). Off: measured
    # in bench/README.md.
    caller_weight: float = 0.0
    # Every candidate is scored against the query vector, not only the vector ranker's
    # nearest: a candidate that BM25 found would otherwise get nothing for its meaning.
    # Its part is normalised with the vector ranker's own bounds and kept at or above
    # `vector_floor` (0: a far candidate gains nothing; below 0 it loses). Off:
    # measured within noise (bench/README.md).
    vector_fill: bool = False
    vector_floor: float = -1.0
    # Weight of the name match: the share of the symbol's own name words that a query
    # word matches, tolerating prefixes and one edit (`parse` ~ parsing, `iter` ~
    # iterable), scored for every candidate of the other rankers.
    name_match_weight: float = 1.0
    # In the name match, a name's first word also counts as matched when it is what the
    # query's leading verb calls that action in a name (`VERB_NAMES`: "Returns the
    # session's adapter" spells the `get` of `get_adapter`; "returns" is a stop word,
    # and no other ranker pairs it with `get`). Function queries +0.005 MRR@10 on the
    # tuning corpora, +0.003 held-out; class queries unchanged (bench/README.md, eighth
    # round).
    verb_match: bool = True
    # Weight of the description ranker: the definitions whose description (name, owner
    # and parameter words, `chunks.describe`) is nearest the query, by its own vector.
    describe_weight: float = 1.0


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
    if ranking.query_stop_words:
        text_query = " ".join(w for w in text_query.split() if w.lower().strip(".,;:") not in STOP)
    rankers: list[tuple[str, float, Ranked]] = []
    # The BM25 searches are started first and waited for after the vector rankers:
    # LanceDB runs them without the GIL while this thread embeds the query and scans
    # the vectors (bench/README.md, "Search latency").
    bm25: PendingSearches | None = None
    if mode in ("hybrid", "text"):
        code_query = text_query
        if ranking.joined_words:
            code_query = " ".join([text_query, *joined_pairs(query)])
        searches = [(code_query, want, filters, ranking.text_field)]
        if ranking.name_field:
            searches.append((text_query, want, filters, "terms"))
        bm25 = chunks.start_text_searches(searches)
    note = ""
    vector_rankers: list[tuple[str, float, Ranked]] = []
    cancel.check()
    if mode in ("hybrid", "vector") and semantic is not None:
        try:
            embedded = query
            if ranking.embed_stop_words:
                embedded = " ".join(w for w in query.split() if w.lower() not in STOP) or query
            near, described = _vector_matches(semantic, chunks, embedded, want, filters)
            vector_rankers.append(("vector", ranking.vector_weight, near))
            vector_rankers.append(("describe", ranking.describe_weight, described))
        except Exception as exc:  # a broken model must not take text search down with it
            log.warning("vector search failed: %s", exc)
            note = f"vector search unavailable: {exc}; ranked by text and symbol names only"
            semantic = None
    if bm25 is not None:
        text, *names = bm25()
        rankers.append(("text", ranking.text_weight, [(r, r["_score"]) for r in text]))
        if ranking.name_field:
            rankers.append(("symbol", ranking.name_weight, [(r, r["_score"]) for r in names[0]]))
        else:
            names_ranked = _symbol_matches(graph, chunks, query, want, filters)
            rankers.append(("symbol", ranking.name_weight, names_ranked))
    rankers.extend(vector_rankers)
    cancel.check()
    fused = _fuse(rankers, ranking)
    if ranking.vector_fill and semantic is not None:
        near = next((r for name, _, r in rankers if name == "vector"), [])
        _fill_vectors(fused, semantic, query, near, ranking)
    if ranking.name_match_weight:
        verbs = leading_verb_names(query) if ranking.verb_match else frozenset()
        _name_match(fused, query, ranking.name_match_weight, verbs)
    _adjust(fused, query, ranking)
    if ranking.caller_weight:
        _caller_prior(graph, fused, ranking.caller_weight)
    candidates = _group(fused, ranking.group_names) if ranking.group_symbols else [*fused.values()]
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
        spread = _deviation(scores) if ranking.fusion == "spread" else 0.0
        for rank, (row, score) in enumerate(ranked):
            if ranking.fusion == "rrf":
                part = 1.0 / (ranking.rrf_k + rank + 1)
            elif ranking.fusion == "spread":
                # Over sqrt(12) standard deviations: an evenly spread list's best is 1,
                # as under min-max; a best far above the rest is more.
                part = (score - low) / (spread * SPREAD_UNIT) if spread > 0 else 1.0
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


def joined_pairs(query: str) -> list[str]:
    """Each pair of neighbouring words of the query (short and prose words aside) run
    together, once each: "the app context" -> appcontext, as a camelCase name is one
    token of code to the full-text index."""
    words = [w for w in identifier_words(query) if len(w) > 2 and w not in STOP]
    return list(dict.fromkeys(a + b for a, b in itertools.pairwise(words)))


def _deviation(scores: Sequence[float]) -> float:
    """The standard deviation of a ranker's candidates' scores."""
    mean = sum(scores) / len(scores)
    return math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))


def _fill_vectors(
    fused: dict[str, _Candidate],
    semantic: SemanticIndex,
    query: str,
    near: Ranked,
    ranking: Ranking,
) -> None:
    """Give the candidates that the vector ranker did not return their vector part too,
    from their own similarity, on the vector ranker's scale."""
    if not near or ranking.vector_weight == 0.0:
        return
    missing = [c for c in fused.values() if "vector" not in c.sources]
    if not missing:
        return
    high, low = max(s for _, s in near), min(s for _, s in near)
    similarity = semantic.similarities(query, [c.row["text_hash"] for c in missing])
    for candidate in missing:
        sim = similarity.get(candidate.row["text_hash"])
        if sim is None:
            continue
        part = (sim - low) / (high - low) if high > low else 0.0
        candidate.score += ranking.vector_weight * min(1.0, max(ranking.vector_floor, part))


def leading_verb_names(query: str) -> frozenset[str]:
    """The words a name opens with for the action the query's first word names
    (`VERB_NAMES`; "Returns the ..." -> get, fetch, ...), or none."""
    first = query.split(maxsplit=1)[0].lower().strip(".,:;!?\"'`*") if query.strip() else ""
    return VERB_NAMES.get(first, frozenset())


def _name_match(
    fused: dict[str, _Candidate], query: str, weight: float, verbs: frozenset[str] = frozenset()
) -> None:
    """Add `weight` times the share of each candidate's own name words that some query
    word matches (see `words_match`); a name's first word matches too when it is one of
    `verbs` (`leading_verb_names`)."""
    probes = [w for w in dict.fromkeys(identifier_words(query)) if w not in STOP]
    if not probes and not verbs:
        return
    # Candidates share names and names share words: each word is matched once, against
    # the probes with its first letter (no other can match).
    by_initial: dict[str, list[str]] = {}
    for probe in probes:
        by_initial.setdefault(probe[0], []).append(probe)
    matched: dict[str, bool] = {}
    shares: dict[str, float] = {}
    for candidate in fused.values():
        row = candidate.row
        if row["kind"] == "module":
            continue
        # The local id's last part: dotted in every language (a qualified name is not:
        # `crate::a::Type::f`).
        name = row["symbol_id"].partition("#")[2].partition("@")[0].rpartition(".")[2]
        share = shares.get(name)
        if share is None:
            words = identifier_words(name)
            for w in words:
                if w not in matched:
                    matched[w] = any(words_match(w, p) for p in by_initial.get(w[0], ()))
            hits = sum(matched[w] for w in words)
            if words and not matched[words[0]] and words[0] in verbs:
                hits += 1
            share = shares[name] = hits / len(words) if words else 0.0
        candidate.score += weight * share


def words_match(a: str, b: str) -> bool:
    """Whether two lower-case words are the same word as far as a name is concerned:
    equal, one a prefix of the other (at least 3 letters: `iter`, iterable), sharing
    a stem (their first 5 letters, or all but the shorter one's last and at least 4:
    normalize ~ normalization, parse ~ parsing), or one edit apart when both have 5
    letters or more (a typo). Words that start differently never match."""
    if a == b:
        return True
    if a[:1] != b[:1]:
        return False
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 3 and long.startswith(short):
        return True
    common = next(
        (i for i, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short)
    )
    if common >= 5 or (common >= 4 and common >= len(short) - 1):
        return True
    return len(short) >= 5 and len(long) - len(short) <= 1 and _one_edit(short, long)


def _one_edit(short: str, long: str) -> bool:
    """Whether `long` is `short` with one letter changed, added or dropped, or two
    neighbours swapped."""
    if len(short) == len(long):
        diff = [i for i, (x, y) in enumerate(zip(short, long, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        i = diff[0] if len(diff) == 2 else -1
        return i >= 0 and diff[1] == i + 1 and short[i] == long[i + 1] and short[i + 1] == long[i]
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def _adjust(fused: dict[str, _Candidate], query: str, ranking: Ranking) -> None:
    """Demote test code (unless the query is about tests) and class outlines whose own
    members are candidates too."""
    about_tests = any(w.startswith("test") for w in identifier_words(query))
    if ranking.test_factor != 1.0 and not about_tests:
        for candidate in fused.values():
            if is_test_path(candidate.row["path"]):
                candidate.score *= ranking.test_factor
    names_thing = ranking.query_form and names_a_thing(query)
    if names_thing and ranking.thing_outline_factor != 1.0:
        for candidate in fused.values():
            if candidate.row["kind"] in OUTLINE_KINDS:
                candidate.score *= ranking.thing_outline_factor
    if ranking.outline_factor != 1.0 and not names_thing:
        symbols = {c.row["symbol_id"] for c in fused.values()}
        parents = {sid.rpartition(".")[0] for sid in symbols if "#" in sid}
        for candidate in fused.values():
            row = candidate.row
            if row["kind"] in OUTLINE_KINDS and row["symbol_id"] in parents:
                candidate.score *= ranking.outline_factor


def names_a_thing(query: str) -> bool:
    """Whether a query opens with an article, naming a thing rather than an action."""
    first = query.split(maxsplit=1)[0].lower() if query.strip() else ""
    return first in ARTICLES


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


def _group(fused: dict[str, _Candidate], by_name: bool = False) -> list[_Candidate]:
    """One candidate per symbol, its best chunk's; module-level code stays per chunk
    (one module's separate runs of statements are not one thing). With `by_name`, the
    definitions of one name in one file are one hit too (`@overload` stubs and their
    implementation, a property's getter and setter), shown as the longest of them
    (the implementation, not a stub) with the best score among them."""
    best: dict[str, _Candidate] = {}
    out: list[_Candidate] = []
    for candidate in fused.values():
        row = candidate.row
        if row["kind"] == "module":
            out.append(candidate)
            continue
        key = row["symbol_id"].partition("@")[0] if by_name else row["symbol_id"]
        held = best.get(key)
        if held is None:
            best[key] = candidate
            continue
        if held.row["symbol_id"] == row["symbol_id"]:
            winner, other = (candidate, held) if candidate.score > held.score else (held, candidate)
        else:
            winner, other = (
                (candidate, held) if _length(row) > _length(held.row) else (held, candidate)
            )
            winner.score = max(winner.score, other.score)
        winner.pieces += other.pieces
        winner.sources.extend(s for s in other.sources if s not in winner.sources)
        best[key] = winner
    return out + list(best.values())


def _length(row: dict[str, Any]) -> int:
    return int(row["end_line"]) - int(row["start_line"])


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
) -> tuple[Ranked, Ranked]:
    """Chunks whose text is nearest the query, and chunks whose definition's description
    is, each with its cosine similarity, nearest first. Both kinds of text share one
    vector table, so twice `want` are read."""
    filtered = filters is not None and filters.expr() is not None
    near = semantic.nearest(query, 2 * want * (FILTERED_OVERFETCH if filtered else 1))
    rank = {text_hash: i for i, (text_hash, _) in enumerate(near)}
    similarity = {text_hash: 1.0 - distance for text_hash, distance in near}
    rows = chunks.by_hashes(list(rank), filters, ("text_hash", "desc_hash"))
    out: list[Ranked] = []
    for column in ("text_hash", "desc_hash"):
        mine = [row for row in rows if row[column] in rank]
        mine.sort(key=lambda r: (rank[r[column]], r["path"], r["start_line"]))
        out.append([(row, similarity[row[column]]) for row in mine[:want]])
    return out[0], out[1]


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
