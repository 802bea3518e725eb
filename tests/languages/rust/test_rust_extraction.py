"""Rust extraction, checked table by table: source in, expected facts out."""

from __future__ import annotations

import textwrap

import pytest

from kenning.core.facts import FileFacts, ImportKind
from kenning.languages import for_language_id, for_path
from kenning.languages.rust import RUST

PATH = "src/shop.rs"
MODULE = "demo::shop"


def facts_of(source: str | bytes) -> FileFacts:
    data = textwrap.dedent(source).encode() if isinstance(source, str) else source
    return RUST.extract_facts(PATH, data, MODULE)


def check(source: str, expected: list[tuple], fields: tuple[str, ...], kind: str) -> None:
    """The facts of `kind` ("symbols", "imports", ...), projected on `fields`, in order."""
    facts = facts_of(source)
    got = [tuple(getattr(fact, f) for f in fields) for fact in getattr(facts, kind)]
    assert got == expected
    assert not [d for d in facts.diagnostics if d.severity == "error"]


def test_registered_by_suffix_and_language_id() -> None:
    assert for_path("src/main.rs") is RUST
    assert for_language_id("rust") is RUST


# -- symbols -------------------------------------------------------------------

SYMBOL_CASES = [
    (
        "items of every kind",
        """
        pub fn free(a: u32) -> u32 { a }
        pub struct Point { x: i32 }
        pub struct Unit;
        pub struct Pair(u8, u8);
        pub union Bits { i: u32, f: f32 }
        pub enum Shape { Dot, Line(u8) }
        pub type Id = u64;
        pub const MAX: usize = 3;
        pub static NAME: &str = "x";
        extern "C" { fn abs(input: i32) -> i32; }
        """,
        [
            ("function", "demo::shop::free", "src/shop.rs#", "(a: u32) -> u32"),
            ("struct", "demo::shop::Point", "src/shop.rs#", ""),
            ("struct", "demo::shop::Unit", "src/shop.rs#", ""),
            ("struct", "demo::shop::Pair", "src/shop.rs#", ""),
            ("struct", "demo::shop::Bits", "src/shop.rs#", ""),
            ("enum", "demo::shop::Shape", "src/shop.rs#", ""),
            ("type", "demo::shop::Id", "src/shop.rs#", ""),
            ("constant", "demo::shop::MAX", "src/shop.rs#", ""),
            ("constant", "demo::shop::NAME", "src/shop.rs#", ""),
            ("function", "demo::shop::abs", "src/shop.rs#", "(input: i32) -> i32"),
        ],
    ),
    (
        "impl methods belong to their type, inherent or trait impl, generic or not",
        """
        struct Cart<T> { items: Vec<T> }
        impl<T> Cart<T> {
            fn new() -> Self { todo!() }
        }
        impl<T: Clone> Clone for Cart<T> {
            fn clone(&self) -> Self { todo!() }
        }
        impl Display for u32 {
            fn fmt(&self, f: &mut Formatter) -> Result { todo!() }
        }
        impl fmt::Debug for other::Remote {
            fn fmt(&self) {}
        }
        """,
        [
            ("struct", "demo::shop::Cart", "src/shop.rs#", ""),
            ("method", "demo::shop::Cart::new", "src/shop.rs#Cart", "() -> Self"),
            ("method", "demo::shop::Cart::clone", "src/shop.rs#Cart", "(&self) -> Self"),
            (
                "method",
                "demo::shop::u32::fmt",
                "src/shop.rs#",
                "(&self, f: &mut Formatter) -> Result",
            ),
            ("method", "demo::shop::Remote::fmt", "src/shop.rs#", "(&self)"),
        ],
    ),
    (
        "traits hold required and default methods; supertraits are the signature",
        """
        pub trait Shape: Debug + Clone {
            fn area(&self) -> f64;
            fn twice(&self) -> f64 { self.area() * 2.0 }
        }
        """,
        [
            ("trait", "demo::shop::Shape", "src/shop.rs#", ": Debug + Clone"),
            ("method", "demo::shop::Shape::area", "src/shop.rs#Shape", "(&self) -> f64"),
            ("method", "demo::shop::Shape::twice", "src/shop.rs#Shape", "(&self) -> f64"),
        ],
    ),
    (
        "inline modules are namespaces; their impls keep the type's name",
        """
        mod declared_elsewhere;
        pub mod inner {
            pub struct S;
            impl S { pub fn go(&self) {} }
            fn helper() { fn nested() {} }
        }
        """,
        [
            ("namespace", "demo::shop::inner", "src/shop.rs#", ""),
            ("struct", "demo::shop::inner::S", "src/shop.rs#inner", ""),
            ("method", "demo::shop::inner::S::go", "src/shop.rs#inner.S", "(&self)"),
            ("function", "demo::shop::inner::helper", "src/shop.rs#inner", "()"),
            ("function", "demo::shop::inner::helper::nested", "src/shop.rs#inner.helper", "()"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in SYMBOL_CASES], ids=[c[0] for c in SYMBOL_CASES]
)
def test_symbols(source: str, expected: list[tuple]) -> None:
    facts = facts_of(source)
    got = [(s.kind, s.qualname, s.parent, s.signature) for s in facts.symbols[1:]]
    assert got == expected
    assert facts.symbols[0].qualname == MODULE
    assert facts.symbols[0].name == "shop"


def test_docs_attributes_and_ranges() -> None:
    facts = facts_of(
        """\
        //! The shop module.
        //! Sells things.

        /// A point.
        ///
        /// With two lines.
        #[derive(Debug, Clone)]
        #[repr(C)]
        pub struct Point { x: i32 }

        // A plain comment is no doc.
        fn plain() {}

        /** Block docs. */
        fn block() {}
        """
    )
    module, point, plain, block = facts.symbols
    assert module.docstring == "The shop module.\nSells things."
    assert point.docstring == "A point.\n\nWith two lines."
    assert point.decorators == ("derive(Debug, Clone)", "repr(C)")
    assert (point.span.start_line, point.span.end_line) == (8, 8)
    assert (point.selection.start_line, point.selection.start_col) == (8, 11)
    assert plain.docstring == ""
    assert block.docstring == "Block docs."


# -- imports -------------------------------------------------------------------

IMPORT_CASES = [
    (
        "plain path",
        "use std::collections::HashMap;",
        [("std::collections", "HashMap", "HashMap", ImportKind.NAME, False)],
    ),
    (
        "alias",
        "use crate::a::Thing as Other;",
        [("crate::a", "Thing", "Other", ImportKind.NAME, False)],
    ),
    (
        "nested groups with self and glob",
        "use crate::a::{b::{self, c as d}, e::*, f};",
        [
            ("crate::a", "b", "b", ImportKind.NAME, False),
            ("crate::a::b", "c", "d", ImportKind.NAME, False),
            ("crate::a::e", "*", "*", ImportKind.WILDCARD, False),
            ("crate::a", "f", "f", ImportKind.NAME, False),
        ],
    ),
    (
        "super and re-export",
        "pub use super::x::Y;",
        [("super::x", "Y", "Y", ImportKind.NAME, True)],
    ),
    (
        "crate-visible re-export",
        "pub(crate) use self::m::*;",
        [("self::m", "*", "*", ImportKind.WILDCARD, True)],
    ),
    (
        "extern prelude path",
        "use ::serde::Serialize;",
        [("::serde", "Serialize", "Serialize", ImportKind.NAME, False)],
    ),
    ("single segment", "use regex;", [("", "regex", "regex", ImportKind.NAME, False)]),
    (
        "trait brought in unnamed",
        "use std::io::Write as _;",
        [("std::io", "Write", "_", ImportKind.NAME, False)],
    ),
    (
        "extern crate",
        "extern crate serde_json as json;",
        [("serde_json", None, "json", ImportKind.MODULE, False)],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in IMPORT_CASES], ids=[c[0] for c in IMPORT_CASES]
)
def test_imports(source: str, expected: list[tuple]) -> None:
    check(source, expected, ("module", "name", "alias", "kind", "reexport"), "imports")


def test_an_import_inside_a_function_binds_in_that_function() -> None:
    facts = facts_of("fn f() { use crate::a::g; g(); }")
    assert [i.scope for i in facts.imports] == ["src/shop.rs#f"]


# -- calls ---------------------------------------------------------------------

CALL_CASES = [
    (
        "plain, path, generic and associated calls",
        """
        fn f() {
            g();
            a::b::h();
            parse::<u8>();
            Vec::<u8>::new();
            Point::new(1, 2);
            <Point as Default>::default();
        }
        """,
        [
            ("src/shop.rs#f", "g", "g", None, ""),
            ("src/shop.rs#f", "a::b::h", "h", "a::b", ""),
            ("src/shop.rs#f", "parse::<u8>", "parse", None, ""),
            ("src/shop.rs#f", "Vec::<u8>::new", "new", "Vec::<u8>", ""),
            ("src/shop.rs#f", "Point::new", "new", "Point", ""),
            ("src/shop.rs#f", "<Point as Default>::default", "default", "<Point as Default>", ""),
        ],
    ),
    (
        "receivers carry the type the code states",
        """
        struct Shop { till: Till, log: Box<dyn Log> }
        impl Shop {
            fn sell(&self, item: &Item, mut n: Count, items: Vec<Item>, any: impl Price) {
                item.price();
                n.bump();
                items.len();
                any.cost();
                self.till.open();
                self.log.write();
                let a: crate::m::A = make();
                a.go();
                let b = B::new();
                b.go();
                let c = C { x: 1 };
                c.go();
                let d = parse();
                d.go();
                self.done();
                make().go();
            }
        }
        """,
        [
            ("src/shop.rs#Shop.sell", "item.price", "price", "item", "Item"),
            ("src/shop.rs#Shop.sell", "n.bump", "bump", "n", "Count"),
            ("src/shop.rs#Shop.sell", "items.len", "len", "items", "Vec"),
            ("src/shop.rs#Shop.sell", "any.cost", "cost", "any", "Price"),
            ("src/shop.rs#Shop.sell", "self.till.open", "open", "self.till", "Till"),
            ("src/shop.rs#Shop.sell", "self.log.write", "write", "self.log", "Log"),
            ("src/shop.rs#Shop.sell", "make", "make", None, ""),
            ("src/shop.rs#Shop.sell", "a.go", "go", "a", "crate::m::A"),
            ("src/shop.rs#Shop.sell", "B::new", "new", "B", ""),
            ("src/shop.rs#Shop.sell", "b.go", "go", "b", "B"),
            ("src/shop.rs#Shop.sell", "c.go", "go", "c", "C"),
            ("src/shop.rs#Shop.sell", "parse", "parse", None, ""),
            ("src/shop.rs#Shop.sell", "d.go", "go", "d", ""),
            ("src/shop.rs#Shop.sell", "self.done", "done", "self", ""),
            ("src/shop.rs#Shop.sell", "make().go", "go", "make()", ""),
            ("src/shop.rs#Shop.sell", "make", "make", None, ""),
        ],
    ),
    (
        "shadowing: the latest binding in scope gives the type",
        """
        fn f(x: A) {
            x.one();
            let x = parse();
            x.two();
            { let x: C = c(); x.three(); }
            x.four();
        }
        """,
        [
            ("src/shop.rs#f", "x.one", "one", "x", "A"),
            ("src/shop.rs#f", "parse", "parse", None, ""),
            ("src/shop.rs#f", "x.two", "two", "x", ""),
            ("src/shop.rs#f", "c", "c", None, ""),
            ("src/shop.rs#f", "x.three", "three", "x", "C"),
            ("src/shop.rs#f", "x.four", "four", "x", ""),
        ],
    ),
    (
        "macros are not calls; odd callees are named by what made them",
        """
        fn f() {
            println!("{}", g());
            (self.handler)();
            make()();
            table[0]();
            (|| 1)();
        }
        """,
        [
            ("src/shop.rs#f", "(self.handler)", "handler", "self", ""),
            ("src/shop.rs#f", "make()", "make", None, ""),
            ("src/shop.rs#f", "make", "make", None, ""),
            ("src/shop.rs#f", "table[0]", "table", None, ""),
            ("src/shop.rs#f", "(|| 1)", "(|| 1)", None, ""),
        ],
    ),
    (
        # One query pattern takes every call: the callee's node type says how it is
        # named, with the receiver's stated type only for a method call.
        "every callee form is named by its node type",
        """
        fn f(x: Foo) {
            x.m::<u8>();
            x.0();
            x.clone().0();
            ::std::mem::drop(x);
            crate::g::<u8>();
            1();
        }
        """,
        [
            ("src/shop.rs#f", "x.m::<u8>", "m", "x", "Foo"),
            ("src/shop.rs#f", "x.0", "x.0", None, ""),
            ("src/shop.rs#f", "x.clone().0", "x.clone().0", None, ""),
            ("src/shop.rs#f", "x.clone", "clone", "x", "Foo"),
            ("src/shop.rs#f", "::std::mem::drop", "drop", "::std::mem", ""),
            ("src/shop.rs#f", "crate::g::<u8>", "g", "crate", ""),
        ],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in CALL_CASES], ids=[c[0] for c in CALL_CASES]
)
def test_calls(source: str, expected: list[tuple]) -> None:
    check(source, expected, ("caller", "callee", "name", "receiver", "receiver_type"), "calls")


# -- bases ---------------------------------------------------------------------

BASE_CASES = [
    (
        "impl Trait for Type in the same scope, generic or not",
        """
        struct A;
        impl Clone for A { fn clone(&self) -> Self { A } }
        impl<T> From<T> for A { fn from(t: T) -> Self { A } }
        impl fmt::Display for A {}
        impl Remote for Elsewhere {}
        """,
        [
            ("src/shop.rs#A", "Clone"),
            ("src/shop.rs#A", "From<T>"),
            ("src/shop.rs#A", "fmt::Display"),
        ],
    ),
    (
        "supertraits, lifetimes left out",
        "trait T: A + b::C + Iterator<Item = u8> + 'static {}",
        [
            ("src/shop.rs#T", "A"),
            ("src/shop.rs#T", "b::C"),
            ("src/shop.rs#T", "Iterator<Item = u8>"),
        ],
    ),
    (
        "inside a module block",
        "mod m { struct S; impl Tr for S {} }",
        [("src/shop.rs#m.S", "Tr")],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in BASE_CASES], ids=[c[0] for c in BASE_CASES]
)
def test_bases(source: str, expected: list[tuple]) -> None:
    check(source, expected, ("class_id", "expr"), "bases")


# -- chunks --------------------------------------------------------------------


def test_an_impl_is_an_outline_with_stubs_and_each_method_its_own_chunk() -> None:
    body = "\n".join(f"        let v{i} = {i};" for i in range(8))
    source = f"""\
struct S;

impl S {{
    const K: u8 = 1;

    /// Makes one.
    pub fn new() -> Self {{
{body}
        S
    }}

    fn other(&self) -> u8 {{
{body}
        1
    }}
}}
"""
    facts = facts_of(source)
    texts = {c.symbol_id: c.text for c in facts.chunks if c.kind != "module"}
    outline = next(c.text for c in facts.chunks if c.code.startswith("impl S {"))
    assert outline == (
        "// demo::shop\n"
        "impl S {\n"
        "    const K: u8 = 1;\n"
        "\n"
        "    /// Makes one.\n"
        "    pub fn new() -> Self { ... }\n"
        "\n"
        "    fn other(&self) -> u8 { ... }\n"
        "}"
    )
    # The doc comment sits in the outline, above the method's chunk: the header has it.
    assert texts["src/shop.rs#S.new"].startswith(
        "// S.new() -> Self\n// Makes one.\n    pub fn new() -> Self {"
    )
    assert texts["src/shop.rs#S.other"].startswith("// S.other(&self) -> u8\n    fn other(")


# -- parsing never fails -------------------------------------------------------

BAD_INPUTS = [
    ("syntax errors", b"fn f( { let x = ; impl for {} struct }\nfn ok() { g(); }\n"),
    ("unterminated string", b'fn f() { let s = "never closed; }\n'),
    ("binary noise", bytes(range(256)) * 4),
    ("invalid utf-8", b'fn f() { let s = "\xff\xfe"; g(); }'),
    ("deep nesting", b"fn f() { " + b"{ " * 3000 + b"g();" + b" }" * 3000 + b" }"),
    ("empty", b""),
]


@pytest.mark.parametrize("source", [c[1] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_yields_partial_facts_not_exceptions(source: bytes) -> None:
    facts = facts_of(source)
    assert facts.symbols[0].kind == "module"
    assert not [d for d in facts.diagnostics if "internal error" in d.message]


def test_syntax_errors_keep_the_good_parts_and_report_diagnostics() -> None:
    facts = facts_of(BAD_INPUTS[0][1])
    assert "demo::shop::ok" in [s.qualname for s in facts.symbols]
    assert ("src/shop.rs#ok", "g") in [(c.caller, c.callee) for c in facts.calls]
    assert any(d.message == "syntax error" for d in facts.diagnostics)


def test_minified_and_very_long_lines_extract_everything() -> None:
    # A generated file: 300 items on one 17 kB line, then a 1 MB literal on one line.
    # Their speed is measured in bench/languages.py, not timed here.
    line = " ".join(
        f"pub fn f{i}(x: u32) -> u32 {{ g{i}(x).h(); S{i}::new() }}" for i in range(300)
    )
    blob = 'pub static BLOB: &str = "' + "x" * 1_000_000 + '";'
    facts = facts_of(f"{line}\n{blob}\nfn after() {{ g(); }}\n".encode())
    assert len(facts.symbols) == 303
    assert len(facts.calls) == 901
    assert facts.symbols[-1].qualname == "demo::shop::after"
