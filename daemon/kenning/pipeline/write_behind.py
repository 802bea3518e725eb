"""Write-behind: edits visible at once, written to the persisted stores later, together.

A save used to wait for its graph transaction and its chunk merge (100-300 ms on
Django). Now the writer prepares the change (parse, resolve, re-resolve what pointed at
it: `Indexer.prepare`), adds it here and publishes the recent layer that queries lay
over the stores (`storage/layered.py`); the persisted write comes later, on the same
writer thread, for every change prepared since the last one, in one batch
(`Indexer.persist`). A file saved three times is written once, with its last text.

`WriteBehind` is the writer thread's alone; the query threads read only `recent`, an
immutable snapshot replaced whole. A persisted write that fails leaves everything here
(queries stay right) to be tried again at the next flush.

On a crash the pending changes are lost with the process, and nothing else: the
catalog still holds the files' old size, mtime and hash, so the catch-up at the next
start parses the saved files again; unsaved buffers are the editor's, sent again when it
reconnects.
"""

from __future__ import annotations

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
                held.record = replace(held.record, size=record.size, mtime_ns=record.mtime_ns)
            else:
                self._touched[record.path] = record
        self._hashes.update(dict.fromkeys(prepared.report.text_hashes))
        if self.since is None and self.pending:
            self.since = time.monotonic()
        self._publish()

    def batch(self) -> Prepared | None:
        """Everything pending as one batch for `Indexer.persist` (None when nothing is);
        it stays pending, and visible, until `written`."""
        if not self.pending:
            return None
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

    def written(self) -> None:
        """The batch is in the stores: queries read them alone again."""
        self._updates.clear()
        self._chunks.clear()
        self._rows.clear()
        self._rewires.clear()
        self._touched.clear()
        self._hashes.clear()
        self.since = None
        self.recent = EMPTY

    def _publish(self) -> None:
        files = {
            path: RecentFile(path, u.record, u.facts, u.resolved, self._rows.get(path, ()))
            for path, u in self._updates.items()
        }
        self.recent = RecentFiles(files, self._rewires.values())
