"""Python extraction, checked table by table: source in, expected facts out."""

from __future__ import annotations

import pickle
import textwrap

import pytest

from kenning.core.facts import FileFacts, Span, SymbolKind, text_hash
from kenning.core.words import hidden_words
from kenning.languages.python import PYTHON
from kenning.languages.python.extract import string_literal_value
from kenning.parse.chunker import MAX_CHARS, MAX_LINES
from kenning.parse.text import collapse_whitespace

extract = PYTHON.extract
extract_facts = PYTHON.extract_facts
PATH = "pkg/mod.py"
MODULE = "pkg.mod"


def facts_of(source: str | bytes) -> FileFacts:
    data = textwrap.dedent(source).encode() if isinstance(source, str) else source
    return extract(PATH, data, MODULE)[0]


def check(source: str, expected: list[tuple], fields: tuple[str, ...], kind: str) -> None:
    """The facts of `kind` ("symbols", "imports", ...), projected on `fields`, in order."""
    facts = facts_of(source)
    got = [tuple(getattr(fact, f) for f in fields) for fact in getattr(facts, kind)]
    assert got == expected
    assert not [d for d in facts.diagnostics if d.severity == "error"]


# -- symbols -------------------------------------------------------------------

SYMBOL_CASES = [
    ("empty module", "", [("pkg/mod.py#", "module", "pkg.mod", None)]),
    (
        "class, method, nested function",
        """
        class A:
            def m(self):
                def inner():
                    pass
        def top():
            pass
        """,
        [
            ("pkg/mod.py#", "module", "pkg.mod", None),
            ("pkg/mod.py#A", "class", "pkg.mod.A", "pkg/mod.py#"),
            ("pkg/mod.py#A.m", "method", "pkg.mod.A.m", "pkg/mod.py#A"),
            ("pkg/mod.py#A.m.inner", "function", "pkg.mod.A.m.inner", "pkg/mod.py#A.m"),
            ("pkg/mod.py#top", "function", "pkg.mod.top", "pkg/mod.py#"),
        ],
    ),
    (
        "duplicates get @2, @3 and children follow the suffix",
        """
        def f(): pass
        def f():
            def g(): pass
        def f(): pass
        class C:
            def f(self): pass
        """,
        [
            ("pkg/mod.py#", "module", "pkg.mod", None),
            ("pkg/mod.py#f", "function", "pkg.mod.f", "pkg/mod.py#"),
            ("pkg/mod.py#f@2", "function", "pkg.mod.f", "pkg/mod.py#"),
            ("pkg/mod.py#f@2.g", "function", "pkg.mod.f.g", "pkg/mod.py#f@2"),
            ("pkg/mod.py#f@3", "function", "pkg.mod.f", "pkg/mod.py#"),
            ("pkg/mod.py#C", "class", "pkg.mod.C", "pkg/mod.py#"),
            ("pkg/mod.py#C.f", "method", "pkg.mod.C.f", "pkg/mod.py#C"),
        ],
    ),
    (
        "conditional method is still a method; nested class",
        """
        class A:
            if X:
                def m(self): pass
            class B:
                async def n(self): pass
        """,
        [
            ("pkg/mod.py#", "module", "pkg.mod", None),
            ("pkg/mod.py#A", "class", "pkg.mod.A", "pkg/mod.py#"),
            ("pkg/mod.py#A.m", "method", "pkg.mod.A.m", "pkg/mod.py#A"),
            ("pkg/mod.py#A.B", "class", "pkg.mod.A.B", "pkg/mod.py#A"),
            ("pkg/mod.py#A.B.n", "method", "pkg.mod.A.B.n", "pkg/mod.py#A.B"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in SYMBOL_CASES], ids=[c[0] for c in SYMBOL_CASES]
)
def test_symbols(source: str, expected: list[tuple]) -> None:
    check(source, expected, ("id", "kind", "qualname", "parent"), "symbols")


def test_symbol_details() -> None:
    facts = facts_of(
        '''\
        """Module doc.

            Indented more.
        """
        @dataclass(frozen=True)
        @other . thing
        class A(Base, pkg.Mixin, metaclass=Meta):
            # a comment before the docstring
            """Class doc."""

            def m(
                self,
                x: int = 1,
                *args: str,
            ) -> dict[str, int]:
                r"""Raw \\d doc."""

            def n(self): "single"
        '''
    )
    module, a, m, n = facts.symbols
    assert module.docstring == "Module doc.\n\nIndented more."
    assert module.span == Span(0, 0, 18, 0)
    assert module.name == "mod"
    assert a.span == Span(4, 0, 17, 25)  # decorators included
    assert a.selection == Span(6, 6, 6, 7)
    assert a.signature == "(Base, pkg.Mixin, metaclass=Meta)"
    assert a.docstring == "Class doc."
    assert a.decorators == ("dataclass(frozen=True)", "other . thing")
    assert m.signature == "(self, x: int = 1, *args: str) -> dict[str, int]"
    assert m.docstring == "Raw \\d doc."
    assert m.selection == Span(10, 8, 10, 9)
    assert n.docstring == "single"
    assert n.kind == SymbolKind.METHOD


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"""a"""', "a"),
        ("'a'", "a"),
        ('"a\\tb"', "a\tb"),
        ('r"a\\tb"', "a\\tb"),
        ('u"x"', "x"),
        ('b"x"', None),
        ('f"x"', None),
        ('"unterminated', None),
    ],
)
def test_string_literal_value(literal: str, value: str | None) -> None:
    assert string_literal_value(literal) == value


