"""Neovim's built-in LSP client on TypeScript and Go files of a mixed workspace.

One headless session (`nvim/e2e.lua`, the `languages_*` steps) against the real
`kenning serve`, on a workspace with a TypeScript module, a Go module and a Python
package side by side: workspace symbols and the call hierarchy (Neovim's quickfix
list) across files in both languages, `kenning/search` with the language filter the
way `:KenningSearch` sends it, and unsaved edits in a `.ts` and a `.go` buffer that
the call hierarchy and workspace symbols then show.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from clients.nvim_session import NO_NVIM, NVIM, Session, run_script

if not NVIM.exists():
    pytest.skip(NO_NVIM, allow_module_level=True)

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).parent / "nvim" / "e2e.lua"
SERVER = [sys.executable, "-m", "kenning", "serve"]
SESSION_TIMEOUT = 120

FILES = {
    "web/core.ts": """\
/** Finds where a name goes. */
export function resolveTarget(name: string): string {
  return name.toUpperCase();
}
""",
    "web/app.ts": """\
import { resolveTarget } from "./core";

export function main(): string {
  return resolveTarget("y");
}
""",
    "go.mod": "module example.com/m\n\ngo 1.21\n",
    "core/core.go": """\
package core

// ResolveTarget finds where a name goes.
func ResolveTarget(name string) string {
\treturn name
}
""",
    "cmd/app/main.go": """\
package main

import "example.com/m/core"

func main() {
\tcore.ResolveTarget("y")
}
""",
    "tools/names.py": '''\
def resolve_target(name):
    """Finds where a name goes."""
    return name
''',
}
STEPS = ["languages_symbols", "languages_incoming", "languages_search", "languages_edits"]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    base = tmp_path_factory.mktemp("nvim-languages")
    root = base / "project"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / ".git").mkdir()
    config = {
        "cmd": SERVER,
        "root": str(root),
        "embedding": {"enabled": False},
        "steps": STEPS,
        "open": "web/core.ts",
    }
    return run_script(SCRIPT, config, root, base / "home", SESSION_TIMEOUT)


def places(entries: list[dict]) -> list[tuple[str, int, str]]:
    return sorted((Path(e["filename"]).name, e["lnum"], e["text"]) for e in entries)


def test_the_session_ends_cleanly(session: Session) -> None:
    assert session.returncode == 0, session.output()
    assert session["stopped"]["clean"], session.output()
    assert session["messages"]["messages"] == [], session.output()
    # All three languages were indexed in one run.
    assert session["ready"]["status"]["files"] == 5, session.output()


def test_workspace_symbols_in_typescript_and_go(session: Session) -> None:
    # The query matches names fuzzily and without case: the function in each language.
    found = session["languages_symbols"]["symbols"]
    assert places(found) == [
        ("core.go", 4, "[Function] ResolveTarget"),
        ("core.ts", 2, "[Function] resolveTarget"),
        ("names.py", 1, "[Function] resolve_target"),
    ], session.output()


def test_incoming_calls_across_files(session: Session) -> None:
    found = session["languages_incoming"]
    # main's call in web/app.ts line 4; main's call in cmd/app/main.go line 6 (another
    # Go package, through its import).
    assert places(found["typescript"]) == [("app.ts", 4, "main")], session.output()
    assert places(found["go"]) == [("main.go", 6, "main")], session.output()


def test_search_with_the_language_filter(session: Session) -> None:
    results = session["languages_search"]["results"]
    expected = {
        "typescript": ("web/core.ts", "web/core.resolveTarget"),
        "go": ("core/core.go", "example.com/m/core.ResolveTarget"),
        "python": ("tools/names.py", "names.resolve_target"),
    }
    for language, (rel, symbol) in expected.items():
        hits = results[language]["hits"]
        assert hits, (language, session.output())
        assert {h["language"] for h in hits} == {language}, session.output()
        found = [h for h in hits if h["symbol"] == symbol]
        assert found, (language, session.output())
        assert found[0]["uri"] == (session.root / rel).as_uri(), session.output()


def test_unsaved_edits_in_ts_and_go_buffers_change_the_call_graph(session: Session) -> None:
    found = session["languages_edits"]
    assert found["in_time"], session.output()
    assert found["typescript_after"] == [] and found["go_after"] == [], session.output()
    assert found["fresh_typescript"] == ["main"], session.output()
    assert found["fresh_go"] == ["main"], session.output()
    names = sorted(Path(s["location"]["uri"]).name for s in found["symbols"])
    assert names == ["app.ts", "main.go"], session.output()
