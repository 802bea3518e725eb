"""Java overload choice: what a call states of its arguments, how each argument fits a
parameter, which overloads a call reaches, and that the choice survives a restart
(calls re-resolved from their stored rows). The annotated fixture
(`fixtures/shop/.../util/Report.java`) checks the same end to end."""

from __future__ import annotations

import textwrap

import pytest

from helpers import Workspace, stored_edges
from kenning.engine import Engine
from kenning.languages.java import JAVA
from kenning.languages.java.overloads import (
    BOX,
    EXACT,
    MAYBE,
    NO,
    WIDEN,
    choose,
    fit,
    parse_parameters,
)


def arguments_of(body: str) -> dict[str, str]:
    source = textwrap.dedent(
        """
        package com.acme;
        class Shop {
            int n;
            String[] names;
            void run(int a, String s, Foo f, long... rest) {
                var g = new Foo();
                BODY
            }
        }
        """
    ).replace("BODY", body)
    facts = JAVA.extract_facts("Shop.java", source.encode(), "com.acme.Shop")
    return {call.callee: call.arguments for call in facts.calls}


@pytest.mark.parametrize(
    "call,arguments",
    [
        ("m();", "()"),
        ("m(1, 2L, 3.0, 4f, 'c', \"s\", true, null);",
         "(int, long, double, float, char, String, boolean, null)"),
        ("m(a, s, f, g, rest, names, n);", "(int, String, Foo, Foo, long[], String[], int)"),
        ("m((Bar) f, new Baz<String>(), (a));", "(Bar, Baz, int)"),
        ("m(x(), a + 1, unknown);", "(?, ?, ?)"),
        ("this.m(a);", "(int)"),
        ("f.m(s);", "(String)"),
    ],
)  # fmt: skip
def test_a_call_states_its_arguments(call: str, arguments: str) -> None:
    found = arguments_of(call)
    callee = next(c for c in found if c.endswith("m"))
    assert found[callee] == arguments


def test_constructor_calls_state_their_arguments() -> None:
    assert arguments_of('new Foo(a, "x");')["new Foo"] == "(int, String)"


@pytest.mark.parametrize(
    "argument,parameter,expected",
    [
        ("int", "int", EXACT),
        ("int", "long", WIDEN),
        ("long", "int", NO),
        ("int", "Integer", BOX),
        ("Integer", "int", BOX),  # unboxing
        ("Integer", "long", BOX),  # unboxing, then widening
        ("int", "Object", BOX),
        ("int", "String", NO),
        ("String", "int", NO),
        ("String", "CharSequence", WIDEN),
        ("String", "Foo", NO),  # String is final
        ("Foo", "String", NO),
        ("Foo", "Object", WIDEN),
        ("null", "Foo", WIDEN),
        ("null", "int", NO),
        ("Foo", "Bar", MAYBE),  # a subtype relation is not known here
        ("Foo", "T", MAYBE),  # a type variable
        ("int[]", "int[]", EXACT),
        ("int[]", "long[]", NO),
        ("String[]", "Object", WIDEN),
        ("String", "String[]", NO),
        ("?", "int", MAYBE),
        ("java.util.List", "List", EXACT),
    ],
)
def test_how_an_argument_fits_a_parameter(argument: str, parameter: str, expected: int) -> None:
    assert fit(argument, parameter, frozenset()) == expected


def test_parameters_from_a_signature() -> None:
    signature = "<T extends Comparable<T>>(@Nullable final Map<K, V> m, T x, int... r) -> T"
    found = parse_parameters(signature)
    assert found is not None
    assert found.types == ("Map", "T", "int[]") and found.varargs
    assert found.type_variables == {"T"}
    receiver = parse_parameters("(Foo this, int a[])")
    assert receiver is not None and receiver.types == ("int[]",)


SHOW = [("int", "(int n)"), ("long", "(long n)"), ("str", "(String s)"), ("obj", "(Object o)")]


@pytest.mark.parametrize(
    "candidates,arguments,chosen",
    [
        (SHOW, "(int)", ["int"]),
        (SHOW, "(long)", ["long"]),
        (SHOW, "(char)", ["int"]),  # int and long without boxing; int is more specific
        (SHOW, "(Integer)", ["obj"]),  # Integer widens to Object before unboxing to int
        (SHOW, "(null)", ["str"]),  # String and Object take null; String is more specific
        (SHOW, "(String)", ["str"]),
        (SHOW, "(Foo)", ["obj"]),
        (SHOW, "(?)", ["int", "long", "str", "obj"]),
        (SHOW, "", ["int"]),  # nothing recorded: the first, as before
        ([("one", "(int a)"), ("two", "(int a, int b)")], "(?, ?)", ["two"]),
        ([("fixed", "(String a)"), ("var", "(String... a)")], "(String)", ["fixed"]),
        ([("fixed", "(String a)"), ("var", "(String... a)")], "(String, String)", ["var"]),
        ([("var", "(String... a)")], "()", ["var"]),
        # The subclass's override and the base's method: one method, the nearest.
        ([("sub", "(int a)"), ("base", "(int a)")], "(?)", ["sub"]),
        # Nothing fits: the overloads of the right arity, else all, stay candidates.
        ([("a", "(int a)"), ("b", "(String s)"), ("c", "()")], "(Foo)", ["a", "b"]),
        ([("a", "(int a)"), ("b", "(String s)")], "(?, ?, ?)", ["a", "b"]),
    ],
)
def test_which_overloads_a_call_reaches(
    candidates: list[tuple[str, str]], arguments: str, chosen: list[str]
) -> None:
    assert choose(candidates, arguments) == chosen


REPO_PATH = "src/com/acme/Repo.java"
REPO = """package com.acme;

public class Repo {
    public void save() {}
    public void save(int times) {}
    public void save(String name) {}
}
"""
APP_PATH = "src/com/acme/App.java"
APP = """package com.acme;

public class App {
    void run(Repo r, Object o) {
        r.save(1);
        r.save(o.name());
    }
}
"""


def targets(engine: Engine) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    saves = [
        e
        for e in stored_edges(engine)
        if e.path == APP_PATH and e.call is not None and e.call.name == "save"
    ]
    for e in sorted(saves, key=lambda e: e.dst):
        found.setdefault(e.span.start_line, []).append((e.dst.rpartition("#")[2], e.resolution))
    return found


def test_overload_choice_survives_a_restart(workspace: Workspace) -> None:
    engine = workspace.indexed({REPO_PATH: REPO, APP_PATH: APP})
    chosen = {
        4: [("Repo.save@2", "typed")],
        5: [("Repo.save@2", "candidate"), ("Repo.save@3", "candidate")],
    }
    assert targets(engine) == chosen
    engine.close()
    # Reopened, the calls are re-resolved from their stored rows when Repo changes.
    engine = workspace.open()
    engine.apply_changes([(REPO_PATH, "package com.acme;\n\npublic class Repo {}\n")])
    assert {how for sites in targets(engine).values() for _, how in sites} == {"unresolved"}
    engine.apply_changes([(REPO_PATH, REPO)])
    assert targets(engine) == chosen