@pytest.mark.parametrize(
    ("text", "collapsed"),
    [
        ("(self, x)", "(self, x)"),
        ("(\n    self,\n    x: int = 1,\n)", "(self, x: int = 1)"),
        ("(a,  b)", "(a, b)"),
        ("(x=(1,))", "(x=(1,))"),
        # Text with only single spaces is left as it is (stripped); any other
        # whitespace (a tab, a no-break space, a form feed) still becomes one space.
        (" derive(Debug) ", "derive(Debug)"),
        ("(a,\tb)", "(a, b)"),
        ("(a,\u00a0b)", "(a, b)"),
        ("a\x0c b", "a b"),
    ],
)
def test_collapse_whitespace(text: str, collapsed: str) -> None:
    assert collapse_whitespace(text) == collapsed


def test_class_without_bases_has_empty_signature() -> None:
    assert facts_of("class A: pass\nclass B(): pass\n").symbols[1].signature == ""


# -- imports -------------------------------------------------------------------

IMPORT_FIELDS = ("module", "name", "alias", "kind", "scope", "conditional", "type_only")
M = "pkg/mod.py#"
IMPORT_CASES = [
    ("import a.b as c", [("a.b", None, "c", "module", M, False, False)]),
    ("import a.b", [("a.b", None, "a", "module", M, False, False)]),
    (
        "import a, b",
        [("a", None, "a", "module", M, False, False), ("b", None, "b", "module", M, False, False)],
    ),
    ("from .x import y as z", [(".x", "y", "z", "name", M, False, False)]),
    ("from . import y", [(".", "y", "y", "name", M, False, False)]),
    ("from ..p.q import r", [("..p.q", "r", "r", "name", M, False, False)]),
    ("from x import *", [("x", "*", "*", "wildcard", M, False, False)]),
    (
        "from x import (a,\n    b as c,\n)",
        [("x", "a", "a", "name", M, False, False), ("x", "b", "c", "name", M, False, False)],
    ),
    (
        "from __future__ import annotations",
        [("__future__", "annotations", "annotations", "name", M, False, False)],
    ),
    (
        "if TYPE_CHECKING:\n    import t\nelse:\n    import u",
        [("t", None, "t", "module", M, True, True), ("u", None, "u", "module", M, True, False)],
    ),
    ("if typing.TYPE_CHECKING:\n    from a import b", [("a", "b", "b", "name", M, True, True)]),
    (
        "if X:\n    pass\nelif TYPE_CHECKING:\n    import t",
        [("t", None, "t", "module", M, True, True)],
    ),
    (
        "if TYPE_CHECKING:\n    try:\n        import t\n    except ImportError:\n        pass",
        [("t", None, "t", "module", M, True, True)],
    ),
    (
        "try:\n    import a\nexcept ImportError:\n    import b as a",
        [("a", None, "a", "module", M, True, False), ("b", None, "a", "module", M, True, False)],
    ),
    ("with x:\n    import a", [("a", None, "a", "module", M, True, False)]),
    ("for x in y:\n    import a", [("a", None, "a", "module", M, True, False)]),
    ("while x:\n    import a", [("a", None, "a", "module", M, True, False)]),
    (
        "def f():\n    import a\n    if x:\n        import b",
        [
            ("a", None, "a", "module", M + "f", False, False),
            ("b", None, "b", "module", M + "f", True, False),
        ],
    ),
    # A guard outside the function does not make the function's own imports conditional.
    ("if x:\n    def f():\n        import a", [("a", None, "a", "module", M + "f", False, False)]),
    ("class C:\n    import a", [("a", None, "a", "module", M + "C", False, False)]),
]


