"""Python module names from paths: packages are the directories holding `__init__.py`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

PACKAGE_FILES = ("__init__.py", "__init__.pyi")


def package_dirs(paths: Iterable[str]) -> set[str]:
    """Directories (workspace-relative posix, "" for the root) holding an `__init__.py`.

    `__init__.pyi` counts too: a stub-only package (`foo-stubs/__init__.pyi`) is still a
    package to the type checker, and its modules should get dotted names.
    """
    packages: set[str] = set()
    for path in paths:
        directory, _, name = path.rpartition("/")
        if name in PACKAGE_FILES:
            packages.add(directory)
    return packages


def module_name(path: str, packages: set[str]) -> str:
    """The dotted module name of a workspace-relative Python file.

    Walk up from the file's directory while each directory is a package; the first
    directory that is not one is the source root the name is relative to. So
    `src/pkg/mod.py` (with `src/pkg/__init__.py`) is `pkg.mod`, `pkg/__init__.py` is
    `pkg`, and `tests/test_x.py` without an `__init__.py` is `test_x`. Stubs (`.pyi`)
    are named like the `.py` they describe.

    The workspace root is always a source root, even with an `__init__.py`: it has no
    name inside the workspace (its folder name is an accident of the checkout), so its
    modules are named from it, and the root `__init__.py` itself is named `__init__`,
    which stays unique and non-empty. Namespace packages (PEP 420, no `__init__.py`)
    cannot be told apart from source roots by paths alone and are treated as roots.
    """
    directory, _, filename = path.rpartition("/")
    stem = filename.rpartition(".")[0] or filename
    parts = [] if stem == "__init__" and directory in packages and directory else [stem]
    while directory and directory in packages:
        directory, _, name = directory.rpartition("/")
        parts.append(name)
    return ".".join(reversed(parts))


def is_package_path(path: str) -> bool:
    """Whether the file is a package's `__init__` (its module names the package)."""
    return path.rpartition("/")[2] in PACKAGE_FILES


class PythonLayout:
    """The package directories of one workspace, grown as `__init__.py` files appear."""

    def __init__(self, root: Path, paths: Iterable[str]) -> None:
        self.packages = package_dirs(paths)

    def module_name(self, path: str) -> str:
        return module_name(path, self.packages)

    def add(self, path: str) -> None:
        if is_package_path(path):
            self.packages.add(path.rpartition("/")[0])
