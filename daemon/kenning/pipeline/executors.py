"""The daemon's query threads.

Queries (search, call graphs, status) block on the graph store, LanceDB and the query
model; the asyncio loop that serves the editor must not. They run here instead, on a
small bounded pool: each thread keeps its own graph connection, and two threads let a
status poll or a call hierarchy go on while a search embeds its query.
"""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor

QUERY_THREADS = 2


def query_executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=QUERY_THREADS, thread_name_prefix="kenning-query")


__all__ = ["Executor", "query_executor"]
