"""Phase 2: the background embedding pool.

One worker drains the status table's pending texts: it takes a window of them
(highest priority first: open files, then recently changed ones, then the rest), reads
their texts from the chunk table, packs them into batches by tokens, and for each batch
marks it `in_progress`, runs the model, stores the vectors and only then marks the
texts `done`. A kill loses at most the batch in flight; on the next start `recover()`
settles whatever was left `in_progress` at once (done if its vector made it to disk,
pending otherwise). Nothing pending is held in memory beyond one window, however many
texts wait, so memory stays bounded.

A batch that raises goes back to pending with its attempt counted; after
`max_attempts` its texts are marked `error` with the reason, and the other batches go
on. When the queue runs dry the pool garbage-collects vectors no chunk has referred to
for the grace period and, after a model change, switches search over to the new model
once enough texts have vectors under it.

When a pass that compared the queue with the chunk table (a resync) ends with nothing
pending, the pool records that, with the fingerprint of the chunk table's files taken
before it read them (`SYNCED`). A later start whose chunk files, model and queue still
agree with that record (`settled_progress`) has nothing to embed, and need not open the
chunk and vector tables (LanceDB: a second or more to import) nor load the model to
find that out.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

from kenning.core.settings import EmbeddingSettings
from kenning.storage.chunks import ChunkStore
from kenning.storage.embed_status import PENDING, Counts, EmbedStatus
from kenning.storage.vectors import ANN_THRESHOLD, VectorStore

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# Texts read per trip to the status and chunk tables. Small enough that a text queued
# with a higher priority waits at most one window, large enough that sorting a window
# by length packs batches with little padding.
WINDOW = 256
# How often `wait_until_idle` looks whether the worker is still there.
WAIT_POLL_S = 1.0
# Fold the vector table's small writes together every this many batches.
OPTIMIZE_EVERY = 64
ACTIVE_MODEL = "active_model"
# How to load the active model again (for query embedding): opaque to the pool, written
# by whoever built it (the engine: model name and whether the optimised file is used).
ACTIVE_SPEC = "active_model_spec"
# The model the pool embeds with (differs from the active one during a model change).
CURRENT_MODEL = "current_model"
# How vector search runs ("exact", "approximate (recall 0.97)", ...) and at what size
# that was decided.
VECTOR_SEARCH = "vector_search"
VECTOR_SEARCH_ROWS = "vector_search_rows"
# What loading the model had to say (an optimised file rejected, say).
MODEL_NOTE = "model_note"
# The status table was in sync with the chunk table's files as they were when this
# fingerprint was taken, under this model, with nothing left to embed: JSON
# {"chunks": fingerprint, "model": model id}. Kept in the status table itself, so that a
# status file that is lost or recreated takes the record with it.
SYNCED = "synced_with_chunks"
# Set to a file path to log every batch handed to the model (one line per batch:
# the text hashes), for checking that nothing is embedded twice.
TRACE_ENV = "KENNING_EMBED_TRACE"


class Model(Protocol):
    """What the pool needs of an embedding model (`kenning.embed.EmbeddingModel`)."""

    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


class EmbedProgress(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of phase 2, sent after every batch and on every state change."""

    # idle | preparing | running | paused | stopped | error
    state: str
    model_id: str = ""
    # The model search uses (differs from model_id while a model change is under way).
    active_model_id: str = ""
    total: int = 0
    done: int = 0
    pending: int = 0
    in_progress: int = 0
    failed: int = 0
    # Texts embedded by this run, and their rate (texts per second of wall time).
    embedded: int = 0
    rate: float = 0.0
    note: str = ""


ProgressSink = Callable[[EmbedProgress], None]


def status_note(
    status: EmbedStatus, model_id: str, active: str | None, counts: Counts, threshold: float
) -> str:
    """What phase 2's status says beyond its counts: what loading the model said (an
    optimised file rejected), and a model switch under way."""
    notes = [status.get_meta(MODEL_NOTE) or ""]
    if active and active != model_id:
        notes.append(
            f"switching models: {counts.coverage:.0%} of texts embedded with {model_id}; "
            f"search uses {active} until {threshold:.0%}"
        )
    return "; ".join(n for n in notes if n)


