"""Call graphs: callers and callees of a symbol to a given depth, breadth first; the
transitive callers of a symbol (its impact); and the symbol under a cursor.

Every walk takes a minimum confidence: edges below it are neither shown nor followed
(0, the default, keeps every edge, unresolved ones included). `candidate` edges (a
name several definitions share, the receiver's type unknown) are kept apart from the
resolved ones in every answer, so a guess never reads like a resolved call.
"""

from __future__ import annotations

from collections.abc import Iterable

from kenning.core import cancel
from kenning.core.facts import Span
from kenning.core.graph import Resolution
from kenning.core.results import (
    CallEdge,
    CallGraph,
    Impact,
    ImpactCaller,
    Neighbour,
    SymbolRef,
)
from kenning.storage.layered import GraphReader

MAX_DEPTH = 10
# Stops a walk from a hub (`__init__`, `get`) from returning the whole workspace.
MAX_NODES = 2000
CANDIDATE = str(Resolution.CANDIDATE)


def check_min_confidence(min_confidence: float) -> None:
    if not 0.0 <= min_confidence <= 1.0:
        raise ValueError(f"minConfidence must be between 0 and 1, not {min_confidence}")


def _kept(edges: Iterable[CallEdge], min_confidence: float) -> list[CallEdge]:
    return [e for e in edges if e.confidence >= min_confidence]


def call_graph(
    graph: GraphReader, root: SymbolRef, direction: str, depth: int, min_confidence: float = 0.0
) -> CallGraph:
    """Symbols reachable from `root` along CALLS edges of at least `min_confidence`,
    `depth` steps each way asked; `candidate` edges apart from the others."""
    if direction not in ("incoming", "outgoing", "both"):
        raise ValueError(f"direction must be incoming, outgoing or both, not {direction!r}")
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH}, not {depth}")
    check_min_confidence(min_confidence)
    edges: dict[tuple[str, str, str, int, int], CallEdge] = {}
    seen = {root.id}
    for incoming in (True, False):
        if direction == ("outgoing" if incoming else "incoming"):
            continue
        frontier = [root.id]
        for _ in range(depth):
            cancel.check()
            if not frontier or len(seen) >= MAX_NODES:
                break
            next_frontier: list[str] = []
            for edge in _kept(graph.call_edges(frontier, incoming=incoming), min_confidence):
                key = (edge.caller, edge.callee, edge.path, edge.span.start_line,
                       edge.span.start_col)  # fmt: skip
                edges[key] = edge
                other = edge.caller if incoming else edge.callee
                if other not in seen:
                    seen.add(other)
                    next_frontier.append(other)
            frontier = next_frontier
    nodes = {s.id: s for s in graph.symbols_by_ids(sorted(seen))}
    found = list(edges.values())
    return CallGraph(
        root=root,
        direction=direction,
        depth=depth,
        nodes=sorted(nodes.values(), key=lambda s: (s.path, s.span.start_line, s.qualname)),
        edges=[e for e in found if e.resolution != CANDIDATE],
        candidates=[e for e in found if e.resolution == CANDIDATE],
        min_confidence=min_confidence,
    )


