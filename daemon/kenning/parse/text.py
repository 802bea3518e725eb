"""Source text helpers for extraction: decoding, node text and LSP positions.

tree-sitter works on bytes and reports byte columns; kenning's facts carry `str` text
and LSP positions (0-based lines, UTF-16 columns). `SourceText` does both conversions
once per file, cheaply: a pure-ASCII file (most code) needs no conversion at all, and in
other files only lines that contain non-ASCII bytes are converted.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from kenning.core.facts import Diagnostic, Span

_WHITESPACE = re.compile(r"\s+")
_OPEN_SPACE = re.compile(r"([(\[{]) ")
_SPACE_CLOSE = re.compile(r" ([)\]}])")
# A trailing comma left by one-item-per-line formatting, e.g. "(\n    a,\n    b,\n)".
_MAGIC_TRAILING_COMMA = re.compile(r",\s*\n\s*([)\]}])")


def collapse_whitespace(text: str) -> str:
    """One-line form of a possibly multi-line expression: "(\\n  a,\\n  b,\\n)" -> "(a, b)"."""
    if "\n" in text:
        text = _MAGIC_TRAILING_COMMA.sub(r"\1", text)
    # Every whitespace character but the space is unprintable: text that is printable
    # and has no two spaces in a row has no run for `_WHITESPACE` to collapse (most
    # one-line attributes and signatures; a wasm-bindgen item has five or six).
    if not text.isprintable() or "  " in text:
        text = _WHITESPACE.sub(" ", text)
    text = text.strip()
    if "( " in text or "[ " in text or "{ " in text:
        text = _OPEN_SPACE.sub(r"\1", text)
    if " )" in text or " ]" in text or " }" in text:
        text = _SPACE_CLOSE.sub(r"\1", text)
    return text


def closing_bracket(text: str, start: int, opening: str, closing: str) -> int:
    """The index of the bracket closing the `opening` one at `start`, or -1."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == opening:
            depth += 1
        elif text[index] == closing:
            depth -= 1
            if depth == 0:
                return index
    return -1


def split_outside(
    text: str, separator: str = ",", opening: str = "([{", closing: str = ")]}"
) -> list[str]:
    """`text` split at `separator` outside brackets (`a, b[c, d], e` -> three parts),
    each part stripped; the part after the last separator is kept even when empty."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in opening:
            depth += 1
        elif char in closing:
            depth -= 1
        if char == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


class SourceText:
    """One file's bytes and decoded text, with node-text and position lookups."""

    __slots__ = ("_byte_lines", "_line_is_ascii", "ascii", "diagnostics", "lines", "source", "text")

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.ascii = source.isascii()
        self.diagnostics: list[Diagnostic] = []
        if self.ascii:
            self.text = source.decode("ascii")
        else:
            try:
                self.text = source.decode("utf-8")
            except UnicodeDecodeError as error:
                # Keep going with replacement characters: positions stay byte-accurate
                # because node text is always sliced from the bytes, never from `text`.
                self.text = source.decode("utf-8", errors="replace")
                line = source.count(b"\n", 0, error.start)
                self.diagnostics.append(
                    Diagnostic(
                        severity="warning",
                        message=(
                            f"invalid UTF-8 at byte {error.start} (line {line + 1}); "
                            "decoded with replacement characters"
                        ),
                        span=Span(line, 0, line, 0),
                    )
                )
        # tree-sitter counts rows by "\n" only, so split on exactly that (not
        # str.splitlines, which also splits on \x0c, \x1c, \u2028 ...).
        self.lines = self.text.split("\n")
        self._byte_lines: list[bytes] | None = None
        self._line_is_ascii: dict[int, bool] = {}

    def node_text(self, node: Node) -> str:
        """The text of a node; byte offsets equal str offsets only in ASCII files."""
        if self.ascii:
            return self.text[node.start_byte : node.end_byte]
        return self.source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def byte_slice_text(self, start: int, end: int) -> str:
        if self.ascii:
            return self.text[start:end]
        return self.source[start:end].decode("utf-8", errors="replace")

    def column(self, row: int, byte_column: int) -> int:
        """Convert a byte column on `row` to UTF-16 code units."""
        if self.ascii or byte_column == 0:
            return byte_column
        is_ascii = self._line_is_ascii.get(row)
        if is_ascii is None:
            if self._byte_lines is None:
                self._byte_lines = self.source.split(b"\n")
            is_ascii = row >= len(self._byte_lines) or self._byte_lines[row].isascii()
            self._line_is_ascii[row] = is_ascii
        if is_ascii:
            return byte_column
        assert self._byte_lines is not None
        prefix = self._byte_lines[row][:byte_column].decode("utf-8", errors="replace")
        return len(prefix.encode("utf-16-le", errors="surrogatepass")) // 2

    def span(self, node: Node) -> Span:
        start_row, start_col = node.start_point
        end_row, end_col = node.end_point
        if self.ascii:
            return Span(start_row, start_col, end_row, end_col)
        return Span(
            start_row, self.column(start_row, start_col), end_row, self.column(end_row, end_col)
        )

    def end_span(self) -> Span:
        """The span of the whole file."""
        last = len(self.lines) - 1
        tail = self.lines[last]
        width = len(tail) if tail.isascii() else len(tail.encode("utf-16-le", "surrogatepass")) // 2
        return Span(0, 0, last, width)
