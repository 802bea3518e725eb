"""Rust module names from paths: crates from `Cargo.toml`, modules by Cargo's layout.

A module is named `<crate>::<path>`: the crate's name, then the module path that
`mod` declarations give it under the standard layout (`src/a/b.rs` and
`src/a/b/mod.rs` are both `a::b`). The crate's name is used rather than the keyword
`crate`, so that two crates of one workspace keep apart and a path written from
outside (`serde::de::Error`) is the same string as the definition's name; the
resolver reads `crate::` as the file's own crate.

Crates and their roots, per package (the folder holding a `Cargo.toml` with a
`[package]`):
* `src/lib.rs` (or `[lib] path`) and `src/main.rs` are named after the package
  (`[lib] name` when set), dashes made underscores; a package with both shares the
  name between its library and its binary;
* `src/bin/x.rs` and `src/bin/x/main.rs` are the crate `x`; so are `examples/x.rs`,
  `tests/x.rs` and `benches/x.rs` (and `x/main.rs` below those folders);
* `build.rs` is the crate `build_script_build`, as Cargo calls it.

Not read: `#[path = "..."]` attributes, and `mod` declarations themselves (a file
not declared by any `mod` still gets the name its path would give it). A `.rs` file
outside any package is named from its path, with the folder above it as the crate.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from kenning.parse.files import read_regular

MANIFEST = "Cargo.toml"
CRATE_ROOTS = ("lib", "main")
_TARGET_DIRS = ("examples", "tests", "benches")


class _Package:
    """One Cargo package: its crate name, and the folder of its library root."""

    def __init__(self, directory: str, name: str, lib_dir: str) -> None:
        self.directory = directory  # workspace-relative, "" for the root
        self.name = name
        self.lib_dir = lib_dir  # relative to the package: "src" usually


def _read_package(root: Path, manifest: str) -> _Package | None:
    directory = manifest.rpartition("/")[0]
    raw = read_regular(root / manifest)
    try:
        data = tomllib.loads(raw.decode("utf-8", "replace")) if raw is not None else {}
    except (tomllib.TOMLDecodeError, ValueError):
        data = {}
    package = data.get("package")
    if not isinstance(package, dict) and "workspace" in data:
        return None  # a virtual manifest: its members are the packages
    name = package.get("name") if isinstance(package, dict) else None
    lib = data.get("lib")
    lib_name = lib.get("name") if isinstance(lib, dict) else None
    lib_path = lib.get("path") if isinstance(lib, dict) else None
    crate = lib_name or name or directory.rpartition("/")[2] or "crate"
    lib_dir = "src"
    if isinstance(lib_path, str):
        lib_dir = lib_path.replace("\\", "/").lstrip("./").rpartition("/")[0]
    return _Package(directory, _identifier(str(crate)), lib_dir)


def _identifier(name: str) -> str:
    return name.replace("-", "_")


def _module_parts(relative: str) -> list[str]:
    """`a/b.rs` -> [a, b]; `a/mod.rs` -> [a]; `lib.rs` and `main.rs` -> []."""
    directory, _, filename = relative.rpartition("/")
    stem = filename[:-3] if filename.endswith(".rs") else filename
    parts = [p for p in directory.split("/") if p]
    if stem == "mod":
        return parts
    if not parts and stem in CRATE_ROOTS:
        return []
    return [*parts, stem]


class RustLayout:
    """The Cargo packages of one workspace, found on disk as files ask for them.

    Discovery hands layouts only code files, so each folder above a `.rs` file is
    checked for a `Cargo.toml` once, and the answer is kept until a manifest appears
    or changes (`add`).
    """

    def __init__(self, root: Path, paths: Iterable[str]) -> None:
        self.root = root
        self._manifests: dict[str, _Package | None] = {}  # folder -> its package

    def add(self, path: str) -> None:
        if path.rpartition("/")[2] == MANIFEST:
            self._manifests.clear()

    def _package_in(self, directory: str) -> _Package | None:
        if directory not in self._manifests:
            manifest = f"{directory}/{MANIFEST}" if directory else MANIFEST
            found = None
            if (self.root / manifest).is_file():
                found = _read_package(self.root, manifest)
            self._manifests[directory] = found
        return self._manifests[directory]

    def _package_of(self, path: str) -> _Package | None:
        directory = path.rpartition("/")[0]
        while True:
            package = self._package_in(directory)
            if package is not None:
                return package
            if not directory:
                return None
            directory = directory.rpartition("/")[0]

    def module_name(self, path: str) -> str:
        package = self._package_of(path)
        if package is None:
            # No package: the folder above the file stands for the crate.
            directory, _, filename = path.rpartition("/")
            crate = _identifier(directory.rpartition("/")[2] or "crate")
            return "::".join([crate, *_module_parts(filename)])
        relative = path[len(package.directory) + 1 :] if package.directory else path
        crate, parts = package.name, _module_parts(relative)
        lib_dir = package.lib_dir
        if lib_dir and relative.startswith(lib_dir + "/"):
            inner = relative[len(lib_dir) + 1 :]
            if inner.startswith("bin/"):
                # src/bin/x.rs or src/bin/x/main.rs: the binary crate x.
                crate, parts = _target(inner[len("bin/") :])
            else:
                parts = _module_parts(inner)
        elif not lib_dir:
            parts = _module_parts(relative)
        elif relative == "build.rs":
            crate, parts = "build_script_build", []
        elif relative.partition("/")[0] in _TARGET_DIRS:
            crate, parts = _target(relative.partition("/")[2])
        return "::".join([crate, *parts])


def _target(relative: str) -> tuple[str, list[str]]:
    """A target folder's file (`x.rs`, `x/main.rs`, `x/util.rs`) as (crate, modules)."""
    first, _, rest = relative.partition("/")
    if not rest:
        return _identifier(first[:-3] if first.endswith(".rs") else first), []
    return _identifier(first), _module_parts(rest)