@pytest.mark.parametrize(("source", "expected"), IMPORT_CASES, ids=[c[0] for c in IMPORT_CASES])
def test_imports(source: str, expected: list[tuple]) -> None:
    check(source, expected, IMPORT_FIELDS, "imports")


def test_import_span_is_the_bound_name() -> None:
    imports = facts_of("import os.path as p, sys\n").imports
    assert [i.span for i in imports] == [Span(0, 7, 0, 19), Span(0, 21, 0, 24)]


# -- calls ---------------------------------------------------------------------

CALL_FIELDS = ("caller", "callee", "name", "receiver")
CALL_CASES = [
    ("foo()", [(M, "foo", "foo", None)]),
    ("def f():\n    self.save(x)", [(M + "f", "self.save", "save", "self")]),
    ("os.path.join(a)", [(M, "os.path.join", "join", "os.path")]),
    ("a.b().c()", [(M, "a.b().c", "c", "a.b()"), (M, "a.b", "b", "a")]),
    ("make()()", [(M, "make()", "make", None), (M, "make", "make", None)]),
    ("x[0]()", [(M, "x[0]", "x", None)]),
    ("self.handlers[k]()", [(M, "self.handlers[k]", "handlers", "self")]),
    ("(lambda: 0)()", [(M, "(lambda: 0)", "(lambda: 0)", None)]),
    # One query pattern reads every callee: its node type says how it is named.
    ("'-'.join(parts)", [(M, "'-'.join", "join", "'-'")]),
    ("(a or b).run()", [(M, "(a or b).run", "run", "(a or b)")]),
    ("(a or b)()", [(M, "(a or b)", "(a or b)", None)]),
    ("print(x)\nmatch(y)", [(M, "print", "print", None), (M, "match", "match", None)]),
    ("[f, g][0]()", [(M, "[f, g][0]", "[f, g][0]", None)]),
    (
        "def f():\n    def g():\n        h()\n    g()",
        [(M + "f.g", "h", "h", None), (M + "f", "g", "g", None)],
    ),
    # Decorator calls, defaults and base lists run in the enclosing scope.
    (
        "class C:\n    @dec(x)\n    def m(self, a=default()):\n        body()",
        [
            (M + "C", "dec", "dec", None),
            (M + "C", "default", "default", None),
            (M + "C.m", "body", "body", None),
        ],
    ),
    # A decorator without arguments is called when the definition runs: a call site of
    # its own kind (`implicit`), its text the decorator as written.
    ("@plain\ndef f(): pass", [(M, "@plain", "plain", None)]),
    (
        "class A(make_base()):\n    x = g()",
        [(M, "make_base", "make_base", None), (M + "A", "g", "g", None)],
    ),
    ("type(x)\nprint(y)", [(M, "type", "type", None), (M, "print", "print", None)]),
    ("def f(): return [g(i) for i in y]", [(M + "f", "g", "g", None)]),
]


@pytest.mark.parametrize(("source", "expected"), CALL_CASES, ids=[c[0] for c in CALL_CASES])
def test_calls(source: str, expected: list[tuple]) -> None:
    check(source, expected, CALL_FIELDS, "calls")


def test_call_span_is_the_callee() -> None:
    assert facts_of("x = obj.run(1)\n").calls[0].span == Span(0, 4, 0, 11)


# -- bases ---------------------------------------------------------------------

BASE_CASES = [
    (
        "class A(B, pkg.C, Generic[T], metaclass=M): pass",
        [(M + "A", "B"), (M + "A", "pkg.C"), (M + "A", "Generic[T]")],
    ),
    ("class A(*bases, **kw): pass", []),
    ("class A: pass", []),
    ("class O:\n    class I(Base): pass", [(M + "O.I", "Base")]),
    ("class A(X): pass\nclass A(Y): pass", [(M + "A", "X"), (M + "A@2", "Y")]),
]


