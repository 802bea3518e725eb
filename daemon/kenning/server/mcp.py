"""`kenning mcp`: kenning's queries as Model Context Protocol tools over stdio, for
coding agents.

A front end like the LSP handlers and the HTTP endpoint: each tool turns its arguments
into one of kenning's protocol structs, calls the same core (`Workspaces`) operation they
call, and renders the answer twice — readable text, and structured content with
`file://` URIs and 1-based lines. The core underneath is the headless one
`kenning daemon` runs (`server.headless`): it owns the workspace when nobody does
(indexes, catches up, embeds in the background, serves the HTTP API for the CLI and
editors that come later), and otherwise forwards every request to the owner, whose
index includes its editors' unsaved buffers. It never opens the stores behind an
owner's back.

Everything is bounded: argument sizes and ranges (the input schemas say so), the wait
for the index to open and each answer (the request timeout), code per definition and
edges per graph. A failure is an MCP tool error (`isError`) saying what to do, never a
crashed server. stdout is the protocol's channel: logs go to stderr or a file, and the
SDK points file descriptor 1 at stderr while it serves, so stray prints cannot corrupt
it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from kenning import __version__
from kenning.server import DEFAULT_API, _logging, convert, headless
from kenning.server import protocol as p
from kenning.server.errors import RequestError
from kenning.server.workspaces import Workspaces

log = logging.getLogger(__name__)

T = TypeVar("T")
S = TypeVar("S", bound=msgspec.Struct)

MAX_SEARCH_RESULTS = 50
MAX_QUERY_CHARS = 1000
MAX_NAME_CHARS = 500
MAX_REINDEX_PATHS = 100
# Code shown per definition by `symbol`, and graph edges listed in text.
CODE_CHARS = 4000
MAX_EDGES_SHOWN = 200
# The extra time a forwarded request gets, so that the owner's own timeout (with its
# message) comes first.
FORWARD_GRACE_SECONDS = 5.0
# How long a request waits for a first index to finish before answering from what is
# there, as a share of the request timeout (the rest is the query's).
FIRST_INDEX_SHARE = 0.5

INSTRUCTIONS = """\
kenning indexes this workspace's code: symbols, a call graph and searchable chunks.
Use `search` to find code by what it does, `symbol` to read a definition with its
callers and callees, `callers`/`callees` for the call graph, `impact` before changing
a function, `status` to see how far indexing has got. Lines are 1-based."""

Kind = Literal["function", "method", "class", "module"]


class Tools:
    """The tools' bodies: arguments in, one core call, text and structure out."""

    def __init__(self, ws: Workspaces, root: Path, opening: asyncio.Future[None]) -> None:
        self.ws = ws
        self.root = root
        self.uri = root.as_uri()
        self.opening = opening

    @property
    def timeout(self) -> float:
        return self.ws.folders.settings.request_timeout_ms / 1000

    # -- the tools ---------------------------------------------------------------------

    async def search(
        self,
        query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS,
                                    description="what the code does, or names in it")],
        limit: Annotated[int, Field(ge=1, le=MAX_SEARCH_RESULTS, description="results")] = 10,
        language: Annotated[str | None, Field(max_length=40, description="only this "
                                              "language, e.g. python")] = None,
        path: Annotated[str | None, Field(max_length=500, description="only paths matching "
                                          "this gitignore-style glob, e.g. src/api/**")] = None,
        kind: Annotated[Kind | None, Field(description="only chunks of this kind")] = None,
    ) -> CallToolResult:  # fmt: skip
        """Hybrid search of the workspace's code: meaning (embeddings), text (BM25) and
        symbol names, fused. Each result is a function, method, class or module-level
        chunk with its location and first lines."""
        filters = p.SearchFilters(
            languages=[language] if language else [],
            path_globs=[path] if path else [],
            kinds=[kind] if kind else [],
        )
        params = _params(p.SearchParams, query=query, limit=limit, filters=filters)
        result, building = await self._answer(lambda: self.ws.search(params))
        return self._render_search(result, building)

    async def symbol(
        self,
        name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS,
                                   description="a qualified name (pkg.mod.Class.method), a "
                                   "dotted suffix (Class.method) or a bare name")],
    ) -> CallToolResult:  # fmt: skip
        """A definition with its signature, doc comment, code and a few callers and
        callees. A name several definitions share shows each; an unknown name answers
        with close matches."""
        params = _params(p.DescribeParams, symbol=name, max_code_chars=CODE_CHARS)
        result, building = await self._answer(lambda: self.ws.describe(params))
        return self._render_symbol(result, building)

    async def callers(
        self,
        symbol: Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS,
                                     description="qualified name, dotted suffix or name")],
        depth: Annotated[int, Field(ge=1, le=p.MAX_DEPTH, description="levels of callers "
                                    "to follow")] = 1,
        min_confidence: Annotated[float, Field(ge=0.0, le=1.0, description="leave out "
                                  "edges less certain than this (0: every edge; 0.5 drops "
                                  "name-only candidates and overrides)")] = 0.0,
    ) -> CallToolResult:  # fmt: skip
        """Who calls a symbol, transitively to `depth`: each call site with how the call
        was resolved (import, same-file, self, typed, property, ...) and a confidence;
        `candidate` edges (a name several definitions share) are listed apart."""
        return await self._call_graph(symbol, "incoming", depth, min_confidence)

    async def callees(
        self,
        symbol: Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS,
                                     description="qualified name, dotted suffix or name")],
        depth: Annotated[int, Field(ge=1, le=p.MAX_DEPTH, description="levels of callees "
                                    "to follow")] = 1,
        min_confidence: Annotated[float, Field(ge=0.0, le=1.0, description="leave out "
                                  "edges less certain than this (0: every edge; 0.5 drops "
                                  "name-only candidates and overrides)")] = 0.0,
    ) -> CallToolResult:  # fmt: skip
        """What a symbol calls, transitively to `depth`, external and unresolved targets
        included: each call site with its resolution kind and confidence; `candidate`
        edges listed apart."""
        return await self._call_graph(symbol, "outgoing", depth, min_confidence)

    async def impact(
        self,
        symbol: Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS,
                                     description="qualified name, dotted suffix or name")],
        depth: Annotated[int, Field(ge=1, le=p.MAX_DEPTH, description="calls away to "
                                    "follow")] = 3,
        min_confidence: Annotated[float, Field(ge=0.0, le=1.0, description="leave out "
                                  "edges less certain than this (0: every edge; 0.5 drops "
                                  "name-only candidates and overrides)")] = 0.0,
    ) -> CallToolResult:  # fmt: skip
        """The blast radius of changing a symbol: its transitive callers, grouped by
        file, each with its distance (1: calls it directly), call sites, resolution kind
        and confidence; callers reached only through name-only candidates apart."""
        params = _params(p.ImpactParams, symbol=symbol, depth=depth,
                         min_confidence=min_confidence)  # fmt: skip
        result, building = await self._answer(lambda: self.ws.impact(params))
        return self._render_impact(result, building)

    async def status(self) -> CallToolResult:
        """How far indexing has got: files, symbols, chunks, embedding progress, phase,
        health, and which process owns the index."""
        result, _ = await self._answer(self.ws.status, note=False)
        return self._render_status(result)

    async def reindex(
        self,
        paths: Annotated[list[Annotated[str, Field(min_length=1, max_length=4096)]] | None,
                         Field(max_length=MAX_REINDEX_PATHS, description="files to index "
                               "again, relative to the workspace; none: the whole "
                               "workspace, rebuilt")] = None,
    ) -> CallToolResult:  # fmt: skip
        """Index files again (after changes kenning did not see), or rebuild the whole
        index. A rebuild that outlasts the request timeout goes on in the background."""
        uris = [self._file_uri(path) for path in paths or []]
        task: asyncio.Future[p.CommandResult] | None = None

        def start() -> Awaitable[p.CommandResult]:
            nonlocal task
            task = asyncio.ensure_future(self.ws.reindex(uris))
            return asyncio.shield(task)

        try:
            result, _ = await self._answer(start, note=False)
        except ToolError:
            if task is None or task.done():
                raise
            # Out of time, not failed: the writer goes on; its end shows in `status`.
            task.add_done_callback(_log_failure)
            what = ", ".join(paths or []) or "the workspace"
            text = (f"Reindexing {what} goes on in the background.\n"
                    "Next: `status` shows when it is done.")  # fmt: skip
            return _result(text, {"message": text, "targets": uris, "finished": False})
        text = f"{result.message}.\nNext: `status` shows the new counts."
        return _result(text, {**p.encode(result), "finished": True})

    # -- waiting, bounding and errors ----------------------------------------------------

    async def _answer(
        self, operation: Callable[[], Awaitable[T]], note: bool = True
    ) -> tuple[T, str]:
        """`operation`'s answer, once the workspace is open (waited for, bounded), and
        (`note`) a line saying the index is still being built when it is."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        await self._ready(deadline, first_index=note)
        try:
            budget = max(deadline - loop.time(), 1.0) + FORWARD_GRACE_SECONDS
            result = await asyncio.wait_for(operation(), budget)
        except TimeoutError:
            raise ToolError(f"no answer within {self.timeout:g} s; the machine may be busy "
                            "indexing: try again, or narrow the question") from None  # fmt: skip
        except RequestError as error:
            raise ToolError(error.message) from None
        except ValueError as error:
            raise ToolError(str(error)) from None
        return result, await self._building() if note else ""

    async def _ready(self, deadline: float, first_index: bool) -> None:
        """Wait for the workspace to open; then (`first_index`), while its first index
        is being built, for a while for that too, so that a fresh workspace's first
        question gets an answer."""
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(asyncio.shield(self.opening), deadline - loop.time())
        except TimeoutError:
            raise ToolError(f"{self.root} is still opening after {self.timeout:g} s; try "
                            "again shortly") from None  # fmt: skip
        except Exception as error:
            raise ToolError(f"kenning could not open {self.root}: {error}") from None
        folder = self.ws.folders.get(self.uri)
        if folder is None:
            raise ToolError(f"kenning could not open {self.root}; its log says why")
        building = folder.caught_up
        if first_index and building is not None and not building.done():
            spent = self.timeout - (deadline - loop.time())
            wait = self.timeout * FIRST_INDEX_SHARE - spent
            # Its failure is the folder's error, which the query then reports.
            with suppress(TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(building), max(wait, 0.0))

    async def _building(self) -> str:
        """One line when the index is still being built, else ''."""
        try:
            status = await asyncio.wait_for(self.ws.status(), FORWARD_GRACE_SECONDS)
        except (TimeoutError, RequestError):
            return ""
        if status.phase not in ("starting", "indexing"):
            return ""
        return (f"Note: the index is still being built ({status.files:,} files so far): "
                "answers may be incomplete; `status` follows its progress.")  # fmt: skip

    def _file_uri(self, path: str) -> str:
        target = Path(path)
        target = (target if target.is_absolute() else self.root / target).resolve()
        if not target.is_relative_to(self.root):
            raise ToolError(f"{path} is outside the workspace {self.root}")
        return target.as_uri()

    async def _call_graph(
        self, symbol: str, direction: p.Direction, depth: int, min_confidence: float
    ) -> CallToolResult:
        params = _params(p.CallGraphParams, symbol=symbol, direction=direction, depth=depth,
                         min_confidence=min_confidence)  # fmt: skip
        result, building = await self._answer(lambda: self.ws.call_graph(params))
        return self._render_graph(result, building)

    # -- rendering ---------------------------------------------------------------------

    def _rel(self, uri: str | None) -> str:
        if uri is None:
            return "(external)"
        try:
            path = convert.uri_to_path(uri)
        except convert.NotAFileUri:
            return uri
        return (
            path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)
        )

    def _where(self, uri: str | None, range_: p.Range) -> str:
        first, last = _lines(range_)
        span = f"{first}" if first == last else f"{first}-{last}"
        return f"{self._rel(uri)}:{span}" if uri else "(external)"

    def _render_search(self, result: p.SearchResult, building: str) -> CallToolResult:
        how = "hybrid" if result.vectors_complete else (
            f"vectors cover {result.vector_coverage:.0%} of chunks; the rest found by "
            "text and names only")  # fmt: skip
        head = f'{len(result.hits)} result(s) for "{result.query}" ({how})'
        lines = [head + (f"; {result.note}" if result.note else "")]
        for n, hit in enumerate(result.hits, 1):
            lines.append(f"{n}. {self._where(hit.uri, hit.range)}  {hit.kind} {hit.symbol}  "
                         f"[{', '.join(hit.sources)}]")  # fmt: skip
            lines += [f"     {line}" for line in hit.snippet.splitlines()]
        if result.hits:
            lines.append("Next: `symbol` with a result's name for its code, callers and "
                         "callees; `impact` before changing it.")  # fmt: skip
        else:
            lines.append("Next: try other words, drop a filter, or `status` to check the "
                         "index.")  # fmt: skip
        structured = {
            "query": result.query,
            "hits": [
                {**_location(hit.uri, hit.range), "symbol": hit.symbol, "symbolId": hit.symbol_id,
                 "kind": hit.kind, "language": hit.language, "score": hit.score,
                 "sources": hit.sources, "snippet": hit.snippet}
                for hit in result.hits
            ],
            "vectorsComplete": result.vectors_complete,
            "vectorCoverage": result.vector_coverage,
            "note": result.note,
        }  # fmt: skip
        return _result(_text(lines, building), structured, building)

    def _render_symbol(self, result: p.DescribeResult, building: str) -> CallToolResult:
        if not result.symbols:
            close = ", ".join(result.suggestions)
            lines = [f"No definition named {result.query!r}"
                     + (f". Close matches: {close}" if close else "."),
                     "Next: " + ("`symbol` with one of those, or " if close else "")
                     + "`search` to find it by what it does."]  # fmt: skip
            structured = {"query": result.query, "definitions": [], "total": 0,
                          "suggestions": result.suggestions}  # fmt: skip
            return _result(_text(lines, building), structured, building)
        lines = []
        if result.total > 1:
            shown = len(result.symbols)
            lines.append(
                f"{result.query!r} names {result.total} definitions"
                + (f"; showing {shown}" if shown < result.total else "")
                + "."
            )
        for detail in result.symbols:
            lines += ["", *self._symbol_lines(detail)]
        if len(result.symbols) < result.total:
            lines.append(f"Others: {', '.join(result.suggestions)}")
        lines.append("Next: `callers` or `impact` before changing it; `callees` for what it "
                     "relies on.")  # fmt: skip
        structured = {
            "query": result.query,
            "definitions": [self._symbol_structure(d) for d in result.symbols],
            "total": result.total,
            "others": result.suggestions,
        }
        return _result(_text(lines, building).lstrip("\n"), structured, building)

    def _symbol_lines(self, d: p.SymbolDetail) -> list[str]:
        s = d.symbol
        lines = [f"{s.qualname}  ({s.kind})  {self._where(s.uri, s.range)}"]
        if s.signature:
            lines.append(f"signature: {s.signature}")
        if d.docstring:
            lines.append(f"doc: {d.docstring}")
        if d.code:
            lines += ["```", d.code, "```"]
            if d.truncated:
                lines.append(f"(code cut at {CODE_CHARS:,} characters; read the file for "
                             "the rest)")  # fmt: skip
        for label, nodes, count in (("callers", d.callers, d.caller_count),
                                    ("callees", d.callees, d.callee_count)):  # fmt: skip
            names = ", ".join(f"{n.qualname} ({self._where(n.uri, n.selection_range)})"
                              if n.uri else f"{n.qualname} (external)" for n in nodes)  # fmt: skip
            more = f", and {count - len(nodes)} more" if count > len(nodes) else ""
            lines.append(f"{label} ({count}): {names or 'none'}{more}")
        return lines

    def _symbol_structure(self, d: p.SymbolDetail) -> dict[str, Any]:
        return {
            **_node(d.symbol),
            "docstring": d.docstring,
            "code": d.code,
            "codeLine": d.code_line + 1,
            "codeTruncated": d.truncated,
            "callers": [_node(n) for n in d.callers],
            "callees": [_node(n) for n in d.callees],
            "callerCount": d.caller_count,
            "calleeCount": d.callee_count,
        }

    def _render_graph(self, graph: p.CallGraphResult, building: str) -> CallToolResult:
        incoming = graph.direction == "incoming"
        nodes = {n.id: n for n in graph.nodes}
        by_node: dict[str, list[p.Edge]] = {}
        for edge in graph.edges:
            by_node.setdefault(edge.callee if incoming else edge.caller, []).append(edge)
        root = graph.root
        word = "callers" if incoming else "callees"
        where = self._where(root.uri, root.selection_range)
        lines = [f"{word.capitalize()} of {root.qualname} ({where}), depth {graph.depth}: "
                 f"{len(graph.edges)} call(s)"]  # fmt: skip
        seen = {root.id}
        shown = 0

        def walk(node_id: str, level: int) -> None:
            nonlocal shown
            for edge in by_node.get(node_id, []):
                if shown >= MAX_EDGES_SHOWN:
                    return
                shown += 1
                other_id = edge.caller if incoming else edge.callee
                other = nodes.get(other_id)
                label = other.qualname if other is not None else other_id
                if other is not None and other.uri is None:
                    label += " (external)"
                lines.append(f"{'  ' * level}{'<-' if incoming else '->'} {label}  at "
                             f"{self._where(edge.uri, edge.range)}  "
                             f"[{edge.resolution} {edge.confidence:.2f}]")  # fmt: skip
                if other_id not in seen and level < graph.depth:
                    seen.add(other_id)
                    walk(other_id, level + 1)

        walk(root.id, 1)
        if not graph.edges:
            lines.append(f"  (no {word} found)")
        elif shown < len(graph.edges):
            lines.append(f"  ... {len(graph.edges) - shown} more call(s) in the structured "
                         "content")  # fmt: skip
        if graph.candidates:
            lines.append(f"Candidates (matched by name only, not resolved): "
                         f"{len(graph.candidates)}")  # fmt: skip
            for edge in graph.candidates[:MAX_EDGES_SHOWN]:
                other_id = edge.caller if incoming else edge.callee
                other = nodes.get(other_id)
                label = other.qualname if other is not None else other_id
                lines.append(f"  {'<-' if incoming else '->'} {label}  at "
                             f"{self._where(edge.uri, edge.range)}  "
                             f"[{edge.resolution} {edge.confidence:.2f}]")  # fmt: skip
        lines.append("Next: `symbol` with a name above for its code; "
                     + ("`impact` for every file a change reaches." if incoming
                        else "`callees` with a larger depth to follow further."))  # fmt: skip
        structured = {
            "root": _node(root),
            "direction": graph.direction,
            "depth": graph.depth,
            "nodes": [_node(n) for n in graph.nodes],
            "minConfidence": graph.min_confidence,
            "edges": [self._edge(e) for e in graph.edges],
            "candidates": [self._edge(e) for e in graph.candidates],
        }  # fmt: skip
        return _result(_text(lines, building), structured, building)

    def _edge(self, e: p.Edge) -> dict[str, Any]:
        return {"caller": e.caller, "callee": e.callee, **_location(e.uri, e.range),
                "column": e.range.start.character + 1, "resolution": e.resolution,
                "confidence": e.confidence}  # fmt: skip

    def _render_impact(self, result: p.ImpactResult, building: str) -> CallToolResult:
        root = result.root
        lines = [f"Changing {root.qualname} ({self._where(root.uri, root.selection_range)}) "
                 f"reaches {result.total_callers} caller(s) in {len(result.files)} file(s), "
                 f"up to {result.depth} call(s) away"]  # fmt: skip

        def listed(files: list[p.ImpactFile]) -> None:
            for file in files:
                lines.append(self._rel(file.uri))
                for caller in file.callers:
                    sites = ", ".join(str(r.start.line + 1) for r in caller.call_sites)
                    first, _ = _lines(caller.symbol.range)
                    lines.append(
                        f"  {caller.symbol.qualname}  line {first}, distance "
                        f"{caller.distance} [{caller.resolution} {caller.confidence:.2f}]"
                        + (f", calls at line {sites}" if sites else "")
                    )

        listed(result.files)
        if result.candidates:
            lines.append("Reached only through candidates (matched by name only, not "
                         "resolved):")  # fmt: skip
            listed(result.candidates)
        lines.append("Next: `symbol` with a caller's name to read it; `callers` for the call "
                     "sites with their resolution." if result.total_callers
                     else "Nothing in the workspace calls it.")  # fmt: skip

        def files(found: list[p.ImpactFile]) -> list[dict[str, Any]]:
            return [
                {"uri": f.uri, "callers": [
                    {**_node(c.symbol), "distance": c.distance,
                     "callSites": [_lines(r)[0] for r in c.call_sites],
                     "resolution": c.resolution, "confidence": c.confidence}
                    for c in f.callers]}
                for f in found
            ]  # fmt: skip

        structured = {
            "root": _node(root),
            "depth": result.depth,
            "minConfidence": result.min_confidence,
            "totalCallers": result.total_callers,
            "files": files(result.files),
            "candidates": files(result.candidates),
        }
        return _result(_text(lines, ""), structured, "")

    def _render_status(self, status: p.StatusResult) -> CallToolResult:
        folder = self.ws.folders.get(self.uri)
        owner: dict[str, Any] = {"pid": None, "url": None, "self": False}
        if folder is not None and folder.peer is not None:
            owner = {"pid": folder.peer.owner.pid, "url": folder.peer.owner.url, "self": False}
        elif folder is not None and folder.live.writer:
            api = self.ws.folders.ownership.api
            owner = {"pid": os.getpid(), "url": api.url if api else None, "self": True}
        lines = [
            f"{status.phase}, health {status.health}: {status.message}",
            f"files {status.files:,}, symbols {status.symbols:,}, chunks {status.chunks:,}",
            f"embedding: {status.embedded:,} embedded, {status.pending:,} pending, "
            f"{status.failed:,} failed",
        ]
        if owner["self"]:
            lines.append(f"owner: this kenning mcp (pid {owner['pid']}), API at {owner['url']}")
        elif owner["pid"] is not None:
            lines.append(f"owner: kenning pid {owner['pid']} at {owner['url']} (forwarding to it)")
        if status.phase in ("starting", "indexing"):
            lines.append("Next: answers are partial until indexing ends; ask `status` again.")
        elif status.pending:
            lines.append("Next: `search` finds by text and names what is not embedded yet.")
        structured = {**p.encode(status), "owner": owner}
        return _result("\n".join(lines), structured)


# -- helpers ------------------------------------------------------------------------------


def _params(struct: type[S], **fields: Any) -> S:
    """A protocol struct from tool arguments; its own checks become tool errors."""
    try:
        return struct(**fields)
    except (ValueError, TypeError) as error:
        raise ToolError(str(error)) from None


def _lines(range_: p.Range) -> tuple[int, int]:
    """A range's first and last line, 1-based (an end at column 0 ends the line before)."""
    last = range_.end.line
    if range_.end.character > 0 or last == range_.start.line:
        last += 1
    return range_.start.line + 1, last


