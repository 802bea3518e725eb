"""`kenning mcp` driven by the official MCP SDK's client over stdio: a real subprocess,
real JSON-RPC, on the server tests' project.

(This folder has no `__init__.py` and no `conftest.py`: as a package named `mcp` it
would hide the SDK from the tests, since pytest puts `tests/` on `sys.path`.)

`session(root)` starts `python -m kenning mcp` in `root` (the workspace found as the
CLI finds it), with embeddings off unless asked, and yields an initialized
`ClientSession`; `call` returns a tool's text and structured content.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.client.stdio import StdioServerParameters, stdio_client

from helpers import kenning_env
from mcp import ClientSession

TOOLS = ["callees", "callers", "impact", "reindex", "search", "status", "symbol"]


@dataclass
class Answer:
    text: str
    data: dict[str, Any]
    error: bool


@asynccontextmanager
async def session(
    root: Path, *args: str, embeddings: bool = False, log: Path | None = None
) -> AsyncIterator[ClientSession]:
    log_file = log or root.parent / f"mcp-{time.monotonic_ns()}.log"
    argv = ["-m", "kenning", "mcp", "--log-file", str(log_file), *args]
    if not embeddings:
        argv.append("--no-embeddings")
    params = StdioServerParameters(command=sys.executable, args=argv, env=kenning_env(),
                                   cwd=root)  # fmt: skip
    async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
        await client.initialize()
        yield client


async def call(client: ClientSession, tool: str, arguments: dict[str, Any] | None = None) -> Answer:
    result = await client.call_tool(tool, arguments or {})
    text = "\n".join(block.text for block in result.content if block.type == "text")
    return Answer(text, result.structured_content or {}, bool(result.is_error))


async def ok(client: ClientSession, tool: str, arguments: dict[str, Any] | None = None) -> Answer:
    """A call that must succeed."""
    answer = await call(client, tool, arguments)
    assert not answer.error, answer.text
    return answer


def lines(answer: Answer) -> Sequence[str]:
    return answer.text.splitlines()
