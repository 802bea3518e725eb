"""kenning's Neovim client (`clients/nvim`) in Neovim 0.11, as a user drives it.

Each session runs `nvim --headless --clean -l nvim/client.lua CONFIG` on a fresh copy
of the server tests' project: the script puts `clients/nvim` on the runtimepath, calls
`vim.lsp.enable('kenning')` with the test's `cmd` (this interpreter's `-m kenning serve`)
and settings, opens a Python file, types the :Kenning* commands and prints one JSON line
per finding holding what the user would see: quickfix titles and entries, notifications,
the statusline, the `:checkhealth kenning` report. The tests read those findings.

Three sessions: one without embeddings for the commands and their errors, one with
two texts an embedding batch for the statusline while embedding runs (and pausing it),
and one whose server command is not installed (no server starts; the health report
says why).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

import kenning
from clients.nvim_session import NO_NVIM, NVIM, Session, run_script
from kenning.core.settings import Settings
from kenning.engine.engine import WORKSPACE_MARKERS
from kenning.languages import language_ids
from kenning.server import protocol
from server.conftest import make_project

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

if not NVIM.exists():
    pytest.skip(NO_NVIM, allow_module_level=True)

SCRIPT = Path(__file__).parent / "nvim" / "client.lua"
CLIENT = Path(__file__).resolve().parents[2] / "clients" / "nvim"
SERVER = [sys.executable, "-m", "kenning", "serve"]
# A whole session, the server's first index and (for one) the model's load included.
SESSION_TIMEOUT = 150
FAST = {"embedding": {"enabled": False}, "debounceMs": 50}


def run_nvim(base: Path, steps: list[str], **config: Any) -> Session:
    """One headless Neovim session on a fresh project under `base` running `steps`; its
    editor state (XDG folders) stays in `base` too."""
    root = make_project(base / "project")
    config = {"rtp": str(CLIENT), "root": str(root), "cmd": SERVER, "steps": steps, **config}
    return run_script(SCRIPT, config, root, base / "home", SESSION_TIMEOUT)


@pytest.fixture(scope="module")
def commands_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """Embeddings off: every command, then the errors, then the health report."""
    steps = [
        "commands_exist",
        "search",
        "search_pick",
        "callers",
        "callees",
        "impact",
        "status_command",
        "reindex",
        "pause_embedding",
        "errors",
        "health",
    ]
    return run_nvim(tmp_path_factory.mktemp("nvim-commands"), steps, init_options=FAST)


@pytest.fixture(scope="module")
def embedding_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """Embeddings on, two texts a batch: the project's 7 chunks take several batches,
    which the statusline follows; then pausing and resuming, then the health report."""
    options = {"embedding": {"enabled": True, "batchSize": 2}, "debounceMs": 50}
    steps = ["embedded", "pause_resume", "health"]
    return run_nvim(tmp_path_factory.mktemp("nvim-embedding"), steps, init_options=options)


def status(phase: str, **counts: Any) -> dict[str, Any]:
    """A StatusResult of one folder, as the `kenning/status` notification carries it."""
    folder = {
        "phase": phase,
        "health": "ok",
        "message": "",
        "files": 3,
        "symbols": 8,
        "chunks": 7,
        "embedded": 0,
        "pending": 0,
        "failed": 0,
        "throughput": 0.0,
        "uri": "file:///project",
        "embeddingPaused": False,
        "readOnly": False,
    }
    folder.update(counts)
    totals = {k: v for k, v in folder.items() if k not in ("uri", "embeddingPaused", "readOnly")}
    return {**totals, "folders": [folder]}


def work(title: str, message: str | None = None, percentage: int | None = None) -> dict:
    """Work-done progress under way (begun, not ended), by token."""
    return {"kenning-1": {"title": title, "message": message, "percentage": percentage}}


# (what the client last heard, the statusline text), for test_statusline_texts.
STATUSLINE_CASES: list[tuple[dict[str, Any], str]] = [
    ({}, "kenning: starting"),
    ({"status": status("starting")}, "kenning: starting"),
    ({"work": work("kenning: indexing project", "parse 4/10 files", 40)}, "kenning: indexing 40%"),
    ({"status": status("indexing")}, "kenning: indexing"),
    # Indexing ended; the status that says what came next has not come yet.
    ({"status": status("indexing"), "indexed": True}, "kenning: indexing"),
    ({"status": status("idle"), "indexed": True}, "kenning: idle"),
    (
        {"status": status("embedding", chunks=5678, embedded=1234, pending=4444)},
        "kenning: 1,234/5,678 embedded",
    ),
    # Texts, not chunks: embedded of embedded + pending + failed (descriptions are texts).
    (
        {"status": status("embedding", chunks=9, embedded=7, pending=1234560)},
        "kenning: 7/1,234,567 embedded",
    ),
    ({"status": status("embedding")}, "kenning: embedding"),  # texts not counted yet
    (
        {"work": work("kenning: embedding project", "12/34 texts", 35)},
        "kenning: embedding 12/34 texts",
    ),
    ({"status": status("idle", embedded=7)}, "kenning: idle"),
    ({"status": status("idle", embedded=4, failed=3, health="warning")}, "kenning: idle, 3 failed"),
    (
        {"status": status("idle", embedded=2, pending=5, embeddingPaused=True)},
        "kenning: idle, embedding paused",
    ),
    ({"status": status("read-only", readOnly=True, health="warning")}, "kenning: read-only"),
    ({"status": status("error", health="error")}, "kenning: error"),
]


@pytest.fixture(scope="module")
def missing_server_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """A `cmd` that is not installed; no file open until the health report is read.
    First, the statusline component's text for each of STATUSLINE_CASES."""
    return run_nvim(
        tmp_path_factory.mktemp("nvim-missing"),
        ["statusline_texts", "not_installed"],
        cmd=["kenning-not-installed", "serve"],
        wait_ready=False,
        statusline_cases=[case for case, _ in STATUSLINE_CASES],
    )


