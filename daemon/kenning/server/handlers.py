"""The LSP front end: `KenningLanguageServer` and its handlers, each params in, one call
into the core (`Workspaces`), the result converted out.

Only this module and its helpers (`lsp.py`, `progress.py`, `lsp_items.py`) know LSP.
`create_server()` registers the handlers on a fresh server: lifecycle, document sync,
the standard requests (call hierarchy, workspace symbols), kenning's own methods (from
`requests.OPERATIONS`, declared once in `protocol.py`) and commands. The core's errors
become JSON-RPC errors with their codes here; nothing else does.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO, Literal

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from kenning import __version__
from kenning.core.facts import Span
from kenning.languages import LAYOUT_FILES, suffixes
from kenning.pipeline.documents import TextChange
from kenning.server import lsp, lsp_items
from kenning.server import protocol as p
from kenning.server.errors import InvalidParams, RequestError
from kenning.server.folder import Folder, Work
from kenning.server.progress import StatusPublisher, WorkProgress
from kenning.server.requests import OPERATIONS
from kenning.server.workspaces import ApiFactory, Workspaces

log = logging.getLogger(__name__)

WATCH_REGISTRATION = "kenning-watched-files"
# The number of workspace/symbol results.
SYMBOL_LIMIT = 100


class KenningLanguageServer(LanguageServer):
    """pygls's server holding the core; what the core tells the user goes to the
    editor (`window/showMessage`, `$/progress`, `kenning/status`)."""

    def __init__(
        self, api: tuple[str, int] | None = None, api_factory: ApiFactory | None = None
    ) -> None:
        super().__init__(
            "kenning",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=lsp.KenningProtocol,
        )
        self.ws = Workspaces(EditorFrontend(self), api, api_factory)
        self.status = StatusPublisher(self, self.ws.status)

    # -- transports ---------------------------------------------------------------------

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve one editor over stdio, with kenning's frame reader (`framing.py`): pygls's
        own stops answering at the first bad frame."""
        lsp.serve_stdio(self, stdin or sys.stdin.buffer, stdout or sys.stdout.buffer)

    def start_tcp(self, host: str, port: int) -> None:
        """Serve one editor that connects over TCP, with kenning's frame reader."""
        lsp.serve_tcp(self, host, port)

    def close(self) -> None:
        self.status.stop()
        self.ws.folders.close()


class EditorFrontend:
    """The core's `Frontend` for an editor: messages as `window/showMessage`, long
    work as `$/progress`, status changes as `kenning/status` notifications."""

    def __init__(self, ls: KenningLanguageServer) -> None:
        self.ls = ls
        self._progress: dict[tuple[str, Work], WorkProgress] = {}

    def show(self, level: Literal["warning", "error"], message: str) -> None:
        log.log(logging.ERROR if level == "error" else logging.WARNING, "%s", message)
        kind = types.MessageType.Error if level == "error" else types.MessageType.Warning
        self.ls.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def progress(
        self, folder: Folder, work: Work, message: str, percentage: int | None, done: bool
    ) -> None:
        key = (folder.uri, work)
        sequence = self._progress.get(key)
        if sequence is None:
            sequence = WorkProgress(self.ls, f"kenning: {work} {folder.root.name}")
            self._progress[key] = sequence
        if done:
            sequence.finish(message)
        else:
            sequence.update(message, percentage)

    def status_changed(self) -> None:
        self.ls.status.mark_dirty()


# -- lifecycle -----------------------------------------------------------------------


def initialize(ls: KenningLanguageServer, params: types.InitializeParams) -> None:
    # Requests wait from here until `initialized` has taken the workspace folders.
    ls.ws.folders.change_started()
    ls.ws.folders.configure(params.initialization_options)
    watched = (
        params.capabilities.workspace and params.capabilities.workspace.did_change_watched_files
    )
    ls.ws.folders.watch_files_ourselves = not (watched and watched.dynamic_registration)


