"""Memory the native allocators keep after a burst of native work goes back to the system
(`storage/native_memory.py`): the cause of a full index's inflated peak and of a
daemon's RSS rising under a steady stream of edits."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pyarrow as pa
import pytest

from helpers import DAEMON_DIR
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


_HELD = """\
import ctypes, ctypes.util, os, sys
from kenning.storage import native_memory
if sys.argv[1] == "held":
    assert native_memory.hold_mmap_threshold()
    assert os.environ[native_memory.MMAP_THRESHOLD_ENV] == str(native_memory.MMAP_THRESHOLD)
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
# A 16 MiB block freed raises a threshold left to itself to 16 MiB; held, it stays.
libc.free(libc.malloc(16 << 20))
block = libc.malloc(8 << 20)
# glibc marks a chunk mapped of its own in the size word before it (IS_MMAPPED, 0x2).
print(bool(ctypes.c_size_t.from_address(block - 8).value & 2))
"""


@pytest.mark.skipif(
    getattr(native_memory._libc(), "mallopt", None) is None, reason="the C library has no mallopt"
)
def test_large_blocks_stay_mapped_of_their_own_once_the_threshold_is_held() -> None:
    """A block of a few megabytes freed by the stores must go back to the system, not
    stay in an arena: glibc's threshold, left to itself, rises past such blocks after
    the first one is freed (the command line holds it from its start)."""
    env = {k: v for k, v in os.environ.items() if k != native_memory.MMAP_THRESHOLD_ENV}
    env["PYTHONPATH"] = DAEMON_DIR
    found = {
        how: subprocess.run(
            [sys.executable, "-c", _HELD, how],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for how in ("left", "held")
    }
    assert found == {"left": "False", "held": "True"}
