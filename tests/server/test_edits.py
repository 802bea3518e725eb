"""Edits reach the index: buffers, saves, closes, files changed on disk, a keystroke
burst, and a restart after files changed while no daemon ran."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from server.conftest import APP, idle, request, start, stop, until, uri

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow


def opened(root: Path, rel: str, text: str, version: int = 1) -> types.DidOpenTextDocumentParams:
    return types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri(root, rel), "python", version, text)
    )


def replace_line(
    root: Path, rel: str, version: int, line: int, old: str, new: str
) -> types.DidChangeTextDocumentParams:
    """An incremental change: `old` (the whole of line `line`) becomes `new`."""
    return types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(version=version, uri=uri(root, rel)),
        content_changes=[
            types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(line, 0), types.Position(line, len(old))),
                text=new,
            )
        ],
    )


async def callers_of(lsp: LanguageClient, root: Path, rel: str, line: int, col: int) -> set[str]:
    items = await lsp.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(
            types.TextDocumentIdentifier(uri(root, rel)), types.Position(line, col)
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


async def test_unsaved_buffer_is_indexed_and_disk_wins_on_close(editor: str, project: Path) -> None:
    lsp = await start(project, editor)
    await idle(lsp)
    lsp.text_document_did_open(opened(project, "pkg/app.py", APP))
    # main() stops calling resolve_target, in the buffer only.
    old = '    return resolve_target("y")'
    lsp.text_document_did_change(replace_line(project, "pkg/app.py", 2, 6, old, "    return 1"))
    await until(lambda: callers_of(lsp, project, "pkg/core.py", 3, 6), lambda c: c == {"register"})
    # Closed without saving: the file on disk is what counts again.
    lsp.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri(project, "pkg/app.py")))
    )
    await until(
        lambda: callers_of(lsp, project, "pkg/core.py", 3, 6),
        lambda c: c == {"register", "main"},
    )
    await stop(lsp)


async def test_a_rename_across_files_is_seen_by_incoming_calls(editor: str, project: Path) -> None:
    lsp = await start(project, editor)
    await idle(lsp)
    core = (project / "pkg/core.py").read_text()
    lsp.text_document_did_open(opened(project, "pkg/core.py", core))
    lsp.text_document_did_open(opened(project, "pkg/app.py", APP))
    # core.py: `def resolve_target(name):` (line 4) and `return resolve_target(item)`.
    lsp.text_document_did_change(
        replace_line(project, "pkg/core.py", 2, 3, "def resolve_target(name):",
                     "def find_target(name):")
    )  # fmt: skip
    lsp.text_document_did_change(
        replace_line(project, "pkg/core.py", 3, 12, "        return resolve_target(item)",
                     "        return find_target(item)")
    )  # fmt: skip
    renamed_app = APP.replace("resolve_target", "find_target")
    (project / "pkg/core.py").write_text(core.replace("resolve_target", "find_target"))
    (project / "pkg/app.py").write_text(renamed_app)
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=uri(project, "pkg/app.py")),
            [types.TextDocumentContentChangeWholeDocument(text=renamed_app)],
        )
    )
    for rel in ("pkg/core.py", "pkg/app.py"):
        lsp.text_document_did_save(
            types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri(project, rel)))
        )
    await until(lambda: symbol_names(lsp, "_target"), lambda n: n == {"find_target"})
    callers = await until(
        lambda: callers_of(lsp, project, "pkg/core.py", 3, 6), lambda c: "main" in c
    )
    assert callers == {"main", "register"}
    graph = await request(lsp, "kenning/callGraph", {"symbol": "main", "direction": "outgoing"})
    edge = next(e for e in graph["edges"] if e["callee"] == "pkg/core.py#find_target")
    assert edge["resolution"] == "import"
    await stop(lsp)


async def test_a_keystroke_burst_is_parsed_once(project: Path, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    lsp = await start(
        project, options={"embedding": {"enabled": False}, "debounceMs": 300},
        log_file=log,
    )  # fmt: skip
    await idle(lsp)
    lsp.text_document_did_open(opened(project, "pkg/app.py", APP))
    await until(lambda: _applied(log), lambda lines: any("pkg/app.py@1" in x for x in lines))
    # 100 edits, each renaming helper() again: helper_1 ... helper_100.
    line = "def helper():"
    for n in range(1, 101):
        new = f"def helper_{n}():"
        lsp.text_document_did_change(replace_line(project, "pkg/app.py", n + 1, 9, line, new))
        line = new
    await until(lambda: symbol_names(lsp, "helper_100"), lambda names: names == {"helper_100"})
    assert await symbol_names(lsp, "helper_99") == set()
    # One parse for the whole burst, of its last version (logged just after the commit).
    lines = await until(lambda: _applied(log), lambda lines: "pkg/app.py@101" in lines[-1])
    versions = [int(v) for x in lines for v in re.findall(r"pkg/app.py@(\d+)", x)]
    assert versions == [1, 101], versions
    await stop(lsp)


async def _applied(log: Path) -> list[str]:
    """The writer's "applied N change(s)" log lines so far."""
    text = log.read_text() if log.exists() else ""
    return re.findall(r"applied \d+ change\(s\).*", text)


