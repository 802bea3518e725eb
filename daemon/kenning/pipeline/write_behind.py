"""Write-behind: edits visible at once, written to the persisted stores later, together.

A save used to wait for its graph transaction and its chunk merge (100-300 ms on
Django). Now the writer prepares the change (parse, resolve, re-resolve what pointed at
it: `Indexer.prepare`), adds it here and publishes the recent layer that queries lay
over the stores (`storage/layered.py`); the persisted write comes later, for every
change prepared since the last one, in one batch (`Indexer.persist`), on a thread of its
own (`kenning-persist`) so that a save never waits behind it. A file saved three times
is written once, with its last text.

The writer thread adds changes and takes batches; the persist thread says a batch is
written (`written`), dropping only what no later change replaced (a file saved again
while its previous text was being written stays, to be written with the next batch).
The query threads read only `recent`, an immutable snapshot replaced whole. A
persisted write that fails leaves everything here (queries stay right) to be tried
again at the next flush.

On a crash the pending changes are lost with the process, and nothing else: the
catalog still holds the files' old size, mtime and hash, so the catch-up at the next
start parses the saved files again; unsaved buffers are the editor's, sent again when it
reconnects.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pyarrow as pa

from kenning.pipeline.indexer import ChangeReport, Prepared
from kenning.storage.graph import FileRecord, FileUpdate, Rewire
from kenning.storage.layered import EMPTY, RecentFile, RecentFiles


class WriteBehind:
    """Changes prepared and visible, not yet persisted, coalesced per file and site."""

    def __init__(self) -> None:
        self._updates: dict[str, FileUpdate] = {}
        self._chunks: dict[str, pa.Table] = {}
        # The same rows as dicts, for the recent layer.
        self._rows: dict[str, tuple[dict, ...]] = {}
        self._rewires: dict[tuple[str, str, int, int], Rewire] = {}
        self._touched: dict[str, FileRecord] = {}
        self._hashes: dict[str, None] = {}
        # When the oldest change not yet persisted was added (monotonic), or None.
        self.since: float | None = None
        # A batch was taken and is being written; when the first change after it came.
        self._taken = False
        self._since_taken: float | None = None
        # `add`/`batch` (writer thread) against `written`/`failed` (persist thread).
        self._lock = threading.Lock()
        # What queries lay over the stores; replaced whole, never changed in place.
        self.recent: RecentFiles = EMPTY

    def __len__(self) -> int:
        """Files waiting to be written."""
        return len(self._updates)

    @property
    def pending(self) -> bool:
        return bool(self._updates or self._rewires or self._touched)

    def add(self, prepared: Prepared) -> None:
        """Take a prepared batch in (after those before it) and publish the new layer."""
        with self._lock:
            self._add(prepared)

    def _add(self, prepared: Prepared) -> None:
        for update in prepared.reresolved:
            if update.path in self._updates:
                self._updates[update.path] = update
        for update in prepared.updates:
            path = update.path
            self._updates[path] = update
            self._chunks[path] = prepared.chunks[path]
            self._rows[path] = tuple(self._chunks[path].to_pylist())
            self._touched.pop(path, None)
            # The file's own edges are written anew, resolved as of now.
            for site in [k for k, rw in self._rewires.items() if rw.edge.path == path]:
                del self._rewires[site]
        for rw in prepared.rewires:
            self._rewires[rw.edge.site] = rw
        for record in prepared.touched:
            held = self._updates.get(record.path)
            if held is not None and held.record is not None:
                # A new update, not one changed in place: the one held may be in the
                # batch being written, and `written` drops only what it wrote.
                kept = replace(held.record, size=record.size, mtime_ns=record.mtime_ns)
                self._updates[record.path] = replace(held, record=kept)
            else:
                self._touched[record.path] = record
        self._hashes.update(dict.fromkeys(prepared.report.text_hashes))
        if self.pending:
            now = time.monotonic()
            if self.since is None:
                self.since = now
            if self._taken and self._since_taken is None:
                self._since_taken = now
        self._publish()

    def batch(self) -> Prepared | None:
        """Everything pending as one batch for `Indexer.persist` (None when nothing is);
        it stays pending, and visible, until `written`."""
        with self._lock:
            if not self.pending:
                return None
            self._taken = True
            self._since_taken = None
            return self._batch()

    def _batch(self) -> Prepared:
        updates = list(self._updates.values())
        return Prepared(
            updates=updates,
            rewires=list(self._rewires.values()),
            touched=list(self._touched.values()),
            chunks={u.path: self._chunks[u.path] for u in updates if u.path in self._chunks},
            report=ChangeReport(
                changed=[u.path for u in updates if u.facts is not None],
                deleted=[u.path for u in updates if u.facts is None],
                unchanged=[],
                rewired=len(self._rewires),
                graph_write="",
                seconds=0.0,
                text_hashes=list(self._hashes),
            ),
        )

    def written(self, batch: Prepared) -> None:
        """`batch` is in the stores: queries read them alone again for what it wrote.
        What a later change replaced meanwhile stays pending, and visible."""
        with self._lock:
            for update in batch.updates:
                if self._updates.get(update.path) is update:
                    del self._updates[update.path]
                    self._chunks.pop(update.path, None)
                    self._rows.pop(update.path, None)
            for rw in batch.rewires:
                if self._rewires.get(rw.edge.site) is rw:
                    del self._rewires[rw.edge.site]
            for record in batch.touched:
                if self._touched.get(record.path) is record:
                    del self._touched[record.path]
            for text_hash in batch.report.text_hashes:
                self._hashes.pop(text_hash, None)
            self.since = self._since_taken if self.pending else None
            self._taken = False
            self._since_taken = None
            self._publish()

    def failed(self) -> None:
        """The batch taken last was not written: all of it stays pending."""
        with self._lock:
            self._taken = False
            self._since_taken = None

    def _publish(self) -> None:
        if not self.pending:
            self.recent = EMPTY
            return
        files = {
            path: RecentFile(path, u.record, u.facts, u.resolved, self._rows.get(path, ()))
            for path, u in self._updates.items()
        }
        self.recent = RecentFiles(files, self._rewires.values())
