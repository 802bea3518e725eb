"""Rust extraction: the rules tree-sitter-rust's queries cannot say.

The queries in `queries/` find the nodes; `parse.extractor.Extraction` turns them into
facts. What stays here is Rust's own semantics: how a leaf of a `use` tree becomes an
`Import` (its path prefix is spread over the enclosing groups), rustdoc comments above
attributes, attributes as decorators, and the declared type of a method call's
receiver.

A receiver whose type the code states is recorded as `<receiver> as <type>`
(`x as Foo`, `self.conn as net::Conn`): a parameter `x: Foo`, a local
`let x: Foo = ...` or `let x = Foo::new()` / `Foo::default()` / `Foo { .. }`, a field
`self.conn` of the impl's struct when this file declares it. A parameter of a generic
type (`x: T` with `T: Trait` or `where T: Trait`) is stated as its first bound that is
not one of std's marker or derivable traits. A method call's receiver can never be a
bare cast (`x as T.m()` parses as a cast of the call), so the form cannot be confused
with real receiver text; the resolver reads the type from it.

What the resolver needs of other files rides in `Symbol.attributes`: a struct states
its named fields' types (`conn: net::Conn`, as written in the struct's scope), so
`self.conn.m()` in an impl of another file follows the field; a method of an
`impl Trait for Type` block states the trait it implements (`impl Trait`), so a call
on the trait reaches the impls as overrides.
"""

from __future__ import annotations

from bisect import bisect_right

import msgspec
from tree_sitter import Node, Query, QueryCursor

from kenning.core.facts import CallSite, Import, ImportKind
from kenning.parse.extractor import MAX_DOC_COMMENT_LINES, Extraction
from kenning.parse.text import collapse_whitespace

# Joins a receiver and the type the code declares for it (see the module docs).

# Wrappers a method call sees through by auto-deref: `x: Box<Foo>` calls Foo's methods.
SMART_POINTERS = frozenset({"Box", "Rc", "Arc", "Cow", "RefMut", "Ref", "MutexGuard"})
# Associated functions that return `Self` by convention (clippy's `new_ret_no_self`)
# or by definition (`Default::default`), so `let x = Foo::new()` makes `x` a `Foo`.
SELF_CONSTRUCTORS = frozenset({"new", "default"})

# Bindings with a type the code states, for typed receivers. Parameters, and `let`
# with a type or with a value whose type is plain from its shape.
_BINDINGS = """
(parameter pattern: (identifier) @name type: (_) @type) @param
(parameter pattern: (mut_pattern (identifier) @name) type: (_) @type) @param
(let_declaration pattern: (identifier) @name type: (_)? @type value: (_)? @value) @let
(let_declaration
  pattern: (mut_pattern (identifier) @name) type: (_)? @type value: (_)? @value) @let
"""
_FIELDS = """
(struct_item
  name: (type_identifier) @struct
  body: (field_declaration_list
    (field_declaration name: (field_identifier) @field type: (_) @type)))
"""
# In `Symbol.attributes` of a method: the trait its `impl` block implements.
IMPL_PREFIX = "impl "
# Bounds that say nothing about which workspace methods a generic value has: std's
# marker traits and the traits `#[derive]` provides (their methods are std's).
_MARKER_BOUNDS = frozenset(
    {"Send", "Sync", "Sized", "Unpin", "Copy", "Clone", "Debug", "Display", "Default", "Eq",
     "PartialEq", "Ord", "PartialOrd", "Hash"}
)  # fmt: skip
# Callee wrappers that odd_callee looks through to the expression that made the value.
_LOOK_THROUGH = frozenset(
    {"index_expression", "parenthesized_expression", "try_expression", "await_expression"}
)
# Callee node types other than a path, a field or a generic function that make a call
# site (named by `odd_callee`): `(self.f)()`, `make()()`, `handlers[k]()`, closures.
_ODD_CALLEES = frozenset(
    {
        "parenthesized_expression",
        "call_expression",
        "index_expression",
        "closure_expression",
        "try_expression",
        "await_expression",
        "unary_expression",
        "reference_expression",
        "macro_invocation",
        "block",
    }
)
_BODY_TYPES = frozenset({"block", "declaration_list", "source_file"})
_FUNCTION_TYPES = frozenset({"function_item", "closure_expression"})