async def initialized(ls: KenningLanguageServer, params: types.InitializedParams) -> None:
    ws = ls.ws
    ls.status.start()
    try:
        folders = ls.workspace.folders
        uris = [f.uri for f in folders.values()] or (
            [ls.workspace.root_uri] if ls.workspace.root_uri else []
        )
        if not uris:
            ws.folders.warn("kenning: no workspace folder was given; nothing to index")
        # Registered at once, so that the buffers the editor opens next find their folder.
        registered = [f for f in map(ws.folders.register, uris) if f is not None]
    finally:
        ws.folders.change_ended()
    if not ws.folders.watch_files_ourselves:
        await _register_file_watching(ls)
    await asyncio.gather(*(ws.folders.open(folder) for folder in registered))


async def _register_file_watching(ls: KenningLanguageServer) -> None:
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
        ls.ws.folders.watch_files_ourselves = True
        for folder in ls.ws.folders.values():
            folder.live.watch()


async def shutdown(ls: KenningLanguageServer, params: None) -> None:
    # Relays detach from their owners and the HTTP API stops, on the loop. Then closing
    # waits for the writers and the embedding pool; the loop keeps answering meanwhile.
    # (Not on the query threads: closing shuts their executor down.)
    await ls.ws.folders.detach()
    await asyncio.get_running_loop().run_in_executor(None, ls.close)


async def did_change_configuration(
    ls: KenningLanguageServer, params: types.DidChangeConfigurationParams
) -> None:
    raw = params.settings
    if isinstance(raw, dict) and isinstance(raw.get("kenning"), dict):
        raw = raw["kenning"]
    if raw is None:
        return
    ws = ls.ws
    old = ws.folders.settings
    ws.folders.configure(raw)
    if ws.folders.settings == old:
        return
    # Settings reach the stores when they open: reopen every folder with the new ones.
    with ws.folders.changing():
        uris = list(ws.folders)
        for uri in uris:
            await ws.folders.remove(uri)
        await asyncio.gather(*(ws.folders.add(uri) for uri in uris))