def _location(uri: str | None, range_: p.Range) -> dict[str, Any]:
    first, last = _lines(range_)
    return {"uri": uri, "line": first, "endLine": last}


def _node(node: p.Node) -> dict[str, Any]:
    return {"id": node.id, "name": node.name, "qualname": node.qualname, "kind": node.kind,
            "signature": node.signature, **_location(node.uri, node.range)}  # fmt: skip


def _text(lines: list[str], building: str) -> str:
    return "\n".join([*lines, building] if building else lines)


def _result(text: str, structured: dict[str, Any], building: str = "") -> CallToolResult:
    structured = {**structured, "indexing": bool(building)}
    return CallToolResult(content=[TextContent(type="text", text=text)],
                          structured_content=structured)  # fmt: skip


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("reindexing failed", exc_info=task.exception())


def build_app(tools: Tools) -> MCPServer:
    """The MCP server with kenning's tools; only `reindex` changes anything."""
    app: MCPServer = MCPServer("kenning", version=__version__, instructions=INSTRUCTIONS)
    reading = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    for fn, title in (
        (tools.search, "Search code"),
        (tools.symbol, "Describe a symbol"),
        (tools.callers, "Callers"),
        (tools.callees, "Callees"),
        (tools.impact, "Impact of a change"),
        (tools.status, "Index status"),
    ):
        app.add_tool(fn, title=title, annotations=reading)
    app.add_tool(tools.reindex, title="Reindex", annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True,
        open_world_hint=False))  # fmt: skip
    return app


