"""What a session keeps for each notification it handles: nothing, once handled.

An editor sends a notification per keystroke for as long as a session lasts (the soak
in `bench/soak.py` sends 100 a second), so anything kept per notification is a leak.
This drives the real protocol object of `kenning serve` with real message bodies.
"""

from __future__ import annotations

import json

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
