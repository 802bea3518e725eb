"""`Workspaces`: the daemon's protocol-free core: its folders (`Folders`, the state) and
the operations every front end calls.

LSP (`handlers.py`), the HTTP API (`http.py`), MCP (`mcp.py`) and the headless daemon
are thin front ends over it, as clangd's `ClangdLSPServer` is over `ClangdServer`:
they turn their params into kenning's protocol structs (`protocol.py`), make one call
here and turn the result into their own reply. Each folder's backend (`backends.py`)
answers for it, from this daemon's index or from the daemon that owns the index, so
an operation here only routes a request to the folders it is about and merges their
answers. The core knows no transport: what it tells the user goes to its `Frontend`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from kenning.pipeline.documents import TextChange
from kenning.server import convert
from kenning.server import protocol as p
from kenning.server.errors import AmbiguousSymbol, InvalidParams, RequestError, RequestFailed
from kenning.server.folder import Folder
from kenning.server.folders import Folders, Frontend, Headless
from kenning.server.ownership import Api

log = logging.getLogger(__name__)

PHASE_ORDER: tuple[p.Phase, ...] = ("error", "indexing", "starting", "embedding", "read-only",
                                    "idle")  # fmt: skip
HEALTH_ORDER: tuple[p.Health, ...] = ("error", "warning", "ok")

# Starts the HTTP API for a core's folders on (host, port).
ApiFactory = Callable[["Workspaces", str, int], Awaitable[Api]]


class Workspaces:
    def __init__(
        self,
        frontend: Frontend,
        api: tuple[str, int] | None = None,
        api_factory: ApiFactory | None = None,
    ) -> None:
        bound = partial(api_factory, self) if api_factory is not None else None
        self.folders = Folders(frontend, api, bound)

    # -- queries -------------------------------------------------------------------------

    async def search(
        self, params: p.SearchParams, scope: Sequence[Folder] | None = None
    ) -> p.SearchResult:
        await self.folders.ready()
        hits: list[p.SearchHit] = []
        complete = True
        coverage: list[float] = []
        notes: list[str] = []
        for folder in self.folders.scope(scope):
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
        await self.folders.ready()
        if params.text_document is not None:
            candidates = [self.folders.locate(params.text_document.uri, scope)[0]]
        else:
            candidates = self.folders.scope(scope)
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
        await self.folders.ready()
        found: list[p.Node] = []
        for folder in self.folders.scope(scope):
            found += (await _backend(folder).symbols(params)).symbols
        return p.SymbolsResult(symbols=found[: params.limit])

    async def describe(
        self, params: p.DescribeParams, scope: Sequence[Folder] | None = None
    ) -> p.DescribeResult:
        """The definitions a name denotes in every folder, with code and neighbours."""
        await self.folders.ready()
        found: list[p.SymbolDetail] = []
        total = 0
        suggestions: list[str] = []
        for folder in self.folders.scope(scope):
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
        await self.folders.ready()
        folder, _ = self.folders.locate(params.text_document.uri, scope)
        return folder, (await _backend(folder).hierarchy(params)).nodes

    async def calls(self, folder: Folder, params: p.CallsParams) -> list[p.Call]:
        """One call hierarchy item's callers or callees, in `folder`."""
        await self.folders.ready()
        return (await _backend(folder).calls(params)).calls

    def folder_of_item(self, folder_uri: str | None, uri: str) -> Folder:
        """The folder a call hierarchy item came from (it says so), else its file's."""
        folder = self.folders.get(folder_uri or "")
        return folder if folder is not None else self.folders.locate(uri)[0]

    # -- status ----------------------------------------------------------------------------

    async def status(self, scope: Sequence[Folder] | None = None) -> p.StatusResult:
        folders = [await self._folder_status(f) for f in self.folders.scope(scope)]
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
            return await self.folders.local_backend(folder).status()
        try:
            return await backend.status()
        except RequestError as error:
            log.warning("the owner of %s did not answer status: %s", folder.root, error)
            return await self.folders.local_backend(folder).status()

    # -- commands -----------------------------------------------------------------------

    async def reindex(
        self, uris: Sequence[Any], scope: Sequence[Folder] | None = None
    ) -> p.CommandResult:
        """`kenning.reindex`: every folder rebuilt, or the files/folders named by URI."""
        await self.folders.ready()
        if not uris:
            targets = self.folders.scope(scope)
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
            located.append((uri, *self.folders.locate(uri, scope)))
        for _, folder, rel in located:
            await _backend(folder).reindex(None if not rel or rel == "." else rel)
        return p.CommandResult(
            message=f"reindexed {len(located)} target(s)", targets=[u for u, _, _ in located]
        )

    async def set_embedding(
        self, paused: bool, scope: Sequence[Folder] | None = None
    ) -> p.CommandResult:
        await self.folders.ready()
        targets = [
            f.uri for f in self.folders.scope(scope) if await _backend(f).set_embedding(paused)
        ]
        self.folders.status_changed()
        verb = "paused" if paused else "resumed"
        if not targets:
            return p.CommandResult(message=f"embedding is off; nothing {verb}", targets=[])
        return p.CommandResult(message=f"embedding {verb}", targets=targets)

    # -- buffers -----------------------------------------------------------------------------

    def open_buffer(self, uri: str, text: str, version: int) -> None:
        found = self.folders.document(uri)
        if found is not None:
            folder, rel = found
            folder.live.did_open(rel, text, version)
            self.folders.ownership.buffer(folder, "open", rel)

    def change_buffer(self, uri: str, changes: Sequence[TextChange], version: int) -> None:
        found = self.folders.document(uri)
        if found is not None:
            folder, rel = found
            folder.live.did_change(rel, changes, version)
            self.folders.ownership.buffer(folder, "change", rel)

    def save_buffer(self, uri: str) -> None:
        found = self.folders.document(uri)
        if found is not None:
            folder, rel = found
            folder.live.did_save(rel)
            self.folders.ownership.buffer(folder, "save", rel)

    def close_buffer(self, uri: str) -> None:
        found = self.folders.document(uri)
        if found is not None:
            folder, rel = found
            folder.live.did_close(rel)
            self.folders.ownership.buffer(folder, "close", rel)

    def files_changed(self, uris: Sequence[str]) -> None:
        """Files changed on disk, as the editor's watcher saw them."""
        by_folder: dict[str, tuple[Folder, list[str]]] = {}
        for uri in uris:
            found = self.folders.document(uri)
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
        folder, _ = self.folders.locate(params.uri, scope)
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


__all__ = ["ApiFactory", "Folders", "Frontend", "Headless", "Workspaces"]
