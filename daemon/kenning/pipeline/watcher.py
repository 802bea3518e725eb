"""A file watcher for editors that do not report file changes themselves.

LSP clients may watch files and send `workspace/didChangeWatchedFiles`; for those
that do not, `FileWatcher` watches the workspace with `watchfiles` (inotify, FSEvents
or ReadDirectoryChangesW underneath) and reports, in batches, the workspace-relative
paths of files that discovery would index and that were added, modified or deleted.
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

# Files whose change alters which paths the ignore rules accept.
_RULE_FILES = frozenset({*IGNORE_FILES, VENV_MARKER, *SOURCE_MARKERS, *LAYOUT_FILES})


class FileWatcher:
    """Watches one workspace on a thread of its own and reports indexable file changes."""

    def __init__(
        self, root: Path, settings: Settings, on_change: Callable[[list[str]], None]
    ) -> None:
        self._filter = PathFilter(root, settings)
        self._root = self._filter.root
        self._on_change = on_change
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
        try:
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
                self._ready.set()
                if not changes:
                    continue
                paths = sorted(self._indexable(changes))
                try:
                    self._on_change(paths)
                except Exception:
                    log.exception("handling file changes failed")
        except Exception:
            # Typically too few inotify watches for a huge tree: the editor's own
            # notifications and the next start's catch-up index still keep it current.
            log.exception("the file watcher stopped")
        finally:
            self._ready.set()

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
