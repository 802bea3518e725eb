"""A full index written in many small parts, with checkpoints between them, stores
exactly what one part and one checkpoint store."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import IN_PROCESS, Workspace, snapshot
from kenning.storage import graph as graph_module
from kenning.storage.graph import GraphStore

from .test_fallback import FILES, comparable, reference


def test_small_parts_and_checkpoints_store_the_same_rows(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = reference(tmp_path, IN_PROCESS, edit=False)
    monkeypatch.setattr(graph_module, "NODE_ROWS_PER_PART", 3)
    monkeypatch.setattr(graph_module, "EDGE_ROWS_PER_PART", 2)
    monkeypatch.setattr(graph_module, "ROWS_PER_CHECKPOINT", 4)
    checkpoints: list[int] = []
    real_checkpoint = GraphStore.checkpoint

    def checkpoint(self: GraphStore) -> None:
        checkpoints.append(1)
        real_checkpoint(self)

    monkeypatch.setattr(GraphStore, "checkpoint", checkpoint)

    workspace.write(FILES)
    engine = workspace.open()
    report = engine.index()

    assert report.graph_write == "copy"
    assert len(checkpoints) > 1  # the load checkpointed along the way, not only at its end
    assert comparable(snapshot(engine)) == expected
    # The store takes an edit after the load (its own checkpoints back on).
    engine.apply_changes([("zoo/keeper.py", "def feed():\n    pass\n")])
    assert "zoo/keeper.py#feed" in {s.id for s in engine.symbols("feed")}
