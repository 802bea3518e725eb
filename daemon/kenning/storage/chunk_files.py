"""What is known of the chunk table without opening it: its files' fingerprint and the
row count recorded with one.

Opening the chunk table imports LanceDB (a second or more), which a start with nothing
changed does not otherwise need. The fingerprint (each file of the table by path, size
and modification time: a stat per file, no read) tells whether the table is still what
it was when something was recorded about it: any write makes new files, so a table
written by a process that was killed before it recorded anything never matches an
older record. Two records use it: the row count below, kept for `kenning/status`, and
the embedding pool's note that its status table was in sync with the chunks
(`pipeline/embedder.py`).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from kenning.storage.chunks import TABLE
from kenning.storage.index_dir import IndexDir, stat_fingerprint, tree_files

# The chunk table's row count and the fingerprint of its files when it was counted.
ROWS_FILE = "chunk-rows.json"


def chunk_fingerprint(chunks_path: Path) -> str:
    """The fingerprint of the chunk table's files ("" when there is no table)."""
    return stat_fingerprint(tree_files(chunks_path / f"{TABLE}.lance"))


def record_rows(index_dir: IndexDir, rows: int) -> None:
    """Remember the table's row count with its files as they are now (the writer, with
    nothing writing the table meanwhile: at a clean close)."""
    record = {"fingerprint": chunk_fingerprint(index_dir.chunks_path), "rows": rows}
    path = index_dir.path / ROWS_FILE
    tmp = path.with_suffix(".tmp")
    with contextlib.suppress(OSError):
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, path)


def known_rows(index_dir: IndexDir) -> int | None:
    """The recorded row count while the table's files still match it, else None."""
    try:
        record = json.loads((index_dir.path / ROWS_FILE).read_text(encoding="utf-8"))
        fingerprint, rows = str(record["fingerprint"]), int(record["rows"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if fingerprint != chunk_fingerprint(index_dir.chunks_path):
        return None
    return rows


__all__ = ["ROWS_FILE", "chunk_fingerprint", "known_rows", "record_rows"]
