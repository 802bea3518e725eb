"""Shared fixtures; the helpers they build on live in `helpers.py`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import Workspace

# Every server and CLI process the tests start inherits this: a crash in native code
# (the graph store, LanceDB, tree-sitter) then prints each thread's Python stack to
# the stderr the test shows, instead of a bare "exited with return code -11".
os.environ.setdefault("PYTHONFAULTHANDLER", "1")


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace(tmp_path / "ws")
    ws.root.mkdir()
    yield ws
    ws.close_all()


@pytest.fixture(autouse=True, scope="session")
def _offline_model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Models resolve offline into a cache of this session's own (the optimised model
    file is built at most once per session, never into the user's ~/.cache)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("KENNING_CACHE_DIR", str(tmp_path_factory.mktemp("kenning-cache")))
    patch.setenv("HF_HUB_OFFLINE", "1")
    yield
    patch.undo()
