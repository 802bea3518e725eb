"""The `kenning` command line: JSON output, option placement, workspace discovery, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from helpers import Workspace, kenning_env, run_kenning
from kenning.cli.main import ExitCode, main
from kenning.engine import Engine

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

FILES = {
    "pyproject.toml": "[project]\nname = 'orders'\n",
    "orders/__init__.py": "",
    "orders/service.py": """
        from orders.store import save_order


        def process_order(order):
            validate(order)
            save_order(order)


        def validate(order):
            return bool(order)
        """,
    "orders/store.py": """
        def save_order(order):
            write_row(order)


        def write_row(row):
            pass


        def helper():
            pass
        """,
    "orders/api/__init__.py": "",
    "orders/api/views.py": """
        from orders.service import process_order


        def checkout(request):
            process_order(request)


        def helper():
            pass
        """,
}


class Cli:
    """Runs `main()` in-process from the current folder and captures its output."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.err = ""

    def __call__(self, *argv: str, code: int = ExitCode.OK) -> str:
        self.capsys.readouterr()
        got = main(list(argv))
        out, self.err = self.capsys.readouterr()
        assert got == code, self.err
        return out

    def json(self, *argv: str) -> Any:
        return json.loads(self(*argv, "--json"))


@pytest.fixture
def cli(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    workspace.write(FILES)
    monkeypatch.chdir(workspace.root)
    return Cli(capsys)


@pytest.fixture
def indexed(cli: Cli) -> Cli:
    # Phase 1 only: tests/embedding covers what `index` adds by embedding.
    report = cli.json("index", "--no-embeddings")
    assert (report["mode"], report["files"]) == ("full", 5)
    assert report["embedding"] is None
    return cli


def test_index_then_query_as_json(indexed: Cli, workspace: Workspace) -> None:
    # The same structs as the daemon's API (docs/protocol.md): URIs, 0-based ranges.
    hits = indexed.json("search", "write_row")["hits"]
    assert hits[0]["uri"] == (workspace.root / "orders/store.py").resolve().as_uri()

    symbols = indexed.json("symbols", "process_order")
    assert [s["id"] for s in symbols] == ["orders/service.py#process_order"]

    callers = indexed.json("callers", "process_order")
    assert callers["root"]["id"] == "orders/service.py#process_order"
    assert [(e["caller"], e["resolution"]) for e in callers["edges"]] == [
        ("orders/api/views.py#checkout", "import")
    ]

    callees = indexed.json("callees", "checkout", "--depth", "2")
    assert {(e["caller"], e["callee"]) for e in callees["edges"]} == {
        ("orders/api/views.py#checkout", "orders/service.py#process_order"),
        ("orders/service.py#process_order", "orders/service.py#validate"),
        ("orders/service.py#process_order", "orders/store.py#save_order"),
    }

    status = indexed.json("status")
    assert status["workspace"] == str(workspace.root.resolve())
    assert (status["files"], status["owner"]) == (5, None)
    assert status["calls"] == 5


def test_human_output_uses_one_based_lines(indexed: Cli) -> None:
    out = indexed("symbols", "validate")
    # `def validate` is on line 10 of the dedented file (line 1 is blank).
    assert out.startswith("orders/service.py:10  orders.service.validate")


@pytest.mark.parametrize(
    "argv",
    [["search", "helper", "--limit", "1"], ["search", "--limit", "1", "helper"]],
    ids=["options-after", "options-before"],
)
def test_options_go_before_or_after_positionals(indexed: Cli, argv: list[str]) -> None:
    result = indexed.json(*argv)
    assert result["query"] == "helper"
    assert len(result["hits"]) == 1


def test_the_workspace_is_found_from_a_subfolder(
    indexed: Cli, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace.root / "orders/api")
    assert indexed.json("status")["workspace"] == str(workspace.root.resolve())
    found = indexed.json("symbols", "write_row")[0]
    assert found["uri"] == (workspace.root / "orders/store.py").resolve().as_uri()


def test_no_index_exits_3(cli: Cli) -> None:
    cli("search", "anything", code=ExitCode.NO_INDEX)
    assert "kenning index" in cli.err
    assert ExitCode.NO_INDEX == 3


def test_unknown_symbol_exits_5_with_suggestions(indexed: Cli) -> None:
    indexed("callers", "proces_order", code=ExitCode.UNKNOWN_SYMBOL)
    assert "did you mean" in indexed.err
    assert "orders.service.process_order" in indexed.err
    assert ExitCode.UNKNOWN_SYMBOL == 5


def test_an_ambiguous_bare_name_exits_5(indexed: Cli) -> None:
    indexed("callees", "helper", code=ExitCode.UNKNOWN_SYMBOL)
    assert "ambiguous" in indexed.err
    assert "orders.store.helper" in indexed.err and "orders.api.views.helper" in indexed.err
    # A qualified name picks one.
    assert indexed.json("callees", "orders.store.helper")["root"]["id"] == "orders/store.py#helper"


def test_a_locked_index_exits_4(indexed: Cli, workspace: Workspace) -> None:
    holder = Engine.open(workspace.root)
    try:
        indexed("index", code=ExitCode.INDEX_UNUSABLE)
        assert f"pid {os.getpid()}" in indexed.err
    finally:
        holder.close()
    assert ExitCode.INDEX_UNUSABLE == 4


def test_python_dash_m_kenning(workspace: Workspace) -> None:
    workspace.write(FILES)
    index = run_kenning(workspace.root, "index", "--json", "--no-embeddings")
    assert index.returncode == 0, index.stderr
    assert json.loads(index.stdout)["files"] == 5

    search = run_kenning(workspace.root / "orders", "search", "--json", "save_order", "-n", "3")
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)["hits"][0]["symbol"].startswith("orders.")

    missing = run_kenning(workspace.root, "callers", "nothing_like_this")
    assert missing.returncode == ExitCode.UNKNOWN_SYMBOL
    assert missing.stdout == ""

    # A reader that stops early (`| head -1`) ends the command quietly, with exit 0.
    with subprocess.Popen(
        [sys.executable, "-m", "kenning", "search", "order", "-n", "50"],
        cwd=workspace.root,
        env=kenning_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # gone before the command writes anything
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0, stderr
    assert "Traceback" not in stderr


def test_candidates_are_listed_apart_and_a_minimum_confidence_drops_them(
    cli: Cli, workspace: Workspace
) -> None:
    workspace.write(
        {
            "orders/models.py": """
                class Order:
                    def save(self):
                        pass


                class Invoice:
                    def save(self):
                        pass


                def store(order: Order, thing):
                    order.save()
                    thing.save()
                """
        }
    )
    cli.json("index", "--no-embeddings")
    found = cli.json("callers", "Order.save")
    assert [(e["caller"], e["resolution"]) for e in found["edges"]] == [
        ("orders/models.py#store", "typed")
    ]
    assert [(e["caller"], e["resolution"]) for e in found["candidates"]] == [
        ("orders/models.py#store", "candidate")
    ]
    out = cli("callers", "Order.save")
    assert "candidates (matched by name only, not resolved): 1" in out
    assert "[typed 0.90]" in out
    sure = cli.json("callers", "Order.save", "--min-confidence", "0.5")
    assert (len(sure["edges"]), sure["candidates"], sure["minConfidence"]) == (1, [], 0.5)
    cli("callers", "Order.save", "--min-confidence", "2", code=ExitCode.USAGE)


def test_impact_lists_transitive_callers_by_file_with_their_resolution(indexed: Cli) -> None:
    # write_row <- save_order (store.py) <- process_order (service.py) <- checkout.
    found = indexed.json("impact", "write_row")
    callers = {
        c["symbol"]["id"]: (c["distance"], c["resolution"])
        for f in found["files"]
        for c in f["callers"]
    }
    assert callers == {
        "orders/store.py#save_order": (1, "same-file"),
        "orders/service.py#process_order": (2, "import"),
        "orders/api/views.py#checkout": (3, "import"),
    }
    assert (found["totalCallers"], found["candidates"]) == (3, [])
    near = indexed.json("impact", "write_row", "--depth", "1")
    assert [c["symbol"]["id"] for f in near["files"] for c in f["callers"]] == [
        "orders/store.py#save_order"
    ]
    out = indexed("impact", "write_row")
    assert "3 callers in 3 files, up to 3 calls away" in out
    assert "orders.service.process_order  (distance 2, line 7)  [import " in out
    indexed("impact", "write_row", "--depth", "11", code=ExitCode.USAGE)
    indexed("impact", "no_such_symbol", code=ExitCode.UNKNOWN_SYMBOL)
