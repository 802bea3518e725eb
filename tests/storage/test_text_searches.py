"""BM25 searches started together (`start_text_searches`, which hybrid search starts
before it embeds the query and scans the vectors) answer exactly what the same searches
run one by one answer: the same rows, in the same order, with the same scores."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import Workspace
from kenning.storage import chunks as chunk_module
from kenning.storage.chunks import ChunkFilter, ChunkStore, TextSearch

SOURCES = {
    "app/parse.py": (
        "def parse_header(line):\n"
        '    """Parse one header line into its name and value."""\n'
        "    name, _, value = line.partition(':')\n"
        "    return name.strip(), value.strip()\n\n\n"
        "class HeaderParser:\n"
        '    """Parses the header block of a request."""\n\n'
        "    def parse(self, block):\n"
        "        return [parse_header(line) for line in block.splitlines()]\n"
    ),
    "app/render.py": (
        "def render_page(template, context):\n"
        '    """Render a page from its template and context."""\n'
        "    return template.format(**context)\n\n\n"
        "def render_header(name, value):\n"
        "    return f'{name}: {value}'\n"
    ),
    "tests/test_parse.py": (
        "from app.parse import parse_header\n\n\n"
        "def test_parse_header():\n"
        "    assert parse_header('a: b') == ('a', 'b')\n"
    ),
}

SEARCHES: list[TextSearch] = [
    ("parse header", 5, None, "words"),
    ("parse header", 5, None, "terms"),
    ("render page template", 3, None, "words"),
    ("header", 10, ChunkFilter(kinds=("function",)), "terms"),
    ("header", 10, ChunkFilter(paths=("app/render.py",)), "words"),
    ("nothing matches this", 5, None, "words"),
]


@pytest.fixture
def store(workspace: Workspace) -> ChunkStore:
    return workspace.indexed(SOURCES).chunks


def one_by_one(store: ChunkStore, searches: list[TextSearch]) -> list[list[dict[str, Any]]]:
    return [store.search_text(*search) for search in searches]


def test_searches_started_together_answer_as_one_by_one(store: ChunkStore) -> None:
    expected = one_by_one(store, SEARCHES)
    assert any(expected) and not expected[-1]
    assert store.start_text_searches(SEARCHES)() == expected


def test_they_run_on_lancedb_s_loop_not_one_by_one(
    store: ChunkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A LanceDB whose asynchronous table or loop moved would still answer, one by one
    and slower: this says so."""
    expected = one_by_one(store, SEARCHES)

    def refuse(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        raise AssertionError("ran one by one")

    monkeypatch.setattr(ChunkStore, "search_text", refuse)
    assert store.start_text_searches(SEARCHES)() == expected


def test_a_failure_runs_them_again_one_by_one(
    store: ChunkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = one_by_one(store, SEARCHES)

    class Failed:
        def result(self) -> list[Any]:
            raise RuntimeError("the query failed in LanceDB")

    monkeypatch.setattr(chunk_module, "_start_searches", lambda table, searches: Failed())
    assert store.start_text_searches(SEARCHES)() == expected


def test_an_unknown_field_is_refused_at_once(store: ChunkStore) -> None:
    with pytest.raises(ValueError, match="unknown text field"):
        store.start_text_searches([("parse", 5, None, "code")])


def test_an_empty_query_finds_nothing(store: ChunkStore) -> None:
    assert (
        store.start_text_searches([(" ", 5, None, "words"), ("parse", 5, None, "terms")])()[0] == []
    )
