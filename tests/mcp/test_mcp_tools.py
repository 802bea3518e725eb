"""Every tool of `kenning mcp` on the test project, through the SDK's client: the tool
list and its schemas, readable text plus structured content (file:// URIs, 1-based
lines), and bad arguments answered as tool errors by a server that keeps serving."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from mcp_session import TOOLS, call, ok, session

from helpers import run_kenning
from kenning.api import owner
from server.conftest import make_project

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


async def test_the_tools_and_their_input_schemas(project: Path) -> None:
    async with session(project) as client:
        listed = (await client.list_tools()).tools
    assert sorted(t.name for t in listed) == TOOLS
    schemas = {t.name: t.input_schema for t in listed}
    assert all(t.description for t in listed)
    search = schemas["search"]
    assert search["required"] == ["query"]
    assert (search["properties"]["limit"]["minimum"], search["properties"]["limit"]["maximum"]) \
        == (1, 50)  # fmt: skip
    assert search["properties"]["kind"]["anyOf"][0]["enum"] == [
        "function", "method", "class", "module"]  # fmt: skip
    assert schemas["symbol"]["required"] == ["name"]
    for tool in ("callers", "callees", "impact"):
        assert schemas[tool]["required"] == ["symbol"]
        assert schemas[tool]["properties"]["depth"]["maximum"] == 10
    assert schemas["status"]["properties"] == {}
    assert "required" not in schemas["reindex"]
    assert schemas["reindex"]["properties"]["paths"]["anyOf"][0]["maxItems"] == 100
    read_only = {t.name: t.annotations.read_only_hint for t in listed if t.annotations}
    assert read_only == {**{name: True for name in TOOLS}, "reindex": False}


async def test_every_tool_on_a_project_with_no_index_yet(project: Path) -> None:
    """No index and no daemon: the first question waits for the first index, and the
    server owns the workspace while it runs."""
    core = (project / "pkg/core.py").as_uri()
    async with session(project) as client:
        symbol = await ok(client, "symbol", {"name": "pkg.core.resolve_target"})
        assert symbol.text.splitlines()[0] == "pkg.core.resolve_target  (function)  pkg/core.py:4-6"
        assert "doc: Find where a call goes by looking the name up in the registry." in symbol.text
        assert "    return name.upper()" in symbol.text
        assert "callers (2): pkg.app.main (pkg/app.py:4), pkg.core.Registry.register " \
            "(pkg/core.py:12)" in symbol.text  # fmt: skip
        assert symbol.text.splitlines()[-1].startswith("Next: ")
        (definition,) = symbol.data["definitions"]
        assert (definition["uri"], definition["line"], definition["endLine"]) == (core, 4, 6)
        assert definition["codeLine"] == 4 and definition["callerCount"] == 2
        assert symbol.data["indexing"] is False

        status = await ok(client, "status")
        assert (status.data["phase"], status.data["files"]) == ("idle", 3)
        assert status.data["owner"]["self"] is True
        record = owner.read(project / ".kenning")
        assert record is not None and record.pid == status.data["owner"]["pid"]
        assert f"owner: this kenning mcp (pid {record.pid})" in status.text

        search = await ok(client, "search", {"query": "registry plugins", "limit": 3})
        first = search.data["hits"][0]
        assert (first["symbol"], first["uri"], first["line"], first["endLine"]) == (
            "pkg.core.Registry", core, 9, 13)  # fmt: skip
        assert search.text.splitlines()[1] == "1. pkg/core.py:9-13  class pkg.core.Registry  " \
            "[text, symbol]"  # fmt: skip
        assert "text and names only" in search.text.splitlines()[0]
        only_functions = await ok(client, "search", {"query": "registry", "kind": "function",
                                                     "path": "pkg/app.py"})  # fmt: skip
        assert {h["kind"] for h in only_functions.data["hits"]} == {"function"}
        assert {h["uri"] for h in only_functions.data["hits"]} == {
            (project / "pkg/app.py").as_uri()
        }

        callers = await ok(client, "callers", {"symbol": "resolve_target", "depth": 2})
        assert "  <- pkg.app.main  at pkg/app.py:7  [import 0.95]" in callers.text
        assert "    <- pkg.app.helper  at pkg/app.py:11  [same-file 1.00]" in callers.text
        edge = next(e for e in callers.data["edges"] if e["caller"] == "pkg/app.py#main"
                    and e["callee"] == "pkg/core.py#resolve_target")  # fmt: skip
        assert (edge["line"], edge["column"], edge["resolution"]) == (7, 12, "import")
        assert 0 < edge["confidence"] <= 1

        callees = await ok(client, "callees", {"symbol": "pkg.app.main"})
        assert "  -> pkg.core.resolve_target  at pkg/app.py:7  [import 0.95]" in callees.text
        assert callees.data["direction"] == "outgoing"

        impact = await ok(client, "impact", {"symbol": "resolve_target"})
        assert impact.text.splitlines()[:4] == [
            "Changing pkg.core.resolve_target (pkg/core.py:4) reaches 3 caller(s) in 2 "
            "file(s), up to 3 call(s) away",
            "pkg/app.py",
            "  pkg.app.main  line 4, distance 1 [import 0.95], calls at line 7",
            "  pkg.app.helper  line 10, distance 2 [same-file 0.95], calls at line 11",
        ]
        assert impact.data["totalCallers"] == 3
        assert [f["uri"] for f in impact.data["files"]] == [
            (project / "pkg/app.py").as_uri(), core]  # fmt: skip

        # A change kenning did not see (the watcher may or may not have): reindexed.
        (project / "pkg/core.py").write_text((project / "pkg/core.py").read_text()
                                             + "\n\ndef added_on_disk():\n    pass\n")  # fmt: skip
        reindexed = await ok(client, "reindex", {"paths": ["pkg/core.py"]})
        assert reindexed.data["targets"] == [core] and reindexed.data["finished"]
        assert (await ok(client, "symbol", {"name": "added_on_disk"})).data["total"] == 1
        rebuilt = await ok(client, "reindex")
        assert rebuilt.data["targets"] == [project.as_uri()]
        assert (await ok(client, "status")).data["symbols"] == 9

    # The session over, the workspace is free: its record is gone, the lock released.
    assert owner.read(project / ".kenning") is None
    assert run_kenning(project, "index", "--no-embeddings").returncode == 0


async def test_names_that_match_nothing_or_several(project: Path) -> None:
    (project / "pkg/other.py").write_text("def register():\n    pass\n")
    async with session(project) as client:
        unknown = await ok(client, "symbol", {"name": "resolve_targt"})
        assert unknown.text.splitlines()[0] == ("No definition named 'resolve_targt'. Close "
                                                "matches: pkg.core.resolve_target")  # fmt: skip
        assert unknown.data["definitions"] == []
        assert unknown.data["suggestions"] == ["pkg.core.resolve_target"]

        shared = await ok(client, "symbol", {"name": "register"})
        assert shared.text.splitlines()[0] == "'register' names 2 definitions."
        assert sorted(d["qualname"] for d in shared.data["definitions"]) == [
            "pkg.core.Registry.register", "pkg.other.register"]  # fmt: skip

        # The call graph needs one symbol: an ambiguous or unknown one is a tool error
        # that names the candidates.
        ambiguous = await call(client, "callers", {"symbol": "register"})
        assert ambiguous.error and "ambiguous" in ambiguous.text
        assert "pkg/other.py#register" in ambiguous.text
        missing = await call(client, "impact", {"symbol": "resolve_targt"})
        assert missing.error
        assert "no symbol named 'resolve_targt'; did you mean pkg.core.resolve_target?" \
            in missing.text  # fmt: skip


async def test_bad_arguments_are_tool_errors_and_the_server_keeps_serving(
    project: Path, tmp_path: Path
) -> None:
    async with session(project) as client:
        bad: dict[str, list[dict[str, Any]]] = {
            "search": [{"query": ""}, {"query": "x", "limit": 0}, {"query": "x", "limit": 51},
                       {"query": "x", "kind": "lambda"}, {"query": "x" * 1001}, {}],
            "symbol": [{"name": ""}, {}],
            "callers": [{"symbol": "main", "depth": 0}, {"symbol": "main", "depth": 11}],
            "callees": [{"symbol": "main", "depth": "deep"}],
            "impact": [{"symbol": ""}],
            "reindex": [{"paths": ["../outside.py"]}, {"paths": [str(tmp_path)]},
                        {"paths": ["pkg/core.py"] * 101}, {"paths": "pkg/core.py"}],
        }  # fmt: skip
        for tool, cases in bad.items():
            for arguments in cases:
                answer = await call(client, tool, arguments)
                assert answer.error, (tool, arguments, answer.text)
                assert answer.text.startswith(f"Error executing tool {tool}: "), answer.text
        outside = await call(client, "reindex", {"paths": ["../outside.py"]})
        assert f"is outside the workspace {project}" in outside.text
        depth = await call(client, "callers", {"symbol": "main", "depth": 11})
        assert "depth" in depth.text and "10" in depth.text
        unknown_tool = await client.call_tool("drop_tables", {})
        assert unknown_tool.is_error
        # Still serving, and nothing was written by any of it: once the first index (which
        # none of these waited for) is done, the workspace is what it was.
        status = await ok(client, "status")
        for _ in range(200):
            if status.data["phase"] == "idle":
                break
            await asyncio.sleep(0.05)
            status = await ok(client, "status")
        assert (status.data["phase"], status.data["files"]) == ("idle", 3)
