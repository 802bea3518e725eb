"""The names a writer's graph store keeps for symbol queries answer as a test of every
name would.

`_NameIndex` searches one text of all names instead of testing each name, and
`in_order` skips possessively instead of lazily: both are checked here against the
plain definition (each name tested on its own) over names chosen to trip them (names
that share letters, repeat letters, hold regex metacharacters, or match only across a
line's end), and a daemon's start builds them before the first save needs them.
"""

from __future__ import annotations

import re

import pytest

from helpers import Workspace
from kenning.storage.graph import _NameIndex, in_order

NAMES = [
    "get",
    "get_object",
    "get_list_or_404",
    "target",
    "aget",
    "kscale1s000",
    "kscale1s000_callee",
    "kscale1s010",
    "ssss",
    "s",
    "a-b]c",
    "x^y$z",
    "back\\slash",
    "_",
    "e",
    "ge",
    "tg",
]
ROWS = [(f"m.py#{name}", name) for name in NAMES] + [("n.py#get", "get"), ("n.py#Get", "Get")]


def by_name(test: object) -> set[str]:
    """The names `test` accepts, each tested on its own."""
    return {name.lower() for _, name in ROWS if test(name.lower())}  # type: ignore[operator]


def names_of(index: _NameIndex, ids: list[str]) -> set[str]:
    return {sid.partition("#")[2].lower() for sid in ids}


@pytest.mark.parametrize("needle", ["get", "g", "s000", "kscale1s0", "]", "$", "\\", "nothing"])
def test_names_containing_a_needle(needle: str) -> None:
    index = _NameIndex(ROWS)
    ids = index.matching(needle, 1000)
    assert names_of(index, ids) == by_name(lambda n: needle in n)
    assert len(ids) == len(set(ids))


def test_exact_names_come_first_then_prefixes_then_shorter() -> None:
    index = _NameIndex(ROWS)
    assert index.matching("get", 4) == ["m.py#get", "n.py#Get", "n.py#get", "m.py#get_object"]


@pytest.mark.parametrize(
    "letters", ["gt", "kscale1s001", "kscale1s01", "ss", "sss", "a]c", "x$z", "ge", "zz", "\\s"]
)
def test_letters_in_order(letters: str) -> None:
    pattern = "^.*" + ".*".join(re.escape(c) for c in letters)
    index = _NameIndex(ROWS)
    expected = by_name(lambda n: re.search(pattern, n) is not None)
    assert names_of(index, index.matching_pattern(pattern, 1000)) == expected
    # The possessive form accepts the same names as the lazy one it replaced.
    lazy = "[^\n]*?".join(re.escape(c) for c in letters)
    assert by_name(lambda n: re.search(in_order(letters), n) is not None) == by_name(
        lambda n: re.search(lazy, n) is not None
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "^get",  # anchored at the start of a name: tested name by name
        "et$",
        "\\bget",
        "t\\s*k",  # could match over a line's end in the joined text
        "[^x]{3}",
        "",  # matches every name, and after the last one
    ],
)
def test_patterns_the_joined_text_cannot_answer_alone(pattern: str) -> None:
    index = _NameIndex(ROWS)
    expected = by_name(lambda n: re.search(pattern, n) is not None)
    assert names_of(index, index.matching_pattern(pattern, 1000)) == expected


def test_names_added_and_removed_are_searched() -> None:
    index = _NameIndex(ROWS)
    assert index.matching("zeta", 10) == []
    index.add([("z.py#zeta", "Zeta")])
    assert index.matching("zeta", 10) == ["z.py#zeta"]
    assert index.matching_pattern("^.*z.*t", 10) == ["z.py#zeta"]
    index.remove([("z.py#zeta", "Zeta")])
    assert index.matching("zeta", 10) == []
    assert index.matching_pattern("^.*z.*t", 10) == []


def test_a_daemon_builds_the_kept_names_before_the_first_edit(workspace: Workspace) -> None:
    """`prepare_for_edits` (a daemon's catch-up, before it says it is ready) builds the
    counts and the name index, so the first symbol query after a save scans nothing."""
    engine = workspace.indexed({"a.py": "def helper():\n    return 1\n"})
    engine.graph._counts = None
    engine.graph._names = None
    engine.prepare_for_edits()
    assert engine.graph._counts is not None
    assert engine.graph._names is not None
    assert [s.name for s in engine.symbols("hlp")] == ["helper"]
