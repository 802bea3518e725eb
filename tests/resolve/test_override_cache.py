"""The resolver keeps the overrides it found for a method until the model changes:
asked again, it answers without walking the subclasses again, and a subclass that
gains an override after the first resolution is linked the next time."""

from __future__ import annotations

from typing import Any

import pytest

from kenning.core.graph import Resolution
from kenning.languages import Resolvers
from kenning.languages.python import PYTHON
from kenning.languages.python import resolve as python_resolve
from kenning.resolve.model import SymInfo, WorkspaceModels

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
SUB_WITH_STEP = SUB.replace("    pass", "    def step(self):\n        return 2")


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

    models.replace(PYTHON.extract_facts("sub.py", SUB_WITH_STEP.encode(), "sub"))

    assert step_targets(resolvers, models) == {
        ("base.py#Base.step", str(Resolution.SELF)),
        ("sub.py#Sub.step", str(Resolution.OVERRIDE)),
    }


def counted_walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The classes whose subclasses are walked for overrides, in order, from now on."""
    walks: list[str] = []
    walk = python_resolve.subtypes_nearest_first

    def counted(subtypes: Any, cls: str) -> Any:
        walks.append(cls)
        return walk(subtypes, cls)

    monkeypatch.setattr(python_resolve, "subtypes_nearest_first", counted)
    return walks


def test_a_virtual_call_asked_again_does_not_walk_the_subclasses_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full index asks for the overrides of the same method at thousands of call
    sites (`self.save()` in every model of Django), each answer a walk of every
    subclass: within a generation the walk is made once."""
    models = WorkspaceModels()
    models.add_facts(PYTHON.extract_facts("base.py", BASE.encode(), "base"))
    models.add_facts(PYTHON.extract_facts("sub.py", SUB_WITH_STEP.encode(), "sub"))
    resolvers = Resolvers(models)
    walks = counted_walks(monkeypatch)
    for _ in range(3):
        assert step_targets(resolvers, models) == {
            ("base.py#Base.step", str(Resolution.SELF)),
            ("sub.py#Sub.step", str(Resolution.OVERRIDE)),
        }
    assert walks == ["base.py#Base"]


def test_a_method_nothing_else_defines_is_not_looked_for_in_subclasses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where no other class defines a method's name, no subclass overrides it: its
    subclasses are not walked (on Django, half of the methods asked about)."""
    models = WorkspaceModels()
    models.add_facts(PYTHON.extract_facts("base.py", BASE.encode(), "base"))
    models.add_facts(PYTHON.extract_facts("sub.py", SUB.encode(), "sub"))
    resolvers = Resolvers(models)
    walks = counted_walks(monkeypatch)
    assert step_targets(resolvers, models) == {("base.py#Base.step", str(Resolution.SELF))}
    assert walks == []


def test_whether_members_are_named_under_their_class_does_not_depend_on_order() -> None:
    """Skipping the walk relies on every class member's qualified name being its
    class's and its own joined; a model read back from the store gets members before
    their class as often as not, and counts them as named under it all the same; one
    that is not is counted, which turns the skip off."""
    models = WorkspaceModels()
    models.add_facts(PYTHON.extract_facts("base.py", BASE.encode(), "base"))
    written = models.model("python")
    assert written.irregular_members == set()

    read_back = WorkspaceModels()
    read_back.add_file_row("base.py", "python", "base")
    for info in reversed(list(written.symbols.values())):  # members first
        read_back.add_symbol_row(info)
    assert read_back.model("python").irregular_members == set()

    odd = SymInfo(
        "base.py#Base.odd", "odd", "base.elsewhere.odd", "method", "base.py#Base", "base.py"
    )
    read_back.add_symbol_row(odd)
    assert read_back.model("python").irregular_members == {odd.id}


HIERARCHY = """\
class Base:
    def run(self):
        return self.step()

    def step(self):
        return 1


class Mid(Base):
    def step(self):
        return 2


class Leaf(Mid):
    pass


class Mixin:
    def step(self):
        return 3


class Mixed(Mixin, Base):
    pass


class Late(Base, Mixin):
    pass


class Left(Base):
    pass


class Right(Base):
    def step(self):
        return 4


class Diamond(Left, Right):
    pass
""" + "".join(f"\n\nclass Plain{n}(Base):\n    pass\n" for n in range(20))


def test_subclasses_that_reach_no_other_definition_are_not_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Of a walk of `Base`'s subclasses for overrides of `step`, only those that reach
    another class defining `step` through their bases, without passing `Base`, are
    looked `step` up on: the twenty `PlainN(Base)` are not. What the walk finds is what
    asking every subclass finds: `Mid` and `Right` override, `Mixed` gets `Mixin`'s
    (listed first); `Late` gets `Base`'s, `Leaf` `Mid`'s and `Diamond` `Right`'s."""
    models = WorkspaceModels()
    models.add_facts(PYTHON.extract_facts("base.py", HIERARCHY.encode(), "base"))
    resolvers = Resolvers(models)
    resolvers.warm()
    asked: list[str] = []
    member = python_resolve.PythonResolver._class_member

    def counted(self: Any, cls: str, name: str, include_own: bool) -> Any:
        asked.append(cls)
        return member(self, cls, name, include_own)

    monkeypatch.setattr(python_resolve.PythonResolver, "_class_member", counted)
    facts = PYTHON.extract_facts("base.py", HIERARCHY.encode(), "base")
    resolved = resolvers.resolve_file(facts)
    target = resolved.calls[next(i for i, c in enumerate(facts.calls) if c.name == "step")]
    overrides = {t.id for t in target.more}
    assert overrides == {"base.py#Mid.step", "base.py#Mixin.step", "base.py#Right.step"}
    assert not [cls for cls in asked if "Plain" in cls]
    assert "base.py#Late" in asked  # reaches `Mixin` besides `Base`: asked, finds `Base`'s
