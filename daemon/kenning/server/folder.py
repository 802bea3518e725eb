"""`Folder`: one workspace folder as the daemon's core holds it, and `Backend`, who
answers for it.

A folder has its `LiveWorkspace` (engine, writer thread, open buffers), the futures
requests wait on (opened; first catch-up done) and one backend, chosen when the folder
opens: local (this daemon serves it from its own index) or remote (another daemon
owns the index and this one forwards to it). Operations ask the backend, never "local
or forwarded?"; ownership swaps the backend when that changes (an owner went away and
this daemon took over).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from kenning.engine.live import LiveWorkspace
from kenning.server import protocol as p
from kenning.server.errors import RequestFailed

if TYPE_CHECKING:
    from kenning.api.client import AsyncApiClient
    from kenning.engine.engine import Engine

# Embedding states that mean work is under way.
EMBEDDING_ACTIVE = ("preparing", "running")


class Backend(Protocol):
    """Who answers for one folder; every result is in the folder's own terms (URIs
    inside it). `peer`: the owner forwarded to, None when served here."""

    @property
    def peer(self) -> AsyncApiClient | None: ...

    async def search(self, params: p.SearchParams) -> p.SearchResult: ...

    async def call_graph(self, params: p.CallGraphParams) -> p.CallGraphResult: ...

    async def impact(self, params: p.ImpactParams) -> p.ImpactResult: ...

    async def symbols(self, params: p.SymbolsParams) -> p.SymbolsResult: ...

    async def describe(self, params: p.DescribeParams) -> p.DescribeResult: ...

    async def hierarchy(self, params: p.HierarchyParams) -> p.HierarchyResult: ...

    async def calls(self, params: p.CallsParams) -> p.CallsResult: ...

    async def status(self) -> p.FolderStatus: ...

    async def reindex(self, rel: str | None) -> None: ...

    async def set_embedding(self, paused: bool) -> bool: ...


class Folder:
    def __init__(self, uri: str, root: Path, live: LiveWorkspace) -> None:
        self.uri = uri
        self.root = root
        self.live = live
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        # The first catch-up of a folder opened for writing.
        self.caught_up: asyncio.Future[dict[str, Any]] | None = None
        # Set by ownership when the folder opens (and again when its owner changes).
        self.backend: Backend | None = None

    @property
    def peer(self) -> AsyncApiClient | None:
        """The daemon this folder's requests and buffers go to; None: served here."""
        return self.backend.peer if self.backend is not None else None

    @property
    def engine(self) -> Engine:
        if self.live.engine is None:
            if not self.opened.done():
                raise RequestFailed(f"{self.root} is still being opened; ask again in a moment")
            raise RequestFailed(self.live.error or f"{self.root} has no index open")
        return self.live.engine

    @property
    def index_path(self) -> Path:
        return self.root / self.live.settings.index_dir

    def phase(self) -> p.Phase:
        if self.live.error:
            return "error"
        if not self.opened.done():
            return "starting"
        if self.live.indexing:
            return "indexing"
        if not self.live.writer:
            return "read-only"
        # Until the pool itself says it is idle (its last report may still show "running"
        # with nothing pending), the folder is not.
        if self.live.embedding.state in EMBEDDING_ACTIVE:
            return "embedding"
        return "idle"


Work = Literal["indexing", "embedding"]
