"""The HTTP JSON-RPC 2.0 API: kenning's methods for the CLI, scripts and a second daemon.

`ApiServer` runs an aiohttp server on the language server's own event loop and calls
the same `KenningServer` operations as the LSP handlers, with the same protocol structs
(`protocol.REQUESTS`), so the two cannot drift. `POST /rpc` takes a request, a
notification or a batch; `GET /health` says the daemon is alive.

Each workspace folder the daemon owns has its own bearer token; a request's token
names the folder it may see. The server refuses, before reading a body: a `Host` header
that is not a loopback name (DNS rebinding), any `Origin` header (a web page), and a
missing or wrong token. It bounds the body size, the batch length, result limits (in
the structs) and query time (the request timeout); there is no query language to send,
so nothing a client sends can write to the stores.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from kenning import __version__
from kenning.server import protocol as p

if TYPE_CHECKING:
    from kenning.server.daemon import Folder, KenningServer

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20
MAX_BATCH = 50
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

# JSON-RPC 2.0's error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# The workspace folder a request's token opens.
FOLDER_URI = web.RequestKey("folder_uri", str)

Handler = Callable[["KenningServer", list["Folder"], Any], Awaitable[Any]]


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RpcError(JsonRpcException):
    """A request refused by the endpoint itself (its code first, as JSON-RPC lists them)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message=message, code=code)


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _rejected(status: int, code: int, message: str) -> web.Response:
    """A request refused before JSON-RPC: an HTTP error whose body still says why."""
    return web.json_response(_error(None, code, message), status=status)


