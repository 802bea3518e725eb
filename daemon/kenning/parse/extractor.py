"""Language-independent extraction: query matches in, `FileFacts` out.

One combined query run (see `language.py`) yields every definition, docstring,
import, call and base-class node. This module turns them into facts without walking
the tree in Python: definitions are sorted by position and nested with a stack, and
the innermost scope of any byte offset is found by bisecting a flat list of scope
segments. That keeps extraction linear-ish and free of recursion, so 5,000-deep
nesting is no different from flat code.

Queries speak in capture names after tree-sitter's `tags.scm`: a definition pattern
captures the whole definition as `@definition.<kind>` (`function`, `method`, `class`,
`interface`, `struct`, `enum`, `trait`, `type`, `namespace`, `constant`) with its
`@name`, and optionally `@body`, `@parameters`, `@return_type`, `@superclasses` and
`@owner` (the type a method belongs to when it is declared outside it: a Go receiver,
a Rust `impl`), with `@owner.block` the block that declares it there (a Rust `impl`
item: its outline becomes one chunk and its methods get chunks of their own).
`@definition.decorated` wraps a definition in its `@decorator`s. Call patterns capture
`@call.callee`, `@call.name` and `@call.receiver` (or `@call.odd`: `odd_callee` names
it, and may find it no call site); base lists `@base`
inside `@base.class`, or, where the base is declared apart from its type (Rust's
`impl Trait for Type`), inside a block naming the type by `@base.owner`. The
optional `locals` concern (declared variables, for languages whose resolver reads
declared types) is handed to `local_declaration` match by match, before call sites
are built; `refine_call` lets a language rewrite each call site with its pattern's
nodes at hand (a constructor call's callee, the receiver's declared type in
`receiver_type`).

A language supplies a subclass (in `kenning/languages/<name>/`) for what its queries
cannot say: how an import statement maps to `Import` facts, how a string literal
becomes a docstring, and how to name an odd callee such as `make()()`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import msgspec
from tree_sitter import Node, QueryCursor, Tree

from kenning.core.facts import (
    TYPE_KINDS,
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
from kenning.parse.language import LanguageQueries, LanguageSyntax
from kenning.parse.text import SourceText, collapse_whitespace

MAX_SYNTAX_DIAGNOSTICS = 20
# Consecutive comment lines above a definition read as its doc comment, at most.
MAX_DOC_COMMENT_LINES = 200

# `@definition.<kind>` capture suffixes and the symbol kinds they make.
DEFINITION_KINDS: dict[str, SymbolKind] = {
    "function": SymbolKind.FUNCTION,
    "method": SymbolKind.METHOD,
    "class": SymbolKind.CLASS,
    "interface": SymbolKind.INTERFACE,
    "struct": SymbolKind.STRUCT,
    "enum": SymbolKind.ENUM,
    "trait": SymbolKind.TRAIT,
    "type": SymbolKind.TYPE_ALIAS,
    "namespace": SymbolKind.NAMESPACE,
    "module": SymbolKind.NAMESPACE,
    "constant": SymbolKind.CONSTANT,
}
_CAPTURE_KINDS = {f"definition.{name}": kind for name, kind in DEFINITION_KINDS.items()}
_CALLABLE = frozenset({SymbolKind.FUNCTION, SymbolKind.METHOD})


@dataclass(slots=True)
class _Definition:
    node: Node
    kind: SymbolKind
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
    body: Node
    # Ids of the body's child nodes, listed when first asked (see `_stands_in`).
    children: set[int] | None = None


class Extraction:
    """The extraction of one file. Subclasses add a language's import and name rules."""

    # Node types that wrap a definition without being one (`export_statement`): the
    # outermost of them is the statement that stands in the enclosing body.
    wrapper_types: frozenset[str] = frozenset()
    # Node types that are comments, for doc comments above definitions.
    comment_types: frozenset[str] = frozenset({"comment", "line_comment", "block_comment"})

    def __init__(
        self,
        syntax: LanguageSyntax,
        queries: LanguageQueries,
        path: str,
        module: str,
        text: SourceText,
        tree: Tree,
    ) -> None:
        self.syntax = syntax
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
        self.chunker = Chunker(path, syntax, module, text)
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

    def odd_callee(self, callee: Node) -> tuple[str, str | None] | None:
        """(name, receiver) of an `@call.odd` callee (one the query did not name), or
        None when the language finds it is no call site to report."""
        return self.text.node_text(callee), None

    def call_receiver(self, receiver: Node) -> str:
        """The `receiver` of a call site: the operand's source text, which a language
        may normalise (collapse whitespace). What the code states of the operand's
        type belongs in `receiver_type` (see `refine_call`), never in this text."""
        return self.text.node_text(receiver)

    def local_declaration(self, captures: dict[str, list[Node]]) -> None:
        """One match of the `locals` query (a declared variable); collected before calls."""

    def concern_match(self, concern: str, captures: dict[str, list[Node]]) -> None:
        """One match of a language's own concern (`LanguageSupport.extra_concerns`),
        handed over as the combined query finds it, before definitions are built."""

    def refine_call(self, site: CallSite, captures: dict[str, list[Node]]) -> CallSite:
        """A language's last word on a call site, with the call pattern's nodes at hand
        (e.g. to set `receiver_type`, the receiver's declared type). The default keeps
        it as it is."""
        return site

    def signature(self, kind: SymbolKind, captures: dict[str, list[Node]]) -> tuple[str, int]:
        """(signature, byte where the header ends) of a definition.

        Callables: the source from the parameters through the return type, on one
        line. Types: their base list. Anything else: no signature, the header ends
        after the name.
        """
        text = self.text
        if kind in _CALLABLE and "parameters" in captures:
            start = captures["parameters"][0].start_byte
            end = max(
                captures[c][0].end_byte for c in ("parameters", "return_type") if c in captures
            )
            return collapse_whitespace(text.byte_slice_text(start, end)), end
        superclasses = captures.get("superclasses")
        if superclasses:
            return collapse_whitespace(text.node_text(superclasses[0])), superclasses[0].end_byte
        return "", captures["name"][0].end_byte

    def module_name_part(self) -> str:
        """The module symbol's short name: the last part of the module's name."""
        tail = self.module.rpartition(self.syntax.separator)[2]
        return tail.rpartition("/")[2]

    def statement_of(self, node: Node) -> Node:
        """The node that stands in the enclosing body for a definition: the definition
        itself, or the outermost wrapper around it (`export function f`)."""
        if not self.wrapper_types:
            return node
        # `Node.parent` searches down from the root (tree-sitter keeps no parent
        # pointers): ask once per step.
        parent = node.parent
        while parent is not None and parent.type in self.wrapper_types:
            node, parent = parent, parent.parent
        return node

    def doc_comment(self, outer: Node) -> str:
        """The comment lines right above a definition, when they are doc comments."""
        prefixes = self.syntax.doc_comment_prefixes
        if not prefixes:
            return ""
        lines: list[str] = []
        row = outer.start_point[0]
        node = outer.prev_named_sibling
        while (
            node is not None
            and node.type in self.comment_types
            and node.end_point[0] >= row - 1
            and len(lines) < MAX_DOC_COMMENT_LINES
        ):
            comment = self.text.node_text(node)
            if not comment.startswith(prefixes):
                break
            lines[:0] = comment.splitlines()
            row = node.start_point[0]
            node = node.prev_named_sibling
        return self.clean_doc_comment(lines) if lines else ""

    def clean_doc_comment(self, lines: list[str]) -> str:
        """Doc comment lines without their comment markers (`///`, `/**`, ` * `, `*/`)."""
        out: list[str] = []
        for raw in lines:
            line = raw.strip()
            for marker in ("/**", "/*!", "/*", "///", "//!", "//"):
                if line.startswith(marker):
                    line = line[len(marker) :]
                    break
            if line.endswith("*/"):
                line = line[:-2]
            line = line.strip()
            if line.startswith("*"):
                line = line[1:].strip()
            out.append(line)
        while out and not out[0]:
            out.pop(0)
        while out and not out[-1]:
            out.pop()
        return "\n".join(out)

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
                if "definition.decorated" in captures:
                    target = captures["decorated"][0]
                    wrapper = captures["definition.decorated"][0]
                    decorators = captures.get("decorator", [])
                    # A grammar may split one definition's decorators over several
                    # matches (Java's annotations around `public`): gather them all.
                    previous = decorated.get(target.start_byte)
                    if previous is not None and previous[0] == wrapper:
                        merged = {d.start_byte: d for d in [*previous[1], *decorators]}
                        decorators = [merged[k] for k in sorted(merged)]
                    decorated[target.start_byte] = (wrapper, decorators)
                    continue
                for capture, kind in _CAPTURE_KINDS.items():
                    found = captures.get(capture)
                    if found:
                        node = found[0]
                        body = captures.get("body", found)[0]
                        definitions.append(_Definition(node, kind, captures, body))
                        break
            elif role == "docstrings":
                docstrings[captures["docstring.owner"][0].start_byte] = captures["docstring"][0]
            elif role == "imports":
                imports.append(captures)
            elif role == "bases":
                bases.append(captures)
            elif role == "locals":
                self.local_declaration(captures)
            else:
                self.concern_match(role, captures)

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
            name=self.module_name_part(),
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
            module_symbol,
            "",
            self.root.end_byte,
            self.root.start_byte,
            self.root.end_byte,
            None,
            self.root,
        )
        self.top_owners: dict[int, ChunkOwner] = {}
        separator = self.syntax.separator
        # Parents before children: sort by start byte (an outer definition starts first).
        # Two patterns can match one node (a method is also a function): the first wins,
        # and one that names an `@owner` comes first, being the more specific.
        definitions.sort(key=lambda d: (d.node.start_byte, "owner" not in d.captures))
        stack: list[_Scope] = [module_scope]
        seen: dict[tuple[str, str], int] = {}
        seen_nodes: set[tuple[int, int]] = set()
        # Methods declared outside their type (`@owner`): symbol index -> type name.
        owned: dict[int, tuple[str, str]] = {}
        # Segment bookkeeping for the scope map (see scope_at).
        starts, ids = self._segment_starts, self._segment_ids
        open_scopes: list[_Scope] = []  # scopes whose body segment is open, innermost last
        for definition in definitions:
            node = definition.node
            start = node.start_byte
            key = (start, node.end_byte)
            if key in seen_nodes:
                continue
            seen_nodes.add(key)
            while len(stack) > 1 and stack[-1].end <= start:
                stack.pop()
            # Normally the top of the stack; in broken trees a definition can sit
            # inside another one's node but outside its body.
            parent = stack[-1]
            if not (parent.body_start <= start < parent.body_end or parent is module_scope):
                parent = next(
                    s
                    for s in reversed(stack)
                    if s.body_start <= start < s.body_end or s is module_scope
                )
            captures = definition.captures
            name_node = captures["name"][0]
            name = text.node_text(name_node)
            kind = definition.kind
            owner_nodes = captures.get("owner")
            owner_name = text.node_text(owner_nodes[0]) if owner_nodes else None
            if kind == SymbolKind.FUNCTION and (
                parent.symbol.kind in TYPE_KINDS or owner_name is not None
            ):
                kind = SymbolKind.METHOD
            signature, header_end = self.signature(kind, captures)
            parent_local = parent.local
            parent_qual = parent.symbol.qualname
            # An owned method takes its type's name whether the block declaring it
            # stands in the module or in a namespace inside it (a Rust `mod` block).
            owner_applies = owner_name is not None and (
                parent is module_scope or parent.symbol.kind == SymbolKind.NAMESPACE
            )
            if owner_applies:
                assert owner_name is not None
                parent_local = f"{parent_local}.{owner_name}" if parent_local else owner_name
                parent_qual = f"{parent_qual}{separator}{owner_name}" if parent_qual else owner_name
            count = seen.get((parent_local, name), 0) + 1
            seen[(parent_local, name)] = count
            local = f"{parent_local}.{name}" if parent_local else name
            if count > 1:
                local = f"{local}@{count}"
            # The qualname ignores @n suffixes of ancestors: it is the language's name.
            qualname = f"{parent_qual}{separator}{name}" if parent_qual else name
            wrapper = decorated.get(start)
            outer = self.statement_of(wrapper[0] if wrapper else node)
            body = definition.body
            doc_node = docstrings.get(body.start_byte) if body is not node else None
            doc = self.docstring(doc_node) if doc_node is not None else self.doc_comment(outer)
            symbol = Symbol(
                id=f"{self.path}#{local}",
                name=name,
                qualname=qualname,
                kind=kind,
                span=text.span(outer),
                selection=text.span(name_node),
                parent=parent.symbol.id,
                signature=signature,
                docstring=doc,
                decorators=tuple(self.decorator_text(d) for d in wrapper[1]) if wrapper else (),
            )
            if owner_applies:
                assert owner_name is not None
                owned[len(self.symbols)] = (parent.symbol.id, owner_name)
            self.symbols.append(symbol)
            if kind in TYPE_KINDS:
                self._class_ids[start] = symbol.id
            owner: ChunkOwner | None = None
            # A constant (an enum member) is a line of its type's or module's chunk;
            # a chunk of its own would hold one line.
            if kind != SymbolKind.CONSTANT and (
                parent is module_scope or (parent.owner is not None and parent.owner.is_class)
            ):
                if self._stands_in(outer, parent):
                    owner = ChunkOwner(symbol, outer, body, header_end, kind in TYPE_KINDS)
                    if parent is module_scope:
                        self.top_owners[outer.start_byte] = owner
                    else:
                        assert parent.owner is not None
                        parent.owner.members[outer.start_byte] = owner
                    self.chunker.add_owner_later(owner)
                elif "owner.block" in captures and parent is module_scope:
                    block = captures["owner.block"][0]
                    owner = self._block_member(symbol, block, outer, body, header_end)
            scope = _Scope(
                symbol, local, node.end_byte, body.start_byte, body.end_byte, owner, body
            )
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
        if owned:
            self._adopt(owned)

    def _stands_in(self, outer: Node, scope: _Scope) -> bool:
        """Whether `outer`'s parent node spans exactly `scope`'s body: the statement
        stands in the body itself, not in a block nested in it (an `if`, a `try`).

        `Node.parent` searches down from the root, which made it the costliest step of
        a definition in a large file; a direct child of the body is found among the
        body's children instead, listed once per scope. Anything else asks its parent,
        since a node nested in the body can in principle span the same bytes."""
        children = scope.children
        if children is None:
            children = scope.children = {child.id for child in scope.body.children}
        if outer.id in children:
            return True
        statement_parent = outer.parent
        return (
            statement_parent is not None
            and statement_parent.start_byte == scope.body_start
            and statement_parent.end_byte == scope.body_end
        )

    def _block_member(
        self, symbol: Symbol, block: Node, outer: Node, body: Node, header_end: int
    ) -> ChunkOwner | None:
        """A chunk owner for a method declared in a block apart from its type (a Rust
        `impl`) that stands in the module: the block is chunked like a class, as an
        outline with member stubs, and the method gets its own chunk."""
        block_body = outer.parent
        if (
            block_body is None
            or block.parent is None
            or block.parent.start_byte != self.root.start_byte
            or block.parent.end_byte != self.root.end_byte
        ):
            return None
        group = self.top_owners.get(block.start_byte)
        if group is None:
            # The block is no symbol: its outline is module-level code of the file.
            group = ChunkOwner(
                self.module_symbol, block, block_body, block_body.start_byte, is_class=True
            )
            self.top_owners[block.start_byte] = group
            self.chunker.add_owner_later(group)
        owner = ChunkOwner(symbol, outer, body, header_end, is_class=False)
        group.members[outer.start_byte] = owner
        self.chunker.add_owner_later(owner)
        return owner

    def decorator_text(self, node: Node) -> str:
        """A decorator as listed on its symbol: `@app.route("/")` -> `app.route("/")`."""
        text = self.text.node_text(node)
        return collapse_whitespace(text[1:] if text.startswith("@") else text)

    def _adopt(self, owned: dict[int, tuple[str, str]]) -> None:
        """Give methods declared outside their type (a Go receiver, a Rust `impl`) the
        type as parent, when the file defines it in the same scope as the block."""
        types = self._types_by_scope()
        for index, key in owned.items():
            type_id = types.get(key)
            if type_id is not None:
                self.symbols[index] = msgspec.structs.replace(self.symbols[index], parent=type_id)

    def _types_by_scope(self) -> dict[tuple[str, str], str]:
        """(enclosing symbol id, type name) -> type symbol id, for this file's types."""
        return {(s.parent, s.name): s.id for s in self.symbols if s.kind in TYPE_KINDS and s.parent}

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
        # the query reports nested matches in the order it finishes them. The match's
        # index keeps equal keys in query order and the nodes out of the comparison.
        ordered = []
        for index, captures in enumerate(calls):
            callee = captures["call.callee"][0]
            ordered.append((callee.start_byte, -callee.end_byte, index, callee, captures))
        ordered.sort()
        # No `refine_call` per site where the language keeps the site as it is.
        refine = None if type(self).refine_call is Extraction.refine_call else self.refine_call
        for start, _, _, callee, captures in ordered:
            callee_text = text.node_text(callee)
            if "call.odd" in captures:
                named = self.odd_callee(callee)
                if named is None:
                    continue
                name, receiver = named
            else:
                name = text.node_text(captures["call.name"][0])
                receiver_nodes = captures.get("call.receiver")
                receiver = self.call_receiver(receiver_nodes[0]) if receiver_nodes else None
            site = CallSite(
                caller=ids[bisect_right(starts, start) - 1],
                callee=callee_text,
                name=name,
                receiver=receiver,
                span=text.span(callee),
            )
            append(site if refine is None else refine(site, captures))

    def _bases(self, bases: list[dict[str, list[Node]]]) -> None:
        types: dict[tuple[str, str], str] | None = None
        for captures in bases:
            base = captures["base"][0]
            block = captures["base.class"][0]
            class_id = self._class_ids.get(block.start_byte)
            if class_id is None and "base.owner" in captures:
                # `impl Trait for Type`: the type is named, and defined (if in this
                # file) in the scope that holds the block.
                if types is None:
                    types = self._types_by_scope()
                owner_name = self.text.node_text(captures["base.owner"][0])
                class_id = types.get((self.scope_at(block.start_byte), owner_name))
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
        # By start and end: nodes that start together (an error inside an error, a
        # missing token at an error's start) came out in either order from run to run.
        nodes.sort(key=lambda n: (n.start_byte, n.end_byte))
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
