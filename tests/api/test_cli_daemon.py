"""The CLI with and without a daemon: the same answers either way, and while a daemon
owns the index, the commands go through it instead of opening the stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.conftest import Daemon
from helpers import run_kenning

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

QUERIES = [
    ["search", "registry plugins", "-n", "3"],
    ["symbols", "resolve"],
    ["callers", "resolve_target"],
    ["callees", "main", "--depth", "2"],
    ["search", "--json", "find where a call goes", "-n", "2"],
    ["callers", "--json", "pkg.core.Registry.register"],
]


def answers(project: Path) -> list[str]:
    out = []
    for argv in QUERIES:
        done = run_kenning(project, *argv)
        assert done.returncode == 0, (argv, done.stderr)
        out.append(done.stdout)
    return out


def test_the_same_answers_with_and_without_a_daemon(project: Path) -> None:
    indexed = run_kenning(project, "index", "--no-embeddings")
    assert indexed.returncode == 0, indexed.stderr
    direct = answers(project)
    assert "pkg/core.py:4  pkg.core.resolve_target(name)" in direct[1]

    daemon = Daemon(project)
    try:
        daemon.wait_idle()
        assert answers(project) == direct

        status = run_kenning(project, "status")
        assert f"daemon     kenning pid {daemon.process.pid} at {daemon.url}" in status.stdout
        assert "files      3" in status.stdout
        as_json = json.loads(run_kenning(project, "status", "--json").stdout)
        assert as_json["daemon"]["pid"] == daemon.process.pid and as_json["files"] == 3

        # Writing commands go to the owner too: it holds the lock.
        reindex = run_kenning(project, "reindex", "pkg/app.py")
        assert reindex.returncode == 0, reindex.stderr
        assert f"kenning pid {daemon.process.pid}: reindexed 1 target(s)" in reindex.stderr
        index = run_kenning(project, "index", "--no-embeddings")
        assert index.returncode == 0 and "keeps its index current" in index.stderr
        embed = run_kenning(project, "embed")
        assert embed.returncode == 4 and "embeds its chunks in the background" in embed.stderr
        # A path outside the workspace is refused by the daemon, as a usage error.
        outside = run_kenning(project, "reindex", "/etc/hostname")
        assert outside.returncode == 2 and "outside the workspace" in outside.stderr
    finally:
        daemon.stop()
    # And without it again.
    assert answers(project) == direct
    assert "daemon" not in run_kenning(project, "status").stdout
