"""TypeScript through real LSP traffic: `kenning serve` over stdio, a recorded editor's
capabilities, a `.ts` buffer edited with didChange, and the new function seen by
workspace symbols and by the call hierarchy of the function it calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from server.conftest import CLIENTS, idle, start, stop, until, uri

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

CORE = """\
/** Finds where a name goes. */
export function resolveTarget(name: string): string {
  return name.toUpperCase();
}
"""

APP = """\
import { resolveTarget } from "./core";


export function main(): string {
  return resolveTarget("y");
}
"""

FRESH = """
export class Fresh {
  freshly(): string {
    return resolveTarget("z");
  }
}
"""


def make_project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "core.ts").write_text(CORE)
    (root / "src" / "app.ts").write_text(APP)
    (root / ".git").mkdir()
    return root


@pytest.mark.parametrize("editor", CLIENTS)
async def test_an_edited_ts_buffer_reaches_symbols_and_call_hierarchy(
    editor: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "project")
    lsp = await start(project, editor)
    await idle(lsp)
    app = uri(project, "src/app.ts")
    lsp.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(app, "typescript", 1, APP))
    )
    end = types.Position(len(APP.splitlines()), 0)
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=app),
            [types.TextDocumentContentChangePartial(range=types.Range(end, end), text=FRESH)],
        )
    )

    async def symbols() -> set[tuple[str, str]]:
        found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query="fresh"))
        return {
            (s.name, s.location.uri) for s in found or [] if isinstance(s.location, types.Location)
        }

    found = await until(symbols, lambda s: ("freshly", app) in s)
    assert ("Fresh", app) in found

    async def callers() -> set[str]:
        items = await lsp.text_document_prepare_call_hierarchy_async(
            types.CallHierarchyPrepareParams(
                types.TextDocumentIdentifier(uri(project, "src/core.ts")), types.Position(1, 17)
            )
        )
        if not items:
            return set()
        calls = await lsp.call_hierarchy_incoming_calls_async(
            types.CallHierarchyIncomingCallsParams(item=items[0])
        )
        return {c.from_.name for c in calls or []}

    assert await until(callers, lambda c: c == {"main", "freshly"})
    await stop(lsp)
