"""Discovery: which files a workspace walk returns, which it skips, and why."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from kenning.core.settings import Settings
from kenning.pipeline import discover as discover_module
from kenning.pipeline.discover import (
    ALWAYS_SKIPPED_DIRS,
    FoundFile,
    Skipped,
    discover,
)


def write(root: Path, files: dict[str, str | bytes]) -> None:
    """Create each file (parents too); str content is written as UTF-8."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def found(root: Path, settings: Settings | None = None) -> list[str]:
    return [f.path for f in discover(root, settings or Settings()).files]


def skipped(root: Path, settings: Settings | None = None) -> list[tuple[str, str]]:
    return [(s.path, s.reason) for s in discover(root, settings or Settings()).skipped]


def test_only_known_suffixes_with_metadata(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "x = 1\n", "b.pyi": "x: int\n", "c.txt": "", "d.pyc": b"\0", "e": ""})
    result = discover(tmp_path, Settings())
    assert [f.path for f in result.files] == ["a.py", "b.pyi"]
    a = result.files[0]
    st = (tmp_path / "a.py").stat()
    assert a == FoundFile("a.py", 6, st.st_mtime_ns, "python")
    assert result.skipped == []


def test_nested_gitignore_applies_relative_to_its_directory_with_negation(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "generated_*.py\n",
            "generated_a.py": "",
            "sub/.gitignore": "!generated_keep.py\n/only_here.py\n",
            "sub/generated_keep.py": "",
            "sub/generated_x.py": "",
            "sub/only_here.py": "",
            "sub/deeper/only_here.py": "",
            "only_here.py": "",
            "other/generated_keep.py": "",
        },
    )
    assert found(tmp_path) == [
        "only_here.py",
        "sub/deeper/only_here.py",
        "sub/generated_keep.py",
    ]


def test_directory_only_patterns_match_directories_not_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "gen/\nthing.py/\n",
            "gen/a.py": "",
            "deep/gen/b.py": "",
            "gen.py": "",
            "thing.py": "",
            "dir/thing.py/inside.py": "",
        },
    )
    assert found(tmp_path) == ["gen.py", "thing.py"]


def test_anchored_patterns_only_match_at_their_base(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "/top.py\n/scripts\nlib/nested.py\n",
            "top.py": "",
            "pkg/top.py": "",
            "scripts/run.py": "",
            "pkg/scripts/run.py": "",
            "lib/nested.py": "",
            "pkg/lib/nested.py": "",
        },
    )
    # A pattern with a slash in the middle is anchored too (gitignore rules).
    assert found(tmp_path) == ["pkg/lib/nested.py", "pkg/scripts/run.py", "pkg/top.py"]


def test_files_inside_an_ignored_directory_cannot_be_re_included(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "gen/\n!gen/keep.py\n", "gen/keep.py": "", "ok.py": ""})
    assert found(tmp_path) == ["ok.py"]


def test_deeper_gitignore_overrides_shallower(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "*.py\n!keep/\n",
            "root.py": "",
            "keep/.gitignore": "!*.py\nbad.py\n",
            "keep/good.py": "",
            "keep/bad.py": "",
        },
    )
    assert found(tmp_path) == ["keep/good.py"]


def test_git_info_exclude_is_the_weakest_layer(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".git/info/exclude": "secret.py\nlocal_*.py\n",
            ".gitignore": "!local_keep.py\n",
            "secret.py": "",
            "sub/secret.py": "",
            "local_x.py": "",
            "local_keep.py": "",
            "main.py": "",
        },
    )
    assert found(tmp_path) == ["local_keep.py", "main.py"]


def test_git_info_exclude_of_a_worktree_is_found_through_the_git_file(tmp_path: Path) -> None:
    # Layout of `git worktree add`: .git is a file naming the worktree's git dir, and
    # that dir's `commondir` names the repository's shared git dir holding info/.
    workspace = tmp_path / "wt"
    write(
        tmp_path,
        {
            "repo/.git/info/exclude": "secret.py\n",
            "repo/.git/worktrees/wt/commondir": "../..\n",
            "wt/.git": f"gitdir: {tmp_path / 'repo/.git/worktrees/wt'}\n",
            "wt/secret.py": "",
            "wt/main.py": "",
        },
    )
    assert found(workspace) == ["main.py"]


def test_kenningignore_at_root_and_nested_overrides_gitignore(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "vendored_*.py\n",
            ".kenningignore": "slow_*.py\n!vendored_ours.py\n",
            "slow_a.py": "",
            "vendored_x.py": "",
            "vendored_ours.py": "",
            "pkg/.kenningignore": "/fixtures/\n",
            "pkg/fixtures/data.py": "",
            "fixtures/data.py": "",
            "pkg/slow_b.py": "",
        },
    )
    assert found(tmp_path) == ["fixtures/data.py", "vendored_ours.py"]


def test_settings_exclude_has_the_last_word(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "!*.py\n",
            "app.py": "",
            "migrations/0001.py": "",
            "pkg/migrations/0002.py": "",
            "pkg/conf_local.py": "",
        },
    )
    settings = Settings(exclude=("migrations/", "/pkg/conf_*.py"))
    assert found(tmp_path, settings) == ["app.py"]


