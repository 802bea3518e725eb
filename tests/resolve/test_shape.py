"""Resolution caches that outlive edits of function bodies (`WorkspaceModel.shape`):
kept when a save changes only bodies, dropped when a class's bases change, so an
override is linked while the subclass inherits and not after."""

from __future__ import annotations

from helpers import Workspace, rows
from kenning.engine import Engine
from kenning.languages.python.resolve import PythonResolver

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


def calls_resolved(engine: Engine, resolution: str) -> set[str]:
    """Every stored call edge of that resolution, as "caller -> target"."""
    found = rows(
        engine,
        "MATCH (a:Symbol)-[e:CALLS]->(b:Symbol) WHERE e.resolution = $how RETURN a.id, b.id",
        {"how": resolution},
    )
    return {f"{a} -> {b}" for a, b in found}


def overrides(engine: Engine) -> set[str]:
    return calls_resolved(engine, "override")


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


def test_a_method_added_or_removed_keeps_the_shape_and_its_overrides_follow(
    workspace: Workspace,
) -> None:
    """Adding a method to a class is the commonest edit of a class: it must not rebuild
    the workspace's subclass map (300 ms a save on Django's `query.py`), and a virtual
    call it overrides, resolved again (its file saved), must reach it, and no longer
    once it is gone."""
    plain_sub = SUB.replace("    def step(self):\n        return 2\n", "    pass\n")
    engine = workspace.indexed({"base.py": BASE, "sub.py": plain_sub})
    engine.apply_changes([("sub.py", plain_sub + "\n")])
    resolver = engine.indexer._resolvers_for(engine.indexer.model).language_resolver("sub.py")
    assert isinstance(resolver, PythonResolver)
    model = engine.indexer.model.model("python")
    shape = model.shape
    assert overrides(engine) == set()
    children = resolver._subtypes()
    engine.apply_changes([("sub.py", SUB)])
    assert model.shape == shape
    engine.apply_changes([("base.py", BASE.replace("return 1", "return 10"))])
    assert overrides(engine) == {"base.py#Base.run -> sub.py#Sub.step"}
    assert resolver._subtypes() is children  # kept, not rebuilt
    engine.apply_changes([("sub.py", plain_sub)])
    assert model.shape == shape
    engine.apply_changes([("base.py", BASE)])
    assert overrides(engine) == set()


PROPERTY_USER = """\
class Box:
    def measure(self):
        return self.size

    def size(self):
        return 1
"""


def test_a_method_that_becomes_a_property_is_read_as_one_at_the_next_save(
    workspace: Workspace,
) -> None:
    """Which names are property accessors is read per name, per change: a decorator
    added to a method elsewhere makes `self.size` a call of it without any shape
    change, and taking it away undoes that."""
    engine = workspace.indexed({"box.py": PROPERTY_USER, "other.py": "X = 1\n"})
    engine.apply_changes([("other.py", "X = 2\n")])
    model = engine.indexer.model.model("python")
    shape = model.shape
    assert calls_resolved(engine, "property") == set()
    as_property = PROPERTY_USER.replace("    def size", "    @property\n    def size")
    engine.apply_changes([("box.py", as_property)])
    assert model.shape == shape
    assert calls_resolved(engine, "property") == {"box.py#Box.measure -> box.py#Box.size"}
    engine.apply_changes([("box.py", PROPERTY_USER)])
    assert calls_resolved(engine, "property") == set()


JAVA_BASE = "package p;\npublic class Base {\n    void step() {}\n    void run() { step(); }\n}\n"
JAVA_SUB = "package p;\npublic class Sub extends Base {\n}\n"
TS_SHAPES = (
    "export class Circle {\n  area() { return 1; }\n}\n"
    "export class Big extends Circle {\n}\n"
    "export function total(c: Circle) { return c.area(); }\n"
)


def test_a_method_added_to_a_java_or_typescript_subclass_is_an_override_at_once(
    workspace: Workspace,
) -> None:
    engine = workspace.indexed(
        {"p/Base.java": JAVA_BASE, "p/Sub.java": JAVA_SUB, "s.ts": TS_SHAPES}
    )
    engine.apply_changes([("p/Sub.java", JAVA_SUB + "\n"), ("s.ts", TS_SHAPES + "\n")])
    shapes = {lang: engine.indexer.model.model(lang).shape for lang in ("java", "typescript")}
    assert overrides(engine) == set()
    with_step = JAVA_SUB.replace("{\n}", "{\n    void step() {}\n}")
    with_area = TS_SHAPES.replace(
        "extends Circle {\n}", "extends Circle {\n  area() { return 2; }\n}"
    )
    engine.apply_changes([("p/Sub.java", with_step), ("s.ts", with_area)])
    assert {lang: engine.indexer.model.model(lang).shape for lang in shapes} == shapes
    engine.apply_changes([("p/Base.java", JAVA_BASE + "\n")])  # its calls resolved again
    assert overrides(engine) == {
        "p/Base.java#Base.run -> p/Sub.java#Sub.step",
        "s.ts#total -> s.ts#Big.area",
    }
    engine.apply_changes([("p/Sub.java", JAVA_SUB), ("s.ts", TS_SHAPES)])
    engine.apply_changes([("p/Base.java", JAVA_BASE)])
    assert overrides(engine) == set()


