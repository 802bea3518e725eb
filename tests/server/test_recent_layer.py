"""Edits answered from the recent layer, through a live server: with `writeBehindMs` at
a minute nothing is written to the index on disk during these tests, so every answer
comes from the layer over the stores. Then a kill -9 while a change waits to be
written: the restarted server has it, once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from server.conftest import APP, CORE, FAST, idle, request, start, stop, until, uri
from server.test_edits import callers_of, opened, symbol_names

pytestmark = pytest.mark.slow

# Nothing is written behind while a test runs (a clean stop still writes it).
HELD = {**FAST, "writeBehindMs": 60_000}


def whole(root: Path, rel: str, version: int, text: str) -> types.DidChangeTextDocumentParams:
    return types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(version=version, uri=uri(root, rel)),
        [types.TextDocumentContentChangeWholeDocument(text=text)],
    )


def saved(root: Path, rel: str) -> types.DidSaveTextDocumentParams:
    return types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri(root, rel)))


async def search_symbols(lsp: LanguageClient, query: str) -> list[str]:
    result = await request(lsp, "kenning/search", {"query": query, "mode": "text"})
    return [h["symbol"] for h in result["hits"]]


def writes(log: Path) -> list[str]:
    return re.findall(r"wrote \d+ deferred file", log.read_text() if log.exists() else "")


async def test_a_rename_across_files_before_it_is_written(project: Path, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    lsp = await start(project, options=HELD, log_file=log)
    await idle(lsp)
    renamed = CORE.replace("resolve_target", "find_target")
    lsp.text_document_did_open(opened(project, "pkg/core.py", CORE))
    lsp.text_document_did_change(whole(project, "pkg/core.py", 2, renamed))
    (project / "pkg/core.py").write_text(renamed)
    lsp.text_document_did_save(saved(project, "pkg/core.py"))
    await until(lambda: symbol_names(lsp, "_target"), lambda n: n == {"find_target"})
    # The old name is gone from search too, and its callers in app.py (not changed)
    # no longer call a symbol that is gone.
    assert not any(s.endswith("resolve_target") for s in await search_symbols(lsp, "upper"))
    assert await callers_of(lsp, project, "pkg/core.py", 3, 6) == {"register"}
    graph = await request(lsp, "kenning/callGraph", {"symbol": "main", "direction": "outgoing"})
    assert not any(e["callee"] == "pkg/core.py#resolve_target" for e in graph["edges"])
    # app.py follows the rename: its calls resolve to the new name.
    renamed_app = APP.replace("resolve_target", "find_target")
    lsp.text_document_did_open(opened(project, "pkg/app.py", APP))
    lsp.text_document_did_change(whole(project, "pkg/app.py", 2, renamed_app))
    callers = await until(
        lambda: callers_of(lsp, project, "pkg/core.py", 3, 6), lambda c: "main" in c
    )
    assert callers == {"main", "register"}
    assert writes(log) == []
    await stop(lsp)


async def test_closing_unsaved_and_deleting_before_either_is_written(
    project: Path, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    lsp = await start(project, "visual_studio_code@v1.65.2", options=HELD, log_file=log)
    await idle(lsp)
    lsp.text_document_did_open(opened(project, "pkg/app.py", APP))
    edited = APP + "\n\ndef unsaved_helper():\n    return helper()\n"
    lsp.text_document_did_change(whole(project, "pkg/app.py", 2, edited))
    await until(lambda: symbol_names(lsp, "unsaved_helper"), lambda n: n == {"unsaved_helper"})
    assert "pkg.app.unsaved_helper" in await search_symbols(lsp, "unsaved helper")
    # Closed without saving: the file on disk counts again.
    lsp.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri(project, "pkg/app.py")))
    )
    await until(lambda: symbol_names(lsp, "unsaved_helper"), lambda n: n == set())
    assert "pkg.app.unsaved_helper" not in await search_symbols(lsp, "unsaved helper")
    assert await symbol_names(lsp, "helper") == {"helper"}
    # Deleted: gone from every answer.
    (project / "pkg/app.py").unlink()
    lsp.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(uri(project, "pkg/app.py"), types.FileChangeType.Deleted)]
        )
    )
    await until(lambda: symbol_names(lsp, "main"), lambda n: n == set())
    assert await callers_of(lsp, project, "pkg/core.py", 3, 6) == {"register"}
    assert not any(s.startswith("pkg.app.") for s in await search_symbols(lsp, "registry"))
    assert writes(log) == []
    await stop(lsp)
    # A clean stop writes what waited.
    assert writes(log)


async def test_a_kill_while_a_change_waits_loses_nothing(project: Path, tmp_path: Path) -> None:
    lsp = await start(project, options=HELD, log_file=tmp_path / "first.log")
    await idle(lsp)
    changed = CORE.replace("def resolve_target", "def renamed_target") + (
        "\n\ndef survived_kill():\n    return renamed_target(1)\n"
    )
    (project / "pkg/core.py").write_text(changed)
    lsp.text_document_did_open(opened(project, "pkg/core.py", CORE))
    lsp.text_document_did_change(whole(project, "pkg/core.py", 2, changed))
    lsp.text_document_did_save(saved(project, "pkg/core.py"))
    await until(lambda: symbol_names(lsp, "survived_kill"), lambda n: n == {"survived_kill"})
    assert writes(tmp_path / "first.log") == []
    server = lsp._server
    assert server is not None
    server.kill()  # SIGKILL: the change was never written
    await server.wait()
    await lsp.stop()
    lsp = await start(project, log_file=tmp_path / "second.log")
    await idle(lsp)
    found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query="survived_kill"))
    assert [s.name for s in found or []] == ["survived_kill"]
    assert await symbol_names(lsp, "resolve_target") == set()
    assert await symbol_names(lsp, "renamed_target") == {"renamed_target"}
    callers = await callers_of(lsp, project, "pkg/core.py", 3, 6)
    assert callers == {"survived_kill"}  # `register` still calls the old name
    await stop(lsp)
