"""The errors a request can end in, for every front end.

The core (`workspaces.py`) raises these; each front end turns them into its own
answer: a JSON-RPC error with `code` over LSP and HTTP, a tool error over MCP. Only
what a user can act on is one of these; anything else is a bug, answered as an
internal error and logged with its traceback.
"""

from __future__ import annotations

from typing import Any, ClassVar

# LSP's "the request failed although its params were valid" (3.17).
REQUEST_FAILED = -32803
INVALID_PARAMS = -32602
# LSP's "the client cancelled the request".
REQUEST_CANCELLED = -32800


class RequestError(Exception):
    """A request that cannot be answered, for a reason the message gives the user."""

    code: ClassVar[int] = REQUEST_FAILED

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    @property
    def error_code(self) -> int:
        return self.code


class InvalidParams(RequestError):
    """The params name something that is not there (a path outside the workspace)."""

    code = INVALID_PARAMS


class RequestFailed(RequestError):
    """Valid params, no answer: no symbol there, the query ran out of time, ..."""


class AmbiguousSymbol(RequestFailed):
    """A name several symbols share, where the request needs one."""


class OwnerError(RequestError):
    """The daemon that owns the folder answered with an error: passed on as it is."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message, data)
        self._code = code

    @property
    def error_code(self) -> int:
        return self._code
