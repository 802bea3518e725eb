"""Which base a Python member is found on: the class's method resolution order, as
Python computes it (C3), not the nearest base breadth first.

The diamond below is Django's lookups (`YearExact(YearLookup, Exact)`, where `Exact`
reaches `Lookup` through `BuiltinLookup`): breadth first reaches `Lookup` through
`YearLookup` a level before `BuiltinLookup`, while Python finds
`BuiltinLookup.process_lhs`. The orders themselves (`resolve/lookup.py`) are checked
against what Python and the JVM's rules give, cycles and inconsistent bases included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import pytest

from helpers import EDGE_QUERIES, Workspace, rows
from kenning.engine import Engine
from kenning.resolve.lookup import breadth_first_order, c3_order, classes_first_order

WORKSPACE = {
    "lookups.py": """
        class Lookup:
            def process_lhs(self):
                return 1

            def as_sql(self):
                return self.process_lhs()


        class BuiltinLookup(Lookup):
            def process_lhs(self):
                return 2


        class YearLookup(Lookup):
            pass


        class Exact(BuiltinLookup):
            pass


        class YearExact(YearLookup, Exact):
            def as_sql(self):
                return super().process_lhs()


        class Base:
            def run(self):
                return 0


        class Mixin:
            def run(self):
                return 1


        class Sub(Base):
            pass


        class Leaf(Sub, Mixin):
            pass


        class First(Base, Mixin):
            pass


        class Second(Mixin, Base):
            pass


        class Bad(First, Second):
            pass


        def use(year: YearExact, leaf: Leaf, bad: Bad):
            year.process_lhs()
            leaf.run()
            bad.run()
        """,
}


@pytest.fixture
def engine(workspace: Workspace) -> Engine:
    return workspace.indexed(WORKSPACE)


def _targets(engine: Engine) -> dict[tuple[str, str], set[tuple[str, str]]]:
    found: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for source, text, target, how, _ in rows(engine, EDGE_QUERIES["CALLS"]):
        found[source, text].add((target, how))
    return found


def test_a_member_is_found_in_the_method_resolution_order(engine: Engine) -> None:
    calls = _targets(engine)
    # YearExact, YearLookup, Exact, BuiltinLookup, Lookup: not Lookup before BuiltinLookup.
    assert calls["lookups.py#use", "year.process_lhs"] == {
        ("lookups.py#BuiltinLookup.process_lhs", "typed")
    }
    # super() starts after the class in that order too.
    assert calls["lookups.py#YearExact.as_sql", "super().process_lhs"] == {
        ("lookups.py#BuiltinLookup.process_lhs", "self")
    }
    # Leaf, Sub, Base, Mixin: a base's base before the next base.
    assert calls["lookups.py#use", "leaf.run"] == {("lookups.py#Base.run", "typed")}


def test_bases_python_cannot_order_are_looked_up_breadth_first(engine: Engine) -> None:
    # Python refuses `Bad` (`First` has Base before Mixin, `Second` the reverse): the
    # lookup still finds the nearest definition.
    assert _targets(engine)["lookups.py#use", "bad.run"] == {("lookups.py#Base.run", "typed")}


def _bases(graph: dict[str, list[str]]) -> Callable[[str], list[str]]:
    return lambda cls: graph.get(cls, [])


def test_c3_order_is_pythons() -> None:
    # The classic example of Python's documentation of C3.
    graph = {
        "A": ["B", "C", "D"],
        "B": ["E", "D"],
        "C": ["D", "F"],
        "D": ["O"],
        "E": ["O"],
        "F": ["O"],
    }
    assert c3_order("A", _bases(graph), {}) == ("A", "B", "E", "C", "D", "F", "O")
    assert breadth_first_order("A", _bases(graph)) == ("A", "B", "C", "D", "E", "F", "O")


def test_c3_order_is_none_for_inconsistent_bases_and_cycles() -> None:
    assert c3_order("Z", _bases({"Z": ["X", "Y"], "X": ["A", "B"], "Y": ["B", "A"]}), {}) is None
    assert c3_order("A", _bases({"A": ["B"], "B": ["A"]}), {}) is None
    # Each class's order is kept to be shared, a consistent one included.
    memo: dict[str, tuple[str, ...] | None] = {}
    assert c3_order("C", _bases({"C": ["B"], "B": ["A"]}), memo) == ("C", "B", "A")
    assert memo["B"] == ("B", "A")


def test_classes_come_before_interfaces_and_interfaces_before_their_own() -> None:
    graph = {
        "Datagram": ["Selectable", "Multicast", "Labelled"],
        "Selectable": ["Abstract"],
        "Abstract": ["Channel"],
        "Multicast": ["Channel"],
        "Labelled": ["Multicast"],
    }
    interfaces = {"Channel", "Multicast", "Labelled"}
    order = classes_first_order("Datagram", _bases(graph), interfaces.__contains__)
    assert order == ("Datagram", "Selectable", "Abstract", "Labelled", "Multicast", "Channel")
    # An interface's own order: it, then what it extends.
    assert classes_first_order("Labelled", _bases(graph), interfaces.__contains__) == (
        "Labelled",
        "Multicast",
        "Channel",
    )
    # A cycle of superclasses ends.
    cycle = {"A": ["B"], "B": ["A"]}
    assert classes_first_order("A", _bases(cycle), lambda _: False) == ("A", "B")