class RustExtraction(Extraction):
    """Rust's hooks into the generic extraction."""

    comment_types = frozenset({"line_comment", "block_comment"})

    def run(self) -> None:
        # Attributes above each item, by the item's start (line, column); the generic
        # loop knows decorators only as wrapping nodes, and Rust's are siblings.
        self._attributes: dict[tuple[int, int], tuple[str, ...]] = {}
        # Per function (by start byte): name -> bindings with their declared types.
        self._bindings: dict[int, dict[str, list[tuple[int, int, str | None]]]] = {}
        self._fields: dict[tuple[str, str], str] | None = None
        super().run()
        if self._attributes:
            for index, symbol in enumerate(self.symbols):
                found = self._attributes.get((symbol.span.start_line, symbol.span.start_col))
                if found:
                    self.symbols[index] = msgspec.structs.replace(symbol, decorators=found)
        self._state_attributes()

    def _state_attributes(self) -> None:
        """Fill `Symbol.attributes` (see the module docs) for structs and impl methods.

        A walk of the items of the file and of its `mod` blocks, not a query: a query
        visits every node of every function body, which cost a tenth of extraction."""
        stated: dict[tuple[int, int], list[str]] = {}
        bodies = [self.root]
        while bodies:
            for item in bodies.pop().named_children:
                kind = item.type
                if kind == "struct_item":
                    entries = self._struct_fields(item)
                    if entries:
                        span = self.text.span(item)
                        stated.setdefault((span.start_line, span.start_col), []).extend(entries)
                elif kind == "impl_item":
                    trait_node = item.child_by_field_name("trait")
                    body = item.child_by_field_name("body")
                    trait = _type_path(self, trait_node) if trait_node is not None else None
                    if trait is None or body is None:
                        continue
                    for method in body.named_children:
                        if method.type == "function_item":
                            span = self.text.span(method)
                            stated.setdefault((span.start_line, span.start_col), []).append(
                                f"{IMPL_PREFIX}{trait}"
                            )
                elif kind == "mod_item":
                    body = item.child_by_field_name("body")
                    if body is not None:
                        bodies.append(body)
        if not stated:
            return
        for index, symbol in enumerate(self.symbols):
            found = stated.get((symbol.span.start_line, symbol.span.start_col))
            if found:
                self.symbols[index] = msgspec.structs.replace(
                    symbol, attributes=(*symbol.attributes, *found)
                )

    def _struct_fields(self, struct: Node) -> list[str]:
        """`name: Type` of a struct's named fields whose type is a path."""
        body = struct.child_by_field_name("body")
        if body is None or body.type != "field_declaration_list":
            return []
        entries: list[str] = []
        for field in body.named_children:
            name = field.child_by_field_name("name")
            type_node = field.child_by_field_name("type")
            if field.type != "field_declaration" or name is None or type_node is None:
                continue
            declared = _stated_field_type(self, type_node)
            if declared is not None:
                entries.append(f"{self.text.node_text(name)}: {declared}")
        return entries

    # -- docs and attributes -------------------------------------------------------

    def docstring(self, literal: Node) -> str:
        """A file's `//!` lines: the docs of the crate or module it is."""
        lines: list[str] = []
        node: Node | None = literal
        while node is not None and node.type == "line_comment" and len(lines) < 500:
            comment = self.text.node_text(node)
            if not comment.startswith("//!"):
                break
            lines.append(comment.rstrip("\n"))
            node = node.next_named_sibling
        return self.clean_doc_comment(lines)

    def doc_comment(self, outer: Node) -> str:
        """The `///` lines (or `/** */` block) above an item, across its attributes.

        `#[derive(..)]` and friends usually sit between an item and its docs; they are
        kept as the item's decorators. `//!` documents the enclosing module, not the
        next item, so it ends the search.
        """
        lines: list[str] = []
        attributes: list[str] = []
        node = outer.prev_named_sibling
        row = outer.start_point[0]
        while (
            node is not None and node.end_point[0] >= row - 1 and len(lines) < MAX_DOC_COMMENT_LINES
        ):
            if node.type == "attribute_item":
                attributes.append(collapse_whitespace(self.text.node_text(node))[2:-1])
            elif node.type in self.comment_types:
                comment = self.text.node_text(node)
                outer_doc = comment.startswith("///") and not comment.startswith("////")
                if not (outer_doc or comment.startswith("/**")):
                    break
                lines[:0] = comment.rstrip("\n").splitlines()
            else:
                break
            row = node.start_point[0]
            node = node.prev_named_sibling
        if attributes:
            span = self.text.span(outer)
            self._attributes[(span.start_line, span.start_col)] = tuple(reversed(attributes))
        return self.clean_doc_comment(lines) if lines else ""

    # -- imports -------------------------------------------------------------------

    def import_fact(self, captures: dict[str, list[Node]], scope: str) -> Import | None:
        """One name a `use` or `extern crate` binds.

        `use a::b::{c, d as e, f::*}` gives `c` (module "a::b", name "c"), `e` (name
        "d", alias "e") and a wildcard of "a::b::f". `use a::b::{self}` binds `b`.
        `extern crate foo as bar` binds `bar` to the crate `foo`.
        """
        text = self.text
        binding = captures["import.binding"][0]
        if binding.type == "extern_crate_declaration":
            name = text.node_text(captures["import.name"][0])
            alias_node = binding.child_by_field_name("alias")
            return Import(
                module=name,
                name=None,
                alias=text.node_text(alias_node) if alias_node is not None else name,
                span=text.span(binding),
                scope=scope,
                kind=ImportKind.MODULE,
                reexport=_is_pub(binding),
            )
        prefix: list[str] = []
        node = binding.parent
        declaration = None
        while node is not None:
            if node.type == "scoped_use_list":
                path = node.child_by_field_name("path")
                if path is not None:
                    prefix[:0] = _path_parts(text.node_text(path))
            elif node.type == "use_declaration":
                declaration = node
                break
            node = node.parent
        if declaration is None:
            return None
        alias: str | None = None
        kind = ImportKind.NAME
        leaf = binding
        if binding.type == "use_as_clause":
            alias_node = binding.child_by_field_name("alias")
            path_node = binding.child_by_field_name("path")
            if alias_node is None or path_node is None:
                return None
            alias = text.node_text(alias_node)
            leaf = path_node
        if leaf.type == "use_wildcard":
            parts = prefix + _path_parts(text.node_text(leaf).rstrip("*").rstrip(":"))
            module, name, alias, kind = "::".join(parts), "*", "*", ImportKind.WILDCARD
        else:
            parts = prefix + _path_parts(text.node_text(leaf))
            if parts and parts[-1] == "self":  # `use a::b::{self}` binds `b`
                parts.pop()
            if not parts:
                return None
            module, name = "::".join(parts[:-1]), parts[-1]
            if alias is None:
                alias = name
            if alias == "_":  # `use Trait as _` brings methods into scope, binds nothing
                kind = ImportKind.NAME
        return Import(
            module=module,
            name=name,
            alias=alias,
            span=text.span(binding),
            scope=scope,
            kind=kind,
            reexport=_is_pub(declaration),
        )

    # -- calls ---------------------------------------------------------------------

    def odd_callee(self, callee: Node) -> tuple[str, str | None] | None:
        """(name, receiver) of every callee (`calls.scm` has one pattern for all).

        `foo` -> "foo"; `a::b::f` -> "f" on "a::b"; `x.m` -> "m" on "x"; the same
        inside a turbofish (`x.m::<T>`). Others (`(self.f)()`, `make()()`,
        `handlers[k]()`) look through calls, indexing, parentheses, `?` and `.await`
        to the expression that produced the called value. None, no call site, for a
        callee of any other form (`::f()`, a generic of something else, an ERROR).
        """
        kind = callee.type
        if kind == "identifier":
            return self.text.node_text(callee), None
        method = _method_parts(callee)
        if method is not None:
            return self.text.node_text(method[0]), self.call_receiver(method[1])
        if kind == "field_expression":
            field = callee.child_by_field_name("field")
            if field is not None and field.type == "integer_literal":
                return self.text.node_text(callee), None  # `x.0()`: a tuple field
            return None
        if kind == "scoped_identifier":
            return self._path_callee(callee)
        if kind == "generic_function":
            function = callee.child_by_field_name("function")
            if function is not None and function.type == "identifier":
                return self.text.node_text(function), None
            if function is not None and function.type == "scoped_identifier":
                return self._path_callee(function)
            return None
        if kind not in _ODD_CALLEES:
            return None
        node: Node | None = callee
        while node is not None:
            kind = node.type
            if kind == "call_expression":
                node = node.child_by_field_name("function")
            elif kind in _LOOK_THROUGH:
                node = node.named_children[0] if node.named_children else None
            else:
                break
        if node is not None and node.type == "identifier":
            return self.text.node_text(node), None
        if node is not None and node.type == "field_expression":
            field = node.child_by_field_name("field")
            value = node.child_by_field_name("value")
            if field is not None and value is not None and field.type == "field_identifier":
                return self.text.node_text(field), self.text.node_text(value)
        if node is not None and node.type == "scoped_identifier":
            name = node.child_by_field_name("name")
            path = node.child_by_field_name("path")
            if name is not None and path is not None:
                return self.text.node_text(name), self.text.node_text(path)
        return self.text.node_text(callee), None

    def _path_callee(self, path: Node) -> tuple[str, str | None] | None:
        """`a::b::f` -> ("f", "a::b"); None for `::f` or a path not ending in a name."""
        name = path.child_by_field_name("name")
        prefix = path.child_by_field_name("path")
        if name is None or prefix is None or name.type != "identifier":
            return None
        return self.text.node_text(name), self.call_receiver(prefix)

    def refine_call(self, site: CallSite, captures: dict[str, list[Node]]) -> CallSite:
        """Note the receiver's declared type in `receiver_type` when the code states one:
        a path naming the type as written (`Foo`, `store::Store`). Only a method call
        `x.m()` (or `x.m::<T>()`) has a value as its receiver; an odd callee's
        (`(self.f)()`) is left alone."""
        if site.receiver is None:
            return site
        method = _method_parts(captures["call.callee"][0])
        if method is None:
            return site
        declared = self._declared_receiver_type(method[1])
        return msgspec.structs.replace(site, receiver_type=declared) if declared else site

    def _declared_receiver_type(self, receiver: Node) -> str | None:
        """The type the code states for a method call's receiver, if any."""
        if receiver.parent is None or receiver.parent.type != "field_expression":
            return None  # `a::b::f()`: a path, not a value
        if receiver.type == "identifier":
            return self._local_type(receiver, self.text.node_text(receiver))
        if receiver.type == "field_expression":
            value = receiver.child_by_field_name("value")
            field = receiver.child_by_field_name("field")
            if value is not None and field is not None and value.type == "self":
                owner = _impl_type(receiver)
                if owner is not None:
                    declared = self._field_type(owner, self.text.node_text(field))
                    if declared is not None and SEP not in declared:
                        # A field of a generic type (`scheduler: S`), typed by the
                        # bound the impl (or the method) gives `S`.
                        return _bound_of(self, receiver, declared)
                    return declared
        return None

    def _local_type(self, receiver: Node, name: str) -> str | None:
        """The declared type of the binding of `name` visible at `receiver`, if stated."""
        function = receiver.parent
        while function is not None and function.type != "function_item":
            function = function.parent
        if function is None:
            return None
        bindings = self._bindings.get(function.start_byte)
        if bindings is None:
            bindings = self._bindings[function.start_byte] = self._collect_bindings(function)
        found = bindings.get(name)
        if not found:
            return None
        # The latest binding before the receiver whose scope holds it: `let` shadows.
        at = receiver.start_byte
        index = bisect_right(found, (at, 1 << 62, "")) - 1
        while index >= 0:
            start, end, declared = found[index]
            if start < at < end:
                return declared
            index -= 1
        return None

    def _collect_bindings(self, function: Node) -> dict[str, list[tuple[int, int, str | None]]]:
        """Parameters and `let`s of one function (a walk of that function only: most
        of a file is never asked about)."""
        out: dict[str, list[tuple[int, int, str | None]]] = {}
        query = _query(self, "bindings", _BINDINGS)
        for _, captures in QueryCursor(query).matches(function):
            name = self.text.node_text(captures["name"][0])
            type_nodes = captures.get("type")
            declared = _type_path(self, type_nodes[0]) if type_nodes else None
            if declared is not None and SEP not in declared:
                # A generic type (`x: T`, `x: &mut T`) is known by its bounds only.
                declared = _bound_of(self, captures["name"][0], declared)
            if "param" in captures:
                takes = captures["param"][0].parent
                while takes is not None and takes.type not in _FUNCTION_TYPES:
                    takes = takes.parent
                if takes is None:
                    continue
                start, end = captures["param"][0].end_byte, takes.end_byte
            else:
                statement = captures["let"][0]
                if declared is None and "value" in captures:
                    declared = self._value_type(captures["value"][0])
                block = statement.parent
                while block is not None and block.type not in _BODY_TYPES:
                    block = block.parent
                start = statement.end_byte
                end = block.end_byte if block is not None else self.root.end_byte
            out.setdefault(name, []).append((start, end, declared))
        for bindings in out.values():
            bindings.sort(key=lambda b: (b[0], b[1]))
        return out

    def _value_type(self, value: Node) -> str | None:
        """The type a `let` value plainly has: `Foo { .. }`, `Foo::new(..)`."""
        if value.type == "struct_expression":
            name = value.child_by_field_name("name")
            return _type_path(self, name) if name is not None else None
        if value.type == "call_expression":
            function = value.child_by_field_name("function")
            if function is not None and function.type == "scoped_identifier":
                path = function.child_by_field_name("path")
                name = function.child_by_field_name("name")
                if (
                    path is not None
                    and name is not None
                    and self.text.node_text(name) in SELF_CONSTRUCTORS
                    and path.type in ("identifier", "scoped_identifier", "generic_type")
                ):
                    declared = _type_path(self, path)
                    last = declared.rpartition("::")[2] if declared else ""
                    # A type, not a module: `Foo::new`, never `util::new`.
                    if last[:1].isupper() and last != "Self":
                        return declared
        return None

    def _field_type(self, struct: str, field: str) -> str | None:
        if self._fields is None:
            fields: dict[tuple[str, str], str] = {}
            query = _query(self, "fields", _FIELDS)
            for _, captures in QueryCursor(query).matches(self.root):
                declared = _stated_field_type(self, captures["type"][0])
                if declared is not None:
                    key = (
                        self.text.node_text(captures["struct"][0]),
                        self.text.node_text(captures["field"][0]),
                    )
                    fields[key] = declared
            self._fields = fields
        return self._fields.get((struct, field))


