"""Hostile files in the workspace: names that are not UTF-8, FIFOs named like source
files, editor buffers over the size limit. Each is skipped and reported; none stops
the index, the watcher or the writer, and a writer that does stop shows in status."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import msgspec
import pytest

from api.conftest import Daemon
from helpers import NO_VECTORS, Workspace, run_kenning
from kenning.core.facts import Span
from kenning.core.settings import Settings
from kenning.engine.live import Event, LiveWorkspace, WorkerFailed
from kenning.pipeline.documents import TextChange
from kenning.pipeline.watcher import FileWatcher

TIMEOUT = 60.0
GOOD = "def healthy():\n    return 1\n"


def bad_name(root: Path, name: bytes) -> bytes:
    """The bytes path `root/name`: `name` is not valid UTF-8."""
    return os.fsencode(root) + b"/" + name


def write_bytes_path(path: bytes, text: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)


def until(check, timeout: float = TIMEOUT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)


def test_index_skips_and_reports_names_that_are_not_utf8(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "good.py").write_text(GOOD)
    write_bytes_path(bad_name(tmp_path, b"na\xefve.py"), "def naive(): pass\n")
    os.mkdir(bad_name(tmp_path, b"bad\xffdir"))
    write_bytes_path(bad_name(tmp_path, b"bad\xffdir/inner.py"), "def inner(): pass\n")
    done = run_kenning(tmp_path, "index", "--no-embeddings", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert ["na\\xefve.py", "undecodable-name"] in report["skipped"]
    assert ["bad\\xffdir", "undecodable-name"] in report["skipped"]
    assert report["files"] == 1
    found = run_kenning(tmp_path, "symbols", "healthy")
    assert found.returncode == 0 and "good.py:1" in found.stdout, found.stderr


def test_watcher_survives_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    seen: list[str] = []
    lost = threading.Event()
    watcher = FileWatcher(tmp_path, Settings(), seen.extend, on_lost=lost.set)
    watcher.start()
    try:
        # watchfiles ends its loop with an internal error on this name.
        write_bytes_path(bad_name(tmp_path, b"na\xefve.py"), "x = 1\n")
        assert lost.wait(TIMEOUT), "the watcher did not restart"
        (tmp_path / "after.py").write_text(GOOD)
        until(lambda: "after.py" in seen, what="after.py to be reported")
        assert watcher.alive and watcher.error == ""
    finally:
        watcher.stop()


@pytest.mark.slow
def test_a_daemon_keeps_indexing_past_bad_names_and_fifos(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / ".git").mkdir()
    (root / "good.py").write_text(GOOD)
    daemon = Daemon(root)
    try:
        daemon.wait_idle()
        write_bytes_path(bad_name(root, b"na\xefve.py"), "def naive(): pass\n")
        os.mkfifo(root / "x.py")
        (root / "later.py").write_text("def written_later():\n    return 2\n")

        def indexed() -> bool:
            found = daemon.call("kenning/symbols", {"query": "written_later"})
            return bool(found["symbols"])

        until(indexed, what="later.py to be indexed past the bad name and the FIFO")
        status = daemon.wait_idle()
        assert status["health"] == "ok", status
        (root / "last.py").write_text("def last_one():\n    return 3\n")
        until(lambda: bool(daemon.call("kenning/symbols", {"query": "last_one"})["symbols"]),
              what="the watcher to still report changes")  # fmt: skip
    finally:
        daemon.stop()


def test_a_writer_stuck_on_one_batch_shows_as_an_error(workspace: Workspace) -> None:
    workspace.write({"a.py": GOOD})
    live = LiveWorkspace(workspace.root, NO_VECTORS)
    assert live.open().writer
    live.catch_up().result(TIMEOUT)
    engine = live.engine
    assert engine is not None
    release = threading.Event()
    entered = threading.Event()
    real_apply = engine.apply_changes

    def stuck(*args, **kwargs):  # stands in for a read that never returns
        entered.set()
        release.wait(TIMEOUT)
        return real_apply(*args, **kwargs)

    engine.apply_changes = stuck  # type: ignore[method-assign]
    live.writer_stuck_seconds = 0.2
    try:
        assert live.error == ""
        live.files_changed(["a.py"])
        assert entered.wait(TIMEOUT)
        until(lambda: "applying one batch" in live.error, 10, "the stuck writer to show")
    finally:
        release.set()
    until(lambda: live.error == "", 10, "the error to clear once the writer moved on")
    live.close()


def test_buffers_over_the_size_limit_are_not_indexed(workspace: Workspace) -> None:
    workspace.write({"a.py": GOOD})
    said: list[str] = []
    settings = msgspec.structs.replace(NO_VECTORS, max_file_size=2000)

    def told(event: Event) -> None:
        if isinstance(event, WorkerFailed):
            said.append(event.message)

    live = LiveWorkspace(workspace.root, settings, told)
    assert live.open().writer
    live.catch_up().result(TIMEOUT)
    engine = live.engine
    assert engine is not None
    huge = "def enormous():\n    return 1\n" + "x = 1\n" * 1000
    live.did_open("a.py", huge, 1)
    live.did_change("a.py", [TextChange("y", Span(0, 0, 0, 0))], 2)  # no buffer to edit
    live.did_open("a.py", huge + "z = 3\n", 3)
    assert live.wait_until_idle(TIMEOUT)
    assert "a.py" not in live.documents
    assert len(said) == 1 and "larger than maxFileSize" in said[0], said
    # The file on disk stays indexed; the buffer never was.
    assert [s.name for s in engine.symbols("healthy")] == ["healthy"]
    assert engine.symbols("enormous") == []
    # Edited down below the limit, the buffer is indexed again.
    live.did_change("a.py", [TextChange("def small():\n    pass\n")], 4)
    assert live.wait_until_idle(TIMEOUT)
    assert [s.name for s in engine.symbols("small")] == ["small"]
    live.close()


def test_fifos_named_like_project_files_are_never_opened(tmp_path: Path) -> None:
    """Project files are read to name modules (and ignore files to skip paths): one that
    is a FIFO would block that read until some process wrote to it."""
    root = tmp_path / "project"
    root.mkdir()
    (root / ".git").mkdir()
    for name, text in {
        "main.go": "package main\n\nfunc Healthy() int { return 1 }\n",
        "index.ts": "export function healthy(): number { return 1; }\n",
        "src/lib.rs": "pub fn healthy() -> i32 { 1 }\n",
        "good.py": GOOD,
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    for project_file in ("go.mod", "package.json", "tsconfig.json", "Cargo.toml", ".gitignore"):
        os.mkfifo(root / project_file)
    result = run_kenning(root, "index", str(root), "--no-embeddings", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files"] == 4, result.stdout