async def test_a_restart_catches_up_with_files_changed_meanwhile(
    project: Path, tmp_path: Path
) -> None:
    lsp = await start(project, log_file=tmp_path / "first.log")
    await idle(lsp)
    await stop(lsp)
    (project / "pkg/core.py").write_text(
        (project / "pkg/core.py").read_text() + "\n\ndef added_while_down():\n    pass\n"
    )
    (project / "pkg/app.py").unlink()
    log = tmp_path / "second.log"
    lsp = await start(project, log_file=log)
    status = await idle(lsp)
    logs = (tmp_path / "first.log").read_text() + "\n-- second --\n" + log.read_text()
    assert status["files"] == 2, (status, logs)
    assert await symbol_names(lsp, "added_while_down") == {"added_while_down"}
    assert await symbol_names(lsp, "helper") == set()
    await stop(lsp)


async def test_files_changed_on_disk_are_indexed(editor: str, project: Path) -> None:
    """VS Code watches files for the server (dynamic registration); for Neovim the
    server watches them itself."""
    lsp = await start(project, editor)
    await idle(lsp)
    watched = [
        r for r in lsp.registrations  # type: ignore[attr-defined]
        if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    ]  # fmt: skip
    (project / "pkg/extra.py").write_text("def written_outside():\n    pass\n")
    if editor.startswith("visual_studio_code"):
        assert watched, "the server should let VS Code watch the files"
        lsp.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                [types.FileEvent(uri(project, "pkg/extra.py"), types.FileChangeType.Created)]
            )
        )
    else:
        assert not watched
    await until(lambda: symbol_names(lsp, "written_outside"), lambda n: bool(n), timeout=15)
    await stop(lsp)


async def test_a_query_right_after_a_save_answers_with_it(project: Path) -> None:
    """No polling: the first `workspace/symbol`, incoming calls and text search sent after
    `didSave` see the saved text (they wait for the save to be applied), five times."""
    lsp = await start(project, options={"embedding": {"enabled": False}})
    await idle(lsp)
    text = APP
    lsp.text_document_did_open(opened(project, "pkg/app.py", text))
    for n in range(1, 6):
        text += f"\n\ndef added_{n}():\n    return resolve_target('added')\n"
        (project / "pkg/app.py").write_text(text)
        lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(
                    version=n + 1, uri=uri(project, "pkg/app.py")
                ),
                [types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        lsp.text_document_did_save(
            types.DidSaveTextDocumentParams(
                types.TextDocumentIdentifier(uri(project, "pkg/app.py"))
            )
        )
        assert await symbol_names(lsp, f"added_{n}") == {f"added_{n}"}, n
        assert f"added_{n}" in await callers_of(lsp, project, "pkg/core.py", 3, 6), n
    await stop(lsp)


async def test_a_position_in_a_buffer_being_typed_is_its_newest_text(project: Path) -> None:
    """A request at a position in a buffer whose typing is still inside its debounce
    (a minute here) is answered from that buffer's newest text."""
    lsp = await start(project, options={"embedding": {"enabled": False}, "debounceMs": 60000})
    await idle(lsp)
    lsp.text_document_did_open(opened(project, "pkg/app.py", APP))
    text = APP + "\n\ndef typed_just_now():\n    return main()\n"
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=uri(project, "pkg/app.py")),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    line = text.splitlines().index("def typed_just_now():")
    items = await lsp.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(
            types.TextDocumentIdentifier(uri(project, "pkg/app.py")), types.Position(line, 6)
        )
    )
    assert [i.name for i in items or []] == ["typed_just_now"]
    await stop(lsp)


async def test_a_query_right_after_opening_a_changed_buffer_answers_with_it(
    project: Path,
) -> None:
    """A buffer opened with text the file on disk does not have (an editor restoring
    unsaved work): the first query after `didOpen` already sees it, five times."""
    lsp = await start(project, options={"embedding": {"enabled": False}})
    await idle(lsp)
    for n in range(1, 6):
        text = APP + f"\n\ndef restored_{n}():\n    return main()\n"
        lsp.text_document_did_open(opened(project, "pkg/app.py", text, version=n))
        assert await symbol_names(lsp, f"restored_{n}") == {f"restored_{n}"}, n
        lsp.text_document_did_close(
            types.DidCloseTextDocumentParams(
                types.TextDocumentIdentifier(uri(project, "pkg/app.py"))
            )
        )
    await stop(lsp)
