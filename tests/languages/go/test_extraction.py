"""Go extraction, checked table by table: source in, expected facts out."""

from __future__ import annotations

import pickle
import textwrap

import pytest

from kenning.core.facts import FileFacts
from kenning.languages.go import GO
from kenning.languages.go.extract import assumed_package_name
from kenning.languages.go.layout import import_path
from kenning.parse.chunker import MAX_CHARS, MAX_LINES

PATH = "store/store.go"
MODULE = "example.com/m/store"


def facts_of(source: str | bytes, path: str = PATH) -> FileFacts:
    data = textwrap.dedent(source).encode() if isinstance(source, str) else source
    return GO.extract(path, data, MODULE)[0]


def check(source: str, expected: list[tuple], fields: tuple[str, ...], kind: str) -> None:
    """The facts of `kind` ("symbols", "imports", ...), projected on `fields`, in order."""
    facts = facts_of(source)
    got = [tuple(getattr(fact, f) for f in fields) for fact in getattr(facts, kind)]
    assert got == expected
    assert not [d for d in facts.diagnostics if d.severity == "error"]


# -- symbols -------------------------------------------------------------------

SYMBOL_CASES = [
    (
        "package only",
        "package store\n",
        [("store/store.go#", "module", "example.com/m/store", None)],
    ),
    (
        "functions, a struct, methods through the receiver's type",
        """
        package store

        type Store struct{ items []string }

        func New() *Store { return &Store{} }

        func (s *Store) Put(x string) {}

        func (s Store) Len() int { return 0 }
        """,
        [
            ("store/store.go#", "module", "example.com/m/store", None),
            ("store/store.go#Store", "struct", "example.com/m/store.Store", "store/store.go#"),
            ("store/store.go#New", "function", "example.com/m/store.New", "store/store.go#"),
            (
                "store/store.go#Store.Put",
                "method",
                "example.com/m/store.Store.Put",
                "store/store.go#Store",
            ),
            (
                "store/store.go#Store.Len",
                "method",
                "example.com/m/store.Store.Len",
                "store/store.go#Store",
            ),
        ],
    ),
    (
        "a method whose type is in another file keeps the type in its name",
        """
        package store

        func (s *Store) Get(k string) string { return "" }
        """,
        [
            ("store/store.go#", "module", "example.com/m/store", None),
            (
                "store/store.go#Store.Get",
                "method",
                "example.com/m/store.Store.Get",
                "store/store.go#",
            ),
        ],
    ),
    (
        "interfaces and their methods, named types, aliases, constants, generics",
        """
        package store

        type Reader interface {
            io.Reader
            Read(p []byte) (int, error)
        }

        type (
            ID = string
            HandlerFunc func(int) error
        )

        type List[T any] struct{ items []T }

        func (l *List[T]) Push(v T) {}

        const Max = 10

        const (
            A = iota
            B
        )
        """,
        [
            ("store/store.go#", "module", "example.com/m/store", None),
            ("store/store.go#Reader", "interface", "example.com/m/store.Reader", "store/store.go#"),
            (
                "store/store.go#Reader.Read",
                "method",
                "example.com/m/store.Reader.Read",
                "store/store.go#Reader",
            ),
            ("store/store.go#ID", "type", "example.com/m/store.ID", "store/store.go#"),
            (
                "store/store.go#HandlerFunc",
                "type",
                "example.com/m/store.HandlerFunc",
                "store/store.go#",
            ),
            ("store/store.go#List", "struct", "example.com/m/store.List", "store/store.go#"),
            (
                "store/store.go#List.Push",
                "method",
                "example.com/m/store.List.Push",
                "store/store.go#List",
            ),
            ("store/store.go#Max", "constant", "example.com/m/store.Max", "store/store.go#"),
            ("store/store.go#A", "constant", "example.com/m/store.A", "store/store.go#"),
            ("store/store.go#B", "constant", "example.com/m/store.B", "store/store.go#"),
        ],
    ),
    (
        "build-tag twins in one file get @2; function literals are not symbols",
        """
        package store

        func f() { g := func() {}; g() }
        func f() {}
        """,
        [
            ("store/store.go#", "module", "example.com/m/store", None),
            ("store/store.go#f", "function", "example.com/m/store.f", "store/store.go#"),
            ("store/store.go#f@2", "function", "example.com/m/store.f", "store/store.go#"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in SYMBOL_CASES], ids=[c[0] for c in SYMBOL_CASES]
)
def test_symbols(source: str, expected: list[tuple]) -> None:
    check(source, expected, ("id", "kind", "qualname", "parent"), "symbols")


SIGNATURE_DOC_CASES = [
    (
        "signatures and doc comments; directives are not doc",
        """
        // Package store keeps things.
        package store

        // Store keeps items.
        //
        // It is safe for one goroutine.
        type Store struct{}

        // Put adds v.
        //go:noinline
        func (s *Store) Put(k string, v ...int) (bool, error) { return false, nil }

        func Map[T any, U comparable](xs []T, f func(T) U) []U { return nil }

        /* Block comments are not Go doc comments here. */
        type ID = string

        type Handler func(w io.Writer,
            code int) error

        // Limit caps things.
        const Limit = 3
        """,
        [
            ("store", "", "Package store keeps things."),
            ("Store", "", "Store keeps items.\n\nIt is safe for one goroutine."),
            ("Put", "(k string, v ...int) (bool, error)", "Put adds v."),
            ("Map", "[T any, U comparable](xs []T, f func(T) U) []U", ""),
            ("ID", "= string", ""),
            ("Handler", "func(w io.Writer, code int) error", ""),
            ("Limit", "", "Limit caps things."),
        ],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"),
    [c[1:] for c in SIGNATURE_DOC_CASES],
    ids=[c[0] for c in SIGNATURE_DOC_CASES],
)
def test_signatures_and_docs(source: str, expected: list[tuple]) -> None:
    facts = facts_of(source)
    assert [(s.name, s.signature, s.docstring) for s in facts.symbols] == expected


def test_ranges_cover_the_declaration_and_select_the_name() -> None:
    facts = facts_of(
        """
        package store

        type Store struct {
            n int
        }

        func (s *Store) Put() {
            s.n++
        }
        """
    )
    spans = {s.name: (s.span, s.selection) for s in facts.symbols}
    span, selection = spans["Store"]
    assert (span.start_line, span.end_line) == (3, 5)
    assert (selection.start_line, selection.start_col, selection.end_col) == (3, 5, 10)
    span, selection = spans["Put"]
    assert (span.start_line, span.end_line) == (7, 9)
    assert (selection.start_line, selection.start_col, selection.end_col) == (7, 16, 19)


# -- imports -------------------------------------------------------------------

IMPORT_CASES = [
    (
        "plain, aliased, dot, blank, grouped, raw and versioned paths",
        """
        package store

        import "fmt"

        import (
            u "example.com/m/internal/util"
            . "strings"
            _ "embed"
            `os`
            "gopkg.in/yaml.v3"
            "github.com/go-chi/chi/v5"
            "github.com/mattn/go-isatty"
        )
        """,
        [
            ("fmt", None, "fmt", "module", "assumed"),
            ("example.com/m/internal/util", None, "u", "module", ""),
            ("strings", "*", "*", "wildcard", ""),
            ("embed", None, "_", "module", ""),
            ("os", None, "os", "module", "assumed"),
            ("gopkg.in/yaml.v3", None, "yaml", "module", "assumed"),
            ("github.com/go-chi/chi/v5", None, "chi", "module", "assumed"),
            ("github.com/mattn/go-isatty", None, "isatty", "module", "assumed"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in IMPORT_CASES], ids=[c[0] for c in IMPORT_CASES]
)
def test_imports(source: str, expected: list[tuple]) -> None:
    check(source, expected, ("module", "name", "alias", "kind", "extra"), "imports")


@pytest.mark.parametrize(
    ("path", "name"),
    [("fmt", "fmt"), ("net/http", "http"), ("gopkg.in/yaml.v3", "yaml"), ("a/v2", "a")],
)
def test_assumed_package_name(path: str, name: str) -> None:
    assert assumed_package_name(path) == name


# -- calls ---------------------------------------------------------------------

CALL_CASES = [
    (
        "receivers carry the types the code states",
        """
        package store

        import "example.com/m/db"

        type Store struct {
            conn *db.Conn
            Base
        }

        func NewStore() (*Store, error) { return nil, nil }

        func (s *Store) Put(c *db.Conn, n int, rest ...Store) {
            s.flush()
            s.conn.Exec()
            s.Base.Close()
            c.Exec()
            var w Writer
            w.Write()
            x := &Store{}
            x.flush()
            x.hooks[0]()
            y, err := NewStore()
            y.flush()
            z := db.Open()
            z.Exec()
            db.Open()
            (*Store).flush(s)
            Store{}.flush()
            fmt.Println(err, n, rest)
        }
        """,
        [
            ("s.flush", "flush", "s", "self Store"),
            ("s.conn.Exec", "Exec", "s.conn", "db.Conn"),
            ("s.Base.Close", "Close", "s.Base", "Base"),
            ("c.Exec", "Exec", "c", "db.Conn"),
            ("w.Write", "Write", "w", "Writer"),
            ("x.flush", "flush", "x", "Store"),
            ("x.hooks[0]", "hooks", "x", "Store"),
            ("NewStore", "NewStore", None, ""),
            ("y.flush", "flush", "y", "Store"),
            ("db.Open", "Open", "db", ""),
            ("z.Exec", "Exec", "z", "db.Open()"),
            ("db.Open", "Open", "db", ""),
            ("(*Store).flush", "flush", "(*Store)", ""),
            ("Store{}.flush", "flush", "Store{}", "Store"),
            ("fmt.Println", "Println", "fmt", ""),
        ],
    ),
    (
        "scopes: inner declarations shadow, and end with their block",
        """
        package store

        func f(s Store) {
            if s := load(); s != nil {
                s.a()
            }
            s.b()
            for _, s := range all {
                s.c()
            }
            switch s := v.(type) {
            case int, string:
                s.d()
            case *db.Conn:
                s.Exec()
            }
            func() { s.e() }()
        }
        """,
        [
            ("load", "load", None, ""),
            # `load` is no local value: a function of the package, which may be
            # declared in another of its files, so the resolver reads its result.
            ("s.a", "a", "s", "load()"),
            ("s.b", "b", "s", "Store"),
            ("s.c", "c", "s", "?"),
            ("s.d", "d", "s", "?"),
            ("s.Exec", "Exec", "s", "db.Conn"),
            ("func() { s.e() }", "func", None, ""),
            ("s.e", "e", "s", "Store"),
        ],
    ),
    (
        "odd callees and generic calls",
        """
        package store

        func f() {
            handlers[0]()
            make()()
            Map[int](xs)
            (g)()
        }
        """,
        [
            ("handlers[0]", "handlers", None, ""),
            ("make()", "make", None, ""),
            ("make", "make", None, ""),
            ("Map[int]", "Map", None, ""),
            ("(g)", "g", None, ""),
        ],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in CALL_CASES], ids=[c[0] for c in CALL_CASES]
)
def test_calls(source: str, expected: list[tuple]) -> None:
    check(source, expected, ("callee", "name", "receiver", "receiver_type"), "calls")


def test_calls_belong_to_the_innermost_named_function() -> None:
    facts = facts_of(
        """
        package store

        var x = setup()

        func (s *Store) Put() { func() { s.flush() }() }
        """
    )
    assert [(c.caller, c.name) for c in facts.calls] == [
        ("store/store.go#", "setup"),
        ("store/store.go#Store.Put", "func"),
        ("store/store.go#Store.Put", "flush"),
    ]


# -- bases ---------------------------------------------------------------------

BASE_CASES = [
    (
        "struct embedding and interface embedding; named fields and unions are not bases",
        """
        package store

        type Store struct {
            Base
            *sync.Mutex
            pkg.Other
            List[int]
            named Thing
        }

        type RW interface {
            io.Reader
            Writer
            ~int | ~string
            Close() error
        }
        """,
        [
            ("store/store.go#Store", "Base"),
            ("store/store.go#Store", "sync.Mutex"),
            ("store/store.go#Store", "pkg.Other"),
            ("store/store.go#Store", "List[int]"),
            ("store/store.go#RW", "io.Reader"),
            ("store/store.go#RW", "Writer"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in BASE_CASES], ids=[c[0] for c in BASE_CASES]
)
def test_bases(source: str, expected: list[tuple]) -> None:
    check(source, expected, ("class_id", "expr"), "bases")


# -- packages, generated files, chunks ---------------------------------------


def test_external_test_package_is_its_own_package() -> None:
    facts = facts_of("package store_test\n\nfunc TestPut(t *testing.T) {}\n", "store/store_test.go")
    assert facts.module == "example.com/m/store_test"
    assert [s.qualname for s in facts.symbols] == [
        "example.com/m/store_test",
        "example.com/m/store_test.TestPut",
    ]


def test_generated_files_keep_only_their_module() -> None:
    facts = facts_of(
        """
        // Code generated by protoc-gen-go. DO NOT EDIT.
        // source: store.proto

        package store

        import "fmt"

        func Generated() { fmt.Println() }
        """
    )
    assert [s.kind for s in facts.symbols] == ["module"]
    assert (facts.imports, facts.calls, facts.chunks) == ([], [], [])
    assert [d.message for d in facts.diagnostics] == ["generated file (DO NOT EDIT): not indexed"]


def test_a_generated_marker_after_the_package_clause_does_not_count() -> None:
    facts = facts_of(
        """
        package store

        // Code generated by hand. DO NOT EDIT.
        func Real() {}
        """
    )
    assert [s.name for s in facts.symbols] == ["store", "Real"]


def test_chunks_have_go_comment_headers_and_respect_limits() -> None:
    body = "\n".join(f"\tx{i} := {i}\n\t_ = x{i}" for i in range(200))
    source = f"package store\n\nfunc Long() {{\n{body}\n}}\n\nfunc Short() int {{ return 1 }}\n"
    facts = facts_of(source)
    long_chunks = [c for c in facts.chunks if c.symbol_id == "store/store.go#Long"]
    assert len(long_chunks) > 1
    assert all(c.text.startswith("// Long()\n") for c in long_chunks)
    for chunk in facts.chunks:
        assert chunk.end_line - chunk.start_line < MAX_LINES
        assert len(chunk.code) <= MAX_CHARS
    short = [c for c in facts.chunks if c.symbol_id == "store/store.go#Short"]
    assert [c.text for c in short] == ["// Short() int\nfunc Short() int { return 1 }"]
    assert facts.chunks[0].text.startswith("// example.com/m/store\npackage store")


def test_a_doc_comment_above_a_definition_is_in_its_chunk_header() -> None:
    # The comment sits in the module-level code before the function, not in the
    # function's chunk: its first paragraph joins the header, so the words a search
    # uses to describe the function reach the function's own chunk.
    facts = facts_of(
        """
        package store

        // Sum returns the total of the prices
        // in the cart.
        //
        // It never overflows.
        func Sum(prices []int) int { return 0 }
        """
    )
    (chunk,) = [c for c in facts.chunks if c.symbol_id == "store/store.go#Sum"]
    assert chunk.text == (
        "// Sum(prices []int) int\n"
        "// Sum returns the total of the prices in the cart.\n"
        "func Sum(prices []int) int { return 0 }"
    )


# -- robustness ----------------------------------------------------------------

BAD_INPUTS = [
    ("syntax errors", b"package store\n\nfunc (s *Store Put( {\n\ts.x(\n}\ntype T struct {\n"),
    ("not Go at all", b"<?php echo 'hi'; ?>\n\x00\xff\xfe garbage {{{{ ))))"),
    ("empty", b""),
    ("invalid UTF-8", b'package store\n\nfunc f() { s := "\xff\xfe"; s.x() }\n'),
    (
        "minified: one very long line",
        b"package store;"
        + b"".join(b"func f%d(s *S){s.g%d();h%d()};" % (i, i, i) for i in range(1000)),
    ),
    ("deep nesting", b"package store\nfunc f() {" + b"{" * 3000 + b"}" * 3000 + b"}\n"),
    ("deep expressions", b"package store\nvar x = " + b"f(" * 2000 + b"1" + b")" * 2000 + b"\n"),
]


@pytest.mark.parametrize(("source",), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_never_raises(source: bytes) -> None:
    facts = facts_of(source)
    assert facts.symbols[0].kind == "module"
    assert not [d for d in facts.diagnostics if "internal error" in d.message]
    pickle.loads(pickle.dumps(facts))  # facts cross process boundaries


def test_syntax_errors_keep_partial_facts() -> None:
    facts = facts_of(b"package store\n\nfunc Good() { helper() }\n\nfunc Bad( {\n")
    assert "Good" in [s.name for s in facts.symbols]
    assert ("helper", "store/store.go#Good") in [(c.name, c.caller) for c in facts.calls]
    assert any(d.message == "syntax error" for d in facts.diagnostics)


def test_minified_file_extracts_every_function() -> None:
    source = b"package store;" + b"".join(b"func f%d(){g%d()};" % (i, i) for i in range(3000))
    facts = facts_of(source)
    assert len([s for s in facts.symbols if s.kind == "function"]) == 3000
    assert len(facts.calls) == 3000


# -- layout --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("directory", "modules", "expected"),
    [
        ("internal/util", {"": "example.com/m"}, "example.com/m/internal/util"),
        ("", {"": "example.com/m"}, "example.com/m"),
        ("tools/gen", {"": "example.com/m", "tools": "example.com/tools"}, "example.com/tools/gen"),
        ("vendor/github.com/x/y", {}, "github.com/x/y"),
        ("src/github.com/x/y", {}, "src/github.com/x/y"),
    ],
)
def test_import_paths(directory: str, modules: dict[str, str], expected: str) -> None:
    assert import_path(directory, modules) == expected
