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
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"
    METHOD = "method"
    # A name that a call or import points at but that no workspace file defines.
    EXTERNAL = "external"


class Symbol(msgspec.Struct, frozen=True):
    """A definition: a module, class, function, method or nested function.

    `id` is `"<path>#<local>"` where `local` is the dotted name inside the module
    (`Class.method`); the module itself has `local == ""`. A name defined twice in
    one scope gets `@2`, `@3`... appended, in source order.
    """

    id: str
    name: str
    qualname: str  # module-qualified: pkg.mod.Class.method
    kind: SymbolKind
    span: Span
    selection: Span  # the name token, where editors put the cursor
    parent: str | None  # id of the enclosing symbol; None only for the module
    signature: str = ""  # "(self, x: int = 1) -> str" for callables, "(Base)" for classes
    docstring: str = ""
    decorators: tuple[str, ...] = ()


class Import(msgspec.Struct, frozen=True):
    """One name bound by an import statement.

    `import a.b as c` -> module="a.b", name=None, alias="c".
    `import a.b` -> module="a.b", name=None, alias="a" (binds the top package).
    `from .x import y as z` -> module="x", level=1, name="y", alias="z".
    `from x import *` -> module="x", name="*", alias="*".
    """

    module: str
    name: str | None
    alias: str
    level: int  # leading dots of a relative import, 0 for absolute
    span: Span
    scope: str  # id of the symbol whose body holds the import (the module for top level)
    conditional: bool = False  # inside if/try/with at any depth
    type_checking: bool = False  # inside `if TYPE_CHECKING:`


class CallSite(msgspec.Struct, frozen=True):
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


class BaseClass(msgspec.Struct, frozen=True):
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


def text_hash(text: str) -> str:
    """The content key of an embedded text: 128-bit BLAKE2b, hex."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def symbol_id(path: str, local: str) -> str:
    return f"{path}#{local}"
