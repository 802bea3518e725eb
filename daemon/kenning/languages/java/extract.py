"""Java extraction: the rules tree-sitter-java's queries cannot say.

The queries in `queries/` find the nodes; `parse.extractor.Extraction` turns them into
facts. What stays here is Java's own semantics:

* names: a file's module is its `package` plus its file name (`com.example.Foo`),
  while the types it declares are named from the package (`com.example.Foo`, nested
  `com.example.Foo.Inner`), so a public class and its file share one name;
* import declarations as `Import` facts (single-type, on-demand, `static`);
* call sites written the way the resolver reads them: `new Foo` for a constructor
  call, `receiver.name` otherwise, and the declared type of a receiver variable in
  `receiver_type`;
* signatures (`<T>(Foo f, int n) -> List<T> throws E`, `extends B implements I`).

Declared types travel in the call site itself, because the resolver sees only call
sites and the workspace model (and re-resolves calls read back from the store): a
call on a variable or a `this.` field whose class type the code states keeps the
operand's text as its `receiver` (`f`, `this.repo`) and has that type in
`receiver_type`, as written, without type arguments or annotations (`Foo` for
`Foo f; f.run()` and `var f = new Foo()`, `Map.Entry` for `Map.Entry<K, V> e`,
`java.util.List` for a fully qualified one); the resolver reads it as a type name
seen from the call's scope.

A receiver this file declares nowhere (`f.m()`, `this.f.m()` with no local, parameter
or field `f` here) may be a field inherited from a supertype of another file: its
`receiver_type` is the chain `this->f` (a link without parentheses is a field), which
the resolver follows through the fields each class states in its symbol's
`attributes` (`f: Foo`, the type as written in the class), and otherwise reads as
before (`Foo.m()` with `Foo` a type name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec
from tree_sitter import Node, Tree

from kenning.core.facts import CallSite, Import, ImportKind, SymbolKind
from kenning.parse.extractor import Extraction
from kenning.parse.language import LanguageQueries, LanguageSyntax
from kenning.parse.text import SourceText, collapse_whitespace

# Node types that name a class or interface type (primitives and arrays do not).
_CLASS_TYPES = frozenset(
    {"type_identifier", "scoped_type_identifier", "generic_type", "annotated_type"}
)
# The node a parameter's scope is: the construct that declares it.
_BLOCKS = frozenset({"block", "constructor_body", "switch_block_statement_group", "program"})
_TYPE_ARGUMENTS = re.compile(r"<[^<>]*>")
# A package declaration comes before any type: the search for it stops at one.
_DECLARATIONS = frozenset(
    {
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
        "import_declaration",
    }
)
# Header parts of a definition, for its signature: those written against the name,
# the clauses after them, and (before the name) a method's result type.
_HEADER_ATTACHED = frozenset({"type_parameters", "formal_parameters", "dimensions"})
_HEADER_CLAUSES = frozenset(
    {"throws", "superclass", "super_interfaces", "extends_interfaces", "permits"}
)
_RESULT_TYPES = frozenset(
    {
        "void_type",
        "integral_type",
        "floating_point_type",
        "boolean_type",
        "type_identifier",
        "scoped_type_identifier",
        "generic_type",
        "array_type",
        "annotated_type",
    }
)
_PRIMITIVE_TYPES = frozenset({"integral_type", "floating_point_type", "boolean_type"})
# Literals whose type the node type says; numbers are read from their suffix.
_LITERAL_TYPES = {
    "string_literal": "String",
    "text_block": "String",
    "character_literal": "char",
    "true": "boolean",
    "false": "boolean",
    "null_literal": "null",
    "class_literal": "Class",
}
# The capture naming the whole declaration in `locals.scm`, one per pattern.
_DECLARATION_ROLES = frozenset(
    {
        "local.field",
        "local.variable",
        "local.parameter",
        "local.loop",
        "local.resource",
        "local.pattern",
        "local.lambda",
    }
)


@dataclass(slots=True, frozen=True)
class _Declared:
    """A variable visible in bytes [visible_from, end), of a class type or none."""

    start: int  # where its scope starts: the innermost scope wins
    visible_from: int
    end: int
    type: str | None
    field: bool
    # The type as an argument's type for overload choice: also primitives and arrays
    # (`int`, `String[]`); None for `var` without a stated initializer.
    written: str | None = None
    # `var x = a.b()`: the call whose result `x` holds, read as a chain when asked.
    value: Node | None = None


# Joins the links of a call chain in a `receiver_type` (`Foo->b()->c()`): no type name
# has it, so a chain never reads as a type.
CHAIN = "->"
# Links of a call chain followed, at most.
MAX_CHAIN = 6


def strip_type_arguments(text: str) -> str:
    """`Map.Entry<K, List<V>>` -> `Map.Entry`; annotations and whitespace dropped."""
    text = "".join(text.split())
    previous = None
    while previous != text:
        previous, text = text, _TYPE_ARGUMENTS.sub("", text)
    return re.sub(r"@[\w.]+(\([^)]*\))?", "", text)


class JavaExtraction(Extraction):
    """Java's hooks into the generic extraction."""

    def __init__(
        self,
        syntax: LanguageSyntax,
        queries: LanguageQueries,
        path: str,
        module: str,
        text: SourceText,
        tree: Tree,
    ) -> None:
        self.stem = path.rpartition("/")[2].removesuffix(".java")
        declared = _package_of(tree.root_node, text)
        package = declared if declared is not None else module.rpartition(".")[0]
        # Definitions are named from the package: the generic loop prefixes names with
        # the module symbol's qualname, which `chunker_finish` then sets to the file's.
        super().__init__(syntax, queries, path, package, text, tree)
        self.package = package
        self.file_module = f"{package}.{self.stem}" if package else self.stem
        self.chunker.module = self.file_module
        self._declared: dict[str, list[_Declared]] = {}
        self._declared_sorted = False
        # Class declaration start (line, column) -> `name: Type` of its typed fields.
        self._fields: dict[tuple[int, int], list[str]] = {}

    def run(self) -> None:
        super().run()
        if self._fields:
            for index, symbol in enumerate(self.symbols):
                found = self._fields.get((symbol.span.start_line, symbol.span.start_col))
                if found:
                    self.symbols[index] = msgspec.structs.replace(
                        symbol, attributes=(*symbol.attributes, *found)
                    )

    # -- names -------------------------------------------------------------------

    def module_name_part(self) -> str:
        return self.stem

    def chunker_finish(self) -> None:
        module_symbol = msgspec.structs.replace(self.module_symbol, qualname=self.file_module)
        self.symbols[0] = self.module_symbol = module_symbol
        super().chunker_finish()

    def facts(self):  # type: ignore[no-untyped-def]
        facts = super().facts()
        facts.module = self.file_module
        return facts

    # -- imports -----------------------------------------------------------------

    def import_fact(self, captures: dict[str, list[Node]], scope: str) -> Import | None:
        """`import a.b.C;` binds C from a.b; `import a.b.*;` every type of a.b;
        `import static a.b.C.m;` the member m of a.b.C (extra="static")."""
        node = captures["import.binding"][0]
        is_static = any(child.type == "static" for child in node.children)
        wildcard = any(child.type == "asterisk" for child in node.children)
        dotted = next(
            (c for c in node.named_children if c.type in ("scoped_identifier", "identifier")),
            None,
        )
        if dotted is None:
            return None
        name = "".join(self.text.node_text(dotted).split())
        extra = "static" if is_static else ""
        if wildcard:
            return Import(
                module=name,
                name="*",
                alias="*",
                span=self.text.span(node),
                scope=scope,
                kind=ImportKind.WILDCARD,
                extra=extra,
            )
        module, _, last = name.rpartition(".")
        return Import(
            module=module,
            name=last,
            alias=last,
            span=self.text.span(node),
            scope=scope,
            kind=ImportKind.NAME,
            extra=extra,
        )

    # -- signatures --------------------------------------------------------------

    def signature(self, kind: SymbolKind, captures: dict[str, list[Node]]) -> tuple[str, int]:
        """Methods: `<T>(Foo f) -> List<T> throws E`; types: `<T> extends B implements I`
        (a record's components after its type parameters), read after the type's name
        (`A<T> extends B`). The header ends where the body starts."""
        node = next(v[0] for k, v in captures.items() if k.startswith("definition."))
        name = captures["name"][0]
        header_end = name.end_byte
        text = self.text
        attached = ""  # type parameters and parameters, written right after the name
        rest: list[str] = []
        returns = ""
        for child in node.named_children:
            kind_of = child.type
            if kind_of in _HEADER_ATTACHED:
                attached += text.node_text(child)
            elif kind_of in _HEADER_CLAUSES:
                rest.append(text.node_text(child))
            elif child.start_byte < name.start_byte and kind_of in _RESULT_TYPES:
                returns = text.node_text(child)
                continue
            else:
                continue
            header_end = max(header_end, child.end_byte)
        if kind in (SymbolKind.METHOD, SymbolKind.FUNCTION):
            if "(" not in attached:
                attached += "()"  # an annotation type's element: `String value()`
            if returns:
                rest.insert(0, f"-> {returns}")
        # A type's clauses keep their leading space: `I extends J` when shown after the name.
        clauses = " " + collapse_whitespace(" ".join(rest)) if rest else ""
        return collapse_whitespace(attached) + clauses, header_end

    # -- declared types ----------------------------------------------------------

    def local_declaration(self, captures: dict[str, list[Node]]) -> None:
        name = self.text.node_text(captures["local.name"][0])
        type_nodes = captures.get("local.type")
        declared = _type_name(self.text, type_nodes[0]) if type_nodes else None
        written = _written_type(self.text, type_nodes[0]) if type_nodes else None
        made: Node | None = None
        if declared == "var":
            value = captures.get("local.value")
            declared = written = _created_type(self.text, value[0]) if value else None
            if declared is None and value and value[0].type == "method_invocation":
                made = value[0]
        elif written is not None and "local.parameter" in captures:
            parent = type_nodes[0].parent if type_nodes else None
            if parent is not None and parent.type == "spread_parameter":
                written += "[]"  # `int... rest` is an `int[]` inside the method
        field = "local.field" in captures
        node = next(v[0] for k, v in captures.items() if k in _DECLARATION_ROLES)
        scope, visible_from = _scope_of(node, field)
        if scope is None:
            return
        if field and declared is not None and scope.parent is not None:
            # The class states it for subclasses of other files (`this->f` chains).
            at = self.text.span(scope.parent)
            self._fields.setdefault((at.start_line, at.start_col), []).append(f"{name}: {declared}")
        self._declared.setdefault(name, []).append(
            _Declared(
                scope.start_byte, visible_from, scope.end_byte, declared, field, written, made
            )
        )

    def declared_type(
        self, name: str, at: int, field_only: bool = False, depth: int = 0
    ) -> str | None:
        """The declared class type of the variable `name` seen at byte `at`, if stated;
        for `var x = a.b()` the chain that made it (see `chain_type`)."""
        found = self._declaration(name, at, field_only)
        if found is None:
            return None
        if found.type is None and found.value is not None:
            return self.chain_type(found.value, depth + 1)
        return found.type

    def chain_type(self, call: Node, depth: int = 0) -> str | None:
        """What the code states of a method call's result, for the resolver to follow
        through the stated return types of workspace methods: `Foo->b()` for `f.b()`
        with `Foo f`, `Foo->b()->c()` for `f.b().c()`, `this->b()` for `b()` or
        `this.b()`, `Foo->make()` for `Foo.make()` or `new Foo().make()` (a head that
        is no declared variable is read as a type name). None where a link is not a
        plain call on such a head (`(x).b()`, `a[0].b()`) or the chain is too long."""
        if depth > MAX_CHAIN or call.type != "method_invocation":
            return None
        name = call.child_by_field_name("name")
        owner = call.child_by_field_name("object")
        if name is None:
            return None
        step = f"{CHAIN}{self.text.node_text(name)}()"
        if owner is None or owner.type == "this":
            return f"this{step}"
        head: str | None = None
        if owner.type == "identifier":
            text = self.text.node_text(owner)
            head = self.declared_type(text, owner.start_byte, depth=depth)
            if head is None:
                # A type name, or a field a supertype declares: the resolver tells.
                undeclared = self._declaration(text, owner.start_byte) is None
                head = f"this{CHAIN}{text}" if undeclared else text
        elif owner.type == "field_access":
            obj = owner.child_by_field_name("object")
            field = owner.child_by_field_name("field")
            if obj is not None and obj.type == "this" and field is not None:
                head = self._this_field(self.text.node_text(field), owner.start_byte, depth)
            elif all(part.isidentifier() for part in self.text.node_text(owner).split(".")):
                head = collapse_whitespace(self.text.node_text(owner))  # `a.b.Foo.make()`
        elif owner.type == "method_invocation":
            head = self.chain_type(owner, depth + 1)
        elif owner.type == "object_creation_expression":
            created = owner.child_by_field_name("type")
            head = _type_name(self.text, created) if created is not None else None
        return f"{head}{step}" if head else None

    def _this_field(self, name: str, at: int, depth: int = 0) -> str | None:
        """The type of `this.name`: as a class of this file declares the field, else
        `this->name` where none does (a field of a supertype, maybe of another file, for
        the resolver to find); None where the declaration states no type."""
        declared = self.declared_type(name, at, field_only=True, depth=depth)
        if declared:
            return declared
        if self._declaration(name, at, field_only=True) is not None:
            return None
        return f"this{CHAIN}{name}"

    def _declaration(self, name: str, at: int, field_only: bool = False) -> _Declared | None:
        found: _Declared | None = None
        for declared in self._declared.get(name, ()):
            if field_only and not declared.field:
                continue
            if declared.visible_from <= at < declared.end and (
                found is None or declared.start >= found.start
            ):
                found = declared
        return found

    def argument_types(self, call: Node) -> str:
        """`(String, ?, int)`: what the code states of each argument's type (see
        `CallSite.arguments`): literals, `new Foo()`, casts, and variables whose type
        is declared; `?` for anything else (a call's result, an expression)."""
        arguments = call.child_by_field_name("arguments")
        if arguments is None:
            return ""
        types = []
        for argument in arguments.named_children:
            if argument.type in ("line_comment", "block_comment"):
                continue
            types.append(self._argument_type(argument) or "?")
        return f"({', '.join(types)})"

    def _argument_type(self, node: Node) -> str | None:
        while node.type == "parenthesized_expression" and node.named_children:
            node = node.named_children[0]
        kind = node.type
        literal = _LITERAL_TYPES.get(kind)
        if literal is not None:
            return literal
        text = self.text.node_text(node)
        if kind in ("decimal_integer_literal", "hex_integer_literal", "octal_integer_literal",
                    "binary_integer_literal"):  # fmt: skip
            return "long" if text[-1:] in ("l", "L") else "int"
        if kind == "decimal_floating_point_literal" or kind == "hex_floating_point_literal":
            return "float" if text[-1:] in ("f", "F") else "double"
        if kind in ("object_creation_expression", "cast_expression"):
            created = node.child_by_field_name("type")
            return _written_type(self.text, created) if created is not None else None
        if kind == "identifier":
            found = self._declaration(text, node.start_byte)
            return found.written if found is not None else None
        return None

    # -- calls -------------------------------------------------------------------

    def refine_call(self, site: CallSite, captures: dict[str, list[Node]]) -> CallSite:
        callee = captures["call.callee"][0]
        parent = callee.parent
        arguments = self.argument_types(parent) if parent is not None else ""
        if parent is not None and parent.type == "object_creation_expression":
            created = _type_name(self.text, callee) or self.text.node_text(callee)
            return msgspec.structs.replace(
                site,
                callee=f"new {created}",
                name=created.rpartition(".")[2],
                receiver=None,
                arguments=arguments,
            )
        if site.receiver is None or parent is None or parent.type != "method_invocation":
            return msgspec.structs.replace(site, arguments=arguments)
        receiver = captures["call.receiver"][0]
        declared: str | None = None
        if receiver.type == "method_invocation":
            declared = self.chain_type(receiver)
        elif receiver.type == "identifier":
            declared = self.declared_type(site.receiver, callee.start_byte)
            if declared is None and self._declaration(site.receiver, callee.start_byte) is None:
                declared = f"this{CHAIN}{site.receiver}"
        elif receiver.type == "field_access":
            owner = receiver.child_by_field_name("object")
            field = receiver.child_by_field_name("field")
            if owner is not None and owner.type == "this" and field is not None:
                declared = self._this_field(self.text.node_text(field), callee.start_byte)
        chained = receiver.type == "method_invocation"
        written = collapse_whitespace(site.receiver) if declared and not chained else site.receiver
        return msgspec.structs.replace(
            site,
            callee=f"{written}.{site.name}",
            receiver_type=declared or "",
            arguments=arguments,
        )


