"""Phase 1 indexing: bring the graph store and the chunk table up to date with the files.

`Indexer.index()` compares the files on disk with the catalog (size and mtime first,
the content hash to confirm) and then either loads everything in bulk (an empty
index) or applies the changed files as incremental batches. `Indexer.apply()` is the
incremental path the editor integration calls: it re-parses the given files,
re-resolves their edges and the edges of other files that pointed at them, and
writes graph and chunks for the whole batch.

The indexer is the single writer of both stores; callers serialise calls to it.
"""

from __future__ import annotations

import gc
import logging
import posixpath
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import msgspec
import pyarrow as pa

from kenning.core.facts import (
    TYPE_KINDS,
    BaseClass,
    CallSite,
    Chunk,
    EdgeFacts,
    FileFacts,
    Import,
    SymbolKind,
)
from kenning.core.graph import (
    EXTERNAL_PREFIX,
    Resolution,
    ResolvedFile,
    Target,
    makes_call_edge,
)
from kenning.core.settings import Settings
from kenning.languages import LANGUAGES, Layouts, Resolvers, for_path
from kenning.pipeline.discover import (
    Discovery,
    FoundFile,
    Skipped,
    content_hash,
    discover,
    read_source,
)
from kenning.pipeline.parse_pool import ParseJob, default_workers, parse_files
from kenning.pipeline.trees import EditorTrees
from kenning.resolve.model import FileScope, SymInfo, WorkspaceModel, WorkspaceModels
from kenning.resolve.reuse import (
    CallResolutions,
    ModelChanges,
    RecordingResolver,
    Snapshot,
    resolve_calls,
)
from kenning.storage import native_memory
from kenning.storage.chunks import (
    CHUNK_SCHEMA,
    ChunkFields,
    ChunkStore,
    chunk_table,
    embedded_hashes,
    split_words_column,
    with_words,
)
from kenning.storage.graph import (
    BulkCopyFailed,
    FileRecord,
    FileUpdate,
    GraphStore,
    Rewire,
    Site,
    StoredEdge,
    diagnostics_json,
)
from kenning.storage.index_dir import IndexDir
from kenning.storage.layered import EMPTY, RecentFiles

log = logging.getLogger(__name__)

# How many modules a name newly exported by import is followed through, each importing
# it from the one before (`_rewires`).
EXPORT_CHAIN_DEPTH = 5
# How many levels of subclasses a method new on a class is looked for under, and of
# supertypes a changed class's methods are looked for above (`_rewires`).
SUBCLASS_DEPTH = 5
# When more than this share of the files changed since the last run, reloading the
# whole index in bulk is faster than applying the changes incrementally.
FULL_RELOAD_SHARE = 0.5

ProgressCallback = Callable[[str, int, int], None]


class IndexReport(msgspec.Struct, kw_only=True):
    """What one `index()` run did, with per-phase timings in seconds."""

    mode: str  # "full" | "incremental" | "unchanged"
    files: int
    parsed: int
    deleted: int
    skipped: list[tuple[str, str]]
    diagnostics: int
    symbols: int = 0
    calls: int = 0
    call_resolution: dict[str, int] = msgspec.field(default_factory=dict)
    chunks: int = 0
    graph_write: str = ""  # "copy" | "unwind" | ""
    timings: dict[str, float] = msgspec.field(default_factory=dict)


class ChangeReport(msgspec.Struct, kw_only=True):
    """What `apply()` did for a batch of edited files."""

    changed: list[str]
    deleted: list[str]
    unchanged: list[str]
    rewired: int
    graph_write: str
    seconds: float
    # The embedded-text hashes of the changed files' chunks (for phase 2's queue).
    text_hashes: list[str] = msgspec.field(default_factory=list)


class OutsideWorkspace(ValueError):
    pass


def workspace_path(root: Path, path: str | Path) -> str:
    """Workspace-relative posix path; raises `OutsideWorkspace` for paths outside it."""
    p = Path(path)
    if not p.is_absolute():
        p = root / p
    try:
        rel = p.resolve(strict=False).relative_to(root.resolve())
    except ValueError:
        raise OutsideWorkspace(f"{path} is outside the workspace {root}") from None
    if not rel.parts:
        raise OutsideWorkspace(f"{path} is the workspace itself, not a file in it")
    return rel.as_posix()


@dataclass
class _Timer:
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    _start: float = field(default_factory=time.perf_counter)

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - self._start, 4)
        self._start = now

    def report(self) -> dict[str, float]:
        """The laps so far plus the wall time since the timer started."""
        return {**self.timings, "total": round(time.perf_counter() - self.started, 4)}

    def add(self, name: str, started: float) -> float:
        """Add the time since `started` to the step `name` (steps interleave within a
        lap: a full index's per-file work); returns the time now, the next start."""
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - started
        return now

    def merge(self, steps: dict[str, float]) -> None:
        for name, seconds in steps.items():
            self.timings[name] = self.timings.get(name, 0.0) + seconds

    def rounded(self) -> None:
        self.timings = {name: round(seconds, 4) for name, seconds in self.timings.items()}


