"""kenning's own protocol: every `kenning/*` method and notification, declared once.

Params and results are msgspec structs, camelCase on the wire. The LSP server and the
HTTP endpoint decode params with `decode_params` and encode results with `encode`;
`docs/protocol.md` documents each struct field by field, and the VS Code extension's
`protocol.ts` mirrors this module (a test fails when either drifts).

Positions follow LSP: 0-based lines, columns in UTF-16 code units.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec

# -- shared shapes ----------------------------------------------------------------


class Position(msgspec.Struct, frozen=True):
    line: int
    character: int


class Range(msgspec.Struct, frozen=True):
    start: Position
    end: Position


class TextDocumentIdentifier(msgspec.Struct, frozen=True):
    uri: str


class Node(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    """A symbol in results: a definition, or an external placeholder (no `uri`)."""

    id: str
    name: str
    qualname: str
    kind: str
    uri: str | None
    range: Range
    selection_range: Range
    signature: str = ""


class _Target(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    """Names the symbol a request is about: a position in a document (the symbol under
    the cursor, or the function around it) or a symbol's name or id."""

    text_document: TextDocumentIdentifier | None = None
    position: Position | None = None
    symbol: str | None = None

    def __post_init__(self) -> None:
        by_position = self.text_document is not None or self.position is not None
        if by_position and self.symbol is not None:
            raise ValueError("give either textDocument+position or symbol, not both")
        if by_position and (self.text_document is None or self.position is None):
            raise ValueError("a position needs both textDocument and position")
        if not by_position and not (self.symbol or "").strip():
            raise ValueError("name the symbol: textDocument+position, or symbol")


# -- kenning/search ---------------------------------------------------------------

SearchMode = Literal["hybrid", "text", "vector"]
MAX_LIMIT = 200