def _package_of(root: Node, text: SourceText) -> str | None:
    for child in root.named_children:
        if child.type == "package_declaration":
            name = next(
                (c for c in child.named_children if c.type in ("scoped_identifier", "identifier")),
                None,
            )
            return "".join(text.node_text(name).split()) if name is not None else None
        if child.type in _DECLARATIONS:
            return None
    return None


def _type_name(text: SourceText, node: Node) -> str | None:
    """`Foo`, `a.b.Foo`, `Outer.Inner` for a class type (type arguments dropped)."""
    if node.type not in _CLASS_TYPES:
        return None
    if node.type == "annotated_type":
        inner = node.named_children[-1] if node.named_children else None
        return _type_name(text, inner) if inner is not None else None
    name = strip_type_arguments(text.node_text(node))
    return name or None


def _written_type(text: SourceText, node: Node) -> str | None:
    """A declared type as overload choice compares it: class types as `_type_name`
    gives them, primitives and arrays as written (`int`, `Foo[]`)."""
    if node.type in _PRIMITIVE_TYPES:
        return text.node_text(node)
    if node.type == "array_type":
        element = node.child_by_field_name("element")
        dimensions = node.child_by_field_name("dimensions")
        inner = _written_type(text, element) if element is not None else None
        if inner is None:
            return None
        depth = text.node_text(dimensions).count("[") if dimensions is not None else 1
        return inner + "[]" * depth
    return _type_name(text, node)