class Indexer:
    """Owns the write side of one workspace's stores."""

    def __init__(self, root: Path, settings: Settings, graph: GraphStore, index_dir: IndexDir):
        self.root = root
        self.settings = settings
        self.graph = graph
        self.index_dir = index_dir
        self._chunks: ChunkStore | None = None
        self._chunks_lock = threading.Lock()
        self._model: WorkspaceModels | None = None
        self._resolvers: Resolvers | None = None
        self._layouts: Layouts | None = None
        # The open buffers' trees, for incremental parses (this writer's alone).
        self.trees = EditorTrees()
        # Each open file's chunk fields of its last save (`chunk_table`'s `keep`).
        self._chunk_fields: dict[str, ChunkFields] = {}
        # Each open file's call sites with their targets and what resolving them read,
        # from its last save: what the next save may reuse (`resolve/reuse.py`).
        self._resolutions: dict[str, CallResolutions] = {}
        # The keys each change of the model altered, so that another file's save in
        # between still lets an open file reuse what that change did not touch.
        self._model_changes = ModelChanges()
        # `_star_importers`, with the models (held weakly: a full index frees the one it
        # replaced) and their shapes it was found at.
        self._kept_star_importers: (
            tuple[weakref.ref[WorkspaceModels], tuple[tuple[int, int], ...], dict[str, set[str]]]
            | None
        ) = None
        # How many call targets the last `prepare` reused (for tests and benchmarks).
        self.reused_calls = 0

    # -- lazily opened pieces -----------------------------------------------------

    @property
    def chunks(self) -> ChunkStore:
        if self._chunks is None:
            # Opened once, whichever thread asks first (the engine's query threads too).
            with self._chunks_lock:
                if self._chunks is None:
                    self._chunks = ChunkStore(self.index_dir.chunks_path)
        return self._chunks

    @property
    def opened_chunks(self) -> ChunkStore | None:
        """The chunk table if it is open already (without opening it)."""
        return self._chunks

    @property
    def model(self) -> WorkspaceModels:
        """The resolution models, rebuilt from the graph store on first use."""
        if self._model is None:
            self._model = load_model(self.graph)
        return self._model

    @property
    def model_loaded(self) -> bool:
        """Whether the resolution model is in memory (an edit will not load it)."""
        return self._model is not None

    def prepare_for_edits(self) -> None:
        """Build what the first incremental change needs: the resolution model and the
        resolvers' workspace-wide caches (each language's class hierarchy), so that the
        first edit after a start costs what later ones do; and what the graph store
        keeps for symbol queries, so that the first query that finds an edit's new
        names does not scan the symbol table."""
        resolvers = self._resolvers_for(self.model)
        resolvers.warm()
        self.graph.prepare_for_queries()
        # What a daemon that parsed nothing at start (a catch-up with nothing changed
        # parses in worker processes, if at all) would otherwise build on its first
        # edit, 150-200 ms on Django: each language's compiled queries (one file per
        # suffix: a suffix may have a grammar of its own), the module layout, and the
        # camelCase word split's `pyarrow.compute`.
        suffixes: dict[str, str] = {}
        for path in self.model.paths():
            suffixes.setdefault(posixpath.splitext(path)[1], path)
        for path in suffixes.values():
            language = for_path(path)
            if language is not None:
                language.grammar_for(path)
                self._module_of(path)
        split_words_column(pa.array([""], pa.string()))

    def _resolvers_for(self, model: WorkspaceModels) -> Resolvers:
        """The resolvers of `model`, kept from batch to batch: their caches of class
        hierarchies last until the model's shape changes (`WorkspaceModel.shape`)."""
        if self._resolvers is None or self._resolvers.models is not model:
            self._resolvers = Resolvers(model, self._model_changes)
            # What open files kept for reuse was resolved against the model before (a
            # full index replaced it): never reusable now, so not kept alive either.
            self._resolutions.clear()
        return self._resolvers

    # -- full / catch-up indexing -------------------------------------------------

    def index(self, rebuild: bool = False, progress: ProgressCallback | None = None) -> IndexReport:
        timer = _Timer()
        found = discover(self.root, self.settings)
        self._layouts = Layouts(self.root, (f.path for f in found.files))
        # An unfinished bulk load (killed mid-way) leaves stores that cannot be trusted.
        fresh = rebuild or self.index_dir.load_unfinished
        catalog = {} if fresh else self.graph.catalog()
        skipped = [(s.path, s.reason) for s in found.skipped]
        timer.lap("walk")
        changed, deleted = _changed_files(found, catalog)
        if not catalog or len(changed) > FULL_RELOAD_SHARE * max(len(found.files), 1):
            try:
                return self._full(found, list(skipped), timer, progress)
            except BulkCopyFailed as exc:
                log.warning("%s; indexing again with UNWIND instead", exc)
                self.graph.clear()
                return self._full(found, skipped, timer, progress, copy=False)
        if not changed and not deleted:
            return IndexReport(
                mode="unchanged",
                files=len(found.files),
                parsed=0,
                deleted=0,
                skipped=skipped,
                diagnostics=0,
                timings=timer.report(),
            )
        changes: list[tuple[str, bytes | None]] = [(path, None) for path in deleted]
        for f in changed:
            data = read_source(self.root, f, self.settings.max_file_size)
            if isinstance(data, Skipped):
                skipped.append((data.path, data.reason))
                if f.path in catalog:
                    changes.append((f.path, None))
                continue
            changes.append((f.path, data))
        timer.lap("read")
        report = self.apply(changes, found=found.files)
        timer.lap("apply")
        return IndexReport(
            mode="incremental",
            files=len(found.files),
            parsed=len(report.changed),
            deleted=len(report.deleted),
            skipped=skipped,
            diagnostics=0,
            graph_write=report.graph_write,
            timings=timer.report(),
        )

    def _full(
        self,
        found: Discovery,
        skipped: list[tuple[str, str]],
        timer: _Timer,
        progress: ProgressCallback | None,
        copy: bool = True,
    ) -> IndexReport:
        layouts = self._layouts
        assert layouts is not None
        jobs = [
            ParseJob(
                f.path, f.language, layouts.module_name(f.path, f.language), f.size, f.mtime_ns
            )
            for f in found.files
        ]
        model = WorkspaceModels()
        workers = default_workers(self.settings.parse_workers)
        # CPU seconds, beside the wall times: on a shared machine the wall of a step
        # moves with the load, a thread's own CPU much less (`cpu.*` below).
        cpu_started, main_cpu_started = time.process_time(), time.thread_time()
        done = files = diagnostics = symbols = 0
        mix: dict[str, int] = {}
        # One background thread for the chunk table: importing LanceDB (about a second)
        # overlaps parsing; writing the chunks and building the table's indexes (native
        # code that releases the GIL) overlap resolution and the graph write.
        chunk_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kenning-chunks")
        chunks = _ChunkParts(chunk_writer, lambda: self.chunks, self.index_dir.path)
        # And one for the graph's COPYs and checkpoints (native code that releases the
        # GIL): a part is written there while this thread parses or resolves the next.
        graph_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kenning-graph")
        self.index_dir.set_loading(True)
        self.graph.clear()
        # The cyclic collector would walk everything pass 1 keeps (the model, the
        # catalog: about 300k objects on Django) at each full collection, ten of them in
        # an index of Django, 2.7 s of the parent's CPU in all, where pass 2 is bound by
        # the parent's CPU. What a part leaves behind is frozen after each part instead,
        # so the collector skips it (it is freed by reference counting as before). Every
        # object is given back to the collector at the end, the caller's frozen ones too:
        # what the index left as garbage was frozen with them (a daemon's previous model,
        # on a reindex), and only the collector frees a cycle. A daemon freezes again
        # once it has collected (`LiveWorkspace`).
        try:
            # Two passes, so that no more than one part of the workspace's facts, resolved
            # targets and rows is in memory at once. Pass 1 writes each file's nodes and
            # chunks as it is parsed and keeps what resolution reads: the compact
            # workspace model (names, import bindings) in memory, each file's call sites,
            # imports and bases in a spill file on disk. Pass 2 reads those back, resolves
            # them against the complete model and writes the edges.
            with (
                self.graph.bulk_loader(copy, graph_writer) as load,
                _Spill(self.index_dir.path) as spill,
            ):
                pool_times: dict[str, float] = {}
                pieces = parse_files(
                    self.root, jobs, self.settings.max_file_size, workers, pool_times
                )
                for piece in pieces:
                    skipped.extend(piece.skipped)
                    for parsed in piece.parsed:
                        facts = parsed.facts
                        started = time.perf_counter()
                        model.add_facts(facts)
                        started = timer.add("parse.model", started)
                        load.add_nodes(
                            FileRecord(
                                facts.path,
                                facts.language,
                                facts.module,
                                parsed.size,
                                parsed.mtime_ns,
                                parsed.hash,
                                diagnostics_json(facts),
                            ),
                            facts,
                        )
                        started = timer.add("parse.node_rows", started)
                        chunks.add(facts)
                        timer.add("parse.chunk_rows", started)
                        files += 1
                        diagnostics += len(facts.diagnostics)
                        symbols += len(facts.symbols)
                    started = time.perf_counter()
                    spill.write_encoded(piece.edges)
                    timer.add("parse.spill_write", started)
                    gc.freeze()
                    done += len(piece.parsed) + len(piece.skipped)
                    if progress is not None:
                        progress("parse", done, len(jobs))
                started = time.perf_counter()
                chunks.finish_rows()
                timer.add("parse.chunk_rows", started)
                timer.merge(pool_times)
                timer.lap("parse")
                resolver = Resolvers(model)
                started = time.perf_counter()
                for part in spill.read():
                    started = timer.add("edges.spill_read", started)
                    for edge_facts in part:
                        resolved = resolver.resolve_file(edge_facts)
                        for call, t in zip(edge_facts.calls, resolved.calls, strict=True):
                            if not makes_call_edge(call, t):
                                continue
                            mix[str(t.resolution)] = mix.get(str(t.resolution), 0) + 1
                        started = timer.add("edges.resolve", started)
                        load.add_edges(edge_facts, resolved)
                        started = timer.add("edges.edge_rows", started)
            timer.lap("resolve_and_graph_write")
            chunk_count = chunks.finish()
            self.index_dir.set_loading(False)
            timer.lap("chunk_wait")
            timer.merge({f"graph.{name}": seconds for name, seconds in load.timings.items()})
            timer.merge({f"chunks_bg.{name}": seconds for name, seconds in chunks.timings.items()})
            timer.timings["chunk_write_bg"] = chunks.seconds
            # Each writer thread was started by this index: its CPU time is this index's.
            timer.merge(
                {
                    "cpu.main_thread": time.thread_time() - main_cpu_started,
                    "cpu.graph_thread": graph_writer.submit(time.thread_time).result(),
                    "cpu.chunk_thread": chunk_writer.submit(time.thread_time).result(),
                    "cpu.parent": time.process_time() - cpu_started,
                }
            )
            timer.rounded()
        finally:
            gc.unfreeze()
            graph_writer.shutdown(wait=True)
            chunk_writer.shutdown(wait=True)
            chunks.close()
        self._model = model
        return IndexReport(
            mode="full",
            files=files,
            parsed=files,
            deleted=0,
            skipped=sorted(skipped),
            diagnostics=diagnostics,
            symbols=symbols,
            calls=sum(mix.values()),
            call_resolution=dict(sorted(mix.items())),
            chunks=chunk_count,
            graph_write=load.method,
            timings=timer.report(),
        )

    # -- incremental --------------------------------------------------------------

    def relpath(self, path: str | Path) -> str:
        return workspace_path(self.root, path)

    def _bytes(self, rel: str, text: str | bytes | None) -> bytes | None:
        if isinstance(text, str):
            return text.encode("utf-8", "surrogatepass")
        if text is not None:
            return text
        data = read_source(self.root, rel, self.settings.max_file_size)
        return None if isinstance(data, Skipped) else data

    def apply(
        self,
        changes: Sequence[tuple[str, str | bytes | None]],
        found: Sequence[FoundFile] | None = None,
        *,
        open_paths: Collection[str] = (),
    ) -> ChangeReport:
        """Write one batch now: `prepare` it, then `persist` it (see both)."""
        started = time.perf_counter()
        prepared = self.prepare(changes, found, open_paths=open_paths)
        graph_write = self.persist(prepared)
        return msgspec.structs.replace(
            prepared.report,
            graph_write=graph_write,
            seconds=round(time.perf_counter() - started, 4),
        )

    def prepare(
        self,
        changes: Sequence[tuple[str, str | bytes | None]],
        found: Sequence[FoundFile] | None = None,
        *,
        open_paths: Collection[str] = (),
        recent: RecentFiles = EMPTY,
    ) -> Prepared:
        """Parse and resolve one batch, updating the resolution model, and say what to
        write; nothing is written. Each change is a file's new text (str or bytes), or
        None to read it from disk again (a file that is gone is removed from the index).
        In a catch-up (`found` given) None means the file is to be removed.

        `found`: the files as discovery found them (their stat), for a catch-up.
        `open_paths`: the files open in an editor. Their trees are kept here, on the
        writer (`EditorTrees`), so that the next change to one is parsed incrementally
        from its last tree; the trees of files no longer open are dropped.
        `recent`: changes prepared before and not yet persisted (the write-behind
        layer): their files are compared with, and re-resolved, as the index they are.
        """
        started = time.perf_counter()
        # A catch-up (`found`) has read the files itself: its paths come from discovery,
        # workspace-relative already, and None means the file is gone or no longer
        # indexed (excluded, unreadable), not "read it again".
        if found is not None:
            batch = [(path, text.encode("utf-8", "surrogatepass") if isinstance(text, str)
                      else text) for path, text in changes]  # fmt: skip
        else:
            rels = [self.relpath(path) for path, _ in changes]
            batch = [
                (rel, self._bytes(rel, text)) for rel, (_, text) in zip(rels, changes, strict=True)
            ]
        self.trees.retain(open_paths)
        for path in [p for p in self._resolutions if p not in open_paths]:
            del self._resolutions[path]
        model = self.model
        # A small batch's changes of the model are logged for reuse (`ModelChanges`);
        # a large one (a branch switch) leaves a gap in the log, and nothing reusable.
        log = len(batch) <= MAX_LOGGED_BATCH
        catalog = self.graph.catalog([p for p, _ in batch if not recent.hides(p)])
        for path, _ in batch:
            record = recent.files[path].record if recent.hides(path) else None
            if record is not None:
                catalog[path] = record
        stats = {f.path: f for f in found} if found is not None else {}
        updates: list[FileUpdate] = []
        changed: list[str] = []
        deleted: list[str] = []
        unchanged: list[str] = []
        touched: list[FileRecord] = []
        old_ids: set[str] = set()
        old_names: set[str] = set()
        # Each changed file's classes whose bases the batch changes (new classes with
        # bases included), and the methods they reached through their old bases.
        rebased: dict[str, list[str]] = {}
        old_inherited: set[str] = set()
        # What the changed modules bound by import before and no longer do (the ids it
        # resolved to), and the qualified names they bind by import anew.
        old_exports: set[str] = set()
        new_exports: set[str] = set()
        # Wildcard imports new in a changed module: what they export is known once the
        # batch is in the model.
        stars_came: list[tuple[str, list[Import]]] = []
        # The functions and methods of the batch whose stated result type changed (None),
        # and the types an attribute of which went or was retyped (those attributes).
        retyping: dict[str, frozenset[str] | None] = {}
        # The types the batch removes: calls that reached a member they lack (their
        # placeholders, `ext:pkg.Client.get`) or one declared outside them type
        # otherwise now.
        gone_types: list[SymInfo] = []
        # (language, module name) -> the file that held the name before the batch.
        holders: dict[tuple[str, str], str | None] = {}
        batch_paths = {p for p, _ in batch}
        # Per changed file, its classes whose base list reads as before, and the
        # supertypes they resolved to then: a name they are written with may be bound
        # otherwise now (`click.HelpFormatter` once `import click` is gone).
        resolved_bases: dict[str, dict[str, list[str]]] = {}
        new_facts: list[FileFacts] = []
        for path, data in batch:
            language = for_path(path)
            _note_holder(model, path, holders)
            if data is None or language is None:
                if path in catalog or path in model:
                    old_ids.update(model.symbol_ids_of(path))
                    gone_types += self._orphans(
                        model, path, (), batch_paths, rebased, old_inherited
                    )
                    gone, _ = _exports_changed(model, path, None)
                    old_exports.update(self._bound(path, gone))
                    gone_stars, _ = _stars_changed(model, path, None)
                    old_exports.update(self._star_bound(path, gone_stars))
                    language_model = model.model_of(path)
                    snapshot = Snapshot(language_model, path, None) if language_model else None
                    model.remove_file(path)
                    if log and snapshot is not None:
                        self._model_changes.record(snapshot)
                    updates.append(FileUpdate(path, None, None, None))
                    deleted.append(path)
                continue
            digest = content_hash(data)
            previous = catalog.get(path)
            if previous is not None and previous.hash == digest and path in model:
                # Same content (a re-save, a touch): only the catalog's stat moves on,
                # so the next start takes the size+mtime fast path again.
                unchanged.append(path)
                stat = stats.get(path)
                size, mtime_ns = (stat.size, stat.mtime_ns) if stat else _stat(self.root / path)
                if (size, mtime_ns) != (previous.size, previous.mtime_ns):
                    touched.append(replace(previous, size=size, mtime_ns=mtime_ns))
                continue
            old_ids.update(model.symbol_ids_of(path))
            old_names.update(model.names_of([path]))
            module = self._module_of(path)
            if path in open_paths:
                facts, tree = language.extract(path, data, module, self.trees.start(path, data))
                self.trees.keep(path, data, tree)
            else:
                facts = language.extract_facts(path, data, module)
            # What the file's module exports by import changes: other files' calls and
            # imports that reached a definition through it (`from pkg import Foo`, where
            # `pkg/__init__.py` imports `Foo`) resolve again (`_rewires`).
            gone, came = _exports_changed(model, path, facts)
            old_exports.update(self._bound(path, gone))
            new_exports.update(f"{facts.module}.{alias}" for alias in came)
            # And through its wildcard imports: what the modules they name export.
            gone_stars, came_stars = _stars_changed(model, path, facts)
            old_exports.update(self._star_bound(path, gone_stars))
            # A definition new at its top level hides what they brought by that name.
            old_exports.update(self._star_shadowed(path, facts))
            if came_stars:
                stars_came.append((path, came_stars))
            moved = _rebased(model.file(path), facts)
            if moved:
                # What their subclasses and typed calls inherited through the old bases,
                # asked before the model changes (`_rewires`).
                rebased[path] = moved
                before = self._resolvers_for(model)
                old_inherited.update(before.methods_above(path, moved, None, SUBCLASS_DEPTH) or ())
            # Overloads renumbered, added or removed: calls elsewhere pick among them anew.
            old_exports.update(_overloads_changed(model, path, facts))
            # A function whose stated result changed types what its callers assign
            # from it otherwise (`x = make(); x.run()`), a type whose attributes' stated
            # types changed what is reached through them (`obj.client.get()`).
            retyping.update(_retyping(model, path, facts))
            as_before = _resolved_bases(self._resolvers_for(model), path, facts, moved)
            kept_ids = {sym.id for sym in facts.symbols}
            gone_types += self._orphans(model, path, kept_ids, batch_paths, rebased, old_inherited)
            if as_before:
                resolved_bases[path] = as_before
            language_model = model.model(facts.language)
            holders.setdefault(
                (facts.language, facts.module), language_model.modules.get(facts.module)
            )
            snapshot = Snapshot(language_model, path, facts) if log else None
            model.replace(facts)
            if snapshot is not None:
                self._model_changes.record(snapshot)
            new_facts.append(facts)
            stat = stats.get(path)
            size, mtime_ns = (stat.size, stat.mtime_ns) if stat else _stat(self.root / path)
            record = FileRecord(
                path, language.name, facts.module, size, mtime_ns, digest, diagnostics_json(facts)
            )
            updates.append(FileUpdate(path, record, facts, None))
            changed.append(path)
        # A module name passed to another file (a lower path came, or its holder went):
        # what reached the previous holder's definitions through the name resolves again.
        old_exports.update(_previous_holders(model, holders))
        rewires: list[Rewire] = []
        reresolved: list[FileUpdate] = []
        if updates:
            resolver = self._resolvers_for(model)
            for path, as_before in resolved_bases.items():
                # Classes now resolving their unchanged base list to other supertypes
                # are rebased too, what their old supertypes define read again.
                moved, inherited = _moved_bases(resolver, path, as_before)
                if moved:
                    rebased.setdefault(path, []).extend(moved)
                    old_inherited.update(inherited)
            # Classes of other files whose bases name a type through what a changed
            # module exports (`Sub(pkg.Base)`, once `pkg/__init__.py` stops importing
            # `Base`, or starts): their stored base edges say what they extended.
            moved_elsewhere, inherited = self._bases_moved_elsewhere(
                resolver, old_exports, new_exports, [*batch_paths, *recent.files]
            )
            for path, classes in moved_elsewhere.items():
                rebased.setdefault(path, []).extend(classes)
            old_inherited.update(inherited)
            # Classes of other files whose bases now name a type the batch adds.
            for f in new_facts:
                added = [
                    sym.id for sym in f.symbols if sym.kind in TYPE_KINDS and sym.id not in old_ids
                ]
                _add_subtypes(resolver, f.path, added, batch_paths, rebased)
            for path, stars in stars_came:
                importer = model.file(path)
                if importer is None:
                    continue
                for target in _star_targets(resolver, path, stars):
                    names = _exported_by(resolver, target)
                    new_exports.update(f"{importer.module}.{n}" for n in names)
            self.reused_calls = 0
            for u in updates:
                if u.facts is None:
                    continue
                if u.path in open_paths:
                    u.resolved = self._resolve_open(resolver, u.facts)
                else:
                    self._resolutions.pop(u.path, None)
                    u.resolved = resolver.resolve_file(u.facts)
            rewires, reresolved = self._rewires(
                resolver,
                old_ids,
                old_names,
                (rebased, old_inherited, gone_types),
                (old_exports, new_exports, retyping),
                updates,
                new_facts,
                recent,
            )
        # Each file's chunk rows, built once: their hashes go to the embedding queue, the
        # rows to the recent layer and then to the chunk table.
        # An open file's chunks that a save left as they were reuse what the last save
        # derived from them (`chunk_table`'s `reuse`): their words, terms, descriptions.
        for path in [p for p in self._chunk_fields if p not in open_paths]:
            del self._chunk_fields[path]
        chunks: dict[str, pa.Table] = {}
        for u in updates:
            rows = _chunk_rows([u.facts] if u.facts is not None else [])
            if u.path in open_paths and u.facts is not None:
                kept: ChunkFields = {}
                reuse = self._chunk_fields.get(u.path)
                chunks[u.path] = chunk_table(rows, reuse=reuse, keep=kept)
                self._chunk_fields[u.path] = kept
            else:
                self._chunk_fields.pop(u.path, None)
                chunks[u.path] = chunk_table(rows)
        return Prepared(
            updates=updates,
            rewires=rewires,
            touched=touched,
            chunks=chunks,
            reresolved=reresolved,
            report=ChangeReport(
                changed=changed,
                deleted=deleted,
                unchanged=unchanged,
                rewired=len(rewires),
                graph_write="",
                seconds=round(time.perf_counter() - started, 4),
                # Each chunk's text and its definition's description are embedded.
                text_hashes=list(
                    dict.fromkeys(h for rows in chunks.values() for h in embedded_hashes(rows))
                ),
            ),
        )

    def _resolve_open(self, resolver: Resolvers, facts: FileFacts) -> ResolvedFile:
        """Resolve an open file, reusing its last save's call targets where that is
        provably exact (`resolve/reuse.py`); a language whose resolver cannot record
        what it reads is resolved whole."""
        language_resolver = resolver.language_resolver(facts.path)
        language_model = self.model.model_of(facts.path)
        if (
            language_model is None
            or language_resolver is None
            or not hasattr(language_resolver, "forget_generation")
        ):
            self._resolutions.pop(facts.path, None)
            return resolver.resolve_file(facts)
        recording: RecordingResolver = language_resolver  # type: ignore[assignment]
        calls, kept, reused = resolve_calls(
            recording,
            language_model,
            facts,
            self._resolutions.get(facts.path),
            self._model_changes,
        )
        self._resolutions[facts.path] = kept
        self.reused_calls += reused
        return ResolvedFile(
            path=facts.path,
            calls=calls,
            imports=[resolver.resolve_import(facts.path, i) for i in facts.imports],
            bases=[resolver.resolve_base(facts.path, b) for b in facts.bases],
        )

    def persist(self, prepared: Prepared) -> str:
        """Write a prepared batch to both stores: the graph in one transaction, then
        each file's chunks in one merge. Returns how the graph was written."""
        if prepared.touched:
            self.graph.touch_files(prepared.touched)
        updates = prepared.updates
        if not updates and not prepared.rewires:
            return ""
        bulk = len(updates) >= self.settings.bulk_threshold
        graph_write = self.graph.write_batch(updates, prepared.rewires, bulk=bulk)
        if updates:
            rows = pa.concat_tables(
                [prepared.chunks.get(u.path, CHUNK_SCHEMA.empty_table()) for u in updates]
            )
            self.chunks.replace_files([u.path for u in updates], rows)
        return graph_write

    def _module_of(self, path: str) -> str:
        if self._layouts is None:
            self._layouts = Layouts(self.root, self.model.paths())
        self._layouts.add(path)
        return self._layouts.module_name(path)

    def _rewires(
        self,
        resolver: Resolvers,
        old_ids: set[str],
        old_names: set[str],
        hierarchy: tuple[dict[str, list[str]], set[str], list[SymInfo]],
        exports: tuple[set[str], set[str], dict[str, frozenset[str] | None]],
        updates: list[FileUpdate],
        new_facts: list[FileFacts],
        recent: RecentFiles,
    ) -> tuple[list[Rewire], list[FileUpdate]]:
        """Edges of other files that pointed at this batch's symbols, or could now.

        Five kinds: edges into symbols that no longer exist; edges into `external`
        placeholders named like a definition these files did not have before (so
        `from a import bar` starts resolving when `bar` appears in `a.py`); the
        virtual calls a method may now override or stop overriding (see
        `_override_targets`); the calls that reached a method through a class whose
        bases changed (`hierarchy`: the classes whose bases changed, per file, and the
        methods of their old supertypes, whose calls are read again; and placeholders
        named after such a class or a subclass and a method of its new ones); and what
        reached a definition through a changed module's imports (`exports`: the ids
        its imports bound that they no longer do, whose edges are read again; the
        qualified names they bind anew, as new names). Names the files already defined
        cannot change what an unresolved edge resolves to.

        Edges of files in `recent` (prepared, not persisted) are not read from the
        store: such a file is resolved again whole if one of its targets is affected
        (the second list), and a recent rewire of a persisted edge is checked in place
        of the edge it replaced.
        """
        new_ids = {s.id for f in new_facts for s in f.symbols}
        removed = sorted(old_ids - new_ids)
        added = {n for f in new_facts for s in f.symbols for n in (s.qualname, s.name)}
        new_names = added - old_names
        # A method new on a class can satisfy `self.m()` in its subclasses, whose
        # unresolved placeholders are named after the subclass (`ext:pkg.Sub.m`).
        gained: dict[tuple[str, str], list[str]] = {}
        for f in new_facts:
            for s in f.symbols:
                if s.kind == SymbolKind.METHOD and s.qualname in new_names and s.parent:
                    gained.setdefault((f.path, s.parent), []).append(s.name)
        layered: tuple[set[str], dict[str, list[tuple[str, str]]]] | None = None
        for (path, parent), methods in gained.items():
            # The resolver's subtype map is the model's view (recent files included),
            # kept from save to save; the stores' is a statement per subclass (2,800 for
            # Django's `Model`: a second a save), read only where no map is kept.
            subs = resolver.descendant_names(path, parent, SUBCLASS_DEPTH)
            if subs is None:
                if layered is None:
                    layered = _layered_bases(updates, recent)
                subs = self._subclass_names(parent, *layered)
            new_names.update(f"{sub}.{m}" for sub in subs for m in methods)
        rebased, old_inherited, gone_types = hierarchy
        old_exports, new_exports, retyping = exports
        overridden, overriding, inherited = self._override_targets(
            resolver, new_names, rebased, new_facts
        )
        new_names |= inherited | new_exports
        importers = self._star_importers(resolver)
        starred = _star_variants(importers, new_names)
        new_names |= starred
        new_names |= _path_variants(resolver.models, new_names)
        names = sorted(new_names)
        batch_paths = [u.path for u in updates]
        exclude = [*batch_paths, *(p for p in recent.files if p not in batch_paths)]
        edges = self.graph.edges_into(removed, exclude)
        edges += self.graph.edges_into_externals(names, exclude)
        # Calls that reached a member a removed type lacked, or a type added lacks,
        # stopped at its placeholder (`ext:pkg.Client.get`, `get` from a base outside
        # the workspace): their receivers type otherwise now.
        came_types = [
            (s.qualname, s.name)
            for f in new_facts
            for s in f.symbols
            if s.kind in TYPE_KINDS and s.id not in old_ids
        ]
        types = [*((t.qualname, t.name) for t in gone_types), *came_types]
        # Under its qualified name and its own (Go's calls within a package name the
        # placeholder `ext:Function.String`).
        owners = sorted({*(q for q, _ in types), *(n for _, n in types)})
        members, member_edges = self.graph.edges_into_members(owners, exclude)
        edges += member_edges
        # The methods declared for a type of such a name outside it (a Rust `impl
        # Handle` in another file, a Go method once its type is renamed) find the type
        # by its name: their calls on `self` reach otherwise now, and so do the calls
        # typed through the type into them (`f.Pos()` with `f *ssa.Function`).
        detached = _detached_methods(resolver, {n for _, n in types})
        skip = set(exclude)
        from_detached = self.graph.calls_from([i for i, path in detached if path not in skip])
        edges += from_detached
        edges += self.graph.edges_into([i for i, _ in detached], exclude, ("CALLS",))
        # Virtual calls are calls: one statement per method, not three.
        edges += self.graph.edges_into(sorted(overridden | old_inherited), exclude, ("CALLS",))
        edges += self.graph.edges_into(sorted(old_exports - overridden - old_inherited), exclude)
        edges += [
            e
            for e in self.graph.edges_into(sorted(overriding), exclude, ("CALLS",))
            if e.resolution == Resolution.OVERRIDE
        ]
        # Calls guessed by name alone (`name-only`, `candidate`) guess again beside a
        # definition of their name that came, or left where one went.
        guessed, came = _guesses_beside(resolver, new_facts, new_names)
        edges += [
            e
            for e in self.graph.edges_into(sorted(guessed), exclude, ("CALLS",))
            if e.resolution in (Resolution.NAME_ONLY, Resolution.CANDIDATE)
        ]
        guessable = _guessable(resolver, old_names - added - new_names)
        edges += self.graph.edges_into_externals(sorted(guessable), exclude)
        seen, seen_edges = self._visible_anew(resolver, starred, exclude)
        edges += seen_edges
        # Sites a recent rewire replaced answer as rewired, not as stored.
        replaced = recent.rewired_sites
        edges = [e for e in edges if e.site not in replaced]
        # Every target whose stored edges were read: a site is rewired where the ones it
        # resolves to now differ from those it has, among these (its other edges are
        # into symbols this batch did not concern).
        affected = {*removed, *(EXTERNAL_PREFIX + n for n in names)}
        affected |= overridden | overriding | old_inherited | old_exports | guessed | came
        affected |= {EXTERNAL_PREFIX + n for n in guessable} | seen | set(members)
        affected |= {e.dst for e in from_detached} | {i for i, _ in detached}
        rewires: list[Rewire] = []
        reresolved: dict[str, FileUpdate] = {}
        done_recent: set[Site] = set()
        chained = set(new_names)
        # Files with an import or a call into the workspace that now reaches another
        # target: their calls on a receiver of an inferred type resolve again (`c.get()`
        # with `c: Client`, `x.run()` after `x = make()`), once a file.
        typed_files: set[str] = set()
        if retyping:
            # The files calling a function whose stated result changed, or referring to
            # a type whose attributes' did: what they assign from it, or reach through
            # its attributes, has another type now.
            typed_files = self.graph.paths_into(sorted(retyping), exclude)
            # Only the calls reaching through such an attribute, where no result changed.
            through: list[str] | None = []
            for attrs in retyping.values():
                if attrs is None or through is None:
                    through = None
                else:
                    through += attrs
            typed = self.graph.typed_calls_of(sorted(typed_files), through)
            affected |= {e.dst for e in typed}
            edges += [e for e in typed if e.site not in replaced]
        # An import that now resolves is a name its module exports anew: what imports
        # it from there, left at that module's placeholder, resolves through it now
        # (`from pkg import Foo`, once `pkg/__init__.py`'s `from .core import Foo`
        # resolves), and so on down a chain of such modules.
        for _ in range(EXPORT_CHAIN_DEPTH + 1):
            exported: set[str] = set()
            retyped: set[str] = set()
            sites: dict[Site, list[StoredEdge]] = {}
            for edge in edges:
                sites.setdefault(edge.site, []).append(edge)
            for group in sites.values():
                edge = group[0]
                if edge.path not in resolver.models:
                    continue
                target = _resolve_stored(resolver, edge)
                # How it resolves counts too: a guess by name alone may become an import.
                now = {
                    (t.id, str(t.resolution)) for t in (target, *target.more) if t.id in affected
                }
                if now != {(e.dst, e.resolution) for e in group}:
                    rewires.append(Rewire(edge, target))
                    if isinstance(edge.fact, Import) and not target.is_external:
                        exported |= _exported_names(resolver, edge.path, [edge.fact])
                    if edge.table != "INHERITS" and (
                        not edge.dst.startswith(EXTERNAL_PREFIX) or not target.is_external
                    ):
                        # What it binds or returns may type a receiver of that file.
                        retyped.add(edge.path)
            for rw in recent.rewires:
                if rw.edge.site in done_recent:
                    continue
                if not any(t.id in affected for t in (rw.target, *rw.target.more)):
                    continue
                if rw.edge.path in batch_paths or rw.edge.path not in resolver.models:
                    continue
                done_recent.add(rw.edge.site)
                target = _resolve_stored(resolver, rw.edge)
                rewires.append(Rewire(rw.edge, target))
                fact = rw.edge.fact
                if isinstance(fact, Import) and rw.target.is_external and not target.is_external:
                    exported |= _exported_names(resolver, rw.edge.path, [fact])
            for path, file in recent.files.items():
                if path in batch_paths or path in reresolved:
                    continue
                if file.facts is None or file.resolved is None:
                    continue
                resolved = file.resolved
                targets = (*resolved.calls, *resolved.imports, *resolved.bases)
                if any(t.id in affected for target in targets for t in (target, *target.more)):
                    update = FileUpdate(path, file.record, file.facts, None)
                    update.resolved = resolver.resolve_file(file.facts)
                    reresolved[path] = update
                    found = [
                        imp
                        for imp, was, now_target in zip(
                            file.facts.imports,
                            resolved.imports,
                            update.resolved.imports,
                            strict=True,
                        )
                        if was.is_external and not now_target.is_external
                    ]
                    exported |= _exported_names(resolver, path, found)
            starred = _star_variants(importers, exported - chained) - chained
            exported |= starred
            exported |= _path_variants(resolver.models, exported)
            exported -= chained
            retyped -= typed_files
            if not exported and not retyped:
                break
            chained |= exported
            typed_files |= retyped
            seen, seen_edges = self._visible_anew(resolver, starred, exclude)
            typed = self.graph.typed_calls_of(sorted(retyped))
            affected |= {EXTERNAL_PREFIX + n for n in exported} | seen
            affected |= {e.dst for e in typed}
            edges = [
                e
                for e in [
                    *self.graph.edges_into_externals(sorted(exported), exclude),
                    *seen_edges,
                    *typed,
                ]
                if e.site not in replaced
            ]
        return rewires, list(reresolved.values())

    def _star_importers(self, resolver: Resolvers) -> dict[str, set[str]]:
        """`_star_importers`, kept while no model's shape changes (a file added or
        removed, or its imports changed: what a wildcard import names, or which files
        have one, cannot change otherwise), so that a save does not resolve every such
        import of the workspace again."""
        models = resolver.models
        shapes = tuple((id(m), m.shape) for m in models.models.values())
        kept = self._kept_star_importers
        if kept is None or kept[0]() is not models or kept[1] != shapes:
            kept = self._kept_star_importers = (
                weakref.ref(models),
                shapes,
                _star_importers(resolver),
            )
        return kept[2]

    def _visible_anew(
        self, resolver: Resolvers, starred: set[str], exclude: list[str]
    ) -> tuple[set[str], list[StoredEdge]]:
        """Calls and imports that may resolve through a wildcard import now: for each
        name a module sees anew that way (`starred`: `pkg.a.g` once `pkg/a.py`'s `from
        pkg.b import *` brings `g`), that module's calls of the bare name guessed by
        name alone or left at its placeholder, and every edge into what its wildcard
        imports bound the name to. Returns (the targets whose edges were read, the
        edges)."""
        paths: dict[str, set[str]] = {}  # bare name -> the files that see it anew
        # What the modules' wildcard imports bound such a name to: one may now hide
        # another's (`from a import *` before `from b import *`, and `a` gains it).
        bound: set[str] = set()
        exported: dict[str, dict[str, set[str]]] = {}
        for name in starred:
            module, _, bare = name.rpartition(".")
            for model in resolver.models.models.values():
                path = model.modules.get(module)
                if path is None:
                    continue
                paths.setdefault(bare, set()).add(path)
                scope = model.files[path]
                stars = scope.stars.get(scope.module_id, [])
                for target in _star_targets(resolver, path, stars):
                    if target not in exported:
                        exported[target] = _exported_by(resolver, target)
                    bound |= exported[target].get(bare, set())
        targets: set[str] = set(bound)
        edges: list[StoredEdge] = self.graph.edges_into(sorted(bound), exclude)
        for bare, seeing in paths.items():
            ids = [EXTERNAL_PREFIX + bare]
            for group in _guess_groups(resolver, bare, False):
                ids += group
            targets.update(ids)
            found = self.graph.edges_into(ids, exclude, ("CALLS",))
            edges += [e for e in found if e.path in seeing]
        return targets, edges

    def _bound(self, path: str, imports: list[Import]) -> set[str]:
        """The workspace symbols `imports` of `path` bind, as the model says now."""
        if not imports:
            return set()
        resolver = self._resolvers_for(self.model)
        found: set[str] = set()
        for imp in imports:
            target = resolver.resolve_import(path, imp)
            if not target.is_external:
                found.update(t.id for t in (target, *target.more))
        return found

    def _star_bound(self, path: str, stars: list[Import]) -> set[str]:
        """The workspace symbols `path`'s wildcard imports `stars` bring its module, as
        the model says now: what the modules they name export (`_exported_by`)."""
        if not stars:
            return set()
        resolver = self._resolvers_for(self.model)
        found: set[str] = set()
        for target in _star_targets(resolver, path, stars):
            for ids in _exported_by(resolver, target).values():
                found |= ids
        return found

    def _star_shadowed(self, path: str, facts: FileFacts) -> set[str]:
        """What the wildcard imports of `path`'s module bound, as the model says before
        the change, under the names `facts` now define at its top level and it did not:
        a definition hides what a wildcard import brought by its name."""
        scope = self.model.file(path)
        held = self.model.model_of(path)
        if scope is None or held is None or path not in held.star_files:
            return set()
        module_id = _module_id(facts)
        names = {s.name for s in facts.symbols if s.parent == module_id}
        names -= _defined_at_top(held, scope)
        if not names:
            return set()
        resolver = self._resolvers_for(self.model)
        found: set[str] = set()
        for target in _star_targets(resolver, path, _scope_stars(path, scope)):
            exported = _exported_by(resolver, target)
            for name in names:
                found |= exported.get(name, set())
        return found

    def _orphans(
        self,
        model: WorkspaceModels,
        path: str,
        kept: Collection[str],
        batch_paths: set[str],
        rebased: dict[str, list[str]],
        old_inherited: set[str],
    ) -> list[SymInfo]:
        """Before the batch takes `path`'s new facts: the classes of other files
        extending a type of `path` that the batch removes (not in `kept`, the file's ids
        after it) lose that base, so they count as rebased (`rebased`, by their file),
        and what they inherited through it is read again (`old_inherited`): a call
        into a method above them kept its `override` edge into theirs. Returns the
        types removed."""
        language_model = model.model_of(path)
        scope = model.file(path)
        if language_model is None or scope is None:
            return []
        gone = [
            info
            for sid in scope.symbol_ids
            if sid not in kept
            and (info := language_model.symbols.get(sid)) is not None
            and info.kind in TYPE_KINDS
        ]
        if not gone:
            return []
        before = self._resolvers_for(model)
        for sub, sub_path in _add_subtypes(
            before, path, [i.id for i in gone], batch_paths, rebased
        ):
            old_inherited.update(before.methods_above(sub_path, [sub], None, SUBCLASS_DEPTH) or ())
        return gone

    def _bases_moved_elsewhere(
        self,
        resolver: Resolvers,
        old_exports: set[str],
        new_exports: set[str],
        exclude: list[str],
    ) -> tuple[dict[str, list[str]], set[str]]:
        """Classes of files outside `exclude` whose stored base edge reached a type a
        changed module bound by import before (`old_exports`), or the placeholder of a
        name it binds anew (`new_exports`), and resolves to another target now: by
        their file (they count as rebased), and the methods of the types they extended
        before and of those above them (what their subclasses and typed calls may have
        reached through them)."""
        ids = [*sorted(old_exports), *(EXTERNAL_PREFIX + n for n in sorted(new_exports))]
        moved: dict[str, list[str]] = {}
        inherited: set[str] = set()
        for edge in self.graph.edges_into(ids, exclude, ("INHERITS",)):
            model = resolver.models.model_of(edge.path)
            if model is None or edge.src not in model.symbols:
                continue
            if _resolve_stored(resolver, edge).id == edge.dst:
                continue
            moved.setdefault(edge.path, []).append(edge.src)
            if edge.dst in model.symbols:
                inherited.update(m.id for m in model.methods_of(edge.dst))
                above = resolver.methods_above(edge.path, [edge.dst], None, SUBCLASS_DEPTH - 1)
                inherited.update(above or ())
        return moved, inherited

    def _override_targets(
        self,
        resolver: Resolvers,
        new_names: set[str],
        rebased: dict[str, list[str]],
        new_facts: list[FileFacts],
    ) -> tuple[set[str], set[str], set[str]]:
        """What a batch's new overrides and new bases concern: (the methods of
        supertypes that a method of the batch may now override, those methods, the
        qualified names a placeholder of an unresolved call may have that a new base's
        method now answers).

        A virtual call `b.run()` with `b` a `Base` reaches every override of `Base.run`
        in `Base`'s subclasses: one edge each. A method new on a subclass (`Sub.run`)
        adds one to each such call in other files, whose edge into `Base.run` says where
        they are; a class whose bases changed may override other methods now, and stop
        overriding those it did, so every method of it and of its subclasses counts,
        and their stored override edges are read again too. Its new supertypes' methods
        may answer `self.m()` in it or a subclass, or `s.m()` with `s` one of them, left
        unresolved before (placeholders named `Sub.m`). Only for languages whose
        resolver keeps supertypes (`Resolvers.methods_above`)."""
        # (path, class) -> names of its methods that may override something new.
        methods: dict[tuple[str, str], set[str]] = {}
        overriding: set[str] = set()
        inherited: set[str] = set()
        overridden: set[str] = set()
        # (path, class) -> its subclasses, walked once for both uses below.
        subclasses: dict[tuple[str, str], list[str]] = {}

        def below(path: str, cls: str) -> list[str]:
            found = subclasses.get((path, cls))
            if found is None:
                found = subclasses[(path, cls)] = (
                    resolver.descendants(path, cls, SUBCLASS_DEPTH) or []
                )
            return found

        for f in new_facts:
            for s in f.symbols:
                if s.kind == SymbolKind.METHOD and s.parent is not None and s.qualname in new_names:
                    methods.setdefault((f.path, s.parent), set()).add(s.name)
                    overriding.add(s.id)
        # Classes of the batch's files, and of other files whose bases named a type the
        # batch removed or adds (`_orphans`, `_add_subtypes`).
        for path, moved in rebased.items():
            model = resolver.models.model_of(path)
            if model is None:
                continue
            for cls in moved:
                for member in model.methods_of(cls):
                    methods.setdefault((path, cls), set()).add(member.name)
                    overriding.add(member.id)
                # A subclass's methods gain (or lose) supertypes' methods with its base's.
                for sub in below(path, cls):
                    for member in model.methods_of(sub):
                        methods.setdefault((member.path, sub), set()).add(member.name)
                        overriding.add(member.id)
                # Every method above it now: a virtual call into one may now run what
                # the class has or inherits by that name (`self.z()` in `A` reaches
                # `B.z` once `Sub(B, A)`), as the calls into the old ones may no longer.
                reached = resolver.methods_above(path, [cls], None, SUBCLASS_DEPTH) or ()
                overridden.update(reached)
                names = {model.symbols[m].name for m in reached}
                # And what a subclass found by those names through its other bases, which
                # they may hide now: `D(Sub, X)` found `X.m` until `Sub` was given `B.m`.
                subs = below(path, cls)
                if subs and names:
                    hidden = resolver.methods_above(path, subs, sorted(names), SUBCLASS_DEPTH)
                    overridden.update(hidden or ())
                for owner in (cls, *subs):
                    info = model.symbols.get(owner)
                    if info is not None:
                        inherited.update(f"{info.qualname}.{name}" for name in names)
        for (path, cls), names in methods.items():
            # A name nothing else defines overrides and hides nothing.
            model = resolver.models.model_of(path)
            shared = [n for n in names if model is not None and len(model.by_name.get(n, ())) > 1]
            if not shared:
                continue
            # Above the class, what its method overrides; above its subclasses (their
            # other bases), what it may now hide: `Sub(B, A)` found `A.z` for `s.z()`
            # until `B.z` came.
            found = resolver.methods_above(path, [cls, *below(path, cls)], shared, SUBCLASS_DEPTH)
            overridden.update(found or ())
        return overridden, overriding, inherited

    def _subclass_names(
        self,
        cls: str,
        layer_paths: set[str],
        layer_children: dict[str, list[tuple[str, str]]],
        depth: int = SUBCLASS_DEPTH,
    ) -> set[str]:
        """Qualified names of the classes inheriting from `cls`, directly or not (at
        most `depth` levels), as the stores and the layer above them say together: the
        bases of a file in the layer (this batch, or prepared and not yet written) are
        its own, its stored ones are not read."""
        names: set[str] = set()
        seen = {cls}
        level = [cls]
        for _ in range(depth):
            found = [
                (sub, qualname)
                for _, sub, qualname, path in self.graph.direct_subclasses(level)
                if path not in layer_paths
            ]
            found += [child for base in level for child in layer_children.get(base, ())]
            level = []
            for sub, qualname in found:
                if sub not in seen:
                    seen.add(sub)
                    names.add(qualname)
                    level.append(sub)
            if not level:
                break
        return names


