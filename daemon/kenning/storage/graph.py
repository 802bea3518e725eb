"""The graph store: files, symbols and their edges in Kuzu's embedded engine (ladybug).

`GraphStore` is used by one writer (the pipeline's graph writer) and any number of
readers. Writes come in two shapes, both batched, never a statement per row:

* `bulk_load` for a full index into an empty store: one `COPY FROM` an Arrow table per
  table. If `COPY` fails, the store is emptied and the same rows go in through the
  `UNWIND` path instead.
* `write_batch` for incremental changes: one transaction per batch of files, rows
  sent as `UNWIND $rows` statements (edges by `COPY FROM` above a threshold, falling
  back to `UNWIND` if that fails).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import ladybug
import msgspec
import pyarrow as pa

from kenning.core import cancel
from kenning.core.facts import (
    BaseClass,
    CallSite,
    EdgeFacts,
    FileFacts,
    Import,
    ImportKind,
    Span,
    Symbol,
)
from kenning.core.graph import EXTERNAL_PREFIX, Resolution, ResolvedFile, Target, makes_call_edge
from kenning.core.results import CallEdge, SymbolRef
from kenning.storage import native_memory
from kenning.storage.batches import batched
from kenning.storage.schema import (
    COLUMN_BITS,
    DDL,
    EDGE_TABLES,
    FILE_COLUMNS,
    SYMBOL_COLUMNS,
    line_col,
    position,
    stored_span,
)

log = logging.getLogger(__name__)

ENGINE_NAME = f"ladybug {ladybug.__version__}"
# Endpoints are matched in separate MATCH clauses: `MATCH (a {id: ..}), (b {id: ..})`
# plans a join over whole tables (2 s and ~1 GB for 300 rows on Django) where two
# MATCH clauses are primary-key lookups (10 ms).
# A save must cost what the file holds, not what the workspace holds. ladybug finds a
# node by primary key only for a single parameter (`{path: $path}`, about 1.5 ms on
# Django); `WHERE s.path IN $paths` reads the whole table (25 ms and growing), and
# `UNWIND $keys ... {id: k}` or `WITH` before the next MATCH make it join whole tables
# (100+ ms). So a statement about the symbols of some files, or the edges into some
# symbols, runs once per key, starting at the key, however many keys there are: on
# Django the lookups beat one `IN` scan at every size measured (a thousand files'
# symbols 76 against 164 ms, the callers of 2,500 symbols 425 against 719 ms), and the
# scan grows with the repository. The catalog (one small row per file) and the walk
# of subclasses read their table once above this many keys, where that is cheaper:
KEY_LOOKUPS_MAX = 32
# Rows per UNWIND statement: large enough to amortise the statement, small enough to
# keep parameter conversion memory modest.
UNWIND_CHUNK = 5000
BUFFER_POOL_BYTES = 512 * 1024 * 1024
READ_ONLY_OPEN_ATTEMPTS = 40
READ_ONLY_OPEN_PAUSE_S = 0.05

_ARROW_TYPES = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "STRING[]": pa.list_(pa.string()),
}


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A catalog entry: what the file was when it was indexed."""

    path: str
    language: str
    module: str
    size: int
    mtime_ns: int
    hash: str
    diagnostics: str = "[]"


@dataclass(slots=True)
class FileUpdate:
    """One file of a write batch: new content, or `facts is None` for a deleted file."""

    path: str
    record: FileRecord | None
    facts: FileFacts | None
    resolved: ResolvedFile | None


@dataclass(frozen=True, slots=True)
class StoredEdge:
    """An edge read back from the store with what is needed to resolve it again."""

    table: str  # CALLS | IMPORTS | INHERITS
    path: str  # the file of the source symbol
    src: str
    dst: str
    fact: CallSite | Import | BaseClass
    resolution: str = ""  # how it was resolved when it was read

    @property
    def site(self) -> Site:
        """The call site (or import, or base) the edge belongs to: a site can have
        several edges (overrides, candidates), and a rewire replaces all of them."""
        return site_of(self.table, self.src, self.fact.span)


# A call site (or import, or base) as its edges are stored: the table, the source
# symbol and its span's two positions (`schema.position`). Its end tells apart two
# calls that start at one position, `super()` and `super().save()`.
Site = tuple[str, str, int, int]


def site_of(table: str, src: str, span: Span) -> Site:
    return (
        table,
        src,
        position(span.start_line, span.start_col),
        position(span.end_line, span.end_col),
    )


@dataclass(slots=True)
class Rewire:
    """An edge of another file whose target changes because of this batch."""

    edge: StoredEdge
    target: Target


class GraphError(Exception):
    pass


class BulkCopyFailed(GraphError):
    """A full load's COPY failed: empty the store and load again without COPY."""


@dataclass(slots=True)
class _Counts:
    """What `GraphStore.counts` reports, in a form the writer can add and subtract."""

    files: int
    symbols: int
    resolution: dict[str, int]
    imports: int
    inherits: int
    diagnostics: int
    # Lower-case names of the definitions (and their qualified names where those have no
    # dot), with how many define each: a symbol query that matches none of them is
    # answered without reading the symbol table (see `GraphStore.may_match`).
    names: Counter[str] = field(default_factory=Counter)
    _names_text: str | None = None

    def plus(self, added: _Counts, removed: _Counts, moved: dict[str, int]) -> _Counts:
        resolution = dict(self.resolution)
        for delta in (added.resolution, {k: -v for k, v in removed.resolution.items()}, moved):
            for key, value in delta.items():
                resolution[key] = resolution.get(key, 0) + value
        names = self.names.copy()
        names.update(added.names)
        names.subtract(removed.names)
        return _Counts(
            self.files + added.files - removed.files,
            self.symbols + added.symbols - removed.symbols,
            {k: v for k, v in sorted(resolution.items()) if v},
            self.imports + added.imports - removed.imports,
            self.inherits + added.inherits - removed.inherits,
            self.diagnostics + added.diagnostics - removed.diagnostics,
            +names,
        )

    def names_text(self) -> str:
        """Every name on a line of its own, for substring and pattern tests in one call."""
        if self._names_text is None:
            self._names_text = "\n".join(self.names)
        return self._names_text

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "symbols": self.symbols,
            "calls": sum(self.resolution.values()),
            "call_resolution": dict(self.resolution),
            "imports": self.imports,
            "inherits": self.inherits,
            "diagnostics": self.diagnostics,
        }


@dataclass
class _Rows:
    """Column-oriented rows for every table, ready for Arrow or UNWIND."""

    files: dict[str, list[Any]] = field(default_factory=lambda: _empty(FILE_COLUMNS))
    symbols: dict[str, list[Any]] = field(default_factory=lambda: _empty(SYMBOL_COLUMNS))
    defines: dict[str, list[Any]] = field(default_factory=lambda: {"from": [], "to": []})
    contains: dict[str, list[Any]] = field(default_factory=lambda: {"from": [], "to": []})
    edges: dict[str, dict[str, list[Any]]] = field(
        default_factory=lambda: {
            name: {"from": [], "to": [], **_empty(cols)} for name, cols in EDGE_TABLES.items()
        }
    )
    externals: set[str] = field(default_factory=set)

    def add_file(self, record: FileRecord, facts: FileFacts, resolved: ResolvedFile) -> None:
        self.add_nodes(record, facts)
        self.add_edges(facts, resolved)

    def add_nodes(self, record: FileRecord, facts: FileFacts) -> None:
        """The file's catalog row, its symbols and their DEFINES and CONTAINS edges.
        Each column list's `append` is taken once a file, in column order, so a row is
        added without looking its columns up by name (300,000 rows on Django)."""
        for values, value in zip(self.files.values(), _file_values(record), strict=True):
            values.append(value)
        symbols = [values.append for values in self.symbols.values()]
        defines_from, defines_to = self.defines["from"].append, self.defines["to"].append
        contains_from, contains_to = self.contains["from"].append, self.contains["to"].append
        path = facts.path
        for sym in facts.symbols:
            for append, value in zip(symbols, _symbol_values(sym, path), strict=True):
                append(value)
            defines_from(path)
            defines_to(sym.id)
            if sym.parent is not None:
                contains_from(sym.parent)
                contains_to(sym.id)

    def add_edges(self, facts: FileFacts | EdgeFacts, resolved: ResolvedFile) -> None:
        """The file's CALLS, IMPORTS and INHERITS edges, as resolved."""
        self._add_rows(
            "CALLS",
            [
                (call.caller, call, target)
                for call, target in zip(facts.calls, resolved.calls, strict=True)
                if makes_call_edge(call, target)
            ],
        )
        self._add_rows(
            "IMPORTS",
            [(i.scope, i, t) for i, t in zip(facts.imports, resolved.imports, strict=True)],
        )
        self._add_rows(
            "INHERITS",
            [(b.class_id, b, t) for b, t in zip(facts.bases, resolved.bases, strict=True)],
        )

    def add_edge(self, table: str, src: str, fact: Any, target: Target) -> None:
        if table == "CALLS" and not makes_call_edge(fact, target):
            return
        self._add_rows(table, [(src, fact, target)])

    def _add_rows(self, table: str, sites: list[tuple[str, Any, Target]]) -> None:
        """An edge row for each (source, fact, target) and each of the target's `more`,
        made whole as a tuple (`_EDGE_ROWS`) and added to the table's columns once per
        file: a few Python calls an edge rather than one a value (a full index adds
        250,000 edges on Django)."""
        make = _EDGE_ROWS[table]
        rows = []
        for src, fact, target in sites:
            rows.append(make(src, fact, target))
            for more in target.more:
                rows.append(make(src, fact, more))
        if not rows:
            return
        # The columns are "from", "to", then the table's own, in the order rows hold them.
        for column, values in zip(self.edges[table].values(), zip(*rows, strict=True), strict=True):
            column.extend(values)
        externals = self.externals
        for row in rows:
            if row[1].startswith(EXTERNAL_PREFIX):
                externals.add(row[1])

    def node_rows(self) -> int:
        return len(self.files["path"]) + len(self.symbols["id"])

    def edge_rows(self) -> int:
        return sum(len(cols["from"]) for cols in self.edges.values())

    def external_symbols(self) -> dict[str, list[Any]]:
        cols = _empty(SYMBOL_COLUMNS)
        for ext in sorted(self.externals):
            _append(cols, SYMBOL_COLUMNS, _external_values(ext))
        return cols


