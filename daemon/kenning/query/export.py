"""The index as JSON Lines, for tools outside kenning (`kenning export`).

Format `kenning-export` version 1, documented in `docs/export.md`: a header line, then
every symbol, then every edge, one JSON object a line. The graph is read a page of
symbols at a time (keyset paging on the symbol id), so memory stays bounded by the
page size however large the workspace is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from kenning import __version__
from kenning.storage.graph import GraphStore

FORMAT = "kenning-export"
FORMAT_VERSION = 1
PAGE_SIZE = 2000
# Edge tables and the `kind` each gets in the export.
EDGE_KINDS = (("CALLS", "calls"), ("IMPORTS", "imports"), ("INHERITS", "inherits"))


def _symbol_pages(graph: GraphStore, page_size: int) -> Iterator[list[list[Any]]]:
    after = ""
    while True:
        page = graph.export_symbols(after, page_size)
        if not page:
            return
        yield page
        if len(page) < page_size:
            return
        after = page[-1][0]


def export_records(graph: GraphStore, page_size: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
    """The export's records in order: the header, the symbols, the edges."""
    yield {"type": "header", "format": FORMAT, "version": FORMAT_VERSION, "kenning": __version__}
    for page in _symbol_pages(graph, page_size):
        for row in page:
            sid, name, qualname, kind, path, parent, *spans, decorators = row
            yield {
                "type": "symbol",
                "id": sid,
                "name": name,
                "qualname": qualname,
                "kind": kind,
                "path": path or None,
                "parent": parent,
                "range": spans[0:4],
                "selection": spans[4:8],
                "decorators": decorators or [],
            }
    for page in _symbol_pages(graph, page_size):
        ids = [row[0] for row in page if row[3] != "external"]
        for table, kind in EDGE_KINDS:
            rows = graph.export_edges(table, ids)
            for src, dst, line, col, end_line, end_col, how, confidence, text in rows:
                yield {
                    "type": "edge",
                    "kind": kind,
                    "from": src,
                    "to": dst,
                    "range": [line, col, end_line, end_col],
                    "resolution": how,
                    "confidence": confidence,
                    "text": text,
                }


def export_jsonl(graph: GraphStore, write: Any, page_size: int = PAGE_SIZE) -> int:
    """Write the export through `write(str)`, a line at a time; returns the line count."""
    encoder = msgspec.json.Encoder()
    count = 0
    for record in export_records(graph, page_size):
        write(encoder.encode(record).decode() + "\n")
        count += 1
    return count
