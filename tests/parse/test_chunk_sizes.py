"""The chunker's line-range sizes, kept as prefix sums: the chunks they cut are the
ones that summing each range line by line cuts."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenning.languages.python import PYTHON
from kenning.parse.chunker import MAX_CHARS, MAX_LINES, Chunker
from kenning.parse.language import LanguageSyntax
from kenning.parse.text import SourceText


def _naive(self: Chunker, start: int, stop: int) -> int:
    return sum(len(line) + 1 for line in self.lines[start:stop])


def _big_class(methods: int, body_lines: int) -> str:
    out = ["import os", "", "X = 1", "", "class Big(Base):", '    """A class."""', ""]
    for m in range(methods):
        out.append(f"    @decorated('{m}')")
        out.append(f"    def method_{m}(self, value: int = {m}) -> int:")
        out.extend(f"        value += {i} * len('{'x' * (i % 40)}')" for i in range(body_lines))
        out.append("        return value")
        out.append("")
    # A single statement too large for one chunk: split between lines.
    out.append("TABLE = [")
    out.extend(f"    '{'y' * 70}{i}'," for i in range(MAX_LINES * 2))
    out.append("]")
    out.append("def tail(): return TABLE")
    return "\n".join(out) + "\n"


SOURCES = {
    "many small methods": _big_class(methods=80, body_lines=3),
    "oversized methods": _big_class(methods=6, body_lines=MAX_LINES + 5),
    "no trailing newline": _big_class(methods=30, body_lines=2).rstrip("\n"),
    "wide lines": "\n".join(f"v{i} = '{'z' * (MAX_CHARS // 3)}'" for i in range(12)),
}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_chunks_match_line_by_line_sums(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    source = SOURCES[name].encode()
    fast = PYTHON.extract_facts("pkg/big.py", source, "pkg.big").chunks
    monkeypatch.setattr(Chunker, "_chars", _naive)
    slow = PYTHON.extract_facts("pkg/big.py", source, "pkg.big").chunks
    assert len(fast) > 3
    assert fast == slow


def test_django_sized_file_chunks_match(monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(__file__).parents[2] / "daemon/kenning/parse/extractor.py"
    source = path.read_bytes()
    fast = PYTHON.extract_facts("x/extractor.py", source, "x.extractor").chunks
    monkeypatch.setattr(Chunker, "_chars", _naive)
    assert fast == PYTHON.extract_facts("x/extractor.py", source, "x.extractor").chunks


def test_range_sizes_equal_the_sums_of_their_lines() -> None:
    text = SourceText(b"a\n\nbcd\n  efgh\n\n")
    chunker = Chunker("f.py", LanguageSyntax("python", "#", ": ..."), "f", text)
    rows = len(text.lines)
    for start in range(rows + 3):
        for stop in range(rows + 3):
            assert chunker._chars(start, stop) == _naive(chunker, start, stop), (start, stop)
