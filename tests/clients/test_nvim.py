"""Neovim 0.11's built-in LSP client against the real `kenning serve`, end to end.

Each session runs `nvim --headless --clean -l nvim/e2e.lua CONFIG` on a fresh copy of
the server tests' project: the script starts the client with `vim.lsp.start`, waits
for the first index, runs the named steps through Neovim's own features (quickfix from
`vim.lsp.buf.incoming_calls()`, buffers edited and written) and requests, and prints
one JSON line per finding. The tests here read those findings. Three sessions: one
without embeddings for the requests and edits, one with them (default settings) for
status notifications and a search with vectors, and one with two texts a batch, so that
embedding this small project takes several batches and shows work-done progress.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from clients.nvim_session import NO_NVIM, NVIM, Session, run_script
from server.conftest import make_project

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

if not NVIM.exists():
    pytest.skip(NO_NVIM, allow_module_level=True)

SCRIPT = Path(__file__).parent / "nvim" / "e2e.lua"
SERVER = [sys.executable, "-m", "kenning", "serve"]
# What pygls shows the user (window/showMessage, Error) when it drops a request that
# has no `params` member: see test_status_without_params.
PARAMLESS_REQUEST_ERROR = {"message": "Error in server: Internal Error", "type": 1}
# A whole session, the server's first index and (for one) the model's load included.
SESSION_TIMEOUT = 120


def run_nvim(root: Path, home: Path, *, embedding: dict[str, Any], steps: list[str]) -> Session:
    """One headless Neovim session on `root` running `steps`, its editor state in `home`."""
    config = {"cmd": SERVER, "root": str(root), "embedding": embedding, "steps": steps}
    return run_script(SCRIPT, config, root, home, SESSION_TIMEOUT)


@pytest.fixture(scope="module")
def requests_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """Embeddings off: search, call hierarchy, symbols, reindex, then edits (last: they
    change the project)."""
    base = tmp_path_factory.mktemp("nvim-requests")
    steps = ["empty_params", "search", "incoming_calls", "workspace_symbol", "reindex", "edits"]
    root = make_project(base / "project")
    return run_nvim(root, base / "home", embedding={"enabled": False}, steps=steps)


@pytest.fixture(scope="module")
def embedding_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """Embeddings on, default settings: status notifications until everything is
    embedded, the progress seen meanwhile, then a search that has vectors."""
    base = tmp_path_factory.mktemp("nvim-embedding")
    steps = ["status", "progress", "search"]
    root = make_project(base / "project")
    return run_nvim(root, base / "home", embedding={"enabled": True}, steps=steps)


@pytest.fixture(scope="module")
def batches_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """Embeddings on, two texts a batch: the project's 7 chunks take several batches."""
    base = tmp_path_factory.mktemp("nvim-batches")
    root = make_project(base / "project")
    embedding = {"enabled": True, "batchSize": 2}
    return run_nvim(root, base / "home", embedding=embedding, steps=["status", "progress"])


@pytest.mark.parametrize("name", ["requests_session", "embedding_session", "batches_session"])
def test_the_session_ends_cleanly(name: str, request: pytest.FixtureRequest) -> None:
    """Every step ran, the server said nothing to the user, and stopped when asked."""
    s: Session = request.getfixturevalue(name)
    assert s.returncode == 0, s.output()
    assert s["stopped"]["clean"], s.output()
    # Less the one that test_status_without_params provokes on purpose.
    messages = s["messages"]["messages"]
    assert messages == [], s.output()


def test_search_finds_the_function_by_its_docstring(requests_session: Session) -> None:
    s = requests_session
    hits = s["search"]["result"]["hits"]
    core = (s.root / "pkg" / "core.py").as_uri()
    found = [h for h in hits if h["symbol"] == "pkg.core.resolve_target"]
    assert found, s.output()
    assert found[0]["uri"] == core, s.output()
    assert set(found[0]["range"]) == {"start", "end"}, s.output()


def test_status_without_params(requests_session: Session) -> None:
    # `client:request('kenning/status', nil)`, the natural Lua spelling.
    s = requests_session
    assert s["empty_params"]["answers"].get("omitted") == {"phase": "idle"}, s.output()
    assert PARAMLESS_REQUEST_ERROR not in s["messages"]["messages"], s.output()


def test_status_with_an_empty_table(requests_session: Session) -> None:
    s = requests_session
    assert s["empty_params"]["answers"].get("empty_table") == {"phase": "idle"}, s.output()


def test_incoming_calls_fill_the_quickfix_list(requests_session: Session) -> None:
    s = requests_session
    entries = s["incoming_calls"]["quickfix"]
    # main's call in app.py line 7, register's in core.py line 13.
    places = sorted((Path(e["filename"]).name, e["lnum"], e["text"]) for e in entries)
    assert places == [("app.py", 7, "main"), ("core.py", 13, "register")], s.output()


def test_incoming_calls_through_the_requests(requests_session: Session) -> None:
    s = requests_session
    found = s["incoming_calls_requests"]
    assert [i["name"] for i in found["prepared"]] == ["resolve_target"], s.output()
    sites = sorted(
        (call["from"]["name"], r["start"]["line"], r["start"]["character"])
        for call in found["incoming"]
        for r in call["fromRanges"]
    )
    assert sites == [("main", 6, 11), ("register", 12, 15)], s.output()