def settled_progress(
    status: EmbedStatus, model_id: str, chunk_files: str, settings: EmbeddingSettings
) -> EmbedProgress | None:
    """Phase 2's state when it has nothing to do, read from the status table alone:
    the last resync under `model_id` saw the chunk table's files as they are now
    (`chunk_files`, their fingerprint), nothing is pending or in progress, search uses
    this model (no switch under way) and no orphaned vector is due for collection.
    None when any of that does not hold: the pool must run."""
    try:
        synced = json.loads(status.get_meta(SYNCED) or "{}")
    except ValueError:
        return None
    if not isinstance(synced, dict):
        return None
    if synced.get("chunks") != chunk_files or synced.get("model") != model_id:
        return None
    if status.get_meta(ACTIVE_MODEL) != model_id:
        return None
    counts = status.counts(model_id)
    if counts.pending or counts.in_progress:
        return None
    if status.expired_orphans(model_id, time.time() - settings.gc_grace_seconds):
        return None
    return EmbedProgress(
        state="idle",
        model_id=model_id,
        active_model_id=model_id,
        total=counts.total,
        done=counts.done,
        failed=counts.error,
        note=status_note(status, model_id, model_id, counts, settings.switch_threshold),
    )


def plan_batches(
    items: Sequence[tuple[str, int]], batch_tokens: int, batch_size: int, max_tokens: int = 256
) -> list[list[str]]:
    """Pack (hash, tokens) into batches of at most `batch_size` texts whose padded size
    (count x longest) stays within `batch_tokens`. Items are sorted by length first, so
    the texts of a batch are alike in length and little compute goes to padding."""
    batches: list[list[str]] = []
    current: list[str] = []
    longest = 0
    for text_hash, tokens in sorted(items, key=lambda item: (item[1], item[0])):
        tokens = max(1, min(tokens, max_tokens))
        full = len(current) >= batch_size
        if current and (full or max(longest, tokens) * (len(current) + 1) > batch_tokens):
            batches.append(current)
            current, longest = [], 0
        current.append(text_hash)
        longest = max(longest, tokens)
    if current:
        batches.append(current)
    return batches


