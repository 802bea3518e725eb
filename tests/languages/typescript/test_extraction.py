"""TypeScript and JavaScript extraction, checked table by table: source in, facts out."""

from __future__ import annotations

import textwrap

import pytest

from kenning.core.facts import FileFacts
from kenning.languages import for_path
from kenning.languages.javascript import JAVASCRIPT
from kenning.languages.typescript import TYPESCRIPT


def facts_of(source: str | bytes, path: str = "src/mod.ts") -> FileFacts:
    data = textwrap.dedent(source).encode() if isinstance(source, str) else source
    language = for_path(path)
    assert language is not None
    return language.extract(path, data, path.rpartition(".")[0])[0]


def check(
    source: str, expected: list[tuple], fields: tuple[str, ...], kind: str, path: str
) -> None:
    """The facts of `kind` ("symbols", "imports", ...), projected on `fields`, in order."""
    facts = facts_of(source, path)
    got = [tuple(getattr(fact, f) for f in fields) for fact in getattr(facts, kind)]
    assert got == expected
    assert not [d for d in facts.diagnostics if d.severity == "error"]


def test_registration() -> None:
    assert for_path("a.tsx") is TYPESCRIPT and for_path("a.d.ts") is TYPESCRIPT
    assert for_path("a.cjs") is JAVASCRIPT and for_path("a.jsx") is JAVASCRIPT
    assert "typescriptreact" in TYPESCRIPT.language_ids
    assert "javascriptreact" in JAVASCRIPT.language_ids
    assert "tsconfig.json" in TYPESCRIPT.layout_files


# -- symbols -------------------------------------------------------------------

SYMBOL_CASES = [
    (
        "classes, methods, fields holding arrows, functions and const arrows",
        "src/mod.ts",
        """
        /** A greeter.
         * Says hello. */
        export default class Greeter<T> extends Base<T> implements Speaker {
          /** Greets. */
          greet(name: string): string { return name; }
          handle = (e: Event) => this.greet("x");
        }
        export function top(a: number, b = 2): number { return a + b; }
        export const arrow = async (x: Foo): Promise<void> => {};
        const single = x => x;
        let expr = function (y) { return y; };
        """,
        [
            ("src/mod.ts#", "module", "src/mod", None, "", ""),
            (
                "src/mod.ts#Greeter",
                "class",
                "src/mod.Greeter",
                "src/mod.ts#",
                " extends Base<T> implements Speaker",
                "A greeter.\nSays hello.",
            ),
            (
                "src/mod.ts#Greeter.greet",
                "method",
                "src/mod.Greeter.greet",
                "src/mod.ts#Greeter",
                "(name: string): string",
                "Greets.",
            ),
            (
                "src/mod.ts#Greeter.handle",
                "method",
                "src/mod.Greeter.handle",
                "src/mod.ts#Greeter",
                "(e: Event)",
                "",
            ),
            (
                "src/mod.ts#top",
                "function",
                "src/mod.top",
                "src/mod.ts#",
                "(a: number, b = 2): number",
                "",
            ),
            (
                "src/mod.ts#arrow",
                "function",
                "src/mod.arrow",
                "src/mod.ts#",
                "(x: Foo): Promise<void>",
                "",
            ),
            ("src/mod.ts#single", "function", "src/mod.single", "src/mod.ts#", "(x)", ""),
            ("src/mod.ts#expr", "function", "src/mod.expr", "src/mod.ts#", "(y)", ""),
        ],
    ),
    (
        "interfaces, type aliases, enums, namespaces, declarations, abstract members",
        "types/api.d.ts",
        """
        export interface Shape extends Base { area(): number; name: string }
        export type Id = string | number;
        export enum Color { Red, Green }
        export namespace Geometry { export function origin(): Point; }
        declare function overload(a: string): void;
        declare module "ext" { export function plugin(): void; }
        abstract class Animal { abstract speak(): void; }
        """,
        [
            ("types/api.d.ts#", "module", "types/api.d", None, "", ""),
            (
                "types/api.d.ts#Shape",
                "interface",
                "types/api.d.Shape",
                "types/api.d.ts#",
                " extends Base",
                "",
            ),
            (
                "types/api.d.ts#Shape.area",
                "method",
                "types/api.d.Shape.area",
                "types/api.d.ts#Shape",
                "(): number",
                "",
            ),
            ("types/api.d.ts#Id", "type", "types/api.d.Id", "types/api.d.ts#", "", ""),
            ("types/api.d.ts#Color", "enum", "types/api.d.Color", "types/api.d.ts#", "", ""),
            (
                "types/api.d.ts#Geometry",
                "namespace",
                "types/api.d.Geometry",
                "types/api.d.ts#",
                "",
                "",
            ),
            (
                "types/api.d.ts#Geometry.origin",
                "function",
                "types/api.d.Geometry.origin",
                "types/api.d.ts#Geometry",
                "(): Point",
                "",
            ),
            (
                "types/api.d.ts#overload",
                "function",
                "types/api.d.overload",
                "types/api.d.ts#",
                "(a: string): void",
                "",
            ),
            ("types/api.d.ts#ext", "namespace", "types/api.d.ext", "types/api.d.ts#", "", ""),
            (
                "types/api.d.ts#ext.plugin",
                "function",
                "types/api.d.ext.plugin",
                "types/api.d.ts#ext",
                "(): void",
                "",
            ),
            ("types/api.d.ts#Animal", "class", "types/api.d.Animal", "types/api.d.ts#", "", ""),
            (
                "types/api.d.ts#Animal.speak",
                "method",
                "types/api.d.Animal.speak",
                "types/api.d.ts#Animal",
                "(): void",
                "",
            ),
        ],
    ),
    (
        "TSX components",
        "ui/button.tsx",
        """
        export function Button(props: Props) { return <b onClick={props.go}>{props.label}</b>; }
        export const Icon = () => <svg />;
        """,
        [
            ("ui/button.tsx#", "module", "ui/button", None, "", ""),
            (
                "ui/button.tsx#Button",
                "function",
                "ui/button.Button",
                "ui/button.tsx#",
                "(props: Props)",
                "",
            ),
            ("ui/button.tsx#Icon", "function", "ui/button.Icon", "ui/button.tsx#", "()", ""),
        ],
    ),
    (
        "JavaScript: CommonJS exports, prototype methods, JSX, default export",
        "lib/a.js",
        """
        /** Adds. */
        export default function add(a, b) { return a + b; }
        class View extends Component { render() { return <div />; } }
        exports.one = function () { return 1; };
        Foo.prototype.bar = function () {};
        export default () => 1;
        """,
        [
            ("lib/a.js#", "module", "lib/a", None, "", ""),
            ("lib/a.js#add", "function", "lib/a.add", "lib/a.js#", "(a, b)", "Adds."),
            ("lib/a.js#View", "class", "lib/a.View", "lib/a.js#", " extends Component", ""),
            ("lib/a.js#View.render", "method", "lib/a.View.render", "lib/a.js#View", "()", ""),
            ("lib/a.js#one", "function", "lib/a.one", "lib/a.js#", "()", ""),
            ("lib/a.js#Foo.bar", "method", "lib/a.Foo.bar", "lib/a.js#", "()", ""),
            ("lib/a.js#default", "function", "lib/a.default", "lib/a.js#", "()", ""),
        ],
    ),
]


