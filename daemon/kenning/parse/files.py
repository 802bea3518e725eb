"""Opening workspace files without ever blocking on one.

A FIFO (or a socket, a device) created under a source or project file's name would
block a plain `open` until some process writes to it, stalling the writer thread for
good. Every read of a workspace file goes through here: opened with O_NONBLOCK, then
checked with `fstat` to be a regular file before a byte is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

# Project files (go.mod, package.json, tsconfig.json, Cargo.toml) are small; a larger
# one is not worth parsing.
PROJECT_FILE_MAX = 1 << 20


def open_nonblocking(path: str | Path) -> BinaryIO:
    """Open for reading without blocking; O_NONBLOCK changes nothing for regular files,
    and the caller checks `fstat` before reading."""
    return open(path, "rb", opener=_nonblocking)


def _nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NONBLOCK)


def read_regular(path: str | Path, max_size: int = PROJECT_FILE_MAX) -> bytes | None:
    """A small regular file's bytes (an ignore file, a project file), or None when it
    is missing, unreadable, larger than `max_size` or not a regular file."""
    try:
        with open_nonblocking(path) as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > max_size:
                return None
            return f.read(max_size)
    except OSError:
        return None
