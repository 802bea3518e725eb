"""Python name resolution: which definition a call, import or base class refers to.

The rules follow Python's scoping closely enough to be right in the common cases and
say so when they guess:

* a plain name is looked up in the enclosing function scopes (class bodies do not
  enclose methods), then module definitions, import bindings and star imports, then
  builtins; failing that, by name alone across the workspace;
* `self.x` / `cls.x` go through the enclosing class and its bases, `super().x`
  through the bases only;
* `alias.attr` follows the import bound to `alias`, through re-exports in
  `__init__.py` files;
* `x.m()` where the code states `x`'s type (an annotation, `x = Foo()`, a function
  annotated `-> Foo`, `self.x = Foo()` in the class, a dataclass field, an
  `isinstance` check around the call, `with make() as x` through `__enter__`) goes
  through that type: `typed`, with the overrides in subclasses as `override` edges;
  builtin and outside types (`x = []`, `", ".join`) give `builtin` and `external`
  targets;
* attribute chains (`self.ctx.command.m()`, `frame.symbols.m()`, `x = env.make()`)
  follow the attribute types that classes state (`SymInfo.attributes`) and annotated
  properties, in any file;
* `self.m()` links the method found on the class and, as `override` edges, the
  methods that override it in subclasses (virtual dispatch);
* a parameter called as a function links, as `callback` edges, each function the
  same file passes for it (`_group(tlist, match)` where `match` is a function);
* of a name defined twice in one scope, the last definition that is not an
  `@overload` stub;
* anything else (`obj.method()`): a method name that one workspace definition has and
  no builtin type or file object has is a `name-only` guess; otherwise a `candidate`
  edge to each method of that name (not presented as resolved), or unresolved.

Every answer is a `Target` with its `Resolution` kind and a confidence.
"""

from __future__ import annotations

import builtins
import io
from collections.abc import Callable

from kenning.core.facts import BaseClass, CallSite, Import, SymbolKind
from kenning.core.graph import Resolution, Target, external_id
from kenning.languages.python.extract import ABSTRACT
from kenning.languages.python.layout import is_package_path
from kenning.parse.text import split_outside
from kenning.resolve.hierarchy import KeptSubtypes, SubtypeQueries, plain_subtypes
from kenning.resolve.lookup import LookupOrders
from kenning.resolve.model import (
    FileScope,
    SymInfo,
    WorkspaceModel,
    common_path_prefix,
    subtypes_nearest_first,
)
from kenning.resolve.reuse import ModelChanges, Recorder, RecordingModel

BUILTIN_NAMES = frozenset(dir(builtins))
# Method names of the builtin types and of file objects: a receiver of unknown type
# calling one of these is as likely a str, list, dict or stream as a workspace object.
OUTSIDE_METHOD_NAMES = frozenset(
    name
    for kind in (
        *(v for v in vars(builtins).values() if isinstance(v, type)),
        io.TextIOWrapper,
        io.BufferedRandom,
        io.StringIO,
        io.BytesIO,
    )
    for name in dir(kind)
)

# What a scope without imports binds (read, never written).
_NO_BINDINGS: dict[str, Import] = {}

# How many re-export hops (`from .base import Model` in `__init__.py`) to follow.
MAX_REEXPORT_DEPTH = 5
# Above this many same-named definitions a name-only guess is worthless.
MAX_NAME_ONLY_CANDIDATES = 8
MAX_BASE_DEPTH = 10

CONF_EXACT = 1.0
CONF_IMPORT = 0.95
CONF_SELF = 0.9
CONF_INHERITED = 0.85
CONF_STAR = 0.8
CONF_NAME_ONLY = 0.5
CONF_CANDIDATE = 0.3
CONF_OVERRIDE = 0.5
# Each function passed for a parameter: the call runs it when that caller passes it.
CONF_CALLBACK = 0.9
# Overrides linked from one virtual call, at most.
MAX_OVERRIDES = 20
# Generic aliases from `typing` and the builtin types they stand for.
_TYPING_BUILTINS = {
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "DefaultDict": "collections.defaultdict",
    "OrderedDict": "collections.OrderedDict",
    "Deque": "collections.deque",
}


def absolute_module(scope: FileScope, imp: Import) -> str:
    """The absolute module an import statement names (`from ..x import y` -> `pkg.x`)."""
    relative = imp.module.lstrip(".")
    level = len(imp.module) - len(relative)
    if level == 0:
        return imp.module
    package = scope.module if is_package_path(scope.path) else scope.module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    if not relative:
        return package
    return f"{package}.{relative}" if package else relative


def binding_target(scope: FileScope, imp: Import) -> str:
    """The dotted name that the local name bound by `imp` refers to."""
    module = absolute_module(scope, imp)
    if imp.name is None:
        top = module.split(".", 1)[0]
        # `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
        return top if imp.alias == top else module
    return f"{module}.{imp.name}" if module else imp.name


