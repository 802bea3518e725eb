"""Deferred writes: a change is answered from the recent layer before it is written,
consistently with the stores beneath it, and what is written at last equals a fresh
index of the same files.

Real stores throughout: each case checks what queries answer while the change waits
(the stores themselves still hold the old rows), then flushes and compares every row
with a rebuild."""

from __future__ import annotations

import gc
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from helpers import (
    IN_PROCESS,
    NO_VECTORS,
    Workspace,
    count_statements,
    fresh_index,
    save,
    stored,
)
from kenning.engine import Engine
from kenning.engine.engine import COMPACT_AFTER_WRITES
from kenning.engine.live import LiveWorkspace
from kenning.pipeline import indexer as indexer_module
from kenning.storage import chunks as chunks_module
from server.conftest import APP, CORE

FILES = {"pkg/__init__.py": "", "pkg/core.py": CORE, "pkg/app.py": APP}


def indexed(workspace: Workspace) -> Engine:
    return workspace.indexed(FILES)


def names(engine: Engine, query: str) -> set[str]:
    return {s.name for s in engine.symbols(query)}


def callers(engine: Engine, symbol_id: str) -> set[str]:
    return {n.symbol.name for n in engine.neighbours(symbol_id, incoming=True)}


def callees(engine: Engine, name: str) -> dict[str, str]:
    """Callee id -> resolution of every call in `name`, externals included."""
    [symbol] = engine.resolve_symbol(name)
    graph = engine.call_graph(symbol, "outgoing")
    return {e.callee: e.resolution for e in graph.edges}


def rebuilt(root: Path) -> dict[str, Any]:
    """What a full index of a copy of the files on disk now holds."""
    return fresh_index(root, lambda fresh: None)[0]


def test_a_rename_is_answered_before_it_is_written(workspace: Workspace) -> None:
    engine = indexed(workspace)
    before = stored(engine)
    save(engine, "pkg/core.py", CORE.replace("resolve_target", "find_target"))
    # Queries see the rename; the stores beneath still hold the old rows.
    assert names(engine, "_target") == {"find_target"}
    assert engine.graph.find_symbols("find_target", 10) == []
    assert stored(engine) == before
    assert callers(engine, "pkg/core.py#find_target") == {"register"}
    # app.py still imports the old name: its call is unresolved now, not a call of a
    # symbol that no longer exists.
    assert callers(engine, "pkg/core.py#resolve_target") == set()
    out = callees(engine, "main")
    assert "pkg/core.py#resolve_target" not in out
    assert any(i.startswith("ext:") and "resolve_target" in i for i in out), out
    # Renamed back in a second deferred batch: app.py's call resolves again.
    save(engine, "pkg/core.py", CORE)
    assert callees(engine, "main")["pkg/core.py#resolve_target"] == "import"
    assert callers(engine, "pkg/core.py#resolve_target") == {"main", "register"}
    assert engine.flush() == 1
    assert stored(engine) == before == rebuilt(engine.root)
    # Written: the store's kept names answer, without the old rename.
    assert names(engine, "_target") == {"resolve_target"}
    assert engine.graph.find_symbols("find_target", 10) == []


def test_a_deleted_file_leaves_every_answer_before_it_is_written(workspace: Workspace) -> None:
    engine = indexed(workspace)
    save(engine, "pkg/app.py", None)
    assert names(engine, "main") == set()
    assert names(engine, "helper") == set()
    assert callers(engine, "pkg/core.py#resolve_target") == {"register"}
    assert all(h.path != "pkg/app.py" for h in engine.search("main registry", mode="text").hits)
    assert engine.symbol_at("pkg/app.py", 4, 5) == []
    engine.flush()
    assert stored(engine) == rebuilt(engine.root)


