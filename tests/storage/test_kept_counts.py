"""The counts a writer kept are carried to the next writer of the same graph files, so
that a start's first status does not count every table; a writer killed after writing
leaves files its record does not match, and the next start counts again."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from helpers import Workspace, count_statements, kenning_env

FILES = {
    "shop/cart.py": "def total(items):\n    return sum(price(i) for i in items)\n\n\n"
    "def price(item):\n    return item.price\n",
}

# Opens the index as its writer, writes to the graph (as a write killed before its chunks
# were written would leave it: the chunk files unchanged) and dies.
WRITE_THEN_DIE = """
import os, signal, sys
from pathlib import Path
from kenning.core.settings import EmbeddingSettings, Settings
from kenning.engine import Engine
settings = Settings(parse_workers=1, embedding=EmbeddingSettings(enabled=False))
engine = Engine.open(Path(sys.argv[1]), settings)
engine.graph.counts()
engine.graph._run("MATCH (s:Symbol {name: 'price'}) DETACH DELETE s")
os.kill(os.getpid(), signal.SIGKILL)
"""


def counted(workspace: Workspace) -> tuple[int, int, int, int]:
    """Files, symbols, calls and imports, counted from every table (a reader counts)."""
    engine = workspace.open(read_only=True)
    try:
        status = engine.status()
        return status.files, status.symbols, status.calls, status.imports
    finally:
        engine.close()


def figures(status: object) -> tuple[int, int, int, int]:
    return status.files, status.symbols, status.calls, status.imports  # type: ignore[attr-defined]


def test_the_next_writer_adopts_the_counts_kept_by_the_last(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = workspace.indexed(FILES)
    first = engine.status()
    workspace.write({"shop/tax.py": "def vat_rate(country):\n    return 0.2\n"})
    engine.apply_changes([("shop/tax.py", None)])
    kept = engine.status()
    assert kept.files == first.files + 1
    engine.close()

    statements = count_statements(monkeypatch)
    reopened = workspace.open()
    status = reopened.status()

    assert [s for s in statements if "count(" in s] == []
    assert status == kept
    assert figures(status) == counted(workspace)
    # The adopted names answer a symbol query that matches nothing without a scan.
    assert reopened.symbols("zzzqqq") == []
    assert [s.name for s in reopened.symbols("vat_rate")] == ["vat_rate"]


def test_a_writer_killed_after_writing_leaves_counts_that_are_not_adopted(
    workspace: Workspace,
) -> None:
    engine = workspace.indexed(FILES)
    before = engine.status()
    engine.close()
    killed = subprocess.run(
        [sys.executable, "-c", WRITE_THEN_DIE, str(workspace.root)],
        env=kenning_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    reopened = workspace.open()
    status = reopened.status()

    assert status.symbols == before.symbols - 1
    assert figures(status) == counted(workspace)
