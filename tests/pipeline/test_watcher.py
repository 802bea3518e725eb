"""The file watcher reports indexable files that change, in batches, and nothing else.

Each test writes a sentinel file last and waits for it: events arrive in order, so
once the sentinel is reported every earlier change has been seen or filtered out.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kenning.core.settings import Settings
from kenning.pipeline.watcher import FileWatcher

TIMEOUT = 10.0


class Reports:
    def __init__(self) -> None:
        self.batches: queue.Queue[list[str]] = queue.Queue()
        self.seen: list[list[str]] = []

    def until(self, *paths: str) -> set[str]:
        """Every path reported until all of `paths` have been; fails after TIMEOUT."""
        deadline = time.monotonic() + TIMEOUT
        reported: set[str] = set()
        while not set(paths) <= reported:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"waited for {sorted(set(paths) - reported)}"
            try:
                batch = self.batches.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(batch)
            reported.update(batch)
        return reported


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".gitignore").write_text("ignored*.py\n", encoding="utf-8")
    (tmp_path / ".kenning").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "old.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "pkg" / "doomed.py").write_text("y = 1\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def reports(root: Path) -> Iterator[Reports]:
    reports = Reports()
    watcher = FileWatcher(root, Settings(), reports.batches.put)
    watcher.start()
    yield reports
    watcher.stop()
    watcher.stop()


def test_created_modified_and_deleted_files_are_reported(root: Path, reports: Reports) -> None:
    (root / "pkg" / "new.py").write_text("def f(): pass\n", encoding="utf-8")
    (root / "pkg" / "old.py").write_text("x = 2\n", encoding="utf-8")
    (root / "pkg" / "doomed.py").unlink()
    reported = reports.until("pkg/new.py", "pkg/old.py", "pkg/doomed.py")
    assert reported == {"pkg/new.py", "pkg/old.py", "pkg/doomed.py"}


def test_files_discovery_would_skip_are_not_reported(root: Path, reports: Reports) -> None:
    (root / "ignored_scratch.py").write_text("", encoding="utf-8")
    (root / "notes.txt").write_text("", encoding="utf-8")
    (root / ".kenning" / "index.py").write_text("", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "hook.py").write_text("", encoding="utf-8")
    (root / "sentinel.py").write_text("", encoding="utf-8")
    assert reports.until("sentinel.py") == {"sentinel.py"}


def test_a_checkout_sized_burst_arrives_whole_in_few_batches(root: Path, reports: Reports) -> None:
    paths = [f"burst/m{i:03}.py" for i in range(200)]
    (root / "burst").mkdir()
    for rel in paths:
        (root / rel).write_text(f"VALUE = {rel!r}\n", encoding="utf-8")
    assert reports.until(*paths) == set(paths)
    assert len(reports.seen) <= 10


def test_stop_is_prompt(root: Path) -> None:
    watcher = FileWatcher(root, Settings(), lambda paths: None)
    watcher.start()
    started = time.monotonic()
    watcher.stop()
    assert time.monotonic() - started < 2.0