def test_search_finds_new_code_and_never_a_stale_chunk(workspace: Workspace) -> None:
    engine = indexed(workspace)
    old = engine.search("upper", mode="text").hits
    assert old and old[0].symbol_id == "pkg/core.py#resolve_target"
    changed = CORE.replace("name.upper()", "name.casefold()") + (
        "\n\ndef shuffle_partitions(rows):\n"
        '    """Spread the rows over the partitions evenly."""\n'
        "    return sorted(rows)\n"
    )
    save(engine, "pkg/core.py", changed)
    stale = engine.search("upper", mode="text").hits
    assert all(h.symbol_id != "pkg/core.py#resolve_target" for h in stale)
    hits = engine.search("shuffle partitions evenly", mode="text").hits
    assert hits[0].symbol_id == "pkg/core.py#shuffle_partitions"
    assert (hits[0].start_line, hits[0].end_line) == (15, 17)
    assert engine.search("casefold", mode="text").hits[0].symbol_id == "pkg/core.py#resolve_target"
    # Filters apply to the recent layer too.
    assert engine.search("shuffle partitions", mode="text", path_globs=["pkg/app.py"]).hits == []
    engine.flush()
    assert stored(engine) == rebuilt(engine.root)
    assert engine.search("shuffle partitions evenly", mode="text").hits[0].start_line == 15


def test_positions_of_a_changed_file_are_its_new_ones(workspace: Workspace) -> None:
    engine = indexed(workspace)
    save(engine, "pkg/app.py", "\n\n" + APP)
    # `registry.register("x")` moved two lines down (0-based line 7 now).
    [at] = engine.symbol_at("pkg/app.py", 7, 14)
    assert at.id == "pkg/core.py#Registry.register"
    [main] = engine.resolve_symbol("main")
    assert main.span.start_line == 5
    calls = engine.neighbours("pkg/core.py#Registry.register", incoming=True)
    assert [(c.symbol.name, c.sites[0].start_line) for c in calls] == [("main", 7)]


def test_saves_are_written_together_once(workspace: Workspace) -> None:
    engine = indexed(workspace)
    for n in range(3):
        save(engine, "pkg/app.py", APP + f"\n\ndef added_{n}():\n    return helper()\n")
        save(engine, "pkg/core.py", CORE + f"\n\ndef extra_{n}():\n    pass\n")
    assert names(engine, "added_") == {"added_2"}
    assert callers(engine, "pkg/app.py#helper") == {"added_2"}
    assert engine.flush() == 2
    assert engine.flush() == 0
    assert stored(engine) == rebuilt(engine.root)


def test_closing_writes_what_waits(workspace: Workspace) -> None:
    engine = indexed(workspace)
    save(engine, "pkg/core.py", CORE + "\n\ndef written_on_close():\n    pass\n")
    engine.close()
    with Engine.open(engine.root, IN_PROCESS, read_only=True) as reader:
        assert {s.name for s in reader.symbols("written_on_close")} == {"written_on_close"}


def test_a_daemon_loads_what_edits_need_after_its_catch_up(workspace: Workspace) -> None:
    """The first save after a start does not wait for the resolution model: it is
    loaded on the writer as soon as the catch-up is done."""
    workspace.indexed(FILES).close()
    live = LiveWorkspace(workspace.root, NO_VECTORS)
    try:
        assert live.open().writer
        engine = live.engine
        assert engine is not None and not engine.indexer.model_loaded
        live.catch_up().result(60)
        assert live.wait_until_idle(60)
        assert engine.indexer.model_loaded
        # ... and left out of the cyclic collector's walks, which otherwise pause a
        # save now and then for as long as the whole model takes to walk.
        model = engine.indexer.model
        assert gc.is_tracked(model)
        assert not any(o is model for generation in range(3) for o in gc.get_objects(generation))
    finally:
        live.close()


