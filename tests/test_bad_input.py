"""Bad files never stop an index: each is skipped with a reason or indexed in part."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import IN_PROCESS, Workspace
from kenning.core.settings import Settings
from kenning.engine import Engine
from kenning.pipeline import parse_pool
from kenning.pipeline.discover import Skipped

GOOD = {"good.py": "def healthy():\n    return 1\n"}


def symbol_ids(engine: Engine, path: str) -> set[str]:
    table = engine.graph.query("MATCH (s:Symbol) WHERE s.path = $p RETURN s.id", {"p": path})
    return set(table.column(0).to_pylist())


def assert_good_file_indexed(engine: Engine) -> None:
    assert symbol_ids(engine, "good.py") == {"good.py#", "good.py#healthy"}


def test_binary_file_is_skipped(workspace: Workspace) -> None:
    workspace.write({**GOOD, "blob.py": b"\x7fELF\x00\x00\x01def x(): pass\n"})
    report = workspace.open().index()
    assert ("blob.py", "binary") in report.skipped
    assert report.files == 1


def test_invalid_utf8_is_indexed_with_a_diagnostic(workspace: Workspace) -> None:
    source = b"def before():\n    return '\xff\xfe'\n\n\ndef after():\n    pass\n"
    engine = workspace.indexed({**GOOD, "latin.py": source})
    assert {"latin.py#before", "latin.py#after"} <= symbol_ids(engine, "latin.py")
    assert engine.status().diagnostics > 0
    assert_good_file_indexed(engine)


def test_syntax_error_keeps_the_good_parts(workspace: Workspace) -> None:
    source = "def fine():\n    pass\n\n\ndef broken(:\n    pass\n\n\nclass AlsoFine:\n    pass\n"
    engine = workspace.indexed({"broken.py": source})
    assert {"broken.py#fine", "broken.py#AlsoFine"} <= symbol_ids(engine, "broken.py")
    assert engine.status().diagnostics > 0


def test_very_deep_nesting_indexes(workspace: Workspace) -> None:
    depth = 5000
    source = "x = " + "(" * depth + "1" + ")" * depth + "\n\ndef after():\n    pass\n"
    engine = workspace.indexed({**GOOD, "deep.py": source})
    assert "deep.py#after" in symbol_ids(engine, "deep.py")
    assert_good_file_indexed(engine)


def test_symlink_loop_terminates(workspace: Workspace) -> None:
    workspace.write({**GOOD, "pkg/mod.py": "def inside():\n    pass\n"})
    os.symlink("..", workspace.root / "pkg/loop")
    os.symlink("self", workspace.root / "self")
    engine = workspace.open()
    report = engine.index()
    assert report.files == 2
    assert_good_file_indexed(engine)


def test_file_over_the_size_limit_is_skipped(workspace: Workspace) -> None:
    settings = Settings(parse_workers=1, max_file_size=200)
    workspace.write({**GOOD, "huge.py": "x = 1\n" * 100})
    engine = workspace.open(settings)
    report = engine.index()
    assert ("huge.py", "too-large") in report.skipped
    assert_good_file_indexed(engine)


def test_unreadable_file_is_skipped(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, who can read anything: refuse the open instead of chmod.
    workspace.write({**GOOD, "secret.py": "password = 1\n"})
    real_open = open

    def guarded_open(file: object, *args: object, **kwargs: object):
        if str(file).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", guarded_open)
    engine = workspace.open(IN_PROCESS)
    report = engine.index()
    assert ("secret.py", "unreadable") in report.skipped
    assert symbol_ids(engine, "secret.py") == set()
    assert_good_file_indexed(engine)


def test_file_deleted_while_indexing_is_skipped(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.write({**GOOD, "fleeting.py": "def gone():\n    pass\n"})
    real_read = parse_pool.read_source

    def read_after_delete(root: Path, found: object, max_size: int) -> bytes | Skipped:
        if str(getattr(found, "path", found)) == "fleeting.py":
            (root / "fleeting.py").unlink()
        return real_read(root, found, max_size)  # type: ignore[arg-type]

    monkeypatch.setattr(parse_pool, "read_source", read_after_delete)
    engine = workspace.open(IN_PROCESS)
    report = engine.index()
    assert ("fleeting.py", "vanished") in report.skipped
    assert symbol_ids(engine, "fleeting.py") == set()
    assert "fleeting.py" not in engine.graph.catalog()
    assert_good_file_indexed(engine)