def _layered_bases(
    updates: list[FileUpdate], recent: RecentFiles
) -> tuple[set[str], dict[str, list[tuple[str, str]]]]:
    """The files whose bases the layer states (a batch's files, then the recent
    layer's; a deleted file states none), and base id -> (class id, qualified name) of
    the classes there that inherit from it."""
    files: dict[str, tuple[FileFacts | None, ResolvedFile | None]] = {
        u.path: (u.facts, u.resolved) for u in updates
    }
    for path, file in recent.files.items():
        files.setdefault(path, (file.facts, file.resolved))
    children: dict[str, list[tuple[str, str]]] = {}
    for facts, resolved in files.values():
        if facts is None or resolved is None:
            continue
        qualnames = {s.id: s.qualname for s in facts.symbols}
        for base, target in zip(facts.bases, resolved.bases, strict=True):
            for t in (target, *target.more):
                children.setdefault(t.id, []).append(
                    (base.class_id, qualnames.get(base.class_id, ""))
                )
    return set(files), children


@dataclass(slots=True)
class Prepared:
    """A batch parsed and resolved, not yet written: what `Indexer.persist` writes."""

    updates: list[FileUpdate]
    # Other files' edges that this batch re-resolves.
    rewires: list[Rewire]
    # Catalog rows whose stat changed while their content did not.
    touched: list[FileRecord]
    # Each updated file's chunk rows (none for a deleted file).
    chunks: dict[str, pa.Table]
    report: ChangeReport
    # Files prepared earlier, not yet persisted, whose edges this batch changed: their
    # facts with new targets.
    reresolved: list[FileUpdate] = field(default_factory=list)


