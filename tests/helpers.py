"""Test helpers: a throwaway workspace written from a `{path: source}` dict, and
readable views of what its index holds.

Everything is real: the graph store and the chunk table live in the test's
`tmp_path`, so a test sees exactly what a user's index would hold.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from textwrap import dedent
from typing import Any, NamedTuple, TypeVar

import msgspec

import kenning
from kenning.core.facts import CallSite, Span
from kenning.core.settings import EmbeddingSettings, Settings
from kenning.engine import Engine
from kenning.storage.graph import stored_call
from kenning.storage.schema import stored_span

# The folder holding the `kenning` package under test, for subprocesses' PYTHONPATH.
DAEMON_DIR = str(Path(kenning.__file__).resolve().parents[1])

# One parser process: faster for tiny workspaces, and lets tests monkeypatch parsing.
IN_PROCESS = Settings(parse_workers=1)

T = TypeVar("T")
# For a live folder whose test is not about vectors: no embedding pool to wait for.
NO_VECTORS = Settings(parse_workers=1, embedding=EmbeddingSettings(enabled=False))

EDGE_QUERIES = {
    "CALLS": "MATCH (a:Symbol)-[e:CALLS]->(b:Symbol) "
    "RETURN a.id, e.callee, b.id, e.resolution, e.confidence",
    "IMPORTS": "MATCH (a:Symbol)-[e:IMPORTS]->(b:Symbol) "
    "RETURN a.id, coalesce(e.name, e.module), b.id, e.resolution, e.confidence",
    "INHERITS": "MATCH (a:Symbol)-[e:INHERITS]->(b:Symbol) "
    "RETURN a.id, e.expr, b.id, e.resolution, e.confidence",
}


def rows(engine: Engine, cypher: str, params: dict[str, Any] | None = None) -> list[tuple]:
    """A query's rows as tuples (pyarrow is column-oriented)."""
    table = engine.graph.query(cypher, params)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return sorted(zip(*columns, strict=True), key=repr)


def edges(engine: Engine, table: str = "CALLS") -> dict[tuple[str, str], tuple[str, str]]:
    """`(source id, callee text / import name / base expr) -> (target id, resolution)`."""
    return {(src, text): (dst, how) for src, text, dst, how, _ in rows(engine, EDGE_QUERIES[table])}


def confidences(engine: Engine, table: str = "CALLS") -> dict[tuple[str, str], float]:
    return {(src, text): conf for src, text, _, _, conf in rows(engine, EDGE_QUERIES[table])}


class StoredEdgeRow(NamedTuple):
    """An edge as stored, its columns read back into what they were written from."""

    path: str  # the source symbol's file
    src: str
    dst: str
    qualname: str  # the target's
    kind: str  # the target's
    span: Span
    resolution: str
    call: CallSite | None  # a CALLS edge's call site, as the store keeps it


