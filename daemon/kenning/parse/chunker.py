"""Cutting a file into chunks: the units that full-text search and embeddings see.

The rules, chosen so that each chunk is one coherent thing a person would search for:

- Every *chunk owner* gets its own chunk(s). Owners are definitions that are
  statements directly in the module or directly in a class body: top-level
  functions and classes, methods, nested classes. A function's chunk keeps
  everything inside it, closures and local classes included: they are part of that
  function's logic, and a separate chunk would embed the same text twice.
  Definitions under a module-level `if`/`try` stay in the module-level chunk for the
  same reason.
- A type's chunk (class, interface, struct, enum, trait) is its outline: header,
  docstring, type-level statements, and each member definition reduced to its
  decorators and signature followed by the language's stub (`: ...` in Python,
  ` { ... }` with braces). The members' bodies are in their own chunks.
- Module-level code (statements outside owners) forms one chunk per contiguous run.
- A chunk over `MAX_LINES` lines or `MAX_CHARS` characters is split between
  top-level statements of its body, greedily; only a single statement that is itself
  too large is split between lines (never inside a line).
- Chunks cover whole lines and keep their indentation; whitespace-only chunks are
  dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import accumulate

from tree_sitter import Node

from kenning.core.facts import Chunk, Symbol, text_hash
from kenning.core.words import hidden_words
from kenning.parse.language import LanguageSyntax
from kenning.parse.text import SourceText

MAX_LINES = 60
MAX_CHARS = 2000
# How much of a doc comment that sits above its definition goes into the header.
HEADER_DOC_CHARS = 300


def _last_row(node: Node) -> int:
    """The last line a node has text on: a node that ends at column 0 (a `//` comment
    taking its newline along) ends on the line before."""
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point[0] else row


@dataclass(slots=True)
class ChunkOwner:
    """A definition that gets its own chunk, with what the chunker needs to cut it."""

    symbol: Symbol
    outer: Node  # the statement: the decorated definition when decorated
    body: Node
    header_end: int  # byte just after the signature (parameters / return type / bases)
    is_class: bool
    members: dict[int, ChunkOwner] = field(default_factory=dict)  # by outer start byte


@dataclass(slots=True)
class _Unit:
    """Whole lines `start..end` (inclusive); `stub` replaces them when set."""

    start: int
    end: int
    stub: str | None = None


@dataclass(slots=True)
class _Piece:
    symbol: Symbol
    kind: str
    start: int
    end: int
    code: str


class Chunker:
    """Builds the chunks of one file."""

    def __init__(self, path: str, syntax: LanguageSyntax, module: str, text: SourceText) -> None:
        self.path = path
        self.language = syntax.name
        self.comment = syntax.line_comment
        # Languages whose doc comments sit above the definition (JSDoc, Go, rustdoc,
        # Javadoc): the comment is outside the definition's chunk, in the module code
        # before it, so the header carries it (see `chunks`).
        self.doc_outside = bool(syntax.doc_comment_prefixes)
        self.stub_suffix = syntax.stub_suffix
        self.module = module
        self.text = text
        self.lines = text.lines
        self.pieces: list[_Piece] = []
        self._owners: list[ChunkOwner] = []
        # Characters (a newline each included) before each line, built on first use:
        # grouping asks for the size of many line ranges, twice for a unit that starts
        # a new group, and summing them line by line was a tenth of a large file's save.
        self._offsets: list[int] | None = None

    def add_owner_later(self, owner: ChunkOwner) -> None:
        """Queue an owner; a class's members are only all known once extraction ends."""
        self._owners.append(owner)

    def finish(self, module_symbol: Symbol, root: Node, top_owners: dict[int, ChunkOwner]) -> None:
        for owner in self._owners:
            self.add_owner(owner)
        self.add_module_code(module_symbol, root, top_owners)

    # -- owners ------------------------------------------------------------------

    def add_owner(self, owner: ChunkOwner) -> None:
        start = owner.outer.start_point[0]
        end = owner.outer.end_point[0]
        kind = str(owner.symbol.kind)
        if not owner.is_class:
            code = "\n".join(self.lines[start : end + 1])
            if end - start < MAX_LINES and len(code) <= MAX_CHARS:
                self._add(owner.symbol, kind, start, end, code)
                return
        units = self._body_units(owner)
        self._add_grouped(owner.symbol, kind, units)

    def add_module_code(
        self, module_symbol: Symbol, root: Node, owners: dict[int, ChunkOwner]
    ) -> None:
        """Module-level statements, one chunk group per run between owners."""
        run: list[_Unit] = []
        for child in root.named_children:
            if child.start_byte in owners:
                self._add_grouped(module_symbol, "module", run)
                run = []
                continue
            self._append_unit(run, _Unit(child.start_point[0], _last_row(child)))
        self._add_grouped(module_symbol, "module", run)

    def _body_units(self, owner: ChunkOwner) -> list[_Unit]:
        start = owner.outer.start_point[0]
        units: list[_Unit] = []
        children = owner.body.named_children
        first_row = children[0].start_point[0] if children else owner.body.start_point[0]
        # The header: decorators and signature lines, down to the first body statement.
        self._append_unit(units, _Unit(start, max(start, first_row - 1)))
        for child in children:
            member = owner.members.get(child.start_byte) if owner.is_class else None
            unit = _Unit(child.start_point[0], _last_row(child))
            if member is not None:
                unit.stub = self._stub(member)
            self._append_unit(units, unit)
        # A body closed by a token on a line of its own (`}`) keeps that line.
        closing = _last_row(owner.body)
        if units and closing > units[-1].end:
            self._append_unit(units, _Unit(closing, closing))
        return units

    def _stub(self, member: ChunkOwner) -> str:
        line = self.lines[member.outer.start_point[0]]
        indent = line[: len(line) - len(line.lstrip())]
        head = self.text.byte_slice_text(member.outer.start_byte, member.header_end)
        return f"{indent}{head}{self.stub_suffix}"

    @staticmethod
    def _append_unit(units: list[_Unit], unit: _Unit) -> None:
        # Units that share a line cannot be separated: merge them, and a merged unit
        # shows its real text (a stub sharing a line with other code is not a stub).
        if units and unit.start <= units[-1].end:
            last = units[-1]
            last.end = max(last.end, unit.end)
            last.stub = None
        else:
            units.append(unit)

    # -- grouping ----------------------------------------------------------------

    def _chars(self, start: int, stop: int) -> int:
        """The characters of lines `start..stop` (exclusive), a newline each counted:
        what `sum(len(line) + 1 for line in self.lines[start:stop])` gives."""
        offsets = self._offsets
        if offsets is None:
            offsets = self._offsets = [0, *accumulate(len(line) + 1 for line in self.lines)]
        last = len(offsets) - 1
        start, stop = min(start, last), min(stop, last)
        return offsets[stop] - offsets[start] if stop > start else 0

    def _unit_chars(self, unit: _Unit) -> int:
        if unit.stub is not None:
            return len(unit.stub) + 1
        return self._chars(unit.start, unit.end + 1)

    def _render(self, units: list[_Unit]) -> str:
        out: list[str] = []
        row = units[0].start
        for unit in units:
            out.extend(self.lines[row : unit.start])  # blank lines between units
            if unit.stub is not None:
                out.append(unit.stub)
            else:
                out.extend(self.lines[unit.start : unit.end + 1])
            row = unit.end + 1
        return "\n".join(out)

    def _add_grouped(self, symbol: Symbol, kind: str, units: list[_Unit]) -> None:
        # Limits apply to the rendered code: a stub counts as one line however long
        # the method it stands for, and blank lines between units count too.
        group: list[_Unit] = []
        chars = lines = 0
        for unit in units:
            size = self._unit_chars(unit)
            height = 1 if unit.stub is not None else unit.end - unit.start + 1
            if group:
                gap_start = min(group[-1].end + 1, len(self.lines))
                gap_stop = min(unit.start, len(self.lines))
                size += self._chars(gap_start, gap_stop)
                height += max(0, gap_stop - gap_start)
            too_big = unit.stub is None and (unit.end - unit.start >= MAX_LINES or size > MAX_CHARS)
            if group and (too_big or lines + height > MAX_LINES or chars + size > MAX_CHARS):
                self._add(symbol, kind, group[0].start, group[-1].end, self._render(group))
                group, chars, lines = [], 0, 0
                size = self._unit_chars(unit)
                height = 1 if unit.stub is not None else unit.end - unit.start + 1
            if too_big:
                self._add_lines(symbol, kind, unit.start, unit.end)
                continue
            group.append(unit)
            chars += size
            lines += height
        if group:
            self._add(symbol, kind, group[0].start, group[-1].end, self._render(group))

    def _add_lines(self, symbol: Symbol, kind: str, start: int, end: int) -> None:
        """Split one oversized statement between lines."""
        first = start
        chars = 0
        for row in range(start, end + 1):
            size = len(self.lines[row]) + 1
            if row > first and (row - first >= MAX_LINES or chars + size > MAX_CHARS):
                self._add(symbol, kind, first, row - 1, "\n".join(self.lines[first:row]))
                first, chars = row, 0
            chars += size
        self._add(symbol, kind, first, end, "\n".join(self.lines[first : end + 1]))

    def _add(self, symbol: Symbol, kind: str, start: int, end: int, code: str) -> None:
        if code and not code.isspace():
            self.pieces.append(_Piece(symbol, kind, start, end, code))

    # -- result ------------------------------------------------------------------

    def _doc_line(self, doc: str) -> str:
        """The first paragraph of a doc comment as one header line: what the definition
        is for, in its author's words, which is what a search describes."""
        paragraph = " ".join(doc.strip().split("\n\n", 1)[0].split())
        if len(paragraph) > HEADER_DOC_CHARS:
            paragraph = paragraph[: HEADER_DOC_CHARS - 1] + "…"
        return f"{self.comment} {paragraph}\n" if paragraph else ""

    def chunks(self) -> list[Chunk]:
        """The chunks in source order (stable: an outer chunk before inner ones on its line)."""
        self.pieces.sort(key=lambda piece: piece.start)
        result: list[Chunk] = []
        for ordinal, piece in enumerate(self.pieces):
            symbol = piece.symbol
            # The header gives a piece its context (the class of a method, the function
            # a piece of a long body belongs to) but not its file or module: a function
            # moved to another file keeps its text, hence its hash, hence its vector.
            if piece.kind == "module":
                header = f"{self.comment} {self.module}\n"
            else:
                local = symbol.id.split("#", 1)[1].split("@", 1)[0]
                header = f"{self.comment} {_spelled(local)}{local}{symbol.signature}\n"
                if self.doc_outside and symbol.docstring:
                    header += self._doc_line(symbol.docstring)
            text = header + piece.code
            result.append(
                Chunk(
                    id=f"{self.path}#{ordinal}",
                    path=self.path,
                    symbol_id=symbol.id,
                    kind=piece.kind,
                    language=self.language,
                    start_line=piece.start,
                    end_line=piece.end,
                    code=piece.code,
                    text=text,
                    text_hash=text_hash(text),
                )
            )
        return result


def _spelled(local: str) -> str:
    """The words of a definition's own name, then ": ", when the embedding model's
    tokenizer would not see them (`AppContext` -> "app context: "; nothing for
    `get_user_name`, whose underscores already split it). The model reads a camelCase
    name as word pieces (`app`, `##con`, `##text`), so a class's name, and nearly every
    TypeScript, Go and Java name, missed the words a query says; spelled out, a class's
    vector found its class queries better on the tuning corpora (bench/README.md,
    sixth round)."""
    words = hidden_words(local.rpartition(".")[2])
    return f"{words}: " if words else ""
