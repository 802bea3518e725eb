"""The index as queries see it: the persisted stores with recent changes laid over them.

A save is visible as soon as it is parsed and resolved: the writer publishes the
changed files' rows in memory (`RecentFiles`, an immutable snapshot replaced whole)
and writes the persisted stores behind, in batches (`pipeline/write_behind.py`).
`LayeredGraph` and `LayeredChunks` answer the read methods of `GraphStore` and
`ChunkStore` that queries use, from both layers:

- a file in the recent layer hides every persisted row of that file (its symbols, the
  call edges from its symbols, its chunks) and brings its own; a deleted file brings
  none, so a renamed symbol's old name is gone from every answer;
- edges of other files that the recent changes re-resolved (`Rewire`) hide the
  persisted edges of the same call site;
- a persisted read that loses rows to hiding is read again, larger, until it has as
  many as asked for or the store has no more.

When nothing is recent, the engine hands queries the stores themselves.

Chunks of the recent layer have no BM25 score in the persisted full-text index. They
are scored by the same formula over the words LanceDB's simple tokenizer finds, with
the term statistics of the candidates at hand, and put on the persisted scores' scale
by a least-squares fit over the persisted candidates (whose rows carry both scores).
Their vectors exist when the same text was embedded before; new texts join the vector
ranker once written and embedded, as any new chunk does.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from kenning.core.facts import CallSite, FileFacts, Span
from kenning.core.graph import EXTERNAL_PREFIX, ResolvedFile, Target, makes_call_edge
from kenning.core.results import CallEdge, SymbolRef
from kenning.storage.chunks import (
    HIT_COLUMNS,
    ChunkFilter,
    PendingSearches,
    TextSearch,
    name_terms,
    split_words_column,
)
from kenning.storage.graph import FileRecord, Rewire, Site, in_order, site_of

# How much larger each repeated persisted read is when hiding left it short.
REFETCH_GROWTH = 4
# BM25's usual constants (LanceDB's full-text index uses these too).
BM25_K1 = 1.2
BM25_B = 0.75


class GraphReader(Protocol):
    """The graph store's reads that queries use (`GraphStore`, `LayeredGraph`)."""

    def may_match(self, needle: str, letters: bool = False) -> bool: ...
    def find_symbols(self, text: str, limit: int) -> list[SymbolRef]: ...
    def find_symbols_fuzzy(self, pattern: str, limit: int) -> list[SymbolRef]: ...
    def names_containing(self, words: Sequence[str], limit: int) -> list[tuple[str, str, str]]: ...
    def symbols_by_ids(self, ids: Sequence[str]) -> list[SymbolRef]: ...
    def docstrings(self, ids: Sequence[str]) -> dict[str, str]: ...
    def symbols_in_file(self, path: str) -> list[SymbolRef]: ...
    def calls_on_line(self, path: str, line: int) -> list[tuple[str, Span]]: ...
    def call_edges(self, ids: Sequence[str], incoming: bool) -> list[CallEdge]: ...
    def caller_counts(self, ids: Sequence[str]) -> dict[str, int]: ...
    def catalog_paths(self) -> list[str]: ...


