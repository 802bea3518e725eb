"""What a session keeps for each notification it handles: nothing, once handled.

An editor sends a notification per keystroke for as long as a session lasts (the soak
in `bench/soak.py` sends 100 a second), so anything kept per notification is a leak.
This drives the real protocol object of `kenning serve` with real message bodies.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kenning.server.handlers import create_server
from kenning.server.lsp import KenningProtocol


def did_change(version: int) -> bytes:
    return json.dumps({
        "jsonrpc": "2.0",
        "method": "textDocument/didChange",
        "params": {
            "textDocument": {"uri": "file:///nowhere/a.py", "version": version},
            "contentChanges": [{"text": f"x = {version}\n"}],
        },
    }).encode()  # fmt: skip


def test_handled_notifications_leave_nothing_behind() -> None:
    server = create_server()
    protocol = server.protocol
    assert isinstance(protocol, KenningProtocol)
    # Past `initialize`, which needs a client; didChange for a file in no open folder
    # goes through the whole handler chain and is ignored there.
    protocol.initialize_received = True
    for version in range(2, 202):
        protocol.receive(did_change(version))
    assert protocol.pending_requests == 0


async def test_shutdown_while_a_notification_is_being_handled() -> None:
    """`shutdown` cancels the handlers still running, a notification's among them; the
    cancelled future must not break its walk over them (it did: "dictionary changed
    size during iteration", and the reply to `shutdown` was an internal error)."""
    server = create_server()
    protocol = server.protocol
    assert isinstance(protocol, KenningProtocol)
    protocol.initialize_received = True
    replies: list[Any] = []
    protocol._send_data = replies.append  # type: ignore[method-assign,assignment]
    never = asyncio.Event()

    async def handled_forever() -> None:
        await never.wait()

    def notification() -> Any:
        yield handled_forever, (), None

    for n in range(3):
        protocol._execute_handler(f"n{n}", notification, protocol._check_handler_result)
    await asyncio.sleep(0)
    assert protocol.pending_requests >= 3
    protocol.receive(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "shutdown"}).encode())
    for _ in range(100):
        if replies:
            break
        await asyncio.sleep(0.01)
    assert [getattr(r, "id", None) for r in replies] == [1]
    assert getattr(replies[0], "error", None) is None, replies[0]