def run_mcp(root: Path, api: tuple[str, int] = DEFAULT_API, log_file: Path | None = None,
            log_level: str = "INFO", settings: object = None) -> int:  # fmt: skip
    """Serve MCP on stdin/stdout for the workspace `root` until the client goes (stdin
    closes) or SIGTERM/SIGINT. Owns the workspace, or forwards to its owner."""
    _logging(log_file, log_level)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with headless(api, settings) as ws:
            root_dir = root.resolve()
            # Opened in the background: the client's handshake and tool list need no
            # index, and each tool waits for it (bounded).
            opening = asyncio.ensure_future(ws.folders.add(root_dir.as_uri()))
            app = build_app(Tools(ws, root_dir, opening))
            log.info("kenning mcp: serving %s over stdio", root_dir)
            serving = asyncio.ensure_future(app.run_stdio_async())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not opening.done():
                opening.cancel()
            with suppress(BaseException):
                await opening
            if serving.done():
                serving.result()  # the client went away; a transport failure is raised
        if stop.is_set():
            # Signalled: the folder is released (above). The transport's reader thread
            # is blocked on stdin, which only the client can close, and would keep the
            # process alive: leave without waiting for it.
            log.info("kenning mcp: stopped by a signal")
            logging.shutdown()
            os._exit(0)

    asyncio.run(main())
    return 0
