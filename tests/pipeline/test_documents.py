"""Open documents: LSP edits give the editor's text; the writer's trees, edited from one
text to the next, reparse incrementally to exactly what a fresh parse gives."""

from __future__ import annotations

import random

import pytest
from tree_sitter import Parser

from kenning.core.facts import Span
from kenning.languages.python import PYTHON
from kenning.pipeline.documents import OpenDocument, TextChange
from kenning.pipeline.trees import EditorTrees, text_edit

SOURCE = (
    "import os\n"
    "\n"
    "def greet(name):\n"
    '    """Say hello: é and 😀."""\n'
    "    return f'hi {name} 😀'\n"
    "\n"
    "class Box:\n"
    "    def open(self):\n"
    "        return greet('box')\n"
)

INSERTS = [
    "",
    "x",
    "é",
    "😀",
    "\n",
    "\r\n",
    "\r",
    "    ",
    "def f():\n    return 1\n",
    "class C:\r\n    pass\r\n",
    "(",
    "'😀é'",
    "\nprint('ü')\n",
]


class ReferenceText:
    """LSP text edits done the slow, obvious way: in UTF-16 code units."""

    def __init__(self, text: str) -> None:
        self.units = text.encode("utf-16-le", "surrogatepass")

    @property
    def text(self) -> str:
        return self.units.decode("utf-16-le", "surrogatepass")

    def lines(self) -> list[tuple[int, int]]:
        """(start, end without terminator) of each line, in code units."""
        result: list[tuple[int, int]] = []
        text, i, units, line_start = self.text, 0, 0, 0
        while i < len(text):
            if text[i] in "\r\n":
                result.append((line_start, units))
                width = 2 if text[i : i + 2] == "\r\n" else 1
                i, units = i + width, units + width
                line_start = units
                continue
            units += 2 if ord(text[i]) > 0xFFFF else 1
            i += 1
        result.append((line_start, units))
        return result

    def offset(self, line: int, col: int) -> int:
        lines = self.lines()
        if line >= len(lines):
            return len(self.units) // 2
        begin, end = lines[line]
        return begin + min(col, end - begin)

    def position(self, unit: int) -> tuple[int, int]:
        """The LSP position of a code-unit offset; inside a `\r\n` means the line's end."""
        lines = self.lines()
        for number, (begin, end) in enumerate(lines):
            if number + 1 == len(lines) or unit < lines[number + 1][0]:
                return number, min(unit, end) - begin
        raise AssertionError(unit)

    def replace(self, span: Span, new: str) -> None:
        start = self.offset(span.start_line, span.start_col)
        end = max(start, self.offset(span.end_line, span.end_col))
        new_units = new.encode("utf-16-le", "surrogatepass")
        self.units = self.units[: 2 * start] + new_units + self.units[2 * end :]

    def char_boundaries(self) -> list[int]:
        """Code-unit offsets that do not split a surrogate pair."""
        offsets = [0]
        for char in self.text:
            offsets.append(offsets[-1] + (2 if ord(char) > 0xFFFF else 1))
        return offsets


def random_change(rng: random.Random, ref: ReferenceText) -> TextChange:
    boundaries = ref.char_boundaries()
    a, b = sorted(rng.choice(boundaries) for _ in range(2))
    if rng.random() < 0.5:
        b = min(a + rng.randint(0, 3), boundaries[-1])
        b = max(x for x in boundaries if x <= b)
    (sl, sc), (el, ec) = ref.position(a), ref.position(b)
    roll = rng.random()
    if roll < 0.05:
        # Past the end of the line, or of the text: LSP says clamp.
        ec += 50
    elif roll < 0.08:
        el, ec = len(ref.lines()) + 3, 0
    return TextChange(rng.choice(INSERTS), Span(sl, sc, el, ec))


def fresh(source: bytes) -> str:
    return str(Parser(PYTHON.grammar).parse(source).root_node)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("seed", range(12))
