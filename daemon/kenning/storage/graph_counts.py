"""The graph's counts as its writer kept them, carried from one writer to the next.

`kenning/status` shows counts that the writer keeps as it writes (`GraphStore.counts`);
the first status after a start counted them from every table (a quarter of a second on
Django, growing with the workspace). A writer that closes cleanly records its kept
counts with the fingerprint of the graph's files as it left them (each by name, size
and modification time); the next writer, finding the files unchanged before it opens
them, adopts the counts instead of counting. A writer killed after writing leaves other
files (or a write-ahead log), so its stale record is not adopted.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import msgspec

from kenning.storage.index_dir import IndexDir, stat_fingerprint

COUNTS_FILE = "graph-counts.json"


def graph_fingerprint(index_dir: IndexDir) -> str:
    """The graph's files by name, size and modification time ("" when none)."""
    graph = index_dir.graph_path
    files = (graph, *graph.parent.glob(graph.name + ".*"))
    return stat_fingerprint((path.name, path) for path in files)


def record(index_dir: IndexDir, counts: dict[str, Any] | None) -> None:
    """After the writer closed the graph: its kept counts with the files as they are now
    (None: it kept none, and an older record would not match these files anyway)."""
    path = index_dir.path / COUNTS_FILE
    with contextlib.suppress(OSError):
        if counts is None:
            path.unlink(missing_ok=True)
            return
        tmp = path.with_suffix(".tmp")
        data = {"fingerprint": graph_fingerprint(index_dir), "counts": counts}
        tmp.write_bytes(msgspec.json.encode(data))
        os.replace(tmp, path)


def recorded(index_dir: IndexDir) -> dict[str, Any] | None:
    """The counts recorded for the graph's files as they are now (read before the graph
    is opened), else None."""
    try:
        data = msgspec.json.decode((index_dir.path / COUNTS_FILE).read_bytes())
        fingerprint, counts = data["fingerprint"], data["counts"]
    except (OSError, msgspec.DecodeError, KeyError, TypeError):
        return None
    if not isinstance(counts, dict) or fingerprint != graph_fingerprint(index_dir):
        return None
    return counts


__all__ = ["COUNTS_FILE", "graph_fingerprint", "record", "recorded"]
