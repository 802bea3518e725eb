"""Bounds on the HTTP API's connections, so that strangers cannot use up the daemon's
file descriptors.

aiohttp keeps a connection that never sends a request open for its whole keep-alive
time, and has no limit on how many it holds: twenty thousand idle connections to the
port use up the process's file descriptors, and then the daemon can open neither its
index files nor the next connection. `ConnectionLimiter` wraps aiohttp's protocol
factory: a connection is *pending* until a request on it has passed the endpoint's
checks (`admitted`), must get there within `header_timeout` seconds, and the oldest
pending one is closed when too many are; beyond `max_open` connections in all, new
ones are closed at once. Loopback clients send their headers within milliseconds, so
the newest connection, a real client's, is the one kept.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# Seconds a connection has to send a request that passes the checks.
HEADER_TIMEOUT = 10.0


def default_max_open() -> int:
    """A quarter of the file descriptors the process may open (the index's stores need
    the rest), at most 512."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 512
    return max(16, min(512, soft // 4))


class ConnectionLimiter:
    """A protocol factory for `loop.create_server` that bounds what `factory`'s
    protocols are given (see the module's docstring)."""

    def __init__(
        self,
        factory: Callable[[], asyncio.Protocol],
        max_open: int | None = None,
        max_pending: int | None = None,
        header_timeout: float = HEADER_TIMEOUT,
    ) -> None:
        self._factory = factory
        self.max_open = max_open if max_open is not None else default_max_open()
        self.max_pending = max_pending if max_pending is not None else max(4, self.max_open // 2)
        self.header_timeout = header_timeout
        self.open = 0
        # Pending connections, oldest first, with the timer that closes each.
        self._pending: OrderedDict[asyncio.Transport, asyncio.TimerHandle] = OrderedDict()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def __call__(self) -> asyncio.Protocol:
        return _Bounded(self, self._factory())

    def admitted(self, transport: Any) -> None:
        """A request on this connection passed the checks: no longer pending."""
        timer = self._pending.pop(transport, None)
        if timer is not None:
            timer.cancel()

    def _accept(self, transport: asyncio.Transport) -> bool:
        if self.open >= self.max_open:
            log.warning("refused a connection to the HTTP API: %d are open, the limit",
                        self.max_open)  # fmt: skip
            transport.abort()
            return False
        self.open += 1
        loop = asyncio.get_running_loop()
        self._pending[transport] = loop.call_later(self.header_timeout, self._expire, transport)
        if len(self._pending) > self.max_pending:
            oldest = next(iter(self._pending))
            log.warning("closed the oldest of %d connections to the HTTP API that sent no "
                        "accepted request", len(self._pending))  # fmt: skip
            self._close(oldest)
        return True

    def _expire(self, transport: asyncio.Transport) -> None:
        if transport in self._pending:
            log.warning("closed a connection to the HTTP API that sent no accepted request "
                        "in %g s", self.header_timeout)  # fmt: skip
            self._close(transport)

    def _close(self, transport: asyncio.Transport) -> None:
        timer = self._pending.pop(transport, None)
        if timer is not None:
            timer.cancel()
        # abort(): no lingering close, the descriptor is free at once.
        transport.abort()

    def _lost(self, transport: asyncio.Transport) -> None:
        self.open -= 1
        timer = self._pending.pop(transport, None)
        if timer is not None:
            timer.cancel()


class _Bounded(asyncio.Protocol):
    """One connection: passed on to aiohttp's protocol once accepted."""

    def __init__(self, limiter: ConnectionLimiter, inner: asyncio.Protocol) -> None:
        self._limiter = limiter
        self._inner = inner
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if self._limiter._accept(transport):
            self._transport = transport
            self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._limiter._lost(self._transport)
            self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._transport is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._transport is not None else None

    def pause_writing(self) -> None:
        if self._transport is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._transport is not None:
            self._inner.resume_writing()