def test_written_batches_are_compacted(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each written batch adds a version of the chunk table (and data files that older
    versions keep); a daemon compacts the table every `COMPACT_AFTER_WRITES` writes,
    folding new rows into its indexes and dropping versions past their time."""
    monkeypatch.setattr(chunks_module, "KEEP_VERSIONS_FOR", timedelta(milliseconds=1))
    engine = indexed(workspace)
    table = engine.chunks._table
    for n in range(COMPACT_AFTER_WRITES - 1):
        save(engine, "pkg/core.py", CORE + f"\n\ndef extra_{n}():\n    pass\n")
        engine.flush()
    piled_up = len(table.list_versions())
    assert piled_up >= COMPACT_AFTER_WRITES
    save(engine, "pkg/core.py", CORE)
    engine.flush()
    assert len(table.list_versions()) < piled_up // 4
    hits = engine.search("upper", mode="text").hits
    assert hits and hits[0].symbol_id == "pkg/core.py#resolve_target"


def test_a_daemon_compacts_the_fragments_a_full_index_left(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full index appends a fragment of the chunk table per part it writes (every
    search reads every fragment); once a daemon has caught up, they are folded into
    one in the background, and search answers as before."""
    monkeypatch.setattr(indexer_module, "CHUNK_BYTES_PER_PART", 64)  # a part per file
    engine = indexed(workspace)
    assert engine.chunks.fragments() > 1
    hits = [(h.symbol_id, h.start_line) for h in engine.search("upper", mode="text").hits]
    assert hits
    engine.close()
    live = LiveWorkspace(workspace.root, NO_VECTORS)
    try:
        assert live.open().writer
        live.catch_up().result(60)
        assert live.wait_until_idle(60)
        opened = live.engine
        assert opened is not None
        deadline = time.monotonic() + 60
        while opened.chunks.fragments() > 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # the warm-up's compaction runs in the background
        assert opened.chunks.fragments() == 1
        assert [
            (h.symbol_id, h.start_line) for h in opened.search("upper", mode="text").hits
        ] == hits
    finally:
        live.close()


class HeldWrite:
    """Holds `Indexer.persist` until released, so that a test can act while a
    deferred write is under way (the write itself is the real one)."""

    def __init__(self, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        persist = engine.indexer.persist

        def held(prepared: Any) -> str:
            self.started.set()
            assert self.release.wait(30), "the test never released the write"
            return persist(prepared)

        monkeypatch.setattr(engine.indexer, "persist", held)


def test_a_save_during_a_write_goes_on_and_stays_the_newest(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The persisted write runs on a thread of its own: a save made while it runs is
    applied at once (not after it), and the write, when it ends, drops only what it
    wrote, so the newer text stays visible until it is written in turn."""
    engine = indexed(workspace)
    held = HeldWrite(engine, monkeypatch)
    save(engine, "pkg/core.py", CORE + "\n\ndef first_try():\n    pass\n")
    writing = engine.flush_behind()
    assert writing is not None and held.started.wait(30)
    # The writer is not waiting for the write: this save is applied and visible now.
    save(engine, "pkg/core.py", CORE + "\n\ndef second_try():\n    pass\n")
    save(engine, "pkg/app.py", APP + "\n\ndef added():\n    return helper()\n")
    assert names(engine, "_try") == {"second_try"}
    assert engine.flush_behind() is writing  # one write at a time
    held.release.set()
    assert writing.result(30) == 1
    # The first text is in the stores; the second stays in the layer over them.
    assert engine.unwritten_since is not None
    assert {s.name for s in engine.graph.find_symbols("first_try", 10)} == {"first_try"}
    assert names(engine, "_try") == {"second_try"}
    assert callers(engine, "pkg/app.py#helper") == {"added"}
    assert engine.flush() == 2
    assert engine.unwritten_since is None
    assert names(engine, "_try") == {"second_try"}
    assert stored(engine) == rebuilt(engine.root)


def test_a_failed_write_keeps_everything_for_the_next(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = indexed(workspace)
    persist = engine.indexer.persist
    monkeypatch.setattr(engine.indexer, "persist", _fail_once(persist))
    save(engine, "pkg/core.py", CORE + "\n\ndef kept():\n    pass\n")
    writing = engine.flush_behind()
    assert writing is not None and isinstance(writing.exception(30), OSError)
    assert names(engine, "kept") == {"kept"}
    assert engine.flush() == 1
    assert stored(engine) == rebuilt(engine.root)


def test_closing_waits_for_the_write_under_way(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = indexed(workspace)
    held = HeldWrite(engine, monkeypatch)
    save(engine, "pkg/core.py", CORE + "\n\ndef one():\n    pass\n")
    assert engine.flush_behind() is not None and held.started.wait(30)
    save(engine, "pkg/app.py", APP + "\n\ndef two():\n    return helper()\n")
    threading.Timer(0.2, held.release.set).start()
    engine.close()
    with Engine.open(engine.root, IN_PROCESS, read_only=True) as reader:
        assert {s.name for s in reader.symbols("one")} >= {"one"}
        assert {s.name for s in reader.symbols("two")} >= {"two"}


def _fail_once(persist: Any) -> Any:
    failed: list[bool] = []

    def flaky(prepared: Any) -> str:
        if not failed:
            failed.append(True)
            raise OSError("disk full")
        return persist(prepared)

    return flaky


def test_a_base_changed_in_an_unwritten_file_counts_for_a_new_method(
    workspace: Workspace,
) -> None:
    """`class Sub(Base)` saved (not yet written), then a method `Base.helper` added:
    `self.helper()` in Sub now calls it, as a fresh index of the same files says."""
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "class Base:\n    pass\n",
        "pkg/sub.py": "class Sub:\n    def run(self):\n        return self.helper()\n",
    }
    engine = workspace.indexed(files)
    save(engine, "pkg/sub.py", "from pkg.base import Base\n\n\n" + files["pkg/sub.py"].replace(
        "class Sub:", "class Sub(Base):"))  # fmt: skip
    save(engine, "pkg/base.py", "class Base:\n    def helper(self):\n        return 1\n")
    assert callers(engine, "pkg/base.py#Base.helper") == {"run"}
    engine.flush()
    assert callers(engine, "pkg/base.py#Base.helper") == {"run"}
    assert stored(engine) == rebuilt(engine.root)


def test_a_method_new_on_a_base_finds_the_subclasses_in_the_model_not_the_store(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The subclasses whose `self.m()` a new `Base.m` may satisfy, two levels down, are
    found in the resolver's subclass map: the save runs no statement walking `INHERITS`
    to subclasses (one per subclass: a second a save for Django's `Model`), and the
    answers and the stores are those of a fresh index."""
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "class Base:\n    pass\n",
        "pkg/mid.py": "from pkg.base import Base\n\n\nclass Mid(Base):\n    pass\n",
        "pkg/leaf.py": "from pkg.mid import Mid\n\n\n"
        "class Leaf(Mid):\n    def run(self):\n        return self.helper()\n",
    }
    engine = workspace.indexed(files)
    save(engine, "pkg/base.py", files["pkg/base.py"] + "\n")  # loads the model
    statements = count_statements(monkeypatch)
    save(engine, "pkg/base.py", "class Base:\n    def helper(self):\n        return 1\n")
    assert not [s for s in statements if "[:INHERITS]->" in s]
    assert callers(engine, "pkg/base.py#Base.helper") == {"run"}
    engine.flush()
    assert callers(engine, "pkg/base.py#Base.helper") == {"run"}
    assert stored(engine) == rebuilt(engine.root)


def test_an_override_new_on_a_subclass_gains_the_callers_of_the_base_method(
    workspace: Workspace,
) -> None:
    """`Sub.run` added to a subclass of `Base`: `b.run()` in another file, with `b` a
    `Base`, may now run it, and a fresh index says so; the caller's file is not saved."""
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "class Base:\n    def run(self):\n        return 1\n",
        "pkg/sub.py": "from pkg.base import Base\n\n\nclass Sub(Base):\n    pass\n",
        "pkg/use.py": "from pkg.base import Base\n\n\ndef go(b: Base):\n    return b.run()\n",
    }
    engine = workspace.indexed(files)
    save(engine, "pkg/sub.py", files["pkg/sub.py"].replace(
        "    pass\n", "    def run(self):\n        return 2\n"))  # fmt: skip
    assert callers(engine, "pkg/sub.py#Sub.run") == {"go"}
    engine.flush()
    assert callers(engine, "pkg/sub.py#Sub.run") == {"go"}
    assert stored(engine) == rebuilt(engine.root)


def test_a_class_given_other_bases_moves_its_overrides_callers(workspace: Workspace) -> None:
    """`Sub(Other)` becomes `Sub(Base)`: its `run`, and that of its subclass in another
    file, now override `Base.run` and no longer `Other.run`, for calls in files not
    saved; the stores end as a fresh index's."""
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "class Base:\n    def run(self):\n        return 1\n\n\n"
        "class Other:\n    def run(self):\n        return 2\n",
        "pkg/sub.py": "from pkg.base import Base, Other\n\n\n"
        "class Sub(Other):\n    def run(self):\n        return 3\n",
        "pkg/leaf.py": "from pkg.sub import Sub\n\n\n"
        "class Leaf(Sub):\n    def run(self):\n        return 4\n",
        "pkg/use.py": "from pkg.base import Base, Other\n\n\n"
        "def go(b: Base):\n    return b.run()\n\n\n"
        "def went(o: Other):\n    return o.run()\n",
    }
    engine = workspace.indexed(files)
    assert callers(engine, "pkg/leaf.py#Leaf.run") == {"went"}
    save(engine, "pkg/sub.py", files["pkg/sub.py"].replace("Sub(Other)", "Sub(Base)"))
    for _ in range(2):
        assert callers(engine, "pkg/sub.py#Sub.run") == {"go"}
        assert callers(engine, "pkg/leaf.py#Leaf.run") == {"go"}
        engine.flush()
    assert stored(engine) == rebuilt(engine.root)


