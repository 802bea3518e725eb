"""Python extraction: the few rules tree-sitter-python's queries cannot say.

The queries in `queries/` find the nodes; `parse.extractor.Extraction` turns them into
facts. What stays here is Python's own semantics: import forms and relative levels,
`if TYPE_CHECKING:` blocks, docstring literals, `->` signatures and naming odd
callees.
"""

from __future__ import annotations

import ast
from importlib import resources
from inspect import cleandoc
from typing import Any

import msgspec
from tree_sitter import Language, Node, Query, QueryCursor

from kenning.core.facts import TYPE_KINDS, CallSite, Import, ImportKind, Span, SymbolKind
from kenning.parse.extractor import Extraction
from kenning.parse.text import collapse_whitespace

# Statements whose body may not run: an import inside one is `conditional`.
_CONDITIONAL = frozenset(
    {
        "if_statement",
        "try_statement",
        "with_statement",
        "for_statement",
        "while_statement",
        "match_statement",
    }
)
# Where an import's scope ends when walking up from it.
_SCOPE_BOUNDARY = frozenset({"function_definition", "class_definition", "module"})
_STRING_PREFIX = frozenset("rRuUbBfFtT")
# Literal values and the builtin type they make: `x = []` then `x.append()` is list's.
_LITERAL_TYPES = {
    "list": "list",
    "list_comprehension": "list",
    "dictionary": "dict",
    "dictionary_comprehension": "dict",
    "set": "set",
    "set_comprehension": "set",
    "string": "str",
    "concatenated_string": "str",
    "integer": "int",
    "float": "float",
    "tuple": "tuple",
}
_RECEIVER_QUERIES: dict[int, Query] = {}


def _receiver_query(language: Language) -> Query:
    query = _RECEIVER_QUERIES.get(id(language))
    if query is None:
        source = resources.files(__package__).joinpath("queries", "receivers.scm")
        query = _RECEIVER_QUERIES[id(language)] = Query(
            language, source.read_text(encoding="utf-8")
        )
    return query


def _before(a: Span, b: Span) -> bool:
    return (a.start_line, a.start_col) < (b.start_line, b.start_col)


def string_literal_value(literal: str) -> str | None:
    """The value of a plain string literal, or None for bytes and f-strings.

    Cheap for the common case (no backslash): quotes are stripped, nothing else;
    escapes are left to `ast.literal_eval`.
    """
    prefix_len = 0
    while prefix_len < len(literal) and literal[prefix_len] in _STRING_PREFIX:
        prefix_len += 1
    prefix = literal[:prefix_len].lower()
    if "b" in prefix or "f" in prefix or "t" in prefix:
        return None
    body = literal[prefix_len:]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    if not quote or not body.endswith(quote) or len(body) < 2 * len(quote):
        return None
    inner = body[len(quote) : len(body) - len(quote)]
    if "\\" in inner and "r" not in prefix:
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return inner
        return value if isinstance(value, str) else None
    return inner


