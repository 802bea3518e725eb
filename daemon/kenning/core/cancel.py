"""Cancellation that stops work: a token a request's worker thread carries and the query
layer checks.

A query runs on a query thread inside `running(token)`; the code it calls checks the
token with `check()` between steps (every graph statement, every level of a call-graph
walk, every ranker of a search), which raises `Cancelled` once the front end has
cancelled it: the client cancelled the request, or it ran past its timeout. The
thread is then free for the next query within one step, instead of finishing work
whose answer nobody waits for. Code that runs outside a query (the writer, the
embedding pool) has no token, and `check()` costs it one lookup.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Cancelled(Exception):
    """The query was cancelled; the message says why (a timeout, the client)."""


class CancelToken:
    """Set once by the side that gave up on the answer; read by the worker."""

    # One flag, written once by one side and read by the other: a plain attribute is
    # enough (the worker sees it at its next check), no lock or event needed.
    __slots__ = ("cancelled", "reason")

    def __init__(self) -> None:
        self.cancelled = False
        self.reason = ""

    def cancel(self, reason: str = "cancelled") -> None:
        if not self.cancelled:
            self.reason = reason
            self.cancelled = True

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled(self.reason)


_current: ContextVar[CancelToken | None] = ContextVar("kenning_cancel_token", default=None)


@contextmanager
def running(token: CancelToken) -> Iterator[CancelToken]:
    """Run the block as the work `token` cancels (on the worker's thread)."""
    reset = _current.set(token)
    try:
        yield token
    finally:
        _current.reset(reset)


def check() -> None:
    """Raise `Cancelled` when the running query was cancelled; nothing otherwise."""
    token = _current.get()
    if token is not None and token.cancelled:
        raise Cancelled(token.reason)
