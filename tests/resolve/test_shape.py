"""Resolution caches that outlive edits of function bodies (`WorkspaceModel.shape`):
kept when a save changes only bodies, dropped when a class's bases change, so an
override is linked while the subclass inherits and not after."""

from __future__ import annotations

from helpers import Workspace, rows
from kenning.engine import Engine

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
    def step(self):
        return 2
"""


def overrides(engine: Engine) -> set[str]:
    found = rows(
        engine,
        "MATCH (a:Symbol)-[e:CALLS]->(b:Symbol) WHERE e.resolution = 'override' RETURN a.id, b.id",
    )
    return {f"{a} -> {b}" for a, b in found}


def test_a_body_edit_keeps_the_shape_and_a_base_change_drops_it(workspace: Workspace) -> None:
    engine = workspace.indexed({"base.py": BASE, "sub.py": SUB})
    engine.apply_changes([("sub.py", SUB + "\n")])  # loads the model, warms the caches
    assert overrides(engine) == {"base.py#Base.run -> sub.py#Sub.step"}
    model = engine.indexer.model.model("python")
    shape = model.shape
    engine.apply_changes([("base.py", BASE.replace("return 1", "return 10"))])
    assert model.shape == shape  # only a body changed
    assert overrides(engine) == {"base.py#Base.run -> sub.py#Sub.step"}
    # Sub stops inheriting from Base: the next resolution of `self.step()` must see it,
    # though base.py itself did not change shape.
    engine.apply_changes([("sub.py", SUB.replace("class Sub(Base):", "class Sub:"))])
    assert model.shape != shape
    engine.apply_changes([("base.py", BASE.replace("return 1", "return 11"))])
    assert overrides(engine) == set()
    # And back: the override returns.
    engine.apply_changes([("sub.py", SUB)])
    engine.apply_changes([("base.py", BASE)])
    assert overrides(engine) == {"base.py#Base.run -> sub.py#Sub.step"}


def test_lines_inserted_above_the_imports_keep_the_shape(workspace: Workspace) -> None:
    """Where an import sits is no resolver's concern: a docstring or a blank line added
    at the top of a file must not rebuild the workspace's caches (a few hundred ms on
    Django), while changing what it imports must."""
    engine = workspace.indexed({"base.py": BASE, "sub.py": SUB})
    engine.apply_changes([("sub.py", SUB + "\n")])
    model = engine.indexer.model.model("python")
    shape = model.shape
    engine.apply_changes([("sub.py", '"""Subclasses."""\n\n' + SUB)])
    assert model.shape == shape
    assert overrides(engine) == {"base.py#Base.run -> sub.py#Sub.step"}
    engine.apply_changes(
        [("sub.py", SUB.replace("from base import Base", "from base import Base as B"))]
    )
    assert model.shape != shape
