"""Memory the native allocators keep after a burst of native work goes back to the system
(`storage/native_memory.py`): the cause of a full index's inflated peak and of a
daemon's RSS rising under a steady stream of edits."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

import psutil
import pyarrow as pa
import pytest

from kenning.engine.engine import Engine
from kenning.storage import native_memory


def test_an_open_engine_allocates_arrow_memory_from_the_system(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    with Engine.open(tmp_path) as engine:
        engine.index()
        assert pa.default_memory_pool().backend_name == "system"
        table = pa.table({"x": list(range(1000))})
        assert pa.system_memory_pool().bytes_allocated() >= table.nbytes


CHUNK = 64 * 1024  # below malloc's mmap threshold: served from an arena, not mmap
CHUNKS = 3200  # 200 MiB


@pytest.mark.skipif(native_memory._malloc_trim() is None, reason="the C library has no malloc_trim")
def test_memory_freed_below_a_live_allocation_is_given_back() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    process = psutil.Process()
    blocks = [libc.malloc(CHUNK) for _ in range(CHUNKS)]
    for block in blocks:
        libc.memset(block, 1, CHUNK)  # touched: resident
    # Free all but the last block: it sits above the freed ones, so the heap's top
    # cannot shrink and malloc keeps the 200 MiB below it, as it did for the writes.
    for block in blocks[:-1]:
        libc.free(block)
    kept = process.memory_info().rss
    assert native_memory.release()
    released = kept - process.memory_info().rss
    libc.free(blocks[-1])
    assert released > CHUNK * CHUNKS // 2, f"{released / 2**20:.0f} MiB released"
