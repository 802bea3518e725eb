"""The LSP connection under bad input, through the real `kenning serve` over stdio:
bad frames are discarded and the next one answered; every request gets exactly one
reply with the right JSON-RPC code; the session's lifecycle is enforced; requests sent
while the workspace folder opens wait for it.

Malformed traffic cannot be sent with an LSP client library, so most of these tests
write bytes to the server's stdin and read its stdout themselves (`Raw`).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import sys
import time
from collections.abc import AsyncIterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from helpers import kenning_env
from server.conftest import FAST, idle, request, start, status, stop

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
SERVER_NOT_INITIALIZED, REQUEST_FAILED = -32002, -32803


def frame(message: Any) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Raw:
    """`kenning serve` over stdio, spoken to in bytes."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log
        self.ids = count(1000)
        # Notifications and requests from the server, as received.
        self.from_server: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, log: Path) -> Raw:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kenning", "serve", "--no-http", "--log-file", str(log),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=kenning_env(),
        )  # fmt: skip
        return cls(process, log)

    async def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        await self.process.stdin.drain()

    async def receive(self, timeout: float = 30.0) -> dict[str, Any]:
        """The next message from the server."""
        assert self.process.stdout is not None
        stdout = self.process.stdout
        head = await asyncio.wait_for(stdout.readuntil(b"\r\n\r\n"), timeout)
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))  # fmt: skip
        message: dict[str, Any] = json.loads(await stdout.readexactly(length))
        return message

    async def replies_until(self, request_id: int) -> list[dict[str, Any]]:
        """Every reply the server sends up to and including the one to `request_id`."""
        replies = []
        while True:
            message = await self.receive()
            if "method" in message:
                self.from_server.append(message)
                continue
            replies.append(message)
            if message.get("id") == request_id:
                return replies

    def sentinel(self) -> tuple[bytes, int]:
        """A status request to send after something else, to see what came before its reply."""
        request_id = next(self.ids)
        message = {"jsonrpc": "2.0", "id": request_id, "method": "kenning/status"}
        return frame(message), request_id

    async def initialize(self, root: Path) -> None:
        params = {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
                  "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                  "initializationOptions": FAST}  # fmt: skip
        await self.send(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                               "params": params}))  # fmt: skip
        (reply,) = await self.replies_until(1)
        assert "capabilities" in reply["result"], reply
        await self.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))

    async def close(self) -> int:
        """shutdown and exit; the process's exit code."""
        await self.send(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
        await self.replies_until(2)
        await self.send(frame({"jsonrpc": "2.0", "method": "exit"}))
        return await asyncio.wait_for(self.process.wait(), 30)

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


@pytest_asyncio.fixture
async def raw(project: Path, tmp_path: Path) -> AsyncIterator[Raw]:
    session = await Raw.start(tmp_path / "serve.log")
    try:
        yield session
    finally:
        session.kill()
        await session.process.wait()


def request_frame(request_id: Any, method: str, params: Any = None) -> bytes:
    return frame({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})


STATUS = {"jsonrpc": "2.0", "id": 7, "method": "kenning/status"}
STATUS_BODY = json.dumps(STATUS).encode()

BAD_FRAMES = {
    "length not a number": b"Content-Length: abc\r\n\r\n" + STATUS_BODY,
    "negative length": b"Content-Length: -5\r\n\r\n" + STATUS_BODY,
    "no length": b"Content-Type: application/vscode-jsonrpc\r\n\r\n" + STATUS_BODY,
    "length too long": b"Content-Length: %d\r\n\r\n" % (len(STATUS_BODY) + 40) + STATUS_BODY,
    "length too short": b"Content-Length: 10\r\n\r\n" + STATUS_BODY,
    "junk": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
}


async def test_a_bad_frame_is_discarded_and_the_next_frame_answered(
    raw: Raw, project: Path
) -> None:
    await raw.initialize(project)
    for name, bad in BAD_FRAMES.items():
        follow, request_id = raw.sentinel()
        for data in ([bad + follow], [bad, follow]):  # in one write, then in two
            for piece in data:
                await raw.send(piece)
            replies = await raw.replies_until(request_id)
            assert "result" in replies[-1], (name, replies)
            if name == "length too short":
                # What the length took in is not JSON: a parse error, for nobody's id.
                assert [(r["id"], r["error"]["code"]) for r in replies[:-1]] == [
                    (None, PARSE_ERROR)
                ]
            else:
                assert replies[:-1] == [], (name, replies)
    assert await raw.close() == 0
    log = raw.log.read_text()
    assert "Content-Length 'abc' is not a byte count" in log
    assert "Content-Length '-5' is not a byte count" in log
    assert "a frame without a Content-Length header" in log
    assert "was too long" in log


DEEP = b"[" * 100_000 + b"]" * 100_000


def item(**fields: Any) -> dict[str, Any]:
    return {"item": fields}


# What each bad message gets: exactly one reply, with this id, code and words.
BAD_MESSAGES = {
    "not JSON": (b'{"jsonrpc": "2.0", "id": 10, "method"', None, PARSE_ERROR, "parse error"),
    "nested 100,000 deep": (DEEP, None, PARSE_ERROR, "nests too deeply"),
    "not an object": (b"[1, 2]", None, INVALID_REQUEST, "must be a JSON object"),
    "an object as id": (b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "kenning/status"}', None,
                        INVALID_REQUEST, "the id must be a string or an integer, not an object"),
    "NaN as id": (b'{"jsonrpc": "2.0", "id": NaN, "method": "kenning/status"}', None,
                  INVALID_REQUEST, "not NaN"),
    "a boolean as id": (b'{"jsonrpc": "2.0", "id": true, "method": "kenning/status"}', None,
                        INVALID_REQUEST, "not a boolean"),
    "a fraction as id": (b'{"jsonrpc": "2.0", "id": 1.5, "method": "kenning/status"}', None,
                         INVALID_REQUEST, "not a fraction"),
    "JSON-RPC 1.0": (b'{"jsonrpc": "1.0", "id": 12, "method": "kenning/status"}', 12,
                     INVALID_REQUEST, '"jsonrpc" must be "2.0"'),
    "a number as method": (b'{"jsonrpc": "2.0", "id": 13, "method": 5}', 13, INVALID_REQUEST,
                           '"method" must be a string'),
    "a string as params": (b'{"jsonrpc": "2.0", "id": 14, "method": "kenning/status", '
                           b'"params": "x"}', 14, INVALID_REQUEST, "params must be an object"),
    "a malformed call hierarchy item": (
        json.dumps({"jsonrpc": "2.0", "id": 15, "method": "callHierarchy/incomingCalls",
                    "params": item(name=3)}).encode(),
        15, INVALID_PARAMS, "params.item.uri: required field missing"),
    "a position that is not a number": (
        json.dumps({"jsonrpc": "2.0", "id": 16, "method": "textDocument/prepareCallHierarchy",
                    "params": {"textDocument": {"uri": "file:///x.py"},
                               "position": {"line": "a", "character": 0}}}).encode(),
        16, INVALID_PARAMS, "params.position.line: invalid value for type, expected int"),
    "no params where they are required": (
        b'{"jsonrpc": "2.0", "id": 17, "method": "callHierarchy/outgoingCalls"}', 17,
        INVALID_PARAMS, "invalid params"),
    "an unknown method": (b'{"jsonrpc": "2.0", "id": "u", "method": "kenning/nonsense"}', "u",
                          METHOD_NOT_FOUND, "kenning/nonsense"),
}  # fmt: skip