def _created_type(text: SourceText, value: Node) -> str | None:
    """The type `var x = new Foo()` or `var x = (Foo) y` gives x."""
    if value.type == "object_creation_expression" or value.type == "cast_expression":
        created = value.child_by_field_name("type")
        return _type_name(text, created) if created is not None else None
    return None


def _scope_of(node: Node, field: bool) -> tuple[Node | None, int]:
    """(the node a declaration is visible in, the byte it becomes visible at)."""
    kind = node.type
    parent = node.parent
    if parent is None:
        return None, 0
    if field:
        # Fields are visible in the whole class body, before their declaration too.
        if parent.type == "enum_body_declarations" and parent.parent is not None:
            parent = parent.parent
        return parent, parent.start_byte
    if kind == "local_variable_declaration":
        return parent, node.start_byte
    if kind in ("formal_parameter", "spread_parameter"):
        owner = parent.parent if parent.type == "formal_parameters" else parent
        return owner, (owner or parent).start_byte
    if kind == "catch_formal_parameter":
        return parent, parent.start_byte
    if kind == "resource":
        owner = parent.parent if parent.type == "resource_specification" else parent
        return owner, node.start_byte
    if kind in ("enhanced_for_statement", "lambda_expression"):
        return node, node.start_byte
    # A pattern variable (`o instanceof Foo f`): from the test to its block's end.
    scope: Node | None = parent
    while scope is not None and scope.type not in _BLOCKS:
        scope = scope.parent
    return scope, node.start_byte


__all__ = ["JavaExtraction", "strip_type_arguments"]