def impact(graph: GraphReader, root: SymbolRef, depth: int, min_confidence: float = 0.0) -> Impact:
    """Transitive callers of `root` up to `depth` calls away, along edges of at least
    `min_confidence`: the blast radius of a change. Each caller comes once, at its
    shortest distance, with the call sites through which it reaches the next symbol
    towards `root`, and how sure its best chain of calls to the root is (the product
    of the edges' confidences; `candidate` when every chain passes a candidate edge)."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH}, not {depth}")
    check_min_confidence(min_confidence)
    distance: dict[str, int] = {root.id: 0}
    sites: dict[str, list[Span]] = {}
    # Per symbol: (confidence of its best chain to the root, whether some chain avoids
    # candidate edges, the resolution of its own edge on the best chain).
    best: dict[str, tuple[float, bool, str]] = {root.id: (1.0, True, "")}
    frontier = [root.id]
    for step in range(1, depth + 1):
        cancel.check()
        if not frontier or len(distance) >= MAX_NODES:
            break
        next_frontier: list[str] = []
        for edge in _kept(graph.call_edges(frontier, incoming=True), min_confidence):
            known = distance.get(edge.caller)
            if known is None:
                distance[edge.caller] = step
                next_frontier.append(edge.caller)
            if distance[edge.caller] != step:
                continue
            sites.setdefault(edge.caller, []).append(edge.span)
            confidence, resolved, _ = best[edge.callee]
            chain = (
                confidence * edge.confidence,
                resolved and edge.resolution != CANDIDATE,
                edge.resolution,
            )
            old = best.get(edge.caller)
            if old is None or (chain[1], chain[0]) > (old[1], old[0]):
                best[edge.caller] = chain
        frontier = next_frontier
    refs = graph.symbols_by_ids([i for i in distance if i != root.id])
    callers = []
    for s in refs:
        confidence, resolved, how = best[s.id]
        callers.append(
            ImpactCaller(
                symbol=s,
                distance=distance[s.id],
                sites=sites[s.id],
                confidence=round(confidence, 4),
                resolution=how if resolved else CANDIDATE,
            )
        )
    callers.sort(key=lambda c: (c.symbol.path, c.distance, c.symbol.span.start_line))
    return Impact(root=root, depth=depth, callers=callers, min_confidence=min_confidence)


def symbol_at(graph: GraphReader, path: str, line: int, col: int) -> list[SymbolRef]:
    """The symbols a cursor names: the callee of the call under it, else the innermost
    definition whose name is under it, else the innermost definition around it."""
    callees = [
        callee for callee, span in graph.calls_on_line(path, line) if _covers(span, line, col)
    ]
    if callees:
        return graph.symbols_by_ids(sorted(set(callees)))
    defs = [s for s in graph.symbols_in_file(path) if s.kind != "module"]
    for spans in (lambda s: s.selection, lambda s: s.span):
        around = [s for s in defs if _covers(spans(s), line, col)]
        if around:
            innermost = max(around, key=lambda s: (s.span.start_line, s.span.start_col))
            return [innermost]
    return []


def _covers(span: Span, line: int, col: int) -> bool:
    """`span` contains the position; its end is inclusive, so a cursor right after a
    name still names it."""
    return (span.start_line, span.start_col) <= (line, col) <= (span.end_line, span.end_col)


def neighbours(
    graph: GraphReader, symbol_id: str, incoming: bool, min_confidence: float = 0.0
) -> list[Neighbour]:
    """Callers (`incoming`) or callees of one symbol through edges of at least
    `min_confidence`, each with its call sites and its most certain edge, in the order
    of the first call, those linked only by `candidate` edges last; targets without a
    file (externals) are left out."""
    check_min_confidence(min_confidence)
    edges = _kept(graph.call_edges([symbol_id], incoming=incoming), min_confidence)
    sites: dict[str, list[Span]] = {}
    best: dict[str, CallEdge] = {}
    for edge in edges:
        other = edge.caller if incoming else edge.callee
        sites.setdefault(other, []).append(edge.span)
        known = best.get(other)
        if known is None or _rank(edge) > _rank(known):
            best[other] = edge
    found = {s.id: s for s in graph.symbols_by_ids(list(sites)) if s.path}
    out = [
        Neighbour(
            symbol=found[i],
            sites=spans,
            resolution=best[i].resolution,
            confidence=best[i].confidence,
        )
        for i, spans in sites.items()
        if i in found
    ]
    out.sort(key=lambda n: n.resolution == CANDIDATE)
    return out


def _rank(edge: CallEdge) -> tuple[bool, float]:
    """Resolved edges before candidates, then the more confident."""
    return edge.resolution != CANDIDATE, edge.confidence
