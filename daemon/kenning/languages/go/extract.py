"""Go extraction: the rules tree-sitter-go's queries cannot say.

The queries in `queries/` find definitions, imports, calls and embeddings; this
module adds Go's own semantics:

* the package clause: an external test package (`package foo_test`) is a package of
  its own, named `<import path>_test`, as `go list` names it;
* generated files (`// Code generated ... DO NOT EDIT.` before the package clause)
  are skipped: only their module symbol is kept, with a warning saying why;
* import specs: the path, the alias (explicit, `.`, `_`, or the package name the
  path suggests when none is written);
* signatures (`[T any](x T) (T, error)`), doc comments, odd callees;
* the types the code states for a call's receiver (see `refine_call`), because the
  resolver only sees call sites, never the function they sit in.

A call's `receiver` is the operand's text (whitespace collapsed: `s.conn`, `fmt`,
`(*T)`). When this extraction knows what the operand is, the call's `receiver_type`
says so, in one of four forms that never mix up (a Go type name has neither a space,
nor `()`, nor `?`):

* `Server` or `pkg.Client`: a parameter, variable or struct field the code declares
  of that named type (`c pkg.Client`, `var c pkg.Client`, `c := &pkg.Client{}`,
  `c := NewClient()` with `NewClient` in the same file returning `*Client`, a field
  of a struct declared in the same file, a single-type clause of a type switch), or
  a composite literal;
* `self Server`: the receiver of the enclosing method, of type `Server`;
* `pkg.F()`: a variable holding the result of another package's function
  (`x := pkg.F()`), or such a call itself (`pkg.F().M()`): its type is whatever that
  package says, which the resolver reads from `F`'s signature in the model;
* `F()`: the same for a function another file of the package declares (`x := F()`);
* `T->f` (`T->f->g`): a field `f` of a value of the named type `T` (then field `g` of
  that) where this file does not declare `f` on `T`: `T` is declared in another file
  or package, or `f` is promoted from a struct `T` embeds. The resolver follows the
  fields each struct states in its symbol's `attributes` (`f: pkg.U`, the type as
  written in the struct's file), through embedded structs;
* `?`: a parameter or variable whose type the code does not state (`x := f()` with
  `f` a local value), so it is a value, never a package name.

Empty when the operand may be a package, a type or anything this file does not
declare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import msgspec
from tree_sitter import Language, Node, Query, QueryCursor

from kenning.core.facts import CallSite, Diagnostic, Import, ImportKind, SymbolKind
from kenning.parse.extractor import Extraction
from kenning.parse.text import collapse_whitespace

# Go's convention for generated code (https://go.dev/s/generatedcode): a line like
# this before the first non-comment, non-blank text of the file.
GENERATED = re.compile(r"^// Code generated .* DO NOT EDIT\.$", re.MULTILINE)
# Longest type text kept as a type definition's signature (`type F func(...)`).
MAX_SIGNATURE = 200
# Statement nodes that open a scope for the names declared in them (`if x := ...`).
_SCOPES = frozenset(
    {
        "block",
        "if_statement",
        "for_statement",
        "expression_switch_statement",
        "type_switch_statement",
        "select_statement",
        "expression_case",
        "type_case",
        "default_case",
        "communication_case",
        "source_file",
    }
)
_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})
_VERSION = re.compile(r"^v[0-9]+$")
# The forms of a call's `receiver_type` other than a plain type name (module doc).
SELF_PREFIX = "self "
RESULT_SUFFIX = "()"
UNSTATED = "?"
FIELD_SEP = "->"
# Go's predeclared functions (the `builtin` package's documentation): what they return
# is no workspace function's (`len(x)`), and the resolver never guesses them by name.
BUILTIN_FUNCTIONS = frozenset(
    [
        "append",
        "cap",
        "clear",
        "close",
        "complex",
        "copy",
        "delete",
        "imag",
        "len",
        "make",
        "max",
        "min",
        "new",
        "panic",
        "print",
        "println",
        "real",
        "recover",
    ]
)


@cache
def _locals_query(language: Language) -> Query:
    text = resources.files(__package__).joinpath("queries", "declared_types.scm").read_text("utf-8")
    return Query(language, text)


def assumed_package_name(path: str) -> str:
    """The package name an import path suggests, as goimports guesses it.

    The last element, skipping a major version (`.../chi/v5` -> `chi`), without a
    `go-` prefix (`go-isatty` -> `isatty`), cut at the first character an identifier
    cannot hold (`yaml.v3` -> `yaml`).
    """
    parts = [p for p in path.split("/") if p]
    if not parts:
        return path
    last = parts[-1]
    if _VERSION.match(last) and len(parts) > 1:
        last = parts[-2]
    last = last.removeprefix("go-")
    match = re.match(r"\w+", last)
    return match.group(0) if match else last


def string_value(literal: str) -> str:
    """The value of an import path literal: `"fmt"` or a raw `` `fmt` ``."""
    if len(literal) >= 2 and literal[0] == literal[-1] and literal[0] in '"`':
        return literal[1:-1]
    return literal


def type_name(node: Node | None, text: bytes) -> str | None:
    """The named type a type expression is or points to: `*pkg.T[int]` -> `pkg.T`.

    None for unnamed types (slices, maps, funcs, struct literals): nothing calls a
    method on those that kenning could find.
    """
    while node is not None:
        kind = node.type
        if kind == "type_identifier":
            return text[node.start_byte : node.end_byte].decode("utf-8", "replace")
        if kind == "qualified_type":
            package = node.child_by_field_name("package")
            name = node.child_by_field_name("name")
            if package is None or name is None:
                return None
            return (
                text[package.start_byte : package.end_byte].decode("utf-8", "replace")
                + "."
                + text[name.start_byte : name.end_byte].decode("utf-8", "replace")
            )
        if kind in ("pointer_type", "parenthesized_type"):
            node = node.named_children[0] if node.named_children else None
        elif kind == "generic_type":
            node = node.child_by_field_name("type")
        else:
            return None
    return None


@dataclass(slots=True, frozen=True)
class _Local:
    """One declared name: visible from `start` to `end`; `type` when the code states it."""

    start: int
    end: int
    role: str  # "self" for a method's receiver, "typed", "result" or "local"
    type: str | None


class GoExtraction(Extraction):
    """Go's hooks into the generic extraction."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.package_name = ""
        self.generated = False
        self._read_header()
        self._locals: dict[str, list[_Local]] | None = None
        self._results: dict[str, str] = {}
        self._fields: dict[str, dict[str, str]] = {}
        self._types: set[str] = set()

    def _read_header(self) -> None:
        """The package clause, and whether a generated-code line comes before it."""
        for child in self.root.named_children:
            if child.type == "package_clause":
                names = [c for c in child.named_children if c.type == "package_identifier"]
                if names:
                    self.package_name = self.text.node_text(names[0])
                break
            if child.type == "comment" and GENERATED.search(self.text.node_text(child)):
                self.generated = True
            elif child.type != "comment":
                break
        # `package foo_test` beside package foo is another package, named as go does.
        if self.package_name.endswith("_test") and not self.module.endswith("_test"):
            self.module = f"{self.module}_test"
            self.chunker.module = self.module

    # -- the driver --------------------------------------------------------------

    def run(self) -> None:
        if not self.generated:
            super().run()
            self._state_fields()
            return
        # Generated code (protobuf stubs, mocks, stringers, embedded assets) is large,
        # never edited by hand and repeats the same shapes, so its symbols and chunks
        # would crowd search and cost embedding time for nothing a person reads. The
        # module symbol stays so the file is known, and calls into it stay unresolved
        # rather than guessed.
        self._definitions([], {}, {})
        self.diagnostics.append(
            Diagnostic(severity="warning", message="generated file (DO NOT EDIT): not indexed")
        )

    def _state_fields(self) -> None:
        """Give each package-level struct its fields' named types (`Symbol.attributes`,
        `name: Type`; an embedded `*pkg.T` is `T: pkg.T`), for `x.f.M()` in other files.
        A walk of the top-level declarations only: most files are never asked."""
        source = self.text.source
        stated: dict[str, tuple[str, ...]] = {}
        for declaration in self.root.named_children:
            if declaration.type != "type_declaration":
                continue
            for spec in declaration.named_children:
                name = spec.child_by_field_name("name")
                struct = spec.child_by_field_name("type")
                if spec.type != "type_spec" or name is None or struct is None:
                    continue
                if struct.type != "struct_type" or not struct.named_children:
                    continue
                fields = _fields(struct.named_children[0], source)
                if fields:
                    stated[self.text.node_text(name)] = tuple(
                        f"{field}: {typ}" for field, typ in fields.items()
                    )
        if not stated:
            return
        module_id = self.symbols[0].id if self.symbols else None
        for index, symbol in enumerate(self.symbols):
            if symbol.kind == SymbolKind.STRUCT and symbol.parent == module_id:
                found = stated.get(symbol.name)
                if found:
                    self.symbols[index] = msgspec.structs.replace(symbol, attributes=found)

    def module_name_part(self) -> str:
        """The package clause's name (`yaml` for gopkg.in/yaml.v3), else the path's tail."""
        return self.package_name or self.module.rpartition("/")[2]

    # -- definitions -------------------------------------------------------------

    def docstring(self, literal: Node) -> str:
        """The package doc: the comment lines right above the package clause."""
        clause = literal.next_named_sibling
        return self.doc_comment(clause) if clause is not None else ""

    def statement_of(self, node: Node) -> Node:
        """A lone `type X ...` or `const X = ...` stands for its whole declaration, so
        its span and doc comment include the keyword line; in a group (`type ( ... )`)
        each spec stands alone."""
        parent = node.parent
        if (
            parent is not None
            and parent.type in ("type_declaration", "const_declaration")
            and parent.named_child_count == 1
        ):
            return parent
        return node

    def signature(self, kind: SymbolKind, captures: dict[str, list[Node]]) -> tuple[str, int]:
        """`[T any](x T) (T, error)` for callables, `[T any]` or the underlying type for
        types, nothing for constants."""
        text = self.text
        parts = [
            captures[c][0]
            for c in ("type_parameters", "parameters", "return_type")
            if c in captures
        ]
        if kind in (SymbolKind.FUNCTION, SymbolKind.METHOD) and parts:
            signature = " ".join(text.node_text(p) for p in parts)
            signature = (
                signature.replace("] (", "](", 1) if "type_parameters" in captures else signature
            )
            return collapse_whitespace(signature), parts[-1].end_byte
        name = captures["name"][0]
        end = parts[-1].end_byte if parts else name.end_byte
        signature = text.node_text(parts[0]) if parts else ""
        if kind == SymbolKind.TYPE_ALIAS:
            definition = name.parent
            target = definition.child_by_field_name("type") if definition is not None else None
            if target is not None:
                equals = "= " if definition is not None and definition.type == "type_alias" else ""
                signature = f"{signature} {equals}{text.node_text(target)}".strip()
        signature = collapse_whitespace(signature)
        if len(signature) > MAX_SIGNATURE:
            signature = signature[: MAX_SIGNATURE - 3] + "..."
        return signature, end

    def clean_doc_comment(self, lines: list[str]) -> str:
        """Go doc comments are `//` lines; a `//go:` or `//nolint` directive is not doc."""
        kept = [line for line in lines if not _is_directive(line)]
        return super().clean_doc_comment(kept)

    # -- imports -----------------------------------------------------------------

    def import_fact(self, captures: dict[str, list[Node]], scope: str) -> Import | None:
        text = self.text
        binding = captures["import.binding"][0]
        path = string_value(text.node_text(captures["import.path"][0]))
        alias_nodes = captures.get("import.alias")
        written = text.node_text(alias_nodes[0]) if alias_nodes else None
        if written == ".":
            return Import(
                module=path, name="*", alias="*", span=text.span(binding), scope=scope,
                kind=ImportKind.WILDCARD,
            )  # fmt: skip
        # Without an alias the package's own name is bound, which only its files say;
        # `extra` marks the guess so the resolver can check it against the package.
        return Import(
            module=path,
            name=None,
            alias=written or assumed_package_name(path),
            span=text.span(binding),
            scope=scope,
            kind=ImportKind.MODULE,
            extra="" if written else "assumed",
        )

    # -- calls -------------------------------------------------------------------

    def odd_callee(self, callee: Node) -> tuple[str, str | None]:
        """Name a callee like `fs[i]()`, `f()()`, `(f)()` or `x.(func())()`: the name
        that produced the called value, with its receiver when it was selected."""
        node = _called_value(callee)
        if node is not None and node.type in ("identifier", "type_identifier"):
            return self.text.node_text(node), None
        if node is not None and node.type == "func_literal":
            # An immediately called closure: its text can be a page long.
            return "func", None
        if node is not None and node.type == "selector_expression":
            field = node.child_by_field_name("field")
            operand = node.child_by_field_name("operand")
            if field is not None and operand is not None:
                return self.text.node_text(field), self.call_receiver(operand)
        return collapse_whitespace(self.text.node_text(callee)), None

    def call_receiver(self, receiver: Node) -> str:
        """The operand's text on one line: the resolver reads `a.b` parts from it."""
        return collapse_whitespace(self.text.node_text(receiver))

    def refine_call(self, site: CallSite, captures: dict[str, list[Node]]) -> CallSite:
        """Add the receiver's `receiver_type` (see the module doc) when the code says
        what the operand is."""
        if site.receiver is None:
            return site
        receiver: Node | None
        if "call.odd" in captures:
            selected = _called_value(captures["call.callee"][0])
            receiver = (
                selected.child_by_field_name("operand")
                if selected is not None and selected.type == "selector_expression"
                else None
            )
        else:
            receiver = captures["call.receiver"][0]
        if receiver is None:
            return site
        role, typ = self._receiver_type(receiver)
        if role is None:
            return site
        return msgspec.structs.replace(site, receiver_type=receiver_type_text(role, typ))

    def _receiver_type(self, node: Node) -> tuple[str | None, str | None]:
        """(role, type) of a receiver expression, or (None, None) when it may be a
        package or anything else this file does not declare."""
        kind = node.type
        if kind == "identifier":
            local = self._local(self.text.node_text(node), node.start_byte)
            if local is None:
                return None, None
            return local.role, local.type
        if kind == "selector_expression":
            operand = node.child_by_field_name("operand")
            field = node.child_by_field_name("field")
            if operand is None or field is None:
                return None, None
            role, typ = self._receiver_type(operand)
            if role is None:
                return None, None
            # A field of a struct this file declares has the type written there.
            field_type = self._fields.get(typ or "", {}).get(self.text.node_text(field))
            if field_type:
                return "typed", field_type
            if role in ("typed", "self", "field") and typ:
                # Declared elsewhere, or promoted: the resolver follows the structs.
                return "field", f"{typ}{FIELD_SEP}{self.text.node_text(field)}"
            return "local", None
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            inner = node.named_children[0]
            operand = inner.child_by_field_name("operand")
            if (
                inner.type == "unary_expression"
                and operand is not None
                and operand.type != "composite_literal"
            ):
                # `(*p).M()` dereferences a pointer the code declared; `(*T).M` is a
                # method expression, which the resolver reads from the text.
                return self._receiver_type(operand)
            return self._receiver_type(inner)
        return self._value_origin(node)

    def _value_origin(self, node: Node) -> tuple[str | None, str | None]:
        """("typed", T) for a value whose type the expression states, ("result",
        "pkg.F") for the result of a function of another package (`pkg.F()`), whose
        type only that package states, ("result", "F") for one of this package's
        functions declared in another file; (None, None) otherwise."""
        typ = self._value_type(node)
        if typ is not None:
            return "typed", typ
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "selector_expression":
                operand = function.child_by_field_name("operand")
                field = function.child_by_field_name("field")
                if (
                    operand is not None
                    and field is not None
                    and operand.type == "identifier"
                    and self._local(self.text.node_text(operand), operand.start_byte) is None
                ):
                    return "result", f"{self.text.node_text(operand)}.{self.text.node_text(field)}"
            if (
                function is not None
                and function.type == "identifier"
                and self.text.node_text(function) not in BUILTIN_FUNCTIONS
                and self._local(self.text.node_text(function), function.start_byte) is None
            ):
                # `F()` of a function another file of the package declares: what it
                # returns is stated there, so the resolver reads it (`F()` form).
                return "result", self.text.node_text(function)
        return None, None

    def _value_type(self, node: Node | None) -> str | None:
        """The named type of a value expression when the expression states it:
        `T{}`, `&T{}`, `new(T)`, `NewT()` (same file), `T(x)` (a same-file type)."""
        source = self.text.source
        while node is not None and node.type in ("unary_expression", "parenthesized_expression"):
            node = node.child_by_field_name("operand") or (
                node.named_children[0] if node.named_children else None
            )
        if node is None:
            return None
        if node.type == "composite_literal":
            return type_name(node.child_by_field_name("type"), source)
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function is None or function.type != "identifier":
                return None
            name = self.text.node_text(function)
            self._ensure_locals()
            if name == "new":
                arguments = node.child_by_field_name("arguments")
                first = (
                    arguments.named_children[0] if arguments and arguments.named_children else None
                )
                return type_name(first, source)
            if name in self._results:
                return self._results[name]
            if name in self._types:
                return name
        return None

    def _local(self, name: str, at: int) -> _Local | None:
        """The innermost declaration of `name` visible at byte `at`."""
        self._ensure_locals()
        assert self._locals is not None
        best: _Local | None = None
        for local in self._locals.get(name, ()):
            if local.start <= at < local.end and (best is None or local.start >= best.start):
                best = local
        return best

    def _ensure_locals(self) -> None:
        """Collect the file's declarations once, on the first receiver that needs them."""
        if self._locals is not None:
            return
        self._locals = {}
        source = self.text.source
        declarations: list[tuple[str, Node]] = []
        for _, captures in QueryCursor(_locals_query(self.queries.language)).matches(self.root):
            for capture, nodes in captures.items():
                node = nodes[0]
                if capture.startswith("local."):
                    declarations.append((capture, node))
                elif capture == "function.result":
                    result = _first_result(node)
                    typ = type_name(result, source)
                    if typ:
                        self._results[self.text.node_text(captures["function.name"][0])] = typ
                elif capture == "struct.fields":
                    self._fields[self.text.node_text(captures["struct.name"][0])] = _fields(
                        node, source
                    )
                elif capture == "type.name":
                    self._types.add(self.text.node_text(node))
        # Declarations read the same-file results and fields: collect those first.
        for capture, node in declarations:
            self._declare(capture, node)

    def _declare(self, capture: str, node: Node) -> None:
        source = self.text.source
        role: str | None
        typ: str | None
        if capture == "local.parameter":
            owner = node.parent.parent if node.parent is not None else None
            if owner is None or owner.type not in _FUNCTIONS:
                return  # a function type's or interface method's parameters bind nothing
            receiver = owner.child_by_field_name("receiver")
            is_receiver = receiver is not None and receiver.start_byte == node.parent.start_byte  # type: ignore[union-attr]
            typ = (
                None
                if node.type == "variadic_parameter_declaration"
                else type_name(node.child_by_field_name("type"), source)
            )
            stated = "self" if is_receiver else "typed"
            for name in _names(node):
                self._add(name, owner.start_byte, owner.end_byte, stated if typ else "local", typ)
            return
        scope = _scope_of(node)
        if scope is None:
            return
        # Package-level variables are visible in the whole file, before them too.
        begin = 0 if scope.type == "source_file" else node.end_byte
        if capture == "local.var":
            declared = type_name(node.child_by_field_name("type"), source)
            values = _expressions(node.child_by_field_name("value"))
            names = _names(node)
            for index, name in enumerate(names):
                role, typ = ("typed", declared) if declared else (None, None)
                if node.child_by_field_name("type") is None and len(values) == len(names):
                    role, typ = self._value_origin(values[index])
                self._add(name, begin, scope.end_byte, role or "local", typ)
        elif capture == "local.short":
            left = _expressions(node.child_by_field_name("left"))
            right = _expressions(node.child_by_field_name("right"))
            for index, target in enumerate(left):
                if target.type != "identifier":
                    continue
                role, typ = None, None
                if len(right) == len(left):
                    role, typ = self._value_origin(right[index])
                elif index == 0 and len(right) == 1:
                    role, typ = self._value_origin(right[0])  # `x, err := NewX()`
                self._add(self.text.node_text(target), begin, scope.end_byte, role or "local", typ)
        elif capture == "local.range":
            for target in _expressions(node.child_by_field_name("left")):
                if target.type == "identifier":
                    self._add(self.text.node_text(target), begin, scope.end_byte, "local", None)
        elif capture == "local.switch":
            for target in _expressions(node.child_by_field_name("alias")):
                name = self.text.node_text(target)
                self._add(name, target.end_byte, node.end_byte, "local", None)
                # In a clause naming one type, the alias has that type.
                for clause in node.named_children:
                    types = clause.children_by_field_name("type")
                    if clause.type == "type_case" and len(types) == 1:
                        case_type = type_name(types[0], source)
                        if case_type is not None:
                            self._add(name, clause.start_byte, clause.end_byte, "typed", case_type)

    def _add(self, name: str, start: int, end: int, role: str, typ: str | None) -> None:
        if name == "_":
            return
        assert self._locals is not None
        self._locals.setdefault(name, []).append(_Local(start, end, role, typ))