def _empty(cols: Sequence[tuple[str, str]]) -> dict[str, list[Any]]:
    return {name: [] for name, _ in cols}


def _append(target: dict[str, list[Any]], cols: Sequence[tuple[str, str]], values: tuple) -> None:
    for (name, _), value in zip(cols, values, strict=True):
        target[name].append(value)


def _file_values(r: FileRecord) -> tuple:
    return (r.path, r.language, r.module, r.size, r.mtime_ns, r.hash, r.diagnostics)


def _symbol_values(s: Symbol, path: str) -> tuple:
    return (
        s.id,
        s.name,
        s.qualname,
        str(s.kind),
        path,
        s.parent,
        s.span.start_line,
        s.span.start_col,
        s.span.end_line,
        s.span.end_col,
        s.selection.start_line,
        s.selection.start_col,
        s.selection.end_line,
        s.selection.end_col,
        s.signature,
        s.docstring,
        list(s.decorators),
        list(s.attributes),
    )


def _external_values(ext_id: str) -> tuple:
    name = ext_id[len(EXTERNAL_PREFIX) :]
    short = name.rsplit(".", 1)[-1]
    return (ext_id, short, name, "external", "", None, 0, 0, 0, 0, 0, 0, 0, 0, "", "", [], [])


class _Texts(dict[Any, str]):
    """Each member of an enum of strings and its text: one string that every row
    holding it shares (`str()` of a member makes a new string each time: a part of
    100,000 edge rows held 100,000 copies of a dozen words)."""

    def __missing__(self, key: Any) -> str:
        return str(key)


_RESOLUTION_TEXT = _Texts({kind: str(kind) for kind in Resolution})
_IMPORT_KIND_TEXT = _Texts({kind: str(kind) for kind in ImportKind})

# One edge row of each table: its source, its target's id, then the table's own
# columns (`EDGE_TABLES`) in order. A span's two positions are `schema.position`
# written out: a call of it per value cost 15 % of a full index's edge rows (Django's,
# 0.30 -> 0.35 s of CPU).


def _call_row(src: str, call: CallSite, target: Target) -> tuple:
    span = call.span
    return (
        src,
        target.id,
        call.callee,
        (span.start_line << COLUMN_BITS) | span.start_col,
        (span.end_line << COLUMN_BITS) | span.end_col,
        _RESOLUTION_TEXT[target.resolution],
        float(target.confidence),
        call_site_text(call),
    )


_site_encode = msgspec.json.Encoder().encode
_site_decode = msgspec.json.Decoder(tuple[str, str | None, str, str, str]).decode


def call_site_text(call: CallSite) -> str:
    """What a stored call keeps of its site besides the callee's text and span (the
    `site` column): "" where the name and receiver are the callee's text split at its
    last dot and the site states nothing more, as for most calls; else the five fields."""
    receiver, dot, name = call.callee.rpartition(".")
    if (
        name == call.name
        and call.receiver == (receiver if dot else None)
        and not (call.receiver_type or call.arguments or call.implicit)
    ):
        return ""
    fields = (call.name, call.receiver, call.receiver_type, call.arguments, call.implicit)
    return _site_encode(fields).decode()


def stored_call(src: str, callee: str, span: Span, site: str | None) -> CallSite:
    """The call site a stored call was written from (`call_site_text`)."""
    if not site:
        head, dot, last = callee.rpartition(".")
        return CallSite(src, callee, last, head if dot else None, span)
    name, receiver, receiver_type, arguments, implicit = _site_decode(site)
    return CallSite(src, callee, name, receiver, span, receiver_type, arguments, implicit)


def _import_row(src: str, imp: Import, target: Target) -> tuple:
    span = imp.span
    return (
        src,
        target.id,
        imp.module,
        imp.name,
        imp.alias,
        _IMPORT_KIND_TEXT[imp.kind],
        (span.start_line << COLUMN_BITS) | span.start_col,
        (span.end_line << COLUMN_BITS) | span.end_col,
        _RESOLUTION_TEXT[target.resolution],
        float(target.confidence),
        imp.conditional,
        imp.type_only,
        imp.reexport,
        imp.extra,
    )


def _base_row(src: str, base: BaseClass, target: Target) -> tuple:
    span = base.span
    return (
        src,
        target.id,
        base.expr,
        (span.start_line << COLUMN_BITS) | span.start_col,
        (span.end_line << COLUMN_BITS) | span.end_col,
        _RESOLUTION_TEXT[target.resolution],
        float(target.confidence),
    )


_EDGE_ROWS: dict[str, Callable[[str, Any, Target], tuple]] = {
    "CALLS": _call_row,
    "IMPORTS": _import_row,
    "INHERITS": _base_row,
}


def _arrow(cols: dict[str, list[Any]], spec: Sequence[tuple[str, str]] | None) -> pa.Table:
    if spec is None:
        return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})
    arrays = {}
    for name, values in cols.items():
        kind = dict(spec).get(name, "STRING")
        arrays[name] = pa.array(values, _ARROW_TYPES[kind])
    return pa.table(arrays)


