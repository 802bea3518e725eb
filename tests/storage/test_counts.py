"""The counts status shows are kept by the writer as it writes, and stay exact.

A poll of `kenning/status` must not read every table, so the graph store keeps its
counts and adjusts them by what each batch adds and removes. These tests edit a
workspace in every way that changes a count and compare the kept counts with a full
recount after each step.
"""

from __future__ import annotations

from typing import Any

from helpers import Workspace
from kenning.engine import Engine
from kenning.storage.graph import GraphStore

BASE = """
class Base:
    def run(self):
        return helper()


def helper():
    return len([])
"""


def recount(engine: Engine) -> dict:
    reader = GraphStore(engine.index_dir.graph_path, read_only=True)
    try:
        return reader.counts()
    finally:
        reader.close()


def check(engine: Engine) -> None:
    kept = engine.graph.counts()
    assert kept == engine.graph._count_all().as_dict()
    # The names a symbol query is checked against are kept the same way.
    assert engine.graph._counts is not None
    assert engine.graph._counts.names == engine.graph._count_all().names
    engine.graph.checkpoint()
    assert kept == recount(engine)


def test_counts_follow_every_kind_of_change(workspace: Workspace) -> None:
    engine = workspace.indexed(
        {
            "pkg/__init__.py": "",
            "pkg/base.py": BASE,
            "pkg/use.py": "from pkg.base import Base, helper\n\nclass Sub(Base):\n"
            "    def go(self):\n        self.run()\n        helper()\n",
        }
    )
    check(engine)
    # A rename: callers in another file are resolved again (their mix changes).
    engine.apply_changes([("pkg/base.py", BASE.replace("helper", "assist"))])
    check(engine)
    # A new file, a syntax error (a diagnostic), and a file that goes away.
    engine.apply_changes([("pkg/extra.py", "def extra(:\n    pass\n")])
    check(engine)
    engine.apply_changes([("pkg/extra.py", "def extra():\n    return assist()\n")])
    check(engine)
    # None re-reads the file, which was only ever an editor buffer: it is gone.
    engine.apply_changes([("pkg/extra.py", None)])
    check(engine)
    # Back to the start: the counts equal the first index's.
    engine.apply_changes([("pkg/base.py", BASE)])
    check(engine)


def test_counts_are_not_recounted_on_every_poll(workspace: Workspace) -> None:
    engine = workspace.indexed({"a.py": "def f():\n    return g()\n\ndef g():\n    pass\n"})
    engine.graph.counts()
    statements: list[str] = []
    original = engine.graph._execute

    def spy(cypher: str, params: Any, fetch: bool) -> Any:
        statements.append(cypher)
        return original(cypher, params, fetch)

    engine.graph._execute = spy  # type: ignore[method-assign]
    for _ in range(3):
        engine.graph.counts()
    assert statements == []
    engine.apply_changes([("a.py", "def f():\n    return 1\n")])
    statements.clear()
    assert engine.graph.counts()["symbols"] == 2
    assert statements == []


def test_counts_follow_a_call_site_with_several_edges(workspace: Workspace) -> None:
    """A virtual call has an edge to the base method and one per override; renaming an
    override in another file rewires the whole site."""
    engine = workspace.indexed(
        {
            "a.py": "class Base:\n    def step(self):\n        pass\n\n"
            "    def run(self):\n        self.step()\n",
            "b.py": "from a import Base\n\nclass Sub(Base):\n    def step(self):\n        pass\n",
        }
    )
    check(engine)
    engine.apply_changes(
        [("b.py", "from a import Base\n\nclass Sub(Base):\n    def walk(self):\n        pass\n")]
    )
    check(engine)
    engine.apply_changes(
        [("b.py", "from a import Base\n\nclass Sub(Base):\n    def step(self):\n        pass\n")]
    )
    check(engine)


def test_a_count_taken_during_a_bulk_load_is_not_kept(workspace: Workspace) -> None:
    """Each COPY of a full index commits on its own; a status read between two of them
    sees files without symbols, and must not be served again once the load is done."""
    engine = workspace.indexed({"a.py": "def f():\n    return g()\n\ndef g():\n    pass\n"})
    graph = engine.graph
    original = graph._copy
    seen: list[dict] = []

    def copy_then_count(table: str, data: Any) -> None:
        original(table, data)
        if table == "File":
            seen.append(graph.counts())  # files loaded, symbols not yet

    graph._copy = copy_then_count  # type: ignore[method-assign]
    engine.index(rebuild=True)
    assert seen and seen[0]["symbols"] == 0
    assert graph.counts()["symbols"] == 3
    check(engine)


def test_symbol_queries_see_kept_names_after_each_edit(workspace: Workspace) -> None:
    """A query that matches no kept name answers at once; one that matches a name a
    save just added, or a name's letters in order, still finds it."""
    engine = workspace.indexed({"a.py": BASE})
    engine.graph.counts()
    assert engine.symbols("zzznomatch") == []
    assert [s.name for s in engine.symbols("helper")] == ["helper"]

    engine.apply_changes([("a.py", BASE.replace("helper", "assistant"))])
    assert engine.symbols("helper") == []
    assert [s.name for s in engine.symbols("assistant")] == ["assistant"]
    assert [s.name for s in engine.symbols("asst")] == ["assistant"]  # letters in order
    assert [s.qualname for s in engine.symbols("a.Base.run")] == ["a.Base.run"]
    check(engine)
