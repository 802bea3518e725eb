"""A restart with nothing changed (`kenning index` on an index that is up to date) loads
only what it uses: the graph store and the walk, not the embedding model's code, the
vector and chunk tables' driver or the Arrow compute kernels. Importing those took
most of a restart's time (see "Where the budgets stand" in `docs/architecture.md`).
With every text embedded, it does not load the model or the chunk table either, and
`kenning status` counts chunks without opening the table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import Workspace, kenning_env

# What a no-change restart must not import: each is needed only to embed, to search,
# or to write chunks, and each costs tens to hundreds of milliseconds to import.
NOT_NEEDED = ("kenning.embed", "onnxruntime", "fastembed", "lancedb", "pyarrow.compute")

# Runs the command line in a fresh interpreter and writes the modules it loaded to the
# file named by its first argument.
RUN_AND_LIST_MODULES = """
import sys
from pathlib import Path
from kenning.cli.main import main
out = sys.argv.pop(1)
code = main(sys.argv[1:])
Path(out).write_text("\\n".join(sorted(sys.modules)))
raise SystemExit(code)
"""


def restart(root: Path, modules_file: Path, *options: str) -> tuple[dict, set[str]]:
    return run_listing_modules(modules_file, "index", str(root), "--json", *options)


def run_listing_modules(modules_file: Path, *argv: str) -> tuple[dict, set[str]]:
    """`kenning ARGV` in a fresh interpreter: its JSON output and the modules it loaded."""
    command = [sys.executable, "-c", RUN_AND_LIST_MODULES, str(modules_file)]
    done = subprocess.run(
        [*command, *argv],
        env=kenning_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), set(modules_file.read_text().split("\n"))


def test_a_restart_with_nothing_changed_loads_neither_embedding_nor_chunk_code(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.indexed(
        {"shop/cart.py": "def total(items):\n    return sum(price(i) for i in items)\n\n\n"
         "def price(item):\n    return item.price\n"}
    ).close()  # fmt: skip

    report, modules = restart(workspace.root, tmp_path / "modules.txt", "--no-embeddings")

    assert (report["files"], report["parsed"], report["deleted"]) == (1, 0, 0)
    loaded = {m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_NEEDED)}
    assert loaded == set()
    # The check is real: the store it did read is among the modules listed.
    assert "ladybug" in modules


def test_a_restart_that_finds_a_change_still_writes_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    """The lazily imported code is still there when a restart has something to write."""
    workspace.indexed({"shop/cart.py": "def total(items):\n    return len(items)\n"}).close()
    workspace.write({"shop/tax.py": "def vatRate(country):\n    return 0.2\n"})

    report, modules = restart(workspace.root, tmp_path / "modules.txt", "--no-embeddings")

    assert (report["files"], report["parsed"]) == (2, 1)
    assert "pyarrow.compute" in modules  # the camelCase split of the new chunk's words
    engine = workspace.open(read_only=True)
    assert [s.name for s in engine.symbols("vatRate")] == ["vatRate"]


def loaded(modules: set[str], names: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == n or m.startswith(n + ".") for n in names)}


def test_status_counts_chunks_without_opening_the_chunk_table(
    workspace: Workspace, tmp_path: Path
) -> None:
    engine = workspace.indexed(
        {"shop/cart.py": "def total(items):\n    return len(items)\n\n\n"
         "def price(item):\n    return item.price\n"}
    )  # fmt: skip
    chunks = engine.chunks.count()
    engine.close()

    status, modules = run_listing_modules(tmp_path / "m.txt", "status", "-w", str(workspace.root),
                                          "--json")  # fmt: skip

    assert status["chunks"] == chunks > 0
    assert loaded(modules, ("lancedb",)) == set()


def test_status_recounts_chunks_written_by_a_writer_that_did_not_close(
    workspace: Workspace, tmp_path: Path
) -> None:
    """The kept count is for the chunk files as they were at the last clean close: a
    writer that wrote after that and never closed (killed) leaves other files."""
    workspace.indexed({"shop/cart.py": "def total(items):\n    return len(items)\n"}).close()
    engine = workspace.open()
    workspace.write({"shop/tax.py": "def vat_rate(country):\n    return 0.2\n"})
    engine.apply_changes([("shop/tax.py", None)])
    chunks = engine.chunks.count()
    engine.index_dir.release()  # as a kill would: the lock goes, nothing is recorded

    status, modules = run_listing_modules(tmp_path / "m.txt", "status", "-w", str(workspace.root),
                                          "--json")  # fmt: skip

    assert status["chunks"] == chunks == 2
    assert "lancedb" in modules


def test_a_close_whose_last_writes_failed_vouches_for_nothing(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next open counts and checks the stores itself rather than trust a record
    written by a close that could not finish writing."""
    workspace.indexed({"shop/cart.py": "def total(items):\n    return len(items)\n"}).close()
    engine = workspace.open()
    workspace.write({"shop/tax.py": "def vat_rate(country):\n    return 0.2\n"})
    engine.apply_changes([("shop/tax.py", None)])

    def failing_flush() -> None:
        raise OSError("disk full")

    monkeypatch.setattr(engine, "flush", failing_flush)
    engine.close()

    status, modules = run_listing_modules(tmp_path / "m.txt", "status", "-w", str(workspace.root),
                                          "--json")  # fmt: skip

    assert status["chunks"] == 2
    assert "lancedb" in modules  # counted in the table, not taken from a record


# What a restart with every text embedded must not import: the model's runtime and the
# chunk and vector tables' driver (the model's files are only located, to know its id).
NOT_NEEDED_WHEN_EMBEDDED = ("onnxruntime", "fastembed", "lancedb", "pyarrow.compute")


@pytest.mark.slow  # embeds with the real model first
def test_a_restart_with_every_text_embedded_loads_neither_model_nor_chunk_table(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.write({"shop/cart.py": "def total(items):\n    return len(items)\n"})
    first, _ = restart(workspace.root, tmp_path / "first.txt", "--no-optimize")
    assert first["embedding"]["done"] == first["embedding"]["total"] > 0

    again, modules = restart(workspace.root, tmp_path / "again.txt", "--no-optimize")

    assert again["parsed"] == 0
    embedding = again["embedding"]
    assert (embedding["state"], embedding["pending"]) == ("idle", 0)
    assert embedding["done"] == embedding["total"] == first["embedding"]["total"]
    assert loaded(modules, NOT_NEEDED_WHEN_EMBEDDED) == set()
