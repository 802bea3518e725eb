"""TypeScript and JavaScript module names: the name other code imports a file by.

A file's module is its workspace-relative path without the extension
(`src/utils/strings`; `.d.ts` counts as one extension), and an `index` file names its
folder (`src/utils/index.ts` is `src/utils`). Configuration renames a file where the
code imports it by another name, so that a bare specifier in an import is a module
name the resolver can look up as it stands:

* a `tsconfig.json` / `jsconfig.json` `paths` alias (`"@app/*": ["src/app/*"]` names
  `src/app/x.ts` `@app/x`), relative to its `baseUrl` or its own folder;
* a workspace package (a `package.json` with a `name` below the workspace root):
  its entry file (from `source`, `types`, `module` or `main`, with a build folder
  read as `src/`, else `src/index` or `index`) is named by the package name,
  `@acme/core`, and its other files `@acme/core/<path inside the package>`;
* a `baseUrl` other than the config's own folder: files below it are named from it.

The nearest config above a file applies. The resolver reads relative specifiers
against paths, so these names never get in their way. Config files are read from
disk, leniently (comments and trailing commas are allowed, as `tsc` allows them);
an unreadable one is ignored.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path

from kenning.parse.files import read_regular

CONFIG_FILES = ("tsconfig.json", "jsconfig.json")
PACKAGE_FILE = "package.json"
LAYOUT_FILES = frozenset({*CONFIG_FILES, PACKAGE_FILE})
# Extensions of TypeScript and JavaScript sources, the longest first.
SOURCE_EXTENSIONS = (
    ".d.mts",
    ".d.cts",
    ".d.ts",
    ".tsx",
    ".mts",
    ".cts",
    ".ts",
    ".jsx",
    ".mjs",
    ".cjs",
    ".js",
)
_ENTRY_FIELDS = ("source", "types", "typings", "module", "main")
_BUILD_DIRS = frozenset({"dist", "lib", "build", "out", "esm", "cjs", "es", "types"})
# A JSON string, or a comment to drop (tsconfig files have comments).
_JSONC_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def strip_extension(path: str) -> str:
    for extension in SOURCE_EXTENSIONS:
        if path.endswith(extension):
            return path[: -len(extension)]
    return posixpath.splitext(path)[0]


def read_jsonc(path: Path) -> dict[str, object]:
    """A JSON file that may have comments and trailing commas; {} when unreadable."""
    raw = read_regular(path)
    try:
        text = raw.decode("utf-8-sig") if raw is not None else ""
    except UnicodeDecodeError:
        return {}
    text = _JSONC_TOKEN.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    text = _TRAILING_COMMA.sub(r"\1", text)
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def specifier_module(base: str) -> str:
    """The module a relative specifier names while no file answers it, `base` being
    the specifier joined to the importing file's folder (`src/util.js`): as
    `path_module` would name the file it looks for (`src/util`; `src/x/index` ->
    `src/x`). Only a source extension is dropped: `./a.b` names `a.b.ts`."""
    for extension in SOURCE_EXTENSIONS:
        if base.endswith(extension):
            base = base[: -len(extension)]
            break
    return _index_to_folder(base)


def path_module(path: str) -> str:
    """The module of a path without configuration: no extension, `index` -> folder."""
    return _index_to_folder(strip_extension(path))


class _Alias:
    """One `paths` entry: specifier pattern -> workspace-relative target pattern."""

    def __init__(self, pattern: str, target: str) -> None:
        self.prefix, star, self.suffix = pattern.partition("*")
        self.wildcard = bool(star)
        self.target_prefix, _, self.target_suffix = target.partition("*")

    def name_of(self, stem: str) -> str | None:
        """The specifier that reaches `stem` (a path without extension) through this alias."""
        if not self.wildcard:
            return self.prefix if stem == self.target_prefix else None
        if not stem.startswith(self.target_prefix) or not stem.endswith(self.target_suffix):
            return None
        middle = stem[len(self.target_prefix) : len(stem) - len(self.target_suffix)]
        if not middle:
            return None
        return f"{self.prefix}{middle}{self.suffix}"


class ScriptLayout:
    """Module names for one workspace's TypeScript or JavaScript files."""

    def __init__(self, root: Path, paths: Iterable[str]) -> None:
        self.root = root
        self.stems = {strip_extension(p) for p in paths if p.endswith(SOURCE_EXTENSIONS)}
        self._configs: dict[str, tuple[list[_Alias], str | None] | None] = {}
        self._packages: dict[str, tuple[str, str, str | None] | None] = {}

    def add(self, path: str) -> None:
        name = path.rpartition("/")[2]
        if name in LAYOUT_FILES:
            self._configs.clear()
            self._packages.clear()
        elif path.endswith(SOURCE_EXTENSIONS):
            self.stems.add(strip_extension(path))
            self._packages.clear()  # the file may be a package's entry

    def module_name(self, path: str) -> str:
        stem = strip_extension(path)
        directory = path.rpartition("/")[0]
        config = self._nearest_config(directory)
        if config is not None:
            for alias in config[0]:
                named = alias.name_of(stem)
                if named is not None:
                    return _index_to_folder(named)
        package = self._nearest_package(directory)
        if package is not None:
            package_dir, name, entry = package
            if stem == entry:
                return name
            return _index_to_folder(f"{name}/{stem[len(package_dir) + 1 :]}")
        if config is not None and config[1] and stem.startswith(config[1] + "/"):
            return _index_to_folder(stem[len(config[1]) + 1 :])
        return path_module(path)

    # -- configuration -------------------------------------------------------------

    def _nearest_config(self, directory: str) -> tuple[list[_Alias], str | None] | None:
        """(aliases, baseUrl folder when it is not the config's own) of the nearest
        tsconfig/jsconfig above `directory`."""
        if directory in self._configs:
            return self._configs[directory]
        found: tuple[list[_Alias], str | None] | None = None
        for name in CONFIG_FILES:
            file = self.root / directory / name
            if file.is_file():
                found = self._read_config(directory, file)
                break
        else:
            if directory:
                found = self._nearest_config(directory.rpartition("/")[0])
        self._configs[directory] = found
        return found

    def _read_config(self, directory: str, file: Path) -> tuple[list[_Alias], str | None]:
        options = read_jsonc(file).get("compilerOptions")
        options = options if isinstance(options, dict) else {}
        base_url = options.get("baseUrl")
        base = _join(directory, base_url) if isinstance(base_url, str) else directory
        aliases: list[_Alias] = []
        paths = options.get("paths")
        if isinstance(paths, dict):
            for pattern, targets in paths.items():
                if isinstance(targets, list) and targets and isinstance(targets[0], str):
                    aliases.append(_Alias(pattern, strip_extension(_join(base, targets[0]))))
        return aliases, (base if base != directory else None)

    def _nearest_package(self, directory: str) -> tuple[str, str, str | None] | None:
        """(folder, name, entry stem) of the nearest named package below the root."""
        if not directory:
            return None
        if directory in self._packages:
            return self._packages[directory]
        file = self.root / directory / PACKAGE_FILE
        manifest = read_jsonc(file) if file.is_file() else {}
        name = manifest.get("name")
        found: tuple[str, str, str | None] | None
        if isinstance(name, str) and name:
            found = (directory, name, self._entry(directory, manifest))
        else:
            found = self._nearest_package(directory.rpartition("/")[0])
        self._packages[directory] = found
        return found

    def _entry(self, directory: str, manifest: dict[str, object]) -> str | None:
        candidates: list[str] = []
        for field in _ENTRY_FIELDS:
            value = manifest.get(field)
            if isinstance(value, str) and value:
                stem = strip_extension(posixpath.normpath(value))
                candidates.append(stem)
                first, _, rest = stem.partition("/")
                if first in _BUILD_DIRS and rest:
                    candidates.append(f"src/{rest}")
        candidates += ["src/index", "index"]
        for candidate in candidates:
            stem = _join(directory, candidate)
            if stem in self.stems:
                return stem
            if f"{stem}/index" in self.stems:
                return f"{stem}/index"
        return None


def _join(directory: str, relative: str) -> str:
    joined = posixpath.normpath(posixpath.join(directory, relative)) if directory else relative
    joined = posixpath.normpath(joined)
    return "" if joined == "." else joined.lstrip("/")


def _index_to_folder(name: str) -> str:
    directory, _, last = name.rpartition("/")
    return directory if last == "index" and directory else name
