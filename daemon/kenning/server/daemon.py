"""`KenningServer`: the language server's state — settings, workspace folders, the query
threads — and the operations its handlers call.

Each workspace folder is a `LiveWorkspace` (engine + writer thread + open documents).
Queries run on the query threads with a timeout, never on the event loop; edits go to
the folder's writer. Worker threads report back through `loop.call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import msgspec
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from kenning import __version__
from kenning.api.client import AsyncApiClient
from kenning.core.results import SearchResult, SymbolRef
from kenning.core.settings import Settings, load_settings
from kenning.engine.engine import Engine, OutsideWorkspace
from kenning.engine.live import LiveEvents, LiveWorkspace
from kenning.pipeline.documents import TextChange
from kenning.pipeline.embedder import EmbedProgress
from kenning.pipeline.executors import query_executor
from kenning.query.symbols import UnknownSymbol
from kenning.server import convert, lsp
from kenning.server import protocol as p
from kenning.server.ownership import LOCAL, Ownership
from kenning.server.progress import StatusPublisher, WorkProgress

log = logging.getLogger(__name__)

T = TypeVar("T")

# LSP's "the request failed although its params were valid" (3.17).
REQUEST_FAILED = -32803
# Embedding states that mean work is under way.
EMBEDDING_ACTIVE = ("preparing", "running")
PHASE_ORDER: tuple[p.Phase, ...] = ("error", "indexing", "starting", "embedding", "read-only",
                                    "idle")  # fmt: skip
HEALTH_ORDER: tuple[p.Health, ...] = ("error", "warning", "ok")


class RequestFailed(JsonRpcException):
    CODE = REQUEST_FAILED


def invalid_params(message: str) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(message=message)


class Folder:
    """A workspace folder as the server sees it: its live workspace and its progress."""

    def __init__(self, ls: KenningServer, uri: str, root: Path) -> None:
        self.uri = uri
        self.root = root
        loop = asyncio.get_running_loop()

        def on_loop(fn: Callable[..., None]) -> Callable[..., None]:
            def call(*args: Any) -> None:
                loop.call_soon_threadsafe(fn, *args)

            return call

        self.live = LiveWorkspace(
            root,
            ls.settings,
            LiveEvents(
                changed=on_loop(ls.status.mark_dirty),
                indexing=on_loop(self._on_indexing),
                embedding=on_loop(self._on_embedding),
                failed=on_loop(ls.warn),
            ),
        )
        name = root.name
        self.indexing_progress = WorkProgress(ls, f"kenning: indexing {name}")
        self.embedding_progress = WorkProgress(ls, f"kenning: embedding {name}")
        self.opened: asyncio.Future[None] = loop.create_future()
        # The first catch-up of a folder opened for writing.
        self.caught_up: asyncio.Future[dict[str, Any]] | None = None
        # Set while another daemon owns the folder's index: queries and buffers go there.
        self.peer: AsyncApiClient | None = None

    @property
    def engine(self) -> Engine:
        if self.live.engine is None:
            if not self.opened.done():
                raise RequestFailed(message=f"{self.root} is still being opened; ask again "
                                    "in a moment")  # fmt: skip
            raise RequestFailed(message=self.live.error or f"{self.root} has no index open")
        return self.live.engine

    def _on_indexing(self, message: str | None, percentage: int | None) -> None:
        if message is None:
            self.indexing_progress.finish("indexed")
        else:
            self.indexing_progress.update(message, percentage)

    def _on_embedding(self, progress: EmbedProgress) -> None:
        if progress.state == "preparing":
            self.embedding_progress.update(progress.note or "looking for new chunks")
        elif progress.state == "running" and progress.pending + progress.in_progress:
            total = max(progress.total, 1)
            self.embedding_progress.update(
                f"{progress.done:,}/{progress.total:,} chunks", int(100 * progress.done / total)
            )
        elif progress.state != "running":
            self.embedding_progress.finish(
                f"{progress.done:,}/{progress.total:,} chunks embedded"
                + (f", {progress.failed:,} failed" if progress.failed else "")
            )

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


class KenningServer(LanguageServer):
    def __init__(self, api: tuple[str, int] | None = ("127.0.0.1", 0)) -> None:
        super().__init__(
            "kenning",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=lsp.KenningProtocol,
        )
        self.settings = Settings()
        self.folders: dict[str, Folder] = {}
        self.executor = query_executor()
        self._status: StatusPublisher | None = None
        self.watch_files_ourselves = True
        # No editor attached (`kenning daemon`): messages for the user go to the log.
        self.headless = False
        # Who serves each folder: this daemon (over HTTP too, unless `api` is None) or
        # the daemon that owns its index.
        self.ownership = Ownership(self, api)
        # Changes to the set of folders under way; requests wait until there are none
        # (`folders_ready`). An editor's session starts with one, from `initialize` until
        # `initialized` has taken the session's folders.
        self._folder_changes = 0
        self._folders_settled = asyncio.Event()
        self._folders_settled.set()

    # -- transports ---------------------------------------------------------------------

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve one editor over stdio, with kenning's frame reader (`framing.py`): pygls's
        own stops answering at the first bad frame."""
        lsp.serve_stdio(self, stdin or sys.stdin.buffer, stdout or sys.stdout.buffer)

    def start_tcp(self, host: str, port: int) -> None:
        """Serve one editor that connects over TCP, with kenning's frame reader."""
        lsp.serve_tcp(self, host, port)

    @property
    def status(self) -> StatusPublisher:
        if self._status is None:
            self._status = StatusPublisher(self, self.status_result)
        return self._status

    # -- messages to the user -----------------------------------------------------

    def warn(self, message: str) -> None:
        log.warning("%s", message)
        if not self.headless:
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=message)
            )

    def error(self, message: str) -> None:
        log.error("%s", message)
        if not self.headless:
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=message)
            )

    # -- settings and folders --------------------------------------------------------

    def configure(self, raw: object) -> None:
        """Take settings from the client; invalid parts are reported and defaulted."""
        settings, warnings = load_settings(raw)
        self.settings = settings
        for warning in warnings:
            self.warn(f"kenning: {warning}")

    def folders_changing(self) -> None:
        """The set of folders is about to change: requests wait (`folders_ready`) until
        `folders_settled` says it did."""
        self._folder_changes += 1
        self._folders_settled.clear()

    def folders_settled(self) -> None:
        self._folder_changes = max(self._folder_changes - 1, 0)
        if not self._folder_changes:
            self._folders_settled.set()

    @contextmanager
    def changing_folders(self) -> Iterator[None]:
        self.folders_changing()
        try:
            yield
        finally:
            self.folders_settled()

    async def folders_ready(self) -> None:
        """Wait until no folder is being added or opened, bounded by the request timeout:
        a request sent while the workspace opens is answered once it is open rather than
        failed. After the timeout the request goes on and says what is missing."""
        timeout = self.settings.request_timeout_ms / 1000
        try:
            async with asyncio.timeout(timeout):
                await self._folders_settled.wait()
                while opening := [f.opened for f in self.folders.values() if not f.opened.done()]:
                    await asyncio.wait(opening)
        except TimeoutError:
            log.warning("a request waited %g s for the workspace folders to open; "
                        "answering with what is open", timeout)  # fmt: skip

    async def add_folder(self, uri: str) -> None:
        folder = self.register_folder(uri)
        if folder is not None:
            await self.open_folder(folder)

    def register_folder(self, uri: str) -> Folder | None:
        """Make `uri` one of the server's folders (not opened yet), so that requests and
        buffers for it find it; None when it is already one, or cannot be."""
        if uri in self.folders:
            return None
        try:
            root = convert.uri_to_path(uri)
        except convert.NotAFileUri as error:
            self.warn(f"kenning: workspace folder skipped: {error}")
            return None
        if not root.is_dir():
            self.warn(f"kenning: workspace folder {root} does not exist")
            return None
        folder = Folder(self, uri, root)
        self.folders[uri] = folder
        self.status.mark_dirty()
        return folder

    async def open_folder(self, folder: Folder) -> None:
        """Open a registered folder's index (as owner, relay or read-only) and start
        serving it."""
        outcome = await self.ownership.open(folder)
        if outcome.writer:
            self.catch_up(folder)
        folder.opened.set_result(None)
        if outcome.error:
            self.error(f"kenning: {outcome.error}")
        elif outcome.warning:
            self.warn(f"kenning: {outcome.warning}")
        if outcome.writer:
            await self.owned(folder)
        self.status.mark_dirty()

    def catch_up(self, folder: Folder) -> None:
        """Index what changed while no daemon ran (on the folder's writer)."""
        loop = asyncio.get_running_loop()
        future = folder.live.catch_up()
        future.add_done_callback(lambda f: loop.call_soon_threadsafe(self._caught_up, folder, f))
        folder.caught_up = asyncio.wrap_future(future)

    async def owned(self, folder: Folder) -> None:
        """This daemon writes the folder's index now: serve it over HTTP, watch it."""
        await self.ownership.publish(folder)
        if self.watch_files_ourselves:
            await asyncio.get_running_loop().run_in_executor(self.executor, folder.live.watch)

    def _caught_up(self, folder: Folder, future: Any) -> None:
        error = future.exception()
        if error is not None:
            log.error("indexing %s failed", folder.root, exc_info=error)
            self.error(f"kenning: indexing {folder.root} failed: {error}")
        self.status.mark_dirty()

    async def remove_folder(self, uri: str) -> None:
        folder = self.folders.pop(uri, None)
        if folder is not None:
            await self.ownership.release(folder)
            await asyncio.get_running_loop().run_in_executor(self.executor, folder.live.close)
            self.status.mark_dirty()

    def close(self) -> None:
        """Stop every folder's pools, flush its writer and release its lock (blocking)."""
        if self._status is not None:
            self._status.stop()
        # Queries not started yet are dropped; those running finish before the stores
        # close under them (the graph store waits for its statements in flight).
        self.executor.shutdown(wait=False, cancel_futures=True)
        for folder in list(self.folders.values()):
            try:
                self.ownership.withdraw(folder)
                folder.live.close()
            except Exception:
                log.exception("closing %s failed", folder.root)
        self.folders.clear()

    # -- routing -------------------------------------------------------------------------

    def _scope(self, scope: Sequence[Folder] | None) -> list[Folder]:
        return list(self.folders.values()) if scope is None else list(scope)

    def locate(self, uri: str, scope: Sequence[Folder] | None = None) -> tuple[Folder, str]:
        """The folder holding `uri` and the path inside it; InvalidParams outside them."""
        try:
            path = convert.uri_to_path(uri)
        except convert.NotAFileUri as error:
            raise invalid_params(str(error)) from None
        folders = self._scope(scope)
        best: Folder | None = None
        for folder in folders:
            if path.is_relative_to(folder.root) and (
                best is None or len(folder.root.parts) > len(best.root.parts)
            ):
                best = folder
        if best is None:
            roots = ", ".join(str(f.root) for f in folders) or "none"
            raise invalid_params(f"{path} is outside the workspace folders ({roots})")
        return best, path.relative_to(best.root).as_posix()

    def document(self, uri: str) -> tuple[Folder, str] | None:
        """The folder and path of a document kenning indexes, else None (quietly: an
        editor opens all sorts of files)."""
        try:
            folder, _ = self.locate(uri)
        except JsonRpcInvalidParams:
            return None
        rel = folder.live.relpath(convert.uri_to_path(uri))
        return (folder, rel) if rel is not None else None

    # -- queries ------------------------------------------------------------------------------

    async def query(
        self, folder: Folder, fn: Callable[..., T], *args: Any, bounded: bool = True
    ) -> T:
        """Run `fn(*args)` on a query thread, bounded by the request timeout unless told
        otherwise. Errors a user can act on become JSON-RPC errors with their message."""
        await folder.opened
        loop = asyncio.get_running_loop()
        timeout = self.settings.request_timeout_ms / 1000 if bounded else None
        try:
            return await asyncio.wait_for(loop.run_in_executor(self.executor, fn, *args), timeout)
        except TimeoutError:
            raise RequestFailed(message=f"the query took longer than {timeout:g} s") from None
        except (OutsideWorkspace, p.InvalidParams) as error:
            raise invalid_params(str(error)) from None
        except (UnknownSymbol, PermissionError, LookupError) as error:
            # A KeyError's str() quotes its message; others' are as written.
            quoted = isinstance(error, KeyError) and error.args
            raise RequestFailed(message=str(error.args[0]) if quoted else str(error)) from None

    async def _resolve(
        self, folder: Folder, params: p.CallGraphParams | p.ImpactParams
    ) -> SymbolRef:
        """The one symbol a callGraph/impact request names, in a folder served here."""
        if params.text_document is not None and params.position is not None:
            _, rel = self.locate(params.text_document.uri, [folder])
            pos = params.position
            found = await self.query(folder, folder.engine.symbol_at, rel, pos.line, pos.character)
            if not found:
                raise RequestFailed(
                    message=f"no symbol at {rel}:{pos.line + 1}:{pos.character + 1}"
                )
            return found[0]
        assert params.symbol is not None
        matches = await self.query(folder, folder.engine.resolve_symbol, params.symbol)
        if len(matches) > 1:
            names = ", ".join(m.id for m in matches[:5])
            raise AmbiguousSymbol(message=f"{params.symbol!r} is ambiguous: {names}")
        return matches[0]

    async def _about_symbol(
        self,
        method: p.Method,
        params: p.CallGraphParams | p.ImpactParams,
        scope: Sequence[Folder] | None,
        answer: Callable[[Folder, SymbolRef], Any],
    ) -> Any:
        """Run a callGraph/impact request where its symbol is: the folder of its
        document, or the first folder that knows its name."""
        if params.text_document is not None:
            candidates = [self.locate(params.text_document.uri, scope)[0]]
        else:
            candidates = self._scope(scope)
        errors: list[str] = []
        for folder in candidates:
            try:
                remote = await self.ownership.forward(folder, method.name, p.encode(params))
                if remote is not LOCAL:
                    return msgspec.convert(remote, method.result)
                return await answer(folder, await self._resolve(folder, params))
            except AmbiguousSymbol:
                raise
            except JsonRpcException as error:
                if error.code != REQUEST_FAILED or len(candidates) == 1:
                    raise
                errors.append(error.message)
        raise RequestFailed(message="; ".join(errors) or "no workspace folder is open")

    async def call_graph(
        self, params: p.CallGraphParams, scope: Sequence[Folder] | None = None
    ) -> p.CallGraphResult:
        async def answer(folder: Folder, root: SymbolRef) -> p.CallGraphResult:
            graph = await self.query(
                folder, folder.engine.call_graph, root, params.direction, params.depth,
                params.min_confidence,
            )  # fmt: skip
            return convert.call_graph(folder.root, graph)

        result: p.CallGraphResult = await self._about_symbol(p.CALL_GRAPH, params, scope, answer)
        return result

    async def impact(
        self, params: p.ImpactParams, scope: Sequence[Folder] | None = None
    ) -> p.ImpactResult:
        async def answer(folder: Folder, root: SymbolRef) -> p.ImpactResult:
            found = await self.query(
                folder, folder.engine.impact, root, params.depth, params.min_confidence
            )
            return convert.impact(folder.root, found)

        result: p.ImpactResult = await self._about_symbol(p.IMPACT, params, scope, answer)
        return result

    async def symbols(
        self, params: p.SymbolsParams, scope: Sequence[Folder] | None = None
    ) -> p.SymbolsResult:
        found: list[p.Node] = []
        for folder in self._scope(scope):
            remote = await self.ownership.forward(folder, p.SYMBOLS.name, p.encode(params))
            if remote is not LOCAL:
                found += msgspec.convert(remote, p.SymbolsResult).symbols
                continue
            symbols = await self.query(folder, folder.engine.symbols, params.query, params.limit)
            found += [convert.node(folder.root, s) for s in symbols]
        return p.SymbolsResult(symbols=found[: params.limit])

    async def describe(
        self, params: p.DescribeParams, scope: Sequence[Folder] | None = None
    ) -> p.DescribeResult:
        """The definitions a name denotes in every folder, with code and neighbours."""
        found: list[p.SymbolDetail] = []
        total = 0
        suggestions: list[str] = []
        for folder in self._scope(scope):
            remote = await self.ownership.forward(folder, p.DESCRIBE.name, p.encode(params))
            if remote is not LOCAL:
                result = msgspec.convert(remote, p.DescribeResult)
            else:
                described = await self.query(
                    folder,
                    partial(
                        folder.engine.describe,
                        params.symbol,
                        params.limit,
                        params.max_code_chars,
                        params.neighbours,
                    ),
                )
                result = convert.description(folder.root, described)
            found += result.symbols
            total += result.total
            suggestions += [s for s in result.suggestions if s not in suggestions]
        return p.DescribeResult(
            query=params.symbol,
            symbols=found[: params.limit],
            total=total,
            suggestions=suggestions[: p.MAX_DEFINITIONS],
        )

    async def search(
        self, params: p.SearchParams, scope: Sequence[Folder] | None = None
    ) -> p.SearchResult:
        hits: list[p.SearchHit] = []
        complete = True
        coverage: list[float] = []
        notes: list[str] = []
        f = params.filters
        for folder in self._scope(scope):
            found: p.SearchResult | SearchResult
            remote = await self.ownership.forward(folder, p.SEARCH.name, p.encode(params))
            if remote is not LOCAL:
                found = msgspec.convert(remote, p.SearchResult)
                # The owner may serve other folders too: keep this one's hits.
                hits += [h for h in found.hits if convert.inside(h.uri, folder.root)]
            else:
                found = await self.query(
                    folder,
                    partial(
                        folder.engine.search,
                        params.query,
                        params.limit,
                        languages=f.languages,
                        path_globs=f.path_globs,
                        kinds=f.kinds,
                        mode=params.mode,
                    ),
                )
                hits += convert.search_hits(folder.root, found.hits)
            complete = complete and found.vectors_complete
            coverage.append(found.vector_coverage)
            if found.note:
                notes.append(found.note)
        hits.sort(key=lambda h: -h.score)
        return p.SearchResult(
            query=params.query,
            hits=hits[: params.limit],
            vectors_complete=complete and bool(coverage),
            vector_coverage=min(coverage, default=0.0),
            note="; ".join(notes),
        )

    async def status_result(self, scope: Sequence[Folder] | None = None) -> p.StatusResult:
        folders = [await self._folder_status(f) for f in self._scope(scope)]
        phase: p.Phase = min((f.phase for f in folders), key=PHASE_ORDER.index, default="starting")
        health: p.Health = min((f.health for f in folders), key=HEALTH_ORDER.index, default="ok")
        messages = [f.message for f in folders if f.health != "ok"] or [f.message for f in folders]
        return p.StatusResult(
            phase=phase,
            health=health,
            message="; ".join(messages) if messages else "no workspace folder open",
            files=sum(f.files for f in folders),
            symbols=sum(f.symbols for f in folders),
            chunks=sum(f.chunks for f in folders),
            embedded=sum(f.embedded for f in folders),
            pending=sum(f.pending for f in folders),
            failed=sum(f.failed for f in folders),
            throughput=round(sum(f.throughput for f in folders), 2),
            folders=folders,
        )

    async def _folder_status(self, folder: Folder) -> p.FolderStatus:
        if folder.opened.done():
            try:
                remote = await self.ownership.forward(folder, p.STATUS.name, {})
            except JsonRpcException as error:
                remote = LOCAL
                log.warning("the owner of %s did not answer status: %s", folder.root, error)
            if remote is not LOCAL:
                return self.ownership.peer_status(folder, msgspec.convert(remote, p.StatusResult))
        counts: dict[str, Any] = {}
        if folder.opened.done() and folder.live.engine is not None:
            # Not bounded: status is a few counts, slow only when the machine is busy,
            # and it is what tells the user that it is.
            counts = await self.query(folder, folder.live.engine.status, bounded=False)
        embedding = counts.get("embedding", {})
        phase = folder.phase()
        failed = embedding.get("failed", 0)
        if folder.live.error:
            health: p.Health = "error"
        elif folder.live.warning or failed or embedding.get("note"):
            health = "warning"
        else:
            health = "ok"
        live = folder.live.embedding
        throughput = live.rate if live.state in EMBEDDING_ACTIVE else 0.0
        if not throughput:
            throughput = embedding.get("last_run", {}).get("throughput", 0.0)
        return p.FolderStatus(
            uri=folder.uri,
            phase=phase,
            health=health,
            message=_status_message(folder, phase, counts, embedding),
            files=counts.get("files", 0),
            symbols=counts.get("symbols", 0),
            chunks=counts.get("chunks", 0),
            embedded=embedding.get("done", 0),
            pending=embedding.get("pending", 0),
            failed=failed,
            throughput=float(throughput),
            embedding_paused=folder.live.engine is not None and folder.live.engine.embedding_paused,
            read_only=not folder.live.writer,
        )

    # -- commands ---------------------------------------------------------------------

    async def reindex(
        self, arguments: Sequence[Any], scope: Sequence[Folder] | None = None
    ) -> p.CommandResult:
        """`kenning.reindex`: every folder rebuilt, or the files/folders named by URI."""
        loop = asyncio.get_running_loop()
        if not arguments:
            targets = self._scope(scope)
            for folder in targets:
                remote = await self.ownership.forward(folder, p.REINDEX_REQUEST.name, {})
                if remote is LOCAL:
                    await self._rebuild(folder)
            return p.CommandResult(
                message=f"reindexed {len(targets)} workspace folder(s)",
                targets=[f.uri for f in targets],
            )
        located = []
        for argument in arguments:
            if not isinstance(argument, str):
                raise invalid_params(f"kenning.reindex takes file or folder URIs, not {argument!r}")
            located.append((argument, *self.locate(argument, scope)))
        done: list[str] = []
        for argument, folder, rel in located:
            remote = await self.ownership.forward(
                folder, p.REINDEX_REQUEST.name, p.encode(p.ReindexParams(uris=[argument]))
            )
            if remote is not LOCAL:
                pass
            elif not rel or rel == ".":
                await self._rebuild(folder)
            else:
                if folder.live.relpath(folder.root / rel) is None:
                    raise invalid_params(f"{rel} is not a file kenning indexes")
                await folder.opened
                await asyncio.wrap_future(folder.live.reindex_file(rel), loop=loop)
            done.append(argument)
        return p.CommandResult(message=f"reindexed {len(done)} target(s)", targets=done)

    async def _rebuild(self, folder: Folder) -> None:
        await folder.opened
        if folder.live.engine is None and folder.live.error:
            # A foreign-version or broken index: wipe it, then open the folder afresh,
            # which indexes everything.
            await self.remove_folder(folder.uri)
            await asyncio.get_running_loop().run_in_executor(
                self.executor,
                lambda: Engine.open(folder.root, self.settings, rebuild=True).close(),
            )
            await self.add_folder(folder.uri)
            folder = self.folders[folder.uri]
            if folder.caught_up is None:
                raise RequestFailed(message=folder.live.warning or folder.live.error)
            await folder.caught_up
            return
        if not folder.live.writer:
            raise RequestFailed(message=folder.live.warning or folder.live.error)
        await asyncio.wrap_future(folder.live.catch_up(rebuild=True))

    async def set_embedding(
        self, paused: bool, scope: Sequence[Folder] | None = None
    ) -> p.CommandResult:
        method = p.PAUSE_REQUEST if paused else p.RESUME_REQUEST
        targets = []
        for folder in self._scope(scope):
            remote = await self.ownership.forward(folder, method.name, {})
            if remote is not LOCAL:
                if msgspec.convert(remote, p.CommandResult).targets:
                    targets.append(folder.uri)
            elif folder.live.writer and self.settings.embedding.enabled:
                engine = folder.engine
                action = engine.pause_embedding if paused else engine.resume_embedding
                await self.query(folder, action)
                targets.append(folder.uri)
        self.status.mark_dirty()
        verb = "paused" if paused else "resumed"
        if not targets:
            return p.CommandResult(message=f"embedding is off; nothing {verb}", targets=[])
        return p.CommandResult(message=f"embedding {verb}", targets=targets)

    # -- buffers forwarded by a second daemon ------------------------------------------

    def peer_document(self, params: p.PeerDocumentParams, scope: Sequence[Folder]) -> None:
        """A buffer event from another daemon's editor, applied as if ours."""
        session = f"peer:{params.session}"
        if params.event == "detach":
            for folder in scope:
                folder.live.detach(session)
            return
        folder, _ = self.locate(params.uri, scope)
        rel = folder.live.relpath(convert.uri_to_path(params.uri))
        if rel is None:
            return
        live = folder.live
        if params.event in ("open", "change"):
            if params.text is None:
                raise invalid_params(f"a {params.event!r} event needs the buffer's text")
            if live.has_buffer(rel, session):
                live.did_change(rel, [TextChange(params.text)], params.version, session)
            else:
                live.did_open(rel, params.text, params.version, session)
        elif params.event == "save":
            live.did_save(rel, session)
        else:
            live.did_close(rel, session)


