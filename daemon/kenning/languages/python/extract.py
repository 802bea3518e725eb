"""Python extraction: the few rules tree-sitter-python's queries cannot say.

The queries in `queries/` find the nodes; `parse.extractor.Extraction` turns them into
facts. What stays here is Python's own semantics: import forms and relative levels,
`if TYPE_CHECKING:` blocks, docstring literals, `->` signatures and naming odd
callees.
"""

from __future__ import annotations

import ast
import builtins
import re
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
# Callee node types other than a name or an attribute that make a call site (named by
# `odd_callee`): `make()()`, `handlers[k]()`, `(a or b)()`, `"{}".format`'s kin.
_ODD_CALLEES = frozenset(
    {
        "call",
        "subscript",
        "parenthesized_expression",
        "await",
        "binary_operator",
        "unary_operator",
        "string",
        "concatenated_string",
        "list",
        "tuple",
        "dictionary",
        "set",
        "list_comprehension",
        "dictionary_comprehension",
        "set_comprehension",
        "generator_expression",
        "integer",
        "float",
        "true",
        "false",
        "none",
        "ellipsis",
        "list_splat",
    }
)
_QUERIES: dict[tuple[int, str], Query] = {}
_WORD = re.compile(r"\w+")
_BUILTIN_NAMES = frozenset(dir(builtins))
# Where a parameter's stated type holds: from the start of its function.
_PARAMETER = Span(0, 0, 0, 0)
# Builtins that run a special method of their one argument: `len(obj)` -> `__len__`.
_BUILTIN_PROTOCOLS = {
    "len": "__len__",
    "iter": "__iter__",
    "next": "__next__",
    "list": "__iter__",
    "tuple": "__iter__",
    "set": "__iter__",
    "frozenset": "__iter__",
    "sorted": "__iter__",
    "reversed": "__reversed__",
    "bool": "__bool__",
    "str": "__str__",
    "repr": "__repr__",
    "hash": "__hash__",
}


# Operators and the special method of the left operand they run (`a + b` -> `__add__`).
_BINARY = {
    "+": "__add__",
    "-": "__sub__",
    "*": "__mul__",
    "/": "__truediv__",
    "//": "__floordiv__",
    "%": "__mod__",
    "**": "__pow__",
    "@": "__matmul__",
    "&": "__and__",
    "|": "__or__",
    "^": "__xor__",
    "<<": "__lshift__",
    ">>": "__rshift__",
}
_COMPARISONS = {
    "==": "__eq__",
    "!=": "__ne__",
    "<": "__lt__",
    "<=": "__le__",
    ">": "__gt__",
    ">=": "__ge__",
}


# In a method's `Symbol.attributes`: the method never runs as written (see
# `PythonExtraction._abstract_methods`).
ABSTRACT = "abstract"


def _query(language: Language, name: str) -> Query:
    """One of the queries not combined into the extraction's own (`queries/<name>.scm`)."""
    query = _QUERIES.get((id(language), name))
    if query is None:
        source = resources.files(__package__).joinpath("queries", f"{name}.scm")
        query = _QUERIES[(id(language), name)] = Query(language, source.read_text(encoding="utf-8"))
    return query


def _parameter_names(text: Any, parameters: Node) -> list[str]:
    """Positional and keyword parameter names in order (`*args`, `**kw` and the `/`
    and `*` markers end the positional ones, which is all callbacks need)."""
    names: list[str] = []
    for child in parameters.named_children:
        kind = child.type
        if kind == "identifier":
            names.append(text.node_text(child))
        elif kind in ("default_parameter", "typed_default_parameter"):
            name = child.child_by_field_name("name")
            if name is not None:
                names.append(text.node_text(name))
        elif kind == "typed_parameter":
            first = child.named_children[0] if child.named_children else None
            if first is not None and first.type == "identifier":
                names.append(text.node_text(first))
            else:
                break
        else:
            break
    return names