class PythonExtraction(Extraction):
    """Python's hooks into the generic extraction."""

    def run(self) -> None:
        super().run()
        self._receiver_types()

    def _receiver_types(self) -> None:
        """Give calls on a name or a `self` attribute what the code states of its type.

        Within one file: a parameter's annotation, the last assignment to a local (or
        module-level) name before the call (`x = Foo()`, `x: Foo = ...`, `x = []`),
        or every assignment to `self.attr` in the class's methods and the class
        body's annotations (`attr: Foo`, dataclass fields), when they agree.
        """
        wanted = [
            i
            for i, call in enumerate(self.calls)
            if call.receiver is not None
            and call.receiver not in ("self", "cls")
            and (
                call.receiver.isidentifier()
                or (
                    call.receiver.startswith(("self.", "cls."))
                    and call.receiver.count(".") == 1
                    and call.receiver.partition(".")[2].isidentifier()
                )
            )
        ]
        if not wanted:
            return
        symbols = {s.id: s for s in self.symbols}
        # (scope id, name) -> [(where, type or "" when unknown)], source order.
        names: dict[tuple[str, str], list[tuple[Span, str]]] = {}
        # (class id, attribute) -> types assigned ("" when unknown).
        attributes: dict[tuple[str, str], set[str]] = {}
        text = self.text
        query = _receiver_query(self.queries.language)
        for _, captures in QueryCursor(query).matches(self.root):
            if "param" in captures:
                function = captures["param"][0].parent
                while function is not None and function.type != "function_definition":
                    function = function.parent
                body = function.child_by_field_name("body") if function is not None else None
                if body is None:
                    continue
                scope = self.scope_at(body.start_byte)
                name = text.node_text(captures["name"][0])
                kind = self._annotation(captures["type"][0])
                names.setdefault((scope, name), []).append((Span(0, 0, 0, 0), kind))
                continue
            assign = captures["assign"][0]
            left = captures["left"][0]
            kind = self._assigned_type(assign)
            scope = self.scope_at(assign.start_byte)
            if left.type == "identifier":
                name = text.node_text(left)
                names.setdefault((scope, name), []).append((text.span(assign), kind))
                info = symbols.get(scope)
                if info is not None and info.kind in TYPE_KINDS and kind:
                    attributes.setdefault((scope, name), set()).add(kind)
                continue
            owner = left.child_by_field_name("object")
            attribute = left.child_by_field_name("attribute")
            if owner is None or attribute is None or text.node_text(owner) not in ("self", "cls"):
                continue
            cls = self._class_of(symbols, scope)
            if cls is not None and kind != "None":
                attributes.setdefault((cls, text.node_text(attribute)), set()).add(kind)
        for i in wanted:
            call = self.calls[i]
            assert call.receiver is not None
            if "." in call.receiver:
                cls_id = self._class_of(symbols, call.caller)
                kinds = attributes.get((cls_id or "", call.receiver.partition(".")[2]), set())
                found = next(iter(kinds)) if len(kinds) == 1 else ""
            else:
                found = self._name_type(symbols, names, call)
            if found and found != "None":
                self.calls[i] = msgspec.structs.replace(call, receiver_type=found)

    def _name_type(
        self,
        symbols: dict[str, Any],
        names: dict[tuple[str, str], list[tuple[Span, str]]],
        call: CallSite,
    ) -> str:
        """The type of the name `call.receiver` at the call, innermost scope first."""
        assert call.receiver is not None
        scope: str | None = call.caller
        first = True
        while scope is not None:
            info = symbols.get(scope)
            if info is None:
                return ""
            if first or info.kind not in TYPE_KINDS:
                entries = names.get((scope, call.receiver))
                if entries:
                    earlier = [kind for where, kind in entries if _before(where, call.span)]
                    if earlier:
                        return earlier[-1]
                    kinds = {kind for _, kind in entries}
                    return kinds.pop() if len(kinds) == 1 else ""
            first = False
            scope = info.parent
        return ""

    @staticmethod
    def _class_of(symbols: dict[str, Any], scope: str) -> str | None:
        """The class whose method (or nested function) `scope` is."""
        current: str | None = scope
        while current is not None:
            info = symbols.get(current)
            if info is None:
                return None
            if info.kind in TYPE_KINDS:
                return current
            current = info.parent
        return None

    def _annotation(self, node: Node) -> str:
        return collapse_whitespace(self.text.node_text(node))

    def _assigned_type(self, assign: Node) -> str:
        """`Foo` for `x: Foo = ...`, `Foo()` for `x = Foo(...)`, `list` for `x = []`;
        "" when the value says nothing, "None" for `x = None`."""
        annotation = assign.child_by_field_name("type")
        if annotation is not None:
            return self._annotation(annotation)
        right = assign.child_by_field_name("right")
        if right is None:
            return ""
        kind = right.type
        if kind == "call":
            function = right.child_by_field_name("function")
            if function is not None and function.type in ("identifier", "attribute"):
                callee = self.text.node_text(function)
                if "".join(callee.split(".")).isidentifier():
                    return callee + "()"
            return ""
        if kind == "none":
            return "None"
        return _LITERAL_TYPES.get(kind, "")

    def docstring(self, literal: Node) -> str:
        value = string_literal_value(self.text.node_text(literal))
        return cleandoc(value) if value else ""

    def import_fact(self, captures: dict[str, list[Node]], scope: str) -> Import | None:
        text = self.text
        binding = captures["import.binding"][0]
        alias_nodes = captures.get("import.alias")
        alias = text.node_text(alias_nodes[0]) if alias_nodes else None
        name: str | None
        kind = ImportKind.NAME
        if "import.module" in captures:
            # `import a.b` binds `a`; `import a.b as c` binds `c`.
            module = _dotted(text.node_text(captures["import.module"][0]))
            name = None
            kind = ImportKind.MODULE
            if alias is None:
                alias = module.partition(".")[0]
        else:
            if "import.future" in captures:
                module = "__future__"
            else:
                # Relative imports keep their dots: `from ..x import y` -> "..x".
                module = _dotted(text.node_text(captures["import.from"][0]))
            if "import.wildcard" in captures:
                name = "*"
                kind = ImportKind.WILDCARD
            else:
                name = _dotted(text.node_text(captures["import.name"][0]))
            if alias is None:
                alias = name
        conditional, type_checking = self._guards(binding)
        return Import(
            module=module,
            name=name,
            alias=alias,
            span=text.span(binding),
            scope=scope,
            kind=kind,
            conditional=conditional,
            type_only=type_checking,
        )

    def signature(self, kind: SymbolKind, captures: dict[str, list[Node]]) -> tuple[str, int]:
        """`(self, x: int = 1) -> str` for functions, `(Base)` for classes."""
        if kind not in (SymbolKind.FUNCTION, SymbolKind.METHOD):
            return super().signature(kind, captures)
        parameters = captures["parameters"][0]
        returns = captures.get("return_type")
        signature = self.text.node_text(parameters)
        header_end = parameters.end_byte
        if returns:
            signature = f"{signature} -> {self.text.node_text(returns[0])}"
            header_end = returns[0].end_byte
        return collapse_whitespace(signature), header_end

    def _guards(self, node: Node) -> tuple[bool, bool]:
        """(conditional, type_checking) for an import, by walking up to its scope."""
        conditional = type_checking = False
        child = node
        parent = node.parent
        while parent is not None and parent.type not in _SCOPE_BOUNDARY:
            kind = parent.type
            if kind in _CONDITIONAL:
                conditional = True
            if kind in ("if_statement", "elif_clause") and not type_checking:
                consequence = parent.child_by_field_name("consequence")
                condition = parent.child_by_field_name("condition")
                if (
                    consequence is not None
                    and condition is not None
                    and consequence.start_byte == child.start_byte
                    and _is_type_checking(self.text.node_text(condition))
                ):
                    type_checking = True
            child, parent = parent, parent.parent
        return conditional, type_checking

    def odd_callee(self, callee: Node) -> tuple[str, str | None]:
        """Name a callee like `make()()`, `handlers[k]()` or `(a or b)()`.

        Looks through calls, subscripts, parentheses and `await` to the expression
        that produced the called value: `make()()` -> name "make";
        `self.handlers[k]()` -> name "handlers", receiver "self". With no name to
        find (`(lambda: 0)()`), the name is the whole callee text.
        """
        node: Node | None = callee
        while node is not None:
            kind = node.type
            if kind == "call":
                node = node.child_by_field_name("function")
            elif kind == "subscript":
                node = node.child_by_field_name("value")
            elif kind in ("parenthesized_expression", "await"):
                node = next((c for c in node.named_children if c.type != "comment"), None)
            else:
                break
        if node is not None and node.type == "identifier":
            return self.text.node_text(node), None
        if node is not None and node.type == "attribute":
            attribute = node.child_by_field_name("attribute")
            receiver = node.child_by_field_name("object")
            if attribute is not None and receiver is not None:
                return self.text.node_text(attribute), self.text.node_text(receiver)
        return self.text.node_text(callee), None


def _dotted(text: str) -> str:
    """`a . b` -> `a.b`: dotted names may contain whitespace and line continuations."""
    return "".join(text.split()).replace("\\", "")


def _is_type_checking(condition: str) -> bool:
    # `typing.TYPE_CHECKING`, or any alias of typing (`t.TYPE_CHECKING`).
    condition = "".join(condition.split())
    return condition == "TYPE_CHECKING" or condition.endswith(".TYPE_CHECKING")
