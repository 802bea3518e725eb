"""File plumbing for model files in the cache directory.

Hashes of large files are remembered by path, size and mtime (`HashCache`), so a start
does not re-read a 23 MB model it has already checked. Everything kenning writes into the
cache appears atomically: a file through a temporary file and `os.replace`, a folder by
renaming a fully written staging folder (`publish_dir`). Two processes that build the same
thing at once both succeed; the first rename wins and the other's copy is discarded.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` so that readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class HashCache:
    """sha256 digests of files, trusted while a file's path, size and mtime are unchanged.

    The record is a JSON file in the cache directory. A damaged or unreadable record is
    treated as empty; a failed save only costs a re-hash on the next start.
    """

    def __init__(self, record: Path) -> None:
        self.record = record

    def sha256(self, path: Path) -> str:
        path = path.resolve()
        st = path.stat()
        key = str(path)
        entries = self._load()
        entry = entries.get(key)
        if (
            isinstance(entry, dict)
            and entry.get("size") == st.st_size
            and entry.get("mtime_ns") == st.st_mtime_ns
            and isinstance(entry.get("sha256"), str)
        ):
            return str(entry["sha256"])
        digest = sha256_file(path)
        entries[key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
        with contextlib.suppress(OSError):
            atomic_write_text(self.record, json.dumps(entries, indent=1, sort_keys=True))
        return digest

    def _load(self) -> dict[str, object]:
        try:
            data = json.loads(self.record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def new_staging_dir(final: Path) -> Path:
    """An empty folder beside `final`, on the same file system, for `publish_dir`."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))


def publish_dir(staging: Path, final: Path) -> bool:
    """Rename the fully written `staging` folder to `final`.

    Returns False, and removes `staging`, when `final` already exists because another
    process published it first; the caller then uses that one.
    """
    try:
        os.rename(staging, final)
        return True
    except OSError as e:
        if e.errno in (errno.EEXIST, errno.ENOTEMPTY) and final.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
            return False
        raise


def discard_dir(path: Path) -> None:
    """Remove a published folder that turned out stale or damaged.

    It is first renamed aside, so no reader ever sees it half deleted under its own name.
    """
    try:
        aside = Path(tempfile.mkdtemp(prefix=f".{path.name}.discard.", dir=path.parent))
        os.rename(path, aside / path.name)
    except OSError:
        aside = path
    shutil.rmtree(aside, ignore_errors=True)
