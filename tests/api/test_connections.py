"""The HTTP API under a flood of connections that never send an accepted request:
how many it holds, how long each may stall, and that real clients still get in.

Most tests run an `ApiServer` in the test's own event loop with small limits (real
sockets on loopback); the slow one runs a real `kenning daemon` with few file
descriptors and more stalled connections than it may open.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from api.conftest import Daemon
from kenning.server import http

TOKEN = "secret"
HEADER_TIMEOUT = 2.0


class Stand:  # only what the endpoint reads of the language server
    def __init__(self) -> None:
        self.folders = {"file:///w": object()}


@pytest_asyncio.fixture
async def api() -> AsyncIterator[http.ApiServer]:
    async def hello(params: Any, scope: Any) -> Any:
        return "hello"

    server = http.ApiServer(Stand(), "127.0.0.1", 0, {"test/hello": hello})  # type: ignore[arg-type]
    await server.start(max_open=12, max_pending=4, header_timeout=HEADER_TIMEOUT)
    server.grant("file:///w", TOKEN)
    yield server
    await server.stop()


def address(server: http.ApiServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


async def connect(server: http.ApiServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(*address(server))


def request(token: str = TOKEN, keep_alive: bool = False) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "test/hello"}).encode()
    connection = b"keep-alive" if keep_alive else b"close"
    head = (b"POST /rpc HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"
            b"Connection: %s\r\nContent-Length: %d\r\n\r\n")  # fmt: skip
    return head % (token.encode(), connection, len(body)) + body


async def ask(server: http.ApiServer) -> int:
    """A real client's request on a new connection; the HTTP status."""
    reader, writer = await connect(server)
    writer.write(request())
    reply = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return int(reply.split(b" ", 2)[1])


async def until(done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "not there in time"
        await asyncio.sleep(0.01)


async def closed(reader: asyncio.StreamReader, within: float) -> bool:
    """Whether the server closes this connection within `within` seconds."""
    try:
        return await asyncio.wait_for(reader.read(), within) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


async def test_a_connection_must_send_an_accepted_request_in_time(api: http.ApiServer) -> None:
    silent, _ = await connect(api)
    slow, slow_writer = await connect(api)
    # Headers a byte at a time, never finished: the deadline is for the whole request.
    for byte in b"POST /rpc HTTP/1.1\r\n":
        slow_writer.write(bytes([byte]))
        await asyncio.sleep(0.02)
    assert await closed(silent, within=HEADER_TIMEOUT + 5)
    assert await closed(slow, within=HEADER_TIMEOUT + 5)
    # A real client on a connection of its own is not affected, and after its request
    # passed the checks, its kept-alive connection is no longer on the clock.
    reader, writer = await connect(api)
    writer.write(request(keep_alive=True))
    await reader.readuntil(b"hello")
    assert not await closed(reader, within=1)
    writer.close()


async def test_the_oldest_stalled_connections_make_way(api: http.ApiServer) -> None:
    limiter = api.connections
    assert limiter is not None
    stalled = [await connect(api) for _ in range(8)]
    await until(lambda: limiter.open == 4)  # all accepted, the oldest four closed
    assert limiter.pending == 4
    # The four oldest were closed at once, the four newest are still waiting.
    assert [await closed(r, within=1) for r, _ in stalled[:4]] == [True] * 4
    assert [await closed(r, within=0.01) for r, _ in stalled[4:]] == [False] * 4
    assert await ask(api) == 200


async def test_a_refused_request_does_not_keep_its_connection(api: http.ApiServer) -> None:
    reader, writer = await connect(api)
    writer.write(request(token="wrong", keep_alive=True))
    reply = await asyncio.wait_for(reader.read(), 5)  # read to the end: the server closes
    assert reply.startswith(b"HTTP/1.1 401")


async def test_beyond_the_limit_new_connections_are_closed(api: http.ApiServer) -> None:
    # Twelve clients that passed the checks and keep their connections: the limit.
    kept = []
    for _ in range(12):
        reader, writer = await connect(api)
        writer.write(request(keep_alive=True))
        await reader.readuntil(b"hello")
        kept.append(writer)
    assert api.connections is not None and api.connections.open == 12
    extra, _ = await connect(api)
    assert await closed(extra, within=5)
    kept.pop().close()
    await until(lambda: api.connections is not None and api.connections.open < 12)
    assert await ask(api) == 200


@pytest.fixture
def many_descriptors() -> Iterator[None]:
    """Room in this process for the test's own side of the connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.slow
def test_a_flood_of_stalled_connections_does_not_exhaust_the_daemon(
    project: Path, many_descriptors: None
) -> None:
    """A daemon allowed 256 descriptors, and 800 connections that send nothing: it keeps
    answering, its descriptors stay bounded, and its log stays short."""
    daemon = Daemon(project, descriptors=256)
    try:
        daemon.wait_idle()
        host, port = daemon.url.removeprefix("http://").rsplit(":", 1)
        stalled: list[socket.socket] = []
        most_descriptors = 0
        for i in range(800):
            stalled.append(socket.create_connection((host, int(port)), timeout=10))
            if i % 100 == 99:
                # Between bursts, a real client gets in. (During one, the stalled
                # connections accepted after it may push it out: the oldest goes first.)
                time.sleep(0.2)
                assert daemon.call("kenning/status")["phase"] == "idle"
                open_now = len(os.listdir(f"/proc/{daemon.process.pid}/fd"))
                most_descriptors = max(most_descriptors, open_now)
        assert daemon.call("kenning/status")["phase"] == "idle"
        assert most_descriptors < 200
        for sock in stalled:
            sock.close()
    finally:
        assert daemon.stop() == 0
    log = daemon.logs()
    assert "out of system resource" not in log and "Too many open files" not in log
    assert log.count("closed the oldest of") <= 11  # ten a minute, then a summary
    assert len(log) < 50_000
