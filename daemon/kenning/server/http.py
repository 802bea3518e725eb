"""The HTTP JSON-RPC 2.0 API: kenning's methods for the CLI, scripts and a second daemon.

`ApiServer` runs an aiohttp server on the daemon's own event loop and answers with the
same core operations as the LSP server (`requests.OPERATIONS`, built from
`protocol.REQUESTS`), so the two cannot drift. `POST /rpc` takes a request, a
notification or a batch; `GET /health` says the daemon is alive.

Each workspace folder the daemon owns has its own bearer token; a request's token
names the folder it may see. The server refuses, before reading a body: a `Host` header
that is not a loopback name (DNS rebinding), any `Origin` header (a web page), and a
missing or wrong token, and closes the connection after refusing. It bounds the
connections (`connections.py`: how many, and how long one may take to send an accepted
request), the body size, the batch length, result limits (in the structs) and query
time (the request timeout); there is no query language to send, so nothing a client
sends can write to the stores. Replies are always valid JSON.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import msgspec
from aiohttp import web

from kenning import __version__
from kenning.server import jsonrpc
from kenning.server import protocol as p
from kenning.server.connections import ConnectionLimiter
from kenning.server.errors import RequestError
from kenning.server.jsonrpc import (  # the codes the API answers with, named here too
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,  # noqa: F401
    RpcError,
)
from kenning.server.requests import answer
from kenning.server.workspaces import Workspaces

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20
MAX_BATCH = 50
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# A Host header: a name or a bracketed IPv6 address, then an optional numeric port.
HOST_HEADER = re.compile(r"(\[[^\]]*\]|[^\[\]:]*)(?::([0-9]{1,5}))?")
IPV6_LOOPBACK = ipaddress.IPv6Address("::1")
IPV4_LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")

# The workspace folder a request's token opens.
FOLDER_URI = web.RequestKey("folder_uri", str)

# Every method the API serves, by name: kenning's requests and the peer methods.
METHODS = {method.name: method for method in (*p.REQUESTS, *p.PEER_REQUESTS)}
# One method's handler: (raw params, the folders the token opens) -> the raw result.
Handler = Callable[[Any, list[Any]], Awaitable[Any]]


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_host(header: str | None, bound: str = "") -> bool:
    """Whether a `Host` header names this machine by loopback: `localhost`, an IPv4
    address in 127.0.0.0/8 or `[::1]`, in any case, with an optional numeric port; or
    the address the API was told to bind (`bound`, beyond loopback only with
    `--allow-remote`). Nothing else: not an empty or missing header, not a name with
    anything after it."""
    match = HOST_HEADER.fullmatch(header or "")
    if match is None or not match.group(1):
        return False
    name, port = match.group(1).lower(), match.group(2)
    if port is not None and int(port) > 65535:
        return False
    if name == "localhost" or (bound and name == (f"[{bound}]" if ":" in bound else bound).lower()):
        return True
    try:
        if name.startswith("["):
            return "%" not in name and ipaddress.IPv6Address(name[1:-1]) == IPV6_LOOPBACK
        return ipaddress.IPv4Address(name) in IPV4_LOOPBACK
    except ValueError:
        return False


def _json(value: Any, status: int = 200) -> web.Response:
    """A JSON reply that is valid JSON whatever it holds (NaN and infinities become
    null, which the standard library would write as bare words)."""
    return web.Response(body=msgspec.json.encode(value), status=status,
                        content_type="application/json")  # fmt: skip


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return jsonrpc.error_reply(request_id, code, message)


def _rejected(status: int, code: int, message: str) -> web.Response:
    """A request refused before JSON-RPC: an HTTP error whose body still says why. The
    connection is closed after it: a stranger gets no second try on it."""
    response = _json(_error(None, code, message), status=status)
    response.force_close()
    return response


class ApiServer:
    """One daemon's HTTP endpoint, serving every folder it owns."""

    def __init__(
        self, ws: Workspaces, host: str, port: int, extra: dict[str, Handler] | None = None
    ) -> None:
        self.ws = ws
        # The declared methods, each answered by its core operation; `extra`: more
        # (a test's).
        self.handlers: dict[str, Handler] = {
            name: partial(_declared, ws, method) for name, method in METHODS.items()
        }
        self.handlers.update(extra or {})
        self.host = host
        self.port = port
        # token -> the folder URI it opens.
        self._tokens: dict[str, str] = {}
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self.connections: ConnectionLimiter | None = None
        self.url = ""

    async def start(self, **limits: Any) -> str:
        """Listen; returns the base URL (`http://127.0.0.1:PORT`). `limits`: the
        `ConnectionLimiter`'s, to replace its defaults."""
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[self._guard])
        app.router.add_post("/rpc", self._rpc)
        app.router.add_get("/health", self._health)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        # aiohttp's sites would hand every connection to it unbounded: listen here, with
        # its protocol factory behind the limiter.
        assert self._runner.server is not None
        self.connections = ConnectionLimiter(self._runner.server, **limits)
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(
            self.connections, self.host, self.port, reuse_address=True
        )
        host, port = self._listener.sockets[0].getsockname()[:2]
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        log.info("HTTP API listening on %s", self.url)
        return self.url

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()  # closes the connections still open
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
        # The header as sent: aiohttp's `request.host` stands in the socket's own
        # address for a missing one.
        hosts = request.headers.getall("Host", [])
        if len(hosts) != 1 or not loopback_host(hosts[0], self.host):
            shown = repr(hosts[0]) if len(hosts) == 1 else f"{len(hosts)} Host headers"
            return _rejected(403, INVALID_REQUEST, f"Host {shown} is not a loopback name; "
                             "kenning answers requests for localhost only")  # fmt: skip
        if "Origin" in request.headers:
            return _rejected(403, INVALID_REQUEST, "requests from web pages (with an Origin "
                             "header) are refused")  # fmt: skip
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        folder_uri = self._folder_for(token.strip()) if scheme.lower() == "bearer" else None
        if folder_uri is None:
            return _rejected(401, INVALID_REQUEST, "missing or wrong bearer token; it is in "
                             "the workspace's index folder (api-token)")  # fmt: skip
        request[FOLDER_URI] = folder_uri
        if self.connections is not None:
            self.connections.admitted(request.transport)
        return await handler(request)

    def _folder_for(self, token: str) -> str | None:
        # Tokens are ASCII; a header that is not (aiohttp keeps undecodable bytes as
        # surrogates) is simply not one of them.
        try:
            given = token.encode("ascii")
        except UnicodeEncodeError:
            return None
        for known, uri in self._tokens.items():
            if hmac.compare_digest(known.encode(), given):
                return uri
        return None

    # -- routes ---------------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        return _json({"ok": True, "pid": os.getpid(), "version": __version__,
                      "folder": request[FOLDER_URI]})  # fmt: skip

    async def _rpc(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return self._too_large(request.content_length)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._too_large(None)
        try:
            message = jsonrpc.loads(body)
        except jsonrpc.InvalidMessage as error:
            return _json(_error(None, error.code, error.message))
        folder = self.ws.folders.get(request[FOLDER_URI])
        scope = [folder] if folder is not None else []
        if isinstance(message, list):
            if not message:
                return _json(_error(None, INVALID_REQUEST, "empty batch"))
            if len(message) > MAX_BATCH:
                too_long = f"a batch of {len(message)} requests is over the limit of {MAX_BATCH}"
                return _json(_error(None, INVALID_REQUEST, too_long))
            replies = await asyncio.gather(*(self._one(scope, m) for m in message))
            answered = [r for r in replies if r is not None]
            return _json(answered) if answered else web.Response(status=204)
        reply = await self._one(scope, message)
        return _json(reply) if reply is not None else web.Response(status=204)

    def _too_large(self, size: int | None) -> web.Response:
        what = f"{size:,} bytes" if size is not None else "the body"
        return _rejected(413, INVALID_REQUEST,
                         f"{what} is over the limit of {MAX_BODY_BYTES:,} bytes")  # fmt: skip

    async def _one(self, scope: list[Any], message: Any) -> dict[str, Any] | None:
        """One request or notification -> its reply (None for a notification). A
        message that is neither gets an error reply, with a null id when its own is
        missing or unusable."""
        try:
            envelope = jsonrpc.check(message, null_id=True)
        except jsonrpc.InvalidMessage as error:
            return _error(error.request_id, error.code, error.message)
        request_id, method, params = envelope.id, envelope.method, envelope.params
        notification = envelope.kind == "notification"
        try:
            handler = self.handlers.get(method)
            if handler is None:
                served = ", ".join(m.name for m in p.REQUESTS)
                raise RpcError(METHOD_NOT_FOUND, f"method not found: {method!r}; this "
                               f"daemon serves {served}")  # fmt: skip
            if not scope:
                raise RpcError(INTERNAL_ERROR, "the workspace folder is not open any more")
            result = await handler(params, scope)
        except p.InvalidParams as error:
            failure = (INVALID_PARAMS, str(error))
        except RequestError as error:
            failure = (error.error_code, error.message)
        except RpcError as error:
            failure = (error.code, error.message)
        except Exception as error:
            log.exception("HTTP request %s failed", method)
            failure = (INTERNAL_ERROR, f"internal error: {error}")
        else:
            return None if notification else {"jsonrpc": "2.0", "id": request_id, "result": result}
        return None if notification else _error(request_id, *failure)


async def _declared(ws: Workspaces, method: p.Method, raw: Any, scope: list[Any]) -> Any:
    return await answer(ws, method, raw, scope)


async def start_api(ws: Workspaces, host: str, port: int) -> ApiServer:
    """The HTTP API for `ws`'s folders, listening on (host, port)."""
    api = ApiServer(ws, host, port)
    await api.start()
    return api