_QUERIES: dict[str, Query] = {}
SEP = "::"
# Items whose type parameters a type inside them can name.
_GENERIC_ITEMS = frozenset({"function_item", "impl_item", "trait_item", "struct_item"})


def _method_parts(callee: Node) -> tuple[Node, Node] | None:
    """(method name, receiver) of a method callee, `x.m` or `x.m::<T>`; None for any
    other callee."""
    if callee.type == "generic_function":
        function = callee.child_by_field_name("function")
        if function is None:
            return None
        callee = function
    if callee.type != "field_expression":
        return None
    field = callee.child_by_field_name("field")
    value = callee.child_by_field_name("value")
    if field is None or value is None or field.type != "field_identifier":
        return None
    return field, value


def _bound_of(
    extraction: Extraction, node: Node, name: str, keep_unbounded: bool = False
) -> str | None:
    """`name` itself when no enclosing function, impl, trait or struct declares it as a
    type parameter; else its first bound that is not a marker (`T: Send + Greet`,
    `where T: Greet`), or, when it has none, None (nothing is known of its methods) or
    with `keep_unbounded` the name (a struct's field, which an impl's bounds may type
    at the call)."""
    current = node.parent
    while current is not None:
        if current.type in _GENERIC_ITEMS:
            declared = False
            params = current.child_by_field_name("type_parameters")
            for param in params.named_children if params is not None else ():
                if param.type != "type_parameter":
                    continue
                param_name = param.child_by_field_name("name")
                if param_name is not None and extraction.text.node_text(param_name) == name:
                    declared = True
                    bound = _first_bound(extraction, param.child_by_field_name("bounds"))
                    if bound is not None:
                        return bound
            for child in current.named_children:
                if child.type != "where_clause":
                    continue
                for predicate in child.named_children:
                    left = predicate.child_by_field_name("left")
                    if left is not None and extraction.text.node_text(left) == name:
                        declared = True
                        bound = _first_bound(extraction, predicate.child_by_field_name("bounds"))
                        if bound is not None:
                            return bound
            if declared:
                return name if keep_unbounded else None
        current = current.parent
    return name


