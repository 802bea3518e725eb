"""Java extraction, checked table by table: source in, expected facts out."""

from __future__ import annotations

import textwrap

import pytest

from kenning.core.facts import FileFacts
from kenning.languages import for_language_id, for_path
from kenning.languages.java import JAVA
from kenning.languages.java.layout import module_name

PATH = "src/main/java/com/acme/Shop.java"
MODULE = "com.acme.Shop"


def facts_of(source: str | bytes, path: str = PATH, module: str = MODULE) -> FileFacts:
    data = textwrap.dedent(source).encode() if isinstance(source, str) else source
    return JAVA.extract_facts(path, data, module)


def check(source: str, expected: list[tuple], fields: tuple[str, ...], kind: str) -> None:
    """The facts of `kind` ("symbols", "imports", ...), projected on `fields`, in order."""
    facts = facts_of(source)
    got = [tuple(getattr(fact, f) for f in fields) for fact in getattr(facts, kind)]
    assert got == expected
    assert not [d for d in facts.diagnostics if d.severity == "error"]


def test_registered() -> None:
    assert for_path("a/B.java") is JAVA
    assert for_language_id("java") is JAVA


# -- names ---------------------------------------------------------------------

LAYOUT_CASES = [
    ("Foo.java", "Foo"),
    ("com/acme/Foo.java", "com.acme.Foo"),
    ("src/main/java/com/acme/Foo.java", "com.acme.Foo"),
    ("app/src/test/java/com/acme/FooTest.java", "com.acme.FooTest"),
    ("src/com/acme/Foo.java", "com.acme.Foo"),
    ("java.base/java/util/List.java", "java.util.List"),
    ("my-app/org/x/Y.java", "org.x.Y"),
]


@pytest.mark.parametrize(("path", "expected"), LAYOUT_CASES)
def test_module_name_from_path(path: str, expected: str) -> None:
    assert module_name(path) == expected


def test_package_declaration_names_the_module_not_the_path() -> None:
    facts = facts_of("package org.real;\nclass Shop {}\n", path="odd/place/Shop.java")
    assert facts.module == "org.real.Shop"
    assert [s.qualname for s in facts.symbols] == ["org.real.Shop", "org.real.Shop"]
    assert [s.kind for s in facts.symbols] == ["module", "class"]


def test_default_package_falls_back_to_the_path() -> None:
    facts = facts_of("class Shop {}\n", path="src/com/acme/Shop.java", module="com.acme.Shop")
    assert facts.module == "com.acme.Shop"
    assert facts.symbols[1].qualname == "com.acme.Shop"


# -- symbols -------------------------------------------------------------------

