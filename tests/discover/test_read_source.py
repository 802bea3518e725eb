"""Reading discovered files: bytes, or a `Skipped` saying why not."""

from __future__ import annotations

import builtins
import os
import threading
from pathlib import Path

import pytest

from kenning.core.settings import Settings
from kenning.parse import files as files_module
from kenning.pipeline import discover as discover_module
from kenning.pipeline.discover import (
    BINARY_SNIFF_BYTES,
    FoundFile,
    Skipped,
    content_hash,
    discover,
    read_source,
)

LIMIT = 1024


def only(root: Path) -> FoundFile:
    (file,) = discover(root, Settings()).files
    return file


def test_reads_bytes_of_a_found_file_or_a_path(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/a.py").write_bytes(b"caf\xc3\xa9 = 1\n")
    assert read_source(tmp_path, only(tmp_path), LIMIT) == b"caf\xc3\xa9 = 1\n"
    assert read_source(tmp_path, "pkg/a.py", LIMIT) == b"caf\xc3\xa9 = 1\n"


def test_nul_byte_early_means_binary(tmp_path: Path) -> None:
    (tmp_path / "blob.py").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00" + b"x" * 100)
    assert read_source(tmp_path, only(tmp_path), LIMIT) == Skipped("blob.py", "binary")


def test_nul_byte_past_the_sniff_window_is_not_binary(tmp_path: Path) -> None:
    # The documented rule looks at the first BINARY_SNIFF_BYTES bytes only.
    data = b"#" * BINARY_SNIFF_BYTES + b"\0"
    (tmp_path / "late.py").write_bytes(data)
    assert read_source(tmp_path, "late.py", len(data)) == data


def test_invalid_utf8_without_nul_is_returned_for_the_parser(tmp_path: Path) -> None:
    (tmp_path / "latin1.py").write_bytes(b"name = '\xe9t\xe9'\n")
    assert read_source(tmp_path, "latin1.py", LIMIT) == b"name = '\xe9t\xe9'\n"


def test_deleted_between_discover_and_read_is_vanished(tmp_path: Path) -> None:
    (tmp_path / "gone.py").write_text("x = 1\n")
    file = only(tmp_path)
    (tmp_path / "gone.py").unlink()
    assert read_source(tmp_path, file, LIMIT) == Skipped("gone.py", "vanished")


def test_parent_replaced_by_a_file_is_vanished(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/a.py").write_text("")
    file = only(tmp_path)
    (tmp_path / "pkg/a.py").unlink()
    (tmp_path / "pkg").rmdir()
    (tmp_path / "pkg").write_text("")
    assert read_source(tmp_path, file, LIMIT) == Skipped("pkg/a.py", "vanished")


def test_grown_past_the_limit_after_discovery_is_too_large(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x" * LIMIT)
    file = only(tmp_path)
    assert read_source(tmp_path, file, LIMIT) == b"x" * LIMIT
    (tmp_path / "a.py").write_text("x" * (LIMIT + 1))
    assert read_source(tmp_path, file, LIMIT) == Skipped("a.py", "too-large")


def test_grown_between_fstat_and_read_is_too_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.py").write_text("x" * (LIMIT + 1))
    real_fstat = os.fstat

    def fstat_before_growth(fd: int) -> os.stat_result:
        # The size the file had a moment before another process appended to it.
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, *([0] * 5), LIMIT, *st[7:10]))

    monkeypatch.setattr(discover_module.os, "fstat", fstat_before_growth)
    assert read_source(tmp_path, "a.py", LIMIT) == Skipped("a.py", "too-large")


def test_permission_denied_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root here, and root reads through chmod 000: make `open` refuse
    # this one file the way the kernel would for an ordinary user.
    (tmp_path / "locked.py").write_text("")
    (tmp_path / "fine.py").write_text("ok = 1\n")
    real_open = builtins.open
    locked = str(tmp_path / "locked.py")

    def guarded_open(file: str, *args: object, **kwargs: object) -> object:
        if os.fspath(file) == locked:
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(files_module, "open", guarded_open, raising=False)
    assert read_source(tmp_path, "locked.py", LIMIT) == Skipped("locked.py", "unreadable")
    assert read_source(tmp_path, "fine.py", LIMIT) == b"ok = 1\n"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root reads through chmod 000; test_permission_denied_is_unreadable covers it",
)
def test_chmod_000_file_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "locked.py").write_text("")
    (tmp_path / "locked.py").chmod(0)
    assert read_source(tmp_path, "locked.py", LIMIT) == Skipped("locked.py", "unreadable")


def test_directory_in_place_of_the_file_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "a.py").mkdir()
    assert read_source(tmp_path, "a.py", LIMIT) == Skipped("a.py", "unreadable")


@pytest.mark.parametrize(
    "path", ["", "../x.py", "pkg/../../x.py", "/etc/passwd", "a\\b.py", "nul\0.py"]
)
def test_paths_that_could_leave_the_workspace_are_invalid(tmp_path: Path, path: str) -> None:
    assert read_source(tmp_path / "ws", path, LIMIT) == Skipped(path, "invalid-path")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_file_turned_into_a_link_outside_after_discovery_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (tmp_path / "secret.py").write_text("token = 'x'\n")
    (workspace / "a.py").write_text("")
    file = only(workspace)
    (workspace / "a.py").unlink()
    os.symlink(tmp_path / "secret.py", workspace / "a.py")
    assert read_source(workspace, file, LIMIT) == Skipped("a.py", "symlink-outside")


def test_content_hash_is_blake2b_128_hex() -> None:
    # Reference value from `b2sum -l 128` of the three bytes "abc".
    assert content_hash(b"abc") == "cf4ab791c62b8d2b2109c90275287816"
    assert content_hash(b"abc") != content_hash(b"abd")


def test_a_fifo_named_like_source_is_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.py")
    results: list[object] = []
    # Opening a FIFO for reading blocks until a writer comes: run it where a hang shows.
    reader = threading.Thread(target=lambda: results.append(read_source(tmp_path, "x.py", LIMIT)))
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "read_source blocked on a FIFO"
    assert results == [Skipped("x.py", "special-file")]
