"""Editing files one at a time: edges of other files follow, with no full reindex."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import Workspace, edges, snapshot
from kenning.engine import Engine
from kenning.pipeline.indexer import OutsideWorkspace

A_WITH_FOO = """
def foo():
    return 1
"""
A_WITH_BAR = """
def bar():
    return 1
"""


@pytest.fixture(params=["same engine", "reopened", "prepared"])
def reopen(request: pytest.FixtureRequest, workspace: Workspace):
    """Index, then hand back an engine: the indexing one, or a new one that rebuilds
    its resolution model from the stored graph (what a daemon restart does), or one
    prepared for edits as a daemon's is (its store then keeps which definitions and
    placeholders it holds, and re-resolution reads only those)."""

    def indexed(files: dict[str, str]) -> Engine:
        engine = workspace.indexed(files)
        if request.param != "same engine":
            engine.close()
            engine = workspace.open()
        if request.param == "prepared":
            engine.prepare_for_edits()
        return engine

    return indexed


def test_renaming_a_definition_unresolves_its_callers(reopen) -> None:
    engine = reopen({"a.py": A_WITH_FOO, "b.py": "from a import foo\n\ndef use():\n    foo()\n"})
    assert edges(engine)[("b.py#use", "foo")] == ("a.py#foo", "import")

    report = engine.apply_changes([("a.py", A_WITH_BAR)])

    assert report.changed == ["a.py"]
    assert edges(engine)[("b.py#use", "foo")] == ("ext:a.foo", "unresolved")
    assert edges(engine, "IMPORTS")[("b.py#", "foo")] == ("ext:a.foo", "unresolved")

    engine.apply_changes([("b.py", "from a import bar\n\ndef use():\n    bar()\n")])
    calls = edges(engine)
    assert calls[("b.py#use", "bar")] == ("a.py#bar", "import")
    assert ("b.py#use", "foo") not in calls


def test_adding_a_missing_definition_resolves_waiting_callers(reopen) -> None:
    engine = reopen({"a.py": A_WITH_FOO, "b.py": "import a\n\ndef use():\n    a.bar()\n"})
    assert edges(engine)[("b.py#use", "a.bar")] == ("ext:a.bar", "unresolved")

    report = engine.apply_changes([("a.py", A_WITH_FOO + A_WITH_BAR)])

    assert report.changed == ["a.py"]
    assert report.rewired >= 1
    assert edges(engine)[("b.py#use", "a.bar")] == ("a.py#bar", "import")


@pytest.mark.parametrize("defer", [False, True])
def test_names_written_by_edits_are_followed_by_later_edits(reopen, defer: bool) -> None:
    """A placeholder and a definition that edits wrote (not the full index) are found
    again by the edits after them, whether each edit is written at once or behind."""
    engine = reopen({"a.py": A_WITH_FOO, "b.py": "import a\n\ndef use():\n    a.foo()\n"})

    def apply(path: str, text: str) -> None:
        engine.apply_changes([(path, text)], defer=defer)
        engine.flush()

    apply("b.py", "import a\n\ndef use():\n    a.foo()\n    a.qux()\n")
    assert edges(engine)[("b.py#use", "a.qux")] == ("ext:a.qux", "unresolved")
    apply("a.py", A_WITH_FOO + "\n\ndef qux():\n    return 2\n")
    assert edges(engine)[("b.py#use", "a.qux")] == ("a.py#qux", "import")
    apply("a.py", A_WITH_FOO + "\n\ndef quux():\n    return 2\n")
    assert edges(engine)[("b.py#use", "a.qux")] == ("ext:a.qux", "unresolved")


START = {
    "a.py": A_WITH_FOO,
    "b.py": "from a import foo\nimport a\n\ndef use():\n    foo()\n    a.bar()\n",
}


def edited_and_fresh(workspace: Workspace, tmp_path: Path) -> tuple[dict, dict]:
    """Snapshots of START after renaming foo to bar incrementally, and of a fresh full
    index of the same final files."""
    engine = workspace.indexed(START)
    engine.apply_changes([("a.py", A_WITH_BAR)])
    (workspace.root / "a.py").write_text(A_WITH_BAR)
    fresh = Workspace(tmp_path / "fresh")
    fresh.root.mkdir()
    try:
        states = snapshot(engine), snapshot(fresh.indexed({**START, "a.py": A_WITH_BAR}))
    finally:
        fresh.close_all()
    for state in states:
        del state["status"]["workspace"], state["status"]["index"]
    return states


def without_orphan_externals(state: dict) -> dict:
    tables = ("calls", "imports", "inherits")
    targets = {dst for table in tables for _, _, dst, _, _ in state[table]}
    state["symbols"] = [s for s in state["symbols"] if s[3] != "external" or s[0] in targets]
    return state


def test_an_incremental_edit_matches_a_fresh_full_index(
    workspace: Workspace, tmp_path: Path
) -> None:
    edited, fresh = edited_and_fresh(workspace, tmp_path)
    assert without_orphan_externals(edited) == fresh


def test_an_incremental_edit_leaves_no_orphan_placeholders(
    workspace: Workspace, tmp_path: Path
) -> None:
    edited, fresh = edited_and_fresh(workspace, tmp_path)
    assert edited["symbols"] == fresh["symbols"]


def test_search_sees_an_edit_at_once(workspace: Workspace) -> None:
    engine = workspace.indexed({"notes.py": "def zanzibar_checksum():\n    pass\n"})
    assert [h.path for h in engine.search("zanzibar_checksum").hits] == ["notes.py"]

    engine.apply_changes([("notes.py", "def quokka_digest():\n    pass\n")])

    assert [h.path for h in engine.search("quokka_digest").hits] == ["notes.py"]
    assert engine.search("zanzibar_checksum").hits == []


def test_a_deleted_file_is_removed_when_reread(workspace: Workspace) -> None:
    engine = workspace.indexed({"a.py": A_WITH_FOO, "b.py": "def other():\n    pass\n"})
    (workspace.root / "a.py").unlink()

    report = engine.apply_changes([("a.py", None)])

    assert report.deleted == ["a.py"]
    assert engine.symbols("foo") == []
    assert engine.search("foo").hits == []
    assert engine.status().files == 1


@pytest.mark.parametrize("path", ["../elsewhere.py", "/etc/passwd", "."])
def test_paths_outside_the_workspace_are_refused(workspace: Workspace, path: str) -> None:
    engine = workspace.indexed({"a.py": A_WITH_FOO})
    with pytest.raises(OutsideWorkspace):
        engine.apply_changes([(path, "x = 1\n")])
    assert engine.status().files == 1


BASE_WITH_V = "class Model:\n    def validate(self):\n        pass\n"
BASE_WITHOUT_V = "class Model:\n    def other(self):\n        pass\n"
SUBCLASS = """
from base import Model