class PythonResolver(SubtypeQueries):
    """Resolves facts against a `WorkspaceModel`. Cheap to create; caches per generation
    (names, accessors) and per shape (bases, subclasses: see
    `WorkspaceModel.shape`)."""

    def __init__(self, model: WorkspaceModel) -> None:
        self.model = model
        self._lookup_cache: dict[str, str | None] = {}
        self._bases_cache: dict[str, list[str]] = {}
        # Each class's method resolution order (`_lookup_order`), per shape as the bases.
        self._orders = LookupOrders()
        self._children: dict[str, list[str]] | None = None
        # What `_children` is kept from, change by change (`KeptSubtypes`), and the log
        # of the model's changes it is brought up to date from (set by the indexer;
        # without it a change of the shape builds the map again).
        self._kept_subtypes: KeptSubtypes | None = None
        self.change_log: ModelChanges | None = None
        # Name -> whether a method of that name anywhere in the workspace is a property
        # accessor or a special method (`_is_accessor_name`), per generation: most
        # `self.x` and `obj[k]` sites reach none.
        self._accessor_cache: dict[str, bool] = {}
        # (class id, attribute) -> the attribute's type, for `a.x.m()`.
        self._attribute_cache: dict[tuple[str, str], str | None] = {}
        # (class id, method id, name) -> the overrides of a virtual call (`_overrides`),
        # per generation: a full index asks the same few thousand of them at 27,000
        # call sites of Django, each a walk of every subclass.
        self._overrides_cache: dict[tuple[str, str, str], tuple[Target, ...]] = {}
        # (name, methods) -> the definitions a call guessed by name alone may reach
        # (`_name_candidates`), and class id -> whether it is a `Protocol`, per
        # generation: Django's 26,000 unbound calls ask for under 2,000 names, and their
        # candidates for 2,600 classes, 316,000 times.
        self._candidates_cache: dict[tuple[str, bool], list[str]] = {}
        self._protocol_cache: dict[str, bool] = {}
        self._generation = model.generation
        self._shape = model.shape
        # Set while an open file's calls are resolved for reuse at its next save
        # (`resolve/reuse.py`): the reads behind each per-generation cache entry.
        self.recorder: Recorder | None = None

    # -- public -------------------------------------------------------------------

    def resolve_import(self, path: str, imp: Import) -> Target:
        scope = self.model.files[path]
        module = absolute_module(scope, imp)
        wanted = module if imp.name in (None, "*") else binding_target(scope, imp)
        found = self.lookup(wanted)
        if found is not None:
            return Target(found, Resolution.IMPORT, CONF_EXACT)
        return self._missing(wanted)

    def resolve_base(self, path: str, base: BaseClass) -> Target:
        info = self.model.symbols.get(base.class_id)
        scope_id = info.parent if info and info.parent else self.model.files[path].module_id
        target = self._resolve_dotted(path, scope_id, base.expr.split("."))
        if target is not None:
            return target
        return Target(external_id(base.expr), Resolution.UNRESOLVED, 0.0)

    def resolve_call(self, path: str, call: CallSite) -> Target:
        if call.implicit:
            return self._resolve_implicit(path, call)
        receiver = call.receiver
        if receiver is None:
            if call.receiver_type.startswith("fn:"):
                passed = self._callbacks(call.receiver_type[3:].split("|"))
                if passed:
                    return passed
            if call.callee.isidentifier():
                target = self._resolve_dotted(path, call.caller, [call.name])
                if target is not None:
                    return target
                return self._name_only(call.name, path, methods=False)
            return Target(external_id(call.name), Resolution.UNRESOLVED, 0.0)
        if receiver in ("self", "cls"):
            return self._resolve_self(call, include_own=True)
        if receiver == "super()":
            return self._resolve_self(call, include_own=False)
        literal = _literal_type(receiver)
        if literal is not None:
            return Target(external_id(f"builtins.{literal}.{call.name}"), Resolution.BUILTIN, 1.0)
        parts = receiver.split(".")
        # A dotted receiver's head: `self.a` of `self.a.b`, `x` of `x.a.b`.
        head = 2 if parts[0] in ("self", "cls") else 1
        found = None
        if call.receiver_type:
            found = self._type_of(path, call.caller, call.receiver_type, 0)
            if found is not None:
                found = self._follow(found, parts[head:])
        elif head == 2 and all(p.isidentifier() for p in parts):
            # `self.lexer.tokenize()`, `self.ctx.command.m()`: through the attributes
            # and annotated properties of the class and its bases, in any file.
            cls = self._enclosing_class(call.caller)
            found = self._follow(cls, parts[1:]) if cls is not None else None
        if found is not None:
            return self._member_on_type(found, call.name)
        if all(p.isidentifier() for p in parts):
            target = self._resolve_dotted(path, call.caller, [*parts, call.name])
            if target is not None:
                return target
        made = _single_call(receiver)
        if made is not None:
            # `Foo(x).m()`, `make().m()`: the type of what the call returns.
            found = self._type_of(path, call.caller, made + "()", 0)
            if found is not None:
                return self._member_on_type(found, call.name)
        return self._name_only(call.name, path, methods=True)

    # -- calls without call syntax ---------------------------------------------------

    def _resolve_implicit(self, path: str, call: CallSite) -> Target:
        """A property access, a special method run by syntax, or a decorator: resolved
        only through what the code states, never by name; anything that does not reach
        a workspace definition is `unresolved` (and not stored as an edge)."""
        missing = Target(external_id(call.name), Resolution.UNRESOLVED, 0.0)
        if call.implicit == "decorator":
            parts = [*(call.receiver.split(".") if call.receiver else ()), call.name]
            found = self._resolve_dotted(path, call.caller, parts)
            if found is None or found.is_external or found.resolution == Resolution.UNRESOLVED:
                return missing
            kind = self.model.symbols[found.id].kind
            if kind not in (SymbolKind.FUNCTION, SymbolKind.CLASS, SymbolKind.METHOD):
                return missing
            return Target(found.id, Resolution.DECORATOR, found.confidence)
        if not self._is_accessor_name(call.name):
            return missing
        if call.receiver == "self":
            cls = self._enclosing_class(call.caller)
            confidence = CONF_SELF
        elif call.receiver_type:
            cls = self._type_of(path, call.caller, call.receiver_type, 0)
            confidence = CONF_SELF
        else:
            cls = None
        if cls is None or cls.startswith("ext:"):
            return missing
        if call.implicit == "protocol":
            member = self._class_member(cls, call.name, include_own=True)
            if member is None or self.model.symbols[member[0]].kind != SymbolKind.METHOD:
                return missing
            more = self._overrides(cls, member[0], call.name)
            exit_name = _EXITS.get(call.name)
            if exit_name is not None:
                # `with obj` runs `__exit__` too: an edge of the same site.
                leave = self._class_member(cls, exit_name, include_own=True)
                if leave is not None:
                    more = (Target(leave[0], Resolution.PROTOCOL, confidence), *more)
            return Target(member[0], Resolution.PROTOCOL, confidence, more)
        accessor = self._accessor(cls, call.name, setter=call.implicit == "setter")
        if accessor is None:
            return missing
        return Target(accessor, Resolution.PROPERTY, confidence)

    def _follow(self, type_id: str, names: list[str]) -> str | None:
        """The type of `value.a.b` for a value of type `type_id` and names `[a, b]`;
        None where a step is unknown or leaves the workspace."""
        for name in names:
            if type_id.startswith("ext:"):
                return None
            found = self._attribute_type(type_id, name)
            if found is None:
                return None
            type_id = found
        return type_id

    def _attribute_type(self, cls: str, name: str) -> str | None:
        """The type of attribute `name` of instances of `cls`: a property whose getter
        states its return type, or an attribute whose type the class (or its nearest
        base that assigns it) states (`SymInfo.attributes`)."""
        self._check_generation()
        key = (cls, name)
        recorder = self.recorder
        if key in self._attribute_cache:
            if recorder is not None:
                recorder.cached(("attribute", key))
            return self._attribute_cache[key]
        self._attribute_cache[key] = None  # guards against cycles (`self.parent: Node`)
        if recorder is not None:
            recorder.begin(("attribute", key))
        found = None
        getter = self._accessor(cls, name, setter=False)
        if getter is not None:
            info = self.model.symbols[getter]
            _, arrow, returns = info.signature.rpartition(" -> ")
            if arrow and info.parent is not None:
                found = self._type_of(info.path, info.parent, returns, 1)
        else:
            for owner in self._lookup_order(cls):
                stated = self._attributes_of(owner).get(name)
                if stated is not None:
                    # Read in the class's own scope: `self.make()` there is its method.
                    found = self._type_of(self.model.symbols[owner].path, owner, stated, 1)
                    break
        self._attribute_cache[key] = found
        if recorder is not None:
            recorder.end(("attribute", key))
        return found

    def _attributes_of(self, cls: str) -> dict[str, str]:
        info = self.model.symbols[cls]
        if not info.attributes:
            return {}
        return dict(a.split(": ", 1) for a in info.attributes if ": " in a)

    def _lookup_order(self, cls: str) -> tuple[str, ...]:
        """`cls` and its bases in the order Python looks attributes up: the class's
        method resolution order (`resolve/lookup.py`), or breadth first where C3 gives
        none (the bases cannot be merged, or a cycle)."""
        self._check_generation()
        return self._orders.c3(cls, self._bases_of)

    def _is_accessor_name(self, name: str) -> bool:
        """Whether some method named `name` is a property accessor or a special method:
        read from the definitions of that name alone (and kept per generation), so a
        method added anywhere costs nothing until its name is asked for."""
        self._check_generation()
        recorder = self.recorder
        cached = self._accessor_cache.get(name)
        if cached is not None:
            if recorder is not None:
                recorder.cached(("accessor", name))
            return cached
        if recorder is not None:
            recorder.begin(("accessor", name))
        special = name.startswith("__") and name.endswith("__")
        symbols = self.model.symbols
        found = any(
            info.kind == SymbolKind.METHOD
            and (special or any(_is_property(d) or d.endswith(".setter") for d in info.decorators))
            for sid in self.model.by_name.get(name, ())
            if (info := symbols.get(sid)) is not None
        )
        self._accessor_cache[name] = found
        if recorder is not None:
            recorder.end(("accessor", name))
        return found

    def _accessor(self, cls: str, name: str, setter: bool) -> str | None:
        """The getter (`@property`, `@cached_property`) or setter (`@name.setter`) of
        the property `name` on `cls` or its nearest base that defines `name`."""
        found = self._nearest_definitions(cls, name, include_own=True)
        for sid in found[0] if found is not None else ():
            decorators = self.model.symbols[sid].decorators
            if setter and f"{name}.setter" in decorators:
                return sid
            if not setter and any(_is_property(d) for d in decorators):
                return sid
        return None

    # -- typed resolution -----------------------------------------------------------

    def _type_of(self, path: str, scope_id: str, stated: str, depth: int) -> str | None:
        """The type a receiver has, from what the code states (`receiver_type`): a class
        id, or an `ext:` id for a type outside the workspace (builtins included)."""
        if depth > 3:
            return None
        stated = stated.strip()
        if stated[:1] in ("'", '"') and stated[-1:] == stated[:1]:
            stated = stated[1:-1].strip()
        if stated.startswith("{") and not stated.endswith(("()", "[]")):
            # `{T}.a.b`: an attribute chain on a value of type T.
            inner, _, rest = _split_anchor(stated)
            found = self._type_of(path, scope_id, inner, depth + 1) if rest else None
            return self._follow(found, rest.split(".")) if found is not None else None
        if stated.endswith("[]"):
            return self._element_type(path, scope_id, stated[:-2], depth)
        if stated.endswith("()"):
            return self._returned_type(path, scope_id, stated[:-2], depth)
        alternatives = [a for a in split_outside(stated, "|") if a not in ("None", "")]
        if len(alternatives) != 1:
            return None
        stated = alternatives[0]
        outer, args = _generic(stated)
        if args is not None:
            short = outer.rpartition(".")[2]
            if short == "Optional":
                return self._type_of(path, scope_id, args, depth + 1)
            if short == "Union":
                kept = [a for a in split_outside(args, ",") if a != "None"]
                return self._type_of(path, scope_id, kept[0], depth + 1) if len(kept) == 1 else None
            if short in ("type", "Type"):
                return self._type_of(path, scope_id, args, depth + 1)
            stated = _TYPING_BUILTINS.get(short, outer)
        if stated.rpartition(".")[2] == "Self":
            return self._enclosing_class(scope_id)
        parts = stated.split(".")
        if not all(p.isidentifier() for p in parts):
            return None
        target = self._resolve_dotted(path, scope_id, parts)
        if target is None or target.resolution == Resolution.UNRESOLVED:
            return None
        if target.is_external:
            return target.id
        if self.model.symbols[target.id].kind == SymbolKind.CLASS:
            return target.id
        return None

    def _element_type(self, path: str, scope_id: str, stated: str, depth: int) -> str | None:
        """The type of an element of a value of type `stated` (`for x in items` where
        `items: list[Foo]`, or `for x in self.get_items()` annotated `-> Iterator[Foo]`):
        the first type argument of a container or iterator type."""
        if depth > 3:
            return None
        if stated.endswith("()"):
            found = self._returned_annotation(path, scope_id, stated[:-2])
            if found is None:
                return None
            stated, path, scope_id = found
        element = _element_of(stated.strip().strip("'\""))
        return self._type_of(path, scope_id, element, depth + 1) if element else None

    def _callee(self, path: str, scope_id: str, callee: str, depth: int) -> Target | None:
        """What a called dotted name is, as a stated type names it: `make`, `mod.make`,
        `self.make`, `self.a.make` (through the class's attributes) or `{T}.a.make`
        (through the attributes of a value of the stated type `T`, which extraction
        writes for `x.a.make()` where it knows `x: T`)."""
        if callee.startswith("{"):
            inner, _, rest = _split_anchor(callee)
            found = self._type_of(path, scope_id, inner, depth + 1) if rest else None
            names = rest.split(".")
            if found is None or not all(p.isidentifier() for p in names):
                return None
            found = self._follow(found, names[:-1])
            if found is None:
                return None
            if found.startswith("ext:"):
                return Target(f"{found}.{names[-1]}", Resolution.EXTERNAL, CONF_IMPORT)
            member = self._class_member(found, names[-1], include_own=True)
            return Target(member[0], Resolution.TYPED, CONF_SELF) if member else None
        parts = callee.split(".")
        if not all(p.isidentifier() for p in parts):
            return None
        if parts[0] in ("self", "cls") and len(parts) >= 2:
            cls = self._enclosing_class(scope_id)
            if cls is not None:
                cls = self._follow(cls, parts[1:-1])
            if cls is None or cls.startswith("ext:"):
                return None
            member = self._class_member(cls, parts[-1], include_own=True)
            return Target(member[0], Resolution.SELF, CONF_SELF) if member else None
        target = self._resolve_dotted(path, scope_id, parts)
        if target is None or target.resolution == Resolution.UNRESOLVED:
            return None
        return target

    def _returned_annotation(
        self, path: str, scope_id: str, callee: str
    ) -> tuple[str, str, str] | None:
        """(the return annotation, its file, its scope) of the function `callee` names."""
        target = self._callee(path, scope_id, callee, 0)
        if target is None or target.is_external:
            return None
        info = self.model.symbols[target.id]
        _, arrow, returns = info.signature.rpartition(" -> ")
        if not arrow or info.parent is None or info.kind == SymbolKind.CLASS:
            return None
        return returns, info.path, info.parent

    def _returned_type(self, path: str, scope_id: str, callee: str, depth: int) -> str | None:
        """The type of `callee(...)`: the class it constructs, or the return type its
        definition states."""
        target = self._callee(path, scope_id, callee, depth)
        if target is None:
            return None
        if target.is_external:
            if callee.startswith("{"):
                return None  # a method of an outside type: what it returns is unknown
            # A builtin or an outside class called: its instance (`dict()`, `StringIO()`).
            return target.id
        info = self.model.symbols[target.id]
        if info.kind == SymbolKind.CLASS:
            return target.id
        _, arrow, returns = info.signature.rpartition(" -> ")
        if not arrow or info.parent is None:
            return None
        return self._type_of(info.path, info.parent, returns, depth + 1)

    def _member_on_type(self, type_id: str, name: str) -> Target:
        """`name` looked up on a type: its method (and the overrides in subclasses), or
        a placeholder on an outside type. A `Protocol` says what the value can do, not
        what it is: its members are never what runs, so the name is all there is."""
        if type_id.startswith("ext:"):
            how = (
                Resolution.BUILTIN if type_id.startswith("ext:builtins.") else (Resolution.EXTERNAL)
            )
            return Target(f"{type_id}.{name}", how, CONF_IMPORT)
        if self._is_protocol(type_id):
            return self._name_only(name, self.model.symbols[type_id].path, methods=True)
        member = self._class_member(type_id, name, include_own=True)
        if member is None:
            qualname = self.model.symbols[type_id].qualname
            return Target(external_id(f"{qualname}.{name}"), Resolution.UNRESOLVED, 0.0)
        overrides = self._overrides(type_id, member[0], name)
        return self._dispatch(member[0], Resolution.TYPED, CONF_SELF, overrides)

    def _is_protocol(self, cls: str) -> bool:
        """A class that lists `Protocol` among its bases (PEP 544: a protocol names it
        directly; a class that subclasses one is an implementation). Kept per
        generation, but not while a recorder is set (its reads are noted each time)."""
        if self.recorder is not None:
            return self._protocol_listed(cls)
        self._check_generation()
        found = self._protocol_cache.get(cls)
        if found is None:
            found = self._protocol_cache[cls] = self._protocol_listed(cls)
        return found

    def _protocol_listed(self, cls: str) -> bool:
        info = self.model.symbols.get(cls)
        scope = self.model.files.get(info.path) if info is not None else None
        if scope is None:
            return False
        return any(
            expr.partition("[")[0].strip().rpartition(".")[2] == "Protocol"
            for expr in scope.bases.get(cls, ())
        )

    def _overrides(self, cls: str, method: str, name: str) -> tuple[Target, ...]:
        """Edges to the methods that override `method` in subclasses of `cls`.

        Kept per generation, but not while a recorder is set: a recording resolution
        notes what each call reads, so it walks them again. A kept answer is what the
        walk gives again: it is asked only at the top of a call's resolution (no base
        list is being resolved, so no cycle guard of `_bases_of` is in force) and reads
        the model and the per-shape caches, which hold still within a generation."""
        if self.recorder is not None:
            return self._find_overrides(cls, method, name)
        self._check_generation()
        key = (cls, method, name)
        found = self._overrides_cache.get(key)
        if found is None:
            overridable = self._defined_elsewhere(method, name)
            found = self._find_overrides(cls, method, name) if overridable else ()
            self._overrides_cache[key] = found
        return found

    def _defined_elsewhere(self, method: str, name: str) -> bool:
        """Whether anything named `name` is defined outside `method`'s class. If not, no
        subclass can override it, and every subclass would be walked to find none (on
        Django half of the distinct questions, two thirds of the walking). The classes
        that define `name` are the parents of `by_name[name]` while every member's
        qualified name is its parent's and its own joined (`irregular_members`);
        otherwise, walk."""
        if self.model.irregular_members:
            return True
        symbols = self.model.symbols
        owner = symbols[method].parent
        return any(symbols[sid].parent != owner for sid in self.model.by_name.get(name, ()))

    def _find_overrides(self, cls: str, method: str, name: str) -> tuple[Target, ...]:
        found: list[Target] = []
        overriders: set[str] = set()
        # A subclass that reaches no other definition of `name` through its bases finds
        # `method` or nothing: passed over unasked (on Django, 80,000 subclasses were
        # asked by 3,279 walks, each a walk up through the subclass's bases). Not while
        # recording: each read of the model is noted there, every subclass asked.
        may_differ = None
        if self.recorder is None and not self.model.irregular_members:
            may_differ = self._reaches_other_definition(method, name)
        for sub in subtypes_nearest_first(self._subtypes(), cls):
            if len(found) >= MAX_OVERRIDES:
                break
            if may_differ is not None and not may_differ(sub, 0):
                continue
            # Through the subclass's own bases too: a mixin listed before `cls`
            # (`class URLSafe(Mixin, Serializer)`) overrides it as well.
            member = self._class_member(sub, name, include_own=True)
            if member is not None and member[0] != method and member[0] not in overriders:
                overriders.add(member[0])
                found.append(Target(member[0], Resolution.OVERRIDE, CONF_OVERRIDE))
        return tuple(found)

    def _reaches_other_definition(self, method: str, name: str) -> Callable[[str, int], bool]:
        """A test of whether a class reaches, through its bases at any depth, a class
        that defines `name` other than as `method` without passing `method`'s class
        (True where unsure: a cycle of bases, a very deep one). Only through such a
        class can looking `name` up on a subclass find anything but `method`: the
        lookup goes breadth first, so a definition reached only through `method`'s
        class is farther than it, and `method` is found first. While every member is
        regular (`irregular_members` empty) the classes defining `name` are the parents
        of `by_name[name]` (see `_defined_elsewhere`); `method`'s class is passed
        through only where `method` is what looking `name` up on it finds."""
        symbols = self.model.symbols
        definers = {symbols[sid].parent for sid in self.model.by_name.get(name, ())}
        owner = symbols[method].parent
        known: dict[str, bool] = {}
        if (
            owner is not None
            and owner in definers
            and self._class_member(owner, name, include_own=True) == (method, True)
        ):
            definers.discard(owner)
            known[owner] = False
        bases_of = self._bases_of

        def reaches(cls: str, depth: int) -> bool:
            found = known.get(cls)
            if found is not None:
                return found
            if cls in definers or depth > 4 * MAX_BASE_DEPTH:
                return True
            known[cls] = True  # unsure while its bases are looked at (a cycle)
            found = known[cls] = any(reaches(base, depth + 1) for base in bases_of(cls))
            return found

        return reaches

    def _dispatch(
        self, method: str, how: Resolution, confidence: float, overrides: tuple[Target, ...]
    ) -> Target:
        """A virtual call's edges: `method` as the answer and its `overrides` beside it;
        but where `method` never runs as written (`ABSTRACT`) and overrides of it do,
        those are the answer, each reached the way the call was (one keeps its
        confidence; of several, each runs for some receiver and none is sure), and
        `method` stays an `abstract` edge."""
        if not overrides or ABSTRACT not in self.model.symbols[method].attributes:
            return Target(method, how, confidence, overrides)
        runs = [o for o in overrides if ABSTRACT not in self.model.symbols[o.id].attributes]
        if not runs:
            return Target(method, how, confidence, overrides)
        share = confidence if len(runs) == 1 else CONF_OVERRIDE
        more = (
            *(Target(o.id, how, share) for o in runs[1:]),
            *(o for o in overrides if ABSTRACT in self.model.symbols[o.id].attributes),
            Target(method, Resolution.ABSTRACT, CONF_OVERRIDE),
        )
        return Target(runs[0].id, how, share, more)

    def _supertypes_of(self, type_id: str) -> list[str]:
        self._check_generation()  # an entry point: the bases as of the model now
        return self._bases_of(type_id)

    def _subtypes(self) -> dict[str, list[str]]:
        """Class id -> its direct subclasses in the workspace (brought up to date once a
        shape: see `KeptSubtypes`)."""
        self._check_generation()
        if self._children is not None:
            return self._children
        if self.change_log is None:
            # Nothing to bring it up to date from (a full index's resolvers, which the
            # model outlives by none of its changes): the plain map, cheaper to build.
            self._children = plain_subtypes(self.model, _is_class, self._bases_of)
            return self._children
        model = self.model
        if isinstance(model, RecordingModel):
            # Kept per shape, as the bases are: not a read of the call recording.
            model = model.unrecorded
        self._kept_subtypes = KeptSubtypes.current(
            self._kept_subtypes, model, self.change_log, _class_bases, _is_class
        )
        self._children = self._kept_subtypes.children
        return self._children

    def lookup(self, qualname: str) -> str | None:
        """The id of the workspace definition named `qualname`, following re-exports."""
        self._check_generation()
        recorder = self.recorder
        if qualname in self._lookup_cache:
            if recorder is not None:
                recorder.cached(("lookup", qualname))
            return self._lookup_cache[qualname]
        if recorder is not None:
            recorder.begin(("lookup", qualname))
        found = self._lookup(qualname, 0)
        self._lookup_cache[qualname] = found
        if recorder is not None:
            recorder.end(("lookup", qualname))
        return found

    def forget_generation(self) -> None:
        """Drop what is cached per generation of the model (as a change does)."""
        self._lookup_cache.clear()
        # Attribute types are stated in bodies (`self.x = Foo()`): per change.
        self._attribute_cache.clear()
        self._overrides_cache.clear()
        self._candidates_cache.clear()
        self._protocol_cache.clear()
        self._accessor_cache.clear()

    # -- internals ----------------------------------------------------------------

    def _check_generation(self) -> None:
        if self._generation != self.model.generation:
            self.forget_generation()
            self._generation = self.model.generation
        if self._shape != self.model.shape:
            # Types, bases or imports changed somewhere: what derives from them goes.
            self._bases_cache.clear()
            self._orders.clear()
            self._children = None
            self._shape = self.model.shape

    def _lookup(self, qualname: str, depth: int) -> str | None:
        ids = self.model.by_qualname.get(qualname)
        if ids:
            return self._pick(ids)
        if depth >= MAX_REEXPORT_DEPTH:
            return None
        parts = qualname.split(".")
        # Find the longest prefix that is a workspace module, then follow what that
        # module binds for the next name: `pkg.Model` where pkg/__init__.py has
        # `from .base import Model`.
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            path = self.model.modules.get(module)
            if path is None:
                continue
            scope = self.model.files[path]
            rest = parts[cut + 1 :]
            imp = scope.bindings.get(scope.module_id, _NO_BINDINGS).get(parts[cut])
            if imp is not None:
                target = ".".join([binding_target(scope, imp), *rest])
                if target != qualname:
                    found = self._lookup(target, depth + 1)
                    if found is not None:
                        return found
            # A class defined in the module: look the member up through its bases.
            if rest:
                cls = self.model.by_qualname.get(f"{module}.{parts[cut]}")
                if cls and len(rest) == 1 and self.model.symbols[cls[0]].kind == SymbolKind.CLASS:
                    member = self._class_member(cls[0], rest[0], include_own=True)
                    if member is not None:
                        return member[0]
            for star in scope.stars.get(scope.module_id, ()):
                target = ".".join([absolute_module(scope, star), *parts[cut:]])
                found = self._lookup(target, depth + 1)
                if found is not None:
                    return found
            return None
        return None

    def _pick(self, ids: list[str]) -> str:
        """One definition of a name defined more than once in a scope: the last that is
        not an `@overload` stub (the implementation follows its stubs; of `if/else`
        definitions, the later one)."""
        if len(ids) == 1:
            return ids[0]
        path = self.model.symbols[ids[0]].path
        same = [i for i in ids if self.model.symbols[i].path == path]
        real = [i for i in same if not _is_overload(self.model.symbols[i].decorators)]
        return (real or same)[-1]

    def _missing(self, qualname: str) -> Target:
        """A target outside the workspace (external) or a name it lacks (unresolved)."""
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            if ".".join(parts[:cut]) in self.model.modules:
                return Target(external_id(qualname), Resolution.UNRESOLVED, 0.0)
        return Target(external_id(qualname), Resolution.EXTERNAL, CONF_IMPORT)

    def _scope_chain(self, scope_id: str) -> list[str]:
        """Scopes whose names are visible from `scope_id`, innermost first.

        Class bodies are visible only from the class body itself, never from its
        methods, as in Python.
        """
        symbols = self.model.symbols
        info = symbols.get(scope_id)
        if info is None:
            return []
        chain = [scope_id]
        current = info.parent
        while current is not None:
            info = symbols.get(current)
            if info is None:
                break
            if info.kind != SymbolKind.CLASS:
                chain.append(current)
            current = info.parent
        return chain

    def _resolve_dotted(self, path: str, scope_id: str, parts: list[str]) -> Target | None:
        """Resolve `head.rest...` as seen from `scope_id`; None when `head` is unbound."""
        head, rest = parts[0], parts[1:]
        scope = self.model.files.get(path)
        if scope is None:
            return None
        symbols = self.model.symbols
        by_qualname = self.model.by_qualname
        bindings = scope.bindings
        stars = scope.stars
        for sid in self._scope_chain(scope_id):
            info = symbols[sid]
            local = by_qualname.get(f"{info.qualname}.{head}")
            if local:
                local = [i for i in local if symbols[i].parent == sid]
                if local:
                    kind = (
                        Resolution.SAME_FILE if info.kind == SymbolKind.MODULE else Resolution.LOCAL
                    )
                    return self._member_of(self._pick(local), rest, kind)
            imp = bindings.get(sid, _NO_BINDINGS).get(head)
            if imp is not None:
                qualname = ".".join([binding_target(scope, imp), *rest])
                found = self.lookup(qualname)
                if found is not None:
                    return Target(found, Resolution.IMPORT, CONF_IMPORT)
                return self._missing(qualname)
            for star in stars.get(sid, ()):
                found = self.lookup(".".join([absolute_module(scope, star), head, *rest]))
                if found is not None:
                    return Target(found, Resolution.IMPORT, CONF_STAR)
        if head in BUILTIN_NAMES:
            return Target(external_id(".".join(["builtins", *parts])), Resolution.BUILTIN, 1.0)
        return None

    def _member_of(self, sid: str, rest: list[str], kind: Resolution) -> Target | None:
        if not rest:
            return Target(sid, kind, CONF_EXACT)
        info = self.model.symbols[sid]
        if info.kind == SymbolKind.CLASS and len(rest) == 1:
            member = self._class_member(sid, rest[0], include_own=True)
            if member is not None:
                return Target(member[0], kind, CONF_SELF if member[1] else CONF_INHERITED)
        return Target(external_id(".".join([info.qualname, *rest])), Resolution.UNRESOLVED, 0.0)

    def _enclosing_class(self, scope_id: str) -> str | None:
        current: str | None = scope_id
        while current is not None:
            info = self.model.symbols.get(current)
            if info is None:
                return None
            if info.kind == SymbolKind.CLASS:
                return current
            current = info.parent
        return None

    def _resolve_self(self, call: CallSite, include_own: bool) -> Target:
        cls = self._enclosing_class(call.caller)
        if cls is None:
            return self._name_only(call.name, "", methods=True)
        member = self._class_member(cls, call.name, include_own=include_own)
        if member is not None:
            # Virtual dispatch: a subclass's override may run instead (not for super()).
            more = self._overrides(cls, member[0], call.name) if include_own else ()
            confidence = CONF_SELF if member[1] else CONF_INHERITED
            return self._dispatch(member[0], Resolution.SELF, confidence, more)
        qualname = self.model.symbols[cls].qualname
        return Target(external_id(f"{qualname}.{call.name}"), Resolution.UNRESOLVED, 0.0)

    def _class_member(self, cls: str, name: str, include_own: bool) -> tuple[str, bool] | None:
        """(id, defined on `cls` itself) of `name` on the class or its bases, breadth first."""
        found = self._nearest_definitions(cls, name, include_own)
        if found is None:
            return None
        own, owner = found
        return self._pick(own), owner == cls

    def _nearest_definitions(
        self, cls: str, name: str, include_own: bool
    ) -> tuple[list[str], str] | None:
        """Every definition of `name` in the first class that has one, in `cls`'s
        method resolution order (from `cls`, or after it: `super()`), and that class."""
        symbols = self.model.symbols
        by_qualname = self.model.by_qualname
        order = self._lookup_order(cls)
        for current in order if include_own else order[1:]:
            named = by_qualname.get(f"{symbols[current].qualname}.{name}")
            if named:
                own = [sid for sid in named if symbols[sid].parent == current]
                if own:
                    return own, current
        return None

    def _bases_of(self, cls: str) -> list[str]:
        self._check_generation()
        cached = self._bases_cache.get(cls)
        if cached is not None:
            return cached
        self._bases_cache[cls] = []  # guards against cycles while resolving
        with self._orders.resolving_bases():
            bases = self._resolve_bases(cls)
        self._bases_cache[cls] = bases
        return bases

    def _resolve_bases(self, cls: str) -> list[str]:
        info = self.model.symbols.get(cls)
        bases: list[str] = []
        if info is not None:
            scope = self.model.files.get(info.path)
            exprs = scope.bases.get(cls, []) if scope else []
            for expr in exprs:
                # A generic base (`Serializer[str]`) is the class it subscripts.
                expr = expr.partition("[")[0].strip()
                parent = info.parent or (scope.module_id if scope else "")
                target = self._resolve_dotted(info.path, parent, expr.split("."))
                if (
                    target is not None
                    and not target.is_external
                    and self.model.symbols[target.id].kind == SymbolKind.CLASS
                ):
                    bases.append(target.id)
        return bases

    def _callbacks(self, ids: list[str]) -> Target | None:
        """A parameter called as a function: an edge to each function the file passes
        for it (`CallSite.receiver_type` of `fn:` form). Unlike candidates, each edge
        holds: the site runs every one of them, for one caller or another."""
        known = [sid for sid in ids if sid in self.model.symbols]
        if not known:
            return None
        more = tuple(Target(sid, Resolution.CALLBACK, CONF_CALLBACK) for sid in known[1:])
        return Target(known[0], Resolution.CALLBACK, CONF_CALLBACK, more)

    def _name_candidates(self, name: str, methods: bool) -> list[str]:
        """The methods (or functions and classes) named `name`, but for members of
        protocols: what a call guessed by name alone may reach. Kept per generation;
        while a recorder is set, a computed entry keeps its reads (`Recorder`)."""
        self._check_generation()
        key = (name, methods)
        recorder = self.recorder
        found = self._candidates_cache.get(key)
        if found is not None:
            if recorder is not None:
                recorder.cached(("candidates", key))
            return found
        if recorder is not None:
            recorder.begin(("candidates", key))
        symbols = self.model.symbols
        wanted = (SymbolKind.METHOD,) if methods else (SymbolKind.FUNCTION, SymbolKind.CLASS)
        found = [
            sid
            for sid in self.model.by_name.get(name, ())
            if symbols[sid].kind in wanted
            and not (methods and self._is_protocol(symbols[sid].parent or ""))
        ]
        self._candidates_cache[key] = found
        if recorder is not None:
            recorder.end(("candidates", key))
        return found

    def _is_nested(self, sid: str) -> bool:
        """A function defined inside a function: its name is bound only there, so a
        call elsewhere reaches it only as a value (returned, passed) under that name."""
        parent = self.model.symbols.get(self.model.symbols[sid].parent or "")
        return parent is not None and parent.kind in (SymbolKind.FUNCTION, SymbolKind.METHOD)

    def _name_only(self, name: str, path: str, methods: bool) -> Target:
        """A name with no binding: a plain function name defined once in the workspace
        is `name-only`, unless a function nests it; so is a method name (the
        receiver's type unknown) defined once that no builtin type has; else a
        `candidate` edge to each definition, nearest path first. Dunder names are
        never guessed: their callers are mostly protocols and outside types."""
        candidates = self._name_candidates(name, methods)
        dunder = name.startswith("__") and name.endswith("__")
        if not candidates or len(candidates) > MAX_NAME_ONLY_CANDIDATES or dunder:
            return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
        if (
            len(candidates) == 1
            and (not methods or name not in OUTSIDE_METHOD_NAMES)
            and not self._is_nested(candidates[0])
        ):
            # One definition of the name, and no builtin or standard stream type has a
            # method of that name that the receiver might be.
            return Target(candidates[0], Resolution.NAME_ONLY, CONF_NAME_ONLY)
        # Nearest first: the definition whose file shares the longest directory prefix.
        ranked = sorted(
            candidates, key=lambda sid: -common_path_prefix(self.model.symbols[sid].path, path)
        )
        confidence = round(CONF_CANDIDATE / len(ranked), 3)
        more = tuple(Target(sid, Resolution.CANDIDATE, confidence) for sid in ranked[1:])
        return Target(ranked[0], Resolution.CANDIDATE, confidence, more)


