"""A full index written in many small parts, each table's edges flushed on its own,
stores exactly what one part stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import IN_PROCESS, Workspace, snapshot
from kenning.storage import graph as graph_module

from .test_fallback import FILES, comparable, reference


def test_small_parts_store_the_same_rows(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = reference(tmp_path, IN_PROCESS, edit=False)
    monkeypatch.setattr(graph_module, "NODE_ROWS_PER_PART", 3)
    monkeypatch.setattr(graph_module, "EDGE_ROWS_PER_PART", 2)

    workspace.write(FILES)
    engine = workspace.open()
    report = engine.index()

    assert report.graph_write == "copy"
    assert comparable(snapshot(engine)) == expected