# Java and TypeScript: (files, the subclass's file, its text with `run` added).
OVERRIDES_ELSEWHERE = {
    "java": (
        {
            "src/p/Base.java": "package p;\n\npublic class Base {\n"
            "    public int run() { return 1; }\n}\n",
            "src/p/Sub.java": "package p;\n\npublic class Sub extends Base {\n}\n",
            "src/p/Use.java": "package p;\n\npublic class Use {\n"
            "    int go(Base b) { return b.run(); }\n}\n",
        },
        "src/p/Sub.java",
        "package p;\n\npublic class Sub extends Base {\n    public int run() { return 2; }\n}\n",
    ),
    "typescript": (
        {
            "src/base.ts": "export class Base {\n  run(): number { return 1; }\n}\n",
            "src/sub.ts": "import { Base } from './base';\n\nexport class Sub extends Base {\n}\n",
            "src/use.ts": "import { Base } from './base';\n\n"
            "export function go(b: Base): number {\n  return b.run();\n}\n",
        },
        "src/sub.ts",
        "import { Base } from './base';\n\n"
        "export class Sub extends Base {\n  run(): number { return 2; }\n}\n",
    ),
}


@pytest.mark.parametrize("language", sorted(OVERRIDES_ELSEWHERE))
def test_an_override_new_on_a_subclass_elsewhere_gains_the_callers_of_the_base_method(
    workspace: Workspace, language: str
) -> None:
    """The same in Java and TypeScript: `Sub.run` added to a subclass of `Base` reaches
    `b.run()` in a file not saved."""
    files, sub, edited = OVERRIDES_ELSEWHERE[language]
    engine = workspace.indexed(files)
    save(engine, sub, edited)
    [run] = [s.id for s in engine.symbols("run") if s.path == sub]
    assert callers(engine, run) == {"go"}
    engine.flush()
    assert callers(engine, run) == {"go"}
    assert stored(engine) == rebuilt(engine.root)


