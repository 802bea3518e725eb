"""TypeScript and JavaScript extraction: the rules their queries cannot say.

Shared by both languages (JavaScript's folder reuses this class with its own
queries). What stays here: how ESM imports, re-exports, CommonJS `require` and
`module.exports` map to `Import` facts; the `export` wrappers around definitions;
JSDoc comments; which files are minified or generated and so not worth extracting;
and the declared types of receivers, so that `x.m()` with `x: Foo` can be resolved
through `Foo` (resolution `typed`).

A call's `receiver` is the operand's source text (`x`, `this.repo`). When the code
states the operand's type, the call's `receiver_type` holds the type's name as
written, without type arguments or `| null` / `| undefined` (`x: Foo<T> | null`
gives `Foo`, `y: ns.Foo` gives `ns.Foo`); the resolver looks that name up from the
call's scope. `const x = make()` gives `make()`: the resolver reads the return type
that `make`'s declaration states. It is stored with the call, so a restart
re-resolves it without re-parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import msgspec
from tree_sitter import Language, Node, Query, QueryCursor

from kenning.core.facts import Diagnostic, Import, ImportKind, SymbolKind
from kenning.parse.extractor import Extraction
from kenning.parse.text import collapse_whitespace

# Statements whose body may not run: an import inside one is `conditional`.
_CONDITIONAL = frozenset(
    {
        "if_statement",
        "try_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "do_statement",
        "switch_statement",
        "ternary_expression",
    }
)
_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "generator_function",
        "arrow_function",
        "method_definition",
        "function_signature",
        "method_signature",
        "abstract_method_signature",
    }
)
# Minified or machine-written files: their symbols and calls are noise (a bundle
# repeats its sources; a minified file names everything `a`, `b`, `c`), and a file
# with one 200 kB line makes poor chunks. Such a file keeps its module symbol and a
# warning saying why nothing else was extracted.
MINIFIED_SUFFIXES = (".min.js", ".min.mjs", ".min.cjs", ".bundle.js")
# Minified: most bytes sit on very long lines, and those are not a rare exception (one
# inlined data string among ordinary code does not make a file minified).
MINIFIED_AVERAGE_LINE = 300  # bytes per line: below this, no closer look
MINIFIED_LONG_LINE = 1000
MINIFIED_LONG_SHARE = 0.5  # of the bytes, on long lines
MINIFIED_LONG_LINES = 0.05  # of the lines, long
MINIFIED_MIN_SIZE = 2048  # a short one-liner is not a minified file
GENERATED_MARKERS = (b"@generated", b"Code generated", b"DO NOT EDIT", b"auto-generated")
GENERATED_HEAD_BYTES = 512
# Receivers a declared type can belong to: a plain name or `this.name`.
_SIMPLE_RECEIVER = re.compile(r"^(?:this\.)?[\w$]+$")
_CALLABLE = frozenset({SymbolKind.FUNCTION, SymbolKind.METHOD})
_NULLISH = frozenset({"null", "undefined"})


@cache
def _types_query(language: Language, source: str) -> Query:
    return Query(language, source)


def skip_reason(path: str, source: bytes) -> str | None:
    """Why a file is not worth extracting (minified, generated), or None."""
    if path.endswith(MINIFIED_SUFFIXES):
        return "minified (by its name)"
    head = source[:GENERATED_HEAD_BYTES]
    if any(marker in head for marker in GENERATED_MARKERS):
        return "generated (marked in its header)"
    if len(source) >= MINIFIED_MIN_SIZE:
        average = len(source) // (source.count(b"\n") + 1)
        if average > MINIFIED_AVERAGE_LINE:
            lines = source.split(b"\n")
            long_lines = [len(line) for line in lines if len(line) > MINIFIED_LONG_LINE]
            if sum(long_lines) > MINIFIED_LONG_SHARE * len(source) and len(
                long_lines
            ) >= MINIFIED_LONG_LINES * len(lines):
                return f"minified (average line length {average})"
    return None


def unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] in "'\"`" and text[-1] == text[0] else text


# Ends a `receiver_type` that names the function whose result the receiver holds
# (`make()` for `const x = make()`), which no type name does.
MADE_SUFFIX = "()"


def type_name(node: Node, text_of: Callable[[Node], str]) -> str | None:
    """The named type a type node stands for: `Foo<T>` -> Foo, `ns.Foo` -> ns.Foo,
    `Foo | null` -> Foo; None for unions, arrays, literals and other shapes."""
    kind = node.type
    if kind in ("type_identifier", "identifier", "predefined_type"):
        return text_of(node)
    if kind in ("nested_type_identifier", "member_expression"):
        return "".join(text_of(node).split())
    if kind == "generic_type":
        name = node.child_by_field_name("name")
        return type_name(name, text_of) if name is not None else None
    if kind == "union_type":
        real = [
            c
            for c in node.named_children
            if c.type != "comment" and not (c.type == "literal_type" and text_of(c) in _NULLISH)
        ]
        if len(real) == 1:
            return type_name(real[0], text_of)
    return None


class ScriptExtraction(Extraction):
    """TypeScript's and JavaScript's hooks into the generic extraction."""

    # `export function f` / `export default class A`: the export is the statement.
    wrapper_types = frozenset({"export_statement", "ambient_declaration"})
    # The declared-types query, per language (see queries/types.scm).
    types_source: str = ""

    def module_name_part(self) -> str:
        return self.module.rpartition("/")[2]

    def run(self) -> None:
        reason = skip_reason(self.path, self.text.source)
        if reason is not None:
            self._definitions([], {}, {})
            self.diagnostics.append(Diagnostic(severity="warning", message=f"skipped: {reason}"))
            return
        super().run()
        if self.types_source and any(c.receiver for c in self.calls):
            self._type_receivers()

    def decorator_text(self, node: Node) -> str:
        return collapse_whitespace(self.text.node_text(node).removeprefix("@"))

    def signature(self, kind: SymbolKind, captures: dict[str, list[Node]]) -> tuple[str, int]:
        signature, end = super().signature(kind, captures)
        if signature and "superclasses" in captures and kind not in _CALLABLE:
            # `class A extends B implements C`: read after the name, as written.
            return f" {signature}", end
        parameters = captures.get("parameters")
        if parameters and parameters[0].type == "identifier":
            # `x => x`: one bare parameter, written without parentheses.
            signature = f"({signature})"
        return signature, end

    # -- imports -------------------------------------------------------------------

    def import_fact(self, captures: dict[str, list[Node]], scope: str) -> Import | None:
        text = self.text
        binding = captures["import.binding"][0]
        source = captures.get("import.source")
        module = text.node_text(source[0]) if source else ""
        name_nodes = captures.get("import.name")
        alias_nodes = captures.get("import.alias")
        name = text.node_text(name_nodes[0]) if name_nodes else None
        alias = text.node_text(alias_nodes[0]) if alias_nodes else None
        kind = ImportKind.NAME
        reexport = "import.reexport" in captures or "import.export" in captures
        if "import.wildcard" in captures:
            name, alias, kind = "*", "*", ImportKind.WILDCARD
        elif "import.namespace" in captures:
            name, kind = None, ImportKind.MODULE
        elif "import.default" in captures:
            name = "default"
        elif "import.module_exports" in captures:
            alias = "default"
        if name is not None and name != "*":
            name = unquote(name)
        if alias is None:
            alias = name or module
        alias = unquote(alias)
        if "import.export" in captures and name == alias:
            # `module.exports = { f: f }`: the module's own `f` is found by its name.
            return None
        return Import(
            module=module,
            name=name,
            alias=alias,
            span=text.span(binding),
            scope=scope,
            kind=kind,
            conditional=self._conditional(binding),
            type_only=self._type_only(binding),
            reexport=reexport,
            extra="require" if "import.require" in captures else "",
        )

    def _conditional(self, node: Node) -> bool:
        parent = node.parent
        while parent is not None and parent.type not in _FUNCTIONS:
            if parent.type in _CONDITIONAL:
                return True
            parent = parent.parent
        return False

    def _type_only(self, binding: Node) -> bool:
        # `import type {A} from`, `import {type A} from`, `export type {A} from`.
        if any(c.type == "type" for c in binding.children):
            return True
        node: Node | None = binding
        while node is not None and node.type not in ("import_statement", "export_statement"):
            node = node.parent
        return node is not None and any(c.type == "type" for c in node.children)

    def odd_callee(self, callee: Node) -> tuple[str, str | None]:
        """Name a callee like `make()()`, `handlers[k]()` or `(a || b)()`."""
        node: Node | None = callee
        while node is not None:
            kind = node.type
            if kind == "call_expression":
                node = node.child_by_field_name("function")
            elif kind == "subscript_expression":
                node = node.child_by_field_name("object")
            elif kind in ("parenthesized_expression", "await_expression", "non_null_expression"):
                node = next((c for c in node.named_children if c.type != "comment"), None)
            else:
                break
        if node is not None and node.type == "identifier":
            return self.text.node_text(node), None
        if node is not None and node.type == "member_expression":
            prop = node.child_by_field_name("property")
            obj = node.child_by_field_name("object")
            if prop is not None and obj is not None:
                return self.text.node_text(prop), self.text.node_text(obj)
        return self.text.node_text(callee), None

    # -- declared types of receivers ------------------------------------------------

    def _type_receivers(self) -> None:
        """Set `receiver_type` of calls on receivers whose type the code states."""
        declared: dict[tuple[str, str], str] = {}  # (scope id, name or this.name) -> type
        query = _types_query(self.queries.language, self.types_source)
        for _, captures in QueryCursor(query).matches(self.root):
            type_node = captures["type"][0]
            if "made" in captures:
                # The resolver reads what the function's declaration says it returns.
                type_text: str | None = self.text.node_text(captures["made"][0]) + MADE_SUFFIX
            else:
                type_text = type_name(type_node, self.text.node_text)
            if not type_text:
                continue
            declaration = captures["declaration"][0]
            if "var" in captures:
                key = (self._declaring_scope(declaration), self.text.node_text(captures["var"][0]))
            else:
                owner = self._class_of(declaration)
                if owner is None:
                    continue
                key = (owner, "this." + self.text.node_text(captures["field"][0]))
            declared.setdefault(key, type_text)
        if not declared:
            return
        parents = {s.id: s.parent for s in self.symbols}
        kinds = {s.id: s.kind for s in self.symbols}
        for index, call in enumerate(self.calls):
            receiver = call.receiver
            if receiver is None or not _SIMPLE_RECEIVER.match(receiver):
                continue
            scope: str | None = call.caller
            found: str | None = None
            while scope is not None and found is None:
                if receiver.startswith("this."):
                    if kinds.get(scope) == SymbolKind.CLASS:
                        found = declared.get((scope, receiver))
                else:
                    found = declared.get((scope, receiver))
                scope = parents.get(scope)
            if found is not None:
                self.calls[index] = msgspec.structs.replace(call, receiver_type=found)

    def _declaring_scope(self, declaration: Node) -> str:
        """The scope a declaration binds in: a parameter binds in its function's body."""
        node: Node | None = declaration
        if declaration.type in ("required_parameter", "optional_parameter"):
            while node is not None and node.type not in _FUNCTIONS:
                node = node.parent
            if node is not None:
                body = node.child_by_field_name("body")
                if body is not None:
                    return self.scope_at(body.start_byte)
        return self.scope_at(declaration.start_byte)

    def _class_of(self, declaration: Node) -> str | None:
        node = declaration.parent
        while node is not None and node.type != "class_body":
            node = node.parent
        if node is None:
            return None
        return self.scope_at(node.start_byte)
