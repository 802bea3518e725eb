"""`kenning mcp` and the workspace's owner: it forwards to a running daemon (and so sees
an editor's unsaved buffer), and with no daemon it becomes the owner that the CLI and
a later `kenning serve` ask in turn. Real processes throughout: `kenning daemon`,
`kenning serve` under pytest-lsp, the CLI, and `kenning mcp` under the SDK's client."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from mcp_session import Answer, ok, session

from api.conftest import Daemon
from api.test_ownership import open_and_type
from helpers import run_kenning
from kenning.api import owner
from mcp import ClientSession
from server.conftest import CLIENTS, FAST, idle, make_project, start, stop

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

TYPED = (
    '\n\ndef typed_in_editor():\n    """Only in the buffer."""\n    return resolve_target("z")\n'
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


async def described(client: ClientSession, name: str, timeout: float = 30.0) -> Answer:
    """`symbol name` once the owner has indexed it (editors' buffers are indexed in
    the background)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = await ok(client, "symbol", {"name": name})
        if answer.data["definitions"] or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_forwards_to_the_daemon_and_sees_an_editors_unsaved_buffer(project: Path) -> None:
    daemon = Daemon(project)
    editor = None
    try:
        daemon.wait_idle()
        editor = await start(project, CLIENTS[1], FAST)
        await idle(editor)
        open_and_type(editor, project, "pkg/app.py", TYPED)
        async with session(project) as client:
            found = await described(client, "typed_in_editor")
            (definition,) = found.data["definitions"]
            assert definition["qualname"] == "pkg.app.typed_in_editor"
            assert definition["docstring"] == "Only in the buffer."
            assert 'return resolve_target("z")' in definition["code"]
            assert [c["qualname"] for c in definition["callees"]] == ["pkg.core.resolve_target"]
            callers = await ok(client, "callers", {"symbol": "pkg.core.resolve_target"})
            assert "pkg.app.typed_in_editor" in callers.text

            status = await ok(client, "status")
            assert status.data["owner"] == {"pid": daemon.process.pid, "url": daemon.url,
                                            "self": False}  # fmt: skip
            assert f"owner: kenning pid {daemon.process.pid} at {daemon.url}" in status.text
            # A client of the owner: it took no lock and published nothing.
            record = owner.read(project / ".kenning")
            assert record is not None and record.pid == daemon.process.pid
        assert "typed_in_editor" not in (project / "pkg/app.py").read_text()
    finally:
        if editor is not None:
            await stop(editor)
        assert daemon.stop() == 0


@pytest.mark.slow
async def test_owns_the_workspace_and_the_cli_and_an_editor_ask_it(project: Path) -> None:
    async with session(project) as client:
        status = await ok(client, "status")
        assert status.data["owner"]["self"] is True
        pid = status.data["owner"]["pid"]
        record = owner.read(project / ".kenning")
        assert record is not None and record.pid == pid

        # The CLI asks it rather than opening the stores.
        cli = await asyncio.to_thread(run_kenning, project, "status")
        assert f"daemon     kenning pid {pid} at {record.url}" in cli.stdout, cli.stderr
        callers = await asyncio.to_thread(run_kenning, project, "callers", "resolve_target")
        assert callers.returncode == 0 and "pkg.app.main" in callers.stdout

        # So does an editor's language server, which forwards its buffers to it.
        editor = await start(project, CLIENTS[0], FAST)
        try:
            state = await idle(editor)
            assert f"indexed by kenning pid {pid}" in state["folders"][0]["message"]
            open_and_type(editor, project, "pkg/app.py", TYPED)
            found = await described(client, "typed_in_editor")
            assert found.data["total"] == 1
        finally:
            await stop(editor)
    assert owner.read(project / ".kenning") is None
