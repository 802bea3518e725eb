"""A full index written in many small parts, each table's edges flushed on its own,
stores exactly what one part stores."""

from __future__ import annotations

import gc
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FunctionType, ModuleType

import msgspec
import pyarrow as pa
import pytest

from helpers import IN_PROCESS, Workspace, snapshot
from kenning.core.facts import CallSite, EdgeFacts, FileFacts, Span, Symbol, SymbolKind
from kenning.core.graph import Resolution, ResolvedFile, Target
from kenning.storage import graph as graph_module
from kenning.storage.graph import FileRecord, GraphStore
from kenning.storage.schema import FILE_COLUMNS

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


def test_a_copy_of_thousands_of_rows_keeps_their_nulls(tmp_path: Path) -> None:
    """Thousands of symbols, the parent of every third one null, go in with one COPY:
    each is stored with its own parent. (The store's scan of an Arrow table read each
    batch's null bitmap wrongly past its first 2,048 rows: nulls came back as empty
    strings, parents as nulls.)"""
    path = "pkg/big.py"
    span = Span(1, 0, 1, 1)
    module = Symbol(f"{path}#", "big", "pkg.big", SymbolKind.MODULE, span, span, None)
    symbols = [module] + [
        Symbol(
            f"{path}#f{n}",
            f"f{n}",
            f"pkg.big.f{n}",
            SymbolKind.FUNCTION,
            span,
            span,
            None if n % 3 == 0 else module.id,
        )
        for n in range(6 * graph_module.ARROW_SCAN_ROWS)
    ]
    facts = FileFacts(path, "python", "pkg.big", symbols, [], [], [], [], [])
    graph = GraphStore(tmp_path / "graph")
    try:
        with graph.bulk_loader() as load:
            load.add_nodes(FileRecord(path, "python", "pkg.big", 1, 1, "h"), facts)
        stored = graph.query("MATCH (s:Symbol) RETURN s.id, s.parent").to_pydict()
        got = dict(zip(stored["s.id"], stored["s.parent"], strict=True))
        assert got == {s.id: s.parent for s in symbols}
    finally:
        graph.close()


def test_a_copy_holds_none_of_its_rows_afterwards(tmp_path: Path) -> None:
    """A full index copies the whole workspace part by part: a part's Arrow rows must be
    freed once it is in, or memory grows with the workspace (the store's binding kept
    every table passed to it as a parameter until the connection closed). The store
    may keep the last part until its next checkpoint: what is held must not grow."""
    graph = GraphStore(tmp_path / "graph")
    try:
        names = [name for name, _ in FILE_COLUMNS]
        count = 20_000
        held: list[int] = []
        part_bytes = 0
        for part in range(4):
            rows = pa.table(
                {
                    name: [f"src/package_{part}/module_{n}.py" for n in range(count)]
                    if name == "path"
                    else ([n for n in range(count)] if kind == "INT64" else ["x" * 40] * count)
                    for name, kind in FILE_COLUMNS
                }
            ).select(names)
            part_bytes = rows.nbytes
            graph._copy("File", rows)
            del rows
            gc.collect()
            held.append(pa.total_allocated_bytes())
        grown = held[-1] - held[0]
        assert grown < part_bytes / 2, f"Arrow memory held grew by {grown} bytes over 3 COPYs"
        assert graph.query("MATCH (f:File) RETURN count(*)").column(0)[0].as_py() == 4 * count
        last = graph.query("MATCH (f:File {path: 'src/package_2/module_7.py'}) RETURN f.size")
        assert last.column(0).to_pylist() == [7]
    finally:
        graph.close()


