"""The daemon's query threads, and each writer's persist thread.

Queries (search, call graphs, status) block on the graph store, LanceDB and the query
model; the asyncio loop that serves the editor must not. They run here instead, on a
small bounded pool: each thread keeps its own graph connection, and two threads let a
status poll or a call hierarchy go on while a search embeds its query.

A writer's deferred changes are written to the stores on one thread of their own
(`persist_executor`, see `pipeline/write_behind.py`), so that the writer thread goes
on preparing the next save meanwhile. One thread: batches are written in order.

`opening_lock` is for what these threads share and open on first use (an engine's
stores): whichever thread comes first opens it, the others wait for it; `in_background`
runs one such open ahead of the first thread that needs it (a daemon's chunk and vector
tables after its catch-up), on a short-lived thread of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait

QUERY_THREADS = 2


def query_executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=QUERY_THREADS, thread_name_prefix="kenning-query")


def persist_executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="kenning-persist")


def in_background(name: str, work: Callable[[], None]) -> None:
    """Run `work` once on a daemon thread named `name`; nothing waits for it."""
    threading.Thread(target=work, name=name, daemon=True).start()


def opening_lock() -> threading.RLock:
    """A lock for opening shared things on first use; reentrant, so that opening one
    may open another under it."""
    return threading.RLock()


__all__ = [
    "Executor",
    "Future",
    "ThreadPoolExecutor",
    "in_background",
    "opening_lock",
    "persist_executor",
    "query_executor",
    "wait",
]
