"""A file watcher for editors that do not report file changes themselves.

LSP clients may watch files and send `workspace/didChangeWatchedFiles`; for those
that do not, `FileWatcher` watches the workspace with `watchfiles` (inotify, FSEvents
or ReadDirectoryChangesW underneath) and reports, in batches, the workspace-relative
paths of files that discovery would index and that were added, modified or deleted.
An error inside the watch loop restarts it (and asks for a catch-up, since the batch
it was building is lost) rather than ending the thread.
Everything else (other suffixes, ignored files, the index folder, `.git`) is filtered
out with `PathFilter`, the walk's own rules.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

from kenning.core.settings import Settings
from kenning.languages import LAYOUT_FILES, SOURCE_MARKERS
from kenning.pipeline.discover import IGNORE_FILES, VENV_MARKER, PathFilter

log = logging.getLogger(__name__)

# Changes are grouped until the file system has been quiet for STEP_MS, or for at most
# DEBOUNCE_MS: a `git checkout` of many files arrives as a few batches, while a single
# save is reported within about a tenth of a second.
DEBOUNCE_MS = 100
STEP_MS = 50
# The watch loop wakes this often when nothing happens. The first wake-up is also how
# `start` learns that the watches are in place.
IDLE_WAKE_MS = 250
# How long `start` and `stop` wait for the watcher thread.
THREAD_WAIT_SECONDS = 10.0
# After an error the watch loop starts again RESTART_DELAY_S later (which also bounds
# the cost of a file that breaks every event); it gives up after START_ATTEMPTS
# failures in a row to set the watches up at all.
RESTART_DELAY_S = 0.2
START_ATTEMPTS = 3

# Files whose change alters which paths the ignore rules accept.
_RULE_FILES = frozenset({*IGNORE_FILES, VENV_MARKER, *SOURCE_MARKERS, *LAYOUT_FILES})


class FileWatcher:
    """Watches one workspace on a thread of its own and reports indexable file changes."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        on_change: Callable[[list[str]], None],
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self._filter = PathFilter(root, settings)
        self._root = self._filter.root
        self._on_change = on_change
        self._on_lost = on_lost
        # Why the watcher gave up, for the folder's status ("" while it watches).
        self.error = ""
        self._up = False
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start watching; returns once changes made from now on will be reported."""
        if self._thread is not None:
            return
        # Waiting for file system events blocks (in Rust, with the GIL released), so it
        # needs a thread of its own; it only filters paths and hands them on.
        self._thread = threading.Thread(target=self._run, name="kenning-watch", daemon=True)
        self._thread.start()
        if not self._ready.wait(THREAD_WAIT_SECONDS):
            log.warning("the file watcher took over %ss to start", THREAD_WAIT_SECONDS)

    def stop(self) -> None:
        """Stop watching (within about STEP_MS); safe to call more than once."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(THREAD_WAIT_SECONDS)

    def _run(self) -> None:
        """Watch until stopped. The watch loop is restarted after any error, so one
        odd event (a file whose name is not UTF-8 ends watchfiles' loop with an
        internal error) never leaves the folder unwatched; what the lost batch held
        is found by `on_lost`, a catch-up of the whole folder."""
        failed_starts = 0
        try:
            while not self._stop.is_set():
                self._up = False
                try:
                    self._watch()
                    return
                except Exception as error:
                    # An error once the watches were in place came from one event:
                    # start again. One before that (too few inotify watches for a huge
                    # tree, say) will happen again: after a few, give up and say so.
                    failed_starts = 0 if self._up else failed_starts + 1
                    if failed_starts >= START_ATTEMPTS:
                        self.error = f"the file watcher stopped: {error}"
                        log.error("%s", self.error, exc_info=error)
                        return
                    log.warning("the file watcher restarts after an error: %s", error)
                    self._stop.wait(RESTART_DELAY_S)
                    self._lost()
        finally:
            self._ready.set()

    def _watch(self) -> None:
        for changes in watchfiles.watch(
            self._root,
            watch_filter=self._wanted,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=self._stop,
            rust_timeout=IDLE_WAKE_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            self._up = True
            self._ready.set()
            if not changes:
                continue
            paths = sorted(self._indexable(changes))
            try:
                self._on_change(paths)
            except Exception:
                log.exception("handling file changes failed")

    def _lost(self) -> None:
        if self._on_lost is None or self._stop.is_set():
            return
        try:
            self._on_lost()
        except Exception:
            log.exception("catching up after the file watcher restarted failed")

    @property
    def alive(self) -> bool:
        """Watching (or about to): False once the watcher gave up or was stopped."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _wanted(self, change: watchfiles.Change, path: str) -> bool:
        if os.path.basename(path) in _RULE_FILES:
            self._filter.forget()
        rel = self._relative(path)
        if change == watchfiles.Change.added and os.path.isdir(path):
            return self._filter.enters(rel)
        return self._filter.accepts(rel)

    def _indexable(self, changes: set[tuple[watchfiles.Change, str]]) -> set[str]:
        """The changed files, plus the files already inside newly created folders.

        A folder gets its watch only after the event saying it was created, so files
        written into it right away (a checkout, an unpacked archive) raise no events
        of their own: they are found by listing the new folder.
        """
        paths: set[str] = set()
        for change, path in changes:
            rel = self._relative(path)
            if change != watchfiles.Change.added or not os.path.isdir(path):
                paths.add(rel)
                continue
            for folder, subfolders, files in os.walk(path):
                rel_folder = self._relative(folder)
                subfolders[:] = [d for d in subfolders if self._filter.enters(f"{rel_folder}/{d}")]
                paths.update(
                    f"{rel_folder}/{name}"
                    for name in files
                    if self._filter.accepts(f"{rel_folder}/{name}")
                )
        return paths

    def _relative(self, path: str) -> str:
        return Path(os.path.relpath(path, self._root)).as_posix()
