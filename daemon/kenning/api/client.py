"""Clients of a daemon's HTTP JSON-RPC API: `ApiClient` (blocking, for the CLI and
scripts) and `AsyncApiClient` (aiohttp, for a second daemon forwarding to the owner).

Both send one JSON-RPC request per call with the owner's bearer token and return the
result as plain JSON values. A JSON-RPC error comes back as `ApiError` (its code and
the daemon's message); a daemon that cannot be reached at all as `OwnerGone`.
"""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from kenning.api.owner import OwnerRecord

if TYPE_CHECKING:
    import aiohttp


class ApiError(Exception):
    """The daemon answered with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class OwnerGone(Exception):
    """The daemon could not be reached (it exited, or is not listening any more)."""


def _request(method: str, params: Any, request_id: int) -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    ).encode()


def _result(reply: Any) -> Any:
    if not isinstance(reply, dict):
        raise ApiError(-32603, f"the daemon sent a malformed reply: {reply!r}")
    error = reply.get("error")
    if error is not None:
        raise ApiError(int(error.get("code", -32603)), str(error.get("message")),
                       error.get("data"))  # fmt: skip
    return reply.get("result")


class ApiClient:
    """Blocking calls to one daemon (the CLI's client)."""

    def __init__(self, owner: OwnerRecord, timeout: float = 60.0) -> None:
        self.owner = owner
        self.timeout = timeout
        self._token = owner.token()
        self._ids = itertools.count(1)

    def call(self, method: str, params: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.owner.url}/rpc",
            data=_request(method, params or {}, next(self._ids)),
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {self._token}"},
            method="POST",
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                return _result(json.loads(body))
            except ValueError:
                raise ApiError(-32603, f"HTTP {error.code}: {body[:200]!r}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            raise OwnerGone(f"kenning daemon pid {self.owner.pid} at {self.owner.url}: "
                            f"{getattr(error, 'reason', error)}") from None  # fmt: skip
        return _result(json.loads(body))


class AsyncApiClient:
    """Calls to the owning daemon from inside another daemon's event loop."""

    def __init__(self, owner: OwnerRecord, timeout: float = 60.0) -> None:
        self.owner = owner
        self.timeout = timeout
        self._token = owner.token()
        self._ids = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None

    async def call(self, method: str, params: Any = None) -> Any:
        body = _request(method, params if params is not None else {}, next(self._ids))
        return _result(await self._send("POST", "/rpc", body))

    async def health(self) -> Any:
        """`GET /health`: cheap, no query; OwnerGone when the daemon is not there, and
        ApiError when it refuses us (its refusals carry a JSON-RPC error)."""
        reply = await self._send("GET", "/health", None)
        return _result(reply) if isinstance(reply, dict) and "error" in reply else reply

    async def _send(self, verb: str, path: str, body: bytes | None) -> Any:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"Authorization": f"Bearer {self._token}"},
            )
        try:
            async with self._session.request(
                verb, f"{self.owner.url}{path}", data=body,
                headers={"Content-Type": "application/json"},
            ) as response:  # fmt: skip
                return await response.json(content_type=None)
        except (aiohttp.ClientConnectionError, ConnectionError) as error:
            raise OwnerGone(f"kenning daemon pid {self.owner.pid} at {self.owner.url}: "
                            f"{error}") from None  # fmt: skip
        except (aiohttp.ContentTypeError, ValueError) as error:
            raise ApiError(-32603, f"the daemon sent a malformed reply: {error}") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