class User(Model):
    def save(self):
        self.validate()
"""


def test_removing_an_inherited_method_unresolves_self_calls(reopen) -> None:
    engine = reopen({"base.py": BASE_WITH_V, "user.py": SUBCLASS})
    assert edges(engine)[("user.py#User.save", "self.validate")] == (
        "base.py#Model.validate",
        "self",
    )

    engine.apply_changes([("base.py", BASE_WITHOUT_V)])

    assert edges(engine)[("user.py#User.save", "self.validate")] == (
        "ext:user.User.validate",
        "unresolved",
    )


def test_adding_an_inherited_method_resolves_self_calls(reopen) -> None:
    engine = reopen({"base.py": BASE_WITHOUT_V, "user.py": SUBCLASS})
    assert edges(engine)[("user.py#User.save", "self.validate")][1] == "unresolved"

    engine.apply_changes([("base.py", BASE_WITH_V)])

    assert edges(engine)[("user.py#User.save", "self.validate")] == (
        "base.py#Model.validate",
        "self",
    )


def test_an_edit_follows_another_files_stated_attribute_types(reopen) -> None:
    # The attribute types a class states in one file are kept in the graph, so that a
    # restarted daemon still follows `h.worker.run()` through them after an edit.
    engine = reopen(
        {
            "models.py": "class Worker:\n    def run(self): ...\n\n"
            "class Holder:\n    def __init__(self):\n        self.worker = Worker()\n",
            "use.py": "from models import Holder\n\ndef go(h: Holder):\n    pass\n",
        }
    )
    engine.apply_changes(
        [("use.py", "from models import Holder\n\ndef go(h: Holder):\n    h.worker.run()\n")]
    )
    assert edges(engine)[("use.py#go", "h.worker.run")] == ("models.py#Worker.run", "typed")
