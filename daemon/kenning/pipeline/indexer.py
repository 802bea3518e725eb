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

import logging
import time
from collections.abc import Callable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import msgspec
from tree_sitter import Tree

from kenning.core.facts import (
    BaseClass,
    CallSite,
    Chunk,
    FileFacts,
    Import,
    ImportKind,
    Span,
    SymbolKind,
)
from kenning.core.graph import Resolution, Target
from kenning.core.settings import Settings
from kenning.languages import Layouts, Resolvers, for_path
from kenning.pipeline.discover import (
    Discovery,
    FoundFile,
    Skipped,
    content_hash,
    discover,
    read_source,
)
from kenning.pipeline.parse_pool import ParseJob, default_workers, parse_files
from kenning.resolve.model import SymInfo, WorkspaceModels
from kenning.storage.chunks import ChunkStore, chunk_table
from kenning.storage.graph import (
    FileRecord,
    FileUpdate,
    GraphStore,
    Rewire,
    StoredEdge,
    diagnostics_json,
)
from kenning.storage.index_dir import IndexDir

log = logging.getLogger(__name__)

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


class Indexer:
    """Owns the write side of one workspace's stores."""

    def __init__(self, root: Path, settings: Settings, graph: GraphStore, index_dir: IndexDir):
        self.root = root
        self.settings = settings
        self.graph = graph
        self.index_dir = index_dir
        self._chunks: ChunkStore | None = None
        self._model: WorkspaceModels | None = None
        self._layouts: Layouts | None = None

    # -- lazily opened pieces -----------------------------------------------------

    @property
    def chunks(self) -> ChunkStore:
        if self._chunks is None:
            self._chunks = ChunkStore(self.index_dir.chunks_path)
        return self._chunks

    @property
    def model(self) -> WorkspaceModels:
        """The resolution models, rebuilt from the graph store on first use."""
        if self._model is None:
            self._model = load_model(self.graph)
        return self._model

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
            return self._full(found, skipped, timer, progress)
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
        report = self.apply_bytes(changes, found=found.files)
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
        records: list[FileRecord] = []
        facts_list: list[FileFacts] = []
        workers = default_workers(self.settings.parse_workers)
        done = 0
        # One background thread for the chunk table: importing LanceDB (about a second)
        # overlaps parsing, and writing chunks and their text index (native code that
        # releases the GIL) overlaps resolution and the graph write.
        chunk_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kenning-chunks")
        opened = chunk_writer.submit(lambda: self.chunks)
        for piece in parse_files(self.root, jobs, self.settings.max_file_size, workers):
            skipped.extend(piece.skipped)
            for parsed in piece.parsed:
                facts = parsed.facts
                model.add_facts(facts)
                facts_list.append(facts)
                records.append(
                    FileRecord(
                        facts.path,
                        facts.language,
                        facts.module,
                        parsed.size,
                        parsed.mtime_ns,
                        parsed.hash,
                        diagnostics_json(facts),
                    )
                )
            done += len(piece.parsed) + len(piece.skipped)
            if progress is not None:
                progress("parse", done, len(jobs))
        timer.lap("parse")
        opened.result()
        chunks_written = chunk_writer.submit(self._write_all_chunks, facts_list, timer)
        try:
            resolver = Resolvers(model)
            resolved = [resolver.resolve_file(f) for f in facts_list]
            timer.lap("resolve")
            self.index_dir.set_loading(True)
            self.graph.clear()
            graph_write = self.graph.bulk_load(records, facts_list, resolved)
            timer.lap("graph_write")
            chunk_count = chunks_written.result()
            self.index_dir.set_loading(False)
            timer.lap("chunk_wait")
        finally:
            chunk_writer.shutdown(wait=True)
        self._model = model
        mix: dict[str, int] = {}
        for f, r in zip(facts_list, resolved, strict=True):
            for call, t in zip(f.calls, r.calls, strict=True):
                if call.implicit and t.resolution == Resolution.UNRESOLVED:
                    continue  # code without call syntax that reached nothing: no edge
                mix[str(t.resolution)] = mix.get(str(t.resolution), 0) + 1
        return IndexReport(
            mode="full",
            files=len(facts_list),
            parsed=len(facts_list),
            deleted=0,
            skipped=sorted(skipped),
            diagnostics=sum(len(f.diagnostics) for f in facts_list),
            symbols=sum(len(f.symbols) for f in facts_list),
            calls=sum(mix.values()),
            call_resolution=dict(sorted(mix.items())),
            chunks=chunk_count,
            graph_write=graph_write,
            timings=timer.report(),
        )

    def _write_all_chunks(self, facts_list: list[FileFacts], timer: _Timer) -> int:
        started = time.perf_counter()
        rows = chunk_table(_chunk_rows(facts_list))
        self.chunks.replace_all(rows)
        # Reported apart from the laps: it runs beside resolution and the graph write.
        timer.timings["chunk_write_bg"] = round(time.perf_counter() - started, 4)
        return int(rows.num_rows)

    # -- incremental --------------------------------------------------------------

    def relpath(self, path: str | Path) -> str:
        return workspace_path(self.root, path)

    def apply(
        self,
        changes: Sequence[tuple[str, str | bytes | None]],
        trees: MutableMapping[str, Tree] | None = None,
    ) -> ChangeReport:
        """Apply edits: (path, new text) or (path, None) to re-read the file from disk.
        `trees` as for `apply_bytes`, keyed by the workspace-relative path."""
        encoded: list[tuple[str, bytes | None]] = []
        for path, text in changes:
            rel = self.relpath(path)
            if isinstance(text, str):
                encoded.append((rel, text.encode("utf-8", "surrogatepass")))
            elif text is not None:
                encoded.append((rel, text))
            else:
                data = read_source(self.root, rel, self.settings.max_file_size)
                encoded.append((rel, None if isinstance(data, Skipped) else data))
        return self.apply_bytes(encoded, trees=trees)

    def apply_bytes(
        self,
        changes: Sequence[tuple[str, bytes | None]],
        found: Sequence[FoundFile] | None = None,
        *,
        trees: MutableMapping[str, Tree] | None = None,
    ) -> ChangeReport:
        """Write one batch: each file's new bytes, or None when it is gone.

        `trees` (open editor buffers) maps a path to its last tree with the edits since
        already applied: that file is reparsed incrementally from it. Every file this
        batch parses gets its new tree stored there, for the next edit.
        """
        started = time.perf_counter()
        model = self.model
        catalog = self.graph.catalog([p for p, _ in changes])
        stats = {f.path: f for f in found} if found is not None else {}
        updates: list[FileUpdate] = []
        changed: list[str] = []
        deleted: list[str] = []
        unchanged: list[str] = []
        touched: list[FileRecord] = []
        old_ids: set[str] = set()
        old_names: set[str] = set()
        new_facts: list[FileFacts] = []
        for path, data in changes:
            language = for_path(path)
            if data is None or language is None:
                if path in catalog or path in model:
                    old_ids.update(model.symbol_ids_of(path))
                    model.remove_file(path)
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
            if trees is None:
                facts = language.extract_facts(path, data, module)
            else:
                facts, trees[path] = language.extract(path, data, module, trees.get(path))
            model.replace(facts)
            new_facts.append(facts)
            stat = stats.get(path)
            size, mtime_ns = (stat.size, stat.mtime_ns) if stat else _stat(self.root / path)
            record = FileRecord(
                path, language.name, facts.module, size, mtime_ns, digest, diagnostics_json(facts)
            )
            updates.append(FileUpdate(path, record, facts, None))
            changed.append(path)
        if touched:
            self.graph.touch_files(touched)
        if not updates:
            return ChangeReport(
                changed=[],
                deleted=[],
                unchanged=unchanged,
                rewired=0,
                graph_write="",
                seconds=round(time.perf_counter() - started, 4),
            )
        resolver = Resolvers(model)
        for u in updates:
            if u.facts is not None:
                u.resolved = resolver.resolve_file(u.facts)
        rewires = self._rewires(resolver, old_ids, old_names, [u.path for u in updates], new_facts)
        bulk = len(updates) >= self.settings.bulk_threshold
        graph_write = self.graph.write_batch(updates, rewires, bulk=bulk)
        rows = chunk_table(_chunk_rows(new_facts))
        self.chunks.replace_files([u.path for u in updates], rows)
        return ChangeReport(
            changed=changed,
            deleted=deleted,
            unchanged=unchanged,
            rewired=len(rewires),
            graph_write=graph_write,
            seconds=round(time.perf_counter() - started, 4),
            text_hashes=list(dict.fromkeys(rows.column("text_hash").to_pylist())),
        )

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
        batch_paths: list[str],
        new_facts: list[FileFacts],
    ) -> list[Rewire]:
        """Edges of other files that pointed at this batch's symbols, or could now.

        Two kinds: edges into symbols that no longer exist, and edges into `external`
        placeholders named like a definition these files did not have before (so
        `from a import bar` starts resolving when `bar` appears in `a.py`). Names the
        files already defined cannot change what an unresolved edge resolves to.
        """
        new_ids = {s.id for f in new_facts for s in f.symbols}
        removed = sorted(old_ids - new_ids)
        added = {n for f in new_facts for s in f.symbols for n in (s.qualname, s.name)}
        new_names = added - old_names
        # A method new on a class can satisfy `self.m()` in its subclasses, whose
        # unresolved placeholders are named after the subclass (`ext:pkg.Sub.m`).
        gained: dict[str, list[str]] = {}
        for f in new_facts:
            for s in f.symbols:
                if s.kind == SymbolKind.METHOD and s.qualname in new_names and s.parent:
                    gained.setdefault(s.parent, []).append(s.name)
        for parent, methods in gained.items():
            for sub in self.graph.subclass_names([parent]):
                new_names.update(f"{sub}.{m}" for m in methods)
        names = sorted(new_names)
        edges = self.graph.edges_into(removed, batch_paths)
        edges += self.graph.edges_into_externals(names, batch_paths)
        rewires: list[Rewire] = []
        seen: set[tuple[str, str, str, int, int]] = set()
        for edge in edges:
            key = (
                edge.table,
                edge.src,
                edge.dst,
                edge.fact.span.start_line,
                edge.fact.span.start_col,
            )
            if key in seen or edge.path not in resolver.models:
                continue
            seen.add(key)
            target = _resolve_stored(resolver, edge)
            if target.id != edge.dst or edge.dst in old_ids:
                rewires.append(Rewire(edge, target))
        return rewires


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
    """Rebuild the resolution models from what the graph store holds."""
    files, symbols, imports, bases = graph.model_rows()
    model = WorkspaceModels()
    for path, language, module in files:
        model.add_file_row(path, language, module)
    for sid, name, qualname, kind, parent, path, signature, decorators in symbols:
        model.add_symbol_row(
            SymInfo(
                sid, name, qualname, kind, parent, path, signature or "", tuple(decorators or ())
            )
        )
    for row in imports:
        path, scope, module, name, alias, kind, l0, c0, l1, c1, cond, type_only, reexport, extra = (
            row
        )
        file_scope = model.file(path)
        if file_scope is not None:
            file_scope.add_import(
                Import(
                    module=module,
                    name=name,
                    alias=alias,
                    span=Span(l0, c0, l1, c1),
                    scope=scope,
                    kind=ImportKind(kind),
                    conditional=bool(cond),
                    type_only=bool(type_only),
                    reexport=bool(reexport),
                    extra=extra or "",
                )
            )
    for path, class_id, expr in bases:
        file_scope = model.file(path)
        if file_scope is not None:
            file_scope.bases.setdefault(class_id, []).append(expr)
    return model
