"""A full index's edge rows, made a file at a time: every column as the schema orders
it, and a word that many rows hold (how an edge was resolved, an import's kind) held
once, not once a row: a part of 100,000 rows held as many copies."""

from __future__ import annotations

from kenning.core.facts import EdgeFacts
from kenning.languages import Resolvers
from kenning.languages.python import PYTHON
from kenning.resolve.model import WorkspaceModels
from kenning.storage.graph import _Rows
from kenning.storage.schema import EDGE_TABLES

SOURCE = """\
import os
from collections import OrderedDict


class Base(OrderedDict):
    def step(self):
        return os.getcwd()

    def run(self):
        return self.step() + self.step() + len(os.listdir())


class Sub(Base):
    def step(self):
        return super().step()
"""


def test_edge_rows_hold_each_column_and_share_repeated_words() -> None:
    facts = PYTHON.extract_facts("app.py", SOURCE.encode(), "app")
    models = WorkspaceModels()
    models.add_facts(facts)
    resolved = Resolvers(models).resolve_file(facts)
    rows = _Rows()
    rows.add_edges(EdgeFacts.of(facts), resolved)

    for table, columns in EDGE_TABLES.items():
        assert list(rows.edges[table]) == ["from", "to", *(name for name, _ in columns)]
        lengths = {len(values) for values in rows.edges[table].values()}
        assert len(lengths) == 1 and lengths != {0}, table
    calls = rows.edges["CALLS"]
    # `self.step()` twice: each a `self` edge to `Base.step` and an override edge.
    assert calls["to"].count("app.py#Sub.step") == 2
    assert [
        calls["resolution"][i] for i, t in enumerate(calls["to"]) if t == "app.py#Sub.step"
    ] == [
        "override",
        "override",
    ]
    imports = rows.edges["IMPORTS"]
    assert imports["kind"] == ["module", "name"]
    for table, column in (("CALLS", "resolution"), ("IMPORTS", "resolution"), ("IMPORTS", "kind")):
        values = rows.edges[table][column]
        assert all(type(v) is str for v in values)
        assert len({id(v) for v in values}) == len(set(values)), (table, column)
