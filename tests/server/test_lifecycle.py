"""Sessions as a whole: progress the editor can show (and none for editors that cannot
show it), embedding commands, cancellation and timeouts, settings, several folders, and
a second daemon on a workspace that already has an owner."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from helpers import kenning_env
from server.conftest import (
    FAST,
    capabilities,
    idle,
    make_project,
    request,
    start,
    status,
    stop,
    until,
    uri,
)

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

# Embedding on, with the model file as shipped (the optimised build takes seconds more).
EMBED = {"embedding": {"optimize": False, "batchTokens": 256}, "debounceMs": 50}


def sequences(lsp: LanguageClient) -> dict[str, list[Any]]:
    """Work-done progress received, by the title of its begin."""
    out: dict[str, list[Any]] = {}
    for reports in lsp.progress_reports.values():
        if reports and isinstance(reports[0], types.WorkDoneProgressBegin):
            out.setdefault(reports[0].title, []).extend(reports)
    return out


async def test_progress_for_indexing_and_embedding(editor: str, project: Path) -> None:
    lsp = await start(project, editor, EMBED)
    final = await idle(lsp)
    # Every chunk's text and every definition's description: more texts than chunks.
    assert final["embedded"] > final["chunks"] > 0 and final["pending"] == 0
    seen = sequences(lsp)
    indexing = seen["kenning: indexing project"]
    embedding = seen["kenning: embedding project"]
    for reports in (indexing, embedding):
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    percentages = [
        r.percentage for r in embedding[:-1] if getattr(r, "percentage", None) is not None
    ]
    assert percentages == sorted(percentages)
    assert embedding[-1].message == f"{final['embedded']}/{final['embedded']} texts embedded"
    # Status notifications followed the phases, ending on idle.
    notes = lsp.status_notifications  # type: ignore[attr-defined]

    async def last_note() -> dict[str, Any]:
        return dict(notes[-1]) if notes else {}

    last = await until(last_note, lambda n: n.get("phase") == "idle", timeout=5)
    assert last["embedded"] == final["embedded"]
    assert "embedding" in {n["phase"] for n in notes}
    result = await request(lsp, "kenning/search", {"query": "plugins", "limit": 3})
    assert result["vectorsComplete"] is True
    assert any("vector" in h["sources"] for h in result["hits"])
    await stop(lsp)


async def test_no_progress_for_a_client_without_the_capability(project: Path) -> None:
    # pytest-lsp turns a create request to such a client into an error (filterwarnings).
    lsp = await start(project, options=EMBED, progress=False)
    final = await idle(lsp)
    assert final["embedded"] > 0
    assert lsp.progress_reports == {}
    await stop(lsp)


async def test_pause_and_resume_embedding(project: Path) -> None:
    lsp = await start(project, options=EMBED)
    await idle(lsp)
    paused = await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command="kenning.pauseEmbedding")
    )
    assert paused["message"] == "embedding paused"  # type: ignore[index]
    assert (await status(lsp))["folders"][0]["embeddingPaused"] is True
    resumed = await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command="kenning.resumeEmbedding")
    )
    assert resumed["message"] == "embedding resumed"  # type: ignore[index]
    assert (await status(lsp))["folders"][0]["embeddingPaused"] is False
    await stop(lsp)


async def test_a_cancelled_request_and_a_request_over_time(project: Path) -> None:
    # The first hybrid search loads the query model: long enough to cancel, and longer
    # than the shortest timeout.
    lsp = await start(project, options={**EMBED, "requestTimeoutMs": 100})
    await idle(lsp)
    future = lsp.protocol.send_request("kenning/search", {"query": "plugins"})
    lsp.protocol.notify("$/cancelRequest", types.CancelParams(id=_last_id(lsp)))
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wrap_future(future)
    assert caught.value.code == -32800
    with pytest.raises(JsonRpcException) as caught:
        await request(lsp, "kenning/search", {"query": "registered plugins"})
    assert caught.value.code == -32803
    assert "longer than 0.1 s" in caught.value.message
    await stop(lsp)


def _last_id(lsp: LanguageClient) -> Any:
    return list(lsp.protocol._request_futures)[-1]


async def test_reindex_the_workspace_and_one_file(
    client_fresh: tuple[LanguageClient, Path],
) -> None:
    lsp, project = client_fresh
    result = await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command="kenning.reindex")
    )
    assert result["message"] == "reindexed 1 workspace folder(s)"  # type: ignore[index]
    (project / "pkg/core.py").write_text("def only_this():\n    pass\n")
    result = await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="kenning.reindex", arguments=[uri(project, "pkg/core.py")]
        )
    )
    assert result["targets"] == [uri(project, "pkg/core.py")]  # type: ignore[index]
    found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query="only_this"))
    assert [s.name for s in found or []] == ["only_this"]
    with pytest.raises(JsonRpcException) as caught:
        await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="kenning.reindex", arguments=[42])
        )
    assert caught.value.code == -32602


@pytest.fixture
async def client_fresh(project: Path) -> AsyncIterator[tuple[LanguageClient, Path]]:
    lsp = await start(project)
    await idle(lsp)
    yield lsp, project
    await stop(lsp)


async def test_bad_settings_warn_and_fall_back_to_defaults(project: Path) -> None:
    lsp = await start(project, options={**FAST, "maxFileSize": "big", "colour": "blue"})
    await idle(lsp)
    messages = [m.message for m in lsp.messages]
    assert any("'maxFileSize' ignored" in m for m in messages), messages
    assert any("unknown setting 'colour'" in m for m in messages), messages
    assert (await status(lsp))["files"] == 3
    await stop(lsp)


async def test_several_workspace_folders(tmp_path: Path) -> None:
    first = make_project(tmp_path / "first")
    second = tmp_path / "second"
    (second / ".git").mkdir(parents=True)
    (second / "tools.py").write_text("def resolve_target_twice(x):\n    return x\n")
    lsp = await start(first, folders=[first, second])
    result = await idle(lsp)
    assert len(result["folders"]) == 2 and result["files"] == 4
    found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query="resolve_target"))
    assert {s.location.uri for s in found or []} == {
        uri(first, "pkg/core.py"),
        uri(second, "tools.py"),
    }
    lsp.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            types.WorkspaceFoldersChangeEvent(
                added=[], removed=[types.WorkspaceFolder(second.as_uri(), "second")]
            )
        )
    )
    await until(lambda: status(lsp), lambda s: len(s["folders"]) == 1)
    await stop(lsp)


async def test_a_second_daemon_is_read_only_and_says_why(project: Path) -> None:
    # An owner with no HTTP API cannot take a second daemon's queries and buffers
    # (tests/api/test_ownership.py has the usual case), so the second one reads the index.
    owner = await start(project, args=["--no-http"])
    await idle(owner)
    second = await start(project)
    state = await idle(second)
    assert state["folders"][0]["readOnly"] is True
    assert state["health"] == "warning"
    assert any("read-only" in m.message for m in second.messages), second.messages
    # It still answers, from the owner's index.
    found = await second.workspace_symbol_async(types.WorkspaceSymbolParams(query="helper"))
    assert [s.name for s in found or []] == ["helper"]
    await stop(second)
    await stop(owner)


async def test_settings_change_during_a_session(project: Path) -> None:
    lsp = await start(project)
    await idle(lsp)
    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"kenning": {**FAST, "exclude": ["pkg/app.py"], "debounceMs": "soon"}}
        )
    )
    # The folder is reopened with the new settings: app.py is left out now.
    final = await until(lambda: status(lsp), lambda s: s["phase"] == "idle" and s["files"] == 2)
    assert final["health"] == "ok"
    assert any("'debounceMs' ignored" in m.message for m in lsp.messages), lsp.messages
    await stop(lsp)


async def test_serve_over_tcp(project: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kenning", "serve", "--tcp", f"127.0.0.1:{port}",
        env=kenning_env(), stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    lsp = LanguageClient()
    try:
        await until(lambda: _connect(lsp, port), lambda ok: ok, timeout=30)
        await lsp.initialize_session(
            types.InitializeParams(
                capabilities=capabilities("neovim@v0.11.0"),
                workspace_folders=[types.WorkspaceFolder(project.as_uri(), "project")],
                initialization_options=FAST,
            )
        )
        assert (await idle(lsp))["files"] == 3
        found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query="helper"))
        assert [s.name for s in found or []] == ["helper"]
        await lsp.shutdown_async(None)
        lsp.exit(None)
        # After shutdown and exit the process ends by itself, cleanly.
        assert await asyncio.wait_for(server.wait(), 30) == 0
    finally:
        if server.returncode is None:
            server.kill()
        await server.wait()


async def _connect(lsp: LanguageClient, port: int) -> bool:
    try:
        await lsp.start_tcp("127.0.0.1", port)
    except OSError:
        return False
    return True


async def test_an_index_from_another_version_is_reported_and_rebuilt(project: Path) -> None:
    lsp = await start(project)
    await idle(lsp)
    await stop(lsp)
    meta = project / ".kenning" / "meta.json"
    meta.write_text(meta.read_text().replace('"schema": ', '"schema": 1000'))
    lsp = await start(project)
    broken = await idle(lsp)
    assert broken["health"] == "error" and broken["phase"] == "error"
    assert "schema version" in broken["message"], broken
    # The error message is a notification of its own: it may arrive after the status
    # that already says error, so wait for it rather than expect it there.

    async def errors() -> list[str]:
        return [m.message for m in lsp.messages if m.type == types.MessageType.Error]

    assert await until(errors, bool, 10)
    result = await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command="kenning.reindex")
    )
    assert result["message"] == "reindexed 1 workspace folder(s)"  # type: ignore[index]
    rebuilt = await status(lsp)
    assert (rebuilt["health"], rebuilt["phase"], rebuilt["files"]) == ("ok", "idle", 3)
    await stop(lsp)
