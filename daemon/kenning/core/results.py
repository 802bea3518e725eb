"""What queries answer with: plain structs the engine returns and every front end renders."""

from __future__ import annotations

import msgspec

from kenning.core.facts import Span


class SymbolRef(msgspec.Struct, frozen=True, kw_only=True):
    """A definition, or an external placeholder (kind "external", path "")."""

    id: str
    name: str
    qualname: str
    kind: str
    path: str
    span: Span
    selection: Span
    signature: str = ""


class SearchHit(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    start_line: int  # 0-based
    end_line: int  # 0-based, inclusive
    symbol: str  # qualified name
    symbol_id: str
    kind: str
    language: str
    snippet: str
    score: float
    # Which rankers found it: "text" (BM25), "symbol" (name match), "vector".
    sources: tuple[str, ...] = ()


class SearchResult(msgspec.Struct, frozen=True, kw_only=True):
    query: str
    hits: list[SearchHit]
    # True when every chunk text had a vector under the model search used; until then
    # chunks without one are found by text and symbol names only.
    vectors_complete: bool = False
    # The share of chunk texts with a vector (0.0 before any embedding).
    vector_coverage: float = 0.0
    # Why a ranker was left out (the model failed to load, say); empty when all ran.
    note: str = ""


class CallEdge(msgspec.Struct, frozen=True, kw_only=True):
    caller: str  # symbol id
    callee: str  # symbol id (ext:... for external placeholders)
    path: str  # file of the call site
    span: Span  # the callee expression at the call site
    resolution: str
    confidence: float


class CallGraph(msgspec.Struct, frozen=True, kw_only=True):
    root: SymbolRef
    direction: str  # incoming | outgoing | both
    depth: int
    nodes: list[SymbolRef]
    # Resolved edges (every kind but `candidate`), and apart from them the `candidate`
    # edges: definitions a name could mean, which are not presented as resolved.
    edges: list[CallEdge]
    candidates: list[CallEdge] = []
    # The lowest confidence an edge needed to be followed (0: every edge).
    min_confidence: float = 0.0


class Neighbour(msgspec.Struct, frozen=True, kw_only=True):
    """A direct caller or callee (call hierarchy) with its call sites and its best edge:
    the resolution kind and confidence of its most certain call."""

    symbol: SymbolRef
    sites: list[Span]
    resolution: str
    confidence: float


class ImpactCaller(msgspec.Struct, frozen=True, kw_only=True):
    symbol: SymbolRef
    # Calls between this caller and the root (1: calls it directly).
    distance: int
    # Where it calls the next symbol towards the root.
    sites: list[Span]
    # The most certain chain of calls from it to the root: the product of its edges'
    # confidences, and the resolution kind of its own edge on that chain. `candidate`
    # when every chain passes through a candidate edge (a guess by name).
    confidence: float = 1.0
    resolution: str = ""


class Impact(msgspec.Struct, frozen=True, kw_only=True):
    """The transitive callers of `root` (the blast radius of changing it)."""

    root: SymbolRef
    depth: int
    callers: list[ImpactCaller]
    min_confidence: float = 0.0


class SymbolDetail(msgspec.Struct, frozen=True, kw_only=True):
    """One definition as an agent reads it: what it is, its code and its neighbours."""

    symbol: SymbolRef
    docstring: str
    # The definition's source as indexed (a class: its outline), cut at a line boundary
    # once it passes the size asked for; `truncated` says so.
    code: str
    code_start_line: int  # 0-based
    truncated: bool
    # The first few distinct callers and callees, in call-site order; the counts are of
    # all of them. Callees include external targets.
    callers: list[SymbolRef]
    callees: list[SymbolRef]
    caller_count: int
    callee_count: int


class Description(msgspec.Struct, frozen=True, kw_only=True):
    """What a name denotes: its definitions (several when a bare name is shared), or
    none and close matches to try."""

    query: str
    symbols: list[SymbolDetail]
    # Definitions the name matched; more than `symbols` holds when it was cut at a limit.
    total: int
    suggestions: list[str]


# -- status ---------------------------------------------------------------------------


class EmbeddingRun(msgspec.Struct, frozen=True, kw_only=True):
    """The last embedding run of a model."""

    state: str
    embedded: int
    failed: int
    throughput: float
    started_at: float
    updated_at: float


class EmbeddingFailure(msgspec.Struct, frozen=True, kw_only=True):
    text_hash: str
    attempts: int
    error: str


class EmbeddingStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Phase 2 as the status store and the pool see it: the one place the daemon,
    the CLI and the editors read embedding progress from."""

    enabled: bool
    model: str
    model_id: str | None
    active_model_id: str | None
    # The pool's own state (idle, preparing, running, ...); None: no pool in this process.
    state: str | None
    total: int = 0
    done: int = 0
    # Waiting or being embedded.
    pending: int = 0
    failed: int = 0
    coverage: float = 0.0
    vector_search: str = "exact"
    last_run: EmbeddingRun | None = None
    failures: list[EmbeddingFailure] = msgspec.field(default_factory=list)
    # Something the user should know (a model switch half done, ...), else "".
    note: str = ""

    @property
    def last_throughput(self) -> float:
        return self.last_run.throughput if self.last_run is not None else 0.0


class IndexStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One index's counts, kept by its stores (cheap to read)."""

    workspace: str
    index: str
    files: int
    symbols: int
    calls: int
    call_resolution: dict[str, int]
    imports: int
    inherits: int
    diagnostics: int
    chunks: int
    embedding: EmbeddingStatus
    # The process that writes the index, for a reader; None when this one does.
    owner: str | None
