"""`Engine`: one workspace's index, opened for writing (the owner) or for reading.

Front ends call only this: `index()` to catch up with the files, `apply_changes()` for
edits, and the query methods. Everything returns plain kenning types.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from kenning import languages
from kenning.core.results import (
    CallGraph,
    Description,
    EmbeddingFailure,
    EmbeddingRun,
    EmbeddingStatus,
    Impact,
    IndexStatus,
    Neighbour,
    SearchResult,
    SymbolRef,
)
from kenning.core.settings import Settings
from kenning.pipeline.embedder import (
    ACTIVE_MODEL,
    ACTIVE_SPEC,
    CURRENT_MODEL,
    VECTOR_SEARCH,
    EmbedPool,
    EmbedProgress,
    ProgressSink,
    settled_progress,
    status_note,
)
from kenning.pipeline.executors import (
    Future,
    ThreadPoolExecutor,
    opening_lock,
    persist_executor,
    wait,
)
from kenning.pipeline.indexer import (
    ChangeReport,
    Indexer,
    IndexReport,
    OutsideWorkspace,
    Prepared,
    ProgressCallback,
    workspace_path,
)
from kenning.pipeline.write_behind import WriteBehind
from kenning.query.callgraph import call_graph, impact, neighbours, symbol_at
from kenning.query.describe import describe
from kenning.query.search import expand_globs, search
from kenning.query.semantic import SemanticIndex
from kenning.query.symbols import find_symbols, resolve_symbol
from kenning.storage import graph_counts, native_memory
from kenning.storage.check import open_for_reading, open_for_writing, record_sound
from kenning.storage.chunk_files import chunk_fingerprint, known_rows, record_rows
from kenning.storage.chunks import ChunkFilter, ChunkStore
from kenning.storage.embed_status import OPEN, RECENT, EmbedStatus
from kenning.storage.graph import GraphStore
from kenning.storage.index_dir import IndexDir, IndexMissing
from kenning.storage.layered import ChunkReader, GraphReader, LayeredChunks, LayeredGraph
from kenning.storage.vectors import VectorStore

if TYPE_CHECKING:
    from kenning.embed import EmbeddingModel

log = logging.getLogger(__name__)


class ReadOnly(Exception):
    """A write asked of an index opened read-only (another process owns it); the
    message says why it is read-only."""


class ModelSpec(msgspec.Struct, frozen=True):
    """Enough to load a model again: its configured name and whether the optimised
    file is used (the two decide its id)."""

    name: str
    optimize: bool


# Above this many files a batch of changes is written at once, not deferred: the
# recent layer is for what editors change, not for a branch switch's thousand files.
WRITE_BEHIND_MAX_FILES = 32
# A daemon compacts the chunk table after this many written batches: few enough that
# searches do not slow down scanning small fragments, many enough that the cost
# (tens of milliseconds on the writer) is rare.
COMPACT_AFTER_WRITES = 32

# Version control first, then each language's project files (the registry's order).
WORKSPACE_MARKERS = (".git", ".hg", *languages.WORKSPACE_MARKERS)


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
        native_memory.configure()
        self.root = root
        self.settings = settings
        self.index_dir = index_dir
        self.graph = graph
        self.writer = writer
        self._indexer = Indexer(root, settings, graph, index_dir) if writer else None
        self._chunks: ChunkStore | None = None
        self._vectors: VectorStore | None = None
        self._status: EmbedStatus | None = None
        self._pool: EmbedPool | None = None
        # The stores and the pool are opened on first use, by whichever thread needs
        # them first (a query thread, the writer, the persist thread): one at a time,
        # so that no two threads open or create the same store. Reentrant: the pool
        # opens the chunk and vector tables.
        self._opening = opening_lock()
        self._closing = False
        # Who hears the pool's progress, also before it exists (`add_embedding_sink`).
        self._sinks: list[ProgressSink] = []
        # Phase 2 as a start found it, when it had nothing to do and the pool was not
        # made (`start_embedding`); the pool is made when new texts come.
        self._settled: EmbedProgress | None = None
        # Embedding paused by the user (`pause_embedding`), and a full index running.
        self._user_paused = False
        self._indexing = False
        self._semantic: SemanticIndex | None = None
        # Changes applied and visible, not yet written; the thread that writes them
        # behind (created by the first `flush_behind`) and its write in flight.
        self._behind = WriteBehind()
        self._persister: ThreadPoolExecutor | None = None
        self._persisting: Future[int] | None = None
        self._writes_since_compaction = 0
        # What opening had to repair in a damaged index ("" when nothing).
        self.repairs = ""

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
            return cls(root, settings, index_dir, open_for_reading(index_dir), False)
        index_dir.acquire(replace_file=rebuild)
        try:
            if rebuild:
                index_dir.wipe()
            if not index_dir.exists():
                index_dir.wipe()
                index_dir.create()
            index_dir.check()
            # Read before the graph is opened: the files as the last writer left them.
            counts = graph_counts.recorded(index_dir)
            # Damaged stores are repaired here (all of it is derived data); `repairs`
            # says what was done, for the front end to tell the user.
            graph, repairs = open_for_writing(index_dir)
            if counts is not None and not repairs:
                graph.adopt_counts(counts)
        except BaseException:
            index_dir.release()
            raise
        engine = cls(root, settings, index_dir, graph, True)
        engine.repairs = repairs
        return engine

    def warm_up(self) -> None:
        """Open the chunk and vector tables now (LanceDB's import and the tables' open,
        a second or more), so that a long-lived daemon's first search does not wait for
        them; a start opens them only on first use, to answer sooner. Does nothing once
        the engine is closing."""
        with self._opening:
            if self._closing:
                return
            _ = self.chunks, self.vectors

    def close(self) -> None:
        with self._opening:
            # A warm-up that has not opened the tables yet will not open them now.
            self._closing = True
        # Whether what was written can be vouched for: a close whose last writes
        # failed records nothing, so the next open counts and checks for itself.
        clean = True
        if self.writer:
            if self._persister is not None:
                # The write in flight ends, and what it calls back when done (a
                # checkpoint) runs, before the rest is written here and the store shuts.
                self._persister.shutdown(wait=True)
            try:
                self.flush()
            except Exception:  # the catch-up at the next start parses them again
                log.exception("writing deferred changes on close failed")
                clean = False
        if self._pool is not None:
            self._pool.stop()
            self._pool = None
        if self._status is not None:
            self._status.close()
        self.graph.close()
        if self.writer and clean:
            graph_counts.record(self.index_dir, self.graph.kept_counts())
            chunks = self._open_chunks()
            if chunks is not None:
                # Its rows as they are now, for status to read without opening it. A
                # table that cannot say must not keep the lock from being released.
                try:
                    record_rows(self.index_dir, chunks.count())
                except Exception:
                    log.warning("counting the chunk table on close failed", exc_info=True)
            # Closed cleanly: what it wrote is sound, and the next open need not read
            # the chunk and vector tables again to know it (`storage.check`).
            record_sound(self.index_dir)
        self.index_dir.release()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------

    @property
    def indexer(self) -> Indexer:
        if self._indexer is None:
            raise ReadOnly("this engine was opened read-only")
        return self._indexer

    def index(self, rebuild: bool = False, progress: ProgressCallback | None = None) -> IndexReport:
        """Bring the index up to date with the files on disk (phase 1). A running
        embedding pool waits meanwhile, then compares its queue with the new chunks."""
        self.flush()
        pool = self._pool
        if pool is not None:
            pool.pause(wait=True)
        self._indexing = True
        try:
            return self.indexer.index(rebuild=rebuild, progress=progress)
        finally:
            self._indexing = False
            if pool is not None:
                # The user's pause, even one asked for while indexing, outlasts ours.
                if not self._user_paused:
                    pool.resume()
                pool.start(resync=True)

    def apply_changes(
        self,
        changes: Sequence[tuple[str, str | bytes | None]],
        open_paths: Collection[str] = (),
        *,
        defer: bool = False,
    ) -> ChangeReport:
        """Files changed: each (path, new text), or (path, None) to read it from disk
        again (a file that no longer exists is removed from the index). `open_paths`:
        the files open in an editor, parsed incrementally from their last trees (which
        the indexer keeps).

        Written now as one batch, or with `defer` (a few files) prepared and visible to
        queries at once and written later by `flush`, with whatever else is pending
        (see `pipeline/write_behind.py`). New texts are queued for embedding, ahead of
        background work, once written."""
        if not defer or len(changes) > WRITE_BEHIND_MAX_FILES:
            self.flush()
            report = self.indexer.apply(changes, open_paths=open_paths)
            self._queue_embedding(report.text_hashes)
            return report
        started = time.perf_counter()
        prepared = self.indexer.prepare(changes, open_paths=open_paths, recent=self._behind.recent)
        self._behind.add(prepared)
        return msgspec.structs.replace(
            prepared.report, seconds=round(time.perf_counter() - started, 4)
        )

    def prepare_for_edits(self) -> None:
        """Load the resolution model now (from the graph store, a few seconds on a large
        workspace) rather than on the first edit, which would wait for it."""
        self.indexer.prepare_for_edits()

    def flush(self) -> int:
        """Write every change `apply_changes` deferred, now, on this thread (after the
        write in flight, if one is); how many files."""
        if self._persisting is not None:
            # Its failure is logged where it ran; what it did not write is taken below.
            wait((self._persisting,))
        batch = self._behind.batch()
        return 0 if batch is None else self._persist(batch)

    def flush_behind(self) -> Future[int] | None:
        """Start writing every deferred change on the persist thread, and return at
        once: the write in flight (a new one, or the one still running, which what came
        after it waits for), or None when nothing waits to be written."""
        persisting = self._persisting
        if persisting is not None and not persisting.done():
            return persisting
        batch = self._behind.batch()
        if batch is None:
            return None
        if self._persister is None:
            self._persister = persist_executor()
        self._persisting = self._persister.submit(self._persist, batch)
        return self._persisting

    def _persist(self, batch: Prepared) -> int:
        started = time.perf_counter()
        try:
            self.indexer.persist(batch)
        except BaseException:
            self._behind.failed()
            raise
        self._behind.written(batch)
        self._queue_embedding(batch.report.text_hashes)
        self._writes_since_compaction += 1
        if self._writes_since_compaction >= COMPACT_AFTER_WRITES:
            self.compact()
        # The write's native buffers are freed but kept by malloc; without this the
        # RSS under a steady stream of edits rose write after write (storage/native_memory.py).
        native_memory.release()
        log.info(
            "wrote %d deferred file(s) in %.0f ms",
            len(batch.updates), (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        return len(batch.updates)

    def compact_behind(self) -> None:
        """Compact the chunk table on the persist thread, after the write in flight, if
        it is made of more than one fragment; writes that come meanwhile wait for it (it
        is the write in flight). A full index appends a fragment per part it writes (11
        on Django, 42 on 4x Django), and every search reads every fragment: hybrid search
        on 4x Django took 105 ms p50 with 42, 63 ms with them folded together. Call on
        the writer's thread (as `flush_behind`)."""
        with self._opening:
            if self._closing or not self.writer:
                return
        if self._persister is None:
            self._persister = persist_executor()
        self._persisting = self._persister.submit(self._compact_if_fragmented)

    def _compact_if_fragmented(self) -> int:
        """As a write on the persist thread: no file written."""
        if self.chunks.fragments() > 1:
            self.compact()
        return 0

    def compact(self) -> None:
        """Fold the chunk table's small writes together and into its indexes (each
        written batch adds a fragment and a version that every search reads)."""
        started = time.perf_counter()
        self.chunks.optimize()
        self._writes_since_compaction = 0
        log.info("compacted the chunk table in %.0f ms", (time.perf_counter() - started) * 1000)

    @property
    def unwritten_since(self) -> float | None:
        """When (monotonic) the oldest change not yet written was applied, or None."""
        return self._behind.since

    def _queue_embedding(self, text_hashes: Sequence[str]) -> None:
        pool = self._pool
        if pool is None and self._settled is not None and text_hashes:
            # The start found nothing to embed and made no pool: make it now; its first
            # pass compares the queue with the chunk table, new texts included.
            self._settled = None
            self.pool.start()
            return
        if pool is not None and text_hashes:
            if pool.model_id is not None:
                self.status_store.add(pool.model_id, list(text_hashes), RECENT)
            pool.kick()

    def _views(self) -> tuple[GraphReader, ChunkReader]:
        """The stores as queries read them: with the recent layer over them while
        deferred changes wait to be written."""
        recent = self._behind.recent
        if not recent:
            return self.graph, self.chunks
        return LayeredGraph(self.graph, recent), LayeredChunks(self.chunks, recent)

    def _graph_view(self) -> GraphReader:
        """The graph as queries read it (`_views`), without opening the chunk table."""
        recent = self._behind.recent
        return LayeredGraph(self.graph, recent) if recent else self.graph

    # -- embedding (phase 2) --------------------------------------------------------

    @property
    def pool(self) -> EmbedPool:
        """The embedding pool (created on first use; writers only)."""
        if self._pool is not None:
            return self._pool
        with self._opening:
            if self._pool is None:
                if not self.writer:
                    raise ReadOnly("this engine was opened read-only")
                spec = self._model_spec
                pool = EmbedPool(
                    self.index_dir.embed_status_path,
                    self.chunks,
                    self.vectors,
                    lambda: self._load_model(spec, self.settings.embedding.threads),
                    self.settings.embedding,
                    msgspec.json.encode(spec).decode(),
                    chunk_files=lambda: chunk_fingerprint(self.index_dir.chunks_path),
                )
                for sink in self._sinks:
                    pool.add_sink(sink)
                self._pool = pool
        return self._pool

    @property
    def pool_made(self) -> bool:
        """Whether the embedding pool exists: a start that finds every text embedded
        makes none until new texts come."""
        return self._pool is not None

    def add_embedding_sink(self, sink: ProgressSink) -> None:
        """Hear the embedding pool's progress, whenever the pool is made."""
        with self._opening:
            self._sinks.append(sink)
            if self._pool is not None:
                self._pool.add_sink(sink)

    def _settled_embedding(self) -> EmbedProgress | None:
        """Phase 2's state when it has nothing to do, known without the chunk and
        vector tables or the model (`embedder.settled_progress`); None otherwise."""
        if not self.index_dir.embed_status_path.exists():
            return None
        from kenning.embed import ModelError, resolve_model

        spec = self._model_spec
        try:
            # Which files the configured model would load, and so its id: tens of
            # milliseconds, where loading it takes seconds.
            model_id = resolve_model(spec.name, optimize=spec.optimize).model_id
        except ModelError:
            return None  # the pool reports it
        files = chunk_fingerprint(self.index_dir.chunks_path)
        return settled_progress(self.status_store, model_id, files, self.settings.embedding)

    @property
    def _model_spec(self) -> ModelSpec:
        """The configured model."""
        return ModelSpec(self.settings.embedding.model, self.settings.embedding.optimize)

    def _load_model(self, spec: ModelSpec, threads: int) -> EmbeddingModel:
        from kenning.embed import EmbeddingModel, resolve_model

        resolved = resolve_model(spec.name, optimize=spec.optimize)
        return EmbeddingModel(resolved, threads or os.cpu_count() or 1)

    def start_embedding(self) -> None:
        """Embed pending texts in the background (no-op when embedding is off). When
        everything is embedded already, the pool is not made until new texts come."""
        if not self.settings.embedding.enabled:
            return
        if self._pool is None and self._settle():
            return
        self.pool.start(resync=True)

    def _settle(self) -> bool:
        """Whether phase 2 has nothing to do (then every sink hears so, once)."""
        settled = self._settled_embedding()
        if settled is None:
            return False
        self._settled = settled
        for sink in list(self._sinks):
            sink(settled)
        return True

    def embed(self, progress: ProgressSink | None = None) -> EmbedProgress:
        """Embed every pending text, blocking until done (or paused); Ctrl-C stops
        after the batch in flight, keeping every finished batch."""
        if self._pool is None:
            settled = self._settled_embedding()
            if settled is not None:
                self._settled = settled
                if progress is not None:
                    progress(settled)
                return settled
        pool = self.pool
        if progress is not None:
            pool.add_sink(progress)
        try:
            pool.start(resync=True)
            pool.wait_until_idle()
        except BaseException:
            pool.stop()
            self._pool = None
            raise
        finally:
            if progress is not None:
                pool.remove_sink(progress)
        self._semantic = None  # new vectors: recompute coverage on the next search
        return pool.progress()

    def retry_failed_embeddings(self) -> int:
        """Give texts marked `error` a fresh set of attempts; returns how many."""
        status = self.status_store
        return sum(status.retry_errors(model_id) for model_id in status.models())

    def pause_embedding(self) -> None:
        self._user_paused = True
        self.pool.pause()

    def resume_embedding(self) -> None:
        self._user_paused = False
        if not self._indexing:  # else `index` resumes the pool when it is done
            self.pool.resume()

    @property
    def embedding_paused(self) -> bool:
        """The user paused embedding (the engine's own pause while indexing aside)."""
        return self._user_paused

    def prioritize_files(self, paths: Sequence[str]) -> None:
        """Embed these files' texts before background work (open editors)."""
        pool = self._pool
        if pool is None or pool.model_id is None:
            return
        rels = [self.relpath(p) for p in paths]
        self.status_store.prioritize(pool.model_id, self.chunks.hashes_for_paths(rels), OPEN)
        pool.kick()

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """For tests and scripts: block until the embedding queue is drained."""
        return self._pool is None or self._pool.wait_until_idle(timeout)

    # -- reading ------------------------------------------------------------------

    @property
    def chunks(self) -> ChunkStore:
        opened = self._open_chunks()
        if opened is not None:
            return opened
        with self._opening:
            if self._indexer is not None:
                return self._indexer.chunks
            if self._chunks is None:
                self._chunks = ChunkStore(self.index_dir.chunks_path)
            return self._chunks

    def _open_chunks(self) -> ChunkStore | None:
        """The chunk table if it is open already, else None (without opening it)."""
        return self._indexer.opened_chunks if self._indexer is not None else self._chunks

    def chunk_count(self) -> int:
        """The chunk table's rows: counted when it is open, else as recorded with its
        files while they are unchanged (`storage/chunk_files.py`), else counted."""
        opened = self._open_chunks()
        if opened is None:
            rows = known_rows(self.index_dir)
            if rows is not None:
                return rows
        return (opened or self.chunks).count()

    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            with self._opening:
                if self._vectors is None:
                    self._vectors = VectorStore(self.index_dir.chunks_path)
        return self._vectors

    @property
    def status_store(self) -> EmbedStatus:
        """This thread's connection to the embedding status table."""
        if self._status is None:
            with self._opening:
                if self._status is None:
                    self._status = EmbedStatus(
                        self.index_dir.embed_status_path, read_only=not self.writer
                    )
        return self._status

    def semantic(self) -> SemanticIndex | None:
        """The vector ranker for the model search uses; None before any vectors."""
        status = self.status_store
        active = status.get_meta(ACTIVE_MODEL)
        if active is None or not self.vectors.exists(active):
            return None
        coverage = status.counts(active).coverage
        if self._semantic is None or self._semantic.model_id != active:
            stored = status.get_meta(ACTIVE_SPEC)
            spec = msgspec.json.decode(stored, type=ModelSpec) if stored else self._model_spec
            # One ONNX Runtime thread: a search never waits behind a batch.
            self._semantic = SemanticIndex(
                self.vectors, active, lambda: self._load_model(spec, 1), coverage
            )
        self._semantic.coverage = coverage
        return self._semantic

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
        graph, chunks = self._views()
        paths = expand_globs(path_globs, graph.catalog_paths()) if path_globs else None
        filters = ChunkFilter(languages=tuple(languages), kinds=tuple(kinds), paths=paths)
        semantic = self.semantic() if mode != "text" else None
        return search(graph, chunks, query, limit, filters, mode, semantic)

    def symbols(self, query: str, limit: int = 20) -> list[SymbolRef]:
        return find_symbols(self._graph_view(), query, limit)

    def resolve_symbol(self, text: str) -> list[SymbolRef]:
        """The symbols a user's words name; `UnknownSymbol` (with suggestions) if none."""
        return resolve_symbol(self._graph_view(), text)

    def describe(
        self, text: str, limit: int = 5, max_code_chars: int = 4000, neighbours: int = 5
    ) -> Description:
        """The definitions a user's words name, each with doc comment, code and a few
        callers and callees; none (with close matches) when the name is unknown."""
        graph, chunks = self._views()
        return describe(graph, chunks, text, limit, max_code_chars, neighbours)

    def call_graph(
        self, symbol: SymbolRef, direction: str, depth: int = 1, min_confidence: float = 0.0
    ) -> CallGraph:
        return call_graph(self._graph_view(), symbol, direction, depth, min_confidence)

    def neighbours(
        self, symbol_id: str, incoming: bool, min_confidence: float = 0.0
    ) -> list[Neighbour]:
        """Direct callers or callees of a symbol with their call sites (call hierarchy)."""
        return neighbours(self._graph_view(), symbol_id, incoming, min_confidence)

    def impact(self, symbol: SymbolRef, depth: int = 3, min_confidence: float = 0.0) -> Impact:
        return impact(self._graph_view(), symbol, depth, min_confidence)

    def symbol_at(self, path: str, line: int, col: int) -> list[SymbolRef]:
        """The symbols a cursor at (line, col) of `path` names (UTF-16 columns)."""
        return symbol_at(self._graph_view(), self.relpath(path), line, col)

    def relpath(self, path: str | Path) -> str:
        """Workspace-relative posix path; `OutsideWorkspace` for paths outside it."""
        return workspace_path(self.root, path)

    def status(self) -> IndexStatus:
        counts = self.graph.counts()
        owner = self.index_dir.owner() if not self.writer else None
        return IndexStatus(
            workspace=str(self.root),
            index=str(self.index_dir.path),
            files=counts["files"],
            symbols=counts["symbols"],
            calls=counts["calls"],
            call_resolution=counts["call_resolution"],
            imports=counts["imports"],
            inherits=counts["inherits"],
            diagnostics=counts["diagnostics"],
            chunks=self.chunk_count(),
            embedding=self.embedding_status(),
            owner=owner.describe() if owner else None,
        )

    def embedding_status(self) -> EmbeddingStatus:
        """Phase 2 as `kenning status` shows it: model, counts, last run, failures."""
        status = self.status_store
        active = status.get_meta(ACTIVE_MODEL)
        pool = self._pool
        model_id = (
            (pool.model_id if pool is not None else None)
            or status.get_meta(CURRENT_MODEL)
            or active
        )
        base = EmbeddingStatus(
            enabled=self.settings.embedding.enabled,
            model=self.settings.embedding.model,
            model_id=model_id,
            active_model_id=active,
            state=pool.progress().state
            if pool is not None
            else self._settled.state
            if self._settled is not None
            else None,
        )
        if model_id is None:
            return base
        counts = status.counts(model_id)
        run = status.last_run(model_id)
        note = status_note(
            status, model_id, active, counts, self.settings.embedding.switch_threshold
        )
        return msgspec.structs.replace(
            base,
            total=counts.total,
            done=counts.done,
            pending=counts.pending + counts.in_progress,
            failed=counts.error,
            coverage=round(counts.coverage, 4),
            vector_search=status.get_meta(VECTOR_SEARCH) or "exact",
            last_run=EmbeddingRun(
                state=run.state,
                embedded=run.embedded,
                failed=run.failed,
                throughput=round(run.throughput, 2),
                started_at=run.started_at,
                updated_at=run.updated_at,
            )
            if run is not None
            else None,
            failures=[
                EmbeddingFailure(text_hash=f.text_hash, attempts=f.attempts, error=f.error)
                for f in status.failures(model_id, limit=5)
            ],
            note=note or "",
        )


__all__ = ["Engine", "IndexMissing", "OutsideWorkspace", "ReadOnly", "find_workspace"]
