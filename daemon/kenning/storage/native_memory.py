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
the command line's start) and maps large blocks of their own at a fixed size
(`hold_mmap_threshold`, from the command line's start too), and `release` asks glibc
to return the free pages of every arena after a burst of native work: each part of a
full index's bulk load, each deferred write. Where the C library has no `malloc_trim`
or `mallopt` (musl, macOS) these do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
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
    return _mallopt(_M_ARENA_MAX, count)


# glibc serves a block of at least its mmap threshold with a mapping of its own, unmapped
# when freed, and a smaller one from an arena, whose pages stay with the process after a
# free until something trims them. The threshold starts at 128 KiB and rises to the size
# of each mapped block freed, up to 32 MiB: after a full index's first COPYs and appends,
# the stores' buffers of a few megabytes came from arenas and stayed there, and so did
# the full-text index build's. Held at 4 MiB, in this process and (through the
# environment) in the processes it starts, Django's cold index peaked at 447-455 MB
# summed over the process tree instead of 478-487 MB, its wall the same (10.04 and
# 10.08 s, medians of 3, builds alternating, load about 1.5); at 128 KiB it peaked at
# 437-439 MB but took 7 % longer (a mapping for every block of 128 KiB and more).
MMAP_THRESHOLD = 4 * 1024 * 1024
_M_MMAP_THRESHOLD = -3
# The variable glibc reads at a process's start for the same setting (its trailing
# underscore included).
MMAP_THRESHOLD_ENV = "MALLOC_MMAP_THRESHOLD_"


def hold_mmap_threshold(size: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at `size` in this process and in the processes it
    starts (the parse workers, through the environment). Where the environment sets it
    already, glibc read it at this process's start: that setting stays. False where
    nothing was set here: that, or a C library without `mallopt`."""
    if MMAP_THRESHOLD_ENV in os.environ:
        return False
    os.environ[MMAP_THRESHOLD_ENV] = str(size)
    return _mallopt(_M_MMAP_THRESHOLD, size)


def _mallopt(param: int, value: int) -> bool:
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None) if libc is not None else None
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(param, value))


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
