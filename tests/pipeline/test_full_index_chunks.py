"""A full index's chunks wait in a spill file while the files are parsed and are
appended once they all are (`pipeline/indexer.py`, `_ChunkParts`): every part reaches
the table, and a workspace with nothing to chunk is indexed all the same."""

from __future__ import annotations

import pytest

from helpers import IN_PROCESS, Workspace
from kenning.pipeline import indexer as indexer_module


def test_a_workspace_without_source_files_is_indexed(workspace: Workspace) -> None:
    engine = workspace.indexed({"README.txt": "no code here\n"})
    assert engine.status().files == 0
    assert engine.chunks._table.count_rows() == 0


def test_every_spilled_part_reaches_the_table(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A part for every file or so: the spill holds many, read back in order.
    monkeypatch.setattr(indexer_module, "CHUNK_BYTES_PER_PART", 64)
    names = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa"]
    files = {
        f"pkg/{w}.py": f"def measure_{w}(x):\n    return x + {n}\n" for n, w in enumerate(names)
    }
    engine = workspace.indexed(files, IN_PROCESS)
    rows = engine.chunks._table.to_arrow()
    assert sorted(set(rows.column("path").to_pylist())) == sorted(files)
    assert all(rows.column("words").to_pylist())  # each part split into words on append
    assert engine.chunks._table.count_rows() == len(files)
    found = [hit["symbol_id"] for hit in engine.chunks.search_text("measure kappa", 3)]
    assert found[:1] == ["pkg/kappa.py#measure_kappa"]


def test_a_full_index_reports_the_cpu_of_its_threads(workspace: Workspace) -> None:
    """Beside the wall time of each step, the CPU seconds of the threads a full index
    runs (what `bench/cold_stages.py` compares across builds on a shared machine)."""
    workspace.write({f"pkg/m{n}.py": f"def f{n}(x):\n    return g{n}(x)\n" for n in range(20)})
    report = workspace.open().index()
    cpu = {k: v for k, v in report.timings.items() if k.startswith("cpu.")}
    assert set(cpu) == {"cpu.main_thread", "cpu.graph_thread", "cpu.chunk_thread", "cpu.parent"}
    assert cpu["cpu.graph_thread"] > 0  # it ran the COPYs
    assert cpu["cpu.chunk_thread"] > 0  # it wrote the chunk table
    # The process's CPU covers every thread of it, the main one among them.
    assert cpu["cpu.parent"] >= cpu["cpu.main_thread"] > 0
