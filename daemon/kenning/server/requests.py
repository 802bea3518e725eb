"""kenning's requests and what answers each, declared once.

`OPERATIONS` maps every method of `protocol.REQUESTS` and `protocol.PEER_REQUESTS` to
the core operation that answers it: typed params in, a typed result out, for the
folders in `scope` (None: all of them). The LSP server (`handlers.py`) and the HTTP
API (`http.py`) build their tables from this one, so a method cannot be served by one
and forgotten by the other, nor answered differently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec

from kenning.server import protocol as p
from kenning.server.folder import Folder
from kenning.server.workspaces import Workspaces

Scope = Sequence[Folder] | None
Operation = Callable[[Workspaces, Any, Scope], Awaitable[msgspec.Struct]]


async def _search(ws: Workspaces, params: p.SearchParams, scope: Scope) -> p.SearchResult:
    return await ws.search(params, scope)


async def _call_graph(ws: Workspaces, params: p.CallGraphParams, scope: Scope) -> p.CallGraphResult:
    return await ws.call_graph(params, scope)


async def _impact(ws: Workspaces, params: p.ImpactParams, scope: Scope) -> p.ImpactResult:
    return await ws.impact(params, scope)


async def _status(ws: Workspaces, params: p.StatusParams, scope: Scope) -> p.StatusResult:
    return await ws.status(scope)


async def _symbols(ws: Workspaces, params: p.SymbolsParams, scope: Scope) -> p.SymbolsResult:
    return await ws.symbols(params, scope)


async def _describe(ws: Workspaces, params: p.DescribeParams, scope: Scope) -> p.DescribeResult:
    return await ws.describe(params, scope)


async def _reindex(ws: Workspaces, params: p.ReindexParams, scope: Scope) -> p.CommandResult:
    return await ws.reindex(params.uris, scope)


async def _pause(ws: Workspaces, params: p.EmbeddingParams, scope: Scope) -> p.CommandResult:
    return await ws.set_embedding(True, scope)


async def _resume(ws: Workspaces, params: p.EmbeddingParams, scope: Scope) -> p.CommandResult:
    return await ws.set_embedding(False, scope)


async def _peer_document(ws: Workspaces, params: p.PeerDocumentParams, scope: Scope) -> p.Empty:
    ws.peer_document(params, list(ws.folders.values()) if scope is None else scope)
    return p.Empty()


async def _peer_hierarchy(
    ws: Workspaces, params: p.HierarchyParams, scope: Scope
) -> p.HierarchyResult:
    _, nodes = await ws.hierarchy(params, scope)
    return p.HierarchyResult(nodes=nodes)


async def _peer_calls(ws: Workspaces, params: p.CallsParams, scope: Scope) -> p.CallsResult:
    folders = list(ws.folders.values()) if scope is None else list(scope)
    if not folders:
        return p.CallsResult(calls=[])
    return p.CallsResult(calls=await ws.calls(folders[0], params))


OPERATIONS: dict[p.Method, Operation] = {
    p.SEARCH: _search,
    p.CALL_GRAPH: _call_graph,
    p.IMPACT: _impact,
    p.STATUS: _status,
    p.SYMBOLS: _symbols,
    p.DESCRIBE: _describe,
    p.REINDEX_REQUEST: _reindex,
    p.PAUSE_REQUEST: _pause,
    p.RESUME_REQUEST: _resume,
    p.PEER_DOCUMENT: _peer_document,
    p.PEER_HIERARCHY: _peer_hierarchy,
    p.PEER_CALLS: _peer_calls,
}

# Every declared method has its operation, and nothing else does.
assert set(OPERATIONS) == {*p.REQUESTS, *p.PEER_REQUESTS}


async def answer(ws: Workspaces, method: p.Method, raw: Any, scope: Scope) -> Any:
    """One request as the wire has it: params decoded (`protocol.InvalidParams` when
    they do not fit), answered, the result encoded."""
    params = p.decode_params(raw, method.params)
    return p.encode(await OPERATIONS[method](ws, params, scope))
