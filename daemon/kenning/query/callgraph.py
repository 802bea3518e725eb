"""Call graphs: callers and callees of a symbol to a given depth, breadth first."""

from __future__ import annotations

from kenning.core.results import CallEdge, CallGraph, SymbolRef
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