class SearchFilters(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    languages: list[str] = msgspec.field(default_factory=list)
    # gitignore-style patterns, relative to the workspace folder.
    path_globs: list[str] = msgspec.field(default_factory=list)
    kinds: list[str] = msgspec.field(default_factory=list)


class SearchParams(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    query: str
    limit: int = 10
    filters: SearchFilters = msgspec.field(default_factory=SearchFilters)
    mode: SearchMode = "hybrid"

    def __post_init__(self) -> None:
        if not self.query.strip():
            raise ValueError("query must not be empty")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")


class SearchHit(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    uri: str
    range: Range
    symbol: str
    symbol_id: str
    kind: str
    language: str
    snippet: str
    score: float
    # Which rankers found it: "text" (BM25), "symbol" (name match), "vector".
    sources: list[str]


class SearchResult(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    query: str
    hits: list[SearchHit]
    # Every chunk had a vector when the search ran; until then results are partly
    # text-only.
    vectors_complete: bool
    vector_coverage: float
    # Why a ranker was left out (the model failed to load, say); empty when all ran.
    note: str = ""


# -- kenning/callGraph and kenning/impact ------------------------------------------

Direction = Literal["incoming", "outgoing", "both"]


MAX_DEPTH = 10


def _check_depth(depth: int) -> None:
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH}")


def _check_confidence(value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError("minConfidence must be between 0 and 1")


class CallGraphParams(_Target, frozen=True, kw_only=True):
    direction: Direction = "both"
    depth: int = 1
    # Edges less certain than this are neither shown nor followed; 0 keeps them all.
    min_confidence: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_depth(self.depth)
        _check_confidence(self.min_confidence)


class Edge(msgspec.Struct, frozen=True, kw_only=True):
    caller: str
    callee: str
    # The call site: the callee expression in the caller's file.
    uri: str
    range: Range
    # How the call was resolved (local, same-file, self, import, typed, override,
    # abstract, callback, property, protocol, decorator, name-only, candidate,
    # builtin, external, unresolved) and how sure that is, in [0, 1].
    resolution: str
    confidence: float


class CallGraphResult(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    root: Node
    direction: Direction
    depth: int
    nodes: list[Node]
    # Every edge but the `candidate` ones, which come apart: definitions a name could
    # mean when nothing tells which, not resolved calls.
    edges: list[Edge]
    candidates: list[Edge]
    min_confidence: float


class ImpactParams(_Target, frozen=True, kw_only=True):
    depth: int = 3
    # Edges less certain than this are not followed; 0 follows them all.
    min_confidence: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_depth(self.depth)
        _check_confidence(self.min_confidence)


class ImpactCaller(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    symbol: Node
    # Calls between this caller and the root (1: calls it directly).
    distance: int
    # Where this caller calls the next symbol towards the root.
    call_sites: list[Range]
    # The resolution kind of this caller's own call on its most certain chain to the
    # root, and that chain's confidence (the product of its edges' confidences).
    resolution: str
    confidence: float


class ImpactFile(msgspec.Struct, frozen=True, kw_only=True):
    uri: str
    callers: list[ImpactCaller]


class ImpactResult(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    root: Node
    depth: int
    # Callers with a chain of resolved calls to the root, by file.
    files: list[ImpactFile]
    # Callers whose every chain passes through a `candidate` edge, by file, apart.
    candidates: list[ImpactFile]
    # Callers in `files` and `candidates` together.
    total_callers: int
    min_confidence: float


# -- kenning/status (request and notification) -------------------------------------

Phase = Literal["starting", "indexing", "embedding", "idle", "read-only", "error"]
Health = Literal["ok", "warning", "error"]


class StatusParams(msgspec.Struct, frozen=True):
    pass


class StatusCounts(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    phase: Phase
    health: Health
    message: str
    files: int
    symbols: int
    chunks: int
    embedded: int
    pending: int
    failed: int
    # Texts embedded per second by the current (or last) embedding run.
    throughput: float


class FolderStatus(StatusCounts, frozen=True, rename="camel", kw_only=True):
    uri: str
    embedding_paused: bool
    read_only: bool


class StatusResult(StatusCounts, frozen=True, rename="camel", kw_only=True):
    """Totals over the workspace folders; the worst phase and health win."""

    folders: list[FolderStatus]


# -- workspace/executeCommand ------------------------------------------------------


class CommandResult(msgspec.Struct, frozen=True, kw_only=True):
    """What `kenning.reindex`, `kenning.pauseEmbedding` and `kenning.resumeEmbedding`
    return: one line for the user, and the folders or files it covered."""

    message: str
    targets: list[str]


# -- kenning/symbols ----------------------------------------------------------------


class SymbolsParams(msgspec.Struct, frozen=True, kw_only=True):
    # A name, a dotted suffix or a qualified name; fuzzy when few names contain it.
    query: str
    limit: int = 20

    def __post_init__(self) -> None:
        if not self.query.strip():
            raise ValueError("query must not be empty")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")


class SymbolsResult(msgspec.Struct, frozen=True, kw_only=True):
    symbols: list[Node]


# -- kenning/describe ----------------------------------------------------------------

MAX_DEFINITIONS = 20
MAX_CODE_CHARS = 20000
MAX_NEIGHBOURS = 50


class DescribeParams(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    # A qualified name, a dotted suffix, a bare name or a symbol id.
    symbol: str
    # Definitions to describe when several share the name.
    limit: int = 5
    # Each definition's code is cut at a line boundary past this many characters.
    max_code_chars: int = 4000
    # Callers and callees listed per definition.
    neighbours: int = 5

    def __post_init__(self) -> None:
        if not self.symbol.strip():
            raise ValueError("symbol must not be empty")
        if not 1 <= self.limit <= MAX_DEFINITIONS:
            raise ValueError(f"limit must be between 1 and {MAX_DEFINITIONS}")
        if not 1 <= self.max_code_chars <= MAX_CODE_CHARS:
            raise ValueError(f"maxCodeChars must be between 1 and {MAX_CODE_CHARS}")
        if not 0 <= self.neighbours <= MAX_NEIGHBOURS:
            raise ValueError(f"neighbours must be between 0 and {MAX_NEIGHBOURS}")


class SymbolDetail(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    symbol: Node
    docstring: str
    # The definition as indexed (a class: its outline), from line `codeLine` on.
    code: str
    code_line: int
    truncated: bool
    callers: list[Node]
    callees: list[Node]
    caller_count: int
    callee_count: int


class DescribeResult(msgspec.Struct, frozen=True, kw_only=True):
    query: str
    symbols: list[SymbolDetail]
    total: int
    # Close matches when nothing matched; the ids of the definitions past `limit`.
    suggestions: list[str]


# -- the commands as requests (for HTTP clients, which have no executeCommand) -------


class ReindexParams(msgspec.Struct, frozen=True, kw_only=True):
    # File or folder URIs inside the workspace; none: every workspace folder.
    uris: list[str] = msgspec.field(default_factory=list)


class EmbeddingParams(msgspec.Struct, frozen=True):
    pass


# -- kenning/peer/document: a second daemon forwards its editor's buffers ----------

PeerEvent = Literal["open", "change", "save", "close", "detach"]


class PeerDocumentParams(msgspec.Struct, frozen=True, kw_only=True):
    # Names the forwarding daemon's editor session; "detach" closes all its buffers.
    session: str
    event: PeerEvent
    uri: str = ""
    # The buffer's whole text, for "open" and "change".
    text: str | None = None
    version: int = 0


class Empty(msgspec.Struct, frozen=True):
    pass


# -- kenning/peer/hierarchy and kenning/peer/calls: a second daemon's call hierarchy --


class HierarchyParams(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    """The symbols a call hierarchy starts from: those at a position."""

    text_document: TextDocumentIdentifier
    position: Position


class HierarchyResult(msgspec.Struct, frozen=True, kw_only=True):
    nodes: list[Node]


class CallsParams(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    """One call hierarchy item's callers (`incoming`) or callees."""

    symbol_id: str
    incoming: bool
    # Calls less certain than this are left out; 0 keeps them all.
    min_confidence: float = 0.0

    def __post_init__(self) -> None:
        _check_confidence(self.min_confidence)


class Call(msgspec.Struct, frozen=True, kw_only=True):
    # The caller (incoming) or callee, and the call sites in the caller's file.
    node: Node
    ranges: list[Range]
    # Its most certain call's resolution kind and confidence (`candidate` calls last).
    resolution: str
    confidence: float


class CallsResult(msgspec.Struct, frozen=True, kw_only=True):
    calls: list[Call]


# -- the method table -----------------------------------------------------------------


class Method(msgspec.Struct, frozen=True):
    name: str
    params: type[msgspec.Struct]
    result: type[msgspec.Struct]


SEARCH = Method("kenning/search", SearchParams, SearchResult)
CALL_GRAPH = Method("kenning/callGraph", CallGraphParams, CallGraphResult)
IMPACT = Method("kenning/impact", ImpactParams, ImpactResult)
STATUS = Method("kenning/status", StatusParams, StatusResult)
SYMBOLS = Method("kenning/symbols", SymbolsParams, SymbolsResult)
DESCRIBE = Method("kenning/describe", DescribeParams, DescribeResult)
REINDEX_REQUEST = Method("kenning/reindex", ReindexParams, CommandResult)
PAUSE_REQUEST = Method("kenning/pauseEmbedding", EmbeddingParams, CommandResult)
RESUME_REQUEST = Method("kenning/resumeEmbedding", EmbeddingParams, CommandResult)

# Served over LSP and HTTP alike.
REQUESTS = (SEARCH, CALL_GRAPH, IMPACT, STATUS, SYMBOLS, DESCRIBE, REINDEX_REQUEST,
            PAUSE_REQUEST, RESUME_REQUEST)  # fmt: skip
# HTTP only, for a second `kenning serve` on the owner's workspace; it also forwards the
# standard requests named in `FORWARDED_LSP_REQUESTS`.
PEER_DOCUMENT = Method("kenning/peer/document", PeerDocumentParams, Empty)
PEER_HIERARCHY = Method("kenning/peer/hierarchy", HierarchyParams, HierarchyResult)
PEER_CALLS = Method("kenning/peer/calls", CallsParams, CallsResult)
# Methods only a second daemon sends (to the owner of a folder it has open).
PEER_REQUESTS = (PEER_DOCUMENT, PEER_HIERARCHY, PEER_CALLS)
# Server -> client: the `kenning/status` request's result, whenever phase or counts move.
STATUS_NOTIFICATION = "kenning/status"

REINDEX = "kenning.reindex"
PAUSE_EMBEDDING = "kenning.pauseEmbedding"
RESUME_EMBEDDING = "kenning.resumeEmbedding"
COMMANDS = (REINDEX, PAUSE_EMBEDDING, RESUME_EMBEDDING)


class InvalidParams(ValueError):
    """Params that do not decode; the message says which field and why."""


T = TypeVar("T", bound=msgspec.Struct)


def decode_params(raw: Any, params_type: type[T]) -> T:
    """Params as received (a dict, or None for none) -> the typed struct. An empty
    array counts as none too: Lua clients cannot tell `{}` from `[]`."""
    if raw is None or raw == []:
        raw = {}
    try:
        return msgspec.convert(raw, params_type)
    except (msgspec.ValidationError, ValueError, TypeError) as error:
        raise InvalidParams(f"invalid params: {error}") from None


def plain(value: Any) -> Any:
    """pygls turns the JSON objects of methods it does not know into namedtuples (an
    empty one for `{}`), on the server and the client side alike: back to dicts and
    lists, as sent."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def encode(value: msgspec.Struct) -> Any:
    """A result struct -> plain JSON-ready builtins (camelCase keys)."""
    return msgspec.to_builtins(value)
