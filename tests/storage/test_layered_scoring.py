"""How the recent layer scores its chunks for a text search stays what it was when it
stems each token once and tokenizes each recent chunk once per snapshot.

The persisted store is a stand-in here (its hits and their BM25 scores are given): what
is checked is the scoring above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from kenning.storage import layered
from kenning.storage.chunks import ChunkFilter
from kenning.storage.layered import LayeredChunks, RecentFile, RecentFiles

TEXTS = [
    "def parsing_tests(buses, goes, ses, things):\n    return tested + sings",
    "class AppContext:\n    '''Pushes the context; pushed, pushing, pushes.'''",
    "ünïcödé_wörds and CAPS_LOCKED and x1y2 and 42s",
    "",
]


def plain_tokens(text: str) -> list[str]:
    return [layered._stem(t) for t in layered._TOKEN.findall(text.lower())]


@pytest.mark.parametrize("cap", [1 << 17, 3])
def test_tokens_are_each_token_stemmed(monkeypatch: pytest.MonkeyPatch, cap: int) -> None:
    monkeypatch.setattr(layered, "_STEMS", {})
    monkeypatch.setattr(layered, "_STEMS_MAX", cap)
    for _ in range(2):  # the second time from the kept stems (or after they were emptied)
        for text in TEXTS:
            assert layered._tokens(text) == plain_tokens(text)
    assert len(layered._STEMS) <= max(cap, max(len(set(plain_tokens(t))) for t in TEXTS))


def row(path: str, name: str, text: str, kind: str = "function") -> dict[str, Any]:
    return {
        "id": f"{path}#{name}",
        "path": path,
        "symbol_id": f"{path}#{name}",
        "qualname": name,
        "kind": kind,
        "language": "python",
        "start_line": 1,
        "end_line": 2,
        "text": text,
        "words": text,
        "terms": name,
    }


class Persisted:
    """Persisted hits with fixed scores, whatever the query."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def search_text(
        self, query: str, limit: int, filters: ChunkFilter | None = None, field: str = "words"
    ) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows[:limit]]

    def start_text_searches(self, searches: Sequence[Any]) -> Any:
        return lambda: [self.search_text(*search) for search in searches]

    def by_hashes(self, hashes: Sequence[str], filters: Any = None, columns: Any = ()) -> list:
        return []

    def by_symbols(self, symbol_ids: Sequence[str], filters: Any = None) -> list:
        return []


PERSISTED = [
    {**row("p.py", "parse_rows", "def parse_rows(rows): return rows"), "_score": 3.0},
    {**row("p.py", "push_context", "def push_context(): pushes the context"), "_score": 1.5},
]
RECENT = [
    row("r.py", "parsing_buses", TEXTS[0]),
    row("r.py", "AppContext", TEXTS[1], kind="class"),
    row("s.py", "push_more", "def push_more(): pushing more context"),
]


def layer() -> RecentFiles:
    files = {}
    for path in ("r.py", "s.py"):
        chunks = tuple(r for r in RECENT if r["path"] == path)
        files[path] = RecentFile(path, None, None, None, chunks)
    return RecentFiles(files)


QUERIES = [
    ("pushing context", None),
    ("parse buses", None),
    ("context", ChunkFilter(kinds=("class",))),
    ("context", ChunkFilter(paths=("s.py",))),
    ("pushes", None),
]


def test_a_snapshot_scores_every_search_as_a_fresh_one_would() -> None:
    """One snapshot answering several searches (tokens made by the first, filters that
    differ) ranks each as a snapshot made for it alone does."""
    shared = LayeredChunks(Persisted(PERSISTED), layer())
    for field in ("words", "terms"):
        for query, filters in QUERIES:
            fresh = LayeredChunks(Persisted(PERSISTED), layer())
            expected = fresh.search_text(query, 10, filters, field)
            assert shared.search_text(query, 10, filters, field) == expected
    # And the recent rows are found at all, above the persisted one they outscore.
    hits = shared.search_text("pushing context", 10)
    assert {h["path"] for h in hits} >= {"r.py", "s.py", "p.py"}


def test_searches_started_together_score_as_one_by_one() -> None:
    """Including a persisted hit of a recent file, hidden, which leaves the first read
    short (limit 1) and is read again, larger."""
    hidden = {**row("r.py", "parse_old", "def parse_old(): parse context"), "_score": 9.0}
    persisted = Persisted([hidden, *PERSISTED])
    searches = [
        (query, limit, filters, field)
        for field in ("words", "terms")
        for query, filters in QUERIES
        for limit in (1, 10)
    ]
    chunks = LayeredChunks(persisted, layer())
    expected = [chunks.search_text(*search) for search in searches]
    assert all("parse_old" not in r["id"] for rows in expected for r in rows)
    assert LayeredChunks(persisted, layer()).start_text_searches(searches)() == expected