def test_settings_exclude_negation_re_includes(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "gen_*.py\n", "gen_a.py": "", "gen_keep.py": ""})
    assert found(tmp_path, Settings(exclude=("!gen_keep.py",))) == ["gen_keep.py"]


@pytest.mark.parametrize(
    "directory",
    [*sorted(ALWAYS_SKIPPED_DIRS), "kenning.egg-info", ".kenning", "nested/node_modules"],
)
def test_vendored_and_generated_directories_are_pruned(tmp_path: Path, directory: str) -> None:
    write(tmp_path, {f"{directory}/mod.py": "", "app.py": ""})
    assert found(tmp_path) == ["app.py"]


def test_a_directory_with_pyvenv_cfg_is_pruned_whatever_its_name(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "my-env/pyvenv.cfg": "home = /usr/bin\n",
            "my-env/lib/python3.11/site/x.py": "",
            "my-env/top.py": "",
            "app.py": "",
        },
    )
    assert found(tmp_path) == ["app.py"]


def test_a_custom_index_dir_is_pruned(tmp_path: Path) -> None:
    write(tmp_path, {"state/idx/x.py": "", "state/keep.py": "", ".kenning/y.py": ""})
    # Only the configured index dir is special; `.kenning` is then an ordinary folder.
    assert found(tmp_path, Settings(index_dir="state/idx")) == [".kenning/y.py", "state/keep.py"]


def test_packages_named_like_build_output_are_kept(tmp_path: Path) -> None:
    # pypa/build's own source lives in src/build/; a build output dir has no __init__.py.
    write(tmp_path, {"src/build/__init__.py": "", "src/build/env.py": "", "build/lib/a.py": ""})
    assert found(tmp_path) == ["src/build/__init__.py", "src/build/env.py"]


def test_file_over_the_size_limit_is_skipped_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"big.py": "x" * 101, "edge.py": "x" * 100})

    real_open = open

    def open_no_source(file: str, *args: object, **kwargs: object) -> object:
        # Ignore files are read; source files must be sized by stat alone.
        assert not str(file).endswith(".py"), "discovery must not open source files"
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(discover_module, "open", open_no_source, raising=False)
    result = discover(tmp_path, Settings(max_file_size=100))
    assert [f.path for f in result.files] == ["edge.py"]
    assert result.skipped == [Skipped("big.py", "too-large")]


def test_deterministic_sorted_order(tmp_path: Path) -> None:
    names = [f"d{i % 7}/s{i % 3}/m{i}.py" for i in range(60)] + ["a.py", "z.py", "a/b.py"]
    random.Random(4).shuffle(names)
    write(tmp_path, dict.fromkeys(names, ""))
    first = found(tmp_path)
    assert first == sorted(names)
    assert found(tmp_path) == first


def test_unreadable_directory_is_reported_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root here, where chmod 000 does not stop reading: make scandir
    # refuse one directory the way the kernel would for another user.
    write(tmp_path, {"locked/a.py": "", "open/b.py": ""})
    real_scandir = os.scandir
    locked = str(tmp_path / "locked")

    def scandir(path: str) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(discover_module.os, "scandir", scandir)
    result = discover(tmp_path, Settings())
    assert [f.path for f in result.files] == ["open/b.py"]
    assert result.skipped == [Skipped("locked", "unreadable")]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root reads through chmod 000; the monkeypatched tests cover this path",
)
def test_chmod_000_directory_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"locked/a.py": "", "b.py": ""})
    (tmp_path / "locked").chmod(0)
    try:
        assert skipped(tmp_path) == [("locked", "unreadable")]
        assert found(tmp_path) == ["b.py"]
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_directory_vanishing_mid_walk_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"gone/a.py": "", "b.py": ""})
    real_scandir = os.scandir
    gone = str(tmp_path / "gone")

    def scandir(path: str) -> object:
        if os.fspath(path) == gone:
            # Deleted after its parent was listed, before it was opened.
            (tmp_path / "gone/a.py").unlink()
            (tmp_path / "gone").rmdir()
        return real_scandir(path)

    monkeypatch.setattr(discover_module.os, "scandir", scandir)
    result = discover(tmp_path, Settings())
    assert [f.path for f in result.files] == ["b.py"]
    assert result.skipped == [Skipped("gone", "vanished")]


def test_file_vanishing_between_listing_and_stat_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"a.py": "", "b.py": ""})
    real_scandir = os.scandir

    class ListThenDelete:
        """Lists the directory, then deletes a.py before the walker stats it."""

        def __init__(self, path: str) -> None:
            with real_scandir(path) as it:
                self.entries = list(it)
            if os.fspath(path) == str(tmp_path):
                (tmp_path / "a.py").unlink()

        def __enter__(self) -> list[os.DirEntry[str]]:
            return self.entries

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(discover_module.os, "scandir", ListThenDelete)
    result = discover(tmp_path, Settings())
    assert [f.path for f in result.files] == ["b.py"]
    assert result.skipped == [Skipped("a.py", "vanished")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_named_like_source_is_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    write(tmp_path, {"a.py": ""})
    assert found(tmp_path) == ["a.py"]
    assert skipped(tmp_path) == [("pipe.py", "special-file")]
