"""A daemon started on an index that is up to date answers without waiting for the chunk
table: its status counts chunks from the count kept at the last clean close, and
LanceDB (a second or more to import) is loaded in the background once the folder has
caught up, so that the first search does not pay for it either."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from api.conftest import Daemon
from helpers import kenning_env, run_kenning


def mapped(pid: int, library: str) -> bool:
    """Whether the process has a shared library of `library` loaded (Linux)."""
    return library in Path(f"/proc/{pid}/maps").read_text()


def test_a_daemon_opens_the_chunk_table_after_it_has_caught_up_not_before(
    project: Path,
) -> None:
    assert run_kenning(project, "index", "--no-embeddings").returncode == 0
    counted = json.loads(run_kenning(project, "status", "--json").stdout)["chunks"]
    daemon = Daemon(project)
    try:
        status = daemon.wait_idle()
        (folder,) = status["folders"]
        assert folder["chunks"] == counted > 0
        # No search has been made, yet the tables get opened: in the background.
        deadline = time.monotonic() + 60
        while not mapped(daemon.process.pid, "lancedb") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert mapped(daemon.process.pid, "lancedb"), daemon.logs()

        hits = daemon.call("kenning/search", {"query": "registry plugins", "mode": "text"})

        assert hits["hits"]
    finally:
        daemon.stop()


def test_the_http_api_does_not_load_the_lsp_types() -> None:
    """A headless daemon answers over HTTP only; every LSP type (`lsprotocol.types`,
    half a second to import) is for the editor's connection."""
    listed = subprocess.run(
        [sys.executable, "-c", "import sys, kenning.server.http; print(*sys.modules)"],
        env=kenning_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    modules = set(listed.stdout.split())
    assert "aiohttp" in modules
    assert {m for m in modules if m.startswith(("lsprotocol", "pygls"))} == set()