def test_random_edits_match_the_reference_and_reparse_like_a_fresh_parse(
    seed: int, newline: str
) -> None:
    rng = random.Random(seed)
    start = SOURCE.replace("\n", newline)
    doc = OpenDocument("pkg/mod.py", start, 1)
    ref = ReferenceText(start)
    trees = EditorTrees()
    source, _ = doc.snapshot()
    _, tree = PYTHON.extract(doc.path, source, "pkg.mod", trees.start(doc.path, source))
    trees.keep(doc.path, source, tree)
    for step in range(60):
        # Each change's range refers to the text left by the changes before it.
        changes = []
        for _ in range(rng.randint(1, 3)):
            change = random_change(rng, ref)
            assert change.range is not None
            ref.replace(change.range, change.text)
            changes.append(change)
        doc.apply(changes, step + 2)
        assert doc.text() == ref.text
        assert doc.version == step + 2
        if rng.random() < 0.4:
            # The writer takes the text as it is now, whatever edits led there.
            source, version = doc.snapshot()
            assert (source, version) == (ref.text.encode("utf-8", "surrogatepass"), step + 2)
            start_tree = trees.start(doc.path, source)
            assert start_tree is not None
            _, tree = PYTHON.extract(doc.path, source, "pkg.mod", start_tree)
            assert str(tree.root_node) == fresh(source)
            trees.keep(doc.path, source, tree)


def test_positions_count_utf16_units_and_clamp() -> None:
    doc = OpenDocument("a.py", "x = '😀é'\ny = 1\n", 1)
    # After `'😀` is column 7 (the emoji is two units); é is one unit, two bytes.
    doc.apply([TextChange("!", Span(0, 7, 0, 8))], 2)
    assert doc.text() == "x = '😀!'\ny = 1\n"
    doc.apply([TextChange("Z", Span(1, 99, 1, 200))], 3)
    assert doc.text() == "x = '😀!'\ny = 1Z\n"
    doc.apply([TextChange("# end", Span(40, 0, 50, 3))], 4)
    assert doc.text() == "x = '😀!'\ny = 1Z\n# end"
    doc.apply([TextChange("whole\n"), TextChange("new ", Span(0, 0, 0, 0))], 5)
    assert doc.text() == "new whole\n"


def test_an_edited_tree_reparses_only_what_changed() -> None:
    trees = EditorTrees()
    old = b"def a():\n    return 1\n"
    _, tree = PYTHON.extract("a.py", old, "a", None)
    trees.keep("a.py", old, tree)
    new = old + b"\n\ndef b():\n    pass\n"
    start = trees.start("a.py", new)
    assert start is not None
    _, new_tree = PYTHON.extract("a.py", new, "a", start)
    assert str(new_tree.root_node) == fresh(new)
    # The parse reused the old tree: only the appended function changed.
    changed = start.changed_ranges(new_tree)
    assert changed and all(r.start_point.row >= 2 for r in changed)


@pytest.mark.parametrize(
    ("old", "new", "edit"),
    [
        # (start byte, old end, new end, start point, old end point, new end point)
        (b"abc", b"abc", None),
        (b"ab\ncd", b"ab\nXcd", (3, 3, 4, (1, 0), (1, 0), (1, 1))),
        (b"ab\ncd", b"a", (1, 5, 1, (0, 1), (1, 2), (0, 1))),
        (b"x = 1\r\n", b"x = 22\r\n", (4, 5, 6, (0, 4), (0, 5), (0, 6))),
        (b"", b"new\n", (0, 0, 4, (0, 0), (0, 0), (1, 0))),
        # Repeated text: the common prefix and suffix do not overlap.
        (b"aaaa", b"aaaaaa", (4, 4, 6, (0, 4), (0, 4), (0, 6))),
    ],
)
def test_one_edit_covers_what_changed_between_two_texts(
    old: bytes, new: bytes, edit: tuple[int, int, int, tuple[int, int], tuple[int, int],
                                        tuple[int, int]] | None,
) -> None:  # fmt: skip
    found = text_edit(old, new)
    if edit is None:
        assert found is None
        return
    assert found is not None
    assert (found.start_byte, found.old_end_byte, found.new_end_byte,
            tuple(found.start_point), tuple(found.old_end_point),
            tuple(found.new_end_point)) == edit  # fmt: skip
    # Applying it means: the prefix, then the new span, then the suffix.
    assert (
        new
        == old[: found.start_byte]
        + new[found.start_byte : found.new_end_byte]
        + (old[found.old_end_byte :])
    )


def test_closed_buffers_trees_are_dropped() -> None:
    trees = EditorTrees()
    for path in ("a.py", "b.py"):
        _, tree = PYTHON.extract(path, b"x = 1\n", "m", None)
        trees.keep(path, b"x = 1\n", tree)
    trees.retain({"b.py"})
    assert "a.py" not in trees and "b.py" in trees and len(trees) == 1
    assert trees.start("a.py", b"x = 2\n") is None