@pytest.mark.parametrize(("source", "expected"), BASE_CASES, ids=[c[0] for c in BASE_CASES])
def test_bases(source: str, expected: list[tuple]) -> None:
    check(source, expected, ("class_id", "expr"), "bases")


# -- chunks --------------------------------------------------------------------


def test_chunks_of_a_small_file() -> None:
    source = textwrap.dedent(
        '''\
        """Doc."""
        import os

        X = 1


        class A(Base):
            """A doc."""

            y = 2

            @prop
            def m(self, a) -> int:
                return a + 1

            def n(self):
                return 2


        def f(x):
            return x

        Y = f(X)
        '''
    )
    facts = facts_of(source)
    got = [(c.id, c.symbol_id, c.kind, c.start_line, c.end_line) for c in facts.chunks]
    assert got == [
        ("pkg/mod.py#0", M, "module", 0, 3),
        ("pkg/mod.py#1", M + "A", "class", 6, 16),
        ("pkg/mod.py#2", M + "A.m", "method", 11, 13),
        ("pkg/mod.py#3", M + "A.n", "method", 15, 16),
        ("pkg/mod.py#4", M + "f", "function", 19, 20),
        ("pkg/mod.py#5", M, "module", 22, 22),
    ]
    module, klass, method = facts.chunks[:3]
    assert module.code == '"""Doc."""\nimport os\n\nX = 1'
    assert module.text == '# pkg.mod\n"""Doc."""\nimport os\n\nX = 1'
    # The class chunk is an outline: method bodies are left to the methods' chunks.
    assert klass.code == (
        'class A(Base):\n    """A doc."""\n\n    y = 2\n\n'
        "    @prop\n    def m(self, a) -> int: ...\n\n    def n(self): ..."
    )
    # The header names the symbol within its module, not the file: a function moved
    # to another file keeps its text (and its vector).
    assert klass.text.startswith("# A(Base)\nclass A(Base):\n")
    assert method.code == "    @prop\n    def m(self, a) -> int:\n        return a + 1"
    assert method.text == "# A.m(self, a) -> int\n" + method.code
    for chunk in facts.chunks:
        assert chunk.text_hash == text_hash(chunk.text)
        assert chunk.language == "python"
        assert chunk.path == PATH


@pytest.mark.parametrize(
    ("source", "header"),
    [
        # The model's tokenizer splits at underscores but not at case changes or
        # digits: a camelCase name gets its words spelled out before it.
        ("class AppContext(Base):\n    x = 1\n", "# app context: AppContext(Base)\n"),
        ("class HTTPAdapter2:\n    x = 1\n", "# http adapter 2: HTTPAdapter2\n"),
        (
            "class A:\n    def getUserName(self, id): pass\n",
            "# get user name: A.getUserName(self, id)\n",
        ),
        # Words the tokenizer finds on its own are not repeated.
        ("def get_user_name(id):\n    pass\n", "# get_user_name(id)\n"),
        ("class A:\n    def __init__(self): pass\n", "# A.__init__(self)\n"),
        ("def _private():\n    pass\n", "# _private()\n"),
    ],
)
def test_chunk_header_spells_out_the_words_of_a_camel_case_name(source: str, header: str) -> None:
    chunk = next(c for c in reversed(facts_of(source).chunks) if c.kind != "module")
    assert chunk.text == header + chunk.code


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("AppContext", "app context"),
        ("getURL", "get url"),
        ("sha256", "sha 256"),
        ("get_user_name", ""),
        ("__init__", ""),
        ("$el", ""),
        ("$$observable", ""),
        ("x", ""),
    ],
)
def test_hidden_words_are_the_ones_a_word_piece_tokenizer_would_not_split(
    name: str, words: str
) -> None:
    assert hidden_words(name) == words


def test_nested_functions_stay_in_their_function_chunk() -> None:
    facts = facts_of(
        "def f():\n    def g():\n        pass\n    class L:\n        def m(self): pass\n"
    )
    assert [(c.symbol_id, c.start_line, c.end_line) for c in facts.chunks] == [(M + "f", 0, 4)]


