"""A writer's open checks the graph by reading its catalog, and the catch-up that follows
needs the same catalog: it is read once, and never handed out stale after a write."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import Workspace, count_statements

FILES = {"shop/cart.py": "def total(items):\n    return len(items)\n"}
CATALOG_READ = "MATCH (f:File) RETURN"


def test_an_open_and_its_catch_up_read_the_catalog_once(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.indexed(FILES).close()
    statements = count_statements(monkeypatch)
    engine = workspace.open()
    report = engine.index()

    assert (report.files, report.parsed) == (1, 0)
    assert sum(s.startswith(CATALOG_READ) for s in statements) == 1


def test_a_write_after_the_read_is_in_the_next_one(workspace: Workspace, tmp_path: Path) -> None:
    engine = workspace.indexed(FILES)
    assert set(engine.graph.catalog()) == {"shop/cart.py"}
    workspace.write({"shop/tax.py": "def vat_rate(country):\n    return 0.2\n"})

    engine.apply_changes([("shop/tax.py", None)])

    assert set(engine.graph.catalog()) == {"shop/cart.py", "shop/tax.py"}
    (workspace.root / "shop/cart.py").unlink()
    engine.index()
    assert set(engine.graph.catalog()) == {"shop/tax.py"}