def test_calls_through_a_class_given_other_bases_reach_the_new_bases_methods(
    workspace: Workspace,
) -> None:
    """`Sub(A)` becomes `Sub(B)`: `self.x()` in its subclass and `s.x()` with `s` a
    `Sub`, both in files not saved, reached `A.x` through `Sub` and now reach `B.x`; a
    name only `A` had (`only_a`) is no longer found; the stores end as a fresh index's."""
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "class A:\n    def x(self):\n        return 1\n\n    def only_a(self):\n"
        "        return 2\n\n\nclass B:\n    def x(self):\n        return 3\n",
        "pkg/sub.py": "from pkg.base import A, B\n\n\nclass Sub(A):\n    pass\n",
        "pkg/leaf.py": "from pkg.sub import Sub\n\n\n"
        "class Leaf(Sub):\n    def f(self):\n        return self.x() + self.only_a()\n",
        "pkg/use.py": "from pkg.sub import Sub\n\n\ndef g(s: Sub):\n    return s.x()\n",
    }
    engine = workspace.indexed(files)
    assert callers(engine, "pkg/base.py#A.x") == {"f", "g"}
    save(engine, "pkg/sub.py", files["pkg/sub.py"].replace("Sub(A)", "Sub(B)"))
    for _ in range(2):
        assert callers(engine, "pkg/base.py#B.x") == {"f", "g"}
        assert callers(engine, "pkg/base.py#A.x") == set()
        assert callers(engine, "pkg/base.py#A.only_a") == set()
        engine.flush()
    assert stored(engine) == rebuilt(engine.root)