def stored_edges(engine: Engine, table: str = "CALLS") -> list[StoredEdgeRow]:
    """Every edge of `table`, sorted by file, position and target."""
    site = "e.callee, e.site" if table == "CALLS" else "NULL, NULL"
    found = rows(
        engine,
        f"MATCH (a:Symbol)-[e:{table}]->(b:Symbol) RETURN a.path, e.span_start, a.id, b.id, "
        f"b.qualname, b.kind, e.span_end, e.resolution, {site}",
    )
    out = []
    for path, start, src, dst, qualname, kind, end, how, callee, site_text in found:
        span = stored_span(start, end)
        call = stored_call(src, callee, span, site_text) if table == "CALLS" else None
        out.append(StoredEdgeRow(path, src, dst, qualname, kind, span, how, call))
    return out


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything the graph and chunk stores hold, in a comparable form."""
    chunks = engine.chunks._table.to_arrow()
    return {
        "status": {k: v for k, v in msgspec.to_builtins(engine.status()).items() if k != "owner"},
        "files": rows(engine, "MATCH (f:File) RETURN f.path, f.module, f.hash, f.diagnostics"),
        "symbols": rows(
            engine,
            "MATCH (s:Symbol) RETURN s.id, s.name, s.qualname, s.kind, s.path, s.parent, "
            "s.start_line, s.end_line, s.signature",
        ),
        "defines": rows(engine, "MATCH (f:File)-[:DEFINES]->(s:Symbol) RETURN f.path, s.id"),
        "contains": rows(engine, "MATCH (a:Symbol)-[:CONTAINS]->(b:Symbol) RETURN a.id, b.id"),
        **{table.lower(): rows(engine, query) for table, query in EDGE_QUERIES.items()},
        "chunks": sorted(
            zip(
                chunks.column("path").to_pylist(),
                chunks.column("start_line").to_pylist(),
                chunks.column("text_hash").to_pylist(),
                strict=True,
            )
        ),
    }


def fresh_index(root: Path, read: Callable[[Engine], T]) -> tuple[dict[str, Any], T]:
    """What a full index of a copy of the files on disk under `root` holds (`stored`),
    and what `read` answers from it: the reference a workspace's stores and answers
    after a series of saves must equal."""
    copy = root.with_name(root.name + "-fresh")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".kenning"))
    with Engine.open(copy, IN_PROCESS) as fresh:
        fresh.index()
        return stored(fresh), read(fresh)


class Workspace:
    """A folder of source files plus the engine that indexes it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._engines: list[Engine] = []

    def write(self, files: Mapping[str, str | bytes]) -> Workspace:
        for path, source in files.items():
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, bytes):
                target.write_bytes(source)
            else:
                target.write_text(dedent(source), encoding="utf-8")
        return self

    def open(self, settings: Settings = IN_PROCESS, **kwargs: Any) -> Engine:
        engine = Engine.open(self.root, settings, **kwargs)
        self._engines.append(engine)
        return engine

    def indexed(
        self, files: Mapping[str, str | bytes] | None = None, settings: Settings = IN_PROCESS
    ) -> Engine:
        """Write `files`, open a writer engine and run a full index; returns the engine."""
        self.write(files or {})
        engine = self.open(settings)
        engine.index()
        return engine

    def close_all(self) -> None:
        for engine in self._engines:
            # Closing twice is harmless; a test may have closed its engine already.
            with contextlib.suppress(Exception):
                engine.close()
        self._engines.clear()


def save(engine: Engine, rel: str, text: str | None) -> None:
    """Write the file (or delete it, `text` None) and apply it deferred, as an editor's
    save reaches a daemon."""
    path = engine.root / rel
    if text is None:
        path.unlink()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    engine.apply_changes([(rel, text)], defer=True)


def count_statements(monkeypatch: Any) -> list[str]:
    """Every statement the graph store's reads run from now on (`GraphStore.query`), in
    order: for tests of what a step reads, and how often."""
    from kenning.storage.graph import GraphStore

    statements: list[str] = []
    query = GraphStore.query

    def counting(self: GraphStore, cypher: str, params: Any = None) -> Any:
        statements.append(cypher)
        return query(self, cypher, params)

    monkeypatch.setattr(GraphStore, "query", counting)
    return statements


def kenning_env(**env: str) -> dict[str, str]:
    """The environment for a `python -m kenning` subprocess running the code under test."""
    return {**os.environ, "PYTHONPATH": DAEMON_DIR, **env}


def run_kenning(cwd: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m kenning ARGV` in `cwd` (with `env` added) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "kenning", *argv],
        cwd=cwd,
        env=kenning_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_group(
    command: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float, label: str,
    merge_output: bool = False,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run `command` in its own process group, so that a timeout kills it and all it
    started (an editor and its language server, Node and its servers); on a timeout,
    an AssertionError naming `label` with what it printed. `merge_output`: stderr goes
    into stdout."""
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_output else subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"{label} ran past {timeout} s\n--- stdout\n{stdout}\n--- stderr\n{stderr or ''}"
        ) from None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr or "")


@contextlib.contextmanager
def indexed_twice(
    folder: Path, files: Mapping[str, str], names: tuple[str, str]
) -> Iterator[tuple[Engine, Engine]]:
    """`files` indexed in two workspaces under `folder`: one engine to change one way
    and one to change another (or not at all), their stores then compared (`stored`)."""
    spaces = [Workspace(folder / name) for name in names]
    for space in spaces:
        space.root.mkdir()
    try:
        yield spaces[0].indexed(files), spaces[1].indexed(files)
    finally:
        for space in spaces:
            space.close_all()


def stored(engine: Engine) -> dict[str, Any]:
    """What `snapshot` finds in the stores, less the status (which tells writers apart)."""
    return {k: v for k, v in snapshot(engine).items() if k != "status"}