class AmbiguousSymbol(RequestFailed):
    pass


def _status_message(
    folder: Folder, phase: p.Phase, counts: dict[str, Any], embedding: dict[str, Any]
) -> str:
    name = folder.root.name
    if phase == "error":
        return folder.live.error
    if phase == "starting":
        return f"{name}: opening the index"
    if phase == "indexing":
        return f"{name}: indexing"
    done, total = embedding.get("done", 0), embedding.get("total", 0)
    files, symbols = counts.get("files", 0), counts.get("symbols", 0)
    base = f"{name}: {files:,} files, {symbols:,} symbols"
    if phase == "embedding":
        if not total:
            return f"{name}: preparing embeddings"
        return f"{name}: {done:,}/{total:,} chunks embedded"
    if phase == "read-only":
        return f"{base}; {folder.live.warning}"
    parts = [base]
    if embedding.get("enabled") and total:
        parts.append(f"{done:,}/{total:,} chunks embedded")
    if folder.live.engine is not None and folder.live.engine.embedding_paused:
        parts.append("embedding paused")
    if embedding.get("failed"):
        parts.append(f"{embedding['failed']:,} failed")
    if embedding.get("note"):
        parts.append(embedding["note"])
    if folder.live.warning:
        parts.append(folder.live.warning)
    return ", ".join(parts)
