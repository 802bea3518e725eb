"""The facts that parsing extracts from one file, as plain msgspec structs.

Everything here is immutable data: parsing produces it, resolution reads it, storage
writes it. Positions follow LSP conventions: lines are 0-based, columns are 0-based
UTF-16 code units, so editors can use them without conversion.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

import msgspec


class Span(msgspec.Struct, frozen=True, array_like=True):
    """A range in a file: start inclusive, end exclusive, LSP-style positions."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int


class SymbolKind(StrEnum):
    """What a definition is, in words that mean the same in every language."""

    # A file's own symbol (a Python module, a TypeScript module, a Go or Java file).
    MODULE = "module"
    # A named scope inside a file: a Rust `mod`, a TypeScript `namespace`.
    NAMESPACE = "namespace"
    CLASS = "class"
    INTERFACE = "interface"
    STRUCT = "struct"
    ENUM = "enum"
    TRAIT = "trait"
    # A type alias (`type X = ...` in TypeScript, Go or Rust).
    TYPE_ALIAS = "type"
    FUNCTION = "function"
    METHOD = "method"
    # A named constant at module or type level (`const X = 1`, an enum member).
    CONSTANT = "constant"
    # A name that a call or import points at but that no workspace file defines.
    EXTERNAL = "external"


# Kinds that hold members: a function defined directly inside one is a method, and
# its chunk is an outline with the members' bodies left to their own chunks.
TYPE_KINDS = frozenset(
    {
        SymbolKind.CLASS,
        SymbolKind.INTERFACE,
        SymbolKind.STRUCT,
        SymbolKind.ENUM,
        SymbolKind.TRAIT,
    }
)


class Symbol(msgspec.Struct, frozen=True):
    """A definition: a module, type, function, method or nested function.

    `id` is `"<path>#<local>"` where `local` is the dotted name inside the module
    (`Class.method`); the module itself has `local == ""`. A name defined twice in
    one scope gets `@2`, `@3`... appended, in source order.
    """

    id: str
    name: str
    # Module-qualified, in the language's own convention: `pkg.mod.Class.method`,
    # `crate::module::Type::method`, `com.example.Class.method`.
    qualname: str
    kind: SymbolKind
    span: Span
    selection: Span  # the name token, where editors put the cursor
    parent: str | None  # id of the enclosing symbol; None only for the module
    signature: str = ""  # "(self, x: int = 1) -> str" for callables, "(Base)" for classes
    docstring: str = ""  # the doc comment or docstring, markers stripped
    decorators: tuple[str, ...] = ()  # decorators, annotations or attributes, as written
    # Of a class: the attributes whose type its code states, `name: Type` in the
    # language's own words (Python: `self.x = Foo()` gives `x: Foo()`, a dataclass
    # field `x: Foo` gives `x: Foo`; Java, Go and Rust: a field's declared type), so a
    # resolver can follow `a.x.m()` from another file. The type reads as written in the
    # class's enclosing scope. Of a method: what resolution reads of its body or its
    # block (Python: `abstract` when it only raises `NotImplementedError` or is an
    # `@abstractmethod`; Rust: `impl Trait` for a method of an `impl Trait for Type`).
    attributes: tuple[str, ...] = ()


class ImportKind(StrEnum):
    """What an import binds."""

    # A whole module or namespace: `import a.b`, `import * as ns from "./x"`, Go's
    # `import "fmt"`, Rust's `use a::b` of a module.
    MODULE = "module"
    # One name from a module: `from m import n`, `import {n} from "./m"`,
    # `import java.util.List`.
    NAME = "name"
    # Every public name of a module: `from m import *`, `import java.util.*`, `use a::*`.
    WILDCARD = "wildcard"


# `gc=False` (here, on `CallSite` and `BaseClass`, and on `core.graph.Target`): their
# instances hold strings, numbers, spans and (a target) the targets made before it, so
# none can be part of a reference cycle; untracked by the cycle collector, the 200,000
# call sites a full index of Django decodes from its spill, and its targets, are not
# walked again by every collection while they live.
class Import(msgspec.Struct, frozen=True, gc=False):
    """One name bound by an import, in any language.

    `module` is the module specifier as written, relative forms included (`..x`,
    `./util`, `crate::a`, `github.com/x/y`); each language's resolver knows how to
    read it. Python examples:
    `import a.b as c` -> module="a.b", name=None, alias="c".
    `import a.b` -> module="a.b", name=None, alias="a" (binds the top package).
    `from .x import y as z` -> module=".x", name="y", alias="z".
    `from x import *` -> module="x", name="*", alias="*".
    """

    module: str
    name: str | None  # None for a whole module, "*" for a wildcard
    alias: str  # the local name it binds
    span: Span
    scope: str  # id of the symbol whose body holds the import (the module for top level)
    kind: ImportKind = ImportKind.NAME
    conditional: bool = False  # inside if/try/with at any depth
    type_only: bool = False  # only for types: `if TYPE_CHECKING:`, `import type {X}`
    reexport: bool = False  # also exports the name: `pub use`, `export {x} from`
    extra: str = ""  # anything language-specific the resolver needs, in its own format


