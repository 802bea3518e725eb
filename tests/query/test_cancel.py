"""Cancellation stops work: a query whose request timed out or was cancelled stops at
its next check, on a real engine and real stores, instead of running to the end."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpers import Workspace
from kenning.core import cancel
from kenning.core.settings import Settings
from kenning.engine import Engine
from kenning.server.backends import Queries
from kenning.server.errors import RequestFailed

FILES = {
    "app.py": """
        def leaf():
            return 1

        def middle():
            return leaf()

        def top():
            return middle()
    """,
}


def test_a_cancelled_query_stops_at_its_next_statement(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    (top,) = engine.resolve_symbol("app.top")
    token = cancel.CancelToken()
    with cancel.running(token):
        assert [n.name for n in engine.call_graph(top, "outgoing", 2).nodes] == [
            "leaf", "middle", "top",
        ]  # fmt: skip
        token.cancel("the client cancelled the request")
        with pytest.raises(cancel.Cancelled, match="the client cancelled"):
            engine.call_graph(top, "outgoing", 2)
        with pytest.raises(cancel.Cancelled):
            engine.search("leaf")
    # Outside the cancelled request, the same engine answers as before.
    assert engine.impact(top, 1).callers == []


def test_work_outside_a_request_is_never_cancelled(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    cancel.check()  # no token: nothing to stop
    assert engine.symbols("leaf")


def test_a_query_past_its_timeout_is_answered_and_its_thread_freed(workspace: Workspace) -> None:
    """The request fails with the timeout as soon as it is up, and the worker, which
    would have run on for ever, stops at its next graph statement."""
    engine: Engine = workspace.indexed(FILES)
    stopped = threading.Event()
    statements = 0

    def endless() -> None:
        nonlocal statements
        try:
            while True:
                engine.graph.query("MATCH (s:Symbol) RETURN count(*)")
                statements += 1
        except cancel.Cancelled:
            stopped.set()
            raise

    async def main() -> None:
        with ThreadPoolExecutor(1) as executor:
            queries = Queries(executor, lambda: Settings(request_timeout_ms=300))
            began = time.monotonic()
            with pytest.raises(RequestFailed, match=r"longer than 0\.3 s"):
                await queries.run(endless)
            assert time.monotonic() - began < 5
            assert await asyncio.get_running_loop().run_in_executor(None, stopped.wait, 10)
            # The one query thread is free again: the next query is answered. Its own
            # bound is generous (a thread still held would fail it all the same): under
            # load a symbol lookup alone took longer than the 0.3 s given to `endless`.
            patient = Queries(executor, lambda: Settings(request_timeout_ms=30_000))
            assert await patient.run(engine.symbols, "leaf")

    asyncio.run(main())
    assert statements > 0


def test_a_query_whose_client_gave_up_stops(workspace: Workspace) -> None:
    engine: Engine = workspace.indexed(FILES)
    stopped = threading.Event()
    started = threading.Event()

    def endless() -> None:
        started.set()
        try:
            while True:
                engine.graph.query("MATCH (s:Symbol) RETURN count(*)")
        except cancel.Cancelled:
            stopped.set()
            raise

    async def main() -> None:
        with ThreadPoolExecutor(1) as executor:
            queries = Queries(executor, lambda: Settings())
            task = asyncio.ensure_future(queries.run(endless))
            await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
            task.cancel()  # as pygls does on `$/cancelRequest`
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await asyncio.get_running_loop().run_in_executor(None, stopped.wait, 10)

    asyncio.run(main())
