"""Go through real LSP traffic: `kenning serve` on a tiny Go module, a buffer edited
with didChange, and the change seen by workspace symbols and call hierarchy."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from server.conftest import CLIENTS, idle, start, stop, until, uri

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

STORE = """\
package store

// Store keeps items.
type Store struct{ items []string }

// Put adds an item.
func (s *Store) Put(item string) {
	s.items = append(s.items, item)
}

// Fill puts two items.
func (s *Store) Fill() {
	s.Put("a")
	s.Put("b")
}
"""

MAIN = """\
package main

import "example.com/shop/store"


func main() {
	s := &store.Store{}
	s.Put("x")
}
"""


def make_module(root: Path) -> Path:
    (root / "store").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "go.mod").write_text("module example.com/shop\n\ngo 1.22\n")
    (root / "store" / "store.go").write_text(STORE)
    (root / "main.go").write_text(MAIN)
    return root


async def callers_of_put(lsp: LanguageClient, root: Path) -> set[str]:
    # The cursor on `Put` in `func (s *Store) Put(item string)` (line 6, column 16).
    items = await lsp.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(
            types.TextDocumentIdentifier(uri(root, "store/store.go")), types.Position(6, 16)
        )
    )
    if not items:
        return set()
    calls = await lsp.call_hierarchy_incoming_calls_async(
        types.CallHierarchyIncomingCallsParams(item=items[0])
    )
    return {c.from_.name for c in calls or []}


async def symbol_names(lsp: LanguageClient, query: str) -> set[str]:
    found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
    return {s.name for s in found or []}


async def test_a_go_buffer_edit_reaches_symbols_and_call_hierarchy(tmp_path: Path) -> None:
    root = make_module(tmp_path / "shop")
    lsp = await start(root, CLIENTS[0])
    await idle(lsp)
    assert await symbol_names(lsp, "Fill") == {"Fill"}
    assert await callers_of_put(lsp, root) == {"Fill", "main"}

    lsp.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri(root, "store/store.go"), "go", 1, STORE)
        )
    )
    # In the buffer only: Fill becomes Refill and stops calling Put; Drain calls it.
    edited = STORE.replace(
        'func (s *Store) Fill() {\n\ts.Put("a")\n\ts.Put("b")\n}',
        'func (s *Store) Refill() {}\n\nfunc (s *Store) Drain() {\n\ts.Put("")\n}',
    )
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=uri(root, "store/store.go")),
            [types.TextDocumentContentChangeWholeDocument(text=edited)],
        )
    )
    await until(lambda: symbol_names(lsp, "fill"), lambda names: names == {"Refill"})
    await until(lambda: callers_of_put(lsp, root), lambda c: c == {"Drain", "main"})
    # The location is the buffer's: `Drain` exists (on line 13) only there.
    found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query="Drain"))
    lines = [
        (s.name, s.location.range.start.line)
        for s in found or []
        if isinstance(s.location, types.Location)
    ]
    assert lines == [("Drain", 13)]
    await stop(lsp)
