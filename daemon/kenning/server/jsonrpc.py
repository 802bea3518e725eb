"""JSON-RPC 2.0 messages as both transports receive them, before any handler runs.

`loads` parses a body as JSON and nothing looser; `check` reads a message's envelope
(`jsonrpc`, `id`, `method`, `params`) and says what kind of message it is. Each fault
is an `InvalidMessage` carrying its JSON-RPC code and the id to answer with (null when
the id itself is missing or unusable), so the LSP connection (`lsp.py`) and the HTTP
API (`http.py`) refuse the same messages in the same words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import cattrs

# JSON-RPC 2.0's error codes, and the two LSP adds that kenning uses.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002
REQUEST_FAILED = -32803

RequestId = int | str | None


class RpcError(Exception):
    """A request refused by kenning itself (its code first, as JSON-RPC lists them).

    Not pygls's `JsonRpcException`: both transports catch it themselves, and importing
    pygls's exceptions imports every LSP type (half a second), which the HTTP API that
    a headless daemon serves would wait for before it answers."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidMessage(RpcError):
    """A message refused before dispatch; `request_id` is what the reply's id must be."""

    def __init__(self, code: int, message: str, request_id: RequestId = None) -> None:
        super().__init__(code, message)
        self.request_id = request_id


@dataclass(frozen=True)
class Envelope:
    """What a well-formed message is: a request (with an id), a notification (none),
    or a response to a request of ours (an id and a result or an error)."""

    kind: Literal["request", "notification", "response"]
    id: RequestId
    method: str
    params: Any


def loads(body: bytes | str) -> Any:
    """A body -> JSON values; `InvalidMessage(PARSE_ERROR)` when it is not UTF-8 JSON or
    nests deeper than the parser goes (the C parser raises RecursionError then, which
    must not escape as an internal error)."""
    try:
        return json.loads(body)
    except RecursionError:
        raise InvalidMessage(PARSE_ERROR, "parse error: the JSON nests too deeply") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidMessage(PARSE_ERROR, f"parse error: {error}") from None


def is_id(value: object) -> bool:
    """A usable request id: a string or an integer. LSP allows nothing else; JSON-RPC's
    fractional numbers, NaN and Infinity could not be echoed back as valid JSON, or not
    exactly, so they are refused too."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def check(message: Any, *, null_id: bool = False, responses: bool = False) -> Envelope:
    """The envelope of a parsed message, or `InvalidMessage(INVALID_REQUEST)` saying what
    is wrong. `null_id`: accept `"id": null` on a request (JSON-RPC does, LSP does not);
    `responses`: accept responses (a server's client answers the server's requests)."""
    if not isinstance(message, dict):
        raise InvalidMessage(INVALID_REQUEST, "invalid request: a message must be a JSON object")
    has_id = "id" in message
    request_id = message.get("id")
    if has_id and not (is_id(request_id) or (null_id and request_id is None)):
        raise InvalidMessage(INVALID_REQUEST, "invalid request: the id must be a string or "
                             f"an integer, not {_kind_of(request_id)}")  # fmt: skip
    answer_id = request_id if has_id else None
    if message.get("jsonrpc") != "2.0":
        raise InvalidMessage(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"',
                             answer_id)  # fmt: skip
    if "method" not in message and responses and has_id:
        if ("result" in message) == ("error" in message):
            raise InvalidMessage(INVALID_REQUEST, "invalid response: it needs a result or an "
                                 "error, not both", answer_id)  # fmt: skip
        return Envelope("response", request_id, "", None)
    method = message.get("method")
    if not isinstance(method, str):
        raise InvalidMessage(INVALID_REQUEST, 'invalid request: "method" must be a string',
                             answer_id)  # fmt: skip
    params = message.get("params")
    if params is not None and not isinstance(params, dict | list):
        raise InvalidMessage(INVALID_REQUEST, "invalid request: params must be an object or "
                             "an array", answer_id)  # fmt: skip
    return Envelope("request" if has_id else "notification", request_id, method, params)


def error_reply(request_id: RequestId, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        return "a fraction" if abs(value) != float("inf") else f"{'-' if value < 0 else ''}Infinity"
    if isinstance(value, dict):
        return "an object"
    return "an array" if isinstance(value, list) else type(value).__name__


_SNAKE = re.compile(r"_([a-z])")


def params_problem(error: Exception) -> str:
    """Why params did not fit their LSP type, in the wire's field names
    ("invalid params: params.item.uri: required field missing")."""
    if isinstance(error, cattrs.ClassValidationError):
        problems = []
        for line in cattrs.transform_error(error, path="$")[:5]:
            what, _, where = line.rpartition(" @ ")
            where = _SNAKE.sub(lambda m: m.group(1).upper(), where.removeprefix("$."))
            problems.append(f"{where.replace('_.', '.').rstrip('_')}: {what}")
        return "invalid params: " + "; ".join(problems)
    return f"invalid params: {error}"
