"""Workspace file discovery: which files kenning indexes, and how to read them safely.

`discover` walks a workspace once with `os.scandir`, honouring `.gitignore` files at
every level, `.git/info/exclude`, `.kenningignore` files and `Settings.exclude`, and
pruning vendored and generated folders before descending into them. It only stats
files; contents are read later, one file at a time, by `read_source`, which is also
where binary files are recognised. Nothing here raises for a bad file: vanished,
unreadable, oversized, binary and escaping files come back as `Skipped` with a short,
stable reason so the status view can explain why a file is missing. `PathFilter`
applies the walk's rules to single paths, for a file watcher's events.

Which suffixes are code, and in what language, comes from the language registry
(`kenning.languages`). `content_hash` is the digest the catalog uses to confirm a
change.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path

import pathspec

from kenning.core.settings import Settings
from kenning.languages import LANGUAGE_BY_SUFFIX, SOURCE_MARKERS
from kenning.parse.files import open_nonblocking, read_regular

# Directory names that are never walked: version control, kenning's own index (added
# from settings), virtual environments, caches and build output. These are pruned by
# name before any ignore file is consulted, so a repository without a .gitignore is
# still walked quickly. A directory holding `pyvenv.cfg` is a virtualenv whatever its
# name and is pruned too; `*.egg-info` is matched by suffix in `_is_always_skipped`.
ALWAYS_SKIPPED_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        "env",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
        "site-packages",
        ".eggs",
    }
)
ALWAYS_SKIPPED_DIR_SUFFIXES: tuple[str, ...] = (".egg-info",)
# Of those names, the ones real packages also use (pypa/build's `src/build/`, a
# project's `settings/env/`, typeshed's `stdlib/venv/`): such a directory is walked
# after all when it holds a language's source marker (`__init__.py`), which no build
# output or virtualenv root has.
PACKAGE_NAMES_ALSO_SKIPPED: frozenset[str] = frozenset({"build", "dist", "env", "venv"})
VENV_MARKER = "pyvenv.cfg"

IGNORE_FILES: tuple[str, ...] = (".gitignore", ".kenningignore")

# Binary detection: a NUL byte within the first BINARY_SNIFF_BYTES bytes. Source text
# in any encoding kenning parses (UTF-8, Latin-1, ...) never contains NUL, while
# nearly every binary format does early on; UTF-16 text is treated as binary, which
# is what we want since tree-sitter is fed UTF-8. The same rule git and grep use.
BINARY_SNIFF_BYTES = 8192
# An ignore file larger than this is read only this far (real ones are a few KiB).
IGNORE_FILE_MAX = 1 << 20

# Reasons a path is skipped; short, stable strings that the status view and the
# catalog may store and show.
SKIP_TOO_LARGE = "too-large"
SKIP_BINARY = "binary"
SKIP_UNREADABLE = "unreadable"
SKIP_VANISHED = "vanished"
SKIP_SYMLINK_OUTSIDE = "symlink-outside"
SKIP_SYMLINK_LOOP = "symlink-loop"
# A symlinked directory whose target is inside the workspace and was already walked
# under another path (not an ancestor of the link, so not a loop): walking it again
# would index the same files twice under two names.
SKIP_SYMLINK_DUPLICATE = "symlink-duplicate"
SKIP_SYMLINK_BROKEN = "symlink-broken"
SKIP_INVALID_PATH = "invalid-path"
# A file or folder whose name is not valid UTF-8 (Python holds it with surrogate
# escapes): paths are stored, sent and shown as UTF-8 text, so it cannot be indexed.
SKIP_UNDECODABLE_NAME = "undecodable-name"
# Sockets, FIFOs and devices named like source files: opening a FIFO blocks until a
# writer appears, so they are never opened.
SKIP_SPECIAL_FILE = "special-file"


def undecodable(name: str) -> bool:
    """Whether `name` came from bytes that are not UTF-8 (it holds surrogate escapes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def printable_path(path: str) -> str:
    """`path` as text that can be shown and encoded: undecodable bytes as `\\xNN`."""
    if not undecodable(path):
        return path
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@dataclass(frozen=True, slots=True)
class FoundFile:
    """A file to index. `path` is workspace-relative, with `/` separators."""

    path: str
    size: int
    mtime_ns: int
    language: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A path that is not indexed, and why (one of the `SKIP_*` reasons)."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Discovery:
    """The result of one walk: files to index and skipped paths, each sorted by path."""

    files: list[FoundFile]
    skipped: list[Skipped]


# One ignore file compiled: `base` is the workspace-relative directory its patterns
# are relative to ("" for the root).
_Layer = tuple[str, pathspec.GitIgnoreSpec]


def discover(root: Path, settings: Settings) -> Discovery:
    """Walk the workspace at `root` and return the files kenning should index.

    Ignore rules follow git: patterns in a deeper ignore file override shallower ones,
    the last matching pattern in a file wins, `!pattern` re-includes, and nothing
    inside an ignored directory can be re-included (the directory is never entered).
    From weakest to strongest: `.git/info/exclude`, then per directory `.gitignore`
    and `.kenningignore` (like ripgrep's `.ignore`, it overrides `.gitignore` of the
    same directory), then `settings.exclude`, which has the last word.

    Symlinks are followed only when their target resolves inside the workspace; each
    directory is walked at most once, so symlink loops end. Symlinked directories are
    walked after every real directory, so a file reachable both directly and through a
    link is reported under its real path.
    """
    return _Walker(root, settings).run()


class _Walker:
    """One discovery walk; holds the state that `discover` threads through the loop."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = os.path.realpath(root)
        self.max_size = settings.max_file_size
        self.files: list[FoundFile] = []
        self.skipped: list[Skipped] = []
        # (st_dev, st_ino) of every directory walked: the loop breaker, robust against
        # bind mounts too, where path strings would not be.
        self.visited: set[tuple[int, int]] = set()
        self.index_rel = _index_dir_rel(self.root, settings.index_dir)
        exclude = _info_exclude_spec(self.root)
        self.base_layers: tuple[_Layer, ...] = (("", exclude),) if exclude is not None else ()
        self.settings_spec = (
            pathspec.GitIgnoreSpec.from_lines(settings.exclude) if settings.exclude else None
        )

    def run(self) -> Discovery:
        try:
            root_stat = os.stat(self.root)
        except OSError:
            return Discovery([], [Skipped("", SKIP_UNREADABLE)])
        self.visited.add((root_stat.st_dev, root_stat.st_ino))
        # Symlinked directories found during the walk wait here until every real
        # directory is done (see `discover`); entries are (link, rel, layers, target).
        deferred: list[tuple[str, str, tuple[_Layer, ...], str]] = []
        stack: list[tuple[str, str, tuple[_Layer, ...]]] = [(self.root, "", self.base_layers)]
        while stack or deferred:
            if not stack:
                # Smallest path first, so which of two links to one directory gets
                # walked does not depend on the file system's listing order.
                deferred.sort(key=lambda item: item[1], reverse=True)
                entered = self._enter_symlinked_dir(*deferred.pop())
                if entered is not None:
                    stack.append(entered)
                continue
            abs_dir, rel_dir, layers = stack.pop()
            self._walk_dir(abs_dir, rel_dir, layers, stack, deferred)
        self.files.sort(key=lambda f: f.path)
        self.skipped.sort(key=lambda s: (s.path, s.reason))
        return Discovery(self.files, self.skipped)

    def _walk_dir(
        self,
        abs_dir: str,
        rel_dir: str,
        layers: tuple[_Layer, ...],
        stack: list[tuple[str, str, tuple[_Layer, ...]]],
        deferred: list[tuple[str, str, tuple[_Layer, ...], str]],
    ) -> None:
        try:
            with os.scandir(abs_dir) as it:
                entries = list(it)
        except FileNotFoundError:
            self.skipped.append(Skipped(rel_dir, SKIP_VANISHED))
            return
        except OSError:
            self.skipped.append(Skipped(rel_dir, SKIP_UNREADABLE))
            return
        names = {entry.name for entry in entries}
        if rel_dir and VENV_MARKER in names:
            # A virtualenv under any name: nothing in it is the workspace's code.
            return
        layers = _with_ignore_files(abs_dir, rel_dir, layers, names)
        prefix = f"{rel_dir}/" if rel_dir else ""
        for entry in entries:
            name = entry.name
            rel = prefix + name
            if undecodable(name):
                # Reported under a printable name; a folder is not entered.
                if _is_real_dir(entry) or os.path.splitext(name)[1] in LANGUAGE_BY_SUFFIX:
                    self.skipped.append(Skipped(printable_path(rel), SKIP_UNDECODABLE_NAME))
                continue
            try:
                is_link = entry.is_symlink()
            except OSError:
                self.skipped.append(Skipped(rel, SKIP_UNREADABLE))
                continue
            try:
                # Follows symlinks, so a link is classified by its target; False for a
                # broken link, an OSError (ELOOP) for a cycle of links.
                is_dir = entry.is_dir()
            except OSError:
                if not is_link:
                    self.skipped.append(Skipped(rel, SKIP_UNREADABLE))
                elif self._symlink_target(entry.path, rel) is not None:
                    # Resolvable after all: it changed under us; report, don't guess.
                    self.skipped.append(Skipped(rel, SKIP_UNREADABLE))
                continue
            if is_dir:
                if self._is_always_skipped(entry.path, name, rel) or self._ignored(
                    rel + "/", layers
                ):
                    continue
                if is_link:
                    target = self._symlink_target(entry.path, rel)
                    if target is not None:
                        deferred.append((entry.path, rel, layers, target))
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    self.skipped.append(Skipped(rel, SKIP_VANISHED))
                    continue
                except OSError:
                    self.skipped.append(Skipped(rel, SKIP_UNREADABLE))
                    continue
                key = (st.st_dev, st.st_ino)
                if key in self.visited:
                    continue
                self.visited.add(key)
                stack.append((entry.path, rel, layers))
                continue
            language = LANGUAGE_BY_SUFFIX.get(os.path.splitext(name)[1])
            if language is None:
                continue
            if self._ignored(rel, layers):
                continue
            if is_link and self._symlink_target(entry.path, rel) is None:
                continue
            self._add_file(entry, rel, language)

    def _add_file(self, entry: os.DirEntry[str], rel: str, language: str) -> None:
        try:
            st = entry.stat()
        except FileNotFoundError:
            self.skipped.append(Skipped(rel, SKIP_VANISHED))
            return
        except OSError:
            self.skipped.append(Skipped(rel, SKIP_UNREADABLE))
            return
        if not stat.S_ISREG(st.st_mode):
            self.skipped.append(Skipped(rel, SKIP_SPECIAL_FILE))
        elif st.st_size > self.max_size:
            self.skipped.append(Skipped(rel, SKIP_TOO_LARGE))
        else:
            self.files.append(FoundFile(rel, st.st_size, st.st_mtime_ns, language))

    def _symlink_target(self, link: str, rel: str) -> str | None:
        """The resolved target of a symlink if it may be followed, else None (reported)."""
        try:
            target = os.path.realpath(link, strict=True)
        except FileNotFoundError:
            self.skipped.append(Skipped(rel, SKIP_SYMLINK_BROKEN))
            return None
        except OSError:
            # realpath(strict=True) reports a cycle of links (a -> b -> a) as ELOOP.
            self.skipped.append(Skipped(rel, SKIP_SYMLINK_LOOP))
            return None
        if not _is_within(target, self.root):
            self.skipped.append(Skipped(rel, SKIP_SYMLINK_OUTSIDE))
            return None
        return target

    def _enter_symlinked_dir(
        self, link: str, rel: str, layers: tuple[_Layer, ...], target: str
    ) -> tuple[str, str, tuple[_Layer, ...]] | None:
        """Claim a deferred symlinked directory for walking, or report why not."""
        try:
            st = os.stat(target)
        except FileNotFoundError:
            self.skipped.append(Skipped(rel, SKIP_VANISHED))
            return None
        except OSError:
            self.skipped.append(Skipped(rel, SKIP_UNREADABLE))
            return None
        key = (st.st_dev, st.st_ino)
        if key in self.visited:
            # Pointing at an ancestor of itself is a loop; anything else is an alias of
            # a directory walked under another path.
            parent = os.path.realpath(os.path.dirname(link))
            loop = _is_within(parent, target)
            self.skipped.append(Skipped(rel, SKIP_SYMLINK_LOOP if loop else SKIP_SYMLINK_DUPLICATE))
            return None
        self.visited.add(key)
        # Walk through the link path so ignore files below it keep applying relative to
        # where the user sees them.
        return (link, rel, layers)

    def _is_always_skipped(self, path: str, name: str, rel: str) -> bool:
        if name in ALWAYS_SKIPPED_DIRS:
            return name not in PACKAGE_NAMES_ALSO_SKIPPED or not any(
                os.path.isfile(os.path.join(path, marker)) for marker in SOURCE_MARKERS
            )
        return name.endswith(ALWAYS_SKIPPED_DIR_SUFFIXES) or rel == self.index_rel

    def _ignored(self, rel: str, layers: tuple[_Layer, ...]) -> bool:
        """Whether ignore rules exclude `rel` (a directory when it ends with `/`)."""
        if self.settings_spec is not None:
            verdict = self.settings_spec.check_file(rel).include
            if verdict is not None:
                return verdict
        # Deepest layer first: the first file with any matching pattern decides.
        for base, spec in reversed(layers):
            sub = rel[len(base) + 1 :] if base else rel
            verdict = spec.check_file(sub).include
            if verdict is not None:
                return verdict
        return False


class PathFilter:
    """Whether one workspace-relative path is a file `discover` would index, without a walk.

    For paths reported one at a time (a file watcher's events, an editor's files): the
    same rules as the walk, checked along the path's folders, with each folder's verdict
    and ignore layers cached. Files need not exist (a deleted file is still judged by
    its name). Symlinks are not resolved, and the size limit is left to `read_source`.
    Call `forget` when an ignore file, a `pyvenv.cfg` or a source marker changes.
    """

    def __init__(self, root: Path, settings: Settings) -> None:
        self._walker = _Walker(root, settings)
        self.root = self._walker.root
        # Folder (workspace-relative, "" for the root) -> its ignore layers, or None
        # when the walk would not enter it.
        self._folders: dict[str, tuple[_Layer, ...] | None] = {}

    def accepts(self, rel: str) -> bool:
        if LANGUAGE_BY_SUFFIX.get(os.path.splitext(rel)[1]) is None or undecodable(rel):
            return False
        parts = rel.split("/")
        if "" in parts or ".." in parts or "." in parts or "\\" in rel:
            return False
        layers = self._layers("", "", None)
        for depth in range(1, len(parts)):
            if layers is None:
                return False
            layers = self._layers("/".join(parts[:depth]), parts[depth - 1], layers)
        return layers is not None and not self._walker._ignored(rel, layers)

    def enters(self, rel_dir: str) -> bool:
        """Whether the walk would enter the folder `rel_dir` ("" for the root)."""
        parts = rel_dir.split("/") if rel_dir else []
        if "" in parts or ".." in parts or "." in parts or undecodable(rel_dir):
            return False
        layers = self._layers("", "", None)
        for depth in range(1, len(parts) + 1):
            if layers is None:
                return False
            layers = self._layers("/".join(parts[:depth]), parts[depth - 1], layers)
        return layers is not None

    def forget(self) -> None:
        """Drop the cached folder verdicts (ignore rules or package markers changed)."""
        self._folders.clear()

    def _layers(
        self, rel_dir: str, name: str, parent: tuple[_Layer, ...] | None
    ) -> tuple[_Layer, ...] | None:
        if rel_dir in self._folders:
            return self._folders[rel_dir]
        walker = self._walker
        abs_dir = os.path.join(walker.root, *rel_dir.split("/")) if rel_dir else walker.root
        layers: tuple[_Layer, ...] | None
        if not rel_dir:
            layers = _with_ignore_files(abs_dir, "", walker.base_layers, IGNORE_FILES)
        elif (
            parent is None
            or walker._is_always_skipped(abs_dir, name, rel_dir)
            or walker._ignored(rel_dir + "/", parent)
            or os.path.isfile(os.path.join(abs_dir, VENV_MARKER))
        ):
            layers = None
        else:
            layers = _with_ignore_files(abs_dir, rel_dir, parent, IGNORE_FILES)
        self._folders[rel_dir] = layers
        return layers


def _with_ignore_files(
    abs_dir: str, rel_dir: str, layers: tuple[_Layer, ...], names: Container[str]
) -> tuple[_Layer, ...]:
    """`layers` plus the ignore files of one folder that are among `names`."""
    for ignore_name in IGNORE_FILES:
        if ignore_name in names:
            spec = _read_ignore_file(os.path.join(abs_dir, ignore_name))
            if spec is not None:
                layers = (*layers, (rel_dir, spec))
    return layers


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _index_dir_rel(root: str, index_dir: str) -> str | None:
    """The workspace-relative posix path of the index directory, or None if outside."""
    absolute = os.path.realpath(os.path.join(root, index_dir))
    if absolute == root or not _is_within(absolute, root):
        return None
    return Path(os.path.relpath(absolute, root)).as_posix()


def _read_ignore_file(path: str) -> pathspec.GitIgnoreSpec | None:
    """Compile one ignore file; an unreadable one is treated as absent, like git does."""
    data = read_regular(path, IGNORE_FILE_MAX)
    if data is None:
        return None
    lines = data.decode("utf-8", "replace").splitlines()
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return spec if spec.patterns else None


def _info_exclude_spec(root: str) -> pathspec.GitIgnoreSpec | None:
    """The repository's `info/exclude`, following `.git` files of worktrees and submodules."""
    git = os.path.join(root, ".git")
    if os.path.isfile(git):
        # A worktree or submodule: `.git` is a file saying `gitdir: <path>`, and a
        # worktree's git dir names the shared one (holding `info/`) in `commondir`.
        try:
            with open(git, encoding="utf-8") as f:
                first = f.readline().strip()
        except OSError:
            return None
        if not first.startswith("gitdir:"):
            return None
        git = os.path.join(root, first.removeprefix("gitdir:").strip())
        try:
            with open(os.path.join(git, "commondir"), encoding="utf-8") as f:
                git = os.path.join(git, f.read().strip())
        except OSError:
            pass
    return _read_ignore_file(os.path.join(git, "info", "exclude"))


def read_source(root: Path, found: FoundFile | str, max_size: int) -> bytes | Skipped:
    """Read one workspace file's bytes, or say why it cannot be indexed.

    `found` is a `FoundFile` or a workspace-relative posix path (e.g. from an editor).
    Paths that are absolute, climb out with `..`, or resolve outside the workspace
    through a symlink are refused. The size is checked again on the open file, since
    it may have grown since discovery, and content with a NUL byte in its first
    `BINARY_SNIFF_BYTES` bytes is reported as binary.
    """
    rel = found.path if isinstance(found, FoundFile) else found
    parts = rel.split("/")
    if not rel or rel.startswith("/") or "\\" in rel or ".." in parts or "\0" in rel:
        return Skipped(rel, SKIP_INVALID_PATH)
    root_real = os.path.realpath(root)
    path = os.path.join(root_real, *parts)
    if not _is_within(os.path.realpath(path), root_real):
        return Skipped(rel, SKIP_SYMLINK_OUTSIDE)
    if undecodable(rel):
        return Skipped(printable_path(rel), SKIP_UNDECODABLE_NAME)
    try:
        with open_nonblocking(path) as f:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                return Skipped(rel, SKIP_UNREADABLE)
            if not stat.S_ISREG(st.st_mode):
                return Skipped(rel, SKIP_SPECIAL_FILE)
            if st.st_size > max_size:
                return Skipped(rel, SKIP_TOO_LARGE)
            # One byte more than allowed tells a file that grew past the limit since
            # fstat apart from one that is exactly at it.
            data = f.read(max_size + 1)
    except (FileNotFoundError, NotADirectoryError):
        return Skipped(rel, SKIP_VANISHED)
    except OSError:
        # PermissionError, IsADirectoryError, EIO and friends.
        return Skipped(rel, SKIP_UNREADABLE)
    if len(data) > max_size:
        return Skipped(rel, SKIP_TOO_LARGE)
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return Skipped(rel, SKIP_BINARY)
    return data


def content_hash(data: bytes) -> str:
    """BLAKE2b-128 of the bytes, hex: the catalog's proof that a file really changed."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