def receiver_type_text(role: str, typ: str | None) -> str:
    """A call's `receiver_type` (see the module doc) from the operand's role
    (`typed`, `self`, `result`, `local`) and type."""
    if typ is None:
        return UNSTATED
    if role == "self":
        return f"{SELF_PREFIX}{typ}"
    if role == "result":
        return f"{typ}{RESULT_SUFFIX}"
    return typ


def read_receiver_type(text: str) -> tuple[str | None, str | None]:
    """(role, type) of a call's `receiver_type`: `pkg.T` -> ("typed", "pkg.T"),
    `self T` -> ("self", "T"), `pkg.F()` -> ("result", "pkg.F"), `T->f` -> ("field",
    "T->f"), `?` -> ("local", None), empty -> (None, None)."""
    if not text:
        return None, None
    if text == UNSTATED:
        return "local", None
    if FIELD_SEP in text:
        return "field", text
    if text.startswith(SELF_PREFIX):
        return "self", text.removeprefix(SELF_PREFIX)
    if text.endswith(RESULT_SUFFIX):
        return "result", text.removesuffix(RESULT_SUFFIX)
    return "typed", text


def _called_value(callee: Node) -> Node | None:
    """The expression that produced an odd callee's value: `fs` of `fs[i]()`, `f` of
    `f()()`, `x.f` of `x.f()()`."""
    node: Node | None = callee
    while node is not None:
        kind = node.type
        if kind == "call_expression":
            node = node.child_by_field_name("function")
        elif kind in ("index_expression", "type_assertion_expression", "unary_expression"):
            node = node.child_by_field_name("operand")
        elif kind == "generic_type":
            node = node.child_by_field_name("type")
        elif kind == "parenthesized_expression":
            node = next((c for c in node.named_children if c.type != "comment"), None)
        else:
            break
    return node