def entries(quickfix: dict[str, Any]) -> list[tuple[str, int, int, str]]:
    """Quickfix entries as (file, line, column, text), in the list's order."""
    return [(e["filename"], e["lnum"], e["col"], e["text"]) for e in quickfix["items"]]


def said(notifications: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(n["level"], n["message"]) for n in notifications]


@pytest.mark.parametrize(
    "name", ["commands_session", "embedding_session", "missing_server_session"]
)
def test_the_session_ends_cleanly(name: str, request: pytest.FixtureRequest) -> None:
    s: Session = request.getfixturevalue(name)
    assert s.returncode == 0, s.output()
    assert s["stopped"]["clean"], s.output()


@pytest.mark.parametrize("name", ["commands_session", "embedding_session"])
def test_the_server_sent_no_message(name: str, request: pytest.FixtureRequest) -> None:
    # A warning (a setting it refused, say) would be in the message history.
    s: Session = request.getfixturevalue(name)
    messages = s["notifications"]["messages"]
    assert not [m for m in messages if m.startswith("LSP[")], s.output()


def test_nothing_else_warned(commands_session: Session) -> None:
    # No warning or error notification but the three the `errors` step provoked.
    s = commands_session
    notifications = said(s["notifications"]["notifications"])
    loud = [n for n in notifications if n[0] in ("WARN", "ERROR")]
    errors = s["errors"]
    provoked = [said(errors[k])[-1] for k in ("no_symbol", "outside", "too_deep")]
    assert loud == provoked, s.output()


def test_the_commands_are_made_in_python_buffers_only(commands_session: Session) -> None:
    s = commands_session
    found = s["commands_exist"]
    assert found["python"] == [
        "KenningCallees",
        "KenningCallers",
        "KenningImpact",
        "KenningPauseEmbedding",
        "KenningReindex",
        "KenningResumeEmbedding",
        "KenningSearch",
        "KenningStatus",
    ], s.output()
    assert found["scratch"] == [], s.output()


def test_the_statusline_follows_the_first_index(commands_session: Session) -> None:
    s = commands_session
    ready = s["ready"]
    assert ready["statusline"] == "kenning: idle", s.output()
    seen = ready["seen"]
    assert seen[-1] == "kenning: idle", s.output()
    assert any(t.startswith("kenning: indexing") for t in seen), s.output()
    allowed = re.compile(r"kenning: (starting|indexing( \d+%)?|idle)")
    assert all(allowed.fullmatch(t) for t in seen), s.output()


def test_the_statusline_is_empty_without_a_client(commands_session: Session) -> None:
    s = commands_session
    assert s["commands_exist"]["scratch_statusline"] == "", s.output()


def test_search_fills_the_quickfix_list(commands_session: Session) -> None:
    s = commands_session
    found = s["search"]["quickfix"]
    assert found["title"] == "kenning search: look the name up in the registry", s.output()
    assert (
        "pkg/core.py",
        4,
        1,
        "pkg.core.resolve_target [function] def resolve_target(name):",
    ) in entries(found), s.output()


