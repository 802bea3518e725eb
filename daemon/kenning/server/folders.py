"""`Folders`: the workspace folders a daemon serves, and their state. One owner.

It holds the folder list (a mapping from URI to `Folder`), the settings, the query
threads and ownership (which daemon writes each folder's index, `ownership.py`), and
the lifecycle: register, open (as owner, relay or read-only), catch up, remove, close.
Worker threads report here through one closed set of events (`engine.live.Event`),
delivered on the event loop to `on_event`. What it has to tell the user goes to the
front end's `Frontend`. Everything here runs on the event loop; blocking work goes to
the query threads (`run`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, Protocol, TypeVar

from kenning.core.settings import Settings, load_settings
from kenning.engine.engine import Engine
from kenning.engine.live import Changed, Embedding, Event, Indexing, LiveWorkspace, WorkerFailed
from kenning.pipeline.embedder import EmbedProgress
from kenning.pipeline.executors import query_executor
from kenning.server import convert
from kenning.server.backends import LocalBackend, Queries
from kenning.server.errors import InvalidParams, RequestFailed
from kenning.server.folder import Folder, Work
from kenning.server.ownership import ApiFactory, Ownership

log = logging.getLogger(__name__)

T = TypeVar("T")


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


class Folders(Mapping[str, Folder]):
    def __init__(
        self,
        frontend: Frontend,
        api: tuple[str, int] | None = None,
        api_factory: ApiFactory | None = None,
    ) -> None:
        self.frontend = frontend
        self._settings = Settings()
        self._folders: dict[str, Folder] = {}
        # The query threads: queries never run on the event loop, which keeps serving.
        self.executor = query_executor()
        self.queries = Queries(self.executor, lambda: self._settings)
        # Whether this daemon watches files itself (the editor does not).
        self.watch_files_ourselves = True
        # Who serves each folder: this daemon (over HTTP too, unless `api` is None) or
        # the daemon that owns its index.
        self.ownership = Ownership(self, api, api_factory)
        # Changes to the set of folders under way; requests wait until there are none
        # (`ready`). An editor's session starts with one, from `initialize` until
        # `initialized` has taken the session's folders.
        self._changes = 0
        self._settled = asyncio.Event()
        self._settled.set()

    # -- the mapping: URI -> folder -------------------------------------------------------

    def __getitem__(self, uri: str) -> Folder:
        return self._folders[uri]

    def __iter__(self) -> Iterator[str]:
        return iter(self._folders)

    def __len__(self) -> int:
        return len(self._folders)

    @property
    def folders(self) -> Mapping[str, Folder]:
        return self

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

    def change_started(self) -> None:
        """The set of folders is about to change: requests wait (`ready`) until
        `change_ended` says it did."""
        self._changes += 1
        self._settled.clear()

    def change_ended(self) -> None:
        self._changes = max(self._changes - 1, 0)
        if not self._changes:
            self._settled.set()

    @contextmanager
    def changing(self) -> Iterator[None]:
        self.change_started()
        try:
            yield
        finally:
            self.change_ended()

    async def ready(self) -> None:
        """Wait until no folder is being added or opened, bounded by the request timeout:
        a request sent while the workspace opens is answered once it is open rather than
        failed. After the timeout the request goes on and says what is missing."""
        timeout = self._settings.request_timeout_ms / 1000
        try:
            async with asyncio.timeout(timeout):
                await self._settled.wait()
                while opening := [f.opened for f in self.values() if not f.opened.done()]:
                    await asyncio.wait(opening)
        except TimeoutError:
            log.warning("a request waited %g s for the workspace folders to open; "
                        "answering with what is open", timeout)  # fmt: skip

    async def add(self, uri: str) -> None:
        folder = self.register(uri)
        if folder is not None:
            await self.open(folder)

    def register(self, uri: str) -> Folder | None:
        """Make `uri` one of the folders (not opened yet), so that requests and buffers
        for it find it; None when it is already one, or cannot be."""
        if uri in self._folders:
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
        self._folders[uri] = folder
        self.status_changed()
        return folder

    async def open(self, folder: Folder) -> None:
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

    async def remove(self, uri: str) -> None:
        folder = self._folders.pop(uri, None)
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
        for folder in list(self._folders.values()):
            try:
                self.ownership.withdraw(folder)
                folder.live.close()
            except Exception:
                log.exception("closing %s failed", folder.root)
        self._folders.clear()

    async def _rebuild_broken(self, folder: Folder) -> None:
        """A foreign-version or broken index: wipe it, then open the folder afresh,
        which indexes everything."""
        await self.remove(folder.uri)
        settings = self._settings
        await self.run(lambda: Engine.open(folder.root, settings, rebuild=True).close())
        await self.add(folder.uri)
        reopened = self._folders.get(folder.uri)
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
                f"{progress.done:,}/{progress.total:,} texts",
                int(100 * progress.done / total),
                False,
            )
        elif progress.state != "running":
            failed = f", {progress.failed:,} failed" if progress.failed else ""
            show(
                folder,
                "embedding",
                f"{progress.done:,}/{progress.total:,} texts embedded{failed}",
                None,
                True,
            )

    # -- routing -----------------------------------------------------------------------

    def scope(self, scope: Sequence[Folder] | None) -> list[Folder]:
        """The folders a request is about: those named, or all of them."""
        return list(self._folders.values()) if scope is None else list(scope)

    def locate(self, uri: str, scope: Sequence[Folder] | None = None) -> tuple[Folder, str]:
        """The folder holding `uri` and the path inside it; InvalidParams outside them."""
        try:
            path = convert.uri_to_path(uri)
        except convert.NotAFileUri as error:
            raise InvalidParams(str(error)) from None
        folders = self.scope(scope)
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