# Files in a batch whose changes of the model are logged for reuse, at most.
MAX_LOGGED_BATCH = 32

# Chunk rows a full index gathers before handing them to the chunk table's writer, in
# bytes of code and embedded text: bounds the rows in memory, not tuned to a workspace.
# A part costs several times its bytes while it is turned into Arrow rows, split into
# words and appended (the rows, their Arrow copy, the words, Lance's write buffers):
# with 16 MiB parts the parent rose about 100 MB for each while the parse workers still
# ran, and the parent's peak in the graph write was higher too (docs/architecture.md,
# "Memory"). Each part is one fragment of the table (11 for Django's 2,930 files), as
# each written batch of saves is, until the table is compacted.
CHUNK_BYTES_PER_PART = 4 * 1024 * 1024


class _ChunkParts:
    """A full index's chunks, written to a new chunk table part by part on the
    `kenning-chunks` thread once parsing is done, then indexed there.

    While the files are parsed, each part's Arrow rows go to a spill file on disk (an
    Arrow stream, unnamed, in the index's folder): parsing is bound by the two cores,
    and the table's appends (splitting the words, Lance's encoding: about 1.6 s of CPU
    on Django under load) took their share of them from the parse workers. Resolution
    leaves a core partly idle (the main thread and the graph's writer take turns), and
    the appends run there instead, a part in memory at a time, as before."""

    def __init__(
        self, writer: ThreadPoolExecutor, store: Callable[[], ChunkStore], folder: Path
    ) -> None:
        self._writer = writer
        self._spill = tempfile.TemporaryFile(dir=folder, prefix="chunks-")  # noqa: SIM115
        self._stream: pa.ipc.RecordBatchStreamWriter | None = None
        self._parts: list[int] = []  # rows of each part, in the spill's order
        self._rows: list[tuple[Chunk, str]] = []
        self._bytes = 0
        self._count = 0
        self.seconds = 0.0
        # Seconds per step on the writer thread: opening (importing LanceDB), appends,
        # and the indexes built at the end.
        self.timings: dict[str, float] = {}
        # Opening the store imports LanceDB: started now, it overlaps parsing. Then
        # the steps `finish_rows` adds, in order.
        self._pending: list[Future[None]] = [
            writer.submit(self._timed, "open", lambda: store().begin_all())
        ]
        self._store = store

    def _timed(self, step: str, work: Callable[[], None]) -> None:
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
        self.seconds += seconds
        self.timings[step] = self.timings.get(step, 0.0) + seconds

    def add(self, facts: FileFacts) -> None:
        rows = _chunk_rows([facts])
        self._rows += rows
        self._bytes += sum(len(c.code) + len(c.text) for c, _ in rows)
        if self._bytes >= CHUNK_BYTES_PER_PART:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        table = chunk_table(self._rows, words=False)
        self._rows, self._bytes = [], 0
        self._count += table.num_rows
        if self._stream is None:
            self._stream = pa.ipc.new_stream(self._spill, table.schema)
        self._stream.write_table(table)
        self._parts.append(table.num_rows)

    def _append_all(self) -> None:
        """Append every spilled part to the table, a part at a time (each a fragment)."""
        if not self._parts:
            return  # no chunks (no source file): the spill holds no stream at all
        self._spill.seek(0)
        batches = iter(pa.ipc.open_stream(self._spill))
        for rows in self._parts:
            held: list[pa.RecordBatch] = []
            while rows > 0:
                batch = next(batches)
                held.append(batch)
                rows -= batch.num_rows
            self._store().append(with_words(pa.Table.from_batches(held)))
            del held
            # The part's rows, their words and what Lance allocated to write them are
            # freed now: give the pages back before the next part (native_memory.py).
            native_memory.release()

    def finish_rows(self) -> None:
        """Spill what is left, then append every part and build the table's indexes on
        the writer's thread: every chunk is known once parsing ends, so the appends and
        the indexes (about 1 s on Django, most of it the full-text index of the chunks'
        words) run while the edges are resolved and written, not after them (see
        docs/architecture.md, "Where a cold full index of Django goes")."""
        self.flush()
        if self._stream is not None:
            self._stream.close()
        self._pending.append(self._writer.submit(self._timed, "append", self._append_all))
        self._pending.append(
            self._writer.submit(self._timed, "indexes", lambda: self._store().index_all())
        )

    def finish(self) -> int:
        """Wait for the table's rows and indexes; queries read it from now on. The
        number of chunks."""
        for step in self._pending:
            step.result()  # in order: the open, the appends, the indexes
        self._store().serve_all()
        return self._count

    def close(self) -> None:
        self._spill.close()