class EmbedPool:
    """Embeds pending chunk texts on its own thread; see the module docstring."""

    def __init__(
        self,
        status_path: Path,
        chunks: ChunkStore,
        vectors: VectorStore,
        load_model: Callable[[], Model],
        settings: EmbeddingSettings,
        model_spec: str,
        on_progress: ProgressSink | None = None,
        chunk_files: Callable[[], str] | None = None,
    ) -> None:
        self.status_path = status_path
        # The fingerprint of the chunk table's files, for the `SYNCED` record (None:
        # none is kept).
        self._chunk_files = chunk_files
        self.chunks = chunks
        self.vectors = vectors
        self.settings = settings
        self.model_spec = model_spec
        self._load_model = load_model
        self._sinks: list[ProgressSink] = [on_progress] if on_progress else []
        self._model: Model | None = None
        # One worker: ONNX Runtime already spreads each batch over the cores it is
        # given, so a second batch at once would only fight the first for them (and
        # double the memory in flight). Its own named executor keeps this slow,
        # CPU-bound work off the threads that answer queries.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kenning-embed")
        self._cv = threading.Condition()
        self._work = False  # set by kick(): something may be pending
        self._resync = True  # set by kick(resync=True): chunks may have changed wholesale
        self._paused = False
        self._stopping = False
        self._busy = False
        self._future: Future[None] | None = None
        # Starts asked for so far: a worker that ends (an error) after a start it did
        # not see, whose future still read as running then, runs again for it.
        self._requests = 0
        self._last = EmbedProgress(state="idle")
        self._trace = os.environ.get(TRACE_ENV)
        # The worker runs until stopped, and the interpreter joins executor threads at
        # exit: a script that never closed its engine would hang there. Ask the worker
        # to stop (after the batch in flight) first. `threading._register_atexit` is
        # how concurrent.futures itself does this; its hooks run before the joins, the
        # last registered first.
        pool = weakref.ref(self)

        def stop_at_exit() -> None:
            alive = pool()
            if alive is not None:
                alive._request_stop()

        getattr(threading, "_register_atexit", lambda hook: None)(stop_at_exit)

    # -- control (any thread) -----------------------------------------------------

    @property
    def model_id(self) -> str | None:
        return None if self._model is None else self._model.model_id

    def add_sink(self, sink: ProgressSink) -> None:
        self._sinks.append(sink)

    def remove_sink(self, sink: ProgressSink) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    def start(self, resync: bool = False) -> None:
        """Start the worker (if not running) and have it look for work; `resync` after
        chunks changed wholesale (a full index) to compare the queue with them."""
        with self._cv:
            self._requests += 1
            if self._future is None or self._future.done():
                self._stopping = False
                self._future = self._executor.submit(self._run)
            # Say at once that work is coming, so nobody reads "idle" between now and
            # the worker's first report. Under the lock: the worker reports only after it.
            # "paused" too: a full index pauses the pool and starts it again after, and
            # a folder whose pool still said "paused" read as idle with its new chunks
            # not embedded, until the worker's first report.
            if not self._paused and self._last.state in ("idle", "stopped", "error", "paused"):
                self._publish(msgspec.structs.replace(self._last, state="preparing"))
            self._work = True
            self._resync = self._resync or resync
            self._cv.notify_all()

    kick = start

    def pause(self, wait: bool = False) -> None:
        """Stop taking new batches; with `wait`, until the batch in flight is stored."""
        with self._cv:
            self._paused = True
            self._cv.notify_all()
            while wait and self._busy:
                self._cv.wait()
        self._publish(msgspec.structs.replace(self._last, state="paused"))

    def resume(self) -> None:
        with self._cv:
            self._paused = False
            self._work = True
            self._cv.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Block until the queue is drained (or paused); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while self._busy or (self._work and not self._paused):
                if self._future is None or self._future.done():
                    return not self._work
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                # Woken by the worker; the bound is a backstop so that a worker that
                # ended without a word is noticed (above) rather than waited for forever.
                self._cv.wait(WAIT_POLL_S if remaining is None else min(remaining, WAIT_POLL_S))
        return True

    def _request_stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify_all()

    def stop(self) -> None:
        """Finish the batch in flight, then stop the worker and its executor."""
        self._request_stop()
        if self._future is not None:
            try:
                self._future.result()
            finally:
                self._future = None
        self._executor.shutdown(wait=True)

    def progress(self) -> EmbedProgress:
        return self._last

    # -- the worker ---------------------------------------------------------------

    def _publish(self, progress: EmbedProgress) -> None:
        self._last = progress
        for sink in list(self._sinks):
            try:
                sink(progress)
            except Exception:  # a broken listener must not stop embedding
                log.exception("embedding progress listener failed")

    def _run(self) -> None:
        status: EmbedStatus | None = None
        with self._cv:
            seen = self._requests
        try:
            # Opened inside the `try`: a status file that cannot be opened must end in
            # the error state and wake every waiter like any other failure, not kill the
            # thread silently with `wait_until_idle` waiting for it forever.
            status = EmbedStatus(self.status_path)
            self._recover(status)
            self._loop(status)
        except Exception as exc:
            # A model that cannot load is the user's to fix, and the error state below
            # carries the message to whichever front end shows it; no traceback.
            # Imported here: importing `kenning.embed` loads the model code and its
            # package metadata, which nothing but a pool that runs needs.
            from kenning.embed.errors import ModelError

            if isinstance(exc, ModelError):
                log.info("embedding stopped: %s", exc)
            else:
                log.exception("the embedding pool stopped on an error")
            self._publish(EmbedProgress(state="error", note=f"embedding stopped: {exc}"))
        finally:
            if status is not None:
                status.close()
            with self._cv:
                self._busy = False
                self._work = False
                if self._requests != seen and not self._stopping:
                    # A start came after this worker had stopped taking requests and
                    # found it still running: it must get an answer of its own (and
                    # a waiter must not read the state it published as final).
                    self._work = True
                    self._future = self._executor.submit(self._run)
                self._cv.notify_all()

    def _loop(self, status: EmbedStatus) -> None:
        if self._model is None:
            self._publish(EmbedProgress(state="preparing", note="loading the embedding model"))
            self._model = self._load_model()
        model_id = self._model.model_id
        status.set_meta(CURRENT_MODEL, model_id)
        resolved = getattr(self._model, "resolved", None)
        status.set_meta(MODEL_NOTE, getattr(resolved, "note", "") or "")
        if status.get_meta(ACTIVE_MODEL) is None:
            status.set_meta(ACTIVE_MODEL, model_id)
            status.set_meta(ACTIVE_SPEC, self.model_spec)
        while True:
            with self._cv:
                while not self._stopping and (self._paused or not self._work):
                    self._busy = False
                    self._cv.notify_all()
                    self._cv.wait()
                if self._stopping:
                    self._publish(self._snapshot(status, "stopped"))
                    return
                self._work = False
                self._busy = True
                resync, self._resync = self._resync, False
            # Taken before the chunks are read: a write that lands after it changes the
            # files, and the record made below then matches them no more.
            files = self._chunk_files() if resync and self._chunk_files else None
            if resync:
                # Queue texts new to the chunk table; mark those no chunk holds.
                added, _ = status.sync(model_id, self.chunks.all_hashes())
                if added:
                    self._adopt_stored_vectors(status, model_id)
            self._drain(status, self._model)
            self._collect_garbage(status, model_id)
            self._maybe_switch(status, model_id)
            if files is not None and not self._should_pause():
                self._record_synced(status, model_id, files)
            self._publish(self._snapshot(status, "paused" if self._paused else "idle"))

    def _record_synced(self, status: EmbedStatus, model_id: str, files: str) -> None:
        """After a resync: record it when it left nothing to embed (see `SYNCED`)."""
        counts = status.counts(model_id)
        if counts.pending or counts.in_progress or status.get_meta(ACTIVE_MODEL) != model_id:
            return
        status.set_meta(SYNCED, json.dumps({"chunks": files, "model": model_id}))

    def _recover(self, status: EmbedStatus) -> None:
        """Settle texts a killed run left `in_progress`: done if the vector was stored
        before the kill, pending otherwise."""
        by_model: dict[str, list[str]] = {}
        for model_id, text_hash in status.recover():
            by_model.setdefault(model_id, []).append(text_hash)
        for model_id, hashes in by_model.items():
            stored = self.vectors.existing(model_id, hashes)
            status.mark_done(model_id, [h for h in hashes if h in stored])
            status.requeue(model_id, [h for h in hashes if h not in stored])
            log.info("recovered %d texts left in progress by an earlier run", len(hashes))

    def _adopt_stored_vectors(self, status: EmbedStatus, model_id: str) -> None:
        """Mark done the pending texts whose vector is already stored: the status file
        was lost or rebuilt while the vector table survived, and nothing already
        embedded is embedded again (or stored twice)."""
        if not self.vectors.exists(model_id):
            return
        pending = status.with_status(model_id, PENDING)
        stored = self.vectors.existing(model_id, pending)
        if stored:
            status.mark_done(model_id, sorted(stored))
            log.info("%d texts already had a vector; they are not embedded again", len(stored))

    def _should_pause(self) -> bool:
        return self._stopping or self._paused

    def _drain(self, status: EmbedStatus, model: Model) -> None:
        model_id = model.model_id
        counts = status.counts(model_id)
        if counts.pending == 0:
            return
        run_id = status.start_run(model_id, counts.total)
        embedded = failed = 0
        model_seconds = 0.0
        started = time.monotonic()
        batches_written = 0
        while not self._should_pause():
            window = status.next_pending(model_id, WINDOW)
            if not window:
                break
            texts = self.chunks.texts_for([h for h, _ in window])
            gone = [h for h, _ in window if h not in texts]
            if gone:  # no chunk holds these texts any more
                status.forget(model_id, gone)
            unknown = [h for h, n in window if n is None and h in texts]
            counted = dict(zip(unknown, model.count_tokens([texts[h] for h in unknown]),
                               strict=True))  # fmt: skip
            if counted:
                status.set_tokens(model_id, counted)
            items = [(h, n if n is not None else counted[h]) for h, n in window if h in texts]
            for batch in plan_batches(items, self.settings.batch_tokens, self.settings.batch_size):
                if self._should_pause():
                    break
                status.claim(model_id, batch)
                self._trace_batch(model_id, batch)
                t0 = time.monotonic()
                try:
                    vectors = model.embed([texts[h] for h in batch])
                    if vectors.shape[0] != len(batch):
                        raise RuntimeError(f"{vectors.shape[0]} vectors for {len(batch)} texts")
                    model_seconds += time.monotonic() - t0
                    self.vectors.add(model_id, batch, vectors)
                except Exception as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                    if status.mark_failed(model_id, batch, reason, self.settings.max_attempts):
                        failed += len(batch)
                        log.warning("gave up embedding %d texts: %s", len(batch), reason)
                    continue
                status.mark_done(model_id, batch)
                embedded += len(batch)
                batches_written += 1
                if batches_written % OPTIMIZE_EVERY == 0:
                    self.vectors.optimize(model_id)
                wall = time.monotonic() - started
                status.update_run(run_id, embedded=embedded, failed=failed, seconds=model_seconds)
                self._publish(
                    self._snapshot(
                        status, "running", embedded=embedded, rate=embedded / max(wall, 1e-9)
                    )
                )
        state = "stopped" if self._stopping else "paused" if self._paused else "finished"
        status.update_run(
            run_id, embedded=embedded, failed=failed, seconds=model_seconds, state=state
        )
        if batches_written:
            self.vectors.optimize(model_id)
            self._choose_vector_search(status, model_id)

    def _choose_vector_search(self, status: EmbedStatus, model_id: str) -> None:
        """Exact scan while the table is small; past the threshold an approximate index,
        kept only if its recall holds. A rejected index is tried again only once the
        table has grown by half."""
        rows = self.vectors.count(model_id)
        last_rows = int(status.get_meta(VECTOR_SEARCH_ROWS) or 0)
        rejected = (status.get_meta(VECTOR_SEARCH) or "").startswith("exact (")
        if rows >= ANN_THRESHOLD and rejected and rows < 1.5 * last_rows:
            return
        outcome = self.vectors.ensure_index(model_id)
        status.set_meta(VECTOR_SEARCH, outcome)
        status.set_meta(VECTOR_SEARCH_ROWS, str(rows))

    def _trace_batch(self, model_id: str, batch: Sequence[str]) -> None:
        if self._trace:
            with open(self._trace, "a", encoding="utf-8") as out:
                out.write(f"{model_id} {' '.join(batch)}\n")

    def _collect_garbage(self, status: EmbedStatus, model_id: str) -> None:
        expired = status.expired_orphans(model_id, time.time() - self.settings.gc_grace_seconds)
        if expired:
            self.vectors.delete(model_id, expired)
            status.forget(model_id, expired)
            log.info("dropped %d vectors no chunk refers to", len(expired))

    def _maybe_switch(self, status: EmbedStatus, model_id: str) -> None:
        """After a model change: once the new model covers enough texts, search uses
        it and the old model's vectors go."""
        active = status.get_meta(ACTIVE_MODEL)
        if active == model_id:
            return
        if status.counts(model_id).coverage < self.settings.switch_threshold:
            return
        status.set_meta(ACTIVE_MODEL, model_id)
        status.set_meta(ACTIVE_SPEC, self.model_spec)
        for old in status.models():
            if old != model_id:
                self.vectors.drop(old)
                status.drop_model(old)
        log.info("search switched to embedding model %s", model_id)

    def _snapshot(
        self, status: EmbedStatus, state: str, embedded: int = 0, rate: float = 0.0
    ) -> EmbedProgress:
        model_id = self.model_id or ""
        counts = status.counts(model_id) if model_id else Counts()
        active = status.get_meta(ACTIVE_MODEL) or model_id
        note = status_note(status, model_id, active, counts, self.settings.switch_threshold)
        return EmbedProgress(
            state=state,
            model_id=model_id,
            active_model_id=active,
            total=counts.total,
            done=counts.done,
            pending=counts.pending,
            in_progress=counts.in_progress,
            failed=counts.error,
            embedded=embedded,
            rate=round(rate, 2),
            note=note,
        )