def _is_directive(line: str) -> bool:
    body = line.strip().removeprefix("//")
    return body.startswith(("go:", "nolint", "lint:", "+build")) and not body.startswith("go: ")


def _names(node: Node) -> list[str]:
    return [
        child.text.decode("utf-8", "replace")
        for child in node.children_by_field_name("name")
        if child.text is not None
    ]


def _expressions(node: Node | None) -> list[Node]:
    if node is None:
        return []
    if node.type == "expression_list":
        return [c for c in node.named_children if c.type != "comment"]
    return [node]


def _scope_of(node: Node) -> Node | None:
    """The node whose extent a declaration is visible in (its block, `if`, `for`...)."""
    current = node.parent
    while current is not None and current.type not in _SCOPES:
        current = current.parent
    return current


def _first_result(result: Node) -> Node | None:
    """A function's first result type: `*T` of `(*T, error)`, or the lone result."""
    if result.type != "parameter_list":
        return result
    for child in result.named_children:
        if child.type == "parameter_declaration":
            return child.child_by_field_name("type")
    return None


def _fields(field_list: Node, source: bytes) -> dict[str, str]:
    """Field name -> named type of a struct's fields; an embedded `*pkg.T` is field `T`."""
    fields: dict[str, str] = {}
    for declaration in field_list.named_children:
        if declaration.type != "field_declaration":
            continue
        typ = type_name(declaration.child_by_field_name("type"), source)
        if typ is None:
            continue
        names = _names(declaration)
        for name in names or [typ.rpartition(".")[2]]:
            fields[name] = typ
    return fields