def test_workspace_symbols_fill_the_quickfix_list(requests_session: Session) -> None:
    s = requests_session
    entries = s["workspace_symbol"]["quickfix"]
    places = sorted((Path(e["filename"]).name, e["lnum"], e["text"]) for e in entries)
    # The names of class Registry (core.py line 9) and of Registry.register (line 12).
    assert places == [("core.py", 9, "[Class] Registry"), ("core.py", 12, "[Method] register")], (
        s.output()
    )


def test_reindex_command(requests_session: Session) -> None:
    s = requests_session
    found = s["reindex"]
    assert found["all"]["message"] == "reindexed 1 workspace folder(s)", s.output()
    assert found["file"]["message"] == "reindexed 1 target(s)", s.output()
    assert found["file"]["targets"] == [found["app_uri"]], s.output()
    assert found["status"]["files"] == 3, s.output()


def test_an_edited_buffer_changes_the_call_graph(requests_session: Session) -> None:
    s = requests_session
    unsaved = s["edit_unsaved"]
    assert unsaved["sync"]["change"] == 2, s.output()  # incremental didChange
    assert unsaved["before"] == ["main", "register"], s.output()
    assert unsaved["in_time"] and unsaved["after"] == ["register"], s.output()


def test_a_written_buffer_changes_the_call_graph(requests_session: Session) -> None:
    s = requests_session
    saved = s["edit_saved"]
    assert saved["in_time"] and saved["after"] == ["register"], s.output()
    assert saved["fresh_callers"] == ["main"], s.output()
    assert '    return fresh_target("y")' in saved["on_disk"], s.output()


def embedding_progress(s: Session) -> list[dict[str, Any]]:
    """The `$/progress` values of the embedding token(s), in the order they came."""
    values = s["progress"]["progress"]
    tokens = {v["token"] for v in values if (v.get("title") or "").startswith("kenning: embedding")}
    return [v for v in values if v["token"] in tokens]


def test_embedding_progress_begins_reports_and_ends(batches_session: Session) -> None:
    s = batches_session
    assert s.returncode == 0, s.output()
    values = s["progress"]["progress"]
    titles = {v.get("title") for v in values if v["kind"] == "begin"}
    assert "kenning: indexing project" in titles, s.output()
    embedding = embedding_progress(s)
    kinds = [v["kind"] for v in embedding]
    assert kinds and kinds[0] == "begin" and kinds[-1] == "end", s.output()
    assert set(kinds[1:-1]) <= {"report"}, s.output()
    percentages = [v["percentage"] for v in embedding if v.get("percentage") is not None]
    assert percentages and percentages == sorted(percentages), s.output()
    assert all(0 <= p <= 100 for p in percentages), s.output()
    # "n/N texts" while it runs, "N/N texts embedded" at the end; N counts texts: the
    # project's 7 chunks and its 5 definitions' descriptions.
    # Before the first count is known the pool says what it is preparing
    # (finding new chunks, loading the model); once counting, only counts.
    messages = [v["message"] for v in embedding[:-1]]
    counting = [i for i, m in enumerate(messages) if re.fullmatch(r"\d+/12 texts", m)]
    assert counting, s.output()
    preparing = {"looking for new chunks", "loading the embedding model"}
    assert set(messages[: counting[0]]) <= preparing, s.output()
    assert all(re.fullmatch(r"\d+/12 texts", m) for m in messages[counting[0] :]), s.output()
    assert embedding[-1]["message"] == "12/12 texts embedded", s.output()
    # Every token that began also ended.
    begun = {v["token"] for v in values if v["kind"] == "begin"}
    ended = {v["token"] for v in values if v["kind"] == "end"}
    assert begun == ended, s.output()


def test_embedding_progress_for_a_project_of_one_batch(embedding_session: Session) -> None:
    s = embedding_session
    assert s["status"]["idle"], s.output()
    kinds = [v["kind"] for v in embedding_progress(s)]
    assert kinds[:1] == ["begin"] and kinds[-1:] == ["end"], s.output()


def test_status_notifications_reach_idle(embedding_session: Session) -> None:
    s = embedding_session
    found = s["status"]
    assert found["idle"], s.output()
    last = found["notifications"][-1]
    assert last["phase"] == "idle" and (last["embedded"], last["chunks"]) == (12, 7), s.output()
    now = found["now"]
    assert now["pending"] == 0 and (now["embedded"], now["chunks"]) == (12, 7), s.output()


def test_status_is_not_idle_while_chunks_wait_for_embedding(embedding_session: Session) -> None:
    s = embedding_session
    idle = [n for n in s["status"]["notifications"] if n["phase"] == "idle"]
    assert idle, s.output()
    assert all(n["embedded"] + n["failed"] == 12 for n in idle), s.output()


def test_search_with_vectors(embedding_session: Session) -> None:
    s = embedding_session
    result = s["search"]["result"]
    assert result["vectorsComplete"] and result["vectorCoverage"] == 1, s.output()
    found = [h for h in result["hits"] if h["symbol"] == "pkg.core.resolve_target"]
    assert found and "vector" in found[0]["sources"], s.output()
