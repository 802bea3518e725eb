"""`LiveWorkspace`: one workspace folder kept up to date while a daemon runs.

It owns the folder's `Engine`, the writer thread that applies changes to it (a keyed,
debounced `ChangeScheduler`), the editor's open documents, and a file watcher when the
editor does not watch files. Every write goes through the scheduler, so the stores
have one writer; queries read the engine from the daemon's query threads meanwhile.

It knows nothing of LSP: the server feeds it edits and reads its state, and it reports
back by posting one of a closed set of events (`Event`), from whichever thread they
happen on; the receiver hops to its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kenning.core.settings import Settings
from kenning.engine.engine import WRITE_BEHIND_MAX_FILES, Engine, ReadOnly
from kenning.pipeline.discover import PathFilter
from kenning.pipeline.documents import OpenDocument, TextChange
from kenning.pipeline.embedder import EmbedProgress
from kenning.pipeline.executors import in_background
from kenning.pipeline.scheduler import ChangeScheduler, Future, PendingChange
from kenning.pipeline.watcher import FileWatcher
from kenning.storage.index_dir import IndexError_, IndexIncompatible, IndexLocked

log = logging.getLogger(__name__)

# Opening another process's index read-only is tried this often, 0.25 s apart.
READ_ONLY_ATTEMPTS = 8
# A batch of edits is a few files: one that runs this long has the writer stuck (on a
# file that never finishes reading, a store that never answers), and status says so.
WRITER_STUCK_SECONDS = 60.0


# -- events ---------------------------------------------------------------------------
# What a live workspace tells its owner, from whichever thread it happens on (the
# writer, the embedding pool, the watcher). One closed set: the receiver matches on it
# (`server/workspaces.py`), so an event it does not handle is a type error, not a
# callback nobody wired up.


@dataclass(frozen=True, slots=True)
class Changed:
    """Phase or counts changed (cheap; the receiver recomputes status when it likes)."""


@dataclass(frozen=True, slots=True)
class Indexing:
    """Phase 1 progress; `message` None: indexing ended."""

    message: str | None
    percentage: int | None = None


@dataclass(frozen=True, slots=True)
class Embedding:
    """A progress snapshot of the embedding pool (phase 2)."""

    progress: EmbedProgress


@dataclass(frozen=True, slots=True)
class WorkerFailed:
    """A worker failed and the daemon keeps going; `message` is for the user."""

    message: str


Event = Changed | Indexing | Embedding | WorkerFailed
Post = Callable[[Event], None]


def _drop(event: Event) -> None:
    return None


@dataclass
class Outcome:
    """What opening a folder came to: a message for the user when it is not plain."""

    writer: bool
    warning: str = ""
    error: str = ""


@dataclass(frozen=True)
class _State:
    """What a status read needs, replaced whole (never changed in place), so a reader
    on any thread sees one consistent state. The writes are ordered, not concurrent:
    opening (a worker thread, before the writer exists), then the event loop when it
    queues a catch-up, then the writer thread that runs it."""

    indexing: bool = False
    error: str = ""
    warning: str = ""


class LiveWorkspace:
    def __init__(self, root: Path, settings: Settings, post: Post = _drop) -> None:
        self.root = root.resolve()
        self.settings = settings
        # Where events go; called from any thread (the receiver hops to its own).
        self.post = post
        self.engine: Engine | None = None
        self.scheduler: ChangeScheduler | None = None
        self.watcher: FileWatcher | None = None
        self.filter = PathFilter(self.root, settings)
        # Open buffers by workspace-relative path; mutated on the event loop only.
        # The buffer indexed for each open file: the one edited last.
        self.documents: dict[str, OpenDocument] = {}
        # Every session's buffer of each open file, the one edited last at the end.
        self._sessions: dict[str, dict[str, OpenDocument]] = {}
        self._state = _State()
        # The embedding pool's last report.
        self.embedding = EmbedProgress(state="idle")
        # Open buffers over `max_file_size`: not indexed, and the user is told once.
        self.oversized: set[str] = set()
        self.writer_stuck_seconds = WRITER_STUCK_SECONDS

    # -- lifecycle (blocking: call from a worker thread) --------------------------

    def open(self, read_only_fallback: bool = True) -> Outcome:
        """Open the index: as its writer, or read-only when another process owns it
        (`IndexLocked` then, without `read_only_fallback`)."""
        try:
            self.engine = Engine.open(self.root, self.settings)
        except IndexLocked as locked:
            if not read_only_fallback:
                raise
            return self.open_read_only(str(locked))
        except IndexIncompatible as error:
            self._set(error=f"{error} Run the kenning.reindex command to rebuild it.")
            return Outcome(writer=False, error=self._state.error)
        except (IndexError_, OSError) as error:
            self._set(error=f"cannot open the index of {self.root}: {error}")
            return Outcome(writer=False, error=self._state.error)
        # The writer's chunk and vector tables open on first use (LanceDB takes a second
        # or more to import, and a start with nothing changed may never need them).
        _ = self.engine.status_store
        # Read-only until now (another process owned the index): not any more.
        self._set(warning="")
        write_behind = self.settings.write_behind_ms / 1000
        self.scheduler = ChangeScheduler(
            self._apply,
            debounce=self.settings.debounce_ms / 1000,
            on_error=self._worker_failed,
            flush=self._flush if write_behind else None,
            flush_after=write_behind,
            written=self._written,
        )
        if self.settings.embedding.enabled:
            self.engine.add_embedding_sink(self._on_embedding)
        return Outcome(writer=True, warning=self.engine.repairs)

    @staticmethod
    def _open_stores(engine: Engine) -> None:
        # A reader opens them now, where a failure (the owner between a write and its
        # checkpoint) is tried again, rather than in a query.
        _ = engine.chunks, engine.vectors, engine.status_store

    def open_read_only(self, why: str) -> Outcome:
        for attempt in range(READ_ONLY_ATTEMPTS):
            try:
                self.engine = Engine.open(self.root, self.settings, read_only=True)
                self._open_stores(self.engine)
                break
            except Exception as error:
                # The owner may be between a write and its checkpoint: try again shortly.
                if attempt + 1 == READ_ONLY_ATTEMPTS:
                    self._set(error=f"{why}; reading it failed too: {error}")
                    return Outcome(writer=False, error=self._state.error)
                time.sleep(0.25)
        self._set(warning=f"{why}. This session is read-only: queries work, but edits are "
                  "not indexed until that process exits.")  # fmt: skip
        return Outcome(writer=False, warning=self._state.warning)

    def catch_up(self, rebuild: bool = False) -> Future[dict[str, Any]]:
        """Phase 1 on the writer thread (files changed while no daemon ran, or all of them
        with `rebuild`), then embeddings in the background."""
        writer = self._writer
        # Indexing from now on, not from when the job starts: a status taken in between
        # must not say the folder is ready.
        self._set(indexing=True)
        return writer.run(lambda: self._index(rebuild))

    def close(self) -> None:
        """Stop watching, apply what is queued, stop the pools, release the lock."""
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        if self.scheduler is not None:
            self.scheduler.close()
            self.scheduler = None
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def watch(self) -> None:
        """Watch the folder's files ourselves (for editors that do not)."""
        if self.scheduler is not None and self.watcher is None:
            self.watcher = FileWatcher(
                self.root, self.settings, self.files_changed, on_lost=self._events_lost
            )
            self.watcher.start()

    def _events_lost(self) -> None:
        # The watcher restarted and the changes it was collecting are gone: a catch-up
        # (size and mtime against the catalog) finds them. One queued is enough.
        scheduler = self.scheduler
        if scheduler is not None and not self._state.indexing:
            self.catch_up()

    # -- state ---------------------------------------------------------------------

    def _set(self, **fields: Any) -> None:
        self._state = dataclasses.replace(self._state, **fields)

    @property
    def writer(self) -> bool:
        return self.scheduler is not None

    @property
    def error(self) -> str:
        """Why the folder cannot be trusted now, or "": its index failed to open, or a
        thread it depends on died or is stuck (status then says `error` with this)."""
        return self._state.error or self._thread_error()

    def _thread_error(self) -> str:
        scheduler = self.scheduler
        if scheduler is not None:
            if not scheduler.alive:
                return f"the index writer of {self.root} stopped; edits are not indexed"
            stuck = scheduler.stuck_for()
            if stuck > self.writer_stuck_seconds:
                return (
                    f"the index writer of {self.root} has been applying one batch of edits "
                    f"for {stuck:.0f} s; edits are not indexed meanwhile"
                )
        if self.watcher is not None and self.watcher.error:
            return f"{self.watcher.error}; restart kenning to watch {self.root} again"
        if self.embedding.state == "error":
            return self.embedding.note or "embedding stopped on an error"
        return ""

    @property
    def warning(self) -> str:
        return self._state.warning

    @property
    def indexing(self) -> bool:
        return self._state.indexing

    @property
    def _writer(self) -> ChangeScheduler:
        if self.scheduler is None:
            raise ReadOnly(self._state.warning or self._state.error or "read-only")
        return self.scheduler

    # -- edits (event loop) ----------------------------------------------------------

    def relpath(self, path: Path) -> str | None:
        """`path` relative to this folder if kenning indexes it, else None."""
        try:
            rel = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None
        return rel if self.filter.accepts(rel) else None

    def _over_limit(self, rel: str, text: str | None, size: int = 0) -> bool:
        """Whether a buffer (its `text`, or its `size` in bytes) is too large to index
        (`max_file_size`, as for files on disk); the first time for `rel`, the user is
        told why it is left out."""
        limit = self.settings.max_file_size
        if text is not None:
            # Characters are one to four UTF-8 bytes: encode only when the count alone
            # cannot tell.
            size = len(text)
            if limit // 4 < size <= limit:
                size = len(text.encode("utf-8", "surrogatepass"))
        over = size > limit
        if over and rel not in self.oversized:
            self.oversized.add(rel)
            self.post(
                WorkerFailed(
                    f"kenning: {rel} is larger than maxFileSize ({limit:,} bytes); its "
                    "buffer is not indexed (the file on disk is, if it is within the limit)"
                )
            )
        return over

    def did_open(self, rel: str, text: str, version: int, session: str = "") -> None:
        """A buffer opened by `session` (the editor attached to this daemon: "", or a
        second daemon that forwards its editor's buffers)."""
        if self._over_limit(rel, text):
            # Not kept at all: its edits cannot be applied without it, so the buffer is
            # left out until the editor sends its whole text again or closes it.
            self._drop_buffer(rel, session)
            return
        self.oversized.discard(rel)
        document = OpenDocument(rel, text, version)
        self._sessions.setdefault(rel, {})[session] = document
        self.documents[rel] = document
        if self.scheduler is not None:
            # Its chunks go first in the embedding queue, once its text is indexed.
            applied = self.scheduler.apply_now(rel, document)
            applied.add_done_callback(lambda _: self._prioritize([rel]))

    def _drop_buffer(self, rel: str, session: str) -> None:
        """Forget `session`'s buffer of `rel`; the file is indexed from disk instead
        (where `read_source` applies the same size limit)."""
        if session in self._sessions.get(rel, {}) or rel in self.documents:
            self._release(rel, session)

    def _release(self, rel: str, session: str) -> None:
        """`session` no longer holds a buffer of `rel`: another session's buffer is
        indexed, or else the file on disk."""
        holders = self._sessions.get(rel, {})
        holders.pop(session, None)
        if holders:
            self.documents[rel] = next(reversed(holders.values()))
        else:
            self._sessions.pop(rel, None)
            self.documents.pop(rel, None)
        self.resubmit(rel)

    def has_buffer(self, rel: str, session: str = "") -> bool:
        return session in self._sessions.get(rel, {})

    def did_change(
        self, rel: str, changes: Sequence[TextChange], version: int, session: str = ""
    ) -> None:
        whole = next((c for c in reversed(changes) if c.range is None), None)
        if whole is not None and self._over_limit(rel, whole.text):
            self._drop_buffer(rel, session)
            return
        holders = self._sessions.get(rel, {})
        document = holders.pop(session, None)
        if document is None:
            if whole is not None and changes[-1] is whole:
                # A buffer left out for its size came back within the limit.
                self.did_open(rel, whole.text, version, session)
            return
        holders[session] = document
        document.apply(changes, version)
        if self._over_limit(rel, None, document.size):
            self._drop_buffer(rel, session)
            return
        # Two editors with the same file open: the one edited last is what is indexed.
        self.documents[rel] = document
        if self.scheduler is not None:
            self.scheduler.submit(rel, document)

    def did_save(self, rel: str, session: str = "") -> None:
        if self.scheduler is not None:
            self.scheduler.submit(rel, self.documents.get(rel), delay=0)

    def did_close(self, rel: str, session: str = "") -> None:
        # Unsaved text goes with the buffer: the file on disk is indexed again, unless
        # another session still has the file open.
        self.oversized.discard(rel)
        self._release(rel, session)

    def resubmit(self, rel: str) -> None:
        """Index `rel` again as it is now (its buffer, or the file on disk)."""
        if self.scheduler is not None:
            self.scheduler.submit(rel, self.documents.get(rel), delay=0)

    def sessions(self) -> set[str]:
        """The sessions with buffers open."""
        return {session for holders in self._sessions.values() for session in holders}

    def detach(self, session: str) -> None:
        """Every buffer of `session` closed (a second daemon went away)."""
        for rel in [rel for rel, holders in self._sessions.items() if session in holders]:
            self.did_close(rel, session)

    def files_changed(self, rels: Sequence[str]) -> None:
        """Files changed on disk (watcher, `didChangeWatchedFiles`); open buffers win."""
        if self.scheduler is None:
            return
        for rel in rels:
            if rel not in self.documents:
                self.scheduler.submit(rel, None, delay=0)

    def reindex_file(self, rel: str) -> Future[None]:
        """Index one file again now: its open buffer, or the file on disk."""
        return self._writer.apply_now(rel, self.documents.get(rel))

    def changes_due(self, now_for: Collection[str] = ()) -> Future[None] | None:
        """Done once the changes due now are applied (a save just sent, say), and the
        typing in the buffers of `now_for` too; None when nothing is due or the writer
        is running a job (see `ChangeScheduler.applied_due`)."""
        if self.scheduler is None:
            return None
        # What editors change, not a branch switch: that many files take seconds, and
        # a query would wait its whole allowance each time, to answer as it would now.
        return self.scheduler.applied_due(now_for, most=WRITE_BEHIND_MAX_FILES)

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """For tests: every queued change applied and embedding drained."""
        if self.scheduler is not None and not self.scheduler.wait_until_idle(timeout):
            return False
        return self.engine is None or self.engine.wait_until_idle(timeout)

    # -- the writer thread --------------------------------------------------------------

    def _index(self, rebuild: bool) -> dict[str, Any]:
        engine = self.engine
        assert engine is not None
        self.post(Changed())
        self.post(Indexing("scanning files"))
        try:
            report = engine.index(rebuild=rebuild, progress=self._on_index_progress)
        except Exception as error:
            self._set(warning=f"indexing {self.root} failed: {error}")
            self._indexed()
            raise
        # Load what the first edit would otherwise wait for (the resolution model, a few
        # seconds on a large workspace) before saying the folder is ready.
        self.post(Indexing("loading the resolution model"))
        try:
            engine.prepare_for_edits()
        except Exception as error:  # the first edit tries again and reports it
            log.warning("loading the resolution model failed: %s", error)
        # The model and the resolvers' caches are ~300k long-lived objects on Django; left
        # to the cyclic collector, every full collection walks all of them (50-100 ms on
        # Django), and one lands on a save every dozen or so: the save's p99. Frozen, the
        # collector skips them; they are still freed by reference counting when a save
        # replaces them (only a reference cycle among them would stay, at most once).
        gc.collect()
        gc.freeze()
        # Fold the write-ahead log in before saying the folder is indexed: a second
        # editor or the CLI that opens the index read-only as soon as it reads "idle"
        # cannot while a checkpoint is pending.
        engine.graph.checkpoint()
        try:
            # Embedding says "preparing" before indexing says it is done: a status read
            # in between must not find the folder idle with nothing pending.
            engine.start_embedding()
        finally:
            self._indexed()
        self._prioritize(list(self.documents))
        self._set(warning="")
        # The folder answered before its chunk and vector tables were opened; open them
        # now, off the writer thread, so the first search does not pay for it (LanceDB's
        # import and the tables' open: 2-3 s after a daemon's start on this machine).
        in_background("kenning-warm-up", self._warm_up)
        summary = {
            "mode": report.mode,
            "files": report.files,
            "parsed": report.parsed,
            "deleted": report.deleted,
            "skipped": len(report.skipped),
        }
        return summary

    def _warm_up(self) -> None:
        engine = self.engine
        if engine is None:
            return
        started = time.perf_counter()
        try:
            engine.warm_up()
        except Exception:  # the first search opens them and reports what fails
            log.warning("opening the chunk and vector tables ahead of a search failed",
                        exc_info=True)  # fmt: skip
            return
        log.info("opened the chunk and vector tables in %.0f ms",
                 (time.perf_counter() - started) * 1000)  # fmt: skip
        scheduler = self.scheduler
        if scheduler is not None and engine.writer:
            # A full index leaves the chunk table in many fragments: folded together
            # on the persist thread, started from the writer's (see `compact_behind`).
            with contextlib.suppress(RuntimeError):  # closing meanwhile
                scheduler.run(engine.compact_behind)

    def _indexed(self) -> None:
        self._set(indexing=False)
        self.post(Indexing(None))
        self.post(Changed())

    def _on_index_progress(self, stage: str, done: int, total: int) -> None:
        percentage = int(100 * done / total) if total else None
        self.post(Indexing(f"{stage} {done:,}/{total:,} files", percentage))

    def _apply(self, changes: list[PendingChange]) -> None:
        engine = self.engine
        assert engine is not None
        edits: list[tuple[str, str | bytes | None]] = []
        labels: list[str] = []
        for change in changes:
            if change.document is None:
                edits.append((change.path, None))
                labels.append(change.path)
                continue
            source, version = change.document.snapshot()
            edits.append((change.path, source))
            labels.append(f"{change.path}@{version}")
        # The buffers open now (a dict's keys, read once: the loop may change the dict).
        open_paths = frozenset(list(self.documents))
        defer = self.settings.write_behind_ms > 0
        report = engine.apply_changes(edits, open_paths=open_paths, defer=defer)
        log.info(
            "applied %d change(s) in %.0f ms: %s",
            len(edits), report.seconds * 1000, ", ".join(labels),
        )  # fmt: skip
        self._settle(engine)

    def _flush(self) -> Future[int] | None:
        """Start writing the changes applied since the last write (on the writer
        thread; the write runs on the engine's persist thread)."""
        return None if self.engine is None else self.engine.flush_behind()

    def _written(self) -> None:
        # A deferred write is over (on the persist thread).
        if self.engine is not None:
            self._settle(self.engine)

    def _settle(self, engine: Engine) -> None:
        """After a change is applied (writer thread) or a deferred write is over
        (persist thread): tell status, ask for a write while changes wait for one, and
        checkpoint when nothing is queued."""
        self.post(Changed())
        scheduler = self.scheduler
        if scheduler is None:
            return
        if engine.unwritten_since is not None:
            scheduler.flush_later()
        elif not scheduler.queued:
            self._checkpoint(engine)

    @staticmethod
    def _checkpoint(engine: Engine) -> None:
        # Idle for now: let other processes (a second editor, the CLI) open the
        # index read-only, which they cannot while a checkpoint is pending.
        engine.graph.checkpoint()

    def _prioritize(self, rels: list[str]) -> None:
        if rels and self.engine is not None:
            self.engine.prioritize_files(rels)

    def _on_embedding(self, progress: EmbedProgress) -> None:
        # Kept here, on the pool's thread, before anyone is told: a status read right
        # after `catch_up` sees "preparing", never a stale "idle".
        self.embedding = progress
        self.post(Embedding(progress))
        self.post(Changed())

    def _worker_failed(self, error: BaseException) -> None:
        log.error("applying changes failed", exc_info=error)
        self.post(WorkerFailed(f"kenning: indexing a change failed: {error}"))