def _before(a: Span, b: Span) -> bool:
    return (a.start_line, a.start_col) < (b.start_line, b.start_col)


def _within(a: Span, b: Span) -> bool:
    """`a` starts inside `b`."""
    return (b.start_line, b.start_col) <= (a.start_line, a.start_col) <= (b.end_line, b.end_col)


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
        # Matches of `receivers.scm` and `abstract.scm`, which ride in the combined
        # query (see `concern_match`); read once the definitions are known.
        self._receiver_matches: list[dict[str, list[Node]]] = []
        self._abstract_matches: list[dict[str, list[Node]]] = []
        super().run()
        self._stated_cache: _Stated | None = None
        explicit = len(self.calls)
        self._implicit_calls()
        self._receiver_types()
        self._callbacks()
        self._class_attributes()
        self._abstract_methods()
        if len(self.calls) > explicit:
            # A receiver other than `self` is kept only when its type is stated.
            stated = self._stated()
            self.calls[explicit:] = [
                c
                for c in self.calls[explicit:]
                if c.implicit == "decorator"
                or c.receiver == "self"
                or (
                    c.receiver_type
                    and not _builtin_type(c.receiver_type)
                    and stated.may_resolve(c.receiver_type)
                )
            ]

    def concern_match(self, concern: str, captures: dict[str, list[Node]]) -> None:
        if concern == "receivers":
            self._receiver_matches.append(captures)
        elif concern == "abstract":
            self._abstract_matches.append(captures)

    # -- calls without call syntax ----------------------------------------------------

    def _implicit_calls(self) -> None:
        """Add a call site for code that may run a function without a call expression:
        `obj.x` (a property getter, or its setter when assigned), `obj[k]`, `for x in
        obj`, `with obj`, `len(obj)` and kin, `a + b`, `a < b`, `x in obj` (special
        methods), `@decorator`.

        Receivers are kept only in the forms `_receiver_types` can type (`self`, a name
        or `self.attr` given a type somewhere in the file, a call of a dotted name);
        `run` then drops those whose type `_receiver_types` did not find.
        """
        text = self.text
        add = self.calls.append
        scope_at = self.scope_at
        stated = self._stated()
        assigned_names, method_names = stated.assigned_names, stated.method_names
        receiver: str | None
        for captures in stated.implicit:
            if "implicit.attribute" in captures:
                # Most attributes are plain (`os.path`, `obj.name` of an unknown type):
                # cheap checks first, a call site only for a possible property.
                receiver = "self"  # the query's only receiver of properties
                name = text.node_text(captures["implicit.name"][0])
                # Not `self.x` of a plain attribute: one that a class of this file
                # assigns (`self.x =` in a method, `x = ...` in its body) and none
                # defines as a method; its subclasses' reads are reads of it. Checked
                # before the scope, and that before the parent, which tree-sitter
                # finds by a search from the root.
                if name in assigned_names and name not in method_names:
                    continue
                node = captures["implicit.attribute"][0]
                caller = scope_at(node.start_byte)
                if stated.class_of(caller) is None:
                    continue
                parent = node.parent
                if parent is None or _is_field(parent, "function", node):
                    continue  # a call: an explicit call site already
                kinds: tuple[str, ...] = ("property",)
                if parent.type == "augmented_assignment" and _is_field(parent, "left", node):
                    kinds = ("property", "setter")
                elif parent.type == "assignment" and _is_field(parent, "left", node):
                    kinds = ("setter",)
                elif parent.type == "delete_statement":
                    continue
                for kind in kinds:
                    add(self._implicit(caller, f"{receiver}.{name}", name, receiver, node,
                                       kind))  # fmt: skip
            elif "implicit.subscript" in captures:
                node = captures["implicit.subscript"][0]
                receiver = self._typable(captures["implicit.subscripted"][0])
                if receiver is None:
                    continue
                parent = node.parent
                specials: tuple[str, ...] = ("__getitem__",)
                if parent is not None and parent.type == "delete_statement":
                    specials = ("__delitem__",)
                elif parent is not None and _is_field(parent, "left", node):
                    if parent.type == "assignment":
                        specials = ("__setitem__",)
                    elif parent.type == "augmented_assignment":
                        specials = ("__getitem__", "__setitem__")
                for name in specials:
                    add(self._implicit(scope_at(node.start_byte), f"{receiver}[]", name,
                                       receiver, node, "protocol"))  # fmt: skip
            elif "implicit.iterated" in captures:
                node = captures["implicit.iterated"][0]
                receiver = self._typable(node)
                if receiver is None:
                    continue
                loop = captures.get("implicit.loop")
                name = "__aiter__" if loop and _is_async(loop[0]) else "__iter__"
                add(self._implicit(scope_at(node.start_byte), f"iter({receiver})", name,
                                   receiver, node, "protocol"))  # fmt: skip
            elif "implicit.entered" in captures:
                node = captures["implicit.entered"][0]
                if node.type == "as_pattern" and node.named_children:
                    node = node.named_children[0]
                receiver = self._typable(node)
                if receiver is None:
                    continue
                statement = node.parent
                while statement is not None and statement.type != "with_statement":
                    statement = statement.parent
                # One site: the resolver adds `__exit__` (`__aexit__`) to `__enter__`.
                name = "__enter__"
                if statement is not None and _is_async(statement):
                    name = "__aenter__"
                add(self._implicit(scope_at(node.start_byte), f"with {receiver}", name,
                                   receiver, node, "protocol"))  # fmt: skip
            elif "implicit.builtin" in captures:
                builtin = text.node_text(captures["implicit.builtin"][0])
                special = _BUILTIN_PROTOCOLS.get(builtin)
                if special is None:
                    continue
                node = captures["implicit.argument"][0]
                receiver = self._typable(node)
                if receiver is None:
                    continue
                add(self._implicit(scope_at(node.start_byte), f"{builtin}({receiver})", special,
                                   receiver, node, "protocol"))  # fmt: skip
            elif "implicit.binary" in captures:
                node = captures["implicit.binary"][0]
                operator = node.child_by_field_name("operator")
                if operator is None or operator.type not in _BINARY:
                    continue
                receiver = self._typable(captures["implicit.operand"][0])
                if receiver is None:
                    continue
                special = _BINARY[operator.type]
                add(self._implicit(scope_at(node.start_byte), f"{receiver} {operator.type} _",
                                   special, receiver, node, "protocol"))  # fmt: skip
            elif "implicit.comparison" in captures:
                node = captures["implicit.comparison"][0]
                operands = node.named_children
                operators = node.children_by_field_name("operators")
                for left, operator, right in zip(operands, operators, operands[1:], strict=False):
                    kind = " ".join(text.node_text(operator).split())
                    if kind in ("in", "not in"):
                        receiver, special = self._typable(right), "__contains__"
                        shown = f"_ {kind} {receiver}"
                    else:
                        receiver, special = self._typable(left), _COMPARISONS.get(kind, "")
                        shown = f"{receiver} {kind} _"
                    if receiver is None or not special:
                        continue
                    add(self._implicit(scope_at(node.start_byte), shown, special, receiver,
                                       node, "protocol"))  # fmt: skip
            elif "implicit.decorator" in captures:
                node = captures["implicit.decorator"][0]
                dotted = text.node_text(node)
                if dotted in _BUILTIN_NAMES:
                    continue  # `@property`, `@staticmethod`: never workspace code
                parts = dotted.split(".")
                if not all(part.isidentifier() for part in parts):
                    continue
                receiver = ".".join(parts[:-1]) or None
                add(self._implicit(scope_at(node.start_byte), f"@{dotted}", parts[-1],
                                   receiver, node, "decorator"))  # fmt: skip

    def _implicit(
        self, caller: str, callee: str, name: str, receiver: str | None, node: Node, kind: str
    ) -> CallSite:
        made = ""
        if receiver is not None and receiver.endswith(")"):
            # `with Lock() as l`: the type is what the call returns.
            made = receiver.partition("(")[0] + "()"
        return CallSite(caller, callee, name, receiver, self.text.span(node), made, implicit=kind)

    def _typable(self, node: Node) -> str | None:
        """`node`'s text when it is a receiver whose type the code may state: `self`, a
        name or `self.attr` the file states a type of, or a call of a dotted name
        (`Foo(...)`)."""
        kind = node.type
        if kind == "identifier":
            name = self.text.node_text(node)
            return name if name == "self" or name in self._stated().typed_names else None
        if kind == "attribute":
            owner = node.child_by_field_name("object")
            attribute = node.child_by_field_name("attribute")
            if owner is None or attribute is None or self.text.node_text(owner) != "self":
                return None
            if self.text.node_text(attribute) not in self._stated().typed_attributes:
                return None
            return self.text.node_text(node)
        if kind == "call":
            function = node.child_by_field_name("function")
            if function is not None and function.type in ("identifier", "attribute"):
                callee = self.text.node_text(function)
                if all(part.isidentifier() for part in callee.split(".")):
                    return callee + "()"
        return None

    # -- receiver types -----------------------------------------------------------------

    def _receiver_types(self) -> None:
        """Give calls on a name or a `self` attribute what the code states of its type;
        of a dotted receiver, the type of its head (`x` of `x.a.m()`, `self.a` of
        `self.a.b.m()`): the resolver follows the rest through the attributes that
        classes state (`Symbol.attributes`).

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
                or all(part.isidentifier() for part in call.receiver.split("."))
            )
        ]
        if not wanted:
            return
        stated = self._stated()
        attributes = stated.attributes
        for i in wanted:
            call = self.calls[i]
            assert call.receiver is not None
            parts = call.receiver.split(".")
            if parts[0] in ("self", "cls") and len(parts) > 1:
                cls_id = stated.class_of(call.caller)
                kinds = attributes.get((cls_id or "", parts[1]), set())
                found = next(iter(kinds)) if len(kinds) == 1 else ""
            elif parts[0] not in stated.typed_names:
                continue  # most dotted receivers are modules (`os.path.join`)
            else:
                found = self._stated_type(stated, call.caller, parts[0], call.span)
            if found and found != "None":
                self.calls[i] = msgspec.structs.replace(call, receiver_type=found)

    def _callbacks(self) -> None:
        """Give each call of a parameter (`match(token)` in `def _group(tlist, match)`)
        the functions this file passes for that parameter, by position or keyword
        (`_group(tlist, match)` where `match` is a function defined where that call
        is), as `fn:<id>|<id>` in `receiver_type`. Functions passed from other files
        are not seen."""
        symbols = {s.id: s for s in self.symbols}
        wanted: dict[tuple[str, str], list[int]] = {}
        words: dict[str, set[str]] = {}
        for i, call in enumerate(self.calls):
            if call.receiver is None and not call.implicit and call.callee.isidentifier():
                info = symbols.get(call.caller)
                if info is None or info.kind != SymbolKind.FUNCTION:
                    continue
                # A cheap first filter: the name is a word of the function's signature.
                if info.id not in words:
                    words[info.id] = set(_WORD.findall(info.signature))
                if call.name in words[info.id]:
                    wanted.setdefault((call.caller, call.name), []).append(i)
        if not wanted:
            return
        functions = {f for f, _ in wanted}
        text = self.text
        parameters: dict[str, list[str]] = {}  # function id -> parameter names
        calls: list[tuple[Node, Node]] = []
        for _, captures in QueryCursor(_query(self.queries.language, "callbacks")).matches(
            self.root
        ):
            if "callback.parameters" in captures:
                function = self.scope_at(captures["callback.body"][0].start_byte)
                if function in functions:
                    parameters[function] = _parameter_names(
                        text, captures["callback.parameters"][0]
                    )
            else:
                calls.append((captures["callback.function"][0], captures["callback.arguments"][0]))
        called = {name for f, name in wanted if name in parameters.get(f, ())}
        if not called:
            return
        by_name: dict[tuple[str | None, str], str] = {
            (s.parent, s.name): s.id
            for s in self.symbols
            if s.kind in (SymbolKind.FUNCTION, SymbolKind.METHOD)
        }
        passed: dict[tuple[str, str], list[str]] = {}
        for function_node, arguments in calls:
            scope = self.scope_at(function_node.start_byte)
            target = self._visible(by_name, symbols, scope, text.node_text(function_node))
            names = parameters.get(target or "")
            if not names:
                continue
            position = 0
            for argument in arguments.named_children:
                if argument.type == "keyword_argument":
                    key = argument.child_by_field_name("name")
                    value = argument.child_by_field_name("value")
                    parameter = text.node_text(key) if key is not None else ""
                else:
                    value, parameter = argument, ""
                    if position < len(names):
                        parameter = names[position]
                    position += 1
                if value is None or value.type != "identifier" or parameter not in called:
                    continue
                assert target is not None
                fn = self._visible(by_name, symbols, scope, text.node_text(value))
                if fn is not None and fn not in passed.setdefault((target, parameter), []):
                    passed[(target, parameter)].append(fn)
        for parameter_of, given in passed.items():
            for i in wanted.get(parameter_of, []):
                stated = "fn:" + "|".join(given)
                self.calls[i] = msgspec.structs.replace(self.calls[i], receiver_type=stated)

    @staticmethod
    def _visible(
        by_name: dict[tuple[str | None, str], str], symbols: dict[str, Any], scope: str, name: str
    ) -> str | None:
        """The function `name` means in `scope`: defined there or in an enclosing
        function or the module (class bodies do not enclose)."""
        current: str | None = scope
        first = True
        while current is not None:
            info = symbols.get(current)
            if info is None:
                return None
            if first or info.kind not in TYPE_KINDS:
                found = by_name.get((current, name))
                if found is not None:
                    return found
            first = False
            current = info.parent
        return None

    def _class_attributes(self) -> None:
        """Give each class the attributes whose type it states (`Symbol.attributes`):
        one stated type among all assignments (`None` aside), for resolving
        `other.attr.m()` in any file."""
        stated = self._stated()
        found: dict[str, list[str]] = {}
        for (cls, name), kinds in stated.attributes.items():
            kinds = kinds - {"None"}
            if len(kinds) == 1 and (kind := next(iter(kinds))):
                found.setdefault(cls, []).append(f"{name}: {kind}")
        if not found:
            return
        self.symbols = [
            msgspec.structs.replace(s, attributes=tuple(found[s.id])) if s.id in found else s
            for s in self.symbols
        ]

    def _abstract_methods(self) -> None:
        """Mark the methods that never run as written (`Symbol.attributes` holds
        `abstract`): decorated `@abstractmethod`, or with a body that only raises
        `NotImplementedError`. A call reaching one through its class answers with the
        overrides (`resolve.py`)."""
        abstract = {
            s.id
            for s in self.symbols
            if s.kind == SymbolKind.METHOD
            and any(d.rpartition(".")[2] == "abstractmethod" for d in s.decorators)
        }
        if b"NotImplementedError" in self.text.source:
            for captures in self._abstract_matches:
                raised = captures["abstract.raise"][0]
                words = self.text.node_text(raised).split(None, 1)
                if len(words) == 2 and words[1].partition("(")[0].strip() == "NotImplementedError":
                    abstract.add(self.scope_at(raised.start_byte))
        if not abstract:
            return
        self.symbols = [
            msgspec.structs.replace(s, attributes=(*s.attributes, ABSTRACT))
            if s.id in abstract and s.kind == SymbolKind.METHOD
            else s
            for s in self.symbols
        ]

    def _stated(self) -> _Stated:
        """What the file states of its names' and `self` attributes' types (one run of
        the receivers query, kept for the file)."""
        if self._stated_cache is not None:
            return self._stated_cache
        symbols = {s.id: s for s in self.symbols}
        stated = self._stated_cache = _Stated(symbols)
        names, attributes = stated.names, stated.attributes
        text = self.text
        loops: list[dict[str, list[Node]]] = []
        for captures in self._receiver_matches:
            if "loop" in captures or "with" in captures:
                loops.append(captures)
                continue
            if "narrow.block" in captures:
                block = captures["narrow.block"][0]
                name = text.node_text(captures["narrow.name"][0])
                kind = _dotted(text.node_text(captures["narrow.type"][0]))
                scope = self.scope_at(block.start_byte)
                stated.narrowed.setdefault((scope, name), []).append((text.span(block), kind))
                stated.typed_names.add(name)
                continue
            if "assign" not in captures and "param" not in captures:
                stated.implicit.append(captures)
                continue
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
                names.setdefault((scope, name), []).append((_PARAMETER, kind))
                stated.typed_names.add(name)
                stated.local_names.add(name)
                continue
            assign = captures["assign"][0]
            left = captures["left"][0]
            kind = self._assigned_type(assign)
            scope = self.scope_at(assign.start_byte)
            if left.type == "identifier":
                name = text.node_text(left)
                names.setdefault((scope, name), []).append((text.span(assign), kind))
                stated.local_names.add(name)
                if kind and kind != "None":
                    stated.typed_names.add(name)
                info = symbols.get(scope)
                if info is not None and info.kind in TYPE_KINDS:
                    # A class attribute: `self.name` reads it, no property runs.
                    stated.self_assigned.add((scope, name))
                    if kind:
                        attributes.setdefault((scope, name), set()).add(kind)
                        stated.typed_attributes.add(name)
                continue
            owner = left.child_by_field_name("object")
            attribute = left.child_by_field_name("attribute")
            if owner is None or attribute is None or text.node_text(owner) not in ("self", "cls"):
                continue
            cls = stated.class_of(scope)
            if cls is None:
                continue
            name = text.node_text(attribute)
            stated.self_assigned.add((cls, name))
            right = assign.child_by_field_name("right")
            if not kind and right is not None and right.type == "identifier":
                # `self.ctx = ctx` where the method's parameter is `ctx: Context`.
                params = names.get((scope, text.node_text(right)), ())
                kind = next((k for where, k in params if where == _PARAMETER), "")
            # `self.stream = env.tokenize()` where `env: Environment`: through its type.
            kind = self._anchor(stated, scope, kind, text.span(assign))
            if kind != "None":
                attributes.setdefault((cls, name), set()).add(kind)
                if kind:
                    stated.typed_attributes.add(name)
        # Loop and `with` variables last: what they iterate or enter may be stated
        # anywhere in the file.
        for captures in loops:
            if "with" in captures:
                value = self._typable(captures["with.value"][0])
                if value is None:
                    continue
                statement = captures["with"][0]
                scope = self.scope_at(statement.start_byte)
                value = self._anchor(stated, scope, value, text.span(statement))
                name = text.node_text(captures["with.name"][0])
                entered = "{" + value + "}.__enter__()"
                names.setdefault((scope, name), []).append((text.span(statement), entered))
                stated.typed_names.add(name)
                continue
            loop = captures["loop"][0]
            items = captures["loop.items"][0]
            scope = self.scope_at(loop.start_byte)
            of = ""
            if items.type == "identifier":
                of = self._stated_type(stated, scope, text.node_text(items), text.span(loop))
            elif items.type == "attribute":
                receiver = text.node_text(items)
                if receiver.startswith("self.") and receiver.count(".") == 1:
                    kinds = attributes.get((stated.class_of(scope) or "", receiver[5:]), set())
                    of = next(iter(kinds)) if len(kinds) == 1 else ""
            elif items.type == "call":
                of = self._anchor(stated, scope, self._typable(items) or "", text.span(loop))
            if of and of != "None":
                name = text.node_text(captures["loop.name"][0])
                names.setdefault((scope, name), []).append((text.span(loop), of + "[]"))
                stated.typed_names.add(name)
        return stated

    def _stated_type(
        self, stated: _Stated, scope: str | None, name: str, at: Span, depth: int = 0
    ) -> str:
        """The type stated for `name` at `at`, innermost scope first: an `isinstance`
        check whose block holds `at` (unless the name is assigned in the block before
        `at`), the last assignment before, else the one stated type of every
        assignment."""
        first = True
        while scope is not None:
            info = stated.symbols.get(scope)
            if info is None:
                return ""
            if first or info.kind not in TYPE_KINDS:
                entries = stated.names.get((scope, name))
                narrowed = [
                    (block, kind)
                    for block, kind in stated.narrowed.get((scope, name), ())
                    if _within(at, block)
                ]
                if narrowed:
                    block, kind = narrowed[-1]
                    if not any(_within(where, block) and _before(where, at)
                               for where, _ in entries or ()):  # fmt: skip
                        return kind
                if entries:
                    earlier = [(where, kind) for where, kind in entries if _before(where, at)]
                    if earlier:
                        where, kind = earlier[-1]
                        return self._anchor(stated, scope, kind, where, depth)
                    kinds = {kind for _, kind in entries}
                    if len(kinds) != 1:
                        return ""
                    where, kind = entries[-1]
                    return self._anchor(stated, scope, kind, where, depth)
            first = False
            scope = info.parent
        return ""

    def _anchor(
        self, stated: _Stated, scope: str | None, kind: str, at: Span, depth: int = 0
    ) -> str:
        """`{T}.a.make()` for a stated `x.a.make()` (or its `[]` element) where `x` is a
        name whose type `T` the file states at `at`; else `kind` unchanged."""
        core, suffix = (kind[:-2], "[]") if kind.endswith("[]") else (kind, "")
        if not core.endswith("()") or core.startswith("{") or depth > 2:
            return kind
        head, dot, rest = core.partition(".")
        if not dot or head in ("self", "cls") or head not in stated.typed_names:
            return kind
        of = self._stated_type(stated, scope, head, at, depth + 1)
        if not of or of == "None":
            return kind
        return "{" + of + "}." + rest + suffix

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

    def odd_callee(self, callee: Node) -> tuple[str, str | None] | None:
        """(name, receiver) of every callee (`calls.scm` has one pattern for all).

        `foo` -> name "foo"; `obj.attr` -> name "attr", receiver "obj". Others look
        through calls, subscripts, parentheses and `await` to the expression that
        produced the called value: `make()()` -> name "make"; `self.handlers[k]()`
        -> name "handlers", receiver "self". With no name to find (`(lambda: 0)()`),
        the name is the whole callee text. None, no call site, for a callee of any
        other node type (an ERROR node).
        """
        kind = callee.type
        if kind == "identifier":
            return self.text.node_text(callee), None
        if kind == "attribute":
            attribute = callee.child_by_field_name("attribute")
            receiver = callee.child_by_field_name("object")
            if attribute is None or receiver is None or attribute.type != "identifier":
                return None
            return self.text.node_text(attribute), self.call_receiver(receiver)
        if kind not in _ODD_CALLEES:
            return None
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


class _Stated:
    """What one file states of types, for receivers: see `PythonExtraction._stated`."""

    def __init__(self, symbols: dict[str, Any]) -> None:
        self.symbols = symbols
        # (scope id, name) -> [(where, type or "" when unknown)], source order.
        self.names: dict[tuple[str, str], list[tuple[Span, str]]] = {}
        # (class id, attribute) -> types assigned ("" when unknown).
        self.attributes: dict[tuple[str, str], set[str]] = {}
        # (scope id, name) -> [(the block of an `isinstance(name, T)` check, T)].
        self.narrowed: dict[tuple[str, str], list[tuple[Span, str]]] = {}
        # Names and `self` attributes given a type somewhere in the file: a cheap first
        # filter before the scope-aware lookup.
        self.typed_names: set[str] = set()
        self.typed_attributes: set[str] = set()
        # (class id, attribute) of every `self.attribute = ...` in the class's methods.
        self.self_assigned: set[tuple[str, str]] = set()
        # Every name a parameter or an assignment binds, in any scope.
        self.local_names: set[str] = set()
        # The query's matches of code that may run without call syntax (`@implicit.*`).
        self.implicit: list[dict[str, list[Node]]] = []
        self.methods = {(s.parent, s.name) for s in symbols.values() if s.kind == SymbolKind.METHOD}
        # Functions and methods of this file that state their return type.
        self.annotated_functions = {
            s.name
            for s in symbols.values()
            if s.kind in (SymbolKind.FUNCTION, SymbolKind.METHOD) and " -> " in s.signature
        }
        self._classes: dict[str, str | None] = {}
        self._assigned_names: set[str] | None = None
        self._method_names: set[str] | None = None

    @property
    def assigned_names(self) -> set[str]:
        if self._assigned_names is None:
            self._assigned_names = {name for _, name in self.self_assigned}
        return self._assigned_names

    @property
    def method_names(self) -> set[str]:
        if self._method_names is None:
            self._method_names = {name for _, name in self.methods}
        return self._method_names

    def may_resolve(self, stated: str) -> bool:
        """Whether an implicit site through the type `stated` is worth resolving: an
        annotation, what a function of this file annotated `-> T` returns, or a class
        constructed (`Foo()`, `mod.Foo()`, not `x.Foo()` of a local value)."""
        if not stated.endswith("()"):
            return True
        parts = stated[:-2].split(".")
        if len(parts) <= 2 and parts[-1] in self.annotated_functions:
            # `make()` / `self.make()` where this file states what `make` returns.
            return len(parts) == 1 or parts[0] == "self"
        # Else only constructors (CapWords, PEP 8's class names): what other functions
        # return seldom has the workspace's special methods, and such sites are many
        # (`with self.assertRaises(...)`).
        return parts[-1][:1].isupper() and (len(parts) == 1 or parts[0] not in self.local_names)

    def class_of(self, scope: str) -> str | None:
        """The class whose method (or nested function) `scope` is."""
        known = self._classes.get(scope, "")
        if known != "":
            return known
        current: str | None = scope
        found = None
        while current is not None:
            info = self.symbols.get(current)
            if info is None:
                break
            if info.kind in TYPE_KINDS:
                found = current
                break
            current = info.parent
        self._classes[scope] = found
        return found


def _builtin_type(stated: str) -> bool:
    """`list`, `dict[str, int]`, `str()`: a builtin type, whose special methods are
    never workspace code."""
    head = stated.partition("[")[0].partition("(")[0].strip()
    return isinstance(getattr(builtins, head, None), type)


def _is_field(parent: Node, field: str, node: Node) -> bool:
    """`node` is `parent`'s child in `field`."""
    child = parent.child_by_field_name(field)
    return child is not None and child.start_byte == node.start_byte and child.id == node.id


def _is_async(statement: Node) -> bool:
    """`async for` / `async with`: the statement's first token is `async`."""
    first = statement.child(0)
    return first is not None and first.type == "async"


def _dotted(text: str) -> str:
    """`a . b` -> `a.b`: dotted names may contain whitespace and line continuations."""
    return "".join(text.split()).replace("\\", "")


def _is_type_checking(condition: str) -> bool:
    # `typing.TYPE_CHECKING`, or any alias of typing (`t.TYPE_CHECKING`).
    condition = "".join(condition.split())
    return condition == "TYPE_CHECKING" or condition.endswith(".TYPE_CHECKING")