def test_search_with_a_bang_offers_a_picker(commands_session: Session) -> None:
    s = commands_session
    found = s["search_pick"]
    assert found["picker"]["prompt"] == "kenning search: Registry", s.output()
    assert (
        "pkg/core.py:12: pkg.core.Registry.register [method] def register(self, item):"
        in found["picker"]["items"]
    ), s.output()
    # The chosen hit opened where the search was typed; the quickfix list has them all.
    assert found["landed"] == {"file": "pkg/core.py", "lnum": 12}, s.output()
    assert found["quickfix"]["title"] == "kenning search: Registry", s.output()
    assert len(found["quickfix"]["items"]) == len(found["picker"]["items"]), s.output()


def test_callers_fill_the_quickfix_list(commands_session: Session) -> None:
    s = commands_session
    found = s["callers"]["quickfix"]
    assert found["title"] == "kenning callers of pkg.core.resolve_target", s.output()
    # The call sites: `resolve_target("y")` in main, `resolve_target(item)` in register.
    assert entries(found) == [
        ("pkg/app.py", 7, 12, "pkg.app.main"),
        ("pkg/core.py", 13, 16, "pkg.core.Registry.register"),
    ], s.output()


def test_callees_fill_the_quickfix_list(commands_session: Session) -> None:
    s = commands_session
    found = s["callees"]["quickfix"]
    assert found["title"] == "kenning callees of pkg.app.main", s.output()
    # `registry = Registry()` types the local, so `registry.register` is a fact, not a
    # guess: only guessed edges (name-only, candidate, override) carry a label.
    assert entries(found) == [
        ("pkg/app.py", 5, 16, "pkg.core.Registry"),
        ("pkg/app.py", 6, 5, "pkg.core.Registry.register"),
        ("pkg/app.py", 7, 12, "pkg.core.resolve_target"),
    ], s.output()


def test_impact_groups_the_callers_by_file(commands_session: Session) -> None:
    s = commands_session
    found = s["impact"]["quickfix"]
    assert found["title"] == (
        "kenning impact of pkg.core.resolve_target: 3 caller(s) in 2 file(s)"
    ), s.output()
    # helper reaches it through main: distance 2, at its call of main.
    assert entries(found) == [
        ("pkg/app.py", 7, 12, "distance 1: pkg.app.main"),
        ("pkg/app.py", 11, 12, "distance 2: pkg.app.helper"),
        ("pkg/core.py", 13, 16, "distance 1: pkg.core.Registry.register"),
    ], s.output()


def test_status_command_shows_each_folder(commands_session: Session) -> None:
    s = commands_session
    [(level, message)] = said(s["status_command"]["notifications"])
    assert level == "INFO", s.output()
    summary, folder, counts = message.split("\n")
    assert summary == "kenning: idle, health ok", s.output()
    assert folder.endswith("project: project: 3 files, 8 symbols"), s.output()
    assert counts == (
        "  idle, ok: 3 files, 8 symbols, 7 chunks, 0 embedded, 0 pending, 0 failed"
    ), s.output()


def test_reindex_a_file_then_everything(commands_session: Session) -> None:
    s = commands_session
    found = s["reindex"]
    assert said(found["file"]) == [
        ("INFO", "kenning: reindexing pkg/app.py"),
        ("INFO", "kenning: reindexed 1 target(s)"),
    ], s.output()
    assert said(found["all"]) == [
        ("INFO", "kenning: reindexing the workspace"),
        ("INFO", "kenning: reindexed 1 workspace folder(s)"),
    ], s.output()
    assert found["statusline"] == "kenning: idle", s.output()


def test_pausing_embedding_that_is_off(commands_session: Session) -> None:
    s = commands_session
    assert said(s["pause_embedding"]["notifications"]) == [
        ("INFO", "kenning: embedding is off; nothing paused")
    ], s.output()


def test_server_errors_are_shown(commands_session: Session) -> None:
    s = commands_session
    found = s["errors"]
    assert said(found["no_symbol"]) == [
        ("ERROR", "kenning: :KenningCallers failed: no symbol at pkg/core.py:1:1 (RequestFailed)")
    ], s.output()
    outside = said(found["outside"])
    assert outside[-1][0] == "ERROR", s.output()
    assert outside[-1][1].startswith("kenning: :KenningReindex failed: "), s.output()
    assert "elsewhere.py is outside the workspace folders" in outside[-1][1], s.output()
    assert outside[-1][1].endswith("(InvalidParams)"), s.output()
    assert said(found["too_deep"]) == [
        (
            "ERROR",
            "kenning: :KenningImpact failed: invalid params: depth must be between 1 and 10 "
            "(InvalidParams)",
        )
    ], s.output()


