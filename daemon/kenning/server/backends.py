"""Who answers for a folder: `LocalBackend` (this daemon's own index) or `RemoteBackend`
(the daemon that owns the index, over its HTTP API).

Both take and return kenning's protocol structs (`protocol.py`), in the folder's own
terms, so the core merges folders without knowing which is which. Local queries run on
the query threads (`Queries`), bounded by the request timeout and cancelled for real
when the time is up or the client gives up (`core/cancel.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from kenning.api.client import ApiError, AsyncApiClient, OwnerGone
from kenning.core import cancel
from kenning.core.results import IndexStatus, SymbolRef
from kenning.engine.engine import OutsideWorkspace, ReadOnly
from kenning.pipeline.executors import Executor
from kenning.query.symbols import UnknownSymbol
from kenning.server import convert
from kenning.server import protocol as p
from kenning.server.errors import AmbiguousSymbol, InvalidParams, OwnerError, RequestFailed
from kenning.server.folder import EMBEDDING_ACTIVE, Backend, Folder
from kenning.storage.index_dir import IndexError_

if TYPE_CHECKING:
    from kenning.core.settings import Settings
    from kenning.engine.engine import Engine

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long a query waits for the changes due when it came (a save the editor just sent,
# typing past its debounce) before answering from the index as it is. A save of a large
# file takes tens of milliseconds to apply; answering before it would return the state
# before the save (a renamed function still under its old name), and a client that polls
# for its edit would compete for the interpreter with the writer applying it.
FRESH_WAIT_S = 0.5


class Queries:
    """Runs queries on the query threads: bounded by the request timeout, cancelled
    (the worker stops at its next check) when the caller stops waiting, and with the
    errors a user can act on turned into request errors."""

    def __init__(self, executor: Executor, settings: Callable[[], Settings]) -> None:
        self.executor = executor
        self._settings = settings

    @property
    def timeout(self) -> float:
        return self._settings().request_timeout_ms / 1000

    async def run(self, fn: Callable[..., T], *args: Any, bounded: bool = True) -> T:
        token = cancel.CancelToken()
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        work = loop.run_in_executor(self.executor, context.run, _as, token, fn, *args)
        timeout = self.timeout if bounded else None
        try:
            return await asyncio.wait_for(work, timeout)
        except TimeoutError:
            token.cancel(f"ran past the request timeout of {timeout:g} s")
            raise RequestFailed(f"the query took longer than {timeout:g} s") from None
        except asyncio.CancelledError:
            token.cancel("the client cancelled the request")
            raise
        except cancel.Cancelled as stopped:
            raise RequestFailed(f"the query was stopped: {stopped}") from None
        except (OutsideWorkspace, p.InvalidParams) as error:
            raise InvalidParams(str(error)) from None
        except (UnknownSymbol, ReadOnly) as error:
            raise RequestFailed(str(error)) from None
        except IndexError_ as error:
            # Damage a query met on disk (a garbled page, which the check at open does
            # not read): its message names the fix, which is the user's to run.
            raise RequestFailed(str(error)) from None


def _as(token: cancel.CancelToken, fn: Callable[..., T], *args: Any) -> T:
    with cancel.running(token):
        token.check()  # given up on while it waited for a thread
        return fn(*args)


class LocalBackend:
    """A folder this daemon serves from its own index."""

    peer: AsyncApiClient | None = None

    def __init__(
        self, folder: Folder, queries: Queries, rebuild: Callable[[Folder], Awaitable[None]]
    ) -> None:
        self.folder = folder
        self.queries = queries
        # Wipes a broken index and opens the folder afresh (the core's job: it owns
        # the folder list).
        self._rebuild_broken = rebuild

    async def _query(
        self, fn: Callable[..., T], *args: Any, bounded: bool = True, at: str | None = None
    ) -> T:
        """Run `fn` on a query thread once the changes due now are applied (at most
        `FRESH_WAIT_S`); `at`: the file a position of the request is in, whose typing
        is applied now too."""
        await self.folder.opened
        await self._changes_due(at)
        return await self.queries.run(fn, *args, bounded=bounded)

    async def _changes_due(self, at: str | None) -> None:
        """Wait, at most `FRESH_WAIT_S`, for the changes due now to be applied."""
        due = self.folder.live.changes_due(() if at is None else (at,))
        if due is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.wrap_future(due), FRESH_WAIT_S)

    @property
    def _engine(self) -> Engine:
        return self.folder.engine

    def _rel(self, uri: str) -> str:
        path = _path(uri)
        if not path.is_relative_to(self.folder.root):
            raise InvalidParams(f"{path} is outside the workspace folder {self.folder.root}")
        return path.relative_to(self.folder.root).as_posix()

    # -- queries --------------------------------------------------------------------------

    async def search(self, params: p.SearchParams) -> p.SearchResult:
        f = params.filters
        found = await self._query(
            partial(
                self._engine.search,
                params.query,
                params.limit,
                languages=f.languages,
                path_globs=f.path_globs,
                kinds=f.kinds,
                mode=params.mode,
            )
        )
        return p.SearchResult(
            query=params.query,
            hits=convert.search_hits(self.folder.root, found.hits),
            vectors_complete=found.vectors_complete,
            vector_coverage=found.vector_coverage,
            note=found.note,
        )

    async def _target(self, params: p.CallGraphParams | p.ImpactParams) -> SymbolRef:
        """The one symbol a callGraph/impact request names."""
        engine = self._engine
        if params.text_document is not None and params.position is not None:
            rel = self._rel(params.text_document.uri)
            pos = params.position
            found = await self._query(engine.symbol_at, rel, pos.line, pos.character, at=rel)
            if not found:
                raise RequestFailed(f"no symbol at {rel}:{pos.line + 1}:{pos.character + 1}")
            return found[0]
        assert params.symbol is not None
        matches = await self._query(engine.resolve_symbol, params.symbol)
        if len(matches) > 1:
            names = ", ".join(m.id for m in matches[:5])
            raise AmbiguousSymbol(f"{params.symbol!r} is ambiguous: {names}")
        return matches[0]

    async def call_graph(self, params: p.CallGraphParams) -> p.CallGraphResult:
        root = await self._target(params)
        engine = self._engine
        graph = await self._query(
            engine.call_graph, root, params.direction, params.depth, params.min_confidence
        )
        return convert.call_graph(self.folder.root, graph)

    async def impact(self, params: p.ImpactParams) -> p.ImpactResult:
        root = await self._target(params)
        found = await self._query(self._engine.impact, root, params.depth, params.min_confidence)
        return convert.impact(self.folder.root, found)

    async def symbols(self, params: p.SymbolsParams) -> p.SymbolsResult:
        found = await self._query(self._engine.symbols, params.query, params.limit)
        return p.SymbolsResult(symbols=[convert.node(self.folder.root, s) for s in found])

    async def describe(self, params: p.DescribeParams) -> p.DescribeResult:
        engine = self._engine
        described = await self._query(
            partial(
                engine.describe,
                params.symbol,
                params.limit,
                params.max_code_chars,
                params.neighbours,
            )
        )
        return convert.description(self.folder.root, described)

    async def hierarchy(self, params: p.HierarchyParams) -> p.HierarchyResult:
        rel = self._rel(params.text_document.uri)
        pos = params.position
        found = await self._query(self._engine.symbol_at, rel, pos.line, pos.character, at=rel)
        return p.HierarchyResult(nodes=[convert.node(self.folder.root, s) for s in found if s.path])

    async def calls(self, params: p.CallsParams) -> p.CallsResult:
        engine = self._engine
        found = await self._query(
            engine.neighbours, params.symbol_id, params.incoming, params.min_confidence
        )
        root = self.folder.root
        return p.CallsResult(
            calls=[
                p.Call(
                    node=convert.node(root, n.symbol),
                    ranges=[convert.span_to_range(x) for x in n.sites],
                    resolution=n.resolution,
                    confidence=n.confidence,
                )
                for n in found
            ]
        )

    # -- status and commands ---------------------------------------------------------------

    async def status(self) -> p.FolderStatus:
        folder = self.folder
        live = folder.live
        engine = live.engine
        counts: IndexStatus | None = None
        if folder.opened.done() and engine is not None:
            # Not bounded: status is a few counts, slow only when the machine is busy,
            # and it is what tells the user that it is.
            counts = await self.queries.run(engine.status, bounded=False)
        return folder_status(folder, counts)

    async def reindex(self, rel: str | None) -> None:
        folder = self.folder
        await folder.opened
        live = folder.live
        if rel is None:
            if live.engine is None and live.error:
                # A foreign-version or broken index: wiped, then opened afresh.
                await self._rebuild_broken(folder)
                return
            if not live.writer:
                raise RequestFailed(live.warning or live.error)
            await asyncio.wrap_future(live.catch_up(rebuild=True))
            return
        if live.relpath(folder.root / rel) is None:
            raise InvalidParams(f"{rel} is not a file kenning indexes")
        try:
            await asyncio.wrap_future(live.reindex_file(rel))
        except ReadOnly as error:
            raise RequestFailed(str(error)) from None

    async def set_embedding(self, paused: bool) -> bool:
        live = self.folder.live
        if not live.writer or not live.settings.embedding.enabled:
            return False
        engine = self._engine
        await self._query(engine.pause_embedding if paused else engine.resume_embedding)
        return True


class RemoteBackend:
    """A folder another daemon owns: each request goes to it. When it is gone,
    `take_over` (ownership's) makes this daemon serve the folder, or follow whoever
    does, and the request is asked again of the folder's new backend."""

    def __init__(
        self,
        folder: Folder,
        peer: AsyncApiClient,
        take_over: Callable[[Folder, AsyncApiClient], Awaitable[None]],
    ) -> None:
        self.folder = folder
        self.peer: AsyncApiClient | None = peer
        self._take_over = take_over

    async def forward(self, method: str, params: Any) -> Any:
        """The owner's raw answer; `OwnerGone` when it does not answer."""
        assert self.peer is not None
        try:
            return await self.peer.call(method, params)
        except ApiError as error:
            raise OwnerError(error.code, error.message, error.data) from None

    async def _ask(self, method: p.Method, params: msgspec.Struct) -> Any:
        """The owner's answer as `method.result`; or, when the owner is gone and the
        folder has a new backend (this daemon took over, or follows a new owner), that
        backend (a `Backend`), to ask again."""
        peer = self.peer
        assert peer is not None
        try:
            raw = await self.forward(method.name, p.encode(params))
        except OwnerGone:
            await self._take_over(self.folder, peer)
            backend = self.folder.backend
            if backend is self or backend is None:
                raise RequestFailed(
                    f"the daemon that indexes {self.folder.root} does not answer"
                ) from None
            return _Moved(backend)
        return msgspec.convert(raw, method.result)

    async def search(self, params: p.SearchParams) -> p.SearchResult:
        found = await self._ask(p.SEARCH, params)
        if isinstance(found, _Moved):
            return await found.backend.search(params)
        # The owner may serve other folders too: keep this one's hits.
        hits = [h for h in found.hits if convert.inside(h.uri, self.folder.root)]
        result: p.SearchResult = msgspec.structs.replace(found, hits=hits)
        return result

    async def call_graph(self, params: p.CallGraphParams) -> p.CallGraphResult:
        found = await self._ask(p.CALL_GRAPH, params)
        return await found.backend.call_graph(params) if isinstance(found, _Moved) else found

    async def impact(self, params: p.ImpactParams) -> p.ImpactResult:
        found = await self._ask(p.IMPACT, params)
        return await found.backend.impact(params) if isinstance(found, _Moved) else found

    async def symbols(self, params: p.SymbolsParams) -> p.SymbolsResult:
        found = await self._ask(p.SYMBOLS, params)
        if isinstance(found, _Moved):
            return await found.backend.symbols(params)
        root = self.folder.root
        return p.SymbolsResult(
            symbols=[s for s in found.symbols if s.uri is None or convert.inside(s.uri, root)]
        )

    async def describe(self, params: p.DescribeParams) -> p.DescribeResult:
        found = await self._ask(p.DESCRIBE, params)
        return await found.backend.describe(params) if isinstance(found, _Moved) else found

    async def hierarchy(self, params: p.HierarchyParams) -> p.HierarchyResult:
        found = await self._ask(p.PEER_HIERARCHY, params)
        return await found.backend.hierarchy(params) if isinstance(found, _Moved) else found

    async def calls(self, params: p.CallsParams) -> p.CallsResult:
        found = await self._ask(p.PEER_CALLS, params)
        return await found.backend.calls(params) if isinstance(found, _Moved) else found

    async def status(self) -> p.FolderStatus:
        found = await self._ask(p.STATUS, p.StatusParams())
        if isinstance(found, _Moved):
            return await found.backend.status()
        return self._peer_status(found)

    def _peer_status(self, status: p.StatusResult) -> p.FolderStatus:
        """Our folder's entry in the owner's status, saying who serves it."""
        mine = [f for f in status.folders if _same_folder(f.uri, self.folder)]
        entry = mine[0] if mine else status.folders[0] if status.folders else None
        if entry is None:
            raise RequestFailed("the owner sent no folder status")
        peer = self.peer
        who = f" (indexed by kenning pid {peer.owner.pid})" if peer is not None else ""
        result: p.FolderStatus = msgspec.structs.replace(
            entry, uri=self.folder.uri, message=entry.message + who
        )
        return result

    async def reindex(self, rel: str | None) -> None:
        uris = [convert.path_to_uri(self.folder.root, rel)] if rel else []
        found = await self._ask(p.REINDEX_REQUEST, p.ReindexParams(uris=uris))
        if isinstance(found, _Moved):
            await found.backend.reindex(rel)

    async def set_embedding(self, paused: bool) -> bool:
        method = p.PAUSE_REQUEST if paused else p.RESUME_REQUEST
        found = await self._ask(method, p.EmbeddingParams())
        if isinstance(found, _Moved):
            return await found.backend.set_embedding(paused)
        return bool(found.targets)


class _Moved:
    """The folder changed hands while a request was on its way: ask `backend`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend


def _path(uri: str) -> Any:
    try:
        return convert.uri_to_path(uri)
    except convert.NotAFileUri as error:
        raise InvalidParams(str(error)) from None


def _same_folder(uri: str, folder: Folder) -> bool:
    try:
        return convert.uri_to_path(uri).resolve() == folder.root.resolve()
    except convert.NotAFileUri:
        return False


# -- a folder's status ---------------------------------------------------------------------


def folder_status(folder: Folder, counts: IndexStatus | None) -> p.FolderStatus:
    """The status of a folder served here, from its engine's counts (None: not open)."""
    live = folder.live
    embedding = counts.embedding if counts is not None else None
    phase = folder.phase()
    failed = embedding.failed if embedding is not None else 0
    note = embedding.note if embedding is not None else ""
    if live.error:
        health: p.Health = "error"
    elif live.warning or failed or note:
        health = "warning"
    else:
        health = "ok"
    progress = live.embedding
    throughput = progress.rate if progress.state in EMBEDDING_ACTIVE else 0.0
    if not throughput and embedding is not None:
        throughput = embedding.last_throughput
    engine = live.engine
    return p.FolderStatus(
        uri=folder.uri,
        phase=phase,
        health=health,
        message=_status_message(folder, phase, counts),
        files=counts.files if counts is not None else 0,
        symbols=counts.symbols if counts is not None else 0,
        chunks=counts.chunks if counts is not None else 0,
        embedded=embedding.done if embedding is not None else 0,
        pending=embedding.pending if embedding is not None else 0,
        failed=failed,
        throughput=float(throughput),
        embedding_paused=engine is not None and engine.embedding_paused,
        read_only=not live.writer,
    )


def _status_message(folder: Folder, phase: p.Phase, counts: IndexStatus | None) -> str:
    live = folder.live
    name = folder.root.name
    if phase == "error":
        return live.error
    if phase == "starting":
        return f"{name}: opening the index"
    if phase == "indexing":
        return f"{name}: indexing"
    embedding = counts.embedding if counts is not None else None
    done = embedding.done if embedding is not None else 0
    total = embedding.total if embedding is not None else 0
    files = counts.files if counts is not None else 0
    symbols = counts.symbols if counts is not None else 0
    base = f"{name}: {files:,} files, {symbols:,} symbols"
    if phase == "embedding":
        if not total:
            return f"{name}: preparing embeddings"
        return f"{name}: {done:,}/{total:,} texts embedded"
    if phase == "read-only":
        return f"{base}; {live.warning}"
    parts = [base]
    if embedding is not None and embedding.enabled and total:
        parts.append(f"{done:,}/{total:,} texts embedded")
    if live.engine is not None and live.engine.embedding_paused:
        parts.append("embedding paused")
    if embedding is not None and embedding.failed:
        parts.append(f"{embedding.failed:,} failed")
    if embedding is not None and embedding.note:
        parts.append(embedding.note)
    if live.warning:
        parts.append(live.warning)
    return ", ".join(parts)
