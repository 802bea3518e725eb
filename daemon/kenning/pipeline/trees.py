"""`EditorTrees`: the last syntax tree of each open editor buffer, owned by the writer.

The writer thread parses every change, so it keeps the trees, as clangd's ASTWorker
keeps its file's AST: nothing else reads or writes them, so they need no lock and never
travel between threads. When a buffer's new text arrives, `start` turns the old tree
into the starting point of an incremental parse: one `Tree.edit` covering what changed
between the text it was parsed from and the new one (the common prefix and suffix
stay; tree-sitter reuses every node outside the edited span). A closed buffer's tree is
dropped, so memory follows what the editor has open.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from tree_sitter import Point, Tree


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


def text_edit(old: bytes, new: bytes) -> TreeEdit | None:
    """The one edit that turns `old` into `new` (None when they are equal): the bytes
    between their common prefix and common suffix are replaced."""
    if old == new:
        return None
    shortest = min(len(old), len(new))
    prefix = _common_prefix(old, new, shortest)
    suffix = _common_suffix(old, new, shortest - prefix)
    old_end, new_end = len(old) - suffix, len(new) - suffix
    return TreeEdit(
        start_byte=prefix,
        old_end_byte=old_end,
        new_end_byte=new_end,
        start_point=_point(old, prefix),
        old_end_point=_point(old, old_end),
        new_end_point=_point(new, new_end),
    )


def _common_prefix(a: bytes, b: bytes, limit: int) -> int:
    # Binary search over slice comparisons: each is a C-speed memcmp, so a megabyte
    # buffer costs about twenty of them instead of a million Python steps.
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def _point(source: bytes, offset: int) -> Point:
    """tree-sitter's (row, byte column) of a byte offset: rows end at `\\n` only."""
    row = source.count(b"\n", 0, offset)
    return Point(row, offset - (source.rfind(b"\n", 0, offset) + 1))


class EditorTrees:
    """Open buffers' trees, each with the text it was parsed from (writer thread only)."""

    def __init__(self) -> None:
        self._trees: dict[str, tuple[bytes, Tree]] = {}

    def start(self, path: str, source: bytes) -> Tree | None:
        """The tree to parse `source` from: the buffer's last tree with the edit to
        `source` applied, or None (parse from scratch)."""
        kept = self._trees.pop(path, None)
        if kept is None:
            return None
        old_source, tree = kept
        edit = text_edit(old_source, source)
        if edit is not None:
            edit.apply_to(tree)
        return tree

    def keep(self, path: str, source: bytes, tree: Tree) -> None:
        self._trees[path] = (source, tree)

    def retain(self, open_paths: Collection[str]) -> None:
        """Drop the trees of buffers that are no longer open."""
        for path in [p for p in self._trees if p not in open_paths]:
            del self._trees[path]

    def __contains__(self, path: object) -> bool:
        return path in self._trees

    def __len__(self) -> int:
        return len(self._trees)