SYMBOL_CASES = [
    (
        "types, members, constructors, nesting",
        """
        package com.acme;
        public class Shop<T> extends Base implements Api {
            Shop(int size) { }
            void open() { }
            static class Inner { void run() { } }
            interface Listener { void fired(); }
            enum Color { RED, GREEN; int rgb() { return 0; } }
            record Point(int x, int y) { Point { } }
            @interface Tag { String value() default ""; }
        }
        interface Api extends Other { }
        """,
        [
            ("#", "module", "com.acme.Shop", None),
            ("#Shop", "class", "com.acme.Shop", "#"),
            ("#Shop.Shop", "method", "com.acme.Shop.Shop", "#Shop"),
            ("#Shop.open", "method", "com.acme.Shop.open", "#Shop"),
            ("#Shop.Inner", "class", "com.acme.Shop.Inner", "#Shop"),
            ("#Shop.Inner.run", "method", "com.acme.Shop.Inner.run", "#Shop.Inner"),
            ("#Shop.Listener", "interface", "com.acme.Shop.Listener", "#Shop"),
            ("#Shop.Listener.fired", "method", "com.acme.Shop.Listener.fired", "#Shop.Listener"),
            ("#Shop.Color", "enum", "com.acme.Shop.Color", "#Shop"),
            ("#Shop.Color.RED", "constant", "com.acme.Shop.Color.RED", "#Shop.Color"),
            ("#Shop.Color.GREEN", "constant", "com.acme.Shop.Color.GREEN", "#Shop.Color"),
            ("#Shop.Color.rgb", "method", "com.acme.Shop.Color.rgb", "#Shop.Color"),
            ("#Shop.Point", "class", "com.acme.Shop.Point", "#Shop"),
            ("#Shop.Point.Point", "method", "com.acme.Shop.Point.Point", "#Shop.Point"),
            ("#Shop.Tag", "interface", "com.acme.Shop.Tag", "#Shop"),
            ("#Shop.Tag.value", "method", "com.acme.Shop.Tag.value", "#Shop.Tag"),
            ("#Api", "interface", "com.acme.Api", "#"),
        ],
    ),
    (
        "overloads get @2; anonymous class methods belong to the enclosing method",
        """
        package com.acme;
        class Shop {
            void f() { }
            void f(int x) { }
            void g() { new Runnable() { public void run() { } }; }
        }
        """,
        [
            ("#", "module", "com.acme.Shop", None),
            ("#Shop", "class", "com.acme.Shop", "#"),
            ("#Shop.f", "method", "com.acme.Shop.f", "#Shop"),
            ("#Shop.f@2", "method", "com.acme.Shop.f", "#Shop"),
            ("#Shop.g", "method", "com.acme.Shop.g", "#Shop"),
            ("#Shop.g.run", "method", "com.acme.Shop.g.run", "#Shop.g"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in SYMBOL_CASES], ids=[c[0] for c in SYMBOL_CASES]
)
def test_symbols(source: str, expected: list[tuple]) -> None:
    facts = facts_of(source)
    got = [
        (
            s.id.removeprefix(PATH),
            s.kind,
            s.qualname,
            s.parent.removeprefix(PATH) if s.parent else None,
        )
        for s in facts.symbols
    ]
    assert got == expected
    assert not facts.diagnostics


def test_signatures_docs_annotations_and_ranges() -> None:
    source = """\
    package com.acme;

    /**
     * A shop.
     * @since 1
     */
    @Deprecated
    public final class Shop<T> extends Base<T> implements Api, Other {
        /** Opens it. */
        @Override
        public @Nullable <U> java.util.List<U> open(final Foo f, int... rest) throws IOException {
            return null;
        }

        Shop(int size) { }

        abstract void close();
    }
    """
    facts = facts_of(source)
    by_local = {s.id.partition("#")[2]: s for s in facts.symbols}
    shop, open_ = by_local["Shop"], by_local["Shop.open"]
    ctor, close = by_local["Shop.Shop"], by_local["Shop.close"]
    assert shop.signature == "<T> extends Base<T> implements Api, Other"
    assert shop.docstring == "A shop.\n@since 1"
    assert shop.decorators == ("Deprecated",)
    assert (shop.span.start_line, shop.span.end_line) == (6, 17)
    assert (shop.selection.start_line, shop.selection.start_col) == (7, 19)
    assert (
        open_.signature == "<U>(final Foo f, int... rest) -> java.util.List<U> throws IOException"
    )
    assert open_.docstring == "Opens it."
    assert open_.decorators == ("Override", "Nullable")
    assert ctor.signature == "(int size)"
    assert close.signature == "() -> void"


# -- imports -------------------------------------------------------------------

IMPORT_CASES = [
    ("import java.util.List;", [("java.util", "List", "List", "name", "")]),
    ("import java.util.*;", [("java.util", "*", "*", "wildcard", "")]),
    ("import static java.lang.Math.max;", [("java.lang.Math", "max", "max", "name", "static")]),
    ("import static org.junit.Assert.*;", [("org.junit.Assert", "*", "*", "wildcard", "static")]),
    ("import a.b.Outer.Inner;", [("a.b.Outer", "Inner", "Inner", "name", "")]),
]


@pytest.mark.parametrize(("source", "expected"), IMPORT_CASES)
def test_imports(source: str, expected: list[tuple]) -> None:
    check(
        f"package x;\n{source}\nclass Shop {{}}\n",
        expected,
        ("module", "name", "alias", "kind", "extra"),
        "imports",
    )


# -- calls ---------------------------------------------------------------------

CALL_CASES = [
    ("m();", [("m", "m", None, "")]),
    ("this.m();", [("this.m", "m", "this", "")]),
    ("super.m();", [("super.m", "m", "super", "")]),
    # A name this file declares nowhere: a field of a supertype (`this->Util`), which
    # the resolver looks for first, else a type name.
    ("Util.m();", [("Util.m", "m", "Util", "this->Util")]),
    # A chain's links as the resolver follows them, from the same undeclared head.
    (
        "a.b().c();",
        [("a.b", "b", "a", "this->a"), ("a.b().c", "c", "a.b()", "this->a->b()")],
    ),
    (
        "p.get().c();",
        [("p.get", "get", "p", "Param"), ("p.get().c", "c", "p.get()", "Param->get()")],
    ),
    ("get().c();", [("get", "get", None, ""), ("get().c", "c", "get()", "this->get()")]),
    ("new Foo(1);", [("new Foo", "Foo", None, "")]),
    ("new a.b.Foo<String>();", [("new a.b.Foo", "Foo", None, "")]),
    ("Foo f = get(); f.run();", [("get", "get", None, ""), ("f.run", "run", "f", "Foo")]),
    ("var f = new Foo(); f.run();", [("new Foo", "Foo", None, ""), ("f.run", "run", "f", "Foo")]),
    ("var f = get(); f.run();", [("get", "get", None, ""), ("f.run", "run", "f", "this->get()")]),
    ("p.run();", [("p.run", "run", "p", "Param")]),
    ("field.run();", [("field.run", "run", "field", "Field")]),
    ("this.field.run();", [("this.field.run", "run", "this.field", "Field")]),
    (
        "List<Foo> xs = of(); xs.add(null);",
        [("of", "of", None, ""), ("xs.add", "add", "xs", "List")],
    ),
    ("int[] a = {}; a.clone();", [("a.clone", "clone", "a", "")]),
    ("for (Foo g : gs) g.run();", [("g.run", "run", "g", "Foo")]),
    ("Runnable r = () -> p.run();", [("p.run", "run", "p", "Param")]),
    ("call(p -> p.run());", [("call", "call", None, ""), ("p.run", "run", "p", "")]),
    ("if (o instanceof Foo g) g.run();", [("g.run", "run", "g", "Foo")]),
    (
        "try (Foo g = open()) { g.run(); }",
        [("open", "open", None, ""), ("g.run", "run", "g", "Foo")],
    ),
]


@pytest.mark.parametrize(("body", "expected"), CALL_CASES)
def test_calls(body: str, expected: list[tuple]) -> None:
    source = f"""
    package x;
    class Shop {{
        private Field field;
        void m(Param p) {{ {body} }}
    }}
    """
    check(source, expected, ("callee", "name", "receiver", "receiver_type"), "calls")


def test_calls_belong_to_their_innermost_definition() -> None:
    facts = facts_of(
        """
        package x;
        class Shop {
            Helper h = make();
            Shop() { this(1); }
            Shop(int n) { super(); }
            void m() { Runnable r = new Runnable() { public void run() { go(); } }; }
        }
        """
    )
    got = [(c.caller.partition("#")[2], c.callee) for c in facts.calls]
    assert got == [
        ("Shop", "make"),
        ("Shop.Shop", "this"),
        ("Shop.Shop@2", "super"),
        ("Shop.m", "new Runnable"),
        ("Shop.m.run", "go"),
    ]


# -- bases ---------------------------------------------------------------------

BASE_CASES = [
    ("class A extends B {}", [("A", "B")]),
    ("class A extends B<C> implements I, a.J<K> {}", [("A", "B<C>"), ("A", "I"), ("A", "a.J<K>")]),
    ("interface A extends I, J {}", [("A", "I"), ("A", "J")]),
    ("enum A implements I { X }", [("A", "I")]),
    ("record A(int x) implements I {}", [("A", "I")]),
    ("class A { class B extends A {} }", [("A.B", "A")]),
]


@pytest.mark.parametrize(("source", "expected"), BASE_CASES)
def test_bases(source: str, expected: list[tuple]) -> None:
    facts = facts_of(f"package x;\n{source}\n")
    assert [(b.class_id.partition("#")[2], b.expr) for b in facts.bases] == expected


# -- chunks --------------------------------------------------------------------


def test_chunks_outline_types_and_keep_members_whole() -> None:
    facts = facts_of(
        """
        package com.acme;

        /** Doc. */
        public class Shop {
            private int size;

            public int size() {
                return size;
            }

            enum Color { RED, GREEN }
        }
        """
    )
    chunks = {c.symbol_id.partition("#")[2]: c for c in facts.chunks}
    assert set(chunks) == {"", "Shop", "Shop.size", "Shop.Color"}
    outline = chunks["Shop"].code
    assert "public int size() { ... }" in outline
    assert "return size;" not in outline
    assert chunks["Shop"].text.startswith("// ")
    assert "return size;" in chunks["Shop.size"].code
    assert all(c.language == "java" for c in facts.chunks)


# -- robustness ----------------------------------------------------------------

BAD_INPUTS = [
    ("syntax errors", b"package x;\nclass A { void f( { g(); } \nclass B extends { }\n"),
    ("unterminated comment", b"package x;\n/** never closed\nclass A {}\n"),
    ("binary noise", bytes(range(256)) * 20),
    ("invalid utf-8", b'package x;\nclass A { String s = "\xff\xfe"; void f() { g(); } }\n'),
    ("empty", b""),
    ("only a package", b"package x.y;"),
]


@pytest.mark.parametrize(("source",), [(c[1],) for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_never_raises(source: bytes) -> None:
    facts = facts_of(source)
    assert facts.symbols[0].kind == "module"
    assert not [d for d in facts.diagnostics if d.message.startswith("internal error")]


def test_syntax_errors_keep_partial_facts() -> None:
    facts = facts_of(b"package x;\nclass A {\n  void f() { g( }\n  void h() { k(); }\n}\n")
    assert "h" in {s.name for s in facts.symbols}
    assert any(d.message == "syntax error" for d in facts.diagnostics)


def test_minified_and_long_lines_extract_everything() -> None:
    # Their speed is measured in bench/languages.py, not timed here.
    methods = "".join(f"void m{i}(){{m{i + 1}();new T{i}().x();}}" for i in range(3000))
    minified = f"package x;class A{{{methods}}}".encode()
    long_line = b'package x;\nclass B { String s = "' + b"a" * 400_000 + b'"; void f() { g(); } }\n'
    facts = facts_of(minified)
    long_facts = facts_of(long_line)
    assert len(facts.symbols) == 3002
    assert len(facts.calls) == 9000
    assert [c.name for c in long_facts.calls] == ["g"]
    assert long_facts.chunks


def test_deep_nesting_does_not_recurse() -> None:
    depth = 2000
    source = "package x;\nclass A { void f() { int x = " + "(" * depth + "1" + ")" * depth + "; } }"
    facts = facts_of(source)
    assert [s.name for s in facts.symbols] == ["Shop", "A", "f"]