def test_large_function_splits_between_statements() -> None:
    # 30 two-line statements: 61 lines with the header, over MAX_LINES.
    body = "".join(f"    if x == {i}:\n        y = {i}\n" for i in range(30))
    facts = facts_of("def big(x):\n" + body)
    chunks = facts.chunks
    assert len(chunks) == 2
    assert all(c.symbol_id == M + "big" for c in chunks)
    first, second = chunks
    assert first.start_line == 0
    assert second.start_line == first.end_line + 1
    assert second.end_line == 60
    # A boundary between statements: each chunk ends after a `y = ...` line.
    assert first.code.endswith(f"        y = {first.end_line // 2 - 1}")
    assert second.code.startswith("    if x ==")
    assert first.end_line - first.start_line < MAX_LINES
    assert second.text.startswith("# big(x)\n    if x ==")


def test_huge_single_statement_splits_between_lines() -> None:
    items = "".join(f"    {i},\n" for i in range(150))
    facts = facts_of("X = [\n" + items + "]\n")
    chunks = facts.chunks
    assert len(chunks) == 3
    assert [c.start_line for c in chunks] == [0, 60, 120]
    assert chunks[-1].end_line == 151
    assert "\n".join(c.code for c in chunks) == "X = [\n" + items + "]"


def test_large_chunks_split_by_characters_too() -> None:
    statements = "".join(f"x{i} = '{'a' * 300}'\n" for i in range(10))
    chunks = facts_of(statements).chunks
    assert len(chunks) > 1
    assert all(len(c.code) <= MAX_CHARS for c in chunks)
    assert "\n".join(c.code for c in chunks) == statements.rstrip("\n")


def test_whitespace_only_module_has_no_chunks() -> None:
    assert facts_of("\n\n   \n").chunks == []
    assert facts_of("def f():\n    pass\n").chunks[0].kind == "function"


# -- positions and encodings -----------------------------------------------------


def test_utf16_columns() -> None:
    # "é" is 2 bytes and 1 UTF-16 unit; "😀" is 4 bytes and 2 units.
    source = 's = "é😀"; f(x)\ndef g(): pass\nt = "😀"; h.k()\n'
    facts = facts_of(source.encode())
    calls = facts.calls
    assert calls[0].span == Span(0, 11, 0, 12)  # bytes 14..15
    assert calls[1].span == Span(2, 10, 2, 13)  # bytes 12..15
    assert facts.symbols[1].selection == Span(1, 4, 1, 5)  # an ASCII line is unchanged
    assert facts.symbols[0].span == Span(0, 0, 3, 0)


def test_invalid_utf8_is_a_warning_with_facts() -> None:
    facts = facts_of(b"def f():\n    x = '\xff\xfe'\n    return g()\n")
    assert [s.id for s in facts.symbols] == [M, M + "f"]
    assert [c.name for c in facts.calls] == ["g"]
    assert [(d.severity, d.span) for d in facts.diagnostics] == [("warning", Span(1, 0, 1, 0))]
    assert "invalid UTF-8" in facts.diagnostics[0].message
    assert "\ufffd" in facts.chunks[0].code


def test_syntax_errors_give_partial_facts() -> None:
    facts = facts_of("import os\ndef f(:\n    pass\n\ndef g():\n    return h()\n")
    assert [s.id for s in facts.symbols] == [M, M + "f", M + "g"]
    assert [i.module for i in facts.imports] == ["os"]
    assert [c.name for c in facts.calls] == ["h"]
    errors = [d for d in facts.diagnostics if d.severity == "error"]
    assert errors and all(d.message == "syntax error" and d.span is not None for d in errors)


def test_syntax_errors_that_start_together_come_in_one_order() -> None:
    """A missing token at the start of an error node: both start at one place, the
    shorter first, whatever order the query gave them in."""
    facts = facts_of('from flask import Flask\n\nraise ImportError()\n:")\n')
    spans = [d.span for d in facts.diagnostics if d.message == "syntax error"]
    assert spans == [Span(2, 19, 2, 19), Span(2, 19, 3, 3)]


def test_syntax_error_diagnostics_are_capped() -> None:
    facts = facts_of(b"".join(b"def f%d(:\n  x = )\n" % i for i in range(100)))
    errors = [d for d in facts.diagnostics if d.message == "syntax error"]
    assert len(errors) == 20
    assert facts.diagnostics[-1].message.endswith("more syntax errors not reported")