class ChunkReader(Protocol):
    """The chunk table's reads that queries use (`ChunkStore`, `LayeredChunks`)."""

    def search_text(
        self, query: str, limit: int, filters: ChunkFilter | None = None, field: str = "words"
    ) -> list[dict[str, Any]]: ...
    def start_text_searches(self, searches: Sequence[TextSearch]) -> PendingSearches: ...
    def by_hashes(
        self,
        hashes: Sequence[str],
        filters: ChunkFilter | None = None,
        columns: Sequence[str] = ("text_hash",),
    ) -> list[dict[str, Any]]: ...
    def by_symbols(
        self, symbol_ids: Sequence[str], filters: ChunkFilter | None = None
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class RecentFile:
    """One file as the recent layer holds it; `facts` None: the file was deleted."""

    path: str
    record: FileRecord | None
    facts: FileFacts | None
    resolved: ResolvedFile | None
    # Its chunk rows, every column of the chunk table.
    chunks: tuple[dict[str, Any], ...] = ()


@dataclass(slots=True)
class _Edges:
    incoming: dict[str, list[CallEdge]] = field(default_factory=dict)
    outgoing: dict[str, list[CallEdge]] = field(default_factory=dict)

    def add(self, edge: CallEdge) -> None:
        self.incoming.setdefault(edge.callee, []).append(edge)
        self.outgoing.setdefault(edge.caller, []).append(edge)


def _targets(target: Target) -> tuple[Target, ...]:
    return (target, *target.more)


class RecentFiles:
    """An immutable snapshot of the recent layer, with what reads need indexed."""

    def __init__(
        self, files: Mapping[str, RecentFile] | None = None, rewires: Iterable[Rewire] = ()
    ) -> None:
        self.files: dict[str, RecentFile] = dict(files or {})
        self.rewires: list[Rewire] = list(rewires)
        self.symbols: dict[str, SymbolRef] = {}
        self.docs: dict[str, str] = {}
        self.by_file: dict[str, list[SymbolRef]] = {}
        self.edges = _Edges()
        self.file_calls: dict[str, list[CallEdge]] = {}
        # Call sites of other files whose persisted edges a rewire replaces.
        self.rewired_sites: set[Site] = set()
        self.rewired_by_path: dict[str, list[CallEdge]] = {}
        self.chunks: list[dict[str, Any]] = []
        # The tokens of each of `chunks` per full-text field, made by the first search
        # of the field (every search scores every recent chunk that passes its filters).
        self._chunk_tokens: dict[str, list[list[str]]] = {}
        for recent in self.files.values():
            self._add_file(recent)
        for rw in self.rewires:
            self.rewired_sites.add(rw.edge.site)
            fact = rw.edge.fact
            if not isinstance(fact, CallSite) or not makes_call_edge(fact, rw.target):
                continue
            for target in _targets(rw.target):
                edge = CallEdge(
                    caller=rw.edge.src,
                    callee=target.id,
                    path=rw.edge.path,
                    span=rw.edge.fact.span,
                    resolution=str(target.resolution),
                    confidence=float(target.confidence),
                )
                self.edges.add(edge)
                self.rewired_by_path.setdefault(rw.edge.path, []).append(edge)

    def _add_file(self, recent: RecentFile) -> None:
        facts, resolved = recent.facts, recent.resolved
        self.chunks.extend(recent.chunks)
        if facts is None or resolved is None:
            return
        refs = self.by_file.setdefault(recent.path, [])
        for sym in facts.symbols:
            ref = SymbolRef(
                id=sym.id,
                name=sym.name,
                qualname=sym.qualname,
                kind=str(sym.kind),
                path=recent.path,
                span=sym.span,
                selection=sym.selection,
                signature=sym.signature or "",
            )
            self.symbols[sym.id] = ref
            refs.append(ref)
            if sym.docstring:
                self.docs[sym.id] = sym.docstring
        calls = self.file_calls.setdefault(recent.path, [])
        for call, target in zip(facts.calls, resolved.calls, strict=True):
            if not makes_call_edge(call, target):
                continue  # as the store writes them
            for t in _targets(target):
                edge = CallEdge(
                    caller=call.caller,
                    callee=t.id,
                    path=recent.path,
                    span=call.span,
                    resolution=str(t.resolution),
                    confidence=float(t.confidence),
                )
                self.edges.add(edge)
                calls.append(edge)

    def __bool__(self) -> bool:
        return bool(self.files or self.rewires)

    def chunk_tokens(self, field_name: str) -> list[list[str]]:
        """The tokens of full-text field `field_name` of each of `chunks`, in order;
        made once per snapshot (two query threads may both make them, alike)."""
        made = self._chunk_tokens.get(field_name)
        if made is None:
            made = [_tokens(text) for text in _field_texts(self.chunks, field_name)]
            self._chunk_tokens[field_name] = made
        return made

    def hides(self, path: str) -> bool:
        """Whether the persisted rows of `path` are replaced by this layer's."""
        return path in self.files

    def deleted(self) -> set[str]:
        return {p for p, f in self.files.items() if f.facts is None}

    def defined(self) -> Iterable[SymbolRef]:
        return (s for s in self.symbols.values() if s.kind != "external")


EMPTY = RecentFiles()


def _refetch(
    read: Callable[[int], list[Any]],
    keep: Callable[[Any], bool],
    limit: int,
    first: list[Any] | None = None,
) -> list[Any]:
    """`read(n)` filtered by `keep`, read again larger while hiding left fewer than
    `limit` rows and the store may have more. `first`: what `read(limit)` gave, when
    the caller has it already."""
    n = limit
    rows = read(n) if first is None else first
    while True:
        kept = [r for r in rows if keep(r)]
        if len(kept) >= limit or len(rows) < n:
            return kept[:limit]
        n *= REFETCH_GROWTH
        rows = read(n)


def _external_ref(ext_id: str) -> SymbolRef:
    name = ext_id[len(EXTERNAL_PREFIX) :]
    none = Span(0, 0, 0, 0)
    return SymbolRef(
        id=ext_id,
        name=name.rsplit(".", 1)[-1],
        qualname=name,
        kind="external",
        path="",
        span=none,
        selection=none,
    )


class LayeredGraph:
    """`GraphReader` over a graph store and the recent layer."""

    def __init__(self, graph: GraphReader, recent: RecentFiles) -> None:
        self.graph = graph
        self.recent = recent

    def _persisted(self, ref: SymbolRef) -> bool:
        return not self.recent.hides(ref.path)

    def may_match(self, needle: str, letters: bool = False) -> bool:
        if self.graph.may_match(needle, letters):
            return True
        ordered = re.compile(in_order(needle))
        for sym in self.recent.defined():
            name = sym.name.lower()
            if needle in name or (letters and ordered.search(name)):
                return True
            if "." not in sym.qualname and sym.qualname.lower() == needle:
                return True
        return False

    def _symbols(
        self, read: Callable[[int], list[SymbolRef]], match: Callable[[SymbolRef], bool], limit: int
    ) -> list[SymbolRef]:
        recent = [s for s in self.recent.defined() if match(s)]
        if len(recent) >= limit:
            return recent[:limit]
        return recent + _refetch(read, self._persisted, limit - len(recent))

    def find_symbols(self, text: str, limit: int) -> list[SymbolRef]:
        needle = text.lower()

        def match(s: SymbolRef) -> bool:
            return needle in s.name.lower() or s.qualname.lower() == needle or s.id == text

        return self._symbols(lambda n: self.graph.find_symbols(text, n), match, limit)

    def find_symbols_fuzzy(self, pattern: str, limit: int) -> list[SymbolRef]:
        compiled = re.compile(pattern)
        return self._symbols(
            lambda n: self.graph.find_symbols_fuzzy(pattern, n),
            lambda s: compiled.search(s.name.lower()) is not None,
            limit,
        )

    def names_containing(self, words: Sequence[str], limit: int) -> list[tuple[str, str, str]]:
        recent = [
            (s.id, s.name, s.qualname)
            for s in self.recent.defined()
            if any(w in s.name.lower() for w in words)
        ]
        if len(recent) >= limit:
            return recent[:limit]
        ids = set(self.recent.symbols)
        persisted = self.recent.files

        def keep(row: tuple[str, str, str]) -> bool:
            # A persisted id still defined recently is the recent row's; one of a
            # recent file that the file no longer defines is gone.
            return row[0] not in ids and row[0].rpartition("#")[0] not in persisted

        rest = _refetch(lambda n: self.graph.names_containing(words, n), keep, limit - len(recent))
        return recent + rest

    def symbols_by_ids(self, ids: Sequence[str]) -> list[SymbolRef]:
        recent = self.recent.symbols
        out = [recent[i] for i in ids if i in recent]
        rest = [i for i in ids if i not in recent]
        found = [s for s in self.graph.symbols_by_ids(rest) if self._persisted(s)]
        seen = {s.id for s in found}
        # A placeholder only the recent layer points at is not in the store yet.
        missing = [i for i in rest if i.startswith(EXTERNAL_PREFIX) and i not in seen]
        return out + found + [_external_ref(i) for i in missing]

    def docstrings(self, ids: Sequence[str]) -> dict[str, str]:
        recent = self.recent.symbols
        out = self.graph.docstrings([i for i in ids if i not in recent])
        out.update({i: self.recent.docs[i] for i in ids if i in self.recent.docs})
        return out

    def symbols_in_file(self, path: str) -> list[SymbolRef]:
        if self.recent.hides(path):
            return list(self.recent.by_file.get(path, []))
        return self.graph.symbols_in_file(path)

    def calls_on_line(self, path: str, line: int) -> list[tuple[str, Span]]:
        if self.recent.hides(path):
            edges = self.recent.file_calls.get(path, [])
            return [
                (e.callee, e.span) for e in edges if e.span.start_line <= line <= e.span.end_line
            ]
        # Another file's call sites that a recent change re-resolved: the rewired
        # edges replace the persisted ones of the same site.
        rewired = self.recent.rewired_by_path.get(path, [])
        spans = {e.span for e in rewired}
        return [
            (callee, span)
            for callee, span in self.graph.calls_on_line(path, line)
            if span not in spans
        ] + [(e.callee, e.span) for e in rewired if e.span.start_line <= line <= e.span.end_line]

    def call_edges(self, ids: Sequence[str], incoming: bool) -> list[CallEdge]:
        sites = self.recent.rewired_sites
        persisted = [
            e
            for e in self.graph.call_edges(ids, incoming)
            if not self.recent.hides(e.path) and site_of("CALLS", e.caller, e.span) not in sites
        ]
        index = self.recent.edges.incoming if incoming else self.recent.edges.outgoing
        recent = [e for i in dict.fromkeys(ids) for e in index.get(i, [])]
        edges = persisted + recent
        edges.sort(key=lambda e: (e.path, e.span.start_line, e.span.start_col))
        return edges

    def caller_counts(self, ids: Sequence[str]) -> dict[str, int]:
        counts = Counter({i: 0 for i in ids})
        for edge in self.call_edges(ids, incoming=True):
            counts[edge.callee] += 1
        return {i: n for i, n in counts.items() if n}

    def catalog_paths(self) -> list[str]:
        deleted = self.recent.deleted()
        paths = [p for p in self.graph.catalog_paths() if p not in deleted]
        known = set(paths)
        paths += [p for p in self.recent.files if p not in deleted and p not in known]
        return paths


# -- chunks ---------------------------------------------------------------------------

# LanceDB's simple tokenizer: runs of letters and digits, lower-cased.
_TOKEN = re.compile(r"[^\W_]+")
_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(token: str) -> str:
    """A light English stemmer, so "parsing" meets "parse" here as it does in the
    persisted index (whose exact stemmer this need not equal: see `_calibrated`)."""
    for suffix in _SUFFIXES:
        if len(token) > len(suffix) + 2 and token.endswith(suffix):
            return token[: -len(suffix)]
    return token


# Each distinct token's stem, kept across queries: code repeats a small vocabulary
# (5.7k distinct tokens in 400 of Django's modules), so a token is stemmed once rather
# than at each of its occurrences in every candidate of every query (half the time of
# scoring a large file's chunks). Emptied when it passes `_STEMS_MAX`, so its memory is
# bounded whatever the workspace; a race between two query threads only stems a token
# twice.
_STEMS: dict[str, str] = {}
_STEMS_MAX = 1 << 17


def _tokens(text: str) -> list[str]:
    tokens = _TOKEN.findall(text.lower())
    stems = _STEMS
    missing = set(tokens).difference(stems)
    if missing:
        if len(stems) + len(missing) > _STEMS_MAX:
            stems.clear()
        for token in missing:
            stems[token] = _stem(token)
    return [stems[t] for t in tokens]


def _field_texts(rows: Sequence[dict[str, Any]], field_name: str) -> list[str]:
    """What full-text field `field_name` holds for each row."""
    if field_name == "terms":
        return [r.get("terms") or name_terms(r["symbol_id"], r["path"]) for r in rows]
    # Persisted hits carry no `text` or `words` (they are not read back): the code and
    # the symbol's name stand in for them when scoring them for the fit.
    texts = [r.get("text") or f"{r.get('qualname', '')}\n{r.get('code', '')}" for r in rows]
    if field_name != "words":
        return texts
    fields = [r.get("words") for r in rows]
    missing = [i for i, words in enumerate(fields) if not words]
    if missing:  # split in one batch: a call per row costs more than its regexes
        split = split_words_column(pa.array([texts[i] for i in missing], pa.string()))
        for i, words in zip(missing, split.to_pylist(), strict=True):
            fields[i] = words
    return [str(words) for words in fields]


def _bm25(query: list[str], docs: list[list[str]]) -> list[float]:
    """BM25 of each document for `query`, term statistics taken over `docs`."""
    if not docs:
        return []
    n = len(docs)
    average = sum(len(d) for d in docs) / n or 1.0
    counts = [Counter(d) for d in docs]
    terms = set(query)
    df = {t: sum(1 for c in counts if t in c) for t in terms}
    scores = []
    for doc, tf in zip(docs, counts, strict=True):
        score = 0.0
        for t in terms:
            f = tf.get(t, 0)
            if not f:
                continue
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            score += (
                idf * f * (BM25_K1 + 1) / (f + BM25_K1 * (1 - BM25_B + BM25_B * len(doc) / average))
            )
        scores.append(score)
    return scores


def _calibrated(
    query: str,
    persisted: list[dict[str, Any]],
    recent: list[dict[str, Any]],
    recent_tokens: list[list[str]],
    field_name: str,
) -> list[tuple[dict[str, Any], float]]:
    """The recent rows (their tokens `recent_tokens`) that match `query`, each with a
    score on the persisted scale."""
    words = _tokens(query)
    docs = [_tokens(text) for text in _field_texts(persisted, field_name)] + recent_tokens
    local = _bm25(words, docs)
    mine, theirs = local[: len(persisted)], local[len(persisted) :]
    # Least squares through the origin over the persisted candidates: lance ~ a * local.
    dot = sum(x * r["_score"] for x, r in zip(mine, persisted, strict=True) if x > 0)
    norm = sum(x * x for x in mine if x > 0)
    scale = dot / norm if norm > 0 else 1.0
    return [(row, s * scale) for row, s in zip(recent, theirs, strict=True) if s > 0]


def _passes(row: dict[str, Any], filters: ChunkFilter | None) -> bool:
    if filters is None:
        return True
    if filters.languages and row["language"] not in filters.languages:
        return False
    if filters.kinds and row["kind"] not in filters.kinds:
        return False
    return filters.paths is None or row["path"] in filters.paths


def _hit_row(row: dict[str, Any]) -> dict[str, Any]:
    """A chunk row as the store's reads return it: `HIT_COLUMNS` only."""
    return {k: row[k] for k in HIT_COLUMNS if k in row}


class LayeredChunks:
    """`ChunkReader` over the chunk table and the recent layer."""

    def __init__(self, chunks: ChunkReader, recent: RecentFiles) -> None:
        self.chunks = chunks
        self.recent = recent

    def _persisted(self, row: dict[str, Any]) -> bool:
        return not self.recent.hides(row["path"])

    def search_text(
        self, query: str, limit: int, filters: ChunkFilter | None = None, field: str = "words"
    ) -> list[dict[str, Any]]:
        persisted = _refetch(
            lambda n: self.chunks.search_text(query, n, filters, field), self._persisted, limit
        )
        return self._with_recent(query, limit, filters, field, persisted)

    def start_text_searches(self, searches: Sequence[TextSearch]) -> PendingSearches:
        """The persisted searches started together (`ChunkStore.start_text_searches`);
        one that hiding leaves short is read again, larger, when its rows are waited for."""
        first = self.chunks.start_text_searches(searches)

        def read(search: TextSearch) -> Callable[[int], list[dict[str, Any]]]:
            query, _, filters, column = search
            return lambda n: self.chunks.search_text(query, n, filters, column)

        def results() -> list[list[dict[str, Any]]]:
            out = []
            for search, rows in zip(searches, first(), strict=True):
                query, limit, filters, column = search
                kept = _refetch(read(search), self._persisted, limit, first=rows)
                out.append(self._with_recent(query, limit, filters, column, kept))
            return out

        return results

    def _with_recent(
        self,
        query: str,
        limit: int,
        filters: ChunkFilter | None,
        field: str,
        persisted: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """`persisted` (the table's hits, none of a recent file) with the recent layer's
        chunks scored on their scale, best `limit` first."""
        passing = [i for i, r in enumerate(self.recent.chunks) if _passes(r, filters)]
        if not passing or not query.strip():
            return persisted
        tokens = self.recent.chunk_tokens(field)
        recent = [self.recent.chunks[i] for i in passing]
        scored = [
            {**_hit_row(r), "_score": s}
            for r, s in _calibrated(query, persisted, recent, [tokens[i] for i in passing], field)
        ]
        merged = persisted + scored
        merged.sort(key=lambda r: -r["_score"])
        return merged[:limit]

    def by_hashes(
        self,
        hashes: Sequence[str],
        filters: ChunkFilter | None = None,
        columns: Sequence[str] = ("text_hash",),
    ) -> list[dict[str, Any]]:
        wanted = set(hashes)
        rows = [r for r in self.chunks.by_hashes(hashes, filters, columns) if self._persisted(r)]
        rows += [
            _hit_row(r)
            for r in self.recent.chunks
            if any(r.get(c) in wanted for c in columns) and _passes(r, filters)
        ]
        return rows

    def by_symbols(
        self, symbol_ids: Sequence[str], filters: ChunkFilter | None = None
    ) -> list[dict[str, Any]]:
        wanted = set(symbol_ids)
        rows = [r for r in self.chunks.by_symbols(symbol_ids, filters) if self._persisted(r)]
        rows += [
            _hit_row(r)
            for r in self.recent.chunks
            if r["symbol_id"] in wanted and _passes(r, filters)
        ]
        rows.sort(key=lambda r: (r["path"], r["start_line"]))
        return rows
