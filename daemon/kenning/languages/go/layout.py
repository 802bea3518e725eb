"""Go package import paths from file paths: the nearest `go.mod` names the module.

A Go file's module name is its package's import path, the way `go list` prints it:
the `module` path of the nearest `go.mod` above the file, joined with the file's
directory below that `go.mod` (`example.com/m` + `internal/util`). Every file of a
directory shares that name, so all files of a package share one scope.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from kenning.parse.files import read_regular

GO_MOD = "go.mod"
# Files of an external test package (`package foo_test`) sit beside the package they
# test; their import path is the directory's with `_test` appended, as `go list` says.
TEST_SUFFIX = "_test"
# `go.mod`'s module directive; a quoted path is allowed too.
_MODULE_LINE = re.compile(r'^\s*module\s+"?([^\s"/]+[^\s"]*)"?', re.MULTILINE)
# go.mod files are small; a huge one is not a go.mod worth parsing.
_MAX_GO_MOD_BYTES = 1 << 20


def read_module_path(go_mod: Path) -> str | None:
    """The module path a `go.mod` declares, or None when it cannot be read."""
    data = read_regular(go_mod, _MAX_GO_MOD_BYTES)
    if data is None:
        return None
    match = _MODULE_LINE.search(data.decode("utf-8", "replace"))
    return match.group(1) if match else None


def import_path(directory: str, modules: dict[str, str]) -> str:
    """The import path of the package in workspace-relative `directory`.

    `modules` maps each directory holding a `go.mod` to its module path. Without one
    above the directory, the directory itself is the import path (GOPATH style), and
    below a `vendor/` folder the path after it is, as the go tool reads vendored code.
    """
    parts = directory.split("/") if directory else []
    for cut in range(len(parts), -1, -1):
        module = modules.get("/".join(parts[:cut]))
        if module is not None:
            return "/".join([module, *parts[cut:]])
    if "vendor" in parts:
        cut = len(parts) - parts[::-1].index("vendor")
        return "/".join(parts[cut:])
    return directory


class GoLayout:
    """The `go.mod` files of one workspace, read on demand and re-read when one appears."""

    def __init__(self, root: Path, paths: Iterable[str]) -> None:
        self.root = root
        # directory -> module path, for every directory known to hold a go.mod; and
        # the directories already checked, with or without one.
        self._modules: dict[str, str] = {}
        self._checked: set[str] = set()

    def module_name(self, path: str) -> str:
        directory = path.rpartition("/")[0]
        self._discover(directory)
        return import_path(directory, self._modules)

    def add(self, path: str) -> None:
        directory, _, name = path.rpartition("/")
        if name == GO_MOD:
            self._checked.discard(directory)
            self._modules.pop(directory, None)
            self._discover(directory)

    def _discover(self, directory: str) -> None:
        """Look for go.mod files in `directory` and its ancestors, each once."""
        parts = directory.split("/") if directory else []
        for cut in range(len(parts), -1, -1):
            current = "/".join(parts[:cut])
            if current in self._checked:
                return
            self._checked.add(current)
            module = read_module_path(self.root / current / GO_MOD)
            if module is not None:
                self._modules[current] = module
