"""`kenning export`: every symbol and edge as JSON Lines, read a page at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import Workspace
from kenning.cli.main import ExitCode, main
from kenning.query.export import FORMAT, FORMAT_VERSION, export_records

FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": """
        import os


        class Base:
            def run(self):
                self.step()

            def step(self):
                os.getcwd()
        """,
    "pkg/b.py": """
        from pkg.a import Base


        class Child(Base):
            def go(self):
                helper()


        def helper():
            pass
        """,
}


def test_every_symbol_then_every_edge(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    # A page size of 2 forces many pages: the same records as one page (edges are
    # grouped by page, so their order may differ).
    records = list(export_records(engine.graph, page_size=2))
    one_page = list(export_records(engine.graph, page_size=1000))
    assert sorted(map(json.dumps, records)) == sorted(map(json.dumps, one_page))
    header, *rest = records
    assert (header["format"], header["version"]) == (FORMAT, FORMAT_VERSION)
    types = [r["type"] for r in rest]
    assert types == sorted(types, key=lambda t: t != "symbol"), "symbols come first"

    symbols = {r["id"]: r for r in rest if r["type"] == "symbol"}
    stored = engine.graph.query("MATCH (s:Symbol) RETURN count(*)").column(0)[0].as_py()
    assert len(symbols) == stored
    step = symbols["pkg/a.py#Base.step"]
    assert (step["qualname"], step["kind"], step["path"], step["parent"]) == (
        "pkg.a.Base.step", "method", "pkg/a.py", "pkg/a.py#Base",
    )  # fmt: skip
    assert step["range"][0] == step["selection"][0] == 8
    assert symbols["ext:os.getcwd"]["kind"] == "external"

    edges = {(r["kind"], r["from"], r["text"]): r for r in rest if r["type"] == "edge"}
    call = edges[("calls", "pkg/a.py#Base.run", "self.step")]
    assert (call["to"], call["resolution"], call["confidence"]) == (
        "pkg/a.py#Base.step", "self", 0.9,
    )  # fmt: skip
    assert call["range"] == [6, 8, 6, 17]
    assert edges[("inherits", "pkg/b.py#Child", "Base")]["to"] == "pkg/a.py#Base"
    assert edges[("imports", "pkg/b.py#", "Base")]["resolution"] == "import"
    assert edges[("calls", "pkg/b.py#Child.go", "helper")]["resolution"] == "same-file"


def test_cli_writes_jsonl(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace.indexed(FILES).close()
    monkeypatch.chdir(workspace.root)
    capsys.readouterr()
    assert main(["export", "--format", "jsonl"]) == ExitCode.OK
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[0])["format"] == FORMAT
    assert all(json.loads(line)["type"] in ("symbol", "edge") for line in lines[1:])

    out = Path(workspace.root / "graph.jsonl")
    assert main(["export", "-o", str(out)]) == ExitCode.OK
    assert out.read_text(encoding="utf-8").splitlines() == lines


def test_no_index_exits_3(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace.root)
    assert main(["export"]) == ExitCode.NO_INDEX
