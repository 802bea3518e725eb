"""The graph schema, declared once.

Node tables: `File` (also the catalog: size, mtime and content hash per file) and
`Symbol` (definitions, plus `external` placeholders for targets outside the
workspace). Relationship tables: `DEFINES` (file -> its symbols), `CONTAINS`
(symbol -> child symbol), `CALLS`, `IMPORTS` and `INHERITS` (symbol -> symbol, each
with how it was resolved and a confidence).
"""

from __future__ import annotations

from kenning.core.facts import Span

# Column order matters: COPY FROM an Arrow table maps columns by position.
FILE_COLUMNS = (
    ("path", "STRING"),
    ("language", "STRING"),
    ("module", "STRING"),
    ("size", "INT64"),
    ("mtime_ns", "INT64"),
    ("hash", "STRING"),
    ("diagnostics", "STRING"),  # JSON list of diagnostics from parsing
)

SYMBOL_COLUMNS = (
    ("id", "STRING"),
    ("name", "STRING"),
    ("qualname", "STRING"),
    ("kind", "STRING"),
    ("path", "STRING"),
    ("parent", "STRING"),
    ("start_line", "INT64"),
    ("start_col", "INT64"),
    ("end_line", "INT64"),
    ("end_col", "INT64"),
    ("sel_start_line", "INT64"),
    ("sel_start_col", "INT64"),
    ("sel_end_line", "INT64"),
    ("sel_end_col", "INT64"),
    ("signature", "STRING"),
    ("docstring", "STRING"),
    ("decorators", "STRING[]"),
    ("attributes", "STRING[]"),
)

# An edge's span is two positions, where it starts and where it ends, each a line and
# a column in one integer (`position`), ordered as the pair is. A relationship table
# costs by the column: every COPY into it and every checkpoint rewrites each column of
# both of its directions, so the four columns a span took made about a third of what
# writing CALLS cost (see `docs/architecture.md`, "Graph store").
_SPAN = (("span_start", "INT64"), ("span_end", "INT64"))
_HOW = (("resolution", "STRING"), ("confidence", "DOUBLE"))

# `site`: the rest of the call site (`CallSite`: its name, receiver, receiver type,
# arguments and implicit kind), empty where they are what the callee's text says, which
# is so for most calls (`call_site_text`).
CALLS_COLUMNS = (("callee", "STRING"), *_SPAN, *_HOW, ("site", "STRING"))
IMPORTS_COLUMNS = (
    ("module", "STRING"),
    ("name", "STRING"),
    ("alias", "STRING"),
    ("kind", "STRING"),
    *_SPAN,
    *_HOW,
    ("conditional", "BOOLEAN"),
    ("type_only", "BOOLEAN"),
    ("reexport", "BOOLEAN"),
    ("extra", "STRING"),
)
INHERITS_COLUMNS = (("expr", "STRING"), *_SPAN, *_HOW)

EDGE_TABLES = {"CALLS": CALLS_COLUMNS, "IMPORTS": IMPORTS_COLUMNS, "INHERITS": INHERITS_COLUMNS}


COLUMN_BITS = 32
_COLUMN_MASK = (1 << COLUMN_BITS) - 1


def position(line: int, col: int) -> int:
    """A line and a column as one stored integer (an edge's `span_start` and `span_end`)."""
    return (line << COLUMN_BITS) | col


def line_col(value: int) -> tuple[int, int]:
    """The line and column of a stored `position`."""
    return value >> COLUMN_BITS, value & _COLUMN_MASK


def stored_span(start: int, end: int) -> Span:
    """The span of an edge's stored `span_start` and `span_end`."""
    return Span(*line_col(start), *line_col(end))


def _columns(cols: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in cols)


DDL = (
    f"CREATE NODE TABLE IF NOT EXISTS File({_columns(FILE_COLUMNS)}, PRIMARY KEY(path))",
    f"CREATE NODE TABLE IF NOT EXISTS Symbol({_columns(SYMBOL_COLUMNS)}, PRIMARY KEY(id))",
    "CREATE REL TABLE IF NOT EXISTS DEFINES(FROM File TO Symbol)",
    "CREATE REL TABLE IF NOT EXISTS CONTAINS(FROM Symbol TO Symbol)",
    *(
        f"CREATE REL TABLE IF NOT EXISTS {name}(FROM Symbol TO Symbol, {_columns(cols)})"
        for name, cols in EDGE_TABLES.items()
    ),
)
