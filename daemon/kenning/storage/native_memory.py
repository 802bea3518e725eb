"""Memory that native allocators keep after it is freed, handed back to the system.

A full index builds Arrow tables for every `COPY FROM` and the graph store's worker
threads allocate while they copy; both free what they used, but by default the memory
stays with the process: Arrow's bundled allocator keeps its pages for reuse, and glibc
keeps each thread arena's freed chunks until something trims them. Summed over a full
index of Django that retention was a third of the peak (about 860 MB with it, 630 MB
without). So kenning allocates Arrow memory with the system allocator (what Arrow
frees goes back to glibc) and asks glibc to return freed pages after each large write
(`release`). Where glibc is not the C library, `release` does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
import threading

import pyarrow as pa

log = logging.getLogger(__name__)

_configured = False
_lock = threading.Lock()
_trim: ctypes._NamedFuncPointer | None = None


def configure() -> None:
    """Use the system allocator for Arrow memory from now on; once per process.

    Arrow's default (jemalloc or mimalloc, bundled) keeps freed pages in its own pools,
    where glibc's trim cannot reach them. Tables allocated before the switch stay valid:
    each buffer remembers the pool it came from.
    """
    global _configured, _trim
    with _lock:
        if _configured:
            return
        _configured = True
        pa.set_memory_pool(pa.system_memory_pool())
        if sys.platform.startswith("linux"):
            name = ctypes.util.find_library("c")
            try:
                libc = ctypes.CDLL(name or "libc.so.6")
                _trim = libc.malloc_trim
            except (OSError, AttributeError):  # musl has no malloc_trim
                _trim = None
            else:
                _trim.argtypes = [ctypes.c_size_t]
                _trim.restype = ctypes.c_int


def release() -> None:
    """Give the pages freed so far back to the system (every glibc arena, not only the
    calling thread's). Costs a few milliseconds: call it after large writes, not per row."""
    if _trim is not None:
        _trim(0)
