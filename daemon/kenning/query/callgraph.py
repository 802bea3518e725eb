"""Call graphs: callers and callees of a symbol to a given depth, breadth first; the
transitive callers of a symbol (its impact); and the symbol under a cursor."""

from __future__ import annotations

from kenning.core import cancel
from kenning.core.facts import Span
from kenning.core.results import CallEdge, CallGraph, Impact, ImpactCaller, SymbolRef
from kenning.storage.graph import GraphStore

MAX_DEPTH = 10
# Stops a walk from a hub (`__init__`, `get`) from returning the whole workspace.
MAX_NODES = 2000


def call_graph(graph: GraphStore, root: SymbolRef, direction: str, depth: int) -> CallGraph:
    """Symbols reachable from `root` along CALLS edges, `depth` steps each way asked."""
    if direction not in ("incoming", "outgoing", "both"):
        raise ValueError(f"direction must be incoming, outgoing or both, not {direction!r}")
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH}, not {depth}")
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
            for edge in graph.call_edges(frontier, incoming=incoming):
                key = (edge.caller, edge.callee, edge.path, edge.span.start_line,
                       edge.span.start_col)  # fmt: skip
                edges[key] = edge
                other = edge.caller if incoming else edge.callee
                if other not in seen:
                    seen.add(other)
                    next_frontier.append(other)
            frontier = next_frontier
    nodes = {s.id: s for s in graph.symbols_by_ids(sorted(seen))}
    return CallGraph(
        root=root,
        direction=direction,
        depth=depth,
        nodes=sorted(nodes.values(), key=lambda s: (s.path, s.span.start_line, s.qualname)),
        edges=list(edges.values()),
    )


def impact(graph: GraphStore, root: SymbolRef, depth: int) -> Impact:
    """Transitive callers of `root` up to `depth` calls away: the blast radius of a
    change. Each caller comes once, at its shortest distance, with the call sites
    through which it reaches the next symbol towards `root`."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH}, not {depth}")
    distance: dict[str, int] = {root.id: 0}
    sites: dict[str, list[Span]] = {}
    frontier = [root.id]
    for step in range(1, depth + 1):
        cancel.check()
        if not frontier or len(distance) >= MAX_NODES:
            break
        next_frontier: list[str] = []
        for edge in graph.call_edges(frontier, incoming=True):
            known = distance.get(edge.caller)
            if known is None:
                distance[edge.caller] = step
                next_frontier.append(edge.caller)
            if distance[edge.caller] == step:
                sites.setdefault(edge.caller, []).append(edge.span)
        frontier = next_frontier
    refs = graph.symbols_by_ids([i for i in distance if i != root.id])
    callers = [ImpactCaller(symbol=s, distance=distance[s.id], sites=sites[s.id]) for s in refs]
    callers.sort(key=lambda c: (c.symbol.path, c.distance, c.symbol.span.start_line))
    return Impact(root=root, depth=depth, callers=callers)


def symbol_at(graph: GraphStore, path: str, line: int, col: int) -> list[SymbolRef]:
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
    graph: GraphStore, symbol_id: str, incoming: bool
) -> list[tuple[SymbolRef, list[Span]]]:
    """Callers (`incoming`) or callees of one symbol, each with its call sites, in the
    order of the first call; targets without a file (externals) are left out."""
    edges = graph.call_edges([symbol_id], incoming=incoming)
    sites: dict[str, list[Span]] = {}
    for edge in edges:
        sites.setdefault(edge.caller if incoming else edge.callee, []).append(edge.span)
    found = {s.id: s for s in graph.symbols_by_ids(list(sites)) if s.path}
    return [(found[i], spans) for i, spans in sites.items() if i in found]
