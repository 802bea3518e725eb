"""A digest of every stored row of an index: proof that a change to how a full index
is written left what it writes alone.

    python -m bench.store_digest WORKSPACE [--json OUT]

Reads the workspace's `.kenning/` (the graph store read-only, the chunk table) and
prints, per table, the row count and a SHA-256 over every column of every row, rows
sorted so the order they were written in does not count: `File` and `Symbol` nodes,
`DEFINES`/`CONTAINS` edges by their ends, `CALLS`/`IMPORTS`/`INHERITS` edges with
their ends and every property, and the LanceDB chunk table. Two builds that index the
same tree must print the same lines; run it after each build's full index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from kenning.storage.graph import GraphStore
from kenning.storage.index_dir import IndexDir
from kenning.storage.schema import EDGE_TABLES, FILE_COLUMNS, SYMBOL_COLUMNS


def _digest(rows: list[tuple[Any, ...]]) -> str:
    lines = sorted(repr(row) for row in rows)
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return h.hexdigest()[:16]


def _rows(graph: GraphStore, cypher: str) -> list[tuple[Any, ...]]:
    table = graph.query(cypher).to_pydict()
    return list(zip(*table.values(), strict=True)) if table else []


def digests(workspace: Path) -> dict[str, tuple[int, str]]:
    """Table name -> (rows, digest of every column of every row)."""
    index_dir = IndexDir(workspace / ".kenning")
    out: dict[str, tuple[int, str]] = {}
    graph = GraphStore(index_dir.graph_path, read_only=True)
    try:
        queries = {
            "File": "MATCH (n:File) RETURN " + ", ".join(f"n.{name}" for name, _ in FILE_COLUMNS),
            "Symbol": "MATCH (n:Symbol) RETURN "
            + ", ".join(f"n.{name}" for name, _ in SYMBOL_COLUMNS),
            "DEFINES": "MATCH (a:File)-[:DEFINES]->(b:Symbol) RETURN a.path, b.id",
            "CONTAINS": "MATCH (a:Symbol)-[:CONTAINS]->(b:Symbol) RETURN a.id, b.id",
        }
        for table, cols in EDGE_TABLES.items():
            props = ", ".join(f"e.{name}" for name, _ in cols)
            queries[table] = f"MATCH (a)-[e:{table}]->(b) RETURN a.id, b.id, {props}"
        for name, cypher in queries.items():
            rows = _rows(graph, cypher)
            out[name] = (len(rows), _digest(rows))
    finally:
        graph.close()
    import lancedb

    table = lancedb.connect(str(index_dir.chunks_path)).open_table("chunks").to_arrow()
    columns = sorted(table.column_names)
    chunk_rows = list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
    out["chunks"] = (len(chunk_rows), _digest(chunk_rows))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--json", type=Path, help="also write the digests here")
    args = parser.parse_args()
    result = digests(args.workspace)
    for name, (count, digest) in result.items():
        print(f"{name:10} {count:8} {digest}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
