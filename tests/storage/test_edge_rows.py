"""A full index's edge rows, made a file at a time: every column as the schema orders
it, and a word that many rows hold (how an edge was resolved, an import's kind) held
once, not once a row: a part of 100,000 rows held as many copies."""

from __future__ import annotations

from pathlib import Path

from helpers import Workspace
from kenning.core.facts import CallSite, EdgeFacts
from kenning.languages import LANGUAGES, Resolvers
from kenning.languages.python import PYTHON
from kenning.resolve.model import WorkspaceModels
from kenning.storage.graph import _Rows, call_site_text, stored_call
from kenning.storage.schema import EDGE_TABLES, line_col, position

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


FIXTURES = Path(__file__).parents[1] / "languages"
# Code that runs without call syntax: a call site with a kind of its own (`implicit`).
IMPLICIT = """\
def deco(fn):
    return fn


class Box:
    @property
    def size(self):
        return 1

    def __getitem__(self, key):
        return key

    def __len__(self):
        return 0

    def double(self):
        return self.size * 2


@deco
def use(box: Box):
    box.size
    box[0]
    return len(box)
"""


def _fixture_calls() -> list[CallSite]:
    """Every call site that extraction finds in the language fixtures and `SOURCE`."""
    calls = list(PYTHON.extract_facts("app.py", SOURCE.encode(), "app").calls)
    calls += PYTHON.extract_facts("box.py", IMPLICIT.encode(), "box").calls
    for path in sorted(FIXTURES.glob("*/fixtures/**/*")):
        language = next((lang for lang in LANGUAGES if path.suffix in lang.suffixes), None)
        if language is None or not path.is_file():
            continue
        rel = path.relative_to(FIXTURES).as_posix()
        calls += language.extract_facts(rel, path.read_bytes(), rel.replace("/", ".")).calls
    return calls


def test_a_stored_call_is_the_call_site_it_was_written_from() -> None:
    calls = _fixture_calls()
    texts = [call_site_text(call) for call in calls]
    # Both kinds are exercised: calls whose text says it all, and the others
    # (`super().step()`, Java's argument types, receivers' stated types, implicit calls).
    assert texts.count("") > 50 and len(texts) - texts.count("") > 20
    assert {"property", "protocol", "decorator"} <= {call.implicit for call in calls}
    for call, text in zip(calls, texts, strict=True):
        assert stored_call(call.caller, call.callee, call.span, text) == call


def test_a_position_keeps_its_line_and_column_in_order() -> None:
    cases = [(0, 0), (1, 4), (7, 2**32 - 1), (2**20, 12), (9, 10)]
    for line, col in cases:
        assert line_col(position(line, col)) == (line, col)
    assert sorted(cases) == sorted(cases, key=lambda lc: position(*lc))


def test_edges_read_back_from_the_store_are_the_extracted_sites(workspace: Workspace) -> None:
    files = {
        "app.py": SOURCE,
        "use.py": (
            "from app import Base, Sub\n\n\n"
            "def go(b: Base, items):\n"
            "    b.step()\n"
            "    Sub().run()\n"
            "    items[0]\n"
            "    return b.step(1, key=2)\n"
        ),
    }
    engine = workspace.indexed(files)
    facts = {
        path: PYTHON.extract_facts(path, text.encode(), path[:-3]) for path, text in files.items()
    }
    stored = engine.graph.edges_into(
        ["app.py#Base.step", "app.py#Sub.step", "app.py#Base.run", "ext:os.getcwd"], []
    )
    calls = [edge for edge in stored if edge.table == "CALLS"]
    assert len({edge.path for edge in calls}) == 2
    for edge in calls:
        assert edge.fact in facts[edge.path].calls, edge
