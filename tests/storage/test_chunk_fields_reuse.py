"""An open file's chunk rows reuse what its last save derived from the chunks it kept,
and are the rows a fresh derivation gives.

Each case is a file saved in an editor, then changed: an edit inside one function,
lines inserted above everything, a rename, an import change, a class attribute change.
After every save the chunk table's rows for the file must equal those made from the
facts with nothing reused; and the saves after the first must have reused something.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import Workspace
from kenning.languages import for_path
from kenning.pipeline.indexer import _chunk_rows
from kenning.storage import chunks as chunks_module
from kenning.storage.chunks import chunk_table

BASE = '''"""A module."""
import os


class Store:
    """Keeps rows."""

    limit = 10

    def put_row(self, row):
        return os.path.join(row, "x")

    def get_row(self, key):
        return key


def helper_function(value):
    """Helps."""
    return value * 2
'''

EDITS = {
    "inside one function": BASE.replace("return value * 2", "return value * 3"),
    "lines inserted above": "# one\n# two\n" + BASE,
    "a rename": BASE.replace("def get_row(", "def fetch_row("),
    "an import change": BASE.replace("import os", "import os.path as osp"),
    "a class attribute change": BASE.replace("limit = 10", "limit = 20\n    depth = 2"),
}


def fresh(path: str, text: str) -> object:
    language = for_path(path)
    assert language is not None
    facts = language.extract_facts(path, text.encode(), "m")
    return chunk_table(_chunk_rows([facts]))


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_open_files_rows_are_the_fresh_ones(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    engine = workspace.indexed({"m.py": BASE, "other.py": "def other():\n    return 1\n"})
    derived: list[int] = []
    split = chunks_module.split_words_column

    def counting(texts: Any) -> Any:
        derived.append(len(texts))
        return split(texts)

    monkeypatch.setattr(chunks_module, "split_words_column", counting)
    for i, text in enumerate([BASE + "\n", EDITS[edit], EDITS[edit] + "\n\nX = 1\n"]):
        derived.clear()
        prepared = engine.indexer.prepare([("m.py", text)], open_paths={"m.py"})
        split_here = sum(derived)
        assert prepared.chunks["m.py"].equals(fresh("m.py", text))
        if i:
            # Chunks the save did not change were not derived again.
            assert split_here < prepared.chunks["m.py"].num_rows
    # A file no longer open keeps nothing.
    engine.indexer.prepare([("other.py", "def other():\n    return 2\n")], open_paths=())
    assert engine.indexer._chunk_fields == {}
