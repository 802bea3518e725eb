"""The index folder: schema version checks and the one-writer lock across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import kenning
from helpers import Workspace
from kenning.engine import Engine
from kenning.storage import check
from kenning.storage.index_dir import SCHEMA_VERSION, IndexIncompatible, IndexLocked, IndexMissing

DAEMON_DIR = str(Path(kenning.__file__).resolve().parents[1])


@pytest.mark.parametrize(
    ("meta", "words"),
    [
        (json.dumps({"schema": SCHEMA_VERSION + 1}), "newer"),
        (json.dumps({"schema": SCHEMA_VERSION - 1}), "older"),
        ("{not json", "corrupt"),
        (json.dumps({"kenning": "0.1"}), "corrupt"),
    ],
    ids=["newer", "older", "not-json", "no-version"],
)
@pytest.mark.parametrize("read_only", [False, True], ids=["writer", "reader"])
def test_an_incompatible_index_is_refused_with_the_fix(
    workspace: Workspace, meta: str, words: str, read_only: bool
) -> None:
    workspace.indexed({"a.py": "x = 1\n"}).close()
    (workspace.root / ".kenning/meta.json").write_text(meta)

    with pytest.raises(IndexIncompatible) as error:
        Engine.open(workspace.root, read_only=read_only)

    assert words in str(error.value)
    assert "kenning index --rebuild" in str(error.value)


def test_rebuild_replaces_an_incompatible_index(workspace: Workspace) -> None:
    workspace.indexed({"a.py": "def f():\n    pass\n"}).close()
    (workspace.root / ".kenning/meta.json").write_text(json.dumps({"schema": 999}))

    engine = workspace.open(rebuild=True)
    engine.index()
    assert engine.symbols("f")[0].id == "a.py#f"


def test_reading_a_workspace_without_an_index(workspace: Workspace) -> None:
    with pytest.raises(IndexMissing, match="kenning index"):
        Engine.open(workspace.root, read_only=True)


WRITER = """
import sys
from pathlib import Path
from kenning.engine import Engine
from kenning.storage import check

engine = Engine.open(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.read()
engine.close()
"""


@pytest.fixture
def writer_process(workspace: Workspace) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the index as its writer until its stdin closes."""
    workspace.indexed({"a.py": "x = 1\n"}).close()
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(workspace.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": DAEMON_DIR},
    )
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


def test_a_second_writer_is_told_who_holds_the_lock(
    workspace: Workspace, writer_process: subprocess.Popen[str]
) -> None:
    with pytest.raises(IndexLocked) as error:
        Engine.open(workspace.root)
    assert f"pid {writer_process.pid}" in str(error.value)

    # Once the owner has gone, the index opens again.
    assert writer_process.stdin is not None
    writer_process.stdin.close()
    assert writer_process.wait(timeout=60) == 0
    engine = workspace.open()
    assert engine.status().files == 1


def test_stores_unchanged_since_a_clean_close_are_not_read_again(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An open checks the chunk and vector tables only when their files changed since
    the writer last closed cleanly (a restart with nothing changed reads no table);
    a touched file is checked again."""
    workspace.indexed({"a.py": "def f():\n    return 1\n"}).close()
    reads: list[Path] = []
    real = check.check_chunks

    def counted(path: Path, catalog_files: int) -> list[check.Damage]:
        reads.append(path)
        return real(path, catalog_files)

    monkeypatch.setattr(check, "check_chunks", counted)
    workspace.open().close()
    with workspace.open(read_only=True):
        pass
    assert reads == []
    data = next(p for p in (workspace.root / ".kenning").rglob("*.lance") if p.is_file())
    later = data.stat().st_mtime_ns + 1_000_000_000
    os.utime(data, ns=(later, later))
    with workspace.open(read_only=True):
        pass
    assert len(reads) == 1
