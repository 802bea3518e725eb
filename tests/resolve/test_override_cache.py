"""The resolver keeps the overrides it found for a method until the model changes:
a subclass that gains an override after the first resolution is linked the next time."""

from __future__ import annotations

from kenning.core.graph import Resolution
from kenning.languages import Resolvers
from kenning.languages.python import PYTHON
from kenning.resolve.model import WorkspaceModels

BASE = """\
class Base:
    def run(self):
        return self.step()

    def step(self):
        return 1
"""
SUB = """\
from base import Base


class Sub(Base):
    pass
"""


def step_targets(resolvers: Resolvers, models: WorkspaceModels) -> set[tuple[str, str]]:
    facts = PYTHON.extract_facts("base.py", BASE.encode(), "base")
    resolved = resolvers.resolve_file(facts)
    call = next(i for i, c in enumerate(facts.calls) if c.name == "step")
    target = resolved.calls[call]
    return {(t.id, str(t.resolution)) for t in (target, *target.more)}


def test_an_override_added_later_is_found_by_the_same_resolver() -> None:
    models = WorkspaceModels()
    models.add_facts(PYTHON.extract_facts("base.py", BASE.encode(), "base"))
    models.add_facts(PYTHON.extract_facts("sub.py", SUB.encode(), "sub"))
    resolvers = Resolvers(models)
    assert step_targets(resolvers, models) == {("base.py#Base.step", str(Resolution.SELF))}
    # Asked twice, answered the same (from the cache).
    assert step_targets(resolvers, models) == {("base.py#Base.step", str(Resolution.SELF))}

    with_step = SUB.replace("    pass", "    def step(self):\n        return 2")
    models.replace(PYTHON.extract_facts("sub.py", with_step.encode(), "sub"))

    assert step_targets(resolvers, models) == {
        ("base.py#Base.step", str(Resolution.SELF)),
        ("sub.py#Sub.step", str(Resolution.OVERRIDE)),
    }