def test_health_reports_the_server_and_the_index(commands_session: Session) -> None:
    s = commands_session
    lines = s["health"]["lines"]
    report = "\n".join(lines)
    assert "ERROR" not in report and "WARNING" not in report, report
    assert "- ✅ OK enabled: vim.lsp.enable('kenning')" in lines, report
    assert f"- ✅ OK `{' '.join(SERVER)}` ({sys.executable})" in lines, report
    assert f"- ✅ OK version: kenning {kenning.__version__}" in lines, report
    assert "- settings (init_options): {" in lines, report
    assert any(
        re.fullmatch(r"- ✅ OK client \d+ \(.*/project\): idle, health ok", x) for x in lines
    )
    assert "    idle, ok: 3 files, 8 symbols, 7 chunks, 0 embedded, 0 pending, 0 failed" in lines, (
        report
    )


def test_the_statusline_counts_embedded_chunks(embedding_session: Session) -> None:
    s = embedding_session
    seen = s["ready"]["seen"] + s["embedded"]["seen"]
    # 12 texts: the project's 7 chunks and its 5 definitions' descriptions. Until the
    # pool has counted them the line says "embedding"; status comes a few times a
    # second at most, so the counts in between may or may not be seen (12/12 too: the
    # pool reports its last batch before it finds nothing more to do).
    counted = [re.fullmatch(r"kenning: (\d+)/12 embedded", t) for t in seen]
    done = [int(m.group(1)) for m in counted if m]
    assert done == sorted(done) and all(n <= 12 for n in done), s.output()
    assert done or "kenning: embedding" in seen, s.output()
    assert s["embedded"]["statusline"] == "kenning: idle", s.output()
    assert seen[-1] == "kenning: idle", s.output()


def test_pausing_and_resuming_embedding(embedding_session: Session) -> None:
    s = embedding_session
    found = s["pause_resume"]
    assert said(found["paused"]) == [("INFO", "kenning: embedding paused")], s.output()
    assert found["while_paused"] == "kenning: idle, embedding paused", s.output()
    assert said(found["resumed"]) == [("INFO", "kenning: embedding resumed")], s.output()
    assert found["after"] == "kenning: idle", s.output()


def test_health_counts_the_embedded_chunks(embedding_session: Session) -> None:
    s = embedding_session
    lines = s["health"]["lines"]
    counts = "    idle, ok: 3 files, 8 symbols, 7 chunks, 12 embedded, 0 pending, 0 failed"
    assert counts in lines, "\n".join(lines)


def test_statusline_texts(missing_server_session: Session) -> None:
    s = missing_server_session
    assert s["statusline_texts"]["texts"] == [text for _, text in STATUSLINE_CASES], s.output()


def test_a_missing_server_starts_nothing_and_health_says_why(
    missing_server_session: Session,
) -> None:
    s = missing_server_session
    found = s["not_installed"]
    lines = found["health"]
    report = "\n".join(lines)
    assert (
        "- ❌ ERROR `kenning-not-installed serve` is not executable: "
        "kenning-not-installed is not on $PATH"
    ) in lines, report
    assert any("vim.lsp.config('kenning', { cmd = " in x for x in lines), report
    filetypes = "/".join(language_ids())
    assert any(
        x.startswith(f"- no kenning client is attached: open a {filetypes} file") for x in lines
    )
    # Neovim 0.11 skips a config whose command is not executable, silently: no client,
    # no commands, an empty statusline.
    assert found["on_open"] == [] and found["commands"] == [], s.output()
    assert found["statusline"] == "", s.output()


def test_the_client_mirrors_the_server(missing_server_session: Session) -> None:
    """The method and command names, filetypes and workspace markers the Lua client
    uses are the server's."""
    s = missing_server_session
    mirror = s["not_installed"]["protocol"]
    assert sorted(mirror["methods"].values()) == sorted(m.name for m in protocol.REQUESTS)
    assert mirror["status_notification"] == protocol.STATUS_NOTIFICATION
    assert sorted(mirror["commands"].values()) == sorted(protocol.COMMANDS)
    assert mirror["filetypes"] == language_ids()
    assert mirror["workspace_markers"] == list(WORKSPACE_MARKERS)
    assert mirror["index_dir"] == Settings().index_dir
    config = s["not_installed"]["config"]
    assert config["filetypes"] == mirror["filetypes"], s.output()
    assert config["root_markers"] == [".kenning", list(WORKSPACE_MARKERS)], s.output()
