"""Arrow memory comes from the system allocator once an engine is open, so what the
bulk load frees can be handed back (`storage/native_memory.py`)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from kenning.engine.engine import Engine


def test_an_open_engine_allocates_arrow_memory_from_the_system(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    with Engine.open(tmp_path) as engine:
        engine.index()
        assert pa.default_memory_pool().backend_name == "system"
        table = pa.table({"x": list(range(1000))})
        assert pa.system_memory_pool().bytes_allocated() >= table.nbytes