class _Spill:
    """Each file's call sites, imports and bases, kept on disk between a full index's
    two passes (msgpack, length-prefixed parts); the file goes when the index is done."""

    def __init__(self, folder: Path) -> None:
        self._file = tempfile.TemporaryFile(dir=folder, prefix="spill-")  # noqa: SIM115
        self._decoder = msgspec.msgpack.Decoder(list[EdgeFacts])

    def __enter__(self) -> _Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def write_encoded(self, data: bytes) -> None:
        """Write a part that is already msgpack of `list[EdgeFacts]` (the parse
        workers encode it: `ParsedSlice.edges`)."""
        if data:
            self._file.write(len(data).to_bytes(8, "little") + data)

    def read(self) -> Iterator[list[EdgeFacts]]:
        self._file.flush()
        self._file.seek(0)
        while header := self._file.read(8):
            yield self._decoder.decode(self._file.read(int.from_bytes(header, "little")))


def _exporting(path: str, stars: bool = False) -> Callable[[Import, str | None], bool]:
    """Whether an import of `path` binds a name other modules may import from its
    module, given the module's symbol id: a top-level import of one name (`stars`: a
    wildcard import, through which they may import what the module it names exports),
    each such import where the language's `imports_export` says so, else only a
    re-export (`export * from` in TypeScript; Java's `import p.*` exports nothing)."""
    support = for_path(path)
    every = support is not None and support.imports_export

    def exports(imp: Import, module_id: str | None) -> bool:
        return imp.scope == module_id and (imp.name == "*") == stars and (every or imp.reexport)

    return exports