def _rows(cols: dict[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(cols)
    return [dict(zip(names, values, strict=True)) for values in zip(*cols.values(), strict=True)]


def _set_clause(var: str, cols: Sequence[tuple[str, str]], skip: str) -> str:
    return ", ".join(f"{var}.{name} = r.{name}" for name, _ in cols if name != skip)


# Rows per Arrow batch that the store's scan of a registered Arrow table reads right
# (`GraphStore._copy`): its vector size.
ARROW_SCAN_ROWS = 2_048

# Rows a full index holds before writing them: a part's nodes, then a part's edges.
# Large enough that a COPY's fixed cost is small against its rows, small enough that the
# rows of one part (Python lists, then Arrow) stay tens of megabytes whatever the size of
# the workspace.
NODE_ROWS_PER_PART = 50_000
EDGE_ROWS_PER_PART = 100_000


class Handle(Protocol):
    """Work handed to a `Writer`: done when `result` returns, raising what it raised."""

    def result(self, timeout: float | None = None) -> Any: ...


class Writer(Protocol):
    """Where a bulk load's statements run: an executor of one thread (the pipeline's;
    this layer does not import `concurrent`, see `tests/test_architecture.py`)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Handle: ...


class BulkLoad:
    """A full index written in parts, so memory does not grow with the workspace.

    Files' nodes (catalog row, symbols, DEFINES, CONTAINS) are added as files are
    parsed; edges (CALLS, IMPORTS, INHERITS) once they are resolved, which needs every
    file's symbols: all nodes come before any edge. Each part is one `COPY FROM` per
    table, committing on its own: one transaction around all of them would pin every
    new page in the buffer pool until the end (and fail once a workspace outgrows the
    pool). The caller marks the load unfinished meanwhile (`IndexDir.set_loading`), so
    a load cut short is redone on the next start.

    Each COPY is checkpointed by its own `CHECKPOINT` statement, once the part's Arrow
    rows are dropped and their pages trimmed, not by the checkpoint the store forces
    inside the COPY's commit (turned off for the load, `GraphStore.bulk_loader`): a
    checkpoint into a relationship table rewrites about the whole table, its transient
    memory grows with it, and inside the commit it came on top of the part's rows and
    what the COPY had allocated. The checkpoints are as many as before, so the file is
    laid out as before. If a COPY fails it raises
    `BulkCopyFailed`: the caller empties the store and loads again with `copy=False`,
    every part through `UNWIND ... CREATE` (a failed COPY may still have committed its
    rows, so a part cannot simply be written again).

    With a `writer` (an executor of one thread, the pipeline's), each part's COPYs and
    checkpoints run there while the caller goes on gathering the next part: the
    store's COPY and CHECKPOINT release the GIL, so on Django the CALLS COPYs overlap
    the resolution of the next part's calls instead of following it. The part's
    Arrow rows are built on the caller's thread, after the part before it is written:
    at most one part is being written while the next is gathered, as many rows as
    before (the Python rows of a part go once its Arrow rows are built).
    """

    def __init__(self, graph: GraphStore, copy: bool = True, writer: Writer | None = None) -> None:
        self._graph = graph
        self._writer = writer
        # What was handed to the writer and is not known to be done, in order.
        self._pending: list[Handle] = []
        self._nodes = _Rows()
        self._edges = _Rows()
        self._externals: set[str] = set()
        self._edges_started = False
        self.method = "copy" if copy else "unwind"
        # Seconds per step: building each table's Arrow rows, writing each table
        # (`copy_<table>`), checkpointing after it (`checkpoint_<table>`).
        self.timings: dict[str, float] = {}

    def add_nodes(self, record: FileRecord, facts: FileFacts) -> None:
        assert not self._edges_started, "every node goes in before the first edge"
        self._nodes.add_nodes(record, facts)
        if self._nodes.node_rows() >= NODE_ROWS_PER_PART:
            self.flush_nodes()

    def add_edges(self, facts: FileFacts | EdgeFacts, resolved: ResolvedFile) -> None:
        if not self._edges_started:
            self.flush_nodes()
            self._edges_started = True
        self._edges.add_edges(facts, resolved)
        if self._edges.edge_rows() >= EDGE_ROWS_PER_PART:
            # Only the table holding the most rows: each COPY has a fixed cost, and the
            # few imports and bases of a part are not worth one of their own. What stays
            # is under two thirds of a part, so the rows held stay bounded.
            edges = self._edges.edges
            self._flush_edge_tables([max(edges, key=lambda table: len(edges[table]["from"]))])

    def flush_nodes(self) -> None:
        rows, self._nodes = self._nodes, _Rows()
        self._write(
            [
                ("File", rows.files, FILE_COLUMNS),
                ("Symbol", rows.symbols, SYMBOL_COLUMNS),
                ("DEFINES", rows.defines, None),
                ("CONTAINS", rows.contains, None),
            ]
        )

    def flush_edges(self) -> None:
        self._flush_edge_tables(list(EDGE_TABLES))

    def _flush_edge_tables(self, tables: list[str]) -> None:
        """Write the rows held for `tables`, after every placeholder they may point at."""
        rows = self._edges
        # A placeholder is shared by the edges of many parts: created by the first.
        rows.externals -= self._externals
        self._externals |= rows.externals
        parts: list[tuple[str, dict[str, list[Any]], Sequence[tuple[str, str]] | None]] = [
            ("Symbol", rows.external_symbols(), SYMBOL_COLUMNS)
        ]
        rows.externals = set()
        for table in tables:
            cols = rows.edges[table]
            rows.edges[table] = {"from": [], "to": [], **_empty(EDGE_TABLES[table])}
            parts.append((table, cols, (("from", "STRING"), ("to", "STRING"), *EDGE_TABLES[table])))
        self._write(parts)

    def finish(self) -> None:
        self.flush_nodes()
        self.flush_edges()
        self.wait()

    def wait(self) -> None:
        """Wait for what is being written on the writer thread; raise what it raised."""
        pending, self._pending = self._pending, []
        if pending:
            started = time.perf_counter()
            try:
                for future in pending:
                    future.result()
            finally:
                self._add("wait", started)

    def settle(self) -> None:
        """Wait for the part being written, whatever it raised: the load is ending
        on an error already, and no other statement may run beside the write."""
        with contextlib.suppress(Exception):
            self.wait()

    def _add(self, step: str, started: float) -> float:
        """Add the seconds since `started` to `step`; now, for the next step."""
        now = time.perf_counter()
        self.timings[step] = self.timings.get(step, 0.0) + now - started
        return now

    def _write(
        self, parts: list[tuple[str, dict[str, list[Any]], Sequence[tuple[str, str]] | None]]
    ) -> None:
        graph = self._graph
        if self.method == "copy":
            # One part at a time on the writer: the next part's Arrow rows are built
            # once the part before it is written, so no more rows are held than without it.
            self.wait()
            tables: list[tuple[str, pa.Table]] = []
            for table, cols, spec in parts:
                started = time.perf_counter()
                tables.append((table, _arrow(cols, spec)))
                self._add("arrow", started)
            parts.clear()
            if self._writer is None:
                self._copy_tables(tables)
            else:
                self._pending.append(self._writer.submit(self._copy_tables, tables))
            return
        graph._run("BEGIN TRANSACTION")
        try:
            for table, cols, _ in parts:
                graph._create_rows(table, cols)
            graph._run("COMMIT")
        except Exception:
            graph._rollback()
            raise

    def _copy_tables(self, tables: list[tuple[str, pa.Table]]) -> None:
        """COPY each table's rows, each checkpointed on its own (see the class)."""
        graph = self._graph
        while tables:
            table, data = tables.pop(0)
            copied = time.perf_counter()
            try:
                graph._copy(table, data)
            except Exception as exc:
                raise BulkCopyFailed(f"COPY into {table} failed: {exc}") from exc
            copied = self._add(f"copy_{table}", copied)
            rows = data.num_rows
            del data
            # The table's Arrow rows and what the store's threads allocated to copy
            # them are freed by now; without this the process keeps their pages, and
            # the checkpoint and the next COPY would allocate on top of them
            # (trimming once per part instead left Django's peak about 45 MB higher).
            native_memory.release()
            if not rows:
                continue  # nothing was copied (`_copy` skips an empty table)
            try:
                graph.checkpoint()
            except Exception as exc:
                raise BulkCopyFailed(f"checkpoint after COPY into {table}: {exc}") from exc
            self._add(f"checkpoint_{table}", copied)
            native_memory.release()


class StoredFile(NamedTuple):
    path: str
    language: str
    module: str


class StoredSymbol(NamedTuple):
    id: str
    name: str
    qualname: str
    kind: str
    parent: str | None
    path: str
    signature: str
    decorators: tuple[str, ...]
    attributes: tuple[str, ...] = ()


class StoredBase(NamedTuple):
    path: str
    class_id: str
    expr: str


def _stored_import(row: list[Any]) -> tuple[str, Import]:
    path, scope, module, name, alias, kind, start, end, cond, type_only, reexport, extra = row
    imported = Import(
        module=module,
        name=name,
        alias=alias,
        span=stored_span(start, end),
        scope=scope,
        kind=ImportKind(kind),
        conditional=bool(cond),
        type_only=bool(type_only),
        reexport=bool(reexport),
        extra=extra or "",
    )
    return path, imported


class StoredModel(NamedTuple):
    """The rows a resolution model is rebuilt from, by name (`GraphStore.model_rows`)."""

    files: list[StoredFile]
    symbols: list[StoredSymbol]
    # (the importing file, the import as parsed)
    imports: list[tuple[str, Import]]
    bases: list[StoredBase]


class _Placeholders:
    """The ids of the stored placeholders (`external` symbols), or more (placeholders
    deleted since stay), and the ids of each owner's: `ext:pkg.Client.get` is a member
    of `pkg.Client`, which a save that removes the type `pkg.Client` reads again."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._ids: set[str] = set()
        self._members: dict[str, list[str]] = {}
        self.add(ids)

    def add(self, ids: Iterable[str]) -> None:
        for i in ids:
            if i in self._ids:
                continue
            self._ids.add(i)
            owner = i.rpartition(".")[0]
            if owner:
                self._members.setdefault(owner, []).append(i)

    def __contains__(self, sid: object) -> bool:
        return sid in self._ids

    def members(self, owner: str) -> list[str]:
        """The placeholders named `ext:<owner>.<name>`, by key."""
        return self._members.get(EXTERNAL_PREFIX + owner, [])


class _NameIndex:
    """Lower-case definition names -> the ids of the definitions with that name, kept
    by the writer as it writes, so a symbol query reads the ids it needs by key instead
    of scanning the symbol table (which grows with the workspace).

    The names are also kept as one text, a name per line, so that a query finds the
    names it matches with one search of that text in C rather than a test per name in
    Python (28k names on Django: 11 ms for a letters-in-order pattern name by name, 1-2
    ms over the text); the text is joined again on the first query after a write."""

    def __init__(self, rows: Iterable[tuple[str, str]]) -> None:
        self._ids: dict[str, set[str]] = {}
        # Every id held, whatever its name: which definitions the store has.
        self._all: set[str] = set()
        self._text: str | None = None
        self._lock = threading.Lock()
        self.add(rows)

    def add(self, rows: Iterable[tuple[str, str]]) -> None:
        self.replace((), rows)

    def remove(self, rows: Iterable[tuple[str, str]]) -> None:
        self.replace(rows, ())

    def replace(self, removed: Iterable[tuple[str, str]], added: Iterable[tuple[str, str]]) -> None:
        """Forget `removed` and take `added` in, in one step: a reader never sees an id
        that both hold (a definition a write kept) missing."""
        with self._lock:
            for sid, name in removed:
                key = str(name).lower()
                held = self._ids.get(key)
                if held is not None:
                    held.discard(sid)
                    if not held:
                        del self._ids[key]
                self._all.discard(sid)
            for sid, name in added:
                self._ids.setdefault(str(name).lower(), set()).add(sid)
                self._all.add(sid)
            self._text = None

    def holds(self, sid: str) -> bool:
        """Whether the definition `sid` is stored."""
        return sid in self._all

    def warm(self) -> None:
        """Join the names' text now, not on the next query."""
        with self._lock:
            self._names_text()

    def _names_text(self) -> str:
        """Every name on a line of its own, newline-terminated (the lock held)."""
        if self._text is None:
            self._text = "".join(f"{name}\n" for name in self._ids)
        return self._text

    def matching_pattern(self, pattern: str, limit: int) -> list[str]:
        """Ids of definitions whose lower-case name matches the regular expression
        `pattern` (searched), shorter names first, at most `limit`."""
        compiled = re.compile(pattern)
        with self._lock:
            found = self._search_lines(pattern)
            if found is None:
                found = {n for n in self._ids if compiled.search(n)}
            else:
                # What the text search found is checked name by name, as before.
                found = {n for n in found if compiled.search(n)}
            names = sorted(found, key=lambda n: (len(n), n))
            return self._ids_of(names, limit)

    def _search_lines(self, pattern: str) -> set[str] | None:
        """The names (lines of the text) where `pattern` finds a match, searching the
        whole text at once; None when that search could differ from searching each
        name: anchors (beyond a leading ``^.*``, which any name's search satisfies as
        the rest does), or a match that runs over a line's end."""
        rest = pattern.removeprefix("^.*")
        if any(token in rest for token in ("^", "$", "\\A", "\\Z", "\\b", "\\B", "(?")):
            return None
        text = self._names_text()
        found: set[str] = set()
        for match in re.finditer(rest, text):
            if "\n" in match.group():
                return None
            if match.start() == len(text):
                break  # an empty match after the last line
            start = text.rfind("\n", 0, match.start()) + 1
            found.add(text[start : text.index("\n", match.end())])
        return found

    def matching(self, needle: str, limit: int) -> list[str]:
        """Ids of definitions whose lower-case name contains `needle`: exact names
        first, then prefixes, then the rest, shorter names first, at most `limit`."""
        with self._lock:
            if not needle or "\n" in needle:
                names = [n for n in self._ids if needle in n]
            else:
                names = list(_lines_containing(self._names_text(), needle))
            names.sort(key=lambda n: (n != needle, not n.startswith(needle), len(n), n))
            return self._ids_of(names, limit)

    def _ids_of(self, names: list[str], limit: int) -> list[str]:
        """The ids of `names`, in their order, at most `limit` (the lock held)."""
        out: list[str] = []
        for name in names:
            out.extend(sorted(self._ids[name]))
            if len(out) >= limit:
                break
        return out[:limit]


def _lines_containing(text: str, needle: str) -> dict[str, None]:
    """The lines of `text` (each ending in a newline) that contain `needle`, which holds
    no newline, in order and each once."""
    found: dict[str, None] = {}
    at = text.find(needle)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.index("\n", at)
        found[text[start:end]] = None
        at = text.find(needle, end + 1)
    return found


class GraphStore:
    """One ladybug database. Open read-only for queries, read-write for the writer."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        # A read-only open fails while the writer has a checkpoint pending, which lasts
        # a few milliseconds after its last write: try again for a moment.
        attempts = READ_ONLY_OPEN_ATTEMPTS if read_only else 1
        for attempt in range(attempts):
            try:
                # The default buffer pool is most of the machine's memory; the graph of a
                # large workspace fits comfortably in a fraction of that.
                self._db = ladybug.Database(
                    str(path), read_only=read_only, buffer_pool_size=BUFFER_POOL_BYTES
                )
                break
            except RuntimeError as exc:
                if "checkpoint" in str(exc).lower() and attempt + 1 < attempts:
                    time.sleep(READ_ONLY_OPEN_PAUSE_S)
                    continue
                raise GraphError(f"cannot open the graph store at {path}: {exc}") from exc
        # One connection per thread: the daemon's writer thread and its query threads
        # each run their own transactions, and a connection runs one query at a time.
        self._local = threading.local()
        self._connections: list[Any] = []
        # Guards the connection list and counts the statements running on any thread.
        self._connections_lock = threading.Condition()
        self._running = 0
        self._checkpointing = False
        self._closed = False
        # The counts `kenning/status` shows, kept by the writer as it writes rather
        # than recounted on every poll (a recount reads every table). `_writes` counts
        # commits, so a recount that raced a write is not kept.
        self._counts: _Counts | None = None
        self._writes = 0
        # Orders the writer's updates of `_counts` against a reader storing a recount;
        # no recount is kept while a write is under way (`_writing`).
        self._counts_lock = threading.Lock()
        self._writing = False
        # Definition names -> ids (`_NameIndex`), built on the first symbol query of a
        # writer's store and kept by its writes; None until then, or after a bulk write.
        self._names: _NameIndex | None = None
        # The ids of the stored placeholders (`external` symbols), or more (placeholders
        # deleted since stay): built with the name index by `prepare_for_queries`, kept
        # by the writer, None until then or after a bulk write. With the name index it
        # tells re-resolution which symbols no stored edge can point at.
        self._externals: _Placeholders | None = None
        # A writer's last read of the whole catalog, with `_writes` then: handed to the
        # next such read (once) if nothing was written in between. An open's check
        # reads the catalog and the indexer's catch-up reads it right after; on a large
        # workspace each read is a tenth of a second or more.
        self._catalog_kept: tuple[int, dict[str, FileRecord]] | None = None
        if not read_only:
            for statement in DDL:
                self._conn.execute(statement)

    @property
    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = ladybug.Connection(self._db)
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def _close_connection(self) -> None:
        """Close this thread's connection (a thread that is ending), if it has one."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._connections_lock:
            if self._closed:
                return
            self._connections.remove(conn)
        conn.close()

    def close(self) -> None:
        """Wait for statements in flight on other threads, then close: a connection
        closed under a running statement crashes the process."""
        with self._connections_lock:
            self._closed = True
            while self._running:
                self._connections_lock.wait()
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._db.close()

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database. Other processes can open it
        read-only only when no checkpoint is pending (a few ms after a small write).

        A checkpoint does not happen while another statement runs (a status poll on
        a query thread), and then the log stays pending until the next write: so it
        waits for the statements in flight and holds new ones back meanwhile."""
        with self._connections_lock:
            while self._checkpointing:
                self._connections_lock.wait()
            self._checkpointing = True
            while self._running:
                self._connections_lock.wait()
            if self._closed:
                self._checkpointing = False
                self._connections_lock.notify_all()
                raise GraphError("the graph store is closed")
            self._running += 1
        try:
            self._conn.execute("CHECKPOINT")
        finally:
            with self._connections_lock:
                self._running -= 1
                self._checkpointing = False
                self._connections_lock.notify_all()

    # -- low level ----------------------------------------------------------------

    def query(self, cypher: str, params: dict[str, Any] | None = None) -> pa.Table:
        table = self._execute(cypher, params, fetch=True)
        assert table is not None
        return table

    def _run(self, cypher: str, params: dict[str, Any] | None = None) -> None:
        self._execute(cypher, params, fetch=False)

    def _execute(self, cypher: str, params: dict[str, Any] | None, fetch: bool) -> pa.Table | None:
        """Run one statement and read its rows, counted as in flight from start to end
        (the result is read and closed before `close` may close the connection). A
        query whose request was cancelled stops here, before its next statement."""
        with self._statement() as conn:
            result = conn.execute(cypher, params or {})
            assert not isinstance(result, list)
            try:
                # One chunk of the result's own size: the binding's default sizes the
                # Arrow buffers for ten million values whatever the result holds,
                # about 1 ms a statement (0.06 ms this way, a key lookup on Django).
                return result.get_as_arrow(0) if fetch else None
            finally:
                result.close()

    @contextlib.contextmanager
    def _statement(self) -> Iterator[Any]:
        """This thread's connection, with what runs on it counted as in flight."""
        cancel.check()
        with self._connections_lock:
            while self._checkpointing:
                self._connections_lock.wait()
            if self._closed:
                raise GraphError("the graph store is closed")
            self._running += 1
        try:
            yield self._conn
        finally:
            with self._connections_lock:
                self._running -= 1
                self._connections_lock.notify_all()

    def _copy(self, table: str, data: pa.Table) -> None:
        """COPY rows into a table; the bulk path. Tests replace this to force a failure.

        The rows reach the store as an Arrow table registered for this one statement
        and dropped after it, not as a `$data` parameter: the store's Python binding
        caches a prepared statement per Arrow object passed as a parameter, and the
        statement holds that object for the connection's life, so every COPY's rows
        stayed in memory until the store closed (a full index's whole edge set)."""
        if not data.num_rows:
            return
        # In batches of at most one vector of the store's: its scan of a registered
        # Arrow table reads each batch's null bitmap as if the batch ended after its
        # first 2,048 rows (ladybug 0.22), so past them nulls came back as values and
        # values as nulls: a top-level symbol got a parent, a call lost its receiver.
        # The batches are slices of the same buffers, not copies.
        data = pa.Table.from_batches(data.to_batches(max_chunksize=ARROW_SCAN_ROWS), data.schema)
        name = f"kenning_copy_{uuid.uuid4().hex}"
        columns = ", ".join(f"_r.`{column}`" for column in data.column_names)
        with self._statement() as conn:
            conn.create_arrow_table(name, data).close()
            try:
                conn.execute(f"COPY {table} FROM (MATCH (_r:`{name}`) RETURN {columns})").close()
            except BaseException:
                # A COPY that fails inside a transaction rolls it back, and the table
                # registered in it goes too: the COPY's own error is the one to report.
                with contextlib.suppress(RuntimeError):
                    conn.drop_arrow_table(name).close()
                raise
            conn.drop_arrow_table(name).close()

    # -- full index ---------------------------------------------------------------

    def bulk_load(
        self,
        records: Iterable[FileRecord],
        facts: Iterable[FileFacts],
        resolved: Iterable[ResolvedFile],
    ) -> str:
        """Load a whole workspace into an empty store. Returns "copy" or "unwind"."""
        records, facts, resolved = list(records), list(facts), list(resolved)
        for copy in (True, False):
            try:
                with self.bulk_loader(copy) as load:
                    for record, f in zip(records, facts, strict=True):
                        load.add_nodes(record, f)
                    for f, r in zip(facts, resolved, strict=True):
                        load.add_edges(f, r)
                return load.method
            except BulkCopyFailed as exc:
                log.warning("%s; loading with UNWIND instead", exc)
                self.clear()
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def bulk_loader(self, copy: bool = True, writer: Writer | None = None) -> Iterator[BulkLoad]:
        """A full load into an empty store, written in parts as the caller adds files:
        every file's nodes first, then every file's edges (see `BulkLoad`). With a
        `writer` (an executor of one thread) every statement of the load runs on its
        thread, the COPYs beside the caller's work; the caller runs none meanwhile."""
        # Each COPY commits on its own, so a count read meanwhile sees a partial load:
        # forget counts before and after.
        with self._counting_paused():
            load = BulkLoad(self, copy, writer if copy else None)
            if not copy:
                yield load
                load.finish()
                return
            if writer is not None:
                # The settings below belong to the connection that runs the load.
                on_writer = writer
                try:
                    with self._bulk_settings(lambda work: on_writer.submit(work).result()):
                        try:
                            yield load
                            load.finish()
                        finally:
                            load.settle()
                finally:
                    # The writer's thread goes with its executor; its connection too.
                    with contextlib.suppress(GraphError, RuntimeError):
                        on_writer.submit(self._close_connection).result()
                return
            with self._bulk_settings(lambda work: work()):
                yield load
                load.finish()

    @contextlib.contextmanager
    def _bulk_settings(self, run: Callable[[Callable[[], Any]], Any]) -> Iterator[None]:
        """The loading connection's settings for a bulk load (`run` runs a statement on
        the thread whose connection loads), put back after it, failed or not."""
        # The load checkpoints each COPY itself (see `BulkLoad`). A COPY's rows are
        # not in the write-ahead log, so a crash before its checkpoint loses them:
        # the caller redoes an unfinished load anyway. Other writes keep the store's
        # own checkpoints.
        # And the load's statements run on one of the store's threads (a setting of
        # this connection): each thread of a COPY partitions its rows in buffers and
        # a glibc arena of its own, and with two the parent's peak on Django was
        # about 30 MB higher, for no COPY time this machine could tell apart.
        threads = run(lambda: self.query("CALL current_setting('threads') RETURN *").column(0)[0])
        run(lambda: self._run("CALL auto_checkpoint=false"))
        run(lambda: self._run("CALL threads=1"))
        try:
            yield
        finally:
            # A store closed under the load (a daemon shutting down) needs no setting.
            with contextlib.suppress(GraphError):
                run(lambda: self._run("CALL auto_checkpoint=true"))
                run(lambda: self._run(f"CALL threads={int(threads.as_py())}"))

    def _create_rows(self, table: str, cols: dict[str, list[Any]]) -> None:
        """CREATE one table's rows with UNWIND: the bulk load's fallback from COPY."""
        props = [name for name in cols if name not in ("from", "to")]
        if table in ("File", "Symbol"):
            fields = ", ".join(f"{n}: r.{n}" for n in props)
            self._unwind(f"UNWIND $rows AS r CREATE (n:{table} {{{fields}}})", _rows(cols))
            return
        source = "File {path: r.from}" if table == "DEFINES" else "Symbol {id: r.from}"
        fields = f" {{{', '.join(f'{n}: r.{n}' for n in props)}}}" if props else ""
        self._unwind(
            f"UNWIND $rows AS r MATCH (a:{source}) MATCH (b:Symbol {{id: r.to}}) "
            f"CREATE (a)-[:{table}{fields}]->(b)",
            _rows(cols),
        )

    def _rollback(self) -> None:
        # Raises when no transaction is open, which is fine here.
        with contextlib.suppress(RuntimeError):
            self._run("ROLLBACK")

    def clear(self) -> None:
        with self._counting_paused():
            for table in ("DEFINES", "CONTAINS", *EDGE_TABLES):
                self._run(f"MATCH ()-[e:{table}]->() DELETE e")
            self._run("MATCH (s:Symbol) DELETE s")
            self._run("MATCH (f:File) DELETE f")

    @contextlib.contextmanager
    def _counting_paused(self) -> Iterator[None]:
        """A write that does not keep the counts: none are kept while it runs (its
        statements commit one by one), and the next `counts()` counts again."""
        with self._counts_lock:
            was_writing = self._writing
            self._writing = True
            self._writes += 1
            self._counts = None
            self._names = None
            self._externals = None
        try:
            yield
        finally:
            with self._counts_lock:
                self._writing = was_writing
                self._writes += 1
                self._counts = None
                self._names = None
                self._externals = None

    def _unwind_rows(self, rows: _Rows, upsert: bool, edges_by_copy: bool = False) -> None:
        verb = "MERGE" if upsert else "CREATE"
        self._unwind(
            f"UNWIND $rows AS r {verb} (f:File {{path: r.path}}) "
            f"SET {_set_clause('f', FILE_COLUMNS, 'path')}",
            _rows(rows.files),
        )
        symbols = _rows(rows.symbols)
        names = [name for name, _ in SYMBOL_COLUMNS]
        create = (
            f"UNWIND $rows AS r CREATE (s:Symbol {{{', '.join(f'{n}: r.{n}' for n in names)}}})"
        )
        if upsert:
            # MERGE costs about 0.4 ms a row here; looking the ids up by primary key,
            # then SET on those that exist and CREATE for the rest, is several times
            # cheaper (a saved file rewrites all its symbols: their lines move).
            present = self._existing_ids([row["id"] for row in symbols])
            self._unwind(
                "UNWIND $rows AS r MATCH (s:Symbol {id: r.id}) "
                f"SET {_set_clause('s', SYMBOL_COLUMNS, 'id')}",
                [row for row in symbols if row["id"] in present],
            )
            self._unwind(create, [row for row in symbols if row["id"] not in present])
        else:
            self._unwind(create, symbols)
        # Externals are shared by many files and most already exist: look them up by
        # primary key and create only the missing ones (a MERGE per row costs ~5x more).
        wanted = sorted(rows.externals)
        existing = self._existing_ids(wanted) if upsert else set()
        missing = [_external_values(ext) for ext in wanted if ext not in existing]
        self._unwind(create, [dict(zip(names, values, strict=True)) for values in missing])
        if edges_by_copy:
            self._copy("DEFINES", _arrow(rows.defines, None))
            self._copy("CONTAINS", _arrow(rows.contains, None))
            for table, cols in rows.edges.items():
                spec = (("from", "STRING"), ("to", "STRING"), *EDGE_TABLES[table])
                self._copy(table, _arrow(cols, spec))
            return
        self._unwind(
            "UNWIND $rows AS r MATCH (f:File {path: r.from}) MATCH (s:Symbol {id: r.to}) "
            "CREATE (f)-[:DEFINES]->(s)",
            _rows(rows.defines),
        )
        self._unwind(
            "UNWIND $rows AS r MATCH (a:Symbol {id: r.from}) MATCH (b:Symbol {id: r.to}) "
            "CREATE (a)-[:CONTAINS]->(b)",
            _rows(rows.contains),
        )
        for table, cols in rows.edges.items():
            props = ", ".join(f"{name}: r.{name}" for name, _ in EDGE_TABLES[table])
            self._unwind(
                "UNWIND $rows AS r MATCH (a:Symbol {id: r.from}) MATCH (b:Symbol {id: r.to}) "
                f"CREATE (a)-[:{table} {{{props}}}]->(b)",
                _rows(cols),
            )

    def _existing_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these symbol ids are stored (primary-key lookups)."""
        if not ids:
            return set()
        found = self.query("UNWIND $ids AS i MATCH (s:Symbol {id: i}) RETURN s.id", {"ids": ids})
        return set(found.column(0).to_pylist())

    def _unwind(self, cypher: str, rows: Sequence[Any]) -> None:
        for chunk in batched(rows, UNWIND_CHUNK):
            self._run(cypher, {"rows": chunk})

    # -- incremental --------------------------------------------------------------

    def write_batch(
        self, updates: Sequence[FileUpdate], rewires: Sequence[Rewire], bulk: bool
    ) -> str:
        """Replace the rows of a batch of files, and rewire other files' edges, atomically.

        With `bulk`, new edges go in with COPY FROM; if that fails the transaction is
        rolled back and the whole batch is written again with UNWIND. Returns which
        path wrote it ("copy" or "unwind").
        """
        if bulk:
            try:
                self._write_batch(updates, rewires, edges_by_copy=True)
                return "copy"
            except Exception as exc:
                log.warning("bulk write failed (%s); writing the batch with UNWIND", exc)
        self._write_batch(updates, rewires, edges_by_copy=False)
        return "unwind"

    def _write_batch(
        self, updates: Sequence[FileUpdate], rewires: Sequence[Rewire], edges_by_copy: bool
    ) -> None:
        paths = [u.path for u in updates]
        deleted = [u.path for u in updates if u.facts is None]
        keep = {s.id for u in updates if u.facts is not None for s in u.facts.symbols}
        rows = _Rows()
        for u in updates:
            if u.facts is not None and u.record is not None and u.resolved is not None:
                rows.add_file(u.record, u.facts, u.resolved)
        # A site can have several edges (overrides, candidates): each may come back
        # as a rewire, and the site's new target carries all of its edges again.
        sites: set[Site] = set()
        # How the rewired call sites resolve after this batch (every edge of a site).
        moved: dict[str, int] = {}
        for rw in rewires:
            site = rw.edge.site
            if site not in sites:
                sites.add(site)
                rows.add_edge(rw.edge.table, rw.edge.src, rw.edge.fact, rw.target)
                if rw.edge.table == "CALLS":
                    for target in (rw.target, *rw.target.more):
                        key = str(target.resolution)
                        moved[key] = moved.get(key, 0) + 1
        with self._counts_lock:
            self._writing = True
            self._writes += 1
            keep_counts = self._counts is not None
            names = self._names
        self._run("BEGIN TRANSACTION")
        try:
            before = self._file_counts(paths) if keep_counts else None
            old_names = (
                [(r[0], r[1]) for r in self._for_files(
                    paths, "", "s.kind <> 'external'", "RETURN s.id, s.name"
                )]
                if names is not None
                else []
            )  # fmt: skip
            if keep_counts:
                # ... minus how they resolve now: their edges all go (see below).
                for table, src, start, end in sites:
                    if table != "CALLS":
                        continue
                    for resolution, count in self._execute_rows(
                        "MATCH (a:Symbol {id: $src})-[e:CALLS]->() WHERE e.span_start = $at "
                        "AND e.span_end = $to RETURN e.resolution, count(*)",
                        {"src": src, "at": start, "to": end},
                    ):
                        moved[resolution] = moved.get(resolution, 0) - int(count)
            old_externals = {
                row[0]
                for row in self._for_files(
                    paths, "-[]->(x:Symbol)", "x.kind = 'external'", "RETURN DISTINCT x.id"
                )
            }
            for table in (*EDGE_TABLES, "CONTAINS"):
                self._for_files(paths, f"-[e:{table}]->()", "", "DELETE e")
            # Symbols that stay keep their id, so edges from other files into them stay.
            # Found by their files' keys, deleted by their own: a `NOT s.id IN $keep`
            # in each file's statement would send (and test) the whole batch's list.
            gone = [
                sid for (sid,) in self._for_files(paths, "", "", "RETURN s.id") if sid not in keep
            ]
            self._unwind("UNWIND $rows AS i MATCH (s:Symbol {id: i}) DETACH DELETE s", gone)
            for path in paths:
                self._run("MATCH (f:File {path: $path})-[e:DEFINES]->() DELETE e", {"path": path})
            for table in EDGE_TABLES:
                old = [
                    {"src": src, "at": start, "to": end}
                    for kind, src, start, end in sorted(sites) if kind == table
                ]  # fmt: skip
                # Every edge of a rewired site goes: its new target brings them all back.
                self._unwind(
                    "UNWIND $rows AS r MATCH (a:Symbol {id: r.src})-[e:"
                    f"{table}]->(b:Symbol) WHERE e.span_start = r.at AND e.span_end = r.to "
                    "DELETE e",
                    old,
                )
            for path in deleted:
                self._run("MATCH (f:File {path: $path}) DELETE f", {"path": path})
            self._unwind_rows(rows, upsert=True, edges_by_copy=edges_by_copy)
            # Placeholders this batch stopped pointing at go when nothing else does.
            orphans = sorted(
                (
                    old_externals
                    | {rw.edge.dst for rw in rewires if rw.edge.dst.startswith(EXTERNAL_PREFIX)}
                )
                - rows.externals
            )
            for orphan in orphans:
                self._run(
                    "MATCH (x:Symbol {id: $id}) WHERE NOT EXISTS { MATCH ()-[]->(x) } DELETE x",
                    {"id": orphan},
                )
            after = self._file_counts(paths) if keep_counts else None
            self._run("COMMIT")
        except Exception:
            self._rollback()
            with self._counts_lock:
                self._writing = False
                self._writes += 1
                self._counts = None
                self._names = None
            raise
        if names is not None:
            names.replace(old_names, zip(rows.symbols["id"], rows.symbols["name"], strict=True))
        with self._counts_lock:
            if self._externals is not None:
                # Orphans deleted above stay in it: a placeholder it holds may be gone,
                # never one it lacks stored.
                self._externals.add(rows.externals)
            cached = self._counts
            self._writing = False
            self._writes += 1
            if cached is not None and before is not None and after is not None:
                self._counts = cached.plus(after, before, moved)
            else:
                self._counts = None

    def _execute_rows(self, cypher: str, params: dict[str, Any]) -> list[list[Any]]:
        return _pyrows(self.query(cypher, params))

    def _for_files(
        self,
        paths: Sequence[str],
        pattern: str,
        condition: str,
        tail: str,
        params: dict[str, Any] | None = None,
    ) -> list[list[Any]]:
        """Run `MATCH (s:Symbol){pattern} WHERE {condition} {tail}` over the symbols
        of `paths`, reaching them through their files' keys."""
        rows: list[list[Any]] = []
        fetch = tail.startswith("RETURN")
        where = f" WHERE {condition}" if condition else ""
        cypher = f"MATCH (f:File {{path: $path}})-[:DEFINES]->(s:Symbol){pattern}{where} {tail}"
        for path in paths:
            table = self._execute(cypher, {**(params or {}), "path": path}, fetch)
            if table is not None:
                rows += _pyrows(table)
        return rows

    def touch_files(self, records: Sequence[FileRecord]) -> None:
        """Update the size and mtime of catalog entries whose content did not change."""
        self._unwind(
            "UNWIND $rows AS r MATCH (f:File {path: r.path}) SET f.size = r.size, "
            "f.mtime_ns = r.mtime_ns",
            [{"path": r.path, "size": r.size, "mtime_ns": r.mtime_ns} for r in records],
        )

    # -- reads for the pipeline ---------------------------------------------------

    def catalog(self, paths: Sequence[str] | None = None) -> dict[str, FileRecord]:
        """Catalog entries of every file, or of `paths` only."""
        if paths is None:
            kept, self._catalog_kept = self._catalog_kept, None
            if kept is not None and kept[0] == self._writes and not self._writing:
                return kept[1]
        writes = self._writes
        returns = "RETURN f.path, f.language, f.module, f.size, f.mtime_ns, f.hash, f.diagnostics"
        if paths is not None and len(paths) <= KEY_LOOKUPS_MAX:
            rows = [
                row
                for path in paths
                for row in _pyrows(
                    self.query(f"MATCH (f:File {{path: $path}}) {returns}", {"path": path})
                )
            ]
            return {row[0]: FileRecord(*row) for row in rows}
        where = "" if paths is None else "WHERE f.path IN $paths "
        table = self.query(
            f"MATCH (f:File) {where}{returns}", {} if paths is None else {"paths": list(paths)}
        )
        found = {row[0]: FileRecord(*row) for row in _pyrows(table)}
        if paths is None and not self.read_only and not self._writing:
            self._catalog_kept = (writes, dict(found))
        return found

    def model_rows(self) -> StoredModel:
        """What the resolution model is rebuilt from: files, symbols, imports, bases."""
        files, symbols, imports, bases = (
            _pyrows(self.query(cypher))
            for cypher in (
                "MATCH (f:File) RETURN f.path, f.language, f.module",
                "MATCH (s:Symbol) WHERE s.kind <> 'external' "
                "RETURN s.id, s.name, s.qualname, s.kind, s.parent, s.path, s.signature, "
                "s.decorators, s.attributes",
                "MATCH (a:Symbol)-[e:IMPORTS]->() RETURN a.path, a.id, e.module, e.name, "
                "e.alias, e.kind, e.span_start, e.span_end, e.conditional, "
                "e.type_only, e.reexport, e.extra",
                "MATCH (a:Symbol)-[e:INHERITS]->() RETURN a.path, a.id, e.expr, e.span_start",
            )
        )
        # In the order the source states them, as extraction gives them: a class's bases
        # are searched in that order, the last of two imports binding a name wins, and a
        # file whose first save found them in another order changed the model's shape
        # (a class's bases in the JDK's sources came back in any order: every first
        # save of such a class rebuilt the Java resolver's subtype map, 500 ms).
        imports = sorted(imports, key=lambda row: row[6])
        bases = sorted(bases, key=lambda row: row[3])
        return StoredModel(
            files=[StoredFile(*row) for row in files],
            symbols=[
                StoredSymbol(
                    sid,
                    name,
                    qual,
                    kind,
                    parent,
                    path,
                    sig or "",
                    tuple(decos or ()),
                    tuple(attrs or ()),
                )
                for sid, name, qual, kind, parent, path, sig, decos, attrs in symbols
            ],
            imports=[_stored_import(row) for row in imports],
            bases=[StoredBase(path, cid, expr) for path, cid, expr, _ in bases],
        )

    def edges_into(
        self,
        target_ids: Sequence[str],
        exclude_paths: Sequence[str],
        tables: Sequence[str] = tuple(EDGE_TABLES),
    ) -> list[StoredEdge]:
        """Edges from files outside `exclude_paths` into any of `target_ids`, in
        `tables` (every kind of edge, or fewer: a statement per target and table)."""
        ids = self._maybe_stored(target_ids)
        if not ids:
            return []
        return self._stored_edges(ids, exclude_paths, tables)

    def edges_into_externals(
        self, names: Sequence[str], exclude_paths: Sequence[str]
    ) -> list[StoredEdge]:
        """Edges into external placeholders named like any of `names` (`a.bar` or `bar`)."""
        # A placeholder's id is its name behind the external prefix: a key lookup.
        ids = self._maybe_stored([EXTERNAL_PREFIX + n for n in names])
        if not ids:
            return []
        return self._stored_edges(ids, exclude_paths)

    def edges_into_members(
        self, owners: Sequence[str], exclude_paths: Sequence[str]
    ) -> tuple[list[str], list[StoredEdge]]:
        """The placeholders of members of `owners` (qualified names: `ext:pkg.Client.get`
        for `pkg.Client`), and the edges into them from files outside `exclude_paths`."""
        if not owners:
            return [], []
        placeholders = self._placeholders()
        ids = sorted({i for owner in owners for i in placeholders.members(owner)})
        return ids, (self._stored_edges(ids, exclude_paths) if ids else [])

    def calls_from(self, source_ids: Sequence[str]) -> list[StoredEdge]:
        """The call edges from the symbols `source_ids`: one key lookup per symbol."""
        props, names = _edge_props("CALLS")
        cypher = (
            f"MATCH (a:Symbol {{id: $id}})-[e:CALLS]->(b:Symbol) RETURN a.path, a.id, b.id, {props}"
        )
        return [
            _stored_edge("CALLS", names, row)
            for sid in source_ids
            for row in _pyrows(self.query(cypher, {"id": sid}))
        ]

    def paths_into(self, target_ids: Sequence[str], exclude_paths: Sequence[str]) -> set[str]:
        """The files outside `exclude_paths` with an edge (of any kind) into any of
        `target_ids`: one key lookup per target."""
        exclude = set(exclude_paths)
        found: set[str] = set()
        for sid in self._maybe_stored(target_ids):
            table = self.query(
                "MATCH (a:Symbol)-[]->(b:Symbol {id: $id}) RETURN DISTINCT a.path", {"id": sid}
            )
            found.update(p for p in table.column(0).to_pylist() if p not in exclude)
        return found

    def typed_calls_of(
        self, paths: Sequence[str], through: Sequence[str] | None = None
    ) -> list[StoredEdge]:
        """The call edges from the symbols of `paths` whose receiver has a type that a
        resolver infers: stated at the site (`CallSite.receiver_type`: `x: Foo`, `x =
        make()`), reached through attributes (`self.stream.current.test()`) or what a
        call returns (`auto_aiter(seq).__anext__()`); with `through`, only those whose
        callee or site names one of these attributes (`.client`). One key lookup per
        file."""
        props, names = _edge_props("CALLS")
        # A site stating more than its callee's text, a dotted receiver, or a call.
        condition = "(e.site <> '' OR regexp_matches(e.callee, '[.].*[.]|[(]'))"
        params: dict[str, Any] = {}
        if through is not None:
            if not through:
                return []
            alternatives = "|".join(re.escape(n) for n in through)
            params["through"] = f"[.]({alternatives})([^A-Za-z0-9_]|$)"
            condition += (
                " AND (regexp_matches(e.callee, $through) OR regexp_matches(e.site, $through))"
            )
        rows = self._for_files(
            paths,
            "-[e:CALLS]->(b:Symbol)",
            condition,
            f"RETURN s.path, s.id, b.id, {props}",
            params,
        )
        edges = [_stored_edge("CALLS", names, row) for row in rows]
        return [
            e
            for e in edges
            if isinstance(e.fact, CallSite)
            and (e.fact.receiver_type or _inferred(e.fact.receiver or ""))
        ]

    def _maybe_stored(self, ids: Sequence[str]) -> list[str]:
        """`ids` less those the writer knows are not stored (a definition outside the
        name index, a placeholder outside the kept set), so that a save whose new or
        removed names nothing stored points at reads nothing (three statements per
        name otherwise). All of them when it keeps neither."""
        with self._counts_lock:
            names, externals = self._names, self._externals
        out: list[str] = []
        for i in ids:
            if i.startswith(EXTERNAL_PREFIX):
                if externals is None or i in externals:
                    out.append(i)
            elif names is None or names.holds(i):
                out.append(i)
        return out

    def direct_subclasses(self, class_ids: Sequence[str]) -> list[tuple[str, str, str, str]]:
        """(base id, subclass id, its qualified name, its path) for each class stored as
        inheriting directly from one of `class_ids`: one key lookup per id."""
        found: list[tuple[str, str, str, str]] = []
        for cid in dict.fromkeys(class_ids):
            table = self.query(
                "MATCH (a:Symbol)-[:INHERITS]->(b:Symbol {id: $id}) "
                "RETURN DISTINCT a.id, a.qualname, a.path",
                {"id": cid},
            )
            found.extend((cid, str(a), str(q), str(p)) for a, q, p in _pyrows(table))
        return found

    def _stored_edges(
        self,
        ids: list[str],
        exclude_paths: Sequence[str],
        tables: Sequence[str] = tuple(EDGE_TABLES),
    ) -> list[StoredEdge]:
        """Edges into the symbols `ids` from files outside `exclude_paths`."""
        out: list[StoredEdge] = []
        # Filtered here: a statement's `NOT a.path IN $paths` tests every row against
        # the whole list, and a large batch excludes many paths.
        exclude = set(exclude_paths)
        for table in EDGE_TABLES:
            if table not in tables:
                continue
            props, names = _edge_props(table)
            cypher = (
                f"MATCH (a:Symbol)-[e:{table}]->(b:Symbol {{id: $id}}) "
                f"RETURN a.path, a.id, b.id, {props}"
            )
            found = [
                row
                for sid in ids
                for row in _pyrows(self.query(cypher, {"id": sid}))
                if row[0] not in exclude
            ]
            out += [_stored_edge(table, names, row) for row in found]
        return out

    # -- reads for queries --------------------------------------------------------

    def counts(self) -> dict[str, Any]:
        """Files, symbols, edges by kind and call resolution, and diagnostics.

        The writer keeps these up to date as it writes (see `_write_batch`), so a
        poll costs nothing; a read-only store, which cannot see the writer's
        changes, counts every time.
        """
        cached = self._counts
        if cached is not None and not self.read_only:
            return cached.as_dict()
        with self._counts_lock:
            writes, writing = self._writes, self._writing
        counted = self._count_all()
        if not self.read_only and not writing:
            # Kept only when no write started while counting: the count may or may not
            # include it, and the writer adjusts only counts it had when it started.
            with self._counts_lock:
                if writes == self._writes and not self._writing:
                    self._counts = counted
        return counted.as_dict()

    def kept_counts(self) -> dict[str, Any] | None:
        """The counts a writer keeps, as plain data for `adopt_counts` (None when it has
        not counted, or it is a reader)."""
        counts = self._counts
        if counts is None or self.read_only:
            return None
        return {
            "files": counts.files,
            "symbols": counts.symbols,
            "resolution": dict(counts.resolution),
            "imports": counts.imports,
            "inherits": counts.inherits,
            "diagnostics": counts.diagnostics,
            "names": dict(counts.names),
        }

    def adopt_counts(self, kept: dict[str, Any]) -> None:
        """Take counts an earlier writer kept for these very files (`kept_counts`), as
        if this store had counted them, unless it has counted or written already."""
        counts = _Counts(
            int(kept["files"]),
            int(kept["symbols"]),
            {str(k): int(v) for k, v in kept["resolution"].items()},
            int(kept["imports"]),
            int(kept["inherits"]),
            int(kept["diagnostics"]),
            Counter({str(k): int(v) for k, v in kept["names"].items()}),
        )
        with self._counts_lock:
            if self._counts is None and not self._writes and not self.read_only:
                self._counts = counts

    def may_match(self, needle: str, letters: bool = False) -> bool:
        """False when no definition's lower-case name contains `needle` (nor, with
        `letters`, has its letters in order), nor is a dotless qualified name equal to
        `needle`: then a symbol query for it finds nothing, and a poll that matches
        nothing costs a string search instead of two scans of the symbol table. True
        whenever it cannot tell (a read-only store keeps no names)."""
        if self.read_only or "#" in needle:
            return True  # ids (`path#local`) are matched apart
        cached = self._counts
        if cached is None:
            self.counts()
            cached = self._counts
            if cached is None:
                return True
        text = cached.names_text()
        if needle in text:
            return True
        return letters and re.search(in_order(needle), text) is not None

    def _count_all(self) -> _Counts:
        files = self.query("MATCH (f:File) RETURN count(*)").column(0)[0].as_py()
        symbols = (
            self.query("MATCH (s:Symbol) WHERE s.kind <> 'external' RETURN count(*)")
            .column(0)[0]
            .as_py()
        )
        mix = self.query("MATCH ()-[e:CALLS]->() RETURN e.resolution, count(*)")
        resolution = {str(k): int(v) for k, v in sorted(_pyrows(mix)) if v}
        edges = {
            table.lower(): self.query(f"MATCH ()-[e:{table}]->() RETURN count(*)")
            .column(0)[0]
            .as_py()
            for table in ("IMPORTS", "INHERITS")
        }
        diagnostics = sum(len(d) for _, d in self.file_diagnostics())
        names = _names(
            self.query("MATCH (s:Symbol) WHERE s.kind <> 'external' RETURN s.name, s.qualname")
        )
        return _Counts(
            files, symbols, resolution, edges["imports"], edges["inherits"], diagnostics, names
        )

    def _file_counts(self, paths: Sequence[str]) -> _Counts:
        """The counts that the rows of `paths` contribute, found through their keys."""
        out = _Counts(0, 0, {}, 0, 0, 0, Counter())
        for path in paths:
            found = _pyrows(
                self.query(
                    "MATCH (f:File {path: $path}) OPTIONAL MATCH (f)-[:DEFINES]->(s:Symbol) "
                    "RETURN f.diagnostics, count(s)",
                    {"path": path},
                )
            )
            if not found:
                continue
            diagnostics, symbols = found[0]
            out.names.update(
                _names(
                    self.query(
                        "MATCH (f:File {path: $path})-[:DEFINES]->(s:Symbol) "
                        "RETURN s.name, s.qualname",
                        {"path": path},
                    )
                )
            )
            out.files += 1
            out.symbols += int(symbols)
            out.diagnostics += len(json.loads(diagnostics or "[]"))
            head = "MATCH (f:File {path: $path})-[:DEFINES]->(s:Symbol)"
            for resolution, count in _pyrows(
                self.query(f"{head}-[e:CALLS]->() RETURN e.resolution, count(*)", {"path": path})
            ):
                out.resolution[resolution] = out.resolution.get(resolution, 0) + int(count)
            for table in ("IMPORTS", "INHERITS"):
                count = (
                    self.query(f"{head}-[e:{table}]->() RETURN count(*)", {"path": path})
                    .column(0)[0]
                    .as_py()
                )
                if table == "IMPORTS":
                    out.imports += int(count)
                else:
                    out.inherits += int(count)
        return out

    def symbols_by_ids(self, ids: Sequence[str]) -> list[SymbolRef]:
        if not ids:
            return []
        # Primary-key lookups: `s.id IN $ids` scans the whole table (23 ms on Django).
        return self._symbol_refs(
            "true", {"ids": list(ids)}, len(ids), "UNWIND $ids AS i MATCH (s:Symbol {id: i})"
        )

    def docstrings(self, ids: Sequence[str]) -> dict[str, str]:
        """The doc comments of the symbols `ids` (those that have one)."""
        if not ids:
            return {}
        table = self.query(
            "UNWIND $ids AS i MATCH (s:Symbol {id: i}) RETURN s.id, s.docstring",
            {"ids": list(ids)},
        )
        return {r[0]: r[1] for r in _pyrows(table) if r[1]}

    def find_symbols(self, text: str, limit: int) -> list[SymbolRef]:
        """Definitions whose name contains `text` or whose qualified name is `text`
        (case-insensitive); ranking is the caller's job. A writer's store answers a
        plain name from its kept names (exact names first, then prefixes, then the
        rest, shorter first) and reads those symbols by key."""
        needle = text.lower()
        if not self.read_only and "." not in text and "#" not in text:
            return self.symbols_by_ids(self._name_index().matching(needle, limit))
        return self._symbol_refs(
            "s.kind <> 'external' AND (lower(s.name) CONTAINS $q OR lower(s.qualname) = $q "
            "OR s.id = $raw)",
            {"q": needle, "raw": text},
            limit=limit,
        )

    def prepare_for_queries(self) -> None:
        """Build what a writer's store keeps for symbol queries (the counts with their
        names, the name index, and the texts searched in them) now, rather than on the
        first query that needs them, which would wait for a scan of the symbol table
        (100-200 ms on Django: the first save that a symbol query finds)."""
        if self.read_only:
            return
        self.counts()
        cached = self._counts
        if cached is not None:
            cached.names_text()
        self._name_index().warm()
        self._placeholders()

    def _placeholders(self) -> _Placeholders:
        """The kept placeholder ids, built from one scan of the symbol table when first
        needed (and again after a bulk write), as the name index."""
        with self._counts_lock:
            kept, writes, writing = self._externals, self._writes, self._writing
        if kept is not None:
            return kept
        table = self.query("MATCH (s:Symbol) WHERE s.kind = 'external' RETURN s.id")
        built = _Placeholders(table.column(0).to_pylist())
        with self._counts_lock:
            # Kept only when no write started while reading, as the name index.
            if writes == self._writes and not writing and not self._writing:
                self._externals = built
        return built

    def _name_index(self) -> _NameIndex:
        """The kept definition names, built from one scan of the symbol table when
        first needed (and again after a bulk write)."""
        with self._counts_lock:
            names, writes, writing = self._names, self._writes, self._writing
        if names is not None:
            return names
        table = self.query("MATCH (s:Symbol) WHERE s.kind <> 'external' RETURN s.id, s.name")
        built = _NameIndex(
            zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)
        )
        with self._counts_lock:
            # Kept only when no write started while reading: it may or may not be in it.
            if writes == self._writes and not writing and not self._writing:
                self._names = built
        return built

    def find_symbols_fuzzy(self, pattern: str, limit: int) -> list[SymbolRef]:
        """Definitions whose lower-case name matches the regular expression `pattern`
        (from the kept names in a writer's store, as `find_symbols`)."""
        if not self.read_only:
            return self.symbols_by_ids(self._name_index().matching_pattern(pattern, limit))
        return self._symbol_refs(
            "s.kind <> 'external' AND regexp_matches(lower(s.name), $pattern)",
            {"pattern": pattern},
            limit=limit,
        )

    def names_containing(self, words: Sequence[str], limit: int) -> list[tuple[str, str, str]]:
        """(id, name, qualname) of definitions whose name contains any of `words`
        (lower-case), in one scan of the symbol table."""
        if not words:
            return []
        where = " OR ".join(f"lower(s.name) CONTAINS $w{i}" for i in range(len(words)))
        table = self.query(
            f"MATCH (s:Symbol) WHERE s.kind <> 'external' AND ({where}) "
            "RETURN s.id, s.name, s.qualname LIMIT $limit",
            {**{f"w{i}": w for i, w in enumerate(words)}, "limit": limit},
        )
        return [(r[0], r[1], r[2]) for r in _pyrows(table)]

    def caller_counts(self, ids: Sequence[str]) -> dict[str, int]:
        """How many call edges come into each of `ids` (those with any)."""
        if not ids:
            return {}
        table = self.query(
            "MATCH (c:Symbol)-[:CALLS]->(s:Symbol) WHERE s.id IN $ids RETURN s.id, count(c)",
            {"ids": list(ids)},
        )
        return {str(sid): int(n) for sid, n in _pyrows(table)}

    def catalog_paths(self) -> list[str]:
        """Every indexed file's path."""
        return [str(p) for p in self.query("MATCH (f:File) RETURN f.path").column(0).to_pylist()]

    def symbols_in_file(self, path: str) -> list[SymbolRef]:
        """The definitions of one file (its module symbol included)."""
        # Through the file's primary key: 1 ms on Django where a scan of `path` takes 5.
        return self._symbol_refs(
            "s.kind <> 'external'",
            {"path": path},
            1_000_000,
            "MATCH (f:File {path: $path})-[:DEFINES]->(s:Symbol)",
        )

    def calls_on_line(self, path: str, line: int) -> list[tuple[str, Span]]:
        """(callee id, callee expression span) of the calls in `path` whose callee
        expression covers `line`."""
        table = self.query(
            "MATCH (f:File {path: $path})-[:DEFINES]->(a:Symbol)-[e:CALLS]->(b:Symbol) "
            "WHERE e.span_start < $below AND e.span_end >= $at "
            "RETURN b.id, e.span_start, e.span_end",
            {"path": path, "at": position(line, 0), "below": position(line + 1, 0)},
        )
        return [(r[0], stored_span(r[1], r[2])) for r in _pyrows(table)]

    def _symbol_refs(
        self, where: str, params: dict[str, Any], limit: int, match: str = "MATCH (s:Symbol)"
    ) -> list[SymbolRef]:
        table = self.query(
            f"{match} WHERE {where} RETURN s.id, s.name, s.qualname, s.kind, s.path, "
            "s.start_line, s.start_col, s.end_line, s.end_col, s.sel_start_line, "
            "s.sel_start_col, s.sel_end_line, s.sel_end_col, s.signature LIMIT $limit",
            {**params, "limit": limit},
        )
        return [
            SymbolRef(
                id=r[0],
                name=r[1],
                qualname=r[2],
                kind=r[3],
                path=r[4],
                span=Span(r[5], r[6], r[7], r[8]),
                selection=Span(r[9], r[10], r[11], r[12]),
                signature=r[13] or "",
            )
            for r in _pyrows(table)
        ]

    def call_edges(self, ids: Sequence[str], incoming: bool) -> list[CallEdge]:
        """CALLS edges into (`incoming`) or out of the symbols `ids`."""
        if not ids:
            return []
        returns = (
            "RETURN a.id, b.id, a.path, e.span_start, e.span_end, e.resolution, e.confidence "
            "ORDER BY a.path, e.span_start"
        )
        if len(ids) == 1:
            # One symbol (call hierarchy): start from its primary key, 0.2-2 ms on
            # Django where the `IN` scan below takes 3-7 ms. With many ids (a graph
            # walk's frontier) the scan is the faster plan.
            end = "(b:Symbol {id: $id})" if incoming else "(b:Symbol)"
            start = "(a:Symbol)" if incoming else "(a:Symbol {id: $id})"
            table = self.query(f"MATCH {start}-[e:CALLS]->{end} {returns}", {"id": ids[0]})
        else:
            side = "b" if incoming else "a"
            table = self.query(
                f"MATCH (a:Symbol)-[e:CALLS]->(b:Symbol) WHERE {side}.id IN $ids {returns}",
                {"ids": list(ids)},
            )
        return [
            CallEdge(
                caller=r[0],
                callee=r[1],
                path=r[2],
                span=stored_span(r[3], r[4]),
                resolution=r[5],
                confidence=r[6],
            )
            for r in _pyrows(table)
        ]

    # -- export -------------------------------------------------------------------

    def export_symbols(self, after: str, limit: int) -> list[list[Any]]:
        """A page of symbols (externals included) in id order, after id `after`.

        Keyset paging keeps each page's memory bounded however large the workspace:
        `(id, name, qualname, kind, path, parent, range..., selection..., decorators)` rows.
        """
        return _pyrows(
            self.query(
                "MATCH (s:Symbol) WHERE s.id > $after RETURN s.id, s.name, s.qualname, s.kind, "
                "s.path, s.parent, s.start_line, s.start_col, s.end_line, s.end_col, "
                "s.sel_start_line, s.sel_start_col, s.sel_end_line, s.sel_end_col, s.decorators "
                f"ORDER BY s.id LIMIT {int(limit)}",
                {"after": after},
            )
        )

    def export_edges(self, table: str, source_ids: Sequence[str]) -> list[list[Any]]:
        """The `table` edges out of `source_ids`: `(from, to, line, col, end_line,
        end_col, resolution, confidence, text)`, text being the call's callee, the
        import's name (or module) or the base expression."""
        if not source_ids:
            return []
        text = {"CALLS": "e.callee", "IMPORTS": "coalesce(e.name, e.module)"}.get(table, "e.expr")
        rows = _pyrows(
            self.query(
                f"UNWIND $ids AS i MATCH (a:Symbol {{id: i}})-[e:{table}]->(b:Symbol) "
                "RETURN a.id, b.id, e.span_start, e.span_end, e.resolution, "
                f"e.confidence, {text} ORDER BY a.id, e.span_start, b.id",
                {"ids": list(source_ids)},
            )
        )
        return [
            [src, dst, *line_col(start), *line_col(end), *rest]
            for src, dst, start, end, *rest in rows
        ]

    def file_diagnostics(self) -> list[tuple[str, list[dict[str, Any]]]]:
        table = self.query(
            "MATCH (f:File) WHERE f.diagnostics <> '[]' RETURN f.path, f.diagnostics"
        )
        return [(path, json.loads(diags)) for path, diags in _pyrows(table)]


def _inferred(receiver: str) -> bool:
    """Whether a receiver's type comes from more than its own name: an attribute chain
    or a call's result."""
    return "." in receiver or "(" in receiver


def _edge_props(table: str) -> tuple[str, list[str]]:
    """What a statement returns of an edge `e` of `table` after its source's path and id
    and its target's id (`_stored_edge` reads them back), and those columns' names."""
    names = [name for name, _ in EDGE_TABLES[table]]
    return ", ".join(f"e.{name}" for name in names), names


def _stored_edge(table: str, names: Sequence[str], row: list[Any]) -> StoredEdge:
    """An edge read back: `row` is its source's path and id, its target's id, then the
    table's own columns (`names`, of `EDGE_TABLES`) in order."""
    path, src, dst, *props_values = row
    values = dict(zip(names, props_values, strict=True))
    resolution = str(values["resolution"])
    span = stored_span(values["span_start"], values["span_end"])
    fact: CallSite | Import | BaseClass
    if table == "CALLS":
        fact = stored_call(src, values["callee"], span, values["site"])
    elif table == "IMPORTS":
        fact = Import(
            module=values["module"],
            name=values["name"],
            alias=values["alias"],
            span=span,
            scope=src,
            kind=ImportKind(values["kind"]),
            conditional=bool(values["conditional"]),
            type_only=bool(values["type_only"]),
            reexport=bool(values["reexport"]),
            extra=values["extra"] or "",
        )
    else:
        fact = BaseClass(src, values["expr"], span)
    return StoredEdge(table, path, src, dst, fact, resolution)


def in_order(needle: str) -> str:
    """A regular expression for `needle`'s letters in order within one line, unanchored.

    Each letter after the first is reached by skipping, possessively, what is neither it
    nor a line's end: the earliest next letter is as good as any later one, so nothing
    is tried twice (about a third of the time of a lazy ``[^\\n]*?`` on Django's
    names when nothing matches, the case a poll as the user types meets most)."""
    parts = [re.escape(c) for c in needle]
    return "".join(part if i == 0 else f"[^{part}\\n]*+{part}" for i, part in enumerate(parts))


def _names(table: pa.Table) -> Counter[str]:
    """Lower-case names from (name, qualname) rows, with dotless qualified names."""
    names: Counter[str] = Counter()
    for name, qualname in zip(
        table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True
    ):
        names[str(name).lower()] += 1
        if qualname and "." not in qualname and qualname != name:
            names[str(qualname).lower()] += 1
    return names


def _pyrows(table: pa.Table) -> list[list[Any]]:
    cols = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [list(row) for row in zip(*cols, strict=True)]


def diagnostics_json(facts: FileFacts) -> str:
    return msgspec.json.encode(facts.diagnostics).decode()
