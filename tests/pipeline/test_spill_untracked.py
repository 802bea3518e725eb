"""What pass 2 of a full index holds by the hundred thousand (the call sites, imports
and bases read back from the spill, and their resolved targets) is left out of the
cycle collector: on Django every collection walked 200,000 call sites and as many
targets again, about a fifth of pass 2's Python time."""

from __future__ import annotations

import gc
from pathlib import Path

import msgspec

from kenning.core.facts import EdgeFacts
from kenning.languages import Resolvers
from kenning.languages.python import PYTHON
from kenning.pipeline.indexer import _Spill
from kenning.resolve.model import WorkspaceModels

SOURCE = """\
import os
from collections import OrderedDict


class Base:
    def step(self):
        return os.getcwd()


class Sub(Base, OrderedDict):
    def step(self):
        return super().step()


def run(x: Base):
    return x.step()
"""


def test_spilled_facts_and_their_targets_are_not_tracked(tmp_path: Path) -> None:
    facts = PYTHON.extract_facts("app.py", SOURCE.encode(), "app")
    models = WorkspaceModels()
    models.add_facts(facts)
    with _Spill(tmp_path) as spill:
        spill.write_encoded(msgspec.msgpack.encode([EdgeFacts.of(facts)]))
        (edges,) = [part for part in spill.read()]
    (read,) = edges
    assert read == EdgeFacts.of(facts)
    resolved = Resolvers(models).resolve_file(read)
    targets = [t for r in (resolved.calls, resolved.imports, resolved.bases) for t in r]
    overridden = next(t for t in resolved.calls if t.more)  # `x.step()`: `Sub.step` too
    assert overridden.id == "app.py#Base.step"
    held = [*read.calls, *read.imports, *read.bases, *targets, *overridden.more]
    assert len(read.calls) >= 3 and len(read.imports) == 2 and len(read.bases) == 2
    assert [o for o in held if gc.is_tracked(o)] == []