def _exported_names(resolver: Resolvers, path: str, imports: list[Import]) -> set[str]:
    """The qualified names under which other modules may import what `imports` bind at
    the top level of `path`'s module (`pkg.Foo` for `from .core import Foo` in
    `pkg/__init__.py`; `_exporting`)."""
    scope = resolver.models.file(path)
    if scope is None:
        return set()
    exports = _exporting(path)
    return {f"{scope.module}.{imp.alias}" for imp in imports if exports(imp, scope.module_id)}


def _exports_changed(
    model: WorkspaceModels, path: str, facts: FileFacts | None
) -> tuple[list[Import], list[str]]:
    """What a file's module exports by import at its top level, as other modules may
    import it from there: (the imports the model holds that `facts` no longer export
    the same way, the names `facts` export by import that the model's did not). An
    import a top-level definition of the same name shadows exports nothing. `facts`
    None: the file is gone. Which imports export: `_exporting`."""
    exports = _exporting(path)

    def key(imp: Import) -> tuple[str, str | None]:
        return (imp.module, imp.name)

    old: dict[str, Import] = {}
    scope = model.file(path)
    held = model.model_of(path)
    if scope is not None and held is not None:
        defined = _defined_at_top(held, scope)
        bound = scope.bindings.get(scope.module_id, {})
        old = {
            alias: imp
            for alias, imp in bound.items()
            if exports(imp, scope.module_id) and alias not in defined
        }
    new: dict[str, Import] = {}
    if facts is not None:
        module_id = _module_id(facts)
        defined = {s.name for s in facts.symbols if s.parent == module_id}
        for imp in facts.imports:
            if exports(imp, module_id):
                new[imp.alias] = imp  # the last one wins, as in the model
        new = {alias: imp for alias, imp in new.items() if alias not in defined}
    gone = [imp for alias, imp in old.items() if alias not in new or key(new[alias]) != key(imp)]
    came = [alias for alias, imp in new.items() if alias not in old or key(old[alias]) != key(imp)]
    return gone, came


