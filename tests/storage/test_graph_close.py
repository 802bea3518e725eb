"""Closing the graph store while another thread queries it: the close waits for the
statement in flight (closing a connection under it crashes the process), and later
statements fail cleanly."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kenning.storage.graph import GraphError, GraphStore


def test_close_waits_for_queries_on_other_threads(tmp_path: Path) -> None:
    graph = GraphStore(tmp_path / "graph")
    started = threading.Event()
    outcomes: list[str] = []

    def keep_querying() -> None:
        while True:
            try:
                graph.query("MATCH (s:Symbol) RETURN count(*)")
            except GraphError as error:
                outcomes.append(str(error))
                return
            started.set()

    readers = [threading.Thread(target=keep_querying) for _ in range(3)]
    for reader in readers:
        reader.start()
    assert started.wait(10)
    graph.close()
    for reader in readers:
        reader.join(10)
    assert outcomes == ["the graph store is closed"] * 3
    with pytest.raises(GraphError):
        graph.query("MATCH (s:Symbol) RETURN count(*)")
