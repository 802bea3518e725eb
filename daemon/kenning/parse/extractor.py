"""Language-independent extraction: query matches in, `FileFacts` out.

One combined query run (see `language.py`) yields every definition, docstring,
import, call and base-class node. This module turns them into facts without walking
the tree in Python: definitions are sorted by position and nested with a stack, and
the innermost scope of any byte offset is found by bisecting a flat list of scope
segments. That keeps extraction linear-ish and free of recursion, so 5,000-deep
nesting is no different from flat code.

A language supplies a subclass (`python.py`) for what its queries cannot say: how an
import statement maps to `Import` facts, how a string literal becomes a docstring,
and how to name an odd callee such as `make()()`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from tree_sitter import Node, QueryCursor, Tree

from kenning.core.facts import (
    BaseClass,
    CallSite,
    Diagnostic,
    FileFacts,
    Import,
    Span,
    Symbol,
    SymbolKind,
)
from kenning.parse.chunker import Chunker, ChunkOwner
from kenning.parse.language import LanguageQueries
from kenning.parse.text import SourceText, collapse_whitespace

MAX_SYNTAX_DIAGNOSTICS = 20


@dataclass(slots=True)
class _Definition:
    node: Node
    kind: str  # "function" | "class"
    captures: dict[str, list[Node]]
    body: Node


@dataclass(slots=True)
class _Scope:
    symbol: Symbol
    local: str
    end: int  # end byte of the whole definition
    body_start: int
    body_end: int
    owner: ChunkOwner | None  # set when the definition gets its own chunk


def _call_order(captures: dict[str, list[Node]]) -> tuple[int, int]:
    callee = captures["call.callee"][0]
    return callee.start_byte, -callee.end_byte


class Extraction:
    """The extraction of one file. Subclasses add a language's import and name rules."""

    def __init__(
        self, queries: LanguageQueries, path: str, module: str, text: SourceText, tree: Tree
    ) -> None:
        self.queries = queries
        self.path = path
        self.module = module
        self.text = text
        self.tree = tree
        self.root = tree.root_node
        self.symbols: list[Symbol] = []
        self.imports: list[Import] = []
        self.calls: list[CallSite] = []
        self.bases: list[BaseClass] = []
        self.diagnostics: list[Diagnostic] = list(text.diagnostics)
        self.chunker = Chunker(path, queries.name, module, text)
        self.chunks_done = False
        # Flat scope map: segment i covers bytes [starts[i], starts[i+1]) and belongs to
        # scope_ids[i]. Built after definitions; imports and calls look up into it.
        self._segment_starts: list[int] = [0]
        self._segment_ids: list[str] = [f"{path}#"]
        self._class_ids: dict[int, str] = {}  # class node start byte -> symbol id

    # -- hooks for languages -----------------------------------------------------

    def docstring(self, literal: Node) -> str:
        return ""

    def import_fact(self, captures: dict[str, list[Node]], scope: str) -> Import | None:
        return None

    def odd_callee(self, callee: Node) -> tuple[str, str | None]:
        """(name, receiver) of a callee that is neither a name nor an attribute."""
        return self.text.node_text(callee), None

    # -- driver ------------------------------------------------------------------

    def run(self) -> None:
        definitions: list[_Definition] = []
        decorated: dict[int, tuple[Node, list[Node]]] = {}
        docstrings: dict[int, Node] = {}
        imports: list[dict[str, list[Node]]] = []
        calls: list[dict[str, list[Node]]] = []
        bases: list[dict[str, list[Node]]] = []
        roles = self.queries.roles
        for index, captures in QueryCursor(self.queries.query).matches(self.root):
            role = roles[index]
            if role == "calls":
                calls.append(captures)
            elif role == "definitions":
                if "definition.function" in captures:
                    node = captures["definition.function"][0]
                    definitions.append(_Definition(node, "function", captures, captures["body"][0]))
                elif "definition.class" in captures:
                    node = captures["definition.class"][0]
                    definitions.append(_Definition(node, "class", captures, captures["body"][0]))
                else:
                    target = captures["decorated"][0]
                    decorated[target.start_byte] = (
                        captures["definition.decorated"][0],
                        captures["decorator"],
                    )
            elif role == "docstrings":
                docstrings[captures["docstring.owner"][0].start_byte] = captures["docstring"][0]
            elif role == "imports":
                imports.append(captures)
            elif role == "bases":
                bases.append(captures)

        self._definitions(definitions, decorated, docstrings)
        for captures in imports:
            binding = captures["import.binding"][0]
            fact = self.import_fact(captures, self.scope_at(binding.start_byte))
            if fact is not None:
                self.imports.append(fact)
        self._calls(calls)
        self._bases(bases)
        if self.root.has_error:
            self._syntax_errors()
        self.chunker_finish()

    # -- definitions -------------------------------------------------------------

    def _definitions(
        self,
        definitions: list[_Definition],
        decorated: dict[int, tuple[Node, list[Node]]],
        docstrings: dict[int, Node],
    ) -> None:
        text = self.text
        module_doc = docstrings.get(self.root.start_byte)
        module_symbol = Symbol(
            id=f"{self.path}#",
            name=self.module.rpartition(".")[2],
            qualname=self.module,
            kind=SymbolKind.MODULE,
            span=text.end_span(),
            selection=Span(0, 0, 0, 0),
            parent=None,
            docstring=self.docstring(module_doc) if module_doc is not None else "",
        )
        self.symbols.append(module_symbol)
        self.module_symbol = module_symbol
        module_scope = _Scope(
            module_symbol, "", self.root.end_byte, self.root.start_byte, self.root.end_byte, None
        )
        self.top_owners: dict[int, ChunkOwner] = {}
        # Parents before children: sort by start byte (an outer definition starts first).
        definitions.sort(key=lambda d: d.node.start_byte)
        stack: list[_Scope] = [module_scope]
        seen: dict[tuple[str, str], int] = {}
        # Segment bookkeeping for the scope map (see scope_at).
        starts, ids = self._segment_starts, self._segment_ids
        open_scopes: list[_Scope] = []  # scopes whose body segment is open, innermost last
        for definition in definitions:
            node = definition.node
            start = node.start_byte
            while len(stack) > 1 and stack[-1].end <= start:
                stack.pop()
            # Normally the top of the stack; in broken trees a definition can sit
            # inside another one's node but outside its body.
            parent = next(
                s
                for s in reversed(stack)
                if s.body_start <= start < s.body_end or s is module_scope
            )
            captures = definition.captures
            name_node = captures["name"][0]
            name = text.node_text(name_node)
            if definition.kind == "class":
                kind = SymbolKind.CLASS
                superclasses = captures.get("superclasses")
                signature = (
                    collapse_whitespace(text.node_text(superclasses[0])) if superclasses else ""
                )
                header_end = superclasses[0].end_byte if superclasses else name_node.end_byte
            else:
                kind = (
                    SymbolKind.METHOD
                    if parent.symbol.kind == SymbolKind.CLASS
                    else SymbolKind.FUNCTION
                )
                parameters = captures["parameters"][0]
                returns = captures.get("return_type")
                signature = text.node_text(parameters)
                header_end = parameters.end_byte
                if returns:
                    signature = f"{signature} -> {text.node_text(returns[0])}"
                    header_end = returns[0].end_byte
                signature = collapse_whitespace(signature)
            count = seen.get((parent.local, name), 0) + 1
            seen[(parent.local, name)] = count
            local = f"{parent.local}.{name}" if parent.local else name
            qual_local = local
            if count > 1:
                local = f"{local}@{count}"
            # The qualname ignores @n suffixes of ancestors: it is the Python name.
            parent_qual = parent.symbol.qualname
            qualname = f"{parent_qual}.{name}" if parent_qual else qual_local
            wrapper = decorated.get(start)
            outer = wrapper[0] if wrapper else node
            body = definition.body
            doc_node = docstrings.get(body.start_byte)
            symbol = Symbol(
                id=f"{self.path}#{local}",
                name=name,
                qualname=qualname,
                kind=kind,
                span=text.span(outer),
                selection=text.span(name_node),
                parent=parent.symbol.id,
                signature=signature,
                docstring=self.docstring(doc_node) if doc_node is not None else "",
                decorators=tuple(collapse_whitespace(text.node_text(d)[1:]) for d in wrapper[1])
                if wrapper
                else (),
            )
            self.symbols.append(symbol)
            if kind == SymbolKind.CLASS:
                self._class_ids[start] = symbol.id
            owner: ChunkOwner | None = None
            if parent is module_scope or (parent.owner is not None and parent.owner.is_class):
                statement_parent = outer.parent
                if (
                    statement_parent is not None
                    and statement_parent.start_byte == parent.body_start
                    and statement_parent.end_byte == parent.body_end
                ):
                    owner = ChunkOwner(symbol, outer, body, header_end, kind == SymbolKind.CLASS)
                    if parent is module_scope:
                        self.top_owners[outer.start_byte] = owner
                    else:
                        assert parent.owner is not None
                        parent.owner.members[outer.start_byte] = owner
                    self.chunker.add_owner_later(owner)
            scope = _Scope(symbol, local, node.end_byte, body.start_byte, body.end_byte, owner)
            stack.append(scope)

            # Scope map: close segments of scopes that ended before this body.
            body_start = body.start_byte
            while open_scopes and open_scopes[-1].body_end <= body_start:
                closed = open_scopes.pop()
                starts.append(closed.body_end)
                ids.append(open_scopes[-1].symbol.id if open_scopes else module_symbol.id)
            starts.append(body_start)
            ids.append(symbol.id)
            open_scopes.append(scope)
        while open_scopes:
            closed = open_scopes.pop()
            starts.append(closed.body_end)
            ids.append(open_scopes[-1].symbol.id if open_scopes else module_symbol.id)

    def scope_at(self, byte: int) -> str:
        """Id of the innermost definition whose body holds `byte` (the module otherwise).

        Bodies, not whole definitions: decorators, default values and base lists are
        evaluated in the enclosing scope, so calls there belong to it.
        """
        return self._segment_ids[bisect_right(self._segment_starts, byte) - 1]

    # -- calls and bases ---------------------------------------------------------

    def _calls(self, calls: list[dict[str, list[Node]]]) -> None:
        text = self.text
        starts, ids = self._segment_starts, self._segment_ids
        append = self.calls.append
        # Source order, an outer call before the calls inside its callee (`a.b().c()`):
        # the query reports nested matches in the order it finishes them.
        calls.sort(key=_call_order)
        for captures in calls:
            callee = captures["call.callee"][0]
            callee_text = text.node_text(callee)
            if "call.odd" in captures:
                name, receiver = self.odd_callee(callee)
            else:
                name = text.node_text(captures["call.name"][0])
                receiver_nodes = captures.get("call.receiver")
                receiver = text.node_text(receiver_nodes[0]) if receiver_nodes else None
            append(
                CallSite(
                    caller=ids[bisect_right(starts, callee.start_byte) - 1],
                    callee=callee_text,
                    name=name,
                    receiver=receiver,
                    span=text.span(callee),
                )
            )

    def _bases(self, bases: list[dict[str, list[Node]]]) -> None:
        for captures in bases:
            base = captures["base"][0]
            class_id = self._class_ids.get(captures["base.class"][0].start_byte)
            if class_id is not None:
                self.bases.append(
                    BaseClass(
                        class_id=class_id, expr=self.text.node_text(base), span=self.text.span(base)
                    )
                )

    # -- errors ------------------------------------------------------------------

    def _syntax_errors(self) -> None:
        found = 0
        captures = QueryCursor(self.queries.errors).captures(self.root)
        nodes = captures.get("error", []) + captures.get("missing", [])
        nodes.sort(key=lambda n: n.start_byte)
        for node in nodes[:MAX_SYNTAX_DIAGNOSTICS]:
            self.diagnostics.append(
                Diagnostic(severity="error", message="syntax error", span=self.text.span(node))
            )
            found += 1
        if len(nodes) > found:
            self.diagnostics.append(
                Diagnostic(
                    severity="error",
                    message=f"{len(nodes) - found} more syntax errors not reported",
                )
            )

    # -- chunks ------------------------------------------------------------------

    def chunker_finish(self) -> None:
        self.chunker.finish(self.module_symbol, self.root, self.top_owners)
        self.chunks_done = True

    def facts(self) -> FileFacts:
        return FileFacts(
            path=self.path,
            language=self.queries.name,
            module=self.module,
            symbols=self.symbols,
            imports=self.imports,
            calls=self.calls,
            bases=self.bases,
            chunks=self.chunker.chunks() if self.chunks_done else [],
            diagnostics=self.diagnostics,
        )
