"""Symlinks during discovery: followed inside the workspace, once; never forever."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kenning.core.settings import Settings
from kenning.pipeline import discover as discover_module
from kenning.pipeline.discover import Skipped, discover

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")


def touch(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_symlink_to_parent_terminates_and_is_reported_as_a_loop(tmp_path: Path) -> None:
    touch(tmp_path / "pkg/mod.py")
    os.symlink("..", tmp_path / "pkg/loop")
    os.symlink(".", tmp_path / "self")
    result = discover(tmp_path, Settings())
    assert [f.path for f in result.files] == ["pkg/mod.py"]
    assert result.skipped == [
        Skipped("pkg/loop", "symlink-loop"),
        Skipped("self", "symlink-loop"),
    ]


def test_cycle_of_file_links_is_reported_as_a_loop(tmp_path: Path) -> None:
    os.symlink("b.py", tmp_path / "a.py")
    os.symlink("a.py", tmp_path / "b.py")
    result = discover(tmp_path, Settings())
    assert result.files == []
    assert result.skipped == [Skipped("a.py", "symlink-loop"), Skipped("b.py", "symlink-loop")]


def test_symlinks_to_outside_the_workspace_are_skipped(tmp_path: Path) -> None:
    workspace, outside = tmp_path / "ws", tmp_path / "outside"
    touch(outside / "lib/secret.py")
    touch(outside / "secret.py")
    touch(workspace / "main.py")
    os.symlink(outside / "lib", workspace / "lib")
    os.symlink(outside / "secret.py", workspace / "secret.py")
    # A relative link climbing out is just as outside.
    os.symlink("../outside/secret.py", workspace / "rel.py")
    result = discover(workspace, Settings())
    assert [f.path for f in result.files] == ["main.py"]
    assert result.skipped == [
        Skipped("lib", "symlink-outside"),
        Skipped("rel.py", "symlink-outside"),
        Skipped("secret.py", "symlink-outside"),
    ]


def test_broken_symlink_is_reported(tmp_path: Path) -> None:
    os.symlink("missing.py", tmp_path / "dangling.py")
    assert discover(tmp_path, Settings()).skipped == [Skipped("dangling.py", "symlink-broken")]


def test_symlinked_dir_inside_workspace_is_walked_once_under_its_real_path(
    tmp_path: Path,
) -> None:
    touch(tmp_path / "zz_real/mod.py")
    # Sorts before the real directory: it must still lose to the real path.
    os.symlink("zz_real", tmp_path / "aa_alias")
    result = discover(tmp_path, Settings())
    assert [f.path for f in result.files] == ["zz_real/mod.py"]
    assert result.skipped == [Skipped("aa_alias", "symlink-duplicate")]


@pytest.mark.parametrize("listing", ["sorted", "reversed"])
def test_symlinked_dir_into_an_unwalked_folder_is_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listing: str
) -> None:
    # The real folder is ignored, so the links are the only way in; of two links to
    # one folder, the first by path is walked and the other reported.
    touch(tmp_path / ".gitignore", "shared/\n")
    touch(tmp_path / "shared/util.py")
    touch(tmp_path / "shared/.gitignore", "skip.py\n")
    touch(tmp_path / "shared/skip.py")
    os.symlink("shared", tmp_path / "b_link")
    os.symlink("shared", tmp_path / "a_link")
    # Which link wins must not depend on the order the file system lists entries in.
    real_scandir = os.scandir

    class Listing:
        def __init__(self, path: str) -> None:
            with real_scandir(path) as it:
                self.entries = sorted(it, key=lambda e: e.name, reverse=listing == "reversed")

        def __enter__(self) -> list[os.DirEntry[str]]:
            return self.entries

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(discover_module.os, "scandir", Listing)
    result = discover(tmp_path, Settings())
    # Ignore files inside a followed directory still apply, relative to the link.
    assert [f.path for f in result.files] == ["a_link/util.py"]
    assert result.skipped == [Skipped("b_link", "symlink-duplicate")]


def test_symlinked_file_inside_workspace_is_followed(tmp_path: Path) -> None:
    touch(tmp_path / "real/impl.py", "x = 1\n")
    os.symlink("real/impl.py", tmp_path / "alias.py")
    result = discover(tmp_path, Settings())
    assert [(f.path, f.size) for f in result.files] == [("alias.py", 6), ("real/impl.py", 6)]
    assert result.skipped == []


def test_ignore_rules_apply_to_the_link_path(tmp_path: Path) -> None:
    touch(tmp_path / "real/mod.py")
    touch(tmp_path / ".gitignore", "/real/\n")
    os.symlink("real", tmp_path / "linked")
    os.symlink("real", tmp_path / "hidden")
    touch(tmp_path / ".kenningignore", "hidden/\n")
    assert [f.path for f in discover(tmp_path, Settings()).files] == ["linked/mod.py"]