class ApiServer:
    """One daemon's HTTP endpoint, serving every folder it owns."""

    def __init__(
        self, ls: KenningServer, host: str, port: int, extra: dict[str, Handler] | None = None
    ) -> None:
        self.ls = ls
        self.handlers = {**HANDLERS, **(extra or {})}
        self.host = host
        self.port = port
        # token -> the folder URI it opens.
        self._tokens: dict[str, str] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        """Listen; returns the base URL (`http://127.0.0.1:PORT`)."""
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[self._guard])
        app.router.add_post("/rpc", self._rpc)
        app.router.add_get("/health", self._health)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        log.info("HTTP API listening on %s", self.url)
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def grant(self, folder_uri: str, token: str) -> None:
        self._tokens = {t: u for t, u in self._tokens.items() if u != folder_uri}
        self._tokens[token] = folder_uri

    def revoke(self, folder_uri: str) -> None:
        self._tokens = {t: u for t, u in self._tokens.items() if u != folder_uri}

    # -- the checks every request passes ----------------------------------------------

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        host = request.host.rsplit(":", 1)[0] if request.host.count(":") == 1 else request.host
        if host.startswith("[") and "]" in host:
            host = host[1 : host.index("]")]
        if not (is_loopback(host) or host == self.host):
            return _rejected(403, INVALID_REQUEST, f"Host {request.host!r} is not a loopback "
                             "name; kenning answers requests for localhost only")  # fmt: skip
        if "Origin" in request.headers:
            return _rejected(403, INVALID_REQUEST, "requests from web pages (with an Origin "
                             "header) are refused")  # fmt: skip
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        folder_uri = self._folder_for(token.strip()) if scheme.lower() == "bearer" else None
        if folder_uri is None:
            return _rejected(401, INVALID_REQUEST, "missing or wrong bearer token; it is in "
                             "the workspace's index folder (api-token)")  # fmt: skip
        request[FOLDER_URI] = folder_uri
        return await handler(request)

    def _folder_for(self, token: str) -> str | None:
        for known, uri in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return uri
        return None

    # -- routes ---------------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "pid": os.getpid(), "version": __version__,
                                  "folder": request[FOLDER_URI]})  # fmt: skip

    async def _rpc(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return self._too_large(request.content_length)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._too_large(None)
        try:
            message = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            return web.json_response(_error(None, PARSE_ERROR, f"parse error: {error}"))
        folder = self.ls.folders.get(request[FOLDER_URI])
        scope = [folder] if folder is not None else []
        if isinstance(message, list):
            if not message:
                return web.json_response(_error(None, INVALID_REQUEST, "empty batch"))
            if len(message) > MAX_BATCH:
                too_long = f"a batch of {len(message)} requests is over the limit of {MAX_BATCH}"
                return web.json_response(_error(None, INVALID_REQUEST, too_long))
            replies = await asyncio.gather(*(self._one(scope, m) for m in message))
            answered = [r for r in replies if r is not None]
            return web.json_response(answered) if answered else web.Response(status=204)
        reply = await self._one(scope, message)
        return web.json_response(reply) if reply is not None else web.Response(status=204)

    def _too_large(self, size: int | None) -> web.Response:
        what = f"{size:,} bytes" if size is not None else "the body"
        return _rejected(413, INVALID_REQUEST,
                         f"{what} is over the limit of {MAX_BODY_BYTES:,} bytes")  # fmt: skip

    async def _one(self, scope: list[Folder], message: Any) -> dict[str, Any] | None:
        """One request or notification -> its reply (None for a notification)."""
        if not isinstance(message, dict):
            return _error(None, INVALID_REQUEST, "a request must be a JSON object")
        request_id = message.get("id")
        notification = "id" not in message
        try:
            if message.get("jsonrpc") != "2.0":
                raise RpcError(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"')
            if not (request_id is None or isinstance(request_id, str | int)) or isinstance(
                request_id, bool
            ):
                raise RpcError(INVALID_REQUEST, "invalid request: id must be a string or number")
            method = message.get("method")
            if not isinstance(method, str):
                raise RpcError(INVALID_REQUEST, 'invalid request: "method" must be a string')
            params = message.get("params")
            if params is not None and not isinstance(params, dict | list):
                raise RpcError(INVALID_REQUEST, "invalid request: params must be an object")
            handler = self.handlers.get(method)
            if handler is None:
                served = ", ".join(m.name for m in p.REQUESTS)
                raise RpcError(METHOD_NOT_FOUND, f"method not found: {method!r}; this "
                               f"daemon serves {served}")  # fmt: skip
            if not scope:
                raise RpcError(INTERNAL_ERROR, "the workspace folder is not open any more")
            result = await handler(self.ls, scope, params)
        except p.InvalidParams as error:
            failure = (INVALID_PARAMS, str(error))
        except JsonRpcException as error:
            failure = (error.code, error.message)
        except Exception as error:
            log.exception("HTTP request %s failed", message.get("method"))
            failure = (INTERNAL_ERROR, f"internal error: {error}")
        else:
            return None if notification else {"jsonrpc": "2.0", "id": request_id, "result": result}
        return None if notification else _error(request_id, *failure)


# -- the methods ---------------------------------------------------------------------------


async def _search(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
    return p.encode(await ls.search(p.decode_params(raw, p.SearchParams), scope))


async def _call_graph(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
    return p.encode(await ls.call_graph(p.decode_params(raw, p.CallGraphParams), scope))


async def _impact(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
    return p.encode(await ls.impact(p.decode_params(raw, p.ImpactParams), scope))


async def _status(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
    p.decode_params(raw, p.StatusParams)
    return p.encode(await ls.status_result(scope))


async def _symbols(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
    return p.encode(await ls.symbols(p.decode_params(raw, p.SymbolsParams), scope))


async def _describe(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
    return p.encode(await ls.describe(p.decode_params(raw, p.DescribeParams), scope))


async def _reindex(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
    return p.encode(await ls.reindex(p.decode_params(raw, p.ReindexParams).uris, scope))


async def _pause(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
    p.decode_params(raw, p.EmbeddingParams)
    return p.encode(await ls.set_embedding(True, scope))


async def _resume(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
    p.decode_params(raw, p.EmbeddingParams)
    return p.encode(await ls.set_embedding(False, scope))


async def _peer_document(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
    ls.peer_document(p.decode_params(raw, p.PeerDocumentParams), scope)
    return p.encode(p.Empty())


HANDLERS: dict[str, Handler] = {
    p.SEARCH.name: _search,
    p.CALL_GRAPH.name: _call_graph,
    p.IMPACT.name: _impact,
    p.STATUS.name: _status,
    p.SYMBOLS.name: _symbols,
    p.DESCRIBE.name: _describe,
    p.REINDEX_REQUEST.name: _reindex,
    p.PAUSE_REQUEST.name: _pause,
    p.RESUME_REQUEST.name: _resume,
    p.PEER_DOCUMENT.name: _peer_document,
}


def lsp_forwarding(lsp_handlers: dict[str, Callable[..., Awaitable[Any]]],
                   ls: KenningServer) -> dict[str, Handler]:  # fmt: skip
    """Methods for the standard requests a second daemon forwards (call hierarchy,
    workspace symbols), served by the LSP handlers themselves, in LSP's JSON."""
    converter = ls.protocol._converter

    def forwarder(method: str, lsp_handler: Callable[..., Awaitable[Any]]) -> Handler:
        params_type: Any = types.METHOD_TO_TYPES[method][2]

        async def forward(ls: KenningServer, scope: list[Folder], raw: Any) -> Any:
            try:
                params: Any = converter.structure(raw, params_type)
            except Exception as error:
                raise p.InvalidParams(f"invalid params: {error}") from None
            return converter.unstructure(await lsp_handler(ls, params))

        return forward

    return {method: forwarder(method, handler) for method, handler in lsp_handlers.items()}
