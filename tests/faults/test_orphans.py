"""`kill -9` of `kenning index` while its parse pool runs leaves no process behind: the
workers, the fork server and the resource tracker all end with it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from helpers import kenning_env

TIMEOUT = 60.0
MODULE = "".join(
    f"def function_{i}(value):\n    return helper(value) + {i}\n\n\n" for i in range(150)
)


def descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


@pytest.mark.slow
def test_kill_9_during_parsing_leaves_no_orphans(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    for i in range(1500):
        (tmp_path / f"module_{i}.py").write_text(MODULE)
    command = [sys.executable, "-m", "kenning", "index", "--no-embeddings"]
    index = subprocess.Popen(command, cwd=tmp_path, env=kenning_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    parent = psutil.Process(index.pid)
    deadline = time.monotonic() + TIMEOUT
    # Workers are the fork server's children: wait until there are some.
    while not any("forkserver" in " ".join(p.cmdline()) for p in descendants(parent)
                  if p.ppid() != index.pid):  # fmt: skip
        assert index.poll() is None, "kenning index finished before its pool started"
        assert time.monotonic() < deadline, "no parse workers appeared"
        time.sleep(0.05)
    helpers = descendants(parent)
    index.send_signal(signal.SIGKILL)
    index.wait()
    _, alive = psutil.wait_procs(helpers, timeout=TIMEOUT)
    survivors = [f"{p.pid}: {' '.join(p.cmdline())[:120]}" for p in alive if p.is_running()]
    for process in alive:  # do not leave them to the next test
        process.kill()
    assert not survivors, survivors
