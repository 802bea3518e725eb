"""Memory that native allocators keep after it is freed, handed back to the system.

The stores' native code (Lance and Arrow, ladybug's copy threads) makes large
short-lived allocations from whichever thread runs it, each thread with its own glibc
arena. When they are freed glibc keeps the pages: free chunks below the top of an arena
stay in the process until something trims them. Arrow's bundled allocator (jemalloc or
mimalloc) keeps its own pages too, where no trim reaches them. Summed over a full index
of Django that retention was a sixth of the peak (916 MB with it, 765 MB without), and
under a steady stream of edits a daemon's RSS rose write after write while the memory
in use did not.

So an open engine allocates Arrow memory with the system allocator (`configure`: what
Arrow frees goes back to glibc), glibc makes at most two arenas (`limit_arenas`, from
the command line's start), and `release` asks glibc to return the free pages of
every arena after a burst of native work: each part of a full index's bulk load, each
deferred write. Where the C library has no `malloc_trim` (musl, macOS) `release`
does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

_configured = False
_lock = threading.Lock()


def configure() -> None:
    """Use the system allocator for Arrow memory from now on, with at most `ARENAS`
    glibc arenas; once per process.

    Tables allocated before the switch stay valid: each buffer remembers its pool.
    """
    global _configured
    with _lock:
        if not _configured:
            _configured = True
            import pyarrow as pa  # here: the command line imports this module at its start

            pa.set_memory_pool(pa.system_memory_pool())
            limit_arenas()


# glibc gives a thread that finds the arenas busy one of its own, up to 8 per core, and
# each keeps its free pages: the stores' native threads (ladybug's, Lance's, the graph
# and chunk writers) each held some through a full index. With two from the process's
# start, Django's cold index peaked at 490 MB summed over the process tree instead of
# 519 (medians of 3, builds alternating, load 1.4-1.8), its wall within the noise.
ARENAS = 2
# `mallopt`'s parameter for the most arenas (malloc.h).
_M_ARENA_MAX = -8


def limit_arenas(count: int = ARENAS) -> bool:
    """Ask glibc for at most `count` arenas from now on (those made before stay): call
    before threads start. False where the C library has no `mallopt` or refuses."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None) if libc is not None else None
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, count))


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, or None where it cannot be loaded."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None where the C library has none."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release() -> bool:
    """Give the allocator's free pages back to the system; whether any were. Costs a
    walk over the free chunks of every arena (a few milliseconds on a gigabyte heap):
    call it after a burst of native work, not per request."""
    trim = _malloc_trim()
    if trim is None:
        return False
    started = time.perf_counter()
    released = bool(trim(0))
    log.debug("malloc_trim in %.1f ms", (time.perf_counter() - started) * 1000)
    return released
