"""`Engine`: one workspace's index, opened for writing (the owner) or for reading.

Front ends call only this: `index()` to catch up with the files, `apply_change()` for
edits, and the query methods. Everything returns plain kenning types.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kenning.core.results import CallGraph, SearchResult, SymbolRef
from kenning.core.settings import Settings
from kenning.pipeline.indexer import ChangeReport, Indexer, IndexReport, ProgressCallback
from kenning.query.callgraph import call_graph
from kenning.query.search import expand_globs, search
from kenning.query.symbols import find_symbols, resolve_symbol
from kenning.storage.chunks import ChunkFilter, ChunkStore
from kenning.storage.graph import GraphStore
from kenning.storage.index_dir import IndexDir, IndexMissing

WORKSPACE_MARKERS = (".git", ".hg", "pyproject.toml", "setup.py", "setup.cfg")


def find_workspace(start: Path, index_dir: str = ".kenning") -> Path:
    """The workspace containing `start`, found upward as git finds a repository.

    The nearest folder with an index wins; otherwise the nearest with a VCS or project
    marker; otherwise `start` itself.
    """
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / index_dir / "meta.json").exists():
            return folder
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in WORKSPACE_MARKERS):
            return folder
    return start


class Engine:
    """A workspace's stores plus the pipeline that writes them (when opened to write)."""

    def __init__(
        self, root: Path, settings: Settings, index_dir: IndexDir, graph: GraphStore, writer: bool
    ) -> None:
        self.root = root
        self.settings = settings
        self.index_dir = index_dir
        self.graph = graph
        self.writer = writer
        self._indexer = Indexer(root, settings, graph, index_dir) if writer else None
        self._chunks: ChunkStore | None = None

    @classmethod
    def open(
        cls,
        root: Path,
        settings: Settings | None = None,
        *,
        read_only: bool = False,
        rebuild: bool = False,
    ) -> Engine:
        """Open a workspace. Writers take the index lock (`IndexLocked` if it is held),
        create the index if missing and wipe it with `rebuild`; readers need an index."""
        settings = settings or Settings()
        root = root.resolve()
        if not root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder")
        index_dir = IndexDir(root / settings.index_dir)
        if read_only:
            index_dir.check()
            return cls(root, settings, index_dir, GraphStore(index_dir.graph_path, True), False)
        index_dir.acquire()
        try:
            if rebuild:
                index_dir.wipe()
            if not index_dir.exists():
                index_dir.wipe()
                index_dir.create()
            index_dir.check()
            graph = GraphStore(index_dir.graph_path)
        except BaseException:
            index_dir.release()
            raise
        return cls(root, settings, index_dir, graph, True)

    def close(self) -> None:
        self.graph.close()
        self.index_dir.release()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------

    @property
    def indexer(self) -> Indexer:
        if self._indexer is None:
            raise PermissionError("this engine was opened read-only")
        return self._indexer

    def index(self, rebuild: bool = False, progress: ProgressCallback | None = None) -> IndexReport:
        """Bring the index up to date with the files on disk (phase 1)."""
        return self.indexer.index(rebuild=rebuild, progress=progress)

    def apply_change(self, path: str, text: str | None) -> ChangeReport:
        """One file changed: `text` is its new content, None to re-read it from disk
        (a file that no longer exists is removed from the index)."""
        return self.indexer.apply([(path, text)])

    def apply_changes(self, changes: Sequence[tuple[str, str | None]]) -> ChangeReport:
        """Several files changed; written as one batch."""
        return self.indexer.apply(changes)

    # -- reading ------------------------------------------------------------------

    @property
    def chunks(self) -> ChunkStore:
        if self._indexer is not None:
            return self._indexer.chunks
        if self._chunks is None:
            self._chunks = ChunkStore(self.index_dir.chunks_path)
        return self._chunks

    def search(
        self,
        query: str,
        limit: int = 10,
        *,
        languages: Sequence[str] = (),
        path_globs: Sequence[str] = (),
        kinds: Sequence[str] = (),
        mode: str = "hybrid",
    ) -> SearchResult:
        paths = expand_globs(path_globs, self.graph.catalog()) if path_globs else None
        filters = ChunkFilter(languages=tuple(languages), kinds=tuple(kinds), paths=paths)
        return search(self.graph, self.chunks, query, limit, filters, mode)

    def symbols(self, query: str, limit: int = 20) -> list[SymbolRef]:
        return find_symbols(self.graph, query, limit)

    def resolve_symbol(self, text: str) -> list[SymbolRef]:
        """The symbols a user's words name; `UnknownSymbol` (with suggestions) if none."""
        return resolve_symbol(self.graph, text)

    def call_graph(self, symbol: SymbolRef, direction: str, depth: int = 1) -> CallGraph:
        return call_graph(self.graph, symbol, direction, depth)

    def status(self) -> dict[str, Any]:
        counts = self.graph.counts()
        chunks = self.chunks
        owner = self.index_dir.owner() if not self.writer else None
        return {
            "workspace": str(self.root),
            "index": str(self.index_dir.path),
            **counts,
            "chunks": chunks.count(),
            "embedding": chunks.status_counts(),
            "diagnostics": sum(len(d) for _, d in self.graph.file_diagnostics()),
            "owner": owner.describe() if owner else None,
        }


__all__ = ["Engine", "IndexMissing", "find_workspace"]