_GUESSED_KINDS = frozenset({SymbolKind.FUNCTION, SymbolKind.CLASS})


def _guess_group(model: WorkspaceModel, name: str, method: bool) -> list[str]:
    """The definitions of `name` a call guessed by name alone chooses among: its
    methods, or its functions and classes (a language's resolver may count fewer)."""
    symbols = model.symbols
    if method:
        return [i for i in model.by_name.get(name, ()) if symbols[i].kind == SymbolKind.METHOD]
    return [i for i in model.by_name.get(name, ()) if symbols[i].kind in _GUESSED_KINDS]


def _guesses_beside(
    resolver: Resolvers, new_facts: list[FileFacts], new_names: set[str]
) -> tuple[set[str], set[str]]:
    """For the definitions the batch adds: (the others of their names that a call
    guessed by name alone may have been given, where there are few enough for a guess,
    `LanguageSupport.name_only_limit`; the new definitions themselves)."""
    others: set[str] = set()
    came: set[str] = set()
    for f in new_facts:
        support = for_path(f.path)
        model = resolver.models.model_of(f.path)
        if support is None or model is None or not support.name_only_limit:
            continue
        for s in f.symbols:
            method = s.kind == SymbolKind.METHOD
            if s.qualname not in new_names or not (method or s.kind in _GUESSED_KINDS):
                continue
            came.add(s.id)
            group = [i for i in _guess_group(model, s.name, method) if i != s.id]
            if len(group) <= support.name_only_limit:
                others.update(group)
    return others - came, came


def _guess_groups(resolver: Resolvers, name: str, method: bool) -> Iterator[list[str]]:
    """In each language whose resolver guesses, the definitions of `name` a call guessed
    by name alone chooses among (`_guess_group`), where they are few enough for a guess
    (`LanguageSupport.name_only_limit`)."""
    for support in LANGUAGES:
        model = resolver.models.models.get(support.name)
        if model is not None and support.name_only_limit:
            group = _guess_group(model, name, method)
            if len(group) <= support.name_only_limit:
                yield group


def _guessable(resolver: Resolvers, gone: set[str]) -> set[str]:
    """Of the names of definitions the batch removed, those still defined few enough
    times for a call of that name to be guessed by name alone, which left at their
    placeholder (`ext:name`) while there were more may be now."""
    return {
        name
        for name in gone
        if "." not in name
        and any(
            group for method in (False, True) for group in _guess_groups(resolver, name, method)
        )
    }


def _scope_stars(path: str, scope: FileScope) -> list[Import]:
    """The exporting wildcard imports (`_exporting`) of `path`, whose scope is `scope`."""
    exports = _exporting(path, stars=True)
    return [imp for imp in scope.stars.get(scope.module_id, ()) if exports(imp, scope.module_id)]


def _module_id(facts: FileFacts) -> str | None:
    return next((s.id for s in facts.symbols if s.kind == SymbolKind.MODULE), None)


def _defined_at_top(model: WorkspaceModel, scope: FileScope) -> set[str]:
    """The names the module of `scope` defines at its top level, as `model` holds it."""
    return {
        info.name
        for sid in scope.symbol_ids
        if (info := model.symbols.get(sid)) is not None and info.parent == scope.module_id
    }


def _stars_changed(
    model: WorkspaceModels, path: str, facts: FileFacts | None
) -> tuple[list[Import], list[Import]]:
    """A module's exporting wildcard imports (`_scope_stars`) that the model holds
    and `facts` no longer have, and those `facts` have that it did not, by the module
    each names. `facts` None: the file is gone."""
    scope = model.file(path)
    old = _scope_stars(path, scope) if scope is not None else []
    new: list[Import] = []
    if facts is not None:
        module_id = _module_id(facts)
        exports = _exporting(path, stars=True)
        new = [imp for imp in facts.imports if exports(imp, module_id)]
    old_modules = {imp.module for imp in old}
    new_modules = {imp.module for imp in new}
    gone = [imp for imp in old if imp.module not in new_modules]
    came = [imp for imp in new if imp.module not in old_modules]
    return gone, came


def _star_targets(resolver: Resolvers, path: str, stars: Iterable[Import]) -> list[str]:
    """The workspace files the wildcard imports `stars` of `path` name, as resolved now."""
    found: list[str] = []
    model = resolver.models.model_of(path)
    for star in stars:
        target = resolver.resolve_import(path, star)
        if target.is_external:
            continue
        info = model.symbols.get(target.id) if model is not None else None
        if info is not None and info.kind == SymbolKind.MODULE:
            found.append(info.path)
    return found


def _exported_by(
    resolver: Resolvers, path: str, depth: int = EXPORT_CHAIN_DEPTH
) -> dict[str, set[str]]:
    """What the module of `path` exports, as the model says now: each name and the
    workspace symbols it binds (none where it binds none): its top-level definitions,
    the names its imports export (`_exporting`), and what the modules its exporting
    wildcard imports name export, `depth` modules down (the first to bind a name wins,
    as in the resolvers)."""
    found: dict[str, set[str]] = {}
    scope = resolver.models.file(path)
    held = resolver.models.model_of(path)
    if scope is None or held is None:
        return found
    for sid in scope.symbol_ids:
        info = held.symbols.get(sid)
        if info is not None and info.parent == scope.module_id:
            found.setdefault(info.name, set()).add(sid)
    exports = _exporting(path)
    for alias, imp in scope.bindings.get(scope.module_id, {}).items():
        if exports(imp, scope.module_id) and alias not in found:
            target = resolver.resolve_import(path, imp)
            found[alias] = set() if target.is_external else {t.id for t in (target, *target.more)}
    if depth > 0:
        for target_path in _star_targets(resolver, path, _scope_stars(path, scope)):
            if target_path != path:
                for name, ids in _exported_by(resolver, target_path, depth - 1).items():
                    found.setdefault(name, ids)
    return found


def _star_importers(resolver: Resolvers) -> dict[str, set[str]]:
    """Each module that others import by an exporting wildcard import, and those others
    (`pkg.core` -> {`pkg`} for `from .core import *` in `pkg/__init__.py`): only the
    files with such an import are looked at (`WorkspaceModel.star_files`)."""
    importers: dict[str, set[str]] = {}
    for model in resolver.models.models.values():
        for path in model.star_files:
            scope = model.files.get(path)
            if scope is None:
                continue
            for target in _star_targets(resolver, path, _scope_stars(path, scope)):
                named = model.files.get(target)
                if named is not None and target != path:
                    importers.setdefault(named.module, set()).add(scope.module)
    return importers


def _star_variants(importers: dict[str, set[str]], names: set[str]) -> set[str]:
    """`names` as the modules that import theirs by an exporting wildcard import
    (`importers`, from `_star_importers`) export them in turn, down a chain of such
    modules (`EXPORT_CHAIN_DEPTH`): `pkg.Foo` for `pkg.core.Foo` where `pkg/__init__.py`
    has `from .core import *`, as an importer's placeholder names it (`from pkg import
    Foo`, left unresolved before `Foo` came)."""
    found: set[str] = set()
    if not importers:
        return found
    level = names
    for _ in range(EXPORT_CHAIN_DEPTH):
        reached: set[str] = set()
        for name in level:
            head, _, rest = name.partition(".")
            while rest:
                for module in importers.get(head, ()):
                    reached.add(f"{module}.{rest}")
                more, _, rest = rest.partition(".")
                head = f"{head}.{more}"
        level = reached - found - names
        if not level:
            break
        found |= level
    return found


def _path_variants(models: WorkspaceModels, names: Iterable[str]) -> set[str]:
    """`names` under the module their file's path names, for those under a module that
    configuration names otherwise (`LanguageSupport.path_module`): `src/util.parse`
    for `util.parse`, `src/util.ts` being `util` by `baseUrl`. An unresolved reference
    through a relative import carries the path's name."""
    renamed: list[tuple[WorkspaceModel, Callable[[str], str]]] = [
        (model, support.path_module)
        for support in LANGUAGES
        if support.path_module is not None
        and (model := models.models.get(support.name)) is not None
    ]
    found: set[str] = set()
    if not renamed:
        return found
    for name in names:
        head = name
        while head:
            for model, path_module in renamed:
                path = model.modules.get(head)
                if path is not None and (named := path_module(path)) != head:
                    found.add(named + name[len(head) :])
            head = head.rpartition(".")[0]
    return found


