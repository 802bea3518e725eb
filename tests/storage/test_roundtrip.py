"""The index survives a restart, and a restart only redoes the work that changed."""

from __future__ import annotations

import os

import msgspec

from helpers import IN_PROCESS, Workspace, rows, snapshot
from kenning.engine import Engine

FILES = {
    "shop/__init__.py": "",
    "shop/cart.py": """
        from shop.prices import total


        class Cart:
            \"\"\"A basket of items.\"\"\"

            def checkout(self):
                return total(self.items)
        """,
    "shop/prices.py": """
        def total(items):
            return sum(items)


        def discount(price):
            return price * 0.9
        """,
    "shop/report.py": """
        from shop.cart import Cart


        def render():
            Cart().checkout()
        """,
}


def symbols_of(engine: Engine, path: str) -> list[str]:
    found = rows(engine, "MATCH (s:Symbol) WHERE s.path = $p RETURN s.id", {"p": path})
    return [sid for (sid,) in found]


def chunk_paths(engine: Engine) -> set[str]:
    return set(engine.chunks._table.to_arrow().column("path").to_pylist())


def test_status_counts_what_was_indexed(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    status = msgspec.to_builtins(engine.status())
    assert {k: status[k] for k in ("files", "symbols", "imports", "inherits", "diagnostics")} == {
        "files": 4,
        # 4 modules, Cart, Cart.checkout, total, discount, render.
        "symbols": 9,
        "imports": 2,
        "inherits": 0,
        "diagnostics": 0,
    }
    # total(...) and Cart() by import, sum() builtin, Cart().checkout() through the type
    # that Cart() makes.
    assert status["call_resolution"] == {"import": 2, "builtin": 1, "typed": 1}
    assert status["calls"] == 4
    assert status["chunks"] > 0
    # Nothing is embedded yet, nor has phase 2 started.
    assert status["embedding"]["model_id"] is None
    assert status["embedding"]["enabled"] is True


def test_reopening_gives_back_the_same_index(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    before = snapshot(engine)
    engine.close()

    writer = workspace.open()
    assert snapshot(writer) == before
    writer.close()

    reader = workspace.open(read_only=True)
    assert snapshot(reader) == before
    assert reader.symbols("total")[0].id == "shop/prices.py#total"


def test_a_restart_with_nothing_changed_parses_nothing(workspace: Workspace) -> None:
    workspace.indexed(FILES).close()
    report = workspace.open().index()
    assert (report.mode, report.parsed, report.deleted) == ("unchanged", 0, 0)
    assert report.files == 4


def test_a_touched_file_is_confirmed_by_hash_once_then_skipped(workspace: Workspace) -> None:
    workspace.indexed(FILES).close()
    path = workspace.root / "shop/prices.py"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))

    engine = workspace.open()
    first = engine.index()
    # The content is the same: nothing is re-parsed, but the catalog learns the mtime.
    assert (first.mode, first.parsed) == ("incremental", 0)
    assert engine.graph.catalog()["shop/prices.py"].mtime_ns == path.stat().st_mtime_ns
    engine.close()

    second = workspace.open().index()
    assert (second.mode, second.parsed) == ("unchanged", 0)


def test_a_file_edited_between_runs_is_the_only_one_reparsed(workspace: Workspace) -> None:
    workspace.indexed(FILES).close()
    workspace.write(
        {
            "shop/prices.py": """
                def total(items):
                    return sum(items)


                def surcharge(price):
                    return price * 1.1
                """
        }
    )
    engine = workspace.open()
    report = engine.index()
    assert (report.mode, report.parsed, report.deleted) == ("incremental", 1, 0)
    assert sorted(symbols_of(engine, "shop/prices.py")) == [
        "shop/prices.py#",
        "shop/prices.py#surcharge",
        "shop/prices.py#total",
    ]
    assert engine.search("surcharge").hits[0].path == "shop/prices.py"


def test_a_file_deleted_between_runs_leaves_the_index(workspace: Workspace) -> None:
    workspace.indexed(FILES).close()
    (workspace.root / "shop/report.py").unlink()
    engine = workspace.open()
    report = engine.index()
    assert (report.mode, report.parsed, report.deleted) == ("incremental", 0, 1)
    assert symbols_of(engine, "shop/report.py") == []
    assert "shop/report.py" not in chunk_paths(engine)
    assert "shop/report.py" not in engine.graph.catalog()
    assert engine.status().files == 3


def test_a_file_excluded_since_the_last_run_leaves_the_index(workspace: Workspace) -> None:
    """Still on disk, but the settings exclude it now: the catch-up removes it rather
    than reading it again."""
    workspace.indexed(FILES).close()
    engine = workspace.open(msgspec.structs.replace(IN_PROCESS, exclude=("shop/report.py",)))
    report = engine.index()
    assert (report.mode, report.deleted) == ("incremental", 1)
    assert symbols_of(engine, "shop/report.py") == []
    assert "shop/report.py" not in chunk_paths(engine)
    assert engine.status().files == 3