async def did_change_workspace_folders(
    ls: KenningLanguageServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    ws = ls.ws
    with ws.folders.changing():
        for removed in params.event.removed:
            await ws.folders.remove(removed.uri)
        await asyncio.gather(*(ws.folders.add(added.uri) for added in params.event.added))


# -- document sync ---------------------------------------------------------------------


def did_open(ls: KenningLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    document = params.text_document
    ls.ws.open_buffer(document.uri, document.text, document.version)


def did_change(ls: KenningLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    changes = [_text_change(change) for change in params.content_changes]
    ls.ws.change_buffer(params.text_document.uri, changes, params.text_document.version)


def _text_change(change: types.TextDocumentContentChangeEvent) -> TextChange:
    if isinstance(change, types.TextDocumentContentChangePartial):
        r = change.range
        span = Span(r.start.line, r.start.character, r.end.line, r.end.character)
        return TextChange(text=change.text, range=span)
    return TextChange(text=change.text)


def did_save(ls: KenningLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.ws.save_buffer(params.text_document.uri)


def did_close(ls: KenningLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.ws.close_buffer(params.text_document.uri)


def did_change_watched_files(
    ls: KenningLanguageServer, params: types.DidChangeWatchedFilesParams
) -> None:
    ls.ws.files_changed([change.uri for change in params.changes])


# -- standard requests ----------------------------------------------------------------------


async def prepare_call_hierarchy(
    ls: KenningLanguageServer, params: types.CallHierarchyPrepareParams
) -> list[types.CallHierarchyItem] | None:
    request = p.HierarchyParams(
        text_document=p.TextDocumentIdentifier(params.text_document.uri),
        position=p.Position(params.position.line, params.position.character),
    )
    folder, nodes = await ls.ws.hierarchy(request)
    return [lsp_items.hierarchy_item(folder.uri, n) for n in nodes if n.uri] or None


async def incoming_calls(
    ls: KenningLanguageServer, params: types.CallHierarchyIncomingCallsParams
) -> list[types.CallHierarchyIncomingCall]:
    folder, calls = await _calls(ls, params.item, incoming=True)
    return [
        types.CallHierarchyIncomingCall(
            from_=lsp_items.hierarchy_item(folder.uri, call.node, lsp_items.how(call)),
            from_ranges=[lsp_items.lsp_range(r) for r in call.ranges],
        )
        for call in calls
        if call.node.uri
    ]


async def outgoing_calls(
    ls: KenningLanguageServer, params: types.CallHierarchyOutgoingCallsParams
) -> list[types.CallHierarchyOutgoingCall]:
    folder, calls = await _calls(ls, params.item, incoming=False)
    return [
        types.CallHierarchyOutgoingCall(
            to=lsp_items.hierarchy_item(folder.uri, call.node, lsp_items.how(call)),
            from_ranges=[lsp_items.lsp_range(r) for r in call.ranges],
        )
        for call in calls
        if call.node.uri
    ]


async def _calls(
    ls: KenningLanguageServer, item: types.CallHierarchyItem, incoming: bool
) -> tuple[Folder, list[p.Call]]:
    data = item.data if isinstance(item.data, dict) else {}
    symbol_id = data.get("id")
    if not isinstance(symbol_id, str):
        raise InvalidParams("the call hierarchy item has no kenning symbol id in `data`")
    folder_uri = data.get("folder")
    folder = ls.ws.folder_of_item(folder_uri if isinstance(folder_uri, str) else None, item.uri)
    least = ls.ws.folders.settings.call_hierarchy_min_confidence
    request = p.CallsParams(symbol_id=symbol_id, incoming=incoming, min_confidence=least)
    calls = await ls.ws.calls(folder, request)
    return folder, calls


async def workspace_symbol(
    ls: KenningLanguageServer, params: types.WorkspaceSymbolParams
) -> list[types.SymbolInformation]:
    if not params.query.strip():
        return []
    found = await ls.ws.symbols(p.SymbolsParams(query=params.query, limit=SYMBOL_LIMIT))
    return [lsp_items.symbol_information(node) for node in found.symbols if node.uri]


# -- kenning's methods and commands ---------------------------------------------------------


def _method_handler(method: p.Method) -> Callable[..., Awaitable[Any]]:
    operation = OPERATIONS[method]

    async def handler(ls: KenningLanguageServer, raw: Any) -> Any:
        """Params as pygls hands them over for methods it does not know -> the typed
        struct (InvalidParams saying what is wrong otherwise), one call, encoded."""
        try:
            params = p.decode_params(p.plain(raw), method.params)
        except p.InvalidParams as error:
            raise JsonRpcInvalidParams(message=str(error)) from None
        return p.encode(await operation(ls.ws, params, None))

    handler.__name__ = f"kenning_{method.name.rsplit('/', 1)[-1]}"
    return handler


async def reindex(ls: KenningLanguageServer, *arguments: Any) -> Any:
    return p.encode(await ls.ws.reindex(arguments))


async def pause_embedding(ls: KenningLanguageServer, *arguments: Any) -> Any:
    return p.encode(await ls.ws.set_embedding(paused=True))


async def resume_embedding(ls: KenningLanguageServer, *arguments: Any) -> Any:
    return p.encode(await ls.ws.set_embedding(paused=False))


def _answering(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler`, with the core's errors turned into JSON-RPC errors with their codes."""
    if asyncio.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def answer(*args: Any) -> Any:
            try:
                return await handler(*args)
            except RequestError as error:
                raise JsonRpcException(
                    code=error.error_code, message=error.message, data=error.data
                ) from None

        return answer

    @functools.wraps(handler)
    def notify(*args: Any) -> Any:
        try:
            return handler(*args)
        except RequestError as error:
            log.warning("%s: %s", handler.__name__, error.message)
            return None

    return notify


def create_server(
    api: tuple[str, int] | None = None, api_factory: ApiFactory | None = None
) -> KenningLanguageServer:
    """A language server; with `api` and `api_factory`, serving the HTTP API there for
    the folders it owns."""
    ls = KenningLanguageServer(api, api_factory)
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
        *((method.name, _method_handler(method), None) for method in p.REQUESTS),
    ]
    for method, handler, options in features:
        ls.feature(method, options)(_answering(handler))
    for command, handler in (
        (p.REINDEX, reindex),
        (p.PAUSE_EMBEDDING, pause_embedding),
        (p.RESUME_EMBEDDING, resume_embedding),
    ):
        ls.command(command)(_answering(handler))
    return ls


__all__ = ["KenningLanguageServer", "create_server"]
