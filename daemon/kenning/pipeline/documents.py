"""Open editor buffers: their text, version and the edits tree-sitter needs to reparse them.

An `OpenDocument` is one file the editor has open. The event loop applies the LSP
`didChange` edits to it (`apply`); the writer thread takes a `DocumentSnapshot` of it
(`snapshot`), parses `snapshot.source` starting from `snapshot.tree`, and hands the new
tree back (`parsed`) so that the next parse is incremental again. Each text change is
turned into a tree-sitter edit (byte offsets plus row/byte-column points, computed from
the text before the change), and the edits since the last parsed tree wait in a list
that the next snapshot applies to a copy of that tree.

Positions follow LSP: 0-based lines, columns in UTF-16 code units; lines end at `\\n`,
`\\r\\n` or `\\r`. A column past the end of its line means the line's end and a line
past the end of the text means the end of the text.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
from tree_sitter import Point, Tree

from kenning.core.facts import Span

# LSP line terminators; tree-sitter itself counts rows by `\n` only (see `_point`).
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")

# Past this many unparsed edits (a writer that keeps failing, or a flood of tiny
# edits), replaying them onto the old tree is no cheaper than parsing from scratch, so
# the tree is dropped and the list with it: memory stays bounded either way.
MAX_PENDING_EDITS = 1000


class TextChange(msgspec.Struct, frozen=True):
    """One LSP content change: `text` replaces `range`, or the whole text when None."""

    text: str
    range: Span | None = None


@dataclass(frozen=True, slots=True)
class TreeEdit:
    """The arguments of one `Tree.edit` call: byte offsets and (row, byte column) points."""

    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: Point
    old_end_point: Point
    new_end_point: Point

    def apply_to(self, tree: Tree) -> None:
        tree.edit(
            start_byte=self.start_byte,
            old_end_byte=self.old_end_byte,
            new_end_byte=self.new_end_byte,
            start_point=self.start_point,
            old_end_point=self.old_end_point,
            new_end_point=self.new_end_point,
        )


@dataclass(frozen=True, slots=True)
class DocumentSnapshot:
    """A document's content at one version, and the tree to start its parse from.

    `tree` is the last parsed tree with every edit since applied (a copy the caller
    may keep), or None to parse from scratch. `edits_seen` and `generation` let
    `OpenDocument.parsed` tell which edits the parse already covers.
    """

    path: str
    version: int
    source: bytes
    tree: Tree | None
    edits_seen: int
    generation: int


class OpenDocument:
    """One open editor buffer; `apply` on the event loop, `snapshot`/`parsed` on the writer.

    The event loop is the only writer of the text, so `apply` computes the new text
    without the lock and only publishes it under it; the lock guards what the two
    threads share (text, version, base tree and pending edits), for a few assignments.
    """

    def __init__(self, path: str, text: str, version: int) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._source = _encode(text)
        self._line_starts = _line_starts(self._source)
        self._version = version
        # The last tree the writer parsed, and the edits made to the text since.
        self._tree: Tree | None = None
        self._pending: deque[tuple[int, TreeEdit]] = deque()
        # Every edit gets a serial number; `_tree` covers those up to `_tree_covers`.
        self._edits_seen = 0
        self._tree_covers = 0
        # Bumped by a whole-text replacement: trees parsed before it are worthless.
        self._generation = 0

    @property
    def version(self) -> int:
        return self._version

    @property
    def size(self) -> int:
        """The text's length in UTF-8 bytes."""
        return len(self._source)

    def text(self) -> str:
        return self._source.decode("utf-8", "surrogatepass")

    def apply(self, changes: Sequence[TextChange], version: int) -> None:
        """Apply one `didChange` notification's changes, in order."""
        source, starts = self._source, self._line_starts
        edits: list[TreeEdit] = []
        replaced = False
        for change in changes:
            new = _encode(change.text)
            if change.range is None:
                source, replaced, edits = new, True, []
            else:
                start = _offset(source, starts, change.range.start_line, change.range.start_col)
                end = _offset(source, starts, change.range.end_line, change.range.end_col)
                end = max(start, end)
                edits.append(_tree_edit(source, start, end, new))
                source = source[:start] + new + source[end:]
            # Recounted over the whole text: a change next to a `\r` or `\n` can join or
            # split a `\r\n`, and a C-speed scan is cheap next to a parse.
            starts = _line_starts(source)
        with self._lock:
            self._source, self._line_starts, self._version = source, starts, version
            if replaced:
                self._tree = None
                self._pending.clear()
                self._generation += 1
            for edit in edits:
                self._edits_seen += 1
                self._pending.append((self._edits_seen, edit))
            if len(self._pending) > MAX_PENDING_EDITS:
                self._tree = None
                self._pending.clear()
                self._generation += 1

    def snapshot(self) -> DocumentSnapshot:
        """The current text, with a copy of the last tree brought up to date by the edits."""
        with self._lock:
            source, version, tree = self._source, self._version, self._tree
            edits = [edit for _, edit in self._pending]
            seen, generation = self._edits_seen, self._generation
        if tree is not None:
            # A copy: the caller's tree must not move when later edits are replayed.
            tree = tree.copy()
            for edit in edits:
                edit.apply_to(tree)
        return DocumentSnapshot(self.path, version, source, tree, seen, generation)

    def parsed(self, snapshot: DocumentSnapshot, tree: Tree) -> None:
        """Keep `tree` (parsed from `snapshot.source`) as the base of the next parse."""
        with self._lock:
            if snapshot.generation != self._generation or snapshot.edits_seen < self._tree_covers:
                # Replaced meanwhile, or an older parse finishing after a newer one.
                return
            self._tree, self._tree_covers = tree, snapshot.edits_seen
            while self._pending and self._pending[0][0] <= snapshot.edits_seen:
                self._pending.popleft()

    @property
    def pending_edits(self) -> int:
        """Edits not yet covered by a parsed tree (bounded by `MAX_PENDING_EDITS`)."""
        with self._lock:
            return len(self._pending)


