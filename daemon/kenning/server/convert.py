"""Engine results -> kenning's protocol structs (LSP's own types: `lsp_items.py`).

Paths in the engine are workspace-relative; on the wire they are `file://` URIs of the
folder they belong to. Spans and ranges share LSP's conventions (0-based lines, UTF-16
columns), so positions pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlparse

from kenning.core import results
from kenning.core.facts import Span
from kenning.core.graph import Resolution
from kenning.server import protocol as p


class NotAFileUri(ValueError):
    pass


def uri_to_path(uri: str) -> Path:
    """The local path of a `file://` URI; `NotAFileUri` for anything else."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise NotAFileUri(f"{uri!r} is not a file:// URI")
    return Path(unquote(parsed.path))


def inside(uri: object, root: Path) -> bool:
    """Whether `uri` is a file:// URI under `root` (False for anything else)."""
    try:
        return isinstance(uri, str) and uri_to_path(uri).is_relative_to(root)
    except NotAFileUri:
        return False


def path_to_uri(root: Path, rel: str) -> str:
    return (root / rel).as_uri()


def span_to_range(span: Span) -> p.Range:
    return p.Range(
        p.Position(span.start_line, span.start_col), p.Position(span.end_line, span.end_col)
    )


def node(root: Path, symbol: results.SymbolRef) -> p.Node:
    return p.Node(
        id=symbol.id,
        name=symbol.name,
        qualname=symbol.qualname,
        kind=symbol.kind,
        uri=path_to_uri(root, symbol.path) if symbol.path else None,
        range=span_to_range(symbol.span),
        selection_range=span_to_range(symbol.selection),
        signature=symbol.signature,
    )


def search_hits(root: Path, hits: Iterable[results.SearchHit]) -> list[p.SearchHit]:
    return [
        p.SearchHit(
            uri=path_to_uri(root, h.path),
            range=p.Range(p.Position(h.start_line, 0), p.Position(h.end_line + 1, 0)),
            symbol=h.symbol,
            symbol_id=h.symbol_id,
            kind=h.kind,
            language=h.language,
            snippet=h.snippet,
            score=h.score,
            sources=list(h.sources),
        )
        for h in hits
    ]


def _edge(root: Path, e: results.CallEdge) -> p.Edge:
    return p.Edge(
        caller=e.caller,
        callee=e.callee,
        uri=path_to_uri(root, e.path),
        range=span_to_range(e.span),
        resolution=e.resolution,
        confidence=e.confidence,
    )


def call_graph(root: Path, graph: results.CallGraph) -> p.CallGraphResult:
    return p.CallGraphResult(
        root=node(root, graph.root),
        direction=graph.direction,  # type: ignore[arg-type]
        depth=graph.depth,
        nodes=[node(root, n) for n in graph.nodes],
        edges=[_edge(root, e) for e in graph.edges],
        candidates=[_edge(root, e) for e in graph.candidates],
        min_confidence=graph.min_confidence,
    )


def impact(root: Path, result: results.Impact) -> p.ImpactResult:
    files: dict[str, list[p.ImpactCaller]] = {}
    guessed: dict[str, list[p.ImpactCaller]] = {}
    for caller in result.callers:
        apart = guessed if caller.resolution == str(Resolution.CANDIDATE) else files
        apart.setdefault(caller.symbol.path, []).append(
            p.ImpactCaller(
                symbol=node(root, caller.symbol),
                distance=caller.distance,
                call_sites=[span_to_range(s) for s in caller.sites],
                resolution=caller.resolution,
                confidence=caller.confidence,
            )
        )
    return p.ImpactResult(
        root=node(root, result.root),
        depth=result.depth,
        files=[p.ImpactFile(uri=path_to_uri(root, path), callers=c) for path, c in files.items()],
        candidates=[
            p.ImpactFile(uri=path_to_uri(root, path), callers=c) for path, c in guessed.items()
        ],
        total_callers=len(result.callers),
        min_confidence=result.min_confidence,
    )


def description(root: Path, result: results.Description) -> p.DescribeResult:
    return p.DescribeResult(
        query=result.query,
        symbols=[
            p.SymbolDetail(
                symbol=node(root, d.symbol),
                docstring=d.docstring,
                code=d.code,
                code_line=d.code_start_line,
                truncated=d.truncated,
                callers=[node(root, s) for s in d.callers],
                callees=[node(root, s) for s in d.callees],
                caller_count=d.caller_count,
                callee_count=d.callee_count,
            )
            for d in result.symbols
        ],
        total=result.total,
        suggestions=result.suggestions,
    )