async def test_every_request_gets_one_reply_with_the_right_code(raw: Raw, project: Path) -> None:
    await raw.initialize(project)
    for name, (body, reply_id, code, says) in BAD_MESSAGES.items():
        follow, request_id = raw.sentinel()
        await raw.send(frame(body) + follow)
        *replies, last = await raw.replies_until(request_id)
        assert "result" in last, (name, last)
        assert len(replies) == 1, (name, replies)
        (reply,) = replies
        assert reply["jsonrpc"] == "2.0" and "id" in reply, (name, reply)
        assert (reply["id"], reply["error"]["code"]) == (reply_id, code), (name, reply)
        assert says in reply["error"]["message"], (name, reply)
        assert "data" not in reply["error"], (name, reply)  # no traceback for the client
    # A notification with bad params has no one to answer: logged, not shown.
    follow, request_id = raw.sentinel()
    await raw.send(
        frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {}}) + follow
    )
    assert len(await raw.replies_until(request_id)) == 1
    assert [m for m in raw.from_server if m["method"] == "window/showMessage"] == []
    assert await raw.close() == 0
    assert "refused notification textDocument/didOpen: invalid params" in raw.log.read_text()


async def test_the_session_lifecycle_is_enforced(raw: Raw, project: Path) -> None:
    # Before initialize: requests are refused, notifications dropped (but for exit).
    await raw.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    await raw.send(request_frame(5, "kenning/status", {}))
    (reply,) = await raw.replies_until(5)
    assert reply["error"]["code"] == SERVER_NOT_INITIALIZED
    assert "not initialized" in reply["error"]["message"]
    await raw.initialize(project)
    follow, request_id = raw.sentinel()
    await raw.send(follow)
    assert "result" in (await raw.replies_until(request_id))[-1]
    # After shutdown: requests are refused as invalid; exit ends the process cleanly.
    await raw.send(request_frame(2, "shutdown"))
    await raw.replies_until(2)
    await raw.send(request_frame(6, "kenning/status", {}))
    (reply,) = await raw.replies_until(6)
    assert reply["error"]["code"] == INVALID_REQUEST
    assert "shutting down" in reply["error"]["message"]
    await raw.send(frame({"jsonrpc": "2.0", "method": "exit"}))
    assert await asyncio.wait_for(raw.process.wait(), 30) == 0