def test_a_class_given_other_bases_hides_a_method_its_subclass_found_through_another_base(
    workspace: Workspace,
) -> None:
    """`D(Sub, X)` with `X(Y)`: `d.m()` found `Y.m` until `Sub` was given `B`, which
    has `m` as near `D` as `Y` is and comes first in `D`'s bases; the call, in a file
    not saved, then reaches `B.m`, as a fresh index has it (members are looked up
    breadth first, the bases of each level in order)."""
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "class A:\n    pass\n\n\nclass B:\n    def m(self):\n        return 1\n\n\n"
        "class Y:\n    def m(self):\n        return 2\n\n\nclass X(Y):\n    pass\n",
        "pkg/sub.py": "from pkg.base import A, B\n\n\nclass Sub(A):\n    pass\n",
        "pkg/d.py": "from pkg.base import X\nfrom pkg.sub import Sub\n\n\n"
        "class D(Sub, X):\n    pass\n",
        "pkg/use.py": "from pkg.d import D\n\n\ndef g(d: D):\n    return d.m()\n",
    }
    engine = workspace.indexed(files)
    assert callers(engine, "pkg/base.py#Y.m") == {"g"}
    save(engine, "pkg/sub.py", files["pkg/sub.py"].replace("Sub(A)", "Sub(B)"))
    for _ in range(2):
        assert callers(engine, "pkg/base.py#B.m") == {"g"}
        assert callers(engine, "pkg/base.py#Y.m") == set()
        engine.flush()
    assert stored(engine) == rebuilt(engine.root)


@pytest.mark.parametrize(
    ("ext", "base", "sub", "call", "limit"),
    [
        (
            ".py",
            "class Base:\n    def run(self):\n        return 0\n",
            "from pkg.base import Base\n\n\n"
            "class {c}(Base):\n    def run(self):\n        return {n}\n",
            "from pkg.base import Base\n\n\ndef use(b: Base):\n    return b.run()\n",
            20,
        ),
        (
            ".ts",
            "export class Base {\n  run(): number { return 0; }\n}\n",
            "import {{ Base }} from './base';\n\n"
            "export class {c} extends Base {{\n  run(): number {{ return {n}; }}\n}}\n",
            "import { Base } from './base';\n\n"
            "export function use(b: Base): number { return b.run(); }\n",
            8,
        ),
        (
            ".java",
            "package p;\n\npublic class Base {\n  public int run() { return 0; }\n}\n",
            "package p;\n\npublic class {c} extends Base {{\n"
            "  public int run() {{ return {n}; }}\n}}\n",
            "package p;\n\npublic class Use {\n  int use(Base b) { return b.run(); }\n}\n",
            8,
        ),
    ],
    ids=["python", "typescript", "java"],
)
def test_a_saved_subclass_keeps_its_place_among_a_virtual_calls_capped_overrides(
    workspace: Workspace, ext: str, base: str, sub: str, call: str, limit: int
) -> None:
    """A virtual call links at most `limit` overrides, nearest first; more subclasses
    than that override the method, and renaming the first of them leaves the call's
    overrides as a fresh index of the same files picks them: among equally near ones by
    id, not by the order files came into the model (the renamed class came last)."""
    root = {".py": "pkg", ".ts": "src", ".java": "p"}[ext]
    files = {f"{root}/base{ext}": base, f"{root}/use{ext}": call}
    if ext == ".py":
        files["pkg/__init__.py"] = ""
    for n in range(limit + 4):
        files[f"{root}/s{n:02}{ext}"] = sub.format(c=f"S{n:02}", n=n)
    engine = workspace.indexed(files)
    first = f"{root}/s00{ext}"
    save(engine, first, files[first].replace("S00", "S00b"))
    engine.flush()
    assert stored(engine) == rebuilt(engine.root)


def test_a_rewired_call_leaves_the_call_that_starts_where_it_does(workspace: Workspace) -> None:
    """`super().run()` starts where `super()` does: when `A.run` goes, the edge of the
    outer call in another file is rewired and the inner call's edge stays."""
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "class A:\n    def run(self):\n        return 1\n",
        "pkg/sub.py": "from pkg.base import A\n\n\n"
        "class Sub(A):\n    def run(self):\n        return super().run()\n",
    }
    engine = workspace.indexed(files)
    assert callees(engine, "Sub.run") == {
        "pkg/base.py#A.run": "self",
        "ext:builtins.super": "builtin",
    }
    save(engine, "pkg/base.py", files["pkg/base.py"].replace("def run", "def go"))
    engine.flush()
    assert "ext:builtins.super" in callees(engine, "Sub.run")
    assert stored(engine) == rebuilt(engine.root)
