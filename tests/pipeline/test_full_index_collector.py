"""A full index, and loading the resolution model, spare the cyclic collector what they
keep, and give it back as they found it."""

from __future__ import annotations

import gc
import weakref

from helpers import Workspace
from kenning.pipeline.indexer import load_model

FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": "def f():\n    return g()\n\n\ndef g():\n    return 1\n",
    "pkg/b.py": "from pkg.a import f\n\n\nclass C:\n    def m(self):\n        return f()\n",
}


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    """A reference cycle nothing else refers to: only the cyclic collector frees it."""
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_garbage_left_during_an_index_is_collected_after_it(workspace: Workspace) -> None:
    gc.collect()
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    gc.disable()  # the cycle must still be there when the index freezes what it keeps
    try:
        cycle = _cycle()
        engine = workspace.indexed(FILES)
    finally:
        gc.enable()
    assert {s.name for s in engine.symbols("f")} >= {"f"}
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert cycle() is None


def test_garbage_left_during_an_index_is_collected_when_the_caller_had_frozen(
    workspace: Workspace,
) -> None:
    """A daemon freezes its long-lived objects (the resolution model) and reindexes:
    what the index leaves as garbage (the previous model) is collected afterwards, as
    the daemon collects before it freezes again."""
    gc.collect()
    gc.freeze()
    gc.disable()  # the cycle must still be there when the index freezes what it keeps
    try:
        cycle = _cycle()
        workspace.indexed(FILES)
    finally:
        gc.enable()
        gc.collect()
        collected = cycle() is None
        gc.unfreeze()
    assert collected


def test_loading_the_model_leaves_the_collector_as_it_found_it(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    for enabled in (True, False):
        if not enabled:
            gc.disable()
        try:
            model = load_model(engine.graph)
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
        names = {info.name for info in model.model("python").symbols.values()}
        assert names >= {"f", "g", "C", "m"}