class HeldLock:
    """The project's index lock, held by the test (a process with no API): a daemon
    starting on it waits a few seconds for an owner to publish itself, then opens the
    index read-only. A folder that is slow to open, on demand."""

    def __init__(self, project: Path) -> None:
        self.file = open(project / ".kenning" / "lock", "a+")  # noqa: SIM115
        fcntl.flock(self.file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
        self.file.close()


async def test_requests_while_the_folder_opens_wait_for_it(project: Path) -> None:
    indexed = await start(project)
    await idle(indexed)
    await stop(indexed)
    lock = HeldLock(project)
    try:
        lsp = await start(project)
        started = time.monotonic()
        # Status answers at once: it is what says the folder is still opening.
        assert (await status(lsp))["phase"] == "starting"
        # A query waits for the folder, then answers from its index.
        found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query="helper"))
        assert [s.name for s in found or []] == ["helper"]
        assert time.monotonic() - started > 1  # it did wait: the folder took seconds
        await stop(lsp)
        # The wait is bounded by the request timeout: past it, the request fails saying
        # why (had it waited for the folder, it would have been answered).
        hurried = await start(project, options={**FAST, "requestTimeoutMs": 300})
        with pytest.raises(JsonRpcException) as caught:
            await request(hurried, "kenning/symbols", {"query": "helper"})
        assert caught.value.code == REQUEST_FAILED
        assert "still being opened" in caught.value.message
        await stop(hurried)
    finally:
        lock.release()


async def test_a_request_in_the_same_write_as_initialized_is_answered(
    project: Path, tmp_path: Path
) -> None:
    # Index first, so that the answer has something in it.
    indexed = await start(project)
    await idle(indexed)
    await stop(indexed)
    again = await Raw.start(tmp_path / "serve.log")
    try:
        params = {"processId": None, "rootUri": project.as_uri(), "capabilities": {},
                  "initializationOptions": FAST}  # fmt: skip
        await again.send(request_frame(1, "initialize", params))
        await again.replies_until(1)
        await again.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}})
                         + request_frame(3, "kenning/symbols", {"query": "helper"}))  # fmt: skip
        (reply,) = await again.replies_until(3)
        assert [s["qualname"] for s in reply["result"]["symbols"]] == ["pkg.app.helper"]
        assert await again.close() == 0
    finally:
        again.kill()
        await again.process.wait()