def test_a_failed_copy_reports_the_stores_own_error(tmp_path: Path) -> None:
    """A COPY that fails inside a batch's transaction (which rolls back) is reported by
    what went wrong, so the log of the UNWIND fallback says why; and the store takes
    the next COPY."""
    graph = GraphStore(tmp_path / "graph")
    try:

        def files(*paths: str) -> pa.Table:
            return pa.table(
                {
                    name: list(paths)
                    if name == "path"
                    else [1 if kind == "INT64" else "x"] * len(paths)
                    for name, kind in FILE_COLUMNS
                }
            )

        graph._run("BEGIN TRANSACTION")
        with pytest.raises(RuntimeError, match=r"(?i)duplicate"):
            graph._copy("File", files("a.py", "a.py"))
        graph._rollback()
        graph._copy("File", files("b.py"))
        paths = graph.query("MATCH (f:File) RETURN f.path").column(0).to_pylist()
        assert paths == ["b.py"]
    finally:
        graph.close()


def _files(count: int) -> list[tuple[FileRecord, FileFacts]]:
    return [
        (
            FileRecord(f"pkg/m{n}.py", "python", f"pkg.m{n}", 1, 1, "h"),
            FileFacts(f"pkg/m{n}.py", "python", f"pkg.m{n}", [], [], [], [], [], []),
        )
        for n in range(count)
    ]


def _setting(graph: GraphStore, name: str) -> str:
    setting = graph.query(f"CALL current_setting('{name}') RETURN *")
    return str(setting.column(0)[0].as_py())


def test_a_bulk_load_is_checkpointed_part_by_part_and_readable_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full index checkpoints each COPY itself, with the store's own checkpoints off
    for the load, on one of the store's threads: every part is folded into the
    database file before the next, a reader opened right after the load sees every
    row, and later writes are checkpointed by the store again, on all its threads."""
    monkeypatch.setattr(graph_module, "NODE_ROWS_PER_PART", 3)
    graph = GraphStore(tmp_path / "graph")
    checkpoints: list[int] = []
    checkpoint = graph.checkpoint

    def counted() -> None:
        checkpoint()
        checkpoints.append(graph.query("MATCH (f:File) RETURN count(*)").column(0)[0].as_py())

    monkeypatch.setattr(graph, "checkpoint", counted)
    try:
        threads = _setting(graph, "threads")
        with graph.bulk_loader() as load:
            for record, facts in _files(7):
                load.add_nodes(record, facts)
            assert (_setting(graph, "auto_checkpoint"), _setting(graph, "threads")) == (
                "False",
                "1",
            )
        # One per COPY that wrote rows: parts of 3, 3 and 1 files (the files define
        # no symbols, so the other tables' COPYs are skipped).
        assert checkpoints == [3, 6, 7]
        assert (_setting(graph, "auto_checkpoint"), _setting(graph, "threads")) == (
            "True",
            threads,
        )
        assert not (tmp_path / "graph.wal").exists()
        reader = GraphStore(tmp_path / "graph", read_only=True)
        try:
            assert reader.query("MATCH (f:File) RETURN count(*)").column(0)[0].as_py() == 7
        finally:
            reader.close()
    finally:
        graph.close()


def test_a_failed_bulk_load_gives_the_store_its_checkpoints_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A COPY that fails ends the load (the caller loads again with UNWIND): the
    store checkpoints its writes on its own again."""
    graph = GraphStore(tmp_path / "graph")

    def failing(table: str, data: pa.Table) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(graph, "_copy", failing)
    try:
        with (
            pytest.raises(graph_module.BulkCopyFailed, match="disk full"),
            graph.bulk_loader() as load,
        ):
            for record, facts in _files(2):
                load.add_nodes(record, facts)
        assert _setting(graph, "auto_checkpoint") == "True"
    finally:
        graph.close()


