"""Dotted module names from workspace-relative paths, for flat, package and src layouts."""

from __future__ import annotations

import pytest

from kenning.languages.python.layout import module_name, package_dirs

WORKSPACE = [
    "setup.py",
    "src/pkg/__init__.py",
    "src/pkg/mod.py",
    "src/pkg/sub/__init__.py",
    "src/pkg/sub/deep.py",
    "src/pkg/sub/deep.pyi",
    "src/pkg/nopkg/loose.py",
    "flat/__init__.py",
    "flat/core.py",
    "tests/test_x.py",
    "tests/unit/__init__.py",
    "tests/unit/test_y.py",
    "foo-stubs/__init__.pyi",
    "foo-stubs/bar.pyi",
]


def test_package_dirs_are_the_directories_holding_init() -> None:
    assert package_dirs(WORKSPACE) == {
        "src/pkg",
        "src/pkg/sub",
        "flat",
        "tests/unit",
        "foo-stubs",
    }
    assert package_dirs(["__init__.py", "a/not__init__.py"]) == {""}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("setup.py", "setup"),
        # src layout: src/ has no __init__.py, so it is the source root.
        ("src/pkg/__init__.py", "pkg"),
        ("src/pkg/mod.py", "pkg.mod"),
        ("src/pkg/sub/__init__.py", "pkg.sub"),
        ("src/pkg/sub/deep.py", "pkg.sub.deep"),
        # A stub is named like the module it describes.
        ("src/pkg/sub/deep.pyi", "pkg.sub.deep"),
        # A folder without __init__.py inside a package starts a new source root.
        ("src/pkg/nopkg/loose.py", "loose"),
        ("flat/__init__.py", "flat"),
        ("flat/core.py", "flat.core"),
        # Test folders without __init__.py: pytest's rootdir-relative import names.
        ("tests/test_x.py", "test_x"),
        ("tests/unit/test_y.py", "unit.test_y"),
        ("foo-stubs/bar.pyi", "foo-stubs.bar"),
    ],
)
def test_module_name(path: str, expected: str) -> None:
    assert module_name(path, package_dirs(WORKSPACE)) == expected


def test_workspace_root_is_a_source_root_even_with_init() -> None:
    # The root's folder name is not part of the workspace, so names start below it.
    paths = ["__init__.py", "app.py", "sub/__init__.py", "sub/x.py"]
    packages = package_dirs(paths)
    assert [module_name(p, packages) for p in paths] == ["__init__", "app", "sub", "sub.x"]


def test_init_outside_any_package_is_named_init() -> None:
    # Only reachable with a partial package set (a caller passing a subset of paths).
    assert module_name("pkg/__init__.py", set()) == "__init__"