def _encode(text: str) -> bytes:
    # `surrogatepass`: JSON may carry lone surrogates; they must not fail the edit.
    return text.encode("utf-8", "surrogatepass")


def _line_starts(source: bytes) -> list[int]:
    return [0, *(m.end() for m in _LINE_BREAK.finditer(source))]


def _offset(source: bytes, starts: list[int], line: int, utf16_col: int) -> int:
    """The byte offset of an LSP position, clamped to its line and to the text."""
    if line >= len(starts):
        return len(source)
    begin = starts[line]
    end = starts[line + 1] if line + 1 < len(starts) else len(source)
    content = source[begin:end].rstrip(b"\r\n")
    if content.isascii():
        return begin + min(utf16_col, len(content))
    units = 0
    offset = begin
    for char in content.decode("utf-8", "surrogatepass"):
        width = 2 if ord(char) > 0xFFFF else 1
        # A column inside a surrogate pair (no editor sends one) snaps to the character.
        if units + width > utf16_col:
            break
        units += width
        offset += len(char.encode("utf-8", "surrogatepass"))
    return offset


def _point(source: bytes, offset: int) -> Point:
    """tree-sitter's (row, byte column) of a byte offset: rows end at `\\n` only."""
    row = source.count(b"\n", 0, offset)
    return Point(row, offset - (source.rfind(b"\n", 0, offset) + 1))


def _tree_edit(source: bytes, start: int, end: int, new: bytes) -> TreeEdit:
    start_point = _point(source, start)
    breaks = new.count(b"\n")
    if breaks:
        new_end_point = Point(start_point.row + breaks, len(new) - (new.rfind(b"\n") + 1))
    else:
        new_end_point = Point(start_point.row, start_point.column + len(new))
    return TreeEdit(
        start_byte=start,
        old_end_byte=end,
        new_end_byte=start + len(new),
        start_point=start_point,
        old_end_point=_point(source, end),
        new_end_point=new_end_point,
    )