def test_the_subtype_maps_are_built_before_the_first_edit(workspace: Workspace) -> None:
    """What a save needs from the whole workspace is loaded with the model after a
    catch-up (`Engine.prepare_for_edits`), in every language that keeps a subtype map:
    the first save of a class in the JDK's sources waited half a second for Java's."""
    engine = workspace.indexed(
        {"p/Base.java": JAVA_BASE, "p/Sub.java": JAVA_SUB, "s.ts": TS_SHAPES}
    )
    engine.prepare_for_edits()
    resolvers = engine.indexer._resolvers_for(engine.indexer.model)
    for path in ("p/Sub.java", "s.ts"):
        resolver = resolvers.language_resolver(path)
        assert resolver is not None
        assert getattr(resolver, "_children", None) is not None, path


ORDERED = {
    "p/Many.java": "package p;\nimport java.io.Serializable;\n"
    "public class Many extends Base implements Serializable, Comparable<Many>, Runnable, "
    "CharSequence {\n}\n",
    "p/Base.java": JAVA_BASE,
    "m.py": "from a import x\nfrom b import *\nfrom c import *\nfrom d import x\n\n\n"
    "class K(Zeta, Alpha, Mid):\n    pass\n",
}


def test_a_model_read_back_from_the_store_has_the_shape_extraction_gives(
    workspace: Workspace,
) -> None:
    """Bases and imports come back in the order the source states them: a class's bases
    are searched in that order, the last import binding a name wins, and a first save
    that found them otherwise changed the shape (the subtype map rebuilt, 500 ms in the
    JDK's sources), though the file had not changed."""
    workspace.indexed(ORDERED).close()
    engine = workspace.open()
    engine.prepare_for_edits()  # the model, read from the stores
    for path, text in ORDERED.items():
        model = engine.indexer.model.model_of(path)
        assert model is not None
        shape = model.shape
        engine.apply_changes([(path, text + "\n")])
        assert model.shape == shape, path


JAVA_OTHER_BASE = (
    "package q;\npublic class Base {\n    void step() {}\n    void run() { step(); }\n}\n"
)
JAVA_SUB_STEP = "package p;\npublic class Sub extends Base {\n    void step() {}\n}\n"


def test_a_java_import_keeps_the_subtype_map_unless_a_supertype_changes(
    workspace: Workspace,
) -> None:
    """A Java file's imports are its own: one added that leaves its types' supertypes
    as they were keeps the subtype map (no rebuild of the workspace's), and one that
    makes `extends Base` name another class moves the override with it."""
    engine = workspace.indexed(
        {"p/Base.java": JAVA_BASE, "q/Base.java": JAVA_OTHER_BASE, "p/Sub.java": JAVA_SUB_STEP}
    )
    engine.prepare_for_edits()
    resolver = engine.indexer._resolvers_for(engine.indexer.model).language_resolver("p/Sub.java")
    assert resolver is not None
    children = resolver._subtypes()  # type: ignore[attr-defined]
    model = engine.indexer.model.model("java")
    shape = model.shape
    with_import = JAVA_SUB_STEP.replace("package p;\n", "package p;\nimport java.util.List;\n")
    engine.apply_changes([("p/Sub.java", with_import)])
    assert model.shape != shape
    assert resolver._subtypes() is children  # type: ignore[attr-defined]
    engine.apply_changes(
        [("p/Base.java", JAVA_BASE + "\n"), ("q/Base.java", JAVA_OTHER_BASE + "\n")]
    )
    assert overrides(engine) == {"p/Base.java#Base.run -> p/Sub.java#Sub.step"}
    other = JAVA_SUB_STEP.replace("package p;\n", "package p;\nimport q.Base;\n")
    engine.apply_changes([("p/Sub.java", other)])
    assert resolver._subtypes() is not children  # type: ignore[attr-defined]
    engine.apply_changes([("p/Base.java", JAVA_BASE), ("q/Base.java", JAVA_OTHER_BASE)])
    assert overrides(engine) == {"q/Base.java#Base.run -> p/Sub.java#Sub.step"}