@pytest.mark.parametrize(
    "source,expected,path",
    [(*c[2:], c[1]) for c in SYMBOL_CASES],
    ids=[c[0] for c in SYMBOL_CASES],
)
def test_symbols(source: str, expected: list[tuple], path: str) -> None:
    fields = ("id", "kind", "qualname", "parent", "signature", "docstring")
    check(source, expected, fields, "symbols", path)


def test_ranges_cover_the_export_and_select_the_name() -> None:
    facts = facts_of("\n/** Doc. */\nexport function f() {}\n")
    f = facts.symbols[1]
    assert (f.span.start_line, f.span.start_col, f.span.end_line) == (2, 0, 2)
    assert (f.selection.start_line, f.selection.start_col, f.selection.end_col) == (2, 16, 17)


# -- imports -------------------------------------------------------------------

IMPORT_CASES = [
    (
        "ESM forms",
        "src/mod.ts",
        """
        import D, { a as b, type C } from "./x";
        import * as ns from "../y";
        import type { Z } from "z";
        export { a, b as c } from "./w";
        export * from "./v";
        export * as vv from "./u";
        export { top as renamed };
        export default top;
        """,
        [
            ("./x", "default", "D", "name", False, False),
            ("./x", "a", "b", "name", False, False),
            ("./x", "C", "C", "name", True, False),
            ("../y", None, "ns", "module", False, False),
            ("z", "Z", "Z", "name", True, False),
            ("./w", "a", "a", "name", False, True),
            ("./w", "b", "c", "name", False, True),
            ("./v", "*", "*", "wildcard", False, True),
            ("./u", None, "vv", "module", False, True),
            ("", "top", "renamed", "name", False, True),
            ("", "top", "default", "name", False, True),
        ],
    ),
    (
        "CommonJS forms",
        "src/mod.js",
        """
        const { p, q: r } = require("./r");
        const s = require("s");
        module.exports = { p, sum: add };
        exports.alias = p;
        """,
        [
            ("./r", "p", "p", "name", False, False),
            ("./r", "q", "r", "name", False, False),
            ("s", None, "s", "module", False, False),
            ("", "add", "sum", "name", False, True),
            ("", "p", "alias", "name", False, True),
        ],
    ),
]


@pytest.mark.parametrize(
    "source,expected,path",
    [(*c[2:], c[1]) for c in IMPORT_CASES],
    ids=[c[0] for c in IMPORT_CASES],
)
def test_imports(source: str, expected: list[tuple], path: str) -> None:
    fields = ("module", "name", "alias", "kind", "type_only", "reexport")
    check(source, expected, fields, "imports", path)


def test_a_require_inside_a_branch_is_conditional() -> None:
    facts = facts_of('if (x) { const m = require("m"); }\n', "a.js")
    assert [(i.module, i.conditional, i.extra) for i in facts.imports] == [("m", True, "require")]


