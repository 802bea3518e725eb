"""An open file's saves reuse its last save's call targets (`resolve/reuse.py`), and
what the stores hold after each save is what a writer that resolves every call again
holds."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import Workspace, indexed_twice, stored
from kenning.engine import Engine

APP = """\
from pkg.store import Store, make_store


class Engine:
    def __init__(self):
        self.store = make_store()
        self.backup = Store()

    def first(self):
        return self.store.inner.get()

    def second(self):
        value = self.backup.get()
        return helper(value)


def helper(value):
    return len(str(value))
"""

STORE = """\
class Inner:
    def get(self):
        return 1


class Other:
    def get(self):
        return 2


def make_inner() -> Inner:
    return Inner()


class Store:
    def __init__(self):
        self.inner = make_inner()

    def get(self):
        return self.inner.get()


def make_store() -> Store:
    return Store()
"""

FILES = {"pkg/__init__.py": "", "pkg/app.py": APP, "pkg/store.py": STORE}

BACKUP = APP.replace("self.backup = Store()", "self.backup = make_store()")

# (file, new text) saved in turn, the open file being pkg/app.py.
SAVES = [
    ("pkg/app.py", APP.replace("return len(str(value))", "return len(repr(value))")),
    ("pkg/app.py", APP + "\n\ndef helper2(value):\n    return helper(value)\n"),
    ("pkg/app.py", APP.replace("def helper(", "def helper_renamed(")),
    ("pkg/app.py", BACKUP),
    # Another file changes what `self.store.inner` is; the open file's next save
    # changes nothing its calls read, yet `first`'s call must follow the other file.
    ("pkg/store.py", STORE.replace("-> Inner:", "-> Other:")),
    ("pkg/app.py", BACKUP + "\n"),
    ("pkg/app.py", BACKUP.replace("return self.store", "value = 1\n        return self.store")),
    (
        "pkg/app.py",
        APP.replace("from pkg.store import Store, make_store", "from pkg.store import Store"),
    ),
    ("pkg/app.py", APP),
]


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    with indexed_twice(tmp_path, FILES, ("reusing", "afresh")) as pair:
        yield pair


def test_saves_of_an_open_file_store_what_resolving_afresh_stores(
    engines: tuple[Engine, Engine],
) -> None:
    reusing, afresh = engines
    reusing.apply_changes([("pkg/app.py", APP + "\n")], open_paths={"pkg/app.py"})
    reused = 0
    for path, text in SAVES:
        reusing.apply_changes([(path, text)], open_paths={"pkg/app.py"})
        reused += reusing.indexer.reused_calls
        # Not open: every call resolved again.
        afresh.apply_changes([(path, text)])
        assert afresh.indexer.reused_calls == 0
        assert stored(reusing) == stored(afresh), (path, text)
    assert reused > 0


def test_a_full_index_frees_the_model_the_saves_reused(tmp_path: Path) -> None:
    space = Workspace(tmp_path)
    try:
        engine = space.indexed(FILES)
        for text in (APP + "\n", APP):
            engine.apply_changes([("pkg/app.py", text)], open_paths={"pkg/app.py"})
        assert engine.indexer.reused_calls > 0
        old = weakref.ref(engine.indexer.model.model("python"))
        engine.index(rebuild=True)
        engine.apply_changes([("pkg/app.py", APP + "\n")], open_paths={"pkg/app.py"})
        gc.collect()
        # Neither the change log nor what the open file kept holds the old model.
        assert old() is None
    finally:
        space.close_all()