@pytest.mark.parametrize(
    "source",
    [
        b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n",
        b"x = " + b"f(" * 5000 + b"1" + b")" * 5000 + b"\n",
        b"x = " + b"[" * 5000,  # unclosed
        b"".join(b"    " * i + b"if x:\n" for i in range(500)) + b"    " * 500 + b"import os\n",
    ],
    ids=["parens", "calls", "unclosed", "ifs"],
)
def test_deep_nesting_does_not_recurse(source: bytes) -> None:
    facts = facts_of(source)
    assert facts.symbols[0].id == M
    assert not [d for d in facts.diagnostics if "internal error" in d.message]


def test_deeply_nested_definitions() -> None:
    source = "".join("    " * i + f"def f{i}():\n" for i in range(500)) + "    " * 500 + "g()\n"
    facts = facts_of(source)
    assert len(facts.symbols) == 501
    assert facts.symbols[-1].parent == facts.symbols[-2].id
    assert facts.symbols[-1].qualname == "pkg.mod." + ".".join(f"f{i}" for i in range(500))
    assert facts.calls[0].caller == facts.symbols[-1].id
    assert not facts.diagnostics
    assert all(c.symbol_id == M + "f0" for c in facts.chunks)


def test_never_raises_on_truncated_source() -> None:
    source = textwrap.dedent(
        '''\
        @d(1)
        class A(B, metaclass=M):
            """Doc é."""
            def m(self, x: int = 1) -> str:
                from . import y
                return self.g(x)[0]()
        '''
    ).encode()
    for end in range(len(source) + 1):
        facts = facts_of(source[:end])
        assert not [d for d in facts.diagnostics if "internal error" in d.message], end


# -- incremental parsing and workers ---------------------------------------------


def _point(source: bytes, offset: int) -> tuple[int, int]:
    row = source.count(b"\n", 0, offset)
    return row, offset - (source.rfind(b"\n", 0, offset) + 1)


def test_incremental_reparse_matches_fresh_parse() -> None:
    old = b"import a\n\ndef foo(x):\n    return bar(x)\n\nclass C(foo):\n    pass\n"
    facts, tree = extract(PATH, old, MODULE)
    start = old.index(b"foo")
    new = old[:start] + b"renamed_function" + old[start + 3 :]
    tree.edit(
        start_byte=start,
        old_end_byte=start + 3,
        new_end_byte=start + len(b"renamed_function"),
        start_point=_point(old, start),
        old_end_point=_point(old, start + 3),
        new_end_point=_point(new, start + len(b"renamed_function")),
    )
    incremental, new_tree = extract(PATH, new, MODULE, old_tree=tree)
    fresh, _ = extract(PATH, new, MODULE)
    assert incremental == fresh
    assert incremental != facts
    assert [s.id for s in incremental.symbols] == [M, M + "renamed_function", M + "C"]
    assert new_tree.root_node.text == new


def test_extract_facts_pickles() -> None:
    facts = extract_facts(PATH, b"import a\nclass A(B):\n    def m(self): return f()\n", MODULE)
    assert pickle.loads(pickle.dumps(facts)) == facts
    assert [c.kind for c in facts.chunks] == ["module", "class", "method"]


def test_parsing_from_several_threads_gives_the_same_facts() -> None:
    from concurrent.futures import ThreadPoolExecutor

    source = "".join(f"def f{i}(x):\n    return g{i}(x)\n\n" for i in range(200)).encode()
    expected = facts_of(source.decode())
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: facts_of(source.decode()), range(8)))
    assert all(r == expected for r in results)


def test_class_outline_is_not_split_by_its_methods_length() -> None:
    body = "".join(f"        x = {i}\n" for i in range(80))
    facts = facts_of("class A:\n    y = 1\n    def m(self):\n" + body + "    z = 2\n")
    klass = [c for c in facts.chunks if c.kind == "class"]
    assert [(c.start_line, c.end_line) for c in klass] == [(0, 83)]
    assert klass[0].code == "class A:\n    y = 1\n    def m(self): ...\n    z = 2"
    methods = [c for c in facts.chunks if c.kind == "method"]
    assert len(methods) == 2  # 81 lines: split between statements