def _overloads_changed(model: WorkspaceModels, path: str, facts: FileFacts) -> set[str]:
    """The ids a file's overloaded names had before `facts`, where its declarations of
    such a name differ now (added, removed, or their signatures changed). A name declared
    more than once in a scope numbers its declarations (`run`, `run@2`): one removed or
    inserted gives the ones after it the ids of others, and an edge into such an id now
    means another declaration; and calls choose among a name's overloads by their
    parameters (Java), so one added or changed may change their choice."""
    scope = model.file(path)
    language_model = model.model_of(path)
    if scope is None or language_model is None:
        return set()
    before: dict[str, list[tuple[str, str]]] = {}
    for sid in scope.symbol_ids:
        info = language_model.symbols.get(sid)
        if info is not None:
            before.setdefault(info.qualname, []).append((sid, info.signature))
    after: dict[str, list[tuple[str, str]]] = {}
    for symbol in facts.symbols:
        after.setdefault(symbol.qualname, []).append((symbol.id, symbol.signature))
    changed: set[str] = set()
    for qualname, old in before.items():
        new = after.get(qualname, [])
        if max(len(old), len(new)) > 1 and old != new:
            changed.update(sid for sid, _ in old)
    return changed


def _add_subtypes(
    resolvers: Resolvers,
    path: str,
    types: Sequence[str],
    batch_paths: set[str],
    rebased: dict[str, list[str]],
) -> list[tuple[str, str]]:
    """Add to `rebased` the direct subtypes of `types` (defined in `path`) in files
    outside the batch, as the resolvers see them now; returns those added, each with
    its file."""
    model = resolvers.models.model_of(path)
    if model is None:
        return []
    added: list[tuple[str, str]] = []
    for t in types:
        for sub in resolvers.descendants(path, t, 1) or ():
            info = model.symbols.get(sub)
            if info is None or info.path in batch_paths:
                continue
            listed = rebased.setdefault(info.path, [])
            if sub not in listed:
                listed.append(sub)
                added.append((sub, info.path))
    return added


def _resolved_bases(
    resolvers: Resolvers, path: str, facts: FileFacts, moved: list[str]
) -> dict[str, list[str]]:
    """The workspace supertypes each class of `facts` with bases resolves to before
    the model takes `facts`, where its base list reads as before (not in `moved`); {}
    where the language's resolver keeps no supertypes."""
    scope = resolvers.models.file(path)
    resolver = resolvers.language_resolver(path)
    up = getattr(resolver, "direct_supertypes", None)
    if scope is None or up is None:
        return {}
    classes = sorted({b.class_id for b in facts.bases} - set(moved))
    return {cls: list(up(cls)) for cls in classes if cls in scope.bases}


def _moved_bases(
    resolvers: Resolvers, path: str, kept: dict[str, list[str]]
) -> tuple[list[str], set[str]]:
    """Of the classes `kept` holds (their supertypes before the batch), those whose
    supertypes differ now, and the methods their old supertypes and the types above
    those define: what their subclasses and typed calls may have reached."""
    resolver = resolvers.language_resolver(path)
    up = getattr(resolver, "direct_supertypes", None)
    model = resolvers.models.model_of(path)
    if up is None or model is None:
        return [], set()
    moved = [cls for cls, old in kept.items() if cls in model.symbols and list(up(cls)) != old]
    inherited: set[str] = set()
    for cls in moved:
        old = [t for t in kept[cls] if t in model.symbols]
        inherited.update(m.id for t in old for m in model.methods_of(t))
        inherited.update(resolvers.methods_above(path, old, None, SUBCLASS_DEPTH - 1) or ())
    return moved, inherited


def _note_holder(
    model: WorkspaceModels, path: str, holders: dict[tuple[str, str], str | None]
) -> None:
    """Note which file holds the module name of `path`'s file before the batch
    changes it (`WorkspaceModel.modules`: the lowest path of those claiming it)."""
    scope = model.file(path)
    language = model.language_of.get(path)
    language_model = model.model_of(path)
    if scope is not None and language is not None and language_model is not None:
        holders.setdefault((language, scope.module), language_model.modules.get(scope.module))


def _previous_holders(
    model: WorkspaceModels, holders: dict[tuple[str, str], str | None]
) -> set[str]:
    """The definitions of each file that held a module name before the batch, held it
    no longer after it, and is still in the model: `import pkg.mod` and `from pkg.mod
    import f` resolved into it, and resolve into the new holder now."""
    found: set[str] = set()
    for (language, module), before in holders.items():
        language_model = model.model(language)
        if before is not None and language_model.modules.get(module) != before:
            found.update(language_model.symbol_ids_of(before))
    return found


def _rebased(scope: FileScope | None, facts: FileFacts) -> list[str]:
    """The types of `facts` whose base list differs from the one the model holds for
    them (`scope`, the file's before the change), new types with bases included."""
    bases: dict[str, list[str]] = {}
    for base in facts.bases:
        bases.setdefault(base.class_id, []).append(base.expr)
    old = scope.bases if scope is not None else {}
    types = sorted(s.id for s in facts.symbols if s.kind in TYPE_KINDS)
    return [t for t in types if bases.get(t, []) != list(old.get(t, ()))]


def _detached_methods(resolver: Resolvers, names: set[str]) -> list[tuple[str, str]]:
    """(id, path) of the methods declared for a type named in `names` outside that type
    (`WorkspaceModel.detached`)."""
    found: set[tuple[str, str]] = set()
    for model in resolver.models.models.values():
        for name in names:
            for sid in model.detached.get(name, ()):
                info = model.symbols.get(sid)
                if info is not None:
                    found.add((sid, info.path))
    return sorted(found)


def _retyping(
    model: WorkspaceModels, path: str, facts: FileFacts
) -> dict[str, frozenset[str] | None]:
    """The functions and methods of `facts` that `path` defined before with another
    stated result (`result_text` of their signatures: None), and its types an attribute
    of which went or states another type (`Symbol.attributes`: those attributes' names),
    asked before the model takes `facts`."""
    language_model = model.model_of(path)
    if language_model is None:
        return {}
    changed: dict[str, frozenset[str] | None] = {}
    for sym in facts.symbols:
        old = language_model.symbols.get(sym.id)
        if old is None:
            continue
        if sym.kind in (SymbolKind.FUNCTION, SymbolKind.METHOD):
            if result_text(old.signature) != result_text(sym.signature):
                changed[sym.id] = None
        elif sym.kind in TYPE_KINDS:
            names = _attributes_retyped(old.attributes, sym.attributes)
            if names:
                changed[sym.id] = names
    return changed


def _attributes_retyped(old: Sequence[str], new: Sequence[str]) -> frozenset[str]:
    """The names of a type's attributes (`name: Type`) that went or state another type
    now; one added types nothing that reached the type before."""
    now = set(new)
    return frozenset(entry.partition(":")[0].strip() for entry in old if entry not in now)


def result_text(signature: str) -> str:
    """What a signature states after its parameters: its result type as written
    (`(a) -> Foo`, `(a: T): Foo`, `(a int) (*Foo, error)`: `Foo`, `Foo`, `(*Foo,
    error)`); type parameters before them are skipped. The whole text where there are
    no parameters."""
    depth = 0
    start = -1
    for i, char in enumerate(signature):
        if char in "[<" and start < 0:
            depth += 1
        elif char in "]>" and start < 0 and depth:
            depth -= 1
        elif char == "(" and depth == 0:
            if start < 0:
                start = i
            depth += 1
        elif char == "(":
            depth += 1
        elif char == ")" and start >= 0:
            depth -= 1
            if depth == 0:
                return signature[i + 1 :].strip().removeprefix("->").removeprefix(":").strip()
    return signature


def _resolve_stored(resolver: Resolvers, edge: StoredEdge) -> Target:
    fact = edge.fact
    if isinstance(fact, CallSite):
        return resolver.resolve_call(edge.path, fact)
    if isinstance(fact, Import):
        return resolver.resolve_import(edge.path, fact)
    assert isinstance(fact, BaseClass)
    return resolver.resolve_base(edge.path, fact)


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return 0, 0
    return st.st_size, st.st_mtime_ns


def _changed_files(
    found: Discovery, catalog: dict[str, FileRecord]
) -> tuple[list[FoundFile], list[str]]:
    """Files whose size or mtime differ from the catalog, and catalog files now gone."""
    changed = [
        f
        for f in found.files
        if (r := catalog.get(f.path)) is None or r.size != f.size or r.mtime_ns != f.mtime_ns
    ]
    present = {f.path for f in found.files}
    deleted = sorted(p for p in catalog if p not in present)
    return changed, deleted


def _chunk_rows(facts_list: Sequence[FileFacts]) -> list[tuple[Chunk, str]]:
    out: list[tuple[Chunk, str]] = []
    for facts in facts_list:
        qualnames = {s.id: s.qualname for s in facts.symbols}
        for chunk in facts.chunks:
            out.append((chunk, qualnames.get(chunk.symbol_id, facts.module)))
    return out


def load_model(graph: GraphStore) -> WorkspaceModels:
    """Rebuild the resolution models from what the graph store holds.

    With the cyclic collector paused: the model is a few hundred thousand long-lived
    objects (Django's), and each full collection while they were made walked all made
    so far (5 of them, 0.28 s of a 1.27 s load on Django). A daemon freezes the model
    once loaded (`LiveWorkspace`), so the collector never walks it after either."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_model(graph)
    finally:
        if enabled:
            gc.enable()


def _load_model(graph: GraphStore) -> WorkspaceModels:
    stored = graph.model_rows()
    model = WorkspaceModels()
    for f in stored.files:
        model.add_file_row(f.path, f.language, f.module)
    for s in stored.symbols:
        model.add_symbol_row(
            SymInfo(
                s.id,
                s.name,
                s.qualname,
                s.kind,
                s.parent,
                s.path,
                s.signature,
                s.decorators,
                s.attributes,
            )
        )
    for path, imported in stored.imports:
        model.add_import_row(path, imported)
    for base in stored.bases:
        file_scope = model.file(base.path)
        if file_scope is not None:
            file_scope.bases.setdefault(base.class_id, []).append(base.expr)
    return model