class CallSite(msgspec.Struct, frozen=True, gc=False):
    """A call expression. `callee` is the text of the called expression.

    `self.save(x)` -> callee="self.save", name="save", receiver="self".
    `os.path.join()` -> callee="os.path.join", name="join", receiver="os.path".
    `foo()` -> callee="foo", name="foo", receiver=None.
    `make()()` or `x[0]()` -> callee is the text, receiver is the text before the last
    dot when there is one, name is the last identifier.
    """

    caller: str  # id of the innermost enclosing symbol
    callee: str
    name: str
    receiver: str | None
    span: Span  # the callee expression
    # What the code states of the receiver's type, in the language's own words, for
    # the resolver: an annotation (`Foo`, `Optional[pkg.Foo]`) or the call that made
    # the value (`Foo()`, `make_foo()`). Empty when the code says nothing. Python: of
    # a dotted receiver, the type of its head (`x` of `x.a.m()`); of a call of a bare
    # parameter name, the functions the file passes for that parameter, as
    # `fn:` and their symbol ids joined by `|`.
    receiver_type: str = ""
    # What the code states of the arguments, for telling overloads apart, in the
    # language's own words: `(String, ?, int)`, one type per argument and `?` where
    # the code states none; `()` for none. Empty when the language records nothing.
    arguments: str = ""
    # Code that runs without call syntax (`IMPLICIT_KINDS`), or "" for a call
    # expression. `name` is then the member that runs (`x` of a property `self.x`,
    # `__getitem__` of `obj[k]`, the decorator's name), and `callee` a short text of
    # the syntax (`self.x`, `obj[]`, `len(obj)`, `iter(obj)`, `with obj`, `@deco`). Such
    # a site becomes an edge only when it resolves to a workspace definition.
    implicit: str = ""


# The kinds of `CallSite.implicit`: a property read, a property write (its setter), a
# special method run by syntax or a builtin (`obj[k]`, `len(obj)`, `for x in obj`,
# `with obj`), a decorator applied when its definition runs.
IMPLICIT_KINDS = ("property", "setter", "protocol", "decorator")


class BaseClass(msgspec.Struct, frozen=True, gc=False):
    """One entry of a class's base list: `class A(pkg.Base, Mixin)` gives two."""

    class_id: str
    expr: str  # "pkg.Base"
    span: Span


class Chunk(msgspec.Struct, frozen=True):
    """A piece of code to search and embed: a function, method, class or module-level code.

    `text` is what gets embedded: a short header (path, qualified name, signature) and
    then the code. `text_hash` keys the embedding so unchanged text is never embedded
    twice.
    """

    id: str  # "<path>#<ordinal>"
    path: str
    symbol_id: str
    kind: str  # the symbol kind, or "module" for module-level code
    language: str
    start_line: int
    end_line: int  # inclusive, 0-based
    code: str
    text: str
    text_hash: str


class Diagnostic(msgspec.Struct, frozen=True):
    severity: str  # "error" | "warning"
    message: str
    span: Span | None = None


class FileFacts(msgspec.Struct):
    """Everything extracted from one file."""

    path: str  # workspace-relative, forward slashes
    language: str
    module: str  # dotted module name
    symbols: list[Symbol]
    imports: list[Import]
    calls: list[CallSite]
    bases: list[BaseClass]
    chunks: list[Chunk]
    diagnostics: list[Diagnostic]


class EdgeFacts(msgspec.Struct, array_like=True):
    """The part of a file's facts that resolution reads: what a full index keeps (on
    disk) between writing a file's nodes and resolving its edges."""

    path: str
    calls: list[CallSite]
    imports: list[Import]
    bases: list[BaseClass]

    @classmethod
    def of(cls, facts: FileFacts) -> EdgeFacts:
        return cls(facts.path, facts.calls, facts.imports, facts.bases)


def text_hash(text: str) -> str:
    """The content key of an embedded text: 128-bit BLAKE2b, hex."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def symbol_id(path: str, local: str) -> str:
    return f"{path}#{local}"