def _stated_field_type(extraction: Extraction, node: Node) -> str | None:
    """A struct field's type as `_type_path` reads it; a type parameter of the struct
    by its bound when the struct gives one."""
    declared = _type_path(extraction, node)
    if declared is not None and SEP not in declared:
        return _bound_of(extraction, node, declared, keep_unbounded=True)
    return declared


def _first_bound(extraction: Extraction, bounds: Node | None) -> str | None:
    for bound in bounds.named_children if bounds is not None else ():
        path = _type_path(extraction, bound)
        if path is not None and path.rpartition(SEP)[2] not in _MARKER_BOUNDS:
            return path
    return None


def _query(extraction: Extraction, name: str, source: str) -> Query:
    # Compiled once per process: a Query is immutable and threads may share it.
    query = _QUERIES.get(name)
    if query is None:
        query = _QUERIES[name] = Query(extraction.queries.language, source)
    return query


def _type_path(extraction: Extraction, node: Node) -> str | None:
    """A type as a path without references, lifetimes, generic arguments or smart
    pointers: `&'a mut Box<a::Foo<T>>` -> `a::Foo`; `impl Trait` -> `Trait`."""
    current: Node | None = node
    for _ in range(16):
        if current is None:
            return None
        kind = current.type
        if kind in ("type_identifier", "scoped_type_identifier", "primitive_type", "identifier"):
            return "".join(extraction.text.node_text(current).split())
        if kind == "scoped_identifier":
            return "".join(extraction.text.node_text(current).split())
        if kind in ("reference_type", "pointer_type"):
            current = current.child_by_field_name("type")
        elif kind in ("abstract_type", "dynamic_type"):
            current = current.child_by_field_name("trait")
        elif kind == "generic_type":
            base = current.child_by_field_name("type")
            arguments = current.child_by_field_name("type_arguments")
            if (
                base is not None
                # `Arc` or `std::sync::Arc` alike.
                and extraction.text.node_text(base).rpartition("::")[2] in SMART_POINTERS
                and arguments is not None
                and arguments.named_children
            ):
                current = arguments.named_children[0]
                if current.type == "lifetime" and len(arguments.named_children) > 1:
                    current = arguments.named_children[1]
            else:
                current = base
        else:
            return None
    return None


def _impl_type(node: Node) -> str | None:
    """The name of the type whose `impl` block holds `node`, if any."""
    current = node.parent
    while current is not None:
        if current.type == "impl_item":
            owner = current.child_by_field_name("type")
            while owner is not None and owner.type in ("generic_type", "reference_type"):
                owner = owner.child_by_field_name("type")
            if owner is not None and owner.type == "scoped_type_identifier":
                owner = owner.child_by_field_name("name")
            if owner is not None and owner.type == "type_identifier":
                return owner.text.decode("utf-8", "replace") if owner.text else None
            return None
        if current.type in ("trait_item", "mod_item"):
            return None
        current = current.parent
    return None


def _path_parts(path: str) -> list[str]:
    """`a :: b::c` -> ["a", "b", "c"]; a leading `::` (the extern prelude) is kept."""
    joined = "".join(path.split())
    parts = joined.split("::")
    if joined.startswith("::"):
        return ["::" + parts[1], *parts[2:]] if len(parts) > 1 else []
    return [p for p in parts if p]


def _is_pub(declaration: Node) -> bool:
    first = declaration.named_children[0] if declaration.named_children else None
    return first is not None and first.type == "visibility_modifier"
