"""The daemon: a protocol-free core (`workspaces.py`) and the front ends over it.

`serve()` runs the language server (`handlers.py`, the only code that knows LSP) over
stdio or TCP for one editor; `run_daemon()` runs the core headless, for the CLI and
scripts; `mcp.run_mcp()` runs it headless behind an MCP server, for coding agents.
All of them serve the HTTP JSON-RPC API (`http.py`) for the folders they own
(`ownership.py`). `protocol.py` declares kenning's own methods, `requests.py` what
answers each.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kenning.server.ownership import Api
    from kenning.server.workspaces import Workspaces

# The API's default address: loopback, a port the system picks (the owner file says which).
DEFAULT_API = ("127.0.0.1", 0)

log = logging.getLogger(__name__)


class RepeatFilter(logging.Filter):
    """Lets at most `burst` warnings and errors of the same kind (logger, message
    template, exception type) through per `window` seconds; the first let through after
    that says how many were held back. A flood of one failure (a client sending junk,
    running out of file descriptors) then costs a few lines a minute, not megabytes.
    Information and debug lines all pass: they repeat by nature."""

    def __init__(self, burst: int = 10, window: float = 60.0) -> None:
        super().__init__()
        self.burst = burst
        self.window = window
        # kind -> [when its window began, records in it, records held back]
        self._kinds: dict[tuple[object, ...], list[float]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        kind = (record.name, record.levelno, str(record.msg),
                record.exc_info[0] if record.exc_info else None)  # fmt: skip
        now = time.monotonic()
        seen = self._kinds.get(kind)
        if seen is None or now - seen[0] >= self.window:
            if len(self._kinds) > 1000:
                self._kinds = {k: v for k, v in self._kinds.items() if now - v[0] < self.window}
            held_back = int(seen[2]) if seen is not None else 0
            self._kinds[kind] = [now, 1, 0]
            if held_back:
                record.msg = (f"{record.msg} [and {held_back} more like this in the last "
                              f"{self.window:g} s, not logged]")  # fmt: skip
            return True
        seen[1] += 1
        if seen[1] <= self.burst:
            return True
        seen[2] += 1
        return False


def _logging(log_file: Path | None, log_level: str) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RepeatFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(log_level.upper())
    # pygls logs every message at INFO, aiohttp and the MCP SDK every request; keep
    # their chatter out unless debugging.
    if root.level > logging.DEBUG:
        for chatty in ("pygls", "aiohttp", "mcp"):
            logging.getLogger(chatty).setLevel(logging.WARNING)


def serve(tcp: tuple[str, int] | None = None, log_file: Path | None = None,
          log_level: str = "INFO", api: tuple[str, int] | None = DEFAULT_API) -> int:  # fmt: skip
    """Serve one editor session; returns when it ends. Logs go to stderr or `log_file`,
    never stdout (stdout is the protocol's channel). `api`: where to serve HTTP for the
    folders this daemon owns (None: not at all)."""
    from kenning.server.handlers import create_server

    _logging(log_file, log_level)
    server = create_server(api, start_api if api is not None else None)
    try:
        if tcp is not None:
            server.start_tcp(*tcp)
        else:
            server.start_io()
    finally:
        server.close()
    return 0


class AlreadyServed(Exception):
    """Another daemon owns the workspace (the message says which and where)."""


async def start_api(ws: Workspaces, host: str, port: int) -> Api:
    """The HTTP API for `ws`'s folders, imported off the event loop (aiohttp takes a
    moment to import, and the loop is serving)."""
    await ws.folders.run(importlib.import_module, "kenning.server.http")
    from kenning.server.http import start_api as start

    return await start(ws, host, port)


@asynccontextmanager
async def headless(
    api: tuple[str, int] | None = DEFAULT_API, settings: object = None
) -> AsyncIterator[Workspaces]:
    """The core with no editor attached, on the running event loop: add folders to it
    and it owns them (serving the HTTP API) or forwards to their owner, as `kenning
    serve` does. On exit it detaches from owners, withdraws its records, flushes its
    writers and releases its locks. `kenning daemon` and `kenning mcp` are this plus
    what they serve."""
    from kenning.server.workspaces import Headless, Workspaces

    ws = Workspaces(Headless(), api, start_api if api is not None else None)
    ws.folders.configure(settings)
    try:
        yield ws
    finally:
        await ws.folders.detach()
        await asyncio.get_running_loop().run_in_executor(None, ws.folders.close)


def run_daemon(root: Path, api: tuple[str, int] = DEFAULT_API, log_file: Path | None = None,
               log_level: str = "INFO", settings: object = None) -> int:  # fmt: skip
    """Own `root` with no editor attached: index it, keep it up to date, serve the HTTP
    API until SIGTERM or SIGINT. `settings`: the tree an editor would send (see
    docs/server.md). `AlreadyServed` when a live daemon owns it; while a process with
    no API writes it (`kenning index`), it waits read-only and then takes over."""
    _logging(log_file, log_level)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        uri = root.resolve().as_uri()
        async with headless(api, settings) as ws:
            await ws.folders.add(uri)
            folder = ws.folders.get(uri)
            if folder is None:
                raise AlreadyServed(f"{root} is not a folder kenning can open")
            if folder.peer is not None:
                owner = folder.peer.owner
                raise AlreadyServed(f"kenning pid {owner.pid} already serves {root} at {owner.url}")
            if not folder.live.writer:
                if folder.live.error or folder.live.engine is None:  # broken
                    raise AlreadyServed(folder.live.error or f"{root} could not be opened")
                # A writer with no API holds the lock (`kenning index`, a daemon with
                # --no-http): read-only until it exits, then this daemon takes over.
                waiting = (f"kenning daemon: {folder.live.warning} It takes over when that "
                           f"process exits (pid {os.getpid()}).")  # fmt: skip
                print(waiting, file=sys.stderr, flush=True)
                while not folder.live.writer and not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 0.5)
                if stop.is_set():
                    return
            api_server = ws.folders.ownership.api
            address = api_server.url if api_server is not None else "no HTTP API"
            log.info("serving %s at %s", root, address)
            line = f"kenning daemon: serving {root} at {address} (pid {os.getpid()})"
            print(line, file=sys.stderr, flush=True)
            await stop.wait()

    asyncio.run(main())
    return 0
