"""The Python resolver's subclass map, kept from one shape of the model to the next
(`KeptSubtypes`): after each change that alters types, bases or imports, in the file
of a class or in a module its base is imported through, the map is what a fresh
resolver builds on the same model, and it was brought there by resolving again only
the classes that read what changed."""

from __future__ import annotations

from collections.abc import Callable

from helpers import Workspace, save
from kenning.engine import Engine
from kenning.languages.python.resolve import PythonResolver, _class_bases, _is_class
from kenning.languages.typescript.resolve import ScriptResolver, _is_classlike, _script_supertypes
from kenning.resolve.hierarchy import KeptSubtypes, MakeSupertypes
from kenning.resolve.model import SymInfo, WorkspaceModel

FILES = {
    "pkg/__init__.py": "from pkg.core import Core\n",
    "pkg/core.py": "class Core:\n    def run(self):\n        return 1\n",
    "pkg/other.py": "class Core:\n    pass\n\n\nclass Other:\n    pass\n",
    "a.py": "class A:\n    pass\n\n\nclass A2(A):\n    pass\n",
    "b.py": "from a import A\n\n\nclass B(A):\n    pass\n",
    "user.py": "from pkg import Core\n\n\n"
    "class U(Core):\n    def go(self):\n        return self.run()\n",
}

# Each step: (path, new text or None for a deletion).
EDITS = [
    ("user.py", "import json\n" + FILES["user.py"]),  # an import that changes nothing
    ("pkg/__init__.py", "from pkg.other import Core\n"),  # U's base, through a re-export
    ("pkg/__init__.py", FILES["pkg/__init__.py"]),  # and back
    ("a.py", "class A:\n    pass\n\n\nclass A2:\n    pass\n"),  # a base dropped
    ("c.py", "from a import A\n\n\nclass C(A):\n    pass\n\n\nclass D(C):\n    pass\n"),
    ("b.py", None),  # a subclass deleted
    ("a.py", "class A1:\n    pass\n\n\nclass A2(A1):\n    pass\n"),  # A renamed: C's base goes
    ("a.py", FILES["a.py"]),
    ("pkg/core.py", "from a import A\n\n\nclass Core(A):\n    pass\n"),  # a base deeper
]


def as_sets(children: dict[str, list[str]]) -> dict[str, set[str]]:
    return {base: set(subs) for base, subs in children.items() if subs}


def kept_through(
    engine: Engine,
    path: str,
    edits: list[tuple[str, str | None]],
    make: MakeSupertypes,
    is_type: Callable[[SymInfo], bool],
) -> dict[str, set[str]]:
    """Save each edit in turn; after each, the map kept by the resolver of `path`'s
    language is what a fresh resolver and a whole build give on the same model, and the
    same object brought up to date. Returns the map after the last."""
    resolver = engine.indexer._resolvers_for(engine.indexer.model).language_resolver(path)
    assert isinstance(resolver, PythonResolver | ScriptResolver)
    model = resolver.model
    resolver._subtypes()
    kept = resolver._kept_subtypes
    assert kept is not None
    for changed, text in edits:
        save(engine, changed, text)
        children = as_sets(resolver._subtypes())
        assert children == as_sets(type(resolver)(model)._subtypes()), (changed, text)
        assert children == as_sets(KeptSubtypes.build(model, make, is_type).children)
        assert resolver._kept_subtypes is kept  # brought up to date, not built again
    return as_sets(resolver._subtypes())


def test_the_kept_subclass_map_is_a_fresh_one_after_every_change(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    engine.apply_changes([("user.py", FILES["user.py"] + "\n")], defer=True)
    children = kept_through(engine, "a.py", EDITS, _class_bases, _is_class)
    assert children["a.py#A"] == {"a.py#A2", "c.py#C", "pkg/core.py#Core"}


def test_an_import_added_resolves_again_only_the_classes_that_read_its_file(
    workspace: Workspace,
) -> None:
    engine = workspace.indexed(FILES)
    engine.apply_changes([("user.py", FILES["user.py"] + "\n")], defer=True)
    resolver = engine.indexer._resolvers_for(engine.indexer.model).language_resolver("a.py")
    assert isinstance(resolver, PythonResolver)
    resolver._subtypes()
    kept = resolver._kept_subtypes
    assert kept is not None
    resolved: list[list[str]] = []
    original = kept._resolve

    def noting(model: WorkspaceModel, types: list[str]) -> None:
        resolved.append(list(types))
        original(model, types)

    kept._resolve = noting  # type: ignore[method-assign]
    engine.apply_changes([("b.py", "import json\n" + FILES["b.py"])], defer=True)
    resolver._subtypes()
    assert resolved == [["b.py#B"]]


TS_FILES = {
    "shapes.ts": "export class Base {\n  run() { return 1; }\n}\n",
    "other.ts": "export class Mid {}\n",
    "mid.ts": "import { Base } from './shapes';\nexport class Mid extends Base {}\n",
    "index.ts": "export { Mid } from './mid';\n",
    "leaf.ts": "import { Mid } from './index';\nexport class Leaf extends Mid {}\n",
}
TS_EDITS = [
    ("leaf.ts", "import { readFile } from 'fs';\n" + TS_FILES["leaf.ts"]),
    ("index.ts", "export { Mid } from './other';\n"),  # Leaf's base, through a re-export
    ("index.ts", TS_FILES["index.ts"]),
    ("more.ts", "import { Leaf } from './leaf';\nexport class More extends Leaf {}\n"),
    ("mid.ts", None),
    ("mid.ts", TS_FILES["mid.ts"]),
]


def test_the_kept_typescript_subtype_map_is_a_fresh_one_after_every_change(
    workspace: Workspace,
) -> None:
    engine = workspace.indexed(TS_FILES)
    engine.apply_changes([("leaf.ts", TS_FILES["leaf.ts"] + "\n")], defer=True)
    assert kept_through(engine, "leaf.ts", TS_EDITS, _script_supertypes, _is_classlike) == {
        "shapes.ts#Base": {"mid.ts#Mid"},
        "mid.ts#Mid": {"leaf.ts#Leaf"},
        "leaf.ts#Leaf": {"more.ts#More"},
    }
