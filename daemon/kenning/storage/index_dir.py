"""The index directory: layout, schema version, and the one-writer lock.

An index lives in `<workspace>/.kenning/` by default. `meta.json` records the schema
version; a missing, newer, older or unreadable one is refused with an error that names
the fix. `lock` is held (fcntl) by the single process allowed to write; its content
names that process so a second writer can say who owns the index.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kenning import __version__

# Bump when the graph or chunk schema changes incompatibly, or what a chunk's embedded
# text holds (so that no index mixes texts of two formats; the rebuilt texts have new
# hashes, hence are embedded again); an index with another version is refused and must
# be rebuilt. 7: call sites keep their arguments (Java overloads); a doc comment above a
# definition joins its chunk's header. 8: code that runs without call syntax
# (properties, special methods, decorators) as call edges of their own kinds. 9: a
# class symbol keeps its attributes' stated types (`attributes`), and a Python call on
# a dotted receiver states the type of the receiver's head (`x` of `x.a.m()`). 10:
# each definition's description (`desc`, `desc_hash`) in the chunk table, embedded too.
# 11: the chunk table's `words` (its text with camelCase identifiers split into their
# words) is what BM25 searches; the raw text has no full-text index of its own. (A
# chunk header that spells out a camelCase name's words, `# app context: AppContext`,
# changed no column: an index made before keeps its texts, and its vectors, until their
# files change, rather than embedding every text again.) 12: an edge's span is two
# positions (`span_start`, `span_end`) instead of four columns, and a call keeps what its
# callee's text does not say in one column (`site`).
SCHEMA_VERSION = 12

META_FILE = "meta.json"
LOCK_FILE = "lock"
# The owning daemon's address and its API token (see `kenning.api.owner`): they
# belong to the process holding the lock and survive a rebuild of the stores.
OWNER_FILE = "daemon.json"
TOKEN_FILE = "api-token"
KEEP_ON_WIPE = (LOCK_FILE, OWNER_FILE, TOKEN_FILE)
LOADING_FILE = "loading"
GRAPH_DIR = "graph"
CHUNKS_DIR = "chunks"
EMBED_STATUS_FILE = "embed-status.sqlite"


class IndexError_(Exception):
    """Base for index-directory problems; the message is shown to users as is."""


class IndexMissing(IndexError_):
    pass


class IndexIncompatible(IndexError_):
    pass


class IndexLocked(IndexError_):
    pass


class IndexDamaged(IndexIncompatible):
    """A store of the index is damaged (see `storage.check`); `--rebuild` recovers."""


class IndexIncomplete(IndexError_):
    """A bulk load was cut short (or is under way): the stores hold part of the
    workspace, and answers from them would be wrong without saying so."""


@dataclass(frozen=True)
class LockOwner:
    pid: int
    command: str

    def describe(self) -> str:
        return f"pid {self.pid} ({self.command})"


class IndexDir:
    """Paths inside one index directory and its lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_file: IO[str] | None = None

    @property
    def graph_path(self) -> Path:
        return self.path / GRAPH_DIR

    @property
    def chunks_path(self) -> Path:
        return self.path / CHUNKS_DIR

    @property
    def embed_status_path(self) -> Path:
        return self.path / EMBED_STATUS_FILE

    @property
    def meta_path(self) -> Path:
        return self.path / META_FILE

    @property
    def loading_marker(self) -> Path:
        return self.path / LOADING_FILE

    def set_loading(self, loading: bool) -> None:
        """Mark a bulk load as under way (or finished). While the marker exists the
        stores may be half-written, and the next writer must reload them."""
        if loading:
            self.loading_marker.write_text("bulk load in progress\n", encoding="utf-8")
        else:
            self.loading_marker.unlink(missing_ok=True)

    @property
    def load_unfinished(self) -> bool:
        return self.loading_marker.exists()

    def exists(self) -> bool:
        return self.meta_path.exists()

    def check(self) -> None:
        """Raise a clear error unless this is a readable index of our schema version."""
        if self.path.exists() and not self.path.is_dir():
            raise IndexIncompatible(
                f"{self.path} is a file, not an index folder; "
                "run `kenning index --rebuild` to replace it with one"
            )
        if not self.path.exists() or not self.meta_path.exists():
            if self.path.exists() and any(self.path.iterdir()):
                raise IndexIncompatible(
                    f"{self.path} is not a kenning index (no {META_FILE}); "
                    "run `kenning index --rebuild` to recreate it"
                )
            raise IndexMissing(
                f"no index at {self.path}; run `kenning index` in the workspace to build one"
            )
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            version = int(meta["schema"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexIncompatible(
                f"the index at {self.path} is corrupt ({META_FILE}: {exc}); "
                "run `kenning index --rebuild` to recreate it"
            ) from exc
        if version != SCHEMA_VERSION:
            age = "newer" if version > SCHEMA_VERSION else "older"
            raise IndexIncompatible(
                f"the index at {self.path} has schema version {version}, {age} than this "
                f"kenning's {SCHEMA_VERSION}; run `kenning index --rebuild` to recreate it"
            )

    def create(self) -> None:
        """Make an empty index directory (the caller holds the lock)."""
        self.path.mkdir(parents=True, exist_ok=True)
        # The index is derived data: keep it out of the user's commits.
        (self.path / ".gitignore").write_text("*\n", encoding="utf-8")
        meta = {"schema": SCHEMA_VERSION, "kenning": __version__}
        tmp = self.meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta) + "\n", encoding="utf-8")
        os.replace(tmp, self.meta_path)

    def check_complete(self) -> None:
        """`IndexIncomplete` while the loading marker says a bulk load did not finish."""
        if not self.load_unfinished:
            return
        owner = self.owner()
        why = (
            f"is being built by {owner.describe()}; wait for it to finish"
            if owner is not None
            else "is incomplete (building it was interrupted); run `kenning index` to finish it"
        )
        raise IndexIncomplete(f"the index at {self.path} {why}")

    def wipe(self) -> None:
        """Remove every store but keep the lock file (we hold it) and the API's files."""
        if not self.path.exists():
            return
        for child in self.path.iterdir():
            if child.name in KEEP_ON_WIPE:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()

    def acquire(self, replace_file: bool = False) -> None:
        """Take the writer lock or raise `IndexLocked` naming the owner. Never blocks.

        A file where the index folder belongs is refused (`IndexIncompatible`), or
        replaced with `replace_file` (a rebuild); a folder where the lock file belongs
        (nothing kenning writes) is removed."""
        if self.path.is_file() or (self.path.is_symlink() and not self.path.is_dir()):
            if not replace_file:
                self.check()
            self.path.unlink()
        self.path.mkdir(parents=True, exist_ok=True)
        lock_path = self.path / LOCK_FILE
        if lock_path.is_dir() and not lock_path.is_symlink():
            shutil.rmtree(lock_path)
        fh = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held for our lifetime
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            owner = _parse_owner(fh.read())
            fh.close()
            who = owner.describe() if owner else "another process"
            raise IndexLocked(
                f"the index at {self.path} is being written by {who}; "
                "stop that process or wait for it to finish"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "command": " ".join(sys.argv)[:200]}))
        fh.flush()
        self._lock_file = fh

    def owner(self) -> LockOwner | None:
        """Who holds the writer lock now, or None if nobody does."""
        lock_path = self.path / LOCK_FILE
        if not lock_path.is_file():
            return None
        with open(lock_path, "a+", encoding="utf-8") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                return _parse_owner(fh.read()) or LockOwner(pid=0, command="unknown")
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            return None

    @property
    def locked_by_us(self) -> bool:
        return self._lock_file is not None

    def release(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None


def _parse_owner(text: str) -> LockOwner | None:
    try:
        data = json.loads(text)
        return LockOwner(pid=int(data["pid"]), command=str(data.get("command", "")))
    except (ValueError, KeyError, TypeError):
        return None


def stat_fingerprint(files: Iterable[tuple[str, Path]]) -> str:
    """A SHA-256 over each (label, file)'s label, size and modification time: a stat per
    file, no read. Any write makes new files or changes these, so a fingerprint taken
    when something was recorded about the files tells whether they are still what they
    were. Files that cannot be stat'ed are left out; "" when none can."""
    entries: list[str] = []
    for label, path in files:
        with contextlib.suppress(OSError):
            st = path.lstat()
            entries.append(f"{label}\0{st.st_size}\0{st.st_mtime_ns}")
    if not entries:
        return ""
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()


def tree_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every file under `root`, labelled by its path relative to `root` (none when
    `root` does not exist): the files of a LanceDB table or folder of tables."""
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            yield str(path.relative_to(root)), path
