"""The standard and custom requests, through real LSP traffic to `kenning serve`, for
each recorded editor."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from server.conftest import request, uri

# One session per editor for the whole module: these tests only read.
# End to end through a real server process: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


@pytest.fixture(scope="module")
def ws(shared_project: Path) -> Path:
    return shared_project


def position(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


async def test_capabilities_name_what_the_server_does(client: LanguageClient) -> None:
    caps = client.initialize_result.capabilities  # type: ignore[attr-defined]
    assert caps.call_hierarchy_provider
    assert caps.workspace_symbol_provider
    assert caps.position_encoding == types.PositionEncodingKind.Utf16
    assert caps.execute_command_provider is not None
    assert set(caps.execute_command_provider.commands) == {
        "kenning.reindex",
        "kenning.pauseEmbedding",
        "kenning.resumeEmbedding",
    }
    sync = caps.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.change == types.TextDocumentSyncKind.Incremental


async def test_status_counts_the_workspace(client: LanguageClient) -> None:
    result = await request(client, "kenning/status", None)
    assert result["phase"] == "idle"
    assert result["health"] == "ok"
    assert result["files"] == 3
    assert result["symbols"] >= 6
    assert len(result["folders"]) == 1
    assert not result["folders"][0]["readOnly"]


async def test_incoming_calls_come_from_the_graph(client: LanguageClient, ws: Path) -> None:
    # The cursor on `resolve_target` in its definition (core.py line 4).
    items = await client.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(
            text_document=types.TextDocumentIdentifier(uri(ws, "pkg/core.py")),
            position=position(3, 6),
        )
    )
    assert items is not None and [i.name for i in items] == ["resolve_target"]
    incoming = await client.call_hierarchy_incoming_calls_async(
        types.CallHierarchyIncomingCallsParams(item=items[0])
    )
    assert incoming is not None
    callers = {call.from_.name: call for call in incoming}
    assert set(callers) == {"main", "register"}
    main = callers["main"]
    assert main.from_.uri == uri(ws, "pkg/app.py")
    # The call site: `resolve_target` in `return resolve_target("y")`, line 7.
    assert [(r.start.line, r.start.character) for r in main.from_ranges] == [(6, 11)]


async def test_outgoing_calls_and_a_cursor_on_a_call(client: LanguageClient, ws: Path) -> None:
    # The cursor on the call `resolve_target("y")` in main() names the callee.
    items = await client.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(
            text_document=types.TextDocumentIdentifier(uri(ws, "pkg/app.py")),
            position=position(6, 14),
        )
    )
    assert items is not None and [i.name for i in items] == ["resolve_target"]
    # The cursor inside main()'s body, not on a call, names main.
    items = await client.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(
            text_document=types.TextDocumentIdentifier(uri(ws, "pkg/app.py")),
            position=position(4, 2),
        )
    )
    assert items is not None and [i.name for i in items] == ["main"]
    outgoing = await client.call_hierarchy_outgoing_calls_async(
        types.CallHierarchyOutgoingCallsParams(item=items[0])
    )
    assert outgoing is not None
    assert {call.to.name for call in outgoing} == {"Registry", "register", "resolve_target"}


async def test_workspace_symbols_are_ranked(client: LanguageClient, ws: Path) -> None:
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="regist"))
    assert found is not None
    names = [s.name for s in found]
    assert names[:2] == ["register", "Registry"] or names[:2] == ["Registry", "register"]
    first = found[0]
    assert isinstance(first, types.SymbolInformation)
    assert first.location.uri == uri(ws, "pkg/core.py")
    # Letters in order, with gaps, find a name too (after any containing them).
    fuzzy = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="rslvtgt"))
    assert [s.name for s in fuzzy or []] == ["resolve_target"]


async def test_search_returns_locations(client: LanguageClient, ws: Path) -> None:
    result = await request(
        client, "kenning/search", {"query": "look the name up in the registry", "limit": 5}
    )
    hits = {h["symbol"]: h for h in result["hits"]}
    assert "pkg.core.resolve_target" in hits, result
    found = hits["pkg.core.resolve_target"]
    assert found["uri"] == uri(ws, "pkg/core.py")
    # Lines 4-6 of core.py: from the start of the first to the start of the next.
    assert found["range"] == {
        "start": {"line": 3, "character": 0},
        "end": {"line": 6, "character": 0},
    }
    assert found["kind"] == "function" and "text" in found["sources"]
    # Embedding is off in these sessions: the result says it is text-only.
    assert result["vectorsComplete"] is False
    filtered = await request(
        client,
        "kenning/search",
        {"query": "registry", "filters": {"pathGlobs": ["pkg/app.py"], "kinds": ["function"]}},
    )
    assert {h["uri"] for h in filtered["hits"]} == {uri(ws, "pkg/app.py")}
    assert {h["kind"] for h in filtered["hits"]} == {"function"}


async def test_call_graph_by_symbol_and_by_position(client: LanguageClient, ws: Path) -> None:
    by_name = await request(
        client,
        "kenning/callGraph",
        {"symbol": "pkg.core.resolve_target", "direction": "incoming", "depth": 2},
    )
    assert by_name["root"]["qualname"] == "pkg.core.resolve_target"
    names = {n["qualname"] for n in by_name["nodes"]}
    assert names == {
        "pkg.core.resolve_target",
        "pkg.core.Registry.register",
        "pkg.app.main",
        "pkg.app.helper",
    }
    edge = next(e for e in by_name["edges"] if e["caller"] == "pkg/app.py#main")
    assert edge["resolution"] == "import" and edge["confidence"] > 0.9
    assert edge["uri"] == uri(ws, "pkg/app.py")
    by_position = await request(
        client,
        "kenning/callGraph",
        {
            "textDocument": {"uri": uri(ws, "pkg/app.py")},
            "position": {"line": 9, "character": 5},
            "direction": "outgoing",
        },
    )
    assert by_position["root"]["qualname"] == "pkg.app.helper"
    assert {n["qualname"] for n in by_position["nodes"]} == {"pkg.app.helper", "pkg.app.main"}


async def test_impact_groups_transitive_callers_by_file(client: LanguageClient, ws: Path) -> None:
    result = await request(client, "kenning/impact", {"symbol": "resolve_target", "depth": 3})
    assert result["totalCallers"] == 3
    files = {f["uri"]: f for f in result["files"]}
    assert set(files) == {uri(ws, "pkg/app.py"), uri(ws, "pkg/core.py")}
    app = {c["symbol"]["name"]: c for c in files[uri(ws, "pkg/app.py")]["callers"]}
    assert app["main"]["distance"] == 1
    assert app["helper"]["distance"] == 2
    # helper reaches the root through its call of main(), line 11.
    assert app["helper"]["callSites"][0]["start"]["line"] == 10


@pytest.mark.parametrize(
    ("method", "params", "says"),
    [
        ("kenning/search", {"query": "x", "limit": "ten"}, "limit"),
        ("kenning/search", {"limit": 3}, "query"),
        ("kenning/search", {"query": "   "}, "query must not be empty"),
        ("kenning/callGraph", {"symbol": "main", "direction": "sideways"}, "direction"),
        ("kenning/callGraph", {"direction": "incoming"}, "name the symbol"),
        ("kenning/impact", {"symbol": "main", "depth": 0}, "depth must be between 1 and 10"),
    ],
)
async def test_invalid_params_say_what_is_wrong(
    client: LanguageClient, method: str, params: dict[str, object], says: str
) -> None:
    with pytest.raises(JsonRpcException) as caught:
        await request(client, method, params)
    assert caught.value.code == -32602, caught.value
    assert says in caught.value.message


async def test_a_uri_outside_the_workspace_is_refused(client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException) as caught:
        await client.text_document_prepare_call_hierarchy_async(
            types.CallHierarchyPrepareParams(
                text_document=types.TextDocumentIdentifier("file:///etc/passwd.py"),
                position=position(0, 0),
            )
        )
    assert caught.value.code == -32602
    assert "outside the workspace folders" in caught.value.message


async def test_unknown_methods_and_symbols(client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException) as caught:
        await request(client, "kenning/nonsense", {})
    assert caught.value.code == -32601
    with pytest.raises(JsonRpcException) as caught:
        await request(client, "kenning/callGraph", {"symbol": "resolve_targt"})
    assert caught.value.code == -32803
    assert "did you mean" in caught.value.message and "resolve_target" in caught.value.message
