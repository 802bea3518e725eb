"""Open editor buffers: their text and version, kept on the event loop.

An `OpenDocument` is one file the editor has open. The event loop applies the LSP
`didChange` edits to it (`apply`) and is its only writer; the writer thread reads the
text as it is when it takes the change (`source`). The text and version are replaced
together, as one tuple, so a reader on another thread sees a matching pair without a
lock. Syntax trees are not kept here: the writer that parses a buffer keeps its tree
(`pipeline/trees.py`).

Positions follow LSP: 0-based lines, columns in UTF-16 code units; lines end at `\\n`,
`\\r\\n` or `\\r`. A column past the end of its line means the line's end and a line
past the end of the text means the end of the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from kenning.core.facts import Span

# LSP line terminators; tree-sitter itself counts rows by `\n` only (see `_point`).
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


class TextChange(msgspec.Struct, frozen=True):
    """One LSP content change: `text` replaces `range`, or the whole text when None."""

    text: str
    range: Span | None = None


class OpenDocument:
    """One open editor buffer: `apply` on the event loop; `source` and `version` from
    any thread."""

    def __init__(self, path: str, text: str, version: int) -> None:
        self.path = path
        source = _encode(text)
        # (text, its line starts, version), replaced whole by `apply`.
        self._state = (source, _line_starts(source), version)

    @property
    def version(self) -> int:
        return self._state[2]

    @property
    def source(self) -> bytes:
        return self._state[0]

    def snapshot(self) -> tuple[bytes, int]:
        """The text and its version, as a matching pair."""
        source, _, version = self._state
        return source, version

    @property
    def size(self) -> int:
        """The text's length in UTF-8 bytes."""
        return len(self._state[0])

    def text(self) -> str:
        return self._state[0].decode("utf-8", "surrogatepass")

    def apply(self, changes: Sequence[TextChange], version: int) -> None:
        """Apply one `didChange` notification's changes, in order."""
        source, starts, _ = self._state
        for change in changes:
            new = _encode(change.text)
            if change.range is None:
                source = new
            else:
                start = _offset(source, starts, change.range.start_line, change.range.start_col)
                end = _offset(source, starts, change.range.end_line, change.range.end_col)
                source = source[:start] + new + source[max(start, end) :]
            # Recounted over the whole text: a change next to a `\r` or `\n` can join or
            # split a `\r\n`, and a C-speed scan is cheap next to a parse.
            starts = _line_starts(source)
        self._state = (source, starts, version)


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