def test_a_bulk_load_on_a_writer_thread_copies_there_while_the_caller_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a writer (one thread), a part's COPYs and checkpoints run there while the
    caller gathers the next part, on the writer's connection with the load's settings;
    every row is stored, the settings are put back and the writer's connection closed."""
    monkeypatch.setattr(graph_module, "NODE_ROWS_PER_PART", 3)
    graph = GraphStore(tmp_path / "graph")
    copy = graph._copy
    gathering = threading.Event()
    copies: list[tuple[str, str, bool, tuple[str, str]]] = []

    def watched(table: str, data: pa.Table) -> None:
        if not data.num_rows:
            return  # the tables these files leave empty (`_copy` skips them)
        # The first part's COPY waits until the caller has added files past it.
        went_on = gathering.wait(10) if not copies else True
        settings = (_setting(graph, "auto_checkpoint"), _setting(graph, "threads"))
        copies.append((table, threading.current_thread().name, went_on, settings))
        copy(table, data)

    monkeypatch.setattr(graph, "_copy", watched)
    connections = len(graph._connections)
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-writer")
    try:
        threads = _setting(graph, "threads")
        with graph.bulk_loader(writer=writer) as load:
            for n, (record, facts) in enumerate(_files(7)):
                load.add_nodes(record, facts)
                if n == 4:  # the first part (3 files) is being written meanwhile
                    gathering.set()
        assert [table for table, *_ in copies] == ["File", "File", "File"]
        assert all(name.startswith("graph-writer") for _, name, _, _ in copies)
        assert all(went_on for _, _, went_on, _ in copies)
        assert {settings for *_, settings in copies} == {("False", "1")}
        assert graph.query("MATCH (f:File) RETURN count(*)").column(0)[0].as_py() == 7
        assert (_setting(graph, "auto_checkpoint"), _setting(graph, "threads")) == (
            "True",
            threads,
        )
        assert len(graph._connections) == connections
    finally:
        writer.shutdown()
        graph.close()


def test_a_copy_failing_on_the_writer_thread_ends_the_load_in_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A COPY that fails on the writer thread ends the load where the caller is (the
    caller loads again with UNWIND), and the store checkpoints on its own again."""
    monkeypatch.setattr(graph_module, "NODE_ROWS_PER_PART", 2)
    graph = GraphStore(tmp_path / "graph")

    def failing(table: str, data: pa.Table) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(graph, "_copy", failing)
    writer = ThreadPoolExecutor(max_workers=1)
    try:
        with (
            pytest.raises(graph_module.BulkCopyFailed, match="disk full"),
            graph.bulk_loader(writer=writer) as load,
        ):
            for record, facts in _files(5):
                load.add_nodes(record, facts)
        assert _setting(graph, "auto_checkpoint") == "True"
    finally:
        writer.shutdown()
        graph.close()


def _list_items_reachable(root: object, stop: tuple[object, ...]) -> int:
    """Items of every list reachable from `root`, not through `stop`."""
    seen: set[int] = set()
    stack = [root]
    items = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or any(obj is s for s in stop):
            continue
        seen.add(id(obj))
        if isinstance(obj, list):
            items += len(obj)
        if isinstance(obj, str | bytes | int | float | type | ModuleType | FunctionType):
            continue  # values, or code and what it names: not the load's own
        stack.extend(gc.get_referents(obj))
    return items


def test_a_finished_load_holds_none_of_its_rows(tmp_path: Path) -> None:
    """Once a load is finished, nothing of the rows it wrote is held (on 4x Django the
    last part of edges is up to 100,000 rows, kept otherwise while the chunk table's
    indexes are built)."""
    graph = GraphStore(tmp_path / "graph")
    writer = ThreadPoolExecutor(max_workers=1)
    try:
        span = Span(1, 0, 1, 1)
        with graph.bulk_loader(writer=writer) as load:
            for record, facts in _files(3):
                module = Symbol(
                    f"{facts.path}#", "m", facts.module, SymbolKind.MODULE, span, span, None
                )
                load.add_nodes(record, msgspec.structs.replace(facts, symbols=[module]))
            for n in range(3):
                path = f"pkg/m{n}.py"
                call = CallSite(f"{path}#", "f", "f", None, Span(1, 0, 1, 3))
                target = Target(f"ext:f{n}", Resolution.UNRESOLVED, 0.0)
                load.add_edges(
                    EdgeFacts(path, [call], [], []), ResolvedFile(path, [target], [], [])
                )
        assert graph.query("MATCH ()-[c:CALLS]->() RETURN count(*)").column(0)[0].as_py() == 3
        assert _list_items_reachable(load, (graph, writer)) == 0
    finally:
        writer.shutdown()
        graph.close()
