"""Python extraction: the few rules tree-sitter-python's queries cannot say.

The queries in `queries/` find the nodes; `parse.extractor.Extraction` turns them into
facts. What stays here is Python's own semantics: import forms and relative levels,
`if TYPE_CHECKING:` blocks, docstring literals, `->` signatures and naming odd
callees.
"""

from __future__ import annotations

import ast
from inspect import cleandoc

from tree_sitter import Node

from kenning.core.facts import Import, ImportKind, SymbolKind
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
