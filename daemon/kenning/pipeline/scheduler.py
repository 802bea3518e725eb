"""The change queue in front of the index writer: one entry per file, newest wins, debounced.

Editors send a change per keystroke; indexing each would keep the writer busy with
versions nobody will query. `ChangeScheduler` keeps at most one pending entry per path
(a newer change replaces the queued one), waits until typing pauses (the debounce, but
never longer than `max_delay` after the first queued change, so continuous typing still
shows up), and hands every due entry to `apply` as one batch, open editor buffers first.
Saves, opens and closes ask for no delay. Exclusive jobs (a full index, a reindex) run
on the same thread between batches, so one thread owns every write. A reader that wants
what is due (a query right after a save) gets a future from `applied_due` instead of
answering from the state before it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Collection
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Any, TypeVar

from kenning.pipeline.documents import OpenDocument

log = logging.getLogger(__name__)

T = TypeVar("T")

# What `_next_work` hands the writer thread when it is time to flush.
_FLUSH: Any = object()


@dataclass(frozen=True, slots=True)
class PendingChange:
    """A file to bring up to date: from its open buffer, or from disk when `document` is None."""

    path: str
    document: OpenDocument | None


@dataclass(frozen=True, slots=True)
class SchedulerStats:
    batches: int
    applied: int
    superseded: int
    jobs: int


@dataclass(slots=True)
class _Entry:
    change: PendingChange
    first_queued: float
    # When typing (debounced submits) makes the entry due, capped by `max_delay`.
    debounced_due: float
    # The earliest due time any explicit delay asked for; a smaller delay always wins.
    requested_due: float

    @property
    def due(self) -> float:
        return min(self.debounced_due, self.requested_due)


class ChangeScheduler:
    """Debounces and batches file changes for one writer thread, which it owns."""

    def __init__(
        self,
        apply: Callable[[list[PendingChange]], None],
        *,
        debounce: float = 0.2,
        max_delay: float | None = None,
        batch_limit: int = 500,
        on_error: Callable[[BaseException], None] | None = None,
        name: str = "kenning-writer",
        flush: Callable[[], Future[Any] | None] | None = None,
        flush_after: float = 1.0,
        written: Callable[[], None] | None = None,
    ) -> None:
        if batch_limit < 1:
            raise ValueError("batch_limit must be at least 1")
        self._apply = apply
        self._on_error = on_error
        self._batch_limit = batch_limit
        self._explicit_max_delay = max_delay
        self._debounce = 0.0
        self._max_delay = 0.0
        self._cond = threading.Condition()
        self._entries: dict[str, _Entry] = {}
        self._jobs: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._busy = False
        # When the work in hand started (monotonic), and whether it is a batch of edits
        # (a job may be a full index, which takes as long as the workspace needs).
        self._busy_since = 0.0
        self._busy_with_batch = False
        self._closed = False
        self._job_turn = False
        self._batches = self._applied = self._superseded = self._job_count = 0
        # The paths of the batch being applied; the jobs that apply changes (`apply_now`:
        # an opened buffer, a file reindexed), queued or running, and their paths; and
        # the readers waiting for what was outstanding when they asked (see
        # `applied_due`): (when they asked, which paths, their future).
        self._in_hand: frozenset[str] = frozenset()
        self._edit_jobs: dict[Future[Any], frozenset[str]] = {}
        self._waiters: list[tuple[float, frozenset[str], Future[None]]] = []
        # Write-behind: `flush` runs once no batch has come for `flush_after` seconds,
        # and at most `5 * flush_after` after the first batch it has not written yet.
        # It may return the write it started elsewhere: not idle until that is done, and
        # `written` runs once that write is over (on the thread that wrote it).
        self._flush = flush
        self._on_written = written
        self._writing: Future[Any] | None = None
        self._writing_since = 0.0
        self._flush_after = flush_after
        self._flush_first: float | None = None
        self._flush_due: float | None = None
        self.set_debounce(debounce)
        # The single writer: every store write starts from this thread (deferred writes
        # run on a persist thread it hands them to, and a reindex waits for those), so
        # a batch never interleaves with a reindex.
        # A daemon thread, so a daemon that forgets `close` still exits.
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # -- the event loop's side -------------------------------------------------------

    def submit(
        self, path: str, document: OpenDocument | None, *, delay: float | None = None
    ) -> None:
        """Queue `path`; `delay` None debounces (typing), 0 means as soon as possible."""
        now = time.monotonic()
        change = PendingChange(path, document)
        with self._cond:
            if self._closed:
                raise RuntimeError("the change scheduler is closed")
            entry = self._entries.get(path)
            if entry is None:
                entry = _Entry(change, now, math.inf, math.inf)
                self._entries[path] = entry
            else:
                entry.change = change
                self._superseded += 1
            if delay is None:
                entry.debounced_due = min(
                    now + self._debounce, entry.first_queued + self._max_delay
                )
            else:
                entry.requested_due = min(entry.requested_due, now + max(delay, 0.0))
            self._cond.notify_all()

    def run(self, job: Callable[[], T], *, edits: Collection[str] = ()) -> Future[T]:
        """Run `job` on the writer thread, alone, after the jobs submitted before it.
        `edits`: the paths it applies changes to, if it does (readers wait for it)."""
        future: Future[T] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the change scheduler is closed")
            self._jobs.append((job, future))
            if edits:
                self._edit_jobs[future] = frozenset(edits)
            self._cond.notify_all()
        return future

    def apply_now(self, path: str, document: OpenDocument | None) -> Future[None]:
        """Apply `path` on the writer thread as a job of its own, taking the place of
        any queued entry for it; the future is done once the change is written (a
        queued entry plus a later job would not promise that: jobs and batches take
        turns)."""
        with self._cond:
            if self._entries.pop(path, None) is not None:
                self._superseded += 1
        change = PendingChange(path, document)
        return self.run(lambda: self._apply([change]), edits=(path,))

    def applied_due(
        self, now_for: Collection[str] = (), most: int | None = None
    ) -> Future[None] | None:
        """A future done once every change due now (a save, a close, typing past its
        debounce) and the batch being applied are in the index; None when there is none.

        A query made right after a save waits on it (the reader decides for how long)
        rather than answering from the index before the save; typing still inside its
        debounce is not waited for, unless its path is in `now_for` (a request at a
        position in that buffer: the position is in its newest text), which makes it
        due now. A change applied as a job of its own (`apply_now`: a buffer just
        opened) is waited for; another job (a full index, a reindex) is not: its length
        is the workspace's. Nor are more than `most` files (a branch switch's thousand)."""
        with self._cond:
            if self._closed or (self._busy and not self._busy_with_batch):
                return None
            now = time.monotonic()
            for path in now_for:
                entry = self._entries.get(path)
                if entry is not None and entry.due > now:
                    entry.requested_due = now
                    self._cond.notify_all()
            paths = self._outstanding(now)
            if not paths or (most is not None and len(paths) > most):
                return None
            future: Future[None] = Future()
            self._waiters.append((now, frozenset(paths), future))
            return future

    def flush_later(self) -> None:
        """Run `flush` on the writer thread once no batch has come for `flush_after`
        seconds, and at most `5 * flush_after` after the first such request since the
        last flush (continuous edits are still written)."""
        if self._flush is None:
            raise RuntimeError("this scheduler has nothing to flush")
        with self._cond:
            now = time.monotonic()
            if self._flush_first is None:
                self._flush_first = now
            self._flush_due = min(
                now + self._flush_after, self._flush_first + 5 * self._flush_after
            )
            self._cond.notify_all()

    def set_debounce(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("debounce must not be negative")
        with self._cond:
            self._debounce = seconds
            explicit = self._explicit_max_delay
            self._max_delay = 5 * seconds if explicit is None else max(explicit, seconds)
            self._cond.notify_all()

    @property
    def queued(self) -> int:
        """Entries waiting (one per path at most)."""
        with self._cond:
            return len(self._entries)

    @property
    def stats(self) -> SchedulerStats:
        with self._cond:
            return SchedulerStats(self._batches, self._applied, self._superseded, self._job_count)

    def stuck_for(self) -> float:
        """How long the batch of edits in hand, or the write `flush` started, has been
        running; 0 when there is none (jobs such as a full index are not counted: their
        length is the workspace's)."""
        with self._cond:
            now = time.monotonic()
            batch = now - self._busy_since if self._busy and self._busy_with_batch else 0.0
            return max(batch, now - self._writing_since if self._write_running() else 0.0)

    @property
    def alive(self) -> bool:
        """The writer thread runs (or has finished after `close`, as it should)."""
        return self._thread.is_alive() or self._closed

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or running (debounced entries included)."""
        with self._cond:
            return self._cond.wait_for(self._idle, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Apply everything queued now, run the queued jobs, then stop the thread."""
        with self._cond:
            self._closed = True
            self._release_waiters(everyone=True)
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    # -- the writer thread -------------------------------------------------------------

    def _write_running(self) -> bool:
        return self._writing is not None and not self._writing.done()

    def _idle(self) -> bool:
        return (
            not self._entries
            and not self._jobs
            and not self._busy
            and self._flush_due is None
            and not self._write_running()
        )

    def _run(self) -> None:
        while True:
            with self._cond:
                batch, job = self._next_work()
                if batch is None and job is None:
                    self._cond.notify_all()
                    return
                self._busy = True
                self._busy_since = time.monotonic()
                flushing = job is _FLUSH
                job_future = job[1] if job is not None and not flushing else None
                edits = self._edit_jobs.get(job_future) if job_future is not None else None
                self._busy_with_batch = batch is not None or flushing or edits is not None
            try:
                if batch is not None:
                    self._run_batch(batch)
                elif flushing:
                    self._run_flush()
                elif job is not None:
                    self._run_job(*job)
            finally:
                with self._cond:
                    self._busy = False
                    if job_future is not None and edits is not None:
                        del self._edit_jobs[job_future]
                        self._release_waiters()
                    self._cond.notify_all()

    def _next_work(
        self,
    ) -> tuple[list[PendingChange] | None, tuple[Callable[[], Any], Future[Any]] | None]:
        """Wait (holding the condition) for a due batch or a job; (None, None) to stop."""
        while True:
            now = time.monotonic()
            due = [e for e in self._entries.values() if self._closed or e.due <= now]
            if self._jobs and (self._job_turn or not due):
                # Jobs and batches take turns, so neither starves the other.
                self._job_turn = False
                return None, self._jobs.popleft()
            if due:
                self._job_turn = True
                # Open buffers first: the user is looking at them. Then oldest due first.
                due.sort(key=lambda e: (e.change.document is None, e.due))
                taken = due[: self._batch_limit]
                for entry in taken:
                    del self._entries[entry.change.path]
                self._in_hand = frozenset(e.change.path for e in taken)
                return [e.change for e in taken], None
            if self._flush_due is not None and (self._closed or self._flush_due <= now):
                # Nothing else to do: write what the batches deferred.
                self._flush_due = self._flush_first = None
                return None, _FLUSH
            if self._closed:
                return None, None
            dues = [e.due for e in self._entries.values()]
            if self._flush_due is not None:
                dues.append(self._flush_due)
            next_due = min(dues, default=None)
            self._cond.wait(None if next_due is None else max(next_due - now, 0.0))

    def _run_batch(self, batch: list[PendingChange]) -> None:
        try:
            self._apply(batch)
        except BaseException as error:  # the writer must outlive any one bad batch
            self._report(error)
        with self._cond:
            self._batches += 1
            self._applied += len(batch)
            self._in_hand = frozenset()
            self._release_waiters()

    def _outstanding(self, asked: float) -> set[str]:
        """What a reader that asked at `asked` waits for (holding the condition): the
        batch in hand, the edit jobs queued or running, and the entries due by then."""
        due = {path for path, entry in self._entries.items() if entry.due <= asked}
        return due.union(self._in_hand, *self._edit_jobs.values())

    def _release_waiters(self, everyone: bool = False) -> None:
        """Wake the readers none of whose paths is still outstanding (holding the
        condition). A failed batch wakes them too: they read what is there."""
        waiting = []
        for asked, paths, future in self._waiters:
            if not everyone and not paths.isdisjoint(self._outstanding(asked)):
                waiting.append((asked, paths, future))
            elif not future.done():
                with contextlib.suppress(InvalidStateError):  # given up on meanwhile
                    future.set_result(None)
        self._waiters = waiting

    def _run_flush(self) -> None:
        assert self._flush is not None
        try:
            writing = self._flush()
        except BaseException as error:  # still pending with the caller: try again later
            self._report(error)
            with self._cond:
                self._flush_due = time.monotonic() + 5 * self._flush_after
                self._cond.notify_all()
            return
        with self._cond:
            # `flush` hands back the write still running when one is: followed once.
            if writing is None or writing is self._writing:
                return
            self._writing, self._writing_since = writing, time.monotonic()
        writing.add_done_callback(self._written)

    def _written(self, writing: Future[Any]) -> None:
        """A write `flush` started is over (on the thread that wrote it). `written`
        runs first: a failed write's retry then waits `5 * flush_after`, whatever it
        asked for."""
        if self._on_written is not None:
            try:
                self._on_written()
            except Exception as failure:
                self._report(failure)
        error = writing.exception()
        with self._cond:
            if error is not None and not self._closed:
                self._flush_due = time.monotonic() + 5 * self._flush_after
            self._cond.notify_all()
        if error is not None:
            self._report(error)

    def _run_job(self, job: Callable[[], Any], future: Future[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = job()
        except BaseException as error:
            future.set_exception(error)
            self._report(error)
        else:
            future.set_result(result)
        with self._cond:
            self._job_count += 1

    def _report(self, error: BaseException) -> None:
        if self._on_error is None:
            log.error("index writer: %s", error, exc_info=error)
            return
        try:
            self._on_error(error)
        except Exception:
            log.exception("index writer: the error handler failed")


__all__ = ["ChangeScheduler", "Future", "PendingChange", "SchedulerStats"]
