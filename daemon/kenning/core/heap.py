"""Handing memory the C allocator keeps back to the operating system.

A daemon's writes (a batch of edits merged into the chunk table, a compaction) make
large short-lived allocations in native code: Lance and Arrow through glibc's malloc,
from whichever thread runs them, each with its own arena. glibc returns little of
that when it is freed: free chunks below the top of an arena stay in the process, so
the RSS of a daemon under a steady stream of edits rose step by step (Django: about
+15 MiB a minute) while the memory in use did not. `malloc_trim(0)` releases the free
pages of every arena; `release` calls it where such work ends.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release() -> bool:
    """Give the allocator's free pages back to the system; whether any were. Costs a
    walk over the heap's free chunks (a few milliseconds on a gigabyte heap): call it
    after a burst of native work, not per request."""
    trim = _malloc_trim()
    if trim is None:
        return False
    started = time.perf_counter()
    released = bool(trim(0))
    log.debug("malloc_trim in %.1f ms", (time.perf_counter() - started) * 1000)
    return released
