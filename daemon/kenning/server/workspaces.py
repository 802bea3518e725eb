"""`Workspaces`: the daemon's protocol-free core. It owns the workspace folders and their
state and offers the operations every front end calls.

LSP (`handlers.py`), the HTTP API (`http.py`), MCP (`mcp.py`) and the headless daemon
are thin front ends over it, as clangd's `ClangdLSPServer` is over `ClangdServer`:
they turn their params into kenning's protocol structs (`protocol.py`), make one call
here and turn the result into their own reply. The core knows no transport: what it
has to tell the user (warnings, progress, changed status) goes to its `Frontend`.

Each folder's backend (`backends.py`) answers for it: this daemon's own index, or the
daemon that owns the index; ownership (`ownership.py`) chooses it when the folder
opens and swaps it when the owner changes. Worker threads (writer, embedding pool,
watcher) report through one closed set of events (`engine.live.Event`), delivered on
the event loop to `on_event`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Literal, Protocol, TypeVar

from kenning.core.settings import Settings, load_settings
from kenning.engine.engine import Engine
from kenning.engine.live import Changed, Embedding, Event, Indexing, LiveWorkspace, WorkerFailed
from kenning.pipeline.documents import TextChange
from kenning.pipeline.embedder import EmbedProgress
from kenning.pipeline.executors import query_executor
from kenning.server import convert
from kenning.server import protocol as p
from kenning.server.backends import LocalBackend, Queries
from kenning.server.errors import AmbiguousSymbol, InvalidParams, RequestError, RequestFailed
from kenning.server.folder import Folder, Work
from kenning.server.ownership import Api, Ownership

log = logging.getLogger(__name__)

T = TypeVar("T")

PHASE_ORDER: tuple[p.Phase, ...] = ("error", "indexing", "starting", "embedding", "read-only",
                                    "idle")  # fmt: skip
HEALTH_ORDER: tuple[p.Health, ...] = ("error", "warning", "ok")


# Starts the HTTP API for a core's folders on (host, port).
ApiFactory = Callable[["Workspaces", str, int], Awaitable[Api]]


class Frontend(Protocol):
    """What the core tells the user, through whichever front end serves them."""

    def show(self, level: Literal["warning", "error"], message: str) -> None: ...

    def progress(
        self, folder: Folder, work: Work, message: str, percentage: int | None, done: bool
    ) -> None: ...

    def status_changed(self) -> None: ...


class Headless:
    """No editor attached (`kenning daemon`, `kenning mcp`): messages go to the log."""

    def show(self, level: Literal["warning", "error"], message: str) -> None:
        log.log(logging.ERROR if level == "error" else logging.WARNING, "%s", message)

    def progress(
        self, folder: Folder, work: Work, message: str, percentage: int | None, done: bool
    ) -> None:
        return None

    def status_changed(self) -> None:
        return None


class Workspaces:
    def __init__(
        self,
        frontend: Frontend,
        api: tuple[str, int] | None = None,
        api_factory: ApiFactory | None = None,
    ) -> None:
        self.frontend = frontend
        self._settings = Settings()
        self.folders: dict[str, Folder] = {}
        # The query threads: queries never run on the event loop, which keeps serving.
        self.executor = query_executor()
        self.queries = Queries(self.executor, lambda: self._settings)
        # Whether this daemon watches files itself (the editor does not).
        self.watch_files_ourselves = True
        # Who serves each folder: this daemon (over HTTP too, unless `api` is None) or
        # the daemon that owns its index.
        self.ownership = Ownership(
            self, api, partial(api_factory, self) if api_factory is not None else None
        )
        # Changes to the set of folders under way; requests wait until there are none
        # (`folders_ready`). An editor's session starts with one, from `initialize` until
        # `initialized` has taken the session's folders.
        self._folder_changes = 0
        self._folders_settled = asyncio.Event()
        self._folders_settled.set()

    # -- what ownership and the backends need ---------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Blocking work (opening stores, closing) on the query threads."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def local_backend(self, folder: Folder) -> LocalBackend:
        return LocalBackend(folder, self.queries, self._rebuild_broken)

    def status_changed(self) -> None:
        self.frontend.status_changed()

    async def watch(self, folder: Folder) -> None:
        if self.watch_files_ourselves:
            await self.run(folder.live.watch)

    def warn(self, message: str) -> None:
        self.frontend.show("warning", message)

    # -- settings and folders ----------------------------------------------------------

    def configure(self, raw: object) -> None:
        """Take settings from the client; invalid parts are reported and defaulted."""
        settings, warnings = load_settings(raw)
        self._settings = settings
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
        timeout = self._settings.request_timeout_ms / 1000
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
        """Make `uri` one of the folders (not opened yet), so that requests and buffers
        for it find it; None when it is already one, or cannot be."""
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
        loop = asyncio.get_running_loop()
        folder: Folder

        def post(event: Event) -> None:  # any thread -> the event loop
            loop.call_soon_threadsafe(self.on_event, folder, event)

        folder = Folder(uri, root, LiveWorkspace(root, self._settings, post))
        folder.backend = self.local_backend(folder)
        self.folders[uri] = folder
        self.status_changed()
        return folder

    async def open_folder(self, folder: Folder) -> None:
        """Open a registered folder's index (as owner, relay or read-only) and start
        serving it."""
        outcome = await self.ownership.open(folder)
        if outcome.writer:
            self.catch_up(folder)
        folder.opened.set_result(None)
        if outcome.error:
            self.frontend.show("error", f"kenning: {outcome.error}")
        elif outcome.warning:
            self.warn(f"kenning: {outcome.warning}")
        if outcome.writer:
            await self.ownership.publish(folder)
            await self.watch(folder)
        self.status_changed()

    def catch_up(self, folder: Folder) -> None:
        """Index what changed while no daemon ran (on the folder's writer)."""
        loop = asyncio.get_running_loop()
        future = folder.live.catch_up()
        future.add_done_callback(lambda f: loop.call_soon_threadsafe(self._caught_up, folder, f))
        folder.caught_up = asyncio.wrap_future(future)

    def _caught_up(self, folder: Folder, future: Any) -> None:
        error = future.exception()
        if error is not None:
            log.error("indexing %s failed", folder.root, exc_info=error)
            self.frontend.show("error", f"kenning: indexing {folder.root} failed: {error}")
        self.status_changed()

    async def remove_folder(self, uri: str) -> None:
        folder = self.folders.pop(uri, None)
        if folder is not None:
            await self.ownership.release(folder)
            await self.run(folder.live.close)
            self.status_changed()

    async def detach(self) -> None:
        """Before shutdown, on the loop: relays detach from their owners, the HTTP API
        stops."""
        await self.ownership.close()

    def close(self) -> None:
        """Stop every folder's pools, flush its writer and release its lock (blocking)."""
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

    async def _rebuild_broken(self, folder: Folder) -> None:
        """A foreign-version or broken index: wipe it, then open the folder afresh,
        which indexes everything."""
        await self.remove_folder(folder.uri)
        settings = self._settings
        await self.run(lambda: Engine.open(folder.root, settings, rebuild=True).close())
        await self.add_folder(folder.uri)
        reopened = self.folders.get(folder.uri)
        if reopened is None or reopened.caught_up is None:
            live = reopened.live if reopened is not None else folder.live
            raise RequestFailed(live.warning or live.error or f"{folder.root} could not be opened")
        await reopened.caught_up

    # -- events from the worker threads (on the event loop) ----------------------------

    def on_event(self, folder: Folder, event: Event) -> None:
        match event:
            case Changed():
                self.status_changed()
            case Indexing(message=None):
                self.frontend.progress(folder, "indexing", "indexed", None, done=True)
            case Indexing(message=str(message), percentage=percentage):
                self.frontend.progress(folder, "indexing", message, percentage, done=False)
            case Embedding(progress=progress):
                self._embedding_progress(folder, progress)
            case WorkerFailed(message=message):
                self.warn(message)

    def _embedding_progress(self, folder: Folder, progress: EmbedProgress) -> None:
        show = self.frontend.progress
        if progress.state == "preparing":
            show(folder, "embedding", progress.note or "looking for new chunks", None, False)
        elif progress.state == "running" and progress.pending + progress.in_progress:
            total = max(progress.total, 1)
            show(
                folder,
                "embedding",
                f"{progress.done:,}/{progress.total:,} chunks",
                int(100 * progress.done / total),
                False,
            )
        elif progress.state != "running":
            failed = f", {progress.failed:,} failed" if progress.failed else ""
            show(
                folder,
                "embedding",
                f"{progress.done:,}/{progress.total:,} chunks embedded{failed}",
                None,
                True,
            )

    # -- routing -----------------------------------------------------------------------

    def _scope(self, scope: Sequence[Folder] | None) -> list[Folder]:
        return list(self.folders.values()) if scope is None else list(scope)

    def locate(self, uri: str, scope: Sequence[Folder] | None = None) -> tuple[Folder, str]:
        """The folder holding `uri` and the path inside it; InvalidParams outside them."""
        try:
            path = convert.uri_to_path(uri)
        except convert.NotAFileUri as error:
            raise InvalidParams(str(error)) from None
        folders = self._scope(scope)
        best: Folder | None = None
        for folder in folders:
            if path.is_relative_to(folder.root) and (
                best is None or len(folder.root.parts) > len(best.root.parts)
            ):
                best = folder
        if best is None:
            roots = ", ".join(str(f.root) for f in folders) or "none"
            raise InvalidParams(f"{path} is outside the workspace folders ({roots})")
        return best, path.relative_to(best.root).as_posix()

    def document(self, uri: str) -> tuple[Folder, str] | None:
        """The folder and path of a document kenning indexes, else None (quietly: an
        editor opens all sorts of files)."""
        try:
            folder, _ = self.locate(uri)
        except InvalidParams:
            return None
        rel = folder.live.relpath(convert.uri_to_path(uri))
        return (folder, rel) if rel is not None else None

    # -- queries -------------------------------------------------------------------------

    async def search(
        self, params: p.SearchParams, scope: Sequence[Folder] | None = None
    ) -> p.SearchResult:
        await self.folders_ready()
        hits: list[p.SearchHit] = []
        complete = True
        coverage: list[float] = []
        notes: list[str] = []
        for folder in self._scope(scope):
            found = await _backend(folder).search(params)
            hits += found.hits
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

    async def _about_symbol(self, params: Any, scope: Sequence[Folder] | None, ask: Any) -> Any:
        """Run a callGraph/impact request where its symbol is: the folder of its
        document, or the first folder that knows its name."""
        await self.folders_ready()
        if params.text_document is not None:
            candidates = [self.locate(params.text_document.uri, scope)[0]]
        else:
            candidates = self._scope(scope)
        errors: list[str] = []
        for folder in candidates:
            try:
                return await ask(_backend(folder))
            except AmbiguousSymbol:
                raise
            except RequestFailed as error:
                if len(candidates) == 1:
                    raise
                errors.append(error.message)
        raise RequestFailed("; ".join(errors) or "no workspace folder is open")

    async def call_graph(
        self, params: p.CallGraphParams, scope: Sequence[Folder] | None = None
    ) -> p.CallGraphResult:
        result: p.CallGraphResult = await self._about_symbol(
            params, scope, lambda backend: backend.call_graph(params)
        )
        return result

    async def impact(
        self, params: p.ImpactParams, scope: Sequence[Folder] | None = None
    ) -> p.ImpactResult:
        result: p.ImpactResult = await self._about_symbol(
            params, scope, lambda backend: backend.impact(params)
        )
        return result

    async def symbols(
        self, params: p.SymbolsParams, scope: Sequence[Folder] | None = None
    ) -> p.SymbolsResult:
        await self.folders_ready()
        found: list[p.Node] = []
        for folder in self._scope(scope):
            found += (await _backend(folder).symbols(params)).symbols
        return p.SymbolsResult(symbols=found[: params.limit])

    async def describe(
        self, params: p.DescribeParams, scope: Sequence[Folder] | None = None
    ) -> p.DescribeResult:
        """The definitions a name denotes in every folder, with code and neighbours."""
        await self.folders_ready()
        found: list[p.SymbolDetail] = []
        total = 0
        suggestions: list[str] = []
        for folder in self._scope(scope):
            result = await _backend(folder).describe(params)
            found += result.symbols
            total += result.total
            suggestions += [s for s in result.suggestions if s not in suggestions]
        return p.DescribeResult(
            query=params.symbol,
            symbols=found[: params.limit],
            total=total,
            suggestions=suggestions[: p.MAX_DEFINITIONS],
        )

    async def hierarchy(
        self, params: p.HierarchyParams, scope: Sequence[Folder] | None = None
    ) -> tuple[Folder, list[p.Node]]:
        """The symbols a call hierarchy starts from, at a position, and their folder."""
        await self.folders_ready()
        folder, _ = self.locate(params.text_document.uri, scope)
        return folder, (await _backend(folder).hierarchy(params)).nodes

    async def calls(self, folder: Folder, params: p.CallsParams) -> list[p.Call]:
        """One call hierarchy item's callers or callees, in `folder`."""
        await self.folders_ready()
        return (await _backend(folder).calls(params)).calls

    def folder_of_item(self, folder_uri: str | None, uri: str) -> Folder:
        """The folder a call hierarchy item came from (it says so), else its file's."""
        folder = self.folders.get(folder_uri or "")
        return folder if folder is not None else self.locate(uri)[0]

    # -- status ----------------------------------------------------------------------------

    async def status(self, scope: Sequence[Folder] | None = None) -> p.StatusResult:
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
        backend = folder.backend
        if not folder.opened.done() or backend is None or folder.peer is None:
            return await self.local_backend(folder).status()
        try:
            return await backend.status()
        except RequestError as error:
            log.warning("the owner of %s did not answer status: %s", folder.root, error)
            return await self.local_backend(folder).status()

    # -- commands -----------------------------------------------------------------------

    async def reindex(
        self, uris: Sequence[Any], scope: Sequence[Folder] | None = None
    ) -> p.CommandResult:
        """`kenning.reindex`: every folder rebuilt, or the files/folders named by URI."""
        await self.folders_ready()
        if not uris:
            targets = self._scope(scope)
            for folder in targets:
                await _backend(folder).reindex(None)
            return p.CommandResult(
                message=f"reindexed {len(targets)} workspace folder(s)",
                targets=[f.uri for f in targets],
            )
        located = []
        for uri in uris:
            if not isinstance(uri, str):
                raise InvalidParams(f"kenning.reindex takes file or folder URIs, not {uri!r}")
            located.append((uri, *self.locate(uri, scope)))
        for _, folder, rel in located:
            await _backend(folder).reindex(None if not rel or rel == "." else rel)
        return p.CommandResult(
            message=f"reindexed {len(located)} target(s)", targets=[u for u, _, _ in located]
        )

    async def set_embedding(
        self, paused: bool, scope: Sequence[Folder] | None = None
    ) -> p.CommandResult:
        await self.folders_ready()
        targets = [f.uri for f in self._scope(scope) if await _backend(f).set_embedding(paused)]
        self.status_changed()
        verb = "paused" if paused else "resumed"
        if not targets:
            return p.CommandResult(message=f"embedding is off; nothing {verb}", targets=[])
        return p.CommandResult(message=f"embedding {verb}", targets=targets)

    # -- buffers -----------------------------------------------------------------------------

    def open_buffer(self, uri: str, text: str, version: int) -> None:
        found = self.document(uri)
        if found is not None:
            folder, rel = found
            folder.live.did_open(rel, text, version)
            self.ownership.buffer(folder, "open", rel)

    def change_buffer(self, uri: str, changes: Sequence[TextChange], version: int) -> None:
        found = self.document(uri)
        if found is not None:
            folder, rel = found
            folder.live.did_change(rel, changes, version)
            self.ownership.buffer(folder, "change", rel)

    def save_buffer(self, uri: str) -> None:
        found = self.document(uri)
        if found is not None:
            folder, rel = found
            folder.live.did_save(rel)
            self.ownership.buffer(folder, "save", rel)

    def close_buffer(self, uri: str) -> None:
        found = self.document(uri)
        if found is not None:
            folder, rel = found
            folder.live.did_close(rel)
            self.ownership.buffer(folder, "close", rel)

    def files_changed(self, uris: Sequence[str]) -> None:
        """Files changed on disk, as the editor's watcher saw them."""
        by_folder: dict[str, tuple[Folder, list[str]]] = {}
        for uri in uris:
            found = self.document(uri)
            if found is not None:
                by_folder.setdefault(found[0].uri, (found[0], []))[1].append(found[1])
        for folder, rels in by_folder.values():
            folder.live.files_changed(rels)

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
                raise InvalidParams(f"a {params.event!r} event needs the buffer's text")
            if live.has_buffer(rel, session):
                live.did_change(rel, [TextChange(params.text)], params.version, session)
            else:
                live.did_open(rel, params.text, params.version, session)
        elif params.event == "save":
            live.did_save(rel, session)
        else:
            live.did_close(rel, session)


def _backend(folder: Folder) -> Any:
    assert folder.backend is not None, "every registered folder has a backend"
    return folder.backend


__all__ = ["ApiFactory", "Frontend", "Headless", "Workspaces"]
