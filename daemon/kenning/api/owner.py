"""Who serves a workspace's index: the owner file and the API token in its index folder.

The process holding the index's writer lock (`storage.index_dir`) serves the HTTP API
and writes `daemon.json` (`OwnerRecord`: its pid, its address, where the token is)
next to the lock, and removes it when it exits cleanly. The bearer token lives in
`api-token`, readable by the user only (0600), and is made afresh by each owner.

`find_owner` is how the CLI and a second daemon find a live owner: a record whose pid
is alive and which still holds the lock. A record left by a process that died (kill -9)
is stale: it is ignored here and replaced by the next owner.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import msgspec

from kenning import __version__
from kenning.storage.index_dir import OWNER_FILE, TOKEN_FILE, IndexDir


class OwnerRecord(msgspec.Struct, frozen=True, rename="camel", kw_only=True):
    pid: int
    # The API's base address, e.g. "http://127.0.0.1:43817".
    url: str
    token_file: str
    workspace: str
    version: str = __version__
    started: float = 0.0

    def token(self) -> str:
        """The bearer token; OSError when the file is gone or unreadable."""
        return Path(self.token_file).read_text(encoding="utf-8").strip()


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    return True


def _write_private(path: Path, data: bytes) -> None:
    """Write `path` atomically, readable and writable by the user only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask, and if the file already existed
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def new_token(index_dir: Path) -> tuple[Path, str]:
    """A fresh token written to the index folder (0600): its file, and the token."""
    path = index_dir / TOKEN_FILE
    token = secrets.token_urlsafe(32)
    _write_private(path, token.encode() + b"\n")
    return path, token


def publish(index_dir: Path, workspace: Path, url: str, token_file: Path) -> OwnerRecord:
    """Record this process as the owner serving `url` (replacing a stale record)."""
    record = OwnerRecord(
        pid=os.getpid(), url=url, token_file=str(token_file), workspace=str(workspace),
        started=time.time(),
    )  # fmt: skip
    _write_private(index_dir / OWNER_FILE, msgspec.json.encode(record) + b"\n")
    return record


def read(index_dir: Path) -> OwnerRecord | None:
    """The owner record as written, live or not; None when missing or unreadable."""
    try:
        return msgspec.json.decode((index_dir / OWNER_FILE).read_bytes(), type=OwnerRecord)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def withdraw(index_dir: Path) -> None:
    """Remove the owner record if it is ours (on a clean exit)."""
    record = read(index_dir)
    if record is not None and record.pid == os.getpid():
        (index_dir / OWNER_FILE).unlink(missing_ok=True)


def find_owner(index_dir: Path) -> OwnerRecord | None:
    """A live owner of the index at `index_dir`: its record names a running process
    that holds the writer lock. Stale records (dead pid, lock free) count as none."""
    record = read(index_dir)
    if record is None or record.pid == os.getpid() or not pid_alive(record.pid):
        return None
    holder = IndexDir(index_dir).owner()
    if holder is None or holder.pid not in (record.pid, 0):
        return None
    return record
