"""The LSP handlers: params in, one call into `KenningServer`, the result converted out.

`create_server()` registers them all on a fresh server. Lifecycle first, then document
sync, then the standard requests (call hierarchy, workspace symbols), then kenning's
own methods (`protocol.py`) and commands.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from lsprotocol import types

from kenning.core.facts import Span
from kenning.languages import LAYOUT_FILES, suffixes
from kenning.pipeline.documents import TextChange
from kenning.server import convert
from kenning.server import protocol as p
from kenning.server.daemon import Folder, KenningServer, RequestFailed, invalid_params
from kenning.server.ownership import LOCAL

log = logging.getLogger(__name__)

T = TypeVar("T", bound=msgspec.Struct)

WATCH_REGISTRATION = "kenning-watched-files"
# The number of workspace/symbol results.
SYMBOL_LIMIT = 100


# -- lifecycle -----------------------------------------------------------------------


def initialize(ls: KenningServer, params: types.InitializeParams) -> None:
    # Requests wait from here until `initialized` has taken the workspace folders.
    ls.folders_changing()
    ls.configure(params.initialization_options)
    watched = (
        params.capabilities.workspace and params.capabilities.workspace.did_change_watched_files
    )
    ls.watch_files_ourselves = not (watched and watched.dynamic_registration)


async def initialized(ls: KenningServer, params: types.InitializedParams) -> None:
    ls.status.start()
    try:
        folders = ls.workspace.folders
        uris = [f.uri for f in folders.values()] or (
            [ls.workspace.root_uri] if ls.workspace.root_uri else []
        )
        if not uris:
            ls.warn("kenning: no workspace folder was given; nothing to index")
        # Registered at once, so that the buffers the editor opens next find their folder.
        registered = [f for f in map(ls.register_folder, uris) if f is not None]
    finally:
        ls.folders_settled()
    if not ls.watch_files_ourselves:
        await _register_file_watching(ls)
    await asyncio.gather(*(ls.open_folder(folder) for folder in registered))


async def _register_file_watching(ls: KenningServer) -> None:
    code = ",".join(s.lstrip(".") for s in suffixes())
    watchers = [types.FileSystemWatcher(glob_pattern=f"**/*.{{{code}}}")]
    # Files that rename modules (`go.mod`, `tsconfig.json`) and are not code themselves.
    layout = sorted(n for n in LAYOUT_FILES if not n.endswith(tuple(suffixes())))
    if layout:
        watchers.append(types.FileSystemWatcher(glob_pattern=f"**/{{{','.join(layout)}}}"))
    options = types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
    registration = types.Registration(
        id=WATCH_REGISTRATION, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=options,
    )  # fmt: skip
    try:
        await ls.client_register_capability_async(types.RegistrationParams([registration]))
    except Exception as error:  # the client said no after all: watch ourselves
        log.info("file watching registration refused (%s); watching files ourselves", error)
        ls.watch_files_ourselves = True
        for folder in ls.folders.values():
            folder.live.watch()


async def shutdown(ls: KenningServer, params: None) -> None:
    # Relays detach from their owners and the HTTP API stops, on the loop. Then closing
    # waits for the writers and the embedding pool; the loop keeps answering meanwhile.
    # (Not on the query threads: closing shuts their executor down.)
    await ls.ownership.close()
    await asyncio.get_running_loop().run_in_executor(None, ls.close)


async def did_change_configuration(
    ls: KenningServer, params: types.DidChangeConfigurationParams
) -> None:
    raw = params.settings
    if isinstance(raw, dict) and isinstance(raw.get("kenning"), dict):
        raw = raw["kenning"]
    if raw is None:
        return
    old = ls.settings
    ls.configure(raw)
    if ls.settings == old:
        return
    # Settings reach the stores when they open: reopen every folder with the new ones.
    with ls.changing_folders():
        uris = list(ls.folders)
        for uri in uris:
            await ls.remove_folder(uri)
        await asyncio.gather(*(ls.add_folder(uri) for uri in uris))


async def did_change_workspace_folders(
    ls: KenningServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    with ls.changing_folders():
        for removed in params.event.removed:
            await ls.remove_folder(removed.uri)
        await asyncio.gather(*(ls.add_folder(added.uri) for added in params.event.added))


# -- document sync ---------------------------------------------------------------------


def did_open(ls: KenningServer, params: types.DidOpenTextDocumentParams) -> None:
    found = ls.document(params.text_document.uri)
    if found is not None:
        folder, rel = found
        folder.live.did_open(rel, params.text_document.text, params.text_document.version)
        ls.ownership.buffer(folder, "open", rel)


def did_change(ls: KenningServer, params: types.DidChangeTextDocumentParams) -> None:
    found = ls.document(params.text_document.uri)
    if found is None:
        return
    folder, rel = found
    changes = [_text_change(change) for change in params.content_changes]
    folder.live.did_change(rel, changes, params.text_document.version)
    ls.ownership.buffer(folder, "change", rel)


def _text_change(change: types.TextDocumentContentChangeEvent) -> TextChange:
    if isinstance(change, types.TextDocumentContentChangePartial):
        r = change.range
        span = Span(r.start.line, r.start.character, r.end.line, r.end.character)
        return TextChange(text=change.text, range=span)
    return TextChange(text=change.text)


def did_save(ls: KenningServer, params: types.DidSaveTextDocumentParams) -> None:
    found = ls.document(params.text_document.uri)
    if found is not None:
        folder, rel = found
        folder.live.did_save(rel)
        ls.ownership.buffer(folder, "save", rel)


def did_close(ls: KenningServer, params: types.DidCloseTextDocumentParams) -> None:
    found = ls.document(params.text_document.uri)
    if found is not None:
        folder, rel = found
        folder.live.did_close(rel)
        ls.ownership.buffer(folder, "close", rel)


def did_change_watched_files(ls: KenningServer, params: types.DidChangeWatchedFilesParams) -> None:
    by_folder: dict[Any, list[str]] = {}
    for change in params.changes:
        found = ls.document(change.uri)
        if found is not None:
            by_folder.setdefault(found[0].live, []).append(found[1])
    for live, rels in by_folder.items():
        live.files_changed(rels)


# -- standard requests ----------------------------------------------------------------------


async def prepare_call_hierarchy(
    ls: KenningServer, params: types.CallHierarchyPrepareParams
) -> list[types.CallHierarchyItem] | None:
    folder, rel = ls.locate(params.text_document.uri)
    remote = await _forward(ls, folder, types.TEXT_DOCUMENT_PREPARE_CALL_HIERARCHY, params)
    if remote is not LOCAL:
        return remote
    pos = params.position
    symbols = await ls.query(folder, folder.engine.symbol_at, rel, pos.line, pos.character)
    items = [convert.hierarchy_item(folder.root, folder.uri, s) for s in symbols if s.path]
    return items or None


async def incoming_calls(
    ls: KenningServer, params: types.CallHierarchyIncomingCallsParams
) -> list[types.CallHierarchyIncomingCall]:
    folder, symbol_id = _item(ls, params.item)
    remote = await _forward(ls, folder, types.CALL_HIERARCHY_INCOMING_CALLS, params)
    if remote is not LOCAL:
        return remote
    least = ls.settings.call_hierarchy_min_confidence
    callers = await ls.query(folder, folder.engine.neighbours, symbol_id, True, least)
    return [convert.incoming_call(folder.root, folder.uri, caller) for caller in callers]


async def outgoing_calls(
    ls: KenningServer, params: types.CallHierarchyOutgoingCallsParams
) -> list[types.CallHierarchyOutgoingCall]:
    folder, symbol_id = _item(ls, params.item)
    remote = await _forward(ls, folder, types.CALL_HIERARCHY_OUTGOING_CALLS, params)
    if remote is not LOCAL:
        return remote
    least = ls.settings.call_hierarchy_min_confidence
    callees = await ls.query(folder, folder.engine.neighbours, symbol_id, False, least)
    return [convert.outgoing_call(folder.root, folder.uri, callee) for callee in callees]


def _item(ls: KenningServer, item: types.CallHierarchyItem) -> tuple[Any, str]:
    data = item.data if isinstance(item.data, dict) else {}
    symbol_id = data.get("id")
    if not isinstance(symbol_id, str):
        raise invalid_params("the call hierarchy item has no kenning symbol id in `data`")
    folder = ls.folders.get(data.get("folder", ""))
    if folder is None:
        folder, _ = ls.locate(item.uri)
    return folder, symbol_id


async def workspace_symbol(
    ls: KenningServer, params: types.WorkspaceSymbolParams
) -> list[types.SymbolInformation]:
    if not params.query.strip():
        return []
    out: list[types.SymbolInformation] = []
    for folder in list(ls.folders.values()):
        remote = await _forward(ls, folder, types.WORKSPACE_SYMBOL, params)
        if remote is not LOCAL:
            # The owner may serve other folders too: keep this one's symbols.
            for found_there in remote or []:
                if convert.inside(found_there.get("location", {}).get("uri"), folder.root):
                    out.append(found_there)
            continue
        found = await ls.query(folder, folder.engine.symbols, params.query, SYMBOL_LIMIT)
        out += [convert.symbol_information(folder.root, s) for s in found if s.path]
    return out[:SYMBOL_LIMIT]


async def _forward(ls: KenningServer, folder: Folder, method: str, params: Any) -> Any:
    """The owner's answer for a folder another daemon owns (LSP's JSON), else LOCAL."""
    if folder.peer is None:
        return LOCAL
    return await ls.ownership.forward(folder, method, ls.protocol._converter.unstructure(params))


# -- kenning's methods --------------------------------------------------------------------


async def kenning_search(ls: KenningServer, params: Any) -> Any:
    return p.encode(await ls.search(_params(params, p.SearchParams)))


async def kenning_call_graph(ls: KenningServer, params: Any) -> Any:
    return p.encode(await ls.call_graph(_params(params, p.CallGraphParams)))


async def kenning_impact(ls: KenningServer, params: Any) -> Any:
    return p.encode(await ls.impact(_params(params, p.ImpactParams)))


async def kenning_symbols(ls: KenningServer, params: Any) -> Any:
    return p.encode(await ls.symbols(_params(params, p.SymbolsParams)))


async def kenning_describe(ls: KenningServer, params: Any) -> Any:
    return p.encode(await ls.describe(_params(params, p.DescribeParams)))


async def kenning_status(ls: KenningServer, params: Any) -> Any:
    _params(params, p.StatusParams)
    return p.encode(await ls.status_result())


def _params(raw: Any, params_type: type[T]) -> T:
    """Params as pygls hands them over for methods it does not know -> the typed
    struct; InvalidParams saying what is wrong otherwise."""
    try:
        return p.decode_params(p.plain(raw), params_type)
    except p.InvalidParams as error:
        raise invalid_params(str(error)) from None


# -- commands -------------------------------------------------------------------------


async def reindex(ls: KenningServer, *arguments: Any) -> Any:
    return p.encode(await ls.reindex(arguments))


async def kenning_reindex(ls: KenningServer, params: Any) -> Any:
    return p.encode(await ls.reindex(_params(params, p.ReindexParams).uris))


async def kenning_pause_embedding(ls: KenningServer, params: Any) -> Any:
    _params(params, p.EmbeddingParams)
    return p.encode(await ls.set_embedding(paused=True))


async def kenning_resume_embedding(ls: KenningServer, params: Any) -> Any:
    _params(params, p.EmbeddingParams)
    return p.encode(await ls.set_embedding(paused=False))


async def pause_embedding(ls: KenningServer, *arguments: Any) -> Any:
    return p.encode(await ls.set_embedding(paused=True))


async def resume_embedding(ls: KenningServer, *arguments: Any) -> Any:
    return p.encode(await ls.set_embedding(paused=False))


# The standard requests a second daemon forwards to the owner over HTTP.
FORWARDED_LSP_REQUESTS: dict[str, Callable[..., Awaitable[Any]]] = {
    types.TEXT_DOCUMENT_PREPARE_CALL_HIERARCHY: prepare_call_hierarchy,
    types.CALL_HIERARCHY_INCOMING_CALLS: incoming_calls,
    types.CALL_HIERARCHY_OUTGOING_CALLS: outgoing_calls,
    types.WORKSPACE_SYMBOL: workspace_symbol,
}


# Requests that need the workspace folders open. The rest are answered at once:
# lifecycle, and `kenning/status`, which says how far opening has got.
NEED_FOLDERS: set[Callable[..., Awaitable[Any]]] = {
    prepare_call_hierarchy, incoming_calls, outgoing_calls, workspace_symbol, kenning_search,
    kenning_call_graph, kenning_impact, kenning_symbols, kenning_reindex,
    kenning_pause_embedding, kenning_resume_embedding, reindex, pause_embedding,
    resume_embedding,
}  # fmt: skip


def _after_folders_open(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """`handler`, once the folders being opened are open (bounded by the request
    timeout): a request sent right after `initialized` is answered, not failed."""

    @functools.wraps(handler)
    async def when_open(ls: KenningServer, *args: Any) -> Any:
        await ls.folders_ready()
        return await handler(ls, *args)

    return when_open


def create_server(api: tuple[str, int] | None = ("127.0.0.1", 0)) -> KenningServer:
    ls = KenningServer(api)
    features: list[tuple[str, Any, Any]] = [
        (types.INITIALIZE, initialize, None),
        (types.INITIALIZED, initialized, None),
        (types.SHUTDOWN, shutdown, None),
        (types.WORKSPACE_DID_CHANGE_CONFIGURATION, did_change_configuration, None),
        (types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, did_change_workspace_folders, None),
        (types.TEXT_DOCUMENT_DID_OPEN, did_open, None),
        (types.TEXT_DOCUMENT_DID_CHANGE, did_change, None),
        (types.TEXT_DOCUMENT_DID_SAVE, did_save, types.SaveOptions(include_text=False)),
        (types.TEXT_DOCUMENT_DID_CLOSE, did_close, None),
        (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, did_change_watched_files, None),
        (types.TEXT_DOCUMENT_PREPARE_CALL_HIERARCHY, prepare_call_hierarchy, None),
        (types.CALL_HIERARCHY_INCOMING_CALLS, incoming_calls, None),
        (types.CALL_HIERARCHY_OUTGOING_CALLS, outgoing_calls, None),
        (types.WORKSPACE_SYMBOL, workspace_symbol, None),
        (p.SEARCH.name, kenning_search, None),
        (p.CALL_GRAPH.name, kenning_call_graph, None),
        (p.IMPACT.name, kenning_impact, None),
        (p.STATUS.name, kenning_status, None),
        (p.SYMBOLS.name, kenning_symbols, None),
        (p.DESCRIBE.name, kenning_describe, None),
        (p.REINDEX_REQUEST.name, kenning_reindex, None),
        (p.PAUSE_REQUEST.name, kenning_pause_embedding, None),
        (p.RESUME_REQUEST.name, kenning_resume_embedding, None),
    ]
    for method, handler, options in features:
        ls.feature(method, options)(
            _after_folders_open(handler) if handler in NEED_FOLDERS else handler
        )
    for command, handler in (
        (p.REINDEX, reindex),
        (p.PAUSE_EMBEDDING, pause_embedding),
        (p.RESUME_EMBEDDING, resume_embedding),
    ):
        ls.command(command)(_after_folders_open(handler))
    return ls


__all__ = ["RequestFailed", "create_server"]