def _literal_type(receiver: str) -> str | None:
    """`str` for `", ".join`, `bytes` for `b"".join`: a literal receiver's type."""
    head = receiver[:3].lower()
    quote = next((i for i, c in enumerate(head) if c in "'\""), None)
    if quote is None or not receiver.endswith(("'", '"')):
        return None
    prefix = head[:quote]
    if not set(prefix) <= set("rbfu"):
        return None
    return "bytes" if "b" in prefix else "str"


def _generic(stated: str) -> tuple[str, str | None]:
    """`Optional[Foo]` -> ("Optional", "Foo"); `Foo` -> ("Foo", None)."""
    if stated.endswith("]") and "[" in stated:
        outer, _, rest = stated.partition("[")
        return outer.strip(), rest[:-1].strip()
    return stated, None


# Containers and iterators whose first type argument is what iterating them yields.
_ITERABLES = frozenset(
    {"list", "List", "set", "Set", "frozenset", "FrozenSet", "tuple", "Tuple", "Sequence",
     "MutableSequence", "Iterable", "Iterator", "Collection", "Generator", "AsyncIterator",
     "AsyncIterable", "AsyncGenerator", "deque", "Deque", "AbstractSet", "MutableSet",
     "KeysView", "dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "DefaultDict",
     "defaultdict"}
)  # fmt: skip