# -- calls and bases -------------------------------------------------------------

CALL_CASES = [
    (
        "receivers, typed receivers, new, super",
        "src/mod.ts",
        """
        class A extends B {
          private foo: Foo;
          constructor(private bar: Bar) { super(); }
          m(x: Baz | null) {
            this.foo.go();
            this.bar.z();
            x.run();
            const q = new Q();
            q.w();
            super.m();
            obj?.opt();
            make()();
          }
        }
        """,
        [
            ("src/mod.ts#A.constructor", "super", "super", None, ""),
            ("src/mod.ts#A.m", "this.foo.go", "go", "this.foo", "Foo"),
            ("src/mod.ts#A.m", "this.bar.z", "z", "this.bar", "Bar"),
            ("src/mod.ts#A.m", "x.run", "run", "x", "Baz"),
            ("src/mod.ts#A.m", "Q", "Q", None, ""),
            ("src/mod.ts#A.m", "q.w", "w", "q", "Q"),
            ("src/mod.ts#A.m", "super.m", "m", "super", ""),
            ("src/mod.ts#A.m", "obj?.opt", "opt", "obj", ""),
            ("src/mod.ts#A.m", "make()", "make", None, ""),
            ("src/mod.ts#A.m", "make", "make", None, ""),
        ],
    ),
    (
        "JSX components are calls, host elements are not",
        "ui/app.jsx",
        """
        function App() { return <Layout><ui.Panel /><div /></Layout>; }
        """,
        [
            ("ui/app.jsx#App", "Layout", "Layout", None, ""),
            ("ui/app.jsx#App", "ui.Panel", "Panel", "ui", ""),
        ],
    ),
]


@pytest.mark.parametrize(
    "source,expected,path", [(*c[2:], c[1]) for c in CALL_CASES], ids=[c[0] for c in CALL_CASES]
)
def test_calls(source: str, expected: list[tuple], path: str) -> None:
    fields = ("caller", "callee", "name", "receiver", "receiver_type")
    check(source, expected, fields, "calls", path)


def test_bases() -> None:
    source = """
    class A extends B<T> implements I, ns.J {}
    interface K extends L, M<N> {}
    """
    expected = [("src/mod.ts#A", "B"), ("src/mod.ts#A", "I"), ("src/mod.ts#A", "ns.J"),
                ("src/mod.ts#K", "L"), ("src/mod.ts#K", "M<N>")]  # fmt: skip
    check(source, expected, ("class_id", "expr"), "bases", "src/mod.ts")


# -- chunks ----------------------------------------------------------------------


def test_a_class_chunk_is_an_outline_with_comment_headers() -> None:
    facts = facts_of(
        """
        export class A {
          m(x: number): void { work(); }
        }
        """
    )
    outline = next(c for c in facts.chunks if c.symbol_id == "src/mod.ts#A")
    assert outline.text.startswith("// src/mod.ts\n") or outline.text.startswith("// ")
    assert "m(x: number): void { ... }" in outline.code
    method = next(c for c in facts.chunks if c.symbol_id == "src/mod.ts#A.m")
    assert "work();" in method.code


# -- robustness --------------------------------------------------------------------


@pytest.mark.parametrize(
    "source,path",
    [
        ("export class A { m( { this.x( }\nfunction f() {", "src/broken.ts"),
        ("const x = <div><span></div>;\nimport {", "src/broken.tsx"),
        ("module.exports = function (", "src/broken.js"),
        (b"\xff\xfe\x00garbage\x00 function", "src/binaryish.ts"),
        ("f(\n" * 3000, "src/deep.js"),
    ],
)
def test_bad_code_gives_partial_facts_and_diagnostics(source: str | bytes, path: str) -> None:
    facts = facts_of(source, path)
    assert facts.symbols[0].kind == "module"
    assert any(d.severity == "error" for d in facts.diagnostics)
    assert not [d for d in facts.diagnostics if "internal error" in d.message]


@pytest.mark.parametrize(
    "source,path,reason",
    [
        ("function a(){return 1}", "vendor/jquery.min.js", "minified"),
        ("// @generated by protoc\nexport function f() {}\n", "src/gen.ts", "generated"),
        ("var a=1;" * 2000, "src/bundle.js", "minified"),
        ("/*! license */\n" * 3 + "var a=1;" * 2000, "src/vendor.js", "minified"),
    ],
)
def test_minified_and_generated_files_keep_only_their_module(
    source: str, path: str, reason: str
) -> None:
    facts = facts_of(source, path)
    assert [s.kind for s in facts.symbols] == ["module"]
    assert facts.calls == [] and facts.chunks == []
    assert [d.severity for d in facts.diagnostics] == ["warning"]
    assert reason in facts.diagnostics[0].message


def test_a_very_long_line_among_normal_ones_is_still_extracted() -> None:
    source = "export function f() { return g(); }\n" * 50 + "const s = '" + "x" * 20_000 + "';\n"
    facts = facts_of(source, "src/long.ts")
    assert len([s for s in facts.symbols if s.name == "f"]) == 50
