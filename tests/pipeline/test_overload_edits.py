"""Saves that add, remove or change one of a name's overloads, with calls of the name
in a file never saved.

A name declared more than once in a class numbers its declarations (`show`,
`show@2`, `show@3`): removing the first gives the others the ids before theirs, so
an edge into `show@2` would mean another method; and a call chooses among the
overloads by its arguments, so an overload added may be the one it chooses now. Each
step is checked against a fresh index of the same files.
"""

from __future__ import annotations

from helpers import Workspace, fresh_index, save, stored
from kenning.engine import Engine

SHOW = {
    "int": '    public static String show(int x) { return "i"; }\n',
    "String": '    public static String show(String s) { return "s"; }\n',
    "long": '    public static String show(long x) { return "l"; }\n',
}


USE = 'package p;\n\nclass Use {\n    String run() { return Fmt.show("a"); }\n}\n'


def _fmt(*overloads: str) -> str:
    return "package p;\n\npublic class Fmt {\n" + "".join(SHOW[o] for o in overloads) + "}\n"


def _target(engine: Engine) -> list[tuple[str, str]]:
    return sorted(
        (n.symbol.id, n.resolution)
        for n in engine.neighbours("src/p/Use.java#Use.run", incoming=False)
    )


def _check(engine: Engine) -> None:
    engine.flush()
    assert stored(engine) == fresh_index(engine.root, lambda e: None)[0]


def test_calls_follow_an_overload_whose_id_moved(workspace: Workspace) -> None:
    files = {
        "src/p/Fmt.java": _fmt("int", "String", "long"),
        "src/p/Use.java": USE,
    }
    engine = workspace.indexed(files)
    assert _target(engine) == [("src/p/Fmt.java#Fmt.show@2", "same-file")]
    # The first overload goes: the String one is `show` now, and `show@2` the long one.
    save(engine, "src/p/Fmt.java", _fmt("String", "long"))
    assert _target(engine) == [("src/p/Fmt.java#Fmt.show", "same-file")]
    _check(engine)
    # It comes back after the others: `show@3` now, the String one `show` still.
    save(engine, "src/p/Fmt.java", _fmt("String", "long", "int"))
    assert _target(engine) == [("src/p/Fmt.java#Fmt.show", "same-file")]
    _check(engine)


def test_calls_choose_an_overload_added_beside_the_one_they_reached(
    workspace: Workspace,
) -> None:
    files = {
        "src/p/Fmt.java": _fmt("int"),
        "src/p/Use.java": USE,
    }
    engine = workspace.indexed(files)
    before = _target(engine)
    save(engine, "src/p/Fmt.java", _fmt("int", "String"))
    assert _target(engine) == [("src/p/Fmt.java#Fmt.show@2", "same-file")] != before
    _check(engine)