def _element_of(stated: str) -> str:
    """`Foo` for `list[Foo]`, `t.Iterator["Foo"]`, `Optional[Sequence[Foo]]`; "" when
    the type is no container or iterator the code states the element of."""
    for _ in range(3):
        outer, args = _generic(stated)
        if args is None:
            return ""
        short = outer.rpartition(".")[2]
        kept = [a for a in split_outside(args, ",") if a not in ("None", "")]
        if short in ("Optional", "Union"):
            if len(kept) != 1:
                return ""
            stated = kept[0]
            continue
        if short in _ITERABLES and kept:
            return kept[0].strip("'\"")
        return ""
    return ""


def _split_anchor(stated: str) -> tuple[str, str, str]:
    """`{T}.a.m` -> ("T", ".", "a.m"); ("", "", "") when the braces do not close."""
    depth = 0
    for i, char in enumerate(stated):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            rest = stated[i + 1 :]
            if not rest.startswith("."):
                return "", "", ""
            return stated[1:i], ".", rest[1:]
    return "", "", ""


def _single_call(receiver: str) -> str | None:
    """`make` for a receiver that is one call of a dotted name (`make(x)`), else None."""
    head, paren, rest = receiver.partition("(")
    if not paren or not rest.endswith(")") or not all(p.isidentifier() for p in head.split(".")):
        return None
    depth = 1
    for char in rest[:-1]:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return None
    return head


# `with` runs the second after the first; extraction makes one site, of the first.
_EXITS = {"__enter__": "__exit__", "__aenter__": "__aexit__"}


def _is_property(decorator: str) -> bool:
    """`@property`, `@functools.cached_property`, `@x.getter`, and kin."""
    last = decorator.rpartition(".")[2]
    return last in ("property", "cached_property", "getter") or last.endswith("_property")


def _is_overload(decorators: tuple[str, ...]) -> bool:
    return any(d == "overload" or d.endswith(".overload") for d in decorators)


def _is_class(info: SymInfo) -> bool:
    return info.kind == SymbolKind.CLASS


def _class_bases(view: RecordingModel, recorder: Recorder) -> Callable[[str], list[str]]:
    """The bases of a class, resolved by a resolver of their own reading `view`: each
    class's from scratch (another class's bases, read on the way through a member
    looked up through them, are read again and noted with it)."""
    probe = PythonResolver(view)  # type: ignore[arg-type]
    probe.recorder = recorder

    def bases(sid: str) -> list[str]:
        probe._bases_cache.clear()
        return probe._bases_of(sid)

    return bases
