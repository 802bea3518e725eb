"""One owner per workspace: two editors' daemons on one folder, the owner killed, a
stale owner record. Real `kenning serve` processes driven by pytest-lsp with the
recorded capabilities of VS Code and Neovim, and real `kenning daemon` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from api.conftest import Daemon
from helpers import kenning_env, run_kenning
from kenning.api import owner
from kenning.storage.index_dir import IndexDir
from server.conftest import CLIENTS, FAST, idle, request, start, status, stop, until, uri

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow


async def names(lsp: LanguageClient, query: str) -> list[str]:
    found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
    return sorted(s.name for s in found or [])


def open_and_type(lsp: LanguageClient, root: Path, rel: str, added: str) -> None:
    """Open `rel` and type `added` at its end, without saving."""
    text = (root / rel).read_text()
    lsp.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri(root, rel), "python", 1, text)))  # fmt: skip
    end = types.Position(line=len(text.splitlines()), character=0)
    change = types.TextDocumentContentChangePartial(range=types.Range(end, end), text=added)
    document = types.VersionedTextDocumentIdentifier(version=2, uri=uri(root, rel))
    lsp.text_document_did_change(types.DidChangeTextDocumentParams(document, [change]))


def server_pid(lsp: LanguageClient) -> int:
    assert lsp._server is not None
    return int(lsp._server.pid)


async def test_two_editors_on_one_folder_both_answer_and_both_edit(project: Path) -> None:
    vscode = await start(project, CLIENTS[1], FAST)
    await idle(vscode)
    neovim = await start(project, CLIENTS[0], FAST)
    try:
        state = await idle(neovim)
        # The second daemon serves its editor from the first one's index.
        record = owner.read(project / ".kenning")
        assert record is not None and record.pid == server_pid(vscode)
        folder = state["folders"][0]
        assert f"indexed by kenning pid {record.pid}" in folder["message"]
        assert (state["health"], folder["readOnly"]) == ("ok", False)

        # Both answer: workspace symbols, the call hierarchy, kenning's requests.
        assert await names(neovim, "helper") == await names(vscode, "helper") == ["helper"]
        items = await neovim.text_document_prepare_call_hierarchy_async(
            types.CallHierarchyPrepareParams(
                types.TextDocumentIdentifier(uri(project, "pkg/core.py")), types.Position(3, 6)
            )
        )
        assert items and items[0].name == "resolve_target"
        callers = await neovim.call_hierarchy_incoming_calls_async(
            types.CallHierarchyIncomingCallsParams(item=items[0])
        )
        assert sorted(c.from_.name for c in callers or []) == ["main", "register"]
        graph = await request(neovim, "kenning/callGraph", {"symbol": "main"})
        assert graph["root"]["qualname"] == "pkg.app.main"

        # An edit through the second is indexed by the owner, and seen by the first.
        open_and_type(neovim, project, "pkg/app.py", "\n\ndef typed_in_neovim():\n    pass\n")
        await until(lambda: names(vscode, "typed_in"), lambda n: n == ["typed_in_neovim"])
        # And the other way round.
        open_and_type(vscode, project, "pkg/core.py", "\n\ndef typed_in_vscode():\n    pass\n")
        await until(lambda: names(neovim, "typed_in"),
                    lambda n: n == ["typed_in_neovim", "typed_in_vscode"])  # fmt: skip
        # Closing the unsaved buffer in the second editor: the file on disk counts again.
        neovim.text_document_did_close(types.DidCloseTextDocumentParams(
            types.TextDocumentIdentifier(uri(project, "pkg/app.py"))))  # fmt: skip
        await until(lambda: names(vscode, "typed_in"), lambda n: n == ["typed_in_vscode"])
    finally:
        await stop(neovim)
        await stop(vscode)


async def test_when_the_owner_is_killed_the_survivor_takes_over(project: Path) -> None:
    headless = Daemon(project)
    headless.wait_idle()
    lsp = await start(project, CLIENTS[0], FAST)
    try:
        await idle(lsp)
        open_and_type(lsp, project, "pkg/app.py", "\n\ndef typed_before_the_kill():\n    pass\n")
        await until(lambda: names(lsp, "typed_before"), lambda n: n == ["typed_before_the_kill"])

        headless.stop(signal.SIGKILL)
        # The survivor notices, takes the lock, indexes the folder and its open buffer
        # (the unsaved function is still found), and publishes itself as the owner.
        state = await until(lambda: status(lsp),
                            lambda s: "indexed by" not in s["folders"][0]["message"]
                            and s["phase"] == "idle", timeout=60)  # fmt: skip
        assert state["folders"][0]["readOnly"] is False
        record = owner.read(project / ".kenning")
        assert record is not None and record.pid == server_pid(lsp)
        assert await names(lsp, "typed_before") == ["typed_before_the_kill"]
        # The CLI asks the new owner: it sees the unsaved buffer, which the files on
        # disk do not have.
        cli = run_kenning(project, "symbols", "typed_before_the_kill")
        assert cli.returncode == 0, cli.stderr
        assert "pkg/app.py:14  pkg.app.typed_before_the_kill()" in cli.stdout
    finally:
        await stop(lsp)
        headless.stop()


async def test_a_stale_owner_record_is_replaced(project: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    index = project / ".kenning"
    index.mkdir()
    stale = owner.OwnerRecord(pid=gone.pid, url="http://127.0.0.1:9", token_file=str(index / "t"),
                              workspace=str(project))  # fmt: skip
    (index / "daemon.json").write_bytes(msgspec.json.encode(stale))
    assert owner.find_owner(index) is None

    lsp = await start(project, CLIENTS[1], FAST)
    try:
        state = await idle(lsp)
        assert (state["phase"], state["files"]) == ("idle", 3)
        record = owner.read(index)
        assert record is not None and record.pid == server_pid(lsp)
        live = owner.find_owner(index)
        assert live is not None and live.url == record.url
    finally:
        await stop(lsp)
    # A clean exit takes the record away.
    assert owner.read(index) is None


def daemon_exit(project: Path) -> tuple[int, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "kenning", "daemon", str(project), "--no-embeddings"],
        env=kenning_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done.returncode, done.stderr


async def test_a_headless_daemon_defers_to_an_editors_daemon(project: Path) -> None:
    lsp = await start(project, CLIENTS[0], FAST)
    try:
        await idle(lsp)
        code, stderr = daemon_exit(project)
        assert code == 4
        assert f"kenning pid {server_pid(lsp)} already serves" in stderr
    finally:
        await stop(lsp)


def test_a_daemon_waits_for_a_writer_without_an_api_then_takes_over(project: Path) -> None:
    """`kenning daemon` started while a process with no API (`kenning index`; here the
    same engine, held open until told) writes the index does not exit: it waits,
    read-only, and owns the workspace once that process is gone."""
    index = project / ".kenning"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_INDEX, str(project)],
        env=kenning_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "indexed"
        waiting = subprocess.Popen(
            [sys.executable, "-m", "kenning", "daemon", str(project), "--no-embeddings"],
            env=kenning_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        lines: list[str] = []
        said_waiting = threading.Event()
        said_serving = threading.Event()

        def read_stderr() -> None:
            assert waiting.stderr is not None
            for line in waiting.stderr:
                lines.append(line)
                if "takes over when that process exits" in line:
                    said_waiting.set()
                if "kenning daemon: serving" in line:
                    said_serving.set()

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        try:
            assert said_waiting.wait(60), "".join(lines)
            assert waiting.poll() is None, "".join(lines)
            assert owner.read(index) is None  # not serving yet: the lock is not its own
            assert holder.stdin is not None
            holder.stdin.close()  # the index process finishes
            holder.wait(timeout=30)
            deadline = time.monotonic() + 60
            record = owner.read(index)
            while record is None or record.pid != waiting.pid:
                assert waiting.poll() is None and time.monotonic() < deadline, "no take-over"
                time.sleep(0.2)
                record = owner.read(index)
            assert IndexDir(index).owner() is not None
            assert said_serving.wait(60), "".join(lines)
        finally:
            os.killpg(waiting.pid, signal.SIGTERM)
            waiting.wait(timeout=30)
            reader.join(10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


# Indexes the folder given, says so, and keeps the writer lock until stdin closes.
HOLD_THE_INDEX = """
import sys
from pathlib import Path
from kenning.core.settings import Settings
from kenning.engine import Engine


with Engine.open(Path(sys.argv[1]), Settings(parse_workers=1)) as engine:
    engine.index()
    print("indexed", flush=True)
    sys.stdin.read()
"""
