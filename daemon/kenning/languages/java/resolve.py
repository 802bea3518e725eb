"""Java name resolution: which definition a call, import or supertype refers to.

Java states most of what resolution needs, and the rules follow the language
(JLS 6.4, 15.12) closely enough to be right in the common cases and say so when they
guess:

* a type name is looked up in the enclosing classes and methods (nested and local
  types, also those inherited from supertypes), then the file's top-level types,
  single-type imports, the file's package, on-demand imports (`a.b.*`, and the
  nested types of `import static a.b.C.*`), and `java.lang`; a dotted name whose head
  is none of these is read as fully qualified (`java.util.List`);
* `m()` goes through the enclosing classes and their supertypes (`self`), then
  static imports; `this.m()` through the class, `super.m()` through its supertypes;
* `Type.m()` through the type and its supertypes; `x.m()` where the code declares
  `Foo x` (parameter, field, local, `var x = new Foo()`; the call's `receiver_type`)
  through `Foo` (`typed`); `f.m()` and `this.f.m()` where `f` is a field a supertype
  declares, in any file, through the field's type as that class states it
  (`SymInfo.attributes`, read in the declaring class);
* `new Foo()` is the constructor `Foo.Foo` when the class declares one, else the
  class; `this(...)` and `super(...)` the class's or its superclass's constructor;
* `java.lang` types the workspace does not define, and `Object`'s methods, are
  `builtin`; types imported from packages the workspace lacks are `external`;
* anything else (`a.b().c()`) is matched by method name alone among at most a
  handful of workspace methods (`name-only`, low confidence), or left unresolved.

Every answer is a `Target` with its `Resolution` kind and a confidence. Overloads are
told apart by the call's arguments (`overloads.py`: their number, then the types the
code states); when several still fit, the call gets a `candidate` edge to each
(confidence divided among them), not a guess presented as the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kenning.core.facts import TYPE_KINDS, BaseClass, CallSite, Import, SymbolKind
from kenning.core.graph import Resolution, Target, external_id
from kenning.languages.java.extract import CHAIN, strip_type_arguments
from kenning.languages.java.overloads import Parameters, arity_fits, choose, parse_parameters
from kenning.resolve.hierarchy import SubtypeQueries
from kenning.resolve.lookup import LookupOrders
from kenning.resolve.model import (
    FileScope,
    WorkspaceModel,
    guess_by_name,
    subtypes_nearest_first,
    subtypes_toward,
    supertypes_nearest_first,
)

# The types of `java.lang` (Java 17), which every file sees without an import.
_JAVA_LANG_NAMES = """
    AbstractMethodError Appendable ArithmeticException ArrayIndexOutOfBoundsException
    ArrayStoreException AssertionError AutoCloseable Boolean BootstrapMethodError Byte
    Character CharSequence Class ClassCastException ClassCircularityError ClassFormatError
    ClassLoader ClassNotFoundException ClassValue Cloneable CloneNotSupportedException
    Comparable Deprecated Double Enum EnumConstantNotPresentException Error Exception
    ExceptionInInitializerError Float FunctionalInterface IllegalAccessError
    IllegalAccessException IllegalArgumentException IllegalCallerException
    IllegalMonitorStateException IllegalStateException IllegalThreadStateException
    IncompatibleClassChangeError IndexOutOfBoundsException InheritableThreadLocal
    InstantiationError InstantiationException Integer InternalError InterruptedException
    Iterable LayerInstantiationException LinkageError Long Math Module ModuleLayer
    NegativeArraySizeException NoClassDefFoundError NoSuchFieldError NoSuchFieldException
    NoSuchMethodError NoSuchMethodException NullPointerException Number
    NumberFormatException Object OutOfMemoryError Override Package Process ProcessBuilder
    ProcessHandle Readable Record ReflectiveOperationException Runnable Runtime
    RuntimeException RuntimePermission SafeVarargs SecurityException SecurityManager Short
    StackOverflowError StackTraceElement StackWalker StrictMath String StringBuffer
    StringBuilder StringIndexOutOfBoundsException SuppressWarnings System Thread
    ThreadDeath ThreadGroup ThreadLocal Throwable TypeNotPresentException
    UnknownError UnsatisfiedLinkError UnsupportedClassVersionError
    UnsupportedOperationException VerifyError VirtualMachineError Void
"""
JAVA_LANG = frozenset(_JAVA_LANG_NAMES.split())
# Methods every object has (`java.lang.Object`), so every class inherits.
OBJECT_METHODS = frozenset(
    {"equals", "hashCode", "toString", "getClass", "clone", "finalize", "notify",
     "notifyAll", "wait"}
)  # fmt: skip
_METHODS = frozenset({SymbolKind.METHOD})
# Above this many same-named definitions a name-only guess is worthless.
MAX_NAME_ONLY_CANDIDATES = 5
MAX_BASE_DEPTH = 10

CONF_EXACT = 1.0
CONF_IMPORT = 0.95
CONF_SELF = 0.9
CONF_INHERITED = 0.85
CONF_STAR = 0.8
# A member that no workspace type has, in a chain with a supertype from outside.
CONF_EXTERNAL_BASE = 0.5
CONF_NAME_ONLY = 0.5
CONF_METHOD_NAME_ONLY = 0.3
# A method overriding (or implementing) the one a virtual call resolved to, in a
# subtype in the workspace: dispatch may reach it.
CONF_OVERRIDE = 0.5
# Overrides linked from one virtual call, at most, nearest subtypes first. A call on a
# type that many classes implement (a collection interface inside the library that
# defines it) dispatches too widely for more edges to tell a reader much, and they
# would outnumber the calls themselves.
MAX_OVERRIDES = 8
# Up to this many definitions of a method's name, its overrides are looked for by
# walking up from the types declaring it rather than down through every subtype.
FEW_DECLARERS = 32


def overload_target(
    picked: list[tuple[str, bool]],
    how: Resolution,
    confidence: float,
    own: bool = False,
    more: tuple[Target, ...] = (),
) -> Target:
    """The edge(s) of a call reaching `picked` methods ((id, declared by the class the
    call goes through)): one is the answer, with `how` and `confidence` (less when
    inherited, unless `own`) and `more` (its overrides) beside it; several are all
    `candidate` edges sharing it."""

    def conf(declared_there: bool) -> float:
        return confidence if own or declared_there else min(confidence, CONF_INHERITED)

    if len(picked) == 1:
        sid, declared_there = picked[0]
        return Target(sid, how, min(conf(declared_there), CONF_SELF if not own else 1.0), more)
    share = [round(conf(d) / len(picked), 3) for _, d in picked]
    others = tuple(
        Target(sid, Resolution.CANDIDATE, c)
        for (sid, _), c in zip(picked[1:], share[1:], strict=True)
    )
    return Target(picked[0][0], Resolution.CANDIDATE, share[0], others)


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A resolved type name: a workspace type (`id`) or one outside it (`id` None)."""

    id: str | None
    qualname: str
    resolution: Resolution
    confidence: float


def package_of(scope: FileScope) -> str:
    """A file's package: its module (`com.example.Foo`) without the file's name."""
    return scope.module.rpartition(".")[0]


class JavaResolver(SubtypeQueries):
    """Resolves Java facts against a `WorkspaceModel`; caches per model generation."""

    def __init__(self, model: WorkspaceModel) -> None:
        self.model = model
        self._generation = -1
        self._packages: dict[str, list[str]] = {}
        self._bases: dict[str, tuple[list[str], list[str]]] = {}
        # Each type's lookup order (`_lookup_order`), per generation as the bases.
        self._orders = LookupOrders()
        self._types: dict[tuple[str, str, str], TypeRef | None] = {}
        # Type id -> its direct subtypes in the workspace, built once per model shape
        # (`WorkspaceModel.shape`: files, types, bases and imports), which edits of
        # methods, their bodies included, leave alone.
        self._children: dict[str, list[str]] | None = None
        self._shape = -1
        # Type id -> the workspace supertypes `_children` was built with.
        self._map_supertypes: dict[str, list[str]] = {}
        # The subtype map it was made from, and type id -> its direct supertypes.
        self._parents: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None
        # (type id, method id) -> its override edges (many calls share one method).
        self._override_cache: dict[tuple[str, str], tuple[Target, ...]] = {}
        # Class id -> its stated fields by name: a static `Foo.m()` asks each class of
        # the caller's hierarchy whether `Foo` is a field, so the lookup must be a dict.
        self._fields: dict[str, dict[str, str]] = {}

    # -- public -------------------------------------------------------------------

    def resolve_import(self, path: str, imp: Import) -> Target:
        self._check_generation()
        if imp.extra == "static":
            owner = self._qualified_type(imp.module)
            if owner is None or owner.id is None:
                return self._outside(imp.module if imp.name == "*" else f"{imp.module}.{imp.name}")
            if imp.name is not None and imp.name != "*":
                member = self._member(owner.id, imp.name, include_own=True, kinds=None)
                if member is not None:
                    return Target(member[0], Resolution.IMPORT, CONF_EXACT)
            # A static field or a whole class's statics: the class is what is imported.
            return Target(owner.id, Resolution.IMPORT, CONF_EXACT if imp.name == "*" else CONF_STAR)
        if imp.name == "*":
            files = self._package_files().get(imp.module)
            if files:
                # A package has no symbol of its own: its first file stands for it.
                return Target(self.model.files[files[0]].module_id, Resolution.IMPORT, CONF_EXACT)
            return self._outside(imp.module)
        qualname = f"{imp.module}.{imp.name}"
        found = self._qualified_type(qualname)
        if found is not None and found.id is not None:
            return Target(found.id, Resolution.IMPORT, CONF_EXACT)
        return self._outside(qualname)

    def resolve_base(self, path: str, base: BaseClass) -> Target:
        self._check_generation()
        info = self.model.symbols.get(base.class_id)
        scope = self.model.files.get(path)
        if scope is None:
            return Target(external_id(base.expr), Resolution.UNRESOLVED, 0.0)
        scope_id = info.parent if info is not None and info.parent else scope.module_id
        found = self.resolve_type(path, scope_id, base.expr)
        if found is not None:
            return Target(
                found.id or external_id(found.qualname), found.resolution, found.confidence
            )
        return self._unknown_type(scope, strip_type_arguments(base.expr))

    def resolve_call(self, path: str, call: CallSite) -> Target:
        self._check_generation()
        scope = self.model.files.get(path)
        if scope is None:
            return Target(external_id(call.name), Resolution.UNRESOLVED, 0.0)
        args = call.arguments
        if call.callee.startswith("new ") and call.receiver is None:
            return self._constructor(scope, call.caller, call.callee[4:], args)
        receiver = call.receiver
        if receiver is None:
            if call.callee in ("this", "super"):
                return self._explicit_constructor(call.caller, call.callee, args)
            return self._unqualified(scope, call.caller, call.name, args)
        if CHAIN in call.receiver_type:
            found = self._chain_type(scope, call.caller, call.receiver_type)
            if found is not None:
                return self._member_target(found, call.name, Resolution.TYPED, True, args)
            if not _field_only(call.receiver_type):
                return self._name_only(call.name, path, _METHODS, CONF_METHOD_NAME_ONLY)
            # No inherited field of that name: a type name (`Foo.m()`), read below.
        elif call.receiver_type:
            return self._typed(scope, call.caller, call.receiver_type, call.name, args)
        if receiver in ("this", "super"):
            return self._on_this(call.caller, call.name, receiver == "this", args)
        head, _, last = receiver.rpartition(".")
        if last in ("this", "super") and head:
            # `Outer.this.m()`, `Iface.super.m()`: through the named type.
            found = self.resolve_type(path, call.caller, head)
            if found is not None:
                return self._member_target(found, call.name, Resolution.SELF, last == "this", args)
        if all(part.isidentifier() for part in receiver.split(".")):
            found = self.resolve_type(path, call.caller, receiver)
            if found is not None:
                return self._member_target(found, call.name, found.resolution, True, args)
        return self._name_only(call.name, path, _METHODS, CONF_METHOD_NAME_ONLY)

    # -- types --------------------------------------------------------------------

    def resolve_type(self, path: str, scope_id: str, text: str) -> TypeRef | None:
        """The type `text` names as seen from the symbol `scope_id` of file `path`."""
        self._check_generation()
        key = (path, scope_id, text)
        if key in self._types:
            return self._types[key]
        self._types[key] = None  # guards against cycles through supertypes
        found = self._resolve_type(path, scope_id, text)
        self._types[key] = found
        return found

    def _resolve_type(self, path: str, scope_id: str, text: str) -> TypeRef | None:
        name = strip_type_arguments(text)
        scope = self.model.files.get(path)
        if not name or scope is None:
            return None
        parts = name.split(".")
        found = self._type_head(scope, scope_id, parts[0])
        if found is not None:
            for part in parts[1:]:
                nested = self._nested(found, part)
                if nested is None:
                    return None
                found = nested
            return found
        if len(parts) > 1:
            return self._qualified_type(name)
        return None

    def _type_head(self, scope: FileScope, scope_id: str, head: str) -> TypeRef | None:
        symbols = self.model.symbols
        current: str | None = scope_id
        while current is not None:
            info = symbols.get(current)
            if info is None:
                break
            if info.kind == SymbolKind.MODULE:
                owner_qualname = package_of(scope)
                owner_qualname = f"{owner_qualname}.{head}" if owner_qualname else head
            else:
                owner_qualname = f"{info.qualname}.{head}"
            for sid in self.model.by_qualname.get(owner_qualname, ()):
                other = symbols[sid]
                if other.parent == current and other.kind in TYPE_KINDS:
                    how = Resolution.LOCAL if info.kind == SymbolKind.METHOD else (
                        Resolution.SAME_FILE)  # fmt: skip
                    return TypeRef(sid, other.qualname, how, CONF_EXACT)
            if info.kind in TYPE_KINDS:
                member = self._member(current, head, include_own=False, kinds=TYPE_KINDS)
                if member is not None:
                    inherited = symbols[member[0]]
                    return TypeRef(member[0], inherited.qualname, Resolution.SAME_FILE, CONF_SELF)
            current = info.parent
        bindings = scope.bindings.get(scope.module_id, {})
        imp = bindings.get(head)
        if imp is not None and imp.extra != "static":
            qualname = f"{imp.module}.{imp.name}"
            found = self._qualified_type(qualname)
            if found is not None and found.id is not None:
                return TypeRef(found.id, found.qualname, Resolution.IMPORT, CONF_IMPORT)
            outside = self._outside(qualname)
            return TypeRef(None, qualname, outside.resolution, outside.confidence)
        package = package_of(scope)
        for sid in self.model.by_qualname.get(f"{package}.{head}" if package else head, ()):
            other = symbols[sid]
            if other.kind in TYPE_KINDS and other.parent == f"{other.path}#":
                return TypeRef(sid, other.qualname, Resolution.SAME_FILE, CONF_EXACT)
        for star in scope.stars.get(scope.module_id, ()):
            found = self._qualified_type(f"{star.module}.{head}")
            if found is not None and found.id is not None:
                return TypeRef(found.id, found.qualname, Resolution.IMPORT, CONF_STAR)
        if head in JAVA_LANG:
            found = self._qualified_type(f"java.lang.{head}")
            if found is not None and found.id is not None:
                return TypeRef(found.id, found.qualname, Resolution.IMPORT, CONF_IMPORT)
            return TypeRef(None, f"java.lang.{head}", Resolution.BUILTIN, CONF_EXACT)
        return None

    def _chain_type(self, scope: FileScope, caller: str, chain: str) -> TypeRef | None:
        """The type a call chain (`Foo->b()->c()`, `this->b()`: see
        `JavaExtraction.chain_type`) yields: each link's method found on the type so
        far (its first declaration: overloads of one name nearly always share a
        return type), and the return type its signature states, read where the method
        is declared. None where a link leaves the workspace or states no class type
        (`void`, a primitive, an array, a type variable)."""
        head, *links = chain.split(CHAIN)
        found: TypeRef | None
        if head == "this" and links and not links[0].endswith("()"):
            # `this->f`: a field of an enclosing class or a supertype, else (a name
            # this file declares nowhere) the type `f` names.
            field = links.pop(0)
            found = self._field_type(caller, field)
            if found is None:
                if not links:
                    return None  # `f.m()`: the caller reads `f` as a type name
                found = self.resolve_type(scope.path, caller, field)
        elif head == "this":
            types = self._enclosing_types(caller)
            found = (
                TypeRef(types[0], self.model.symbols[types[0]].qualname, Resolution.SELF, CONF_SELF)
                if types
                else None
            )
        else:
            found = self.resolve_type(scope.path, caller, head)
        for link in links:
            if found is None or found.id is None:
                return None
            member = self._member(
                found.id, link.removesuffix("()"), include_own=True, kinds=_METHODS
            )
            if member is None:
                return None
            method = self.model.symbols[member[0]]
            returned = return_type(method.signature)
            if returned is None or method.parent is None:
                return None
            found = self.resolve_type(method.path, method.parent, returned)
            if found is not None and found.id is not None:
                kind = self.model.symbols[found.id].kind
                if kind not in TYPE_KINDS:
                    return None
        return found

    def _field_type(self, caller: str, name: str) -> TypeRef | None:
        """The type of field `name` seen from `caller`: declared by an enclosing class or
        one of its supertypes (nearest first), as that class states it, read there."""
        for cls in self._enclosing_types(caller):
            for current in supertypes_nearest_first(cls, self._supertypes, MAX_BASE_DEPTH):
                info = self.model.symbols[current]
                declared = self._fields_of(current, info.attributes).get(name)
                if declared is not None:
                    found = self.resolve_type(info.path, current, declared)
                    if found is not None and found.id is not None:
                        kind = self.model.symbols[found.id].kind
                        if kind not in TYPE_KINDS:
                            return None
                    return found
        return None

    def _supertypes(self, cls: str) -> list[str]:
        """A class's direct supertypes in the workspace."""
        return self._bases_of(cls)[0]

    def _fields_of(self, cls: str, attributes: tuple[str, ...]) -> dict[str, str]:
        """A class's stated fields (`name: Type` attributes) by name (cached)."""
        fields = self._fields.get(cls)
        if fields is None:
            fields = self._fields[cls] = dict(
                attribute.split(": ", 1) for attribute in attributes if ": " in attribute
            )
        return fields

    def _qualified_type(self, qualname: str) -> TypeRef | None:
        """A fully qualified type name: a workspace type, else one from a package the
        workspace lacks (external); None when it should be in the workspace and is not."""
        for sid in self.model.by_qualname.get(qualname, ()):
            if self.model.symbols[sid].kind in TYPE_KINDS:
                return TypeRef(sid, qualname, Resolution.IMPORT, CONF_IMPORT)
        outside = self._outside(qualname)
        if outside.resolution == Resolution.UNRESOLVED:
            return None
        return TypeRef(None, qualname, outside.resolution, outside.confidence)

    def _nested(self, found: TypeRef, part: str) -> TypeRef | None:
        if found.id is None:
            return TypeRef(None, f"{found.qualname}.{part}", found.resolution, found.confidence)
        member = self._member(found.id, part, include_own=True, kinds=TYPE_KINDS)
        if member is None:
            return None
        info = self.model.symbols[member[0]]
        return TypeRef(member[0], info.qualname, found.resolution, found.confidence)

    def _outside(self, qualname: str) -> Target:
        """A name no workspace type has: unresolved when its package is a workspace
        package (it should be there), else external to the workspace."""
        packages = self._package_files()
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            if ".".join(parts[:cut]) in packages:
                return Target(external_id(qualname), Resolution.UNRESOLVED, 0.0)
        if parts[0] == "java" and len(parts) == 3 and parts[1] == "lang":
            return Target(external_id(qualname), Resolution.BUILTIN, CONF_EXACT)
        return Target(external_id(qualname), Resolution.EXTERNAL, CONF_IMPORT)

    def _unknown_type(self, scope: FileScope, name: str) -> Target:
        """A type name nothing in scope declares. With an on-demand import of a package
        from outside the workspace it most likely comes from there (external, without
        knowing which package); otherwise it is unresolved."""
        packages = self._package_files()
        for star in scope.stars.get(scope.module_id, ()):
            if star.extra != "static" and star.module not in packages:
                return Target(external_id(name), Resolution.EXTERNAL, CONF_EXTERNAL_BASE)
        return Target(external_id(name), Resolution.UNRESOLVED, 0.0)

    # -- members ------------------------------------------------------------------

    def _lookup_order(self, cls: str, include_own: bool) -> Sequence[str]:
        """`cls` (with `include_own`) and its supertypes in the order members are
        looked up: superclasses first, then interfaces, each before those it extends."""
        self._check_generation()
        order = self._orders.classes_first(cls, self._supertypes, self.model.symbols)
        return order if include_own else order[1:]

    def _member(
        self, cls: str, name: str, include_own: bool, kinds: frozenset[SymbolKind] | None
    ) -> tuple[str, bool] | None:
        """(id, defined on `cls` itself) of member `name` of `cls` or its supertypes,
        in lookup order (`_lookup_order`); `kinds` None takes any member."""
        symbols = self.model.symbols
        for current in self._lookup_order(cls, include_own):
            qualname = symbols[current].qualname
            for sid in self.model.by_qualname.get(f"{qualname}.{name}", ()):
                info = symbols[sid]
                if info.parent == current and (kinds is None or info.kind in kinds):
                    return sid, current == cls
        return None

    def _methods(self, cls: str, name: str, include_own: bool) -> list[tuple[str, bool]]:
        """Every method `name` of `cls` and its supertypes, in lookup order, each with
        whether `cls` itself declares it: the overloads a call may reach."""
        symbols = self.model.symbols
        out: list[tuple[str, bool]] = []
        for current in self._lookup_order(cls, include_own):
            qualname = symbols[current].qualname
            for sid in self.model.by_qualname.get(f"{qualname}.{name}", ()):
                info = symbols[sid]
                if info.parent == current and info.kind == SymbolKind.METHOD:
                    out.append((sid, current == cls))
        return out

    def _pick_method(
        self, cls: str, name: str, include_own: bool, arguments: str
    ) -> list[tuple[str, bool]]:
        """The method(s) of `cls`'s hierarchy a call `name(arguments)` reaches: the
        nearest declaration when nothing tells overloads apart, else the overloads
        the arguments fit (several when the choice stays open)."""
        first = self._member(cls, name, include_own=include_own, kinds=_METHODS)
        if first is None or not arguments:
            return [first] if first is not None else []
        methods = self._methods(cls, name, include_own)
        if len(methods) <= 1:
            # One method of that name, which the call cannot reach when the number of
            # arguments differs: `getClass()` in a class declaring `getClass(Type)`
            # is `Object`'s.
            return [first] if arity_fits(self.model.symbols[first[0]].signature, arguments) else []
        own = dict(methods)
        signatures = [(sid, self.model.symbols[sid].signature) for sid, _ in methods]
        return [(sid, own[sid]) for sid in choose(signatures, arguments)]

    def _outside_supertype(self, cls: str) -> str | None:
        """The first supertype from outside the workspace in `cls`'s hierarchy."""
        seen = {cls}
        queue = [cls]
        for _ in range(MAX_BASE_DEPTH):
            next_queue: list[str] = []
            for current in queue:
                inside, outside = self._bases_of(current)
                if outside:
                    return outside[0]
                for base in inside:
                    if base not in seen:
                        seen.add(base)
                        next_queue.append(base)
            if not next_queue:
                return None
            queue = next_queue
        return None

    def _bases_of(self, cls: str) -> tuple[list[str], list[str]]:
        """(workspace supertypes, qualnames of supertypes outside the workspace)."""
        cached = self._bases.get(cls)
        if cached is not None:
            return cached
        self._bases[cls] = ([], [])  # guards against cycles while resolving
        with self._orders.resolving_bases():
            found = self._resolve_bases(cls)
        self._bases[cls] = found
        return found

    def _resolve_bases(self, cls: str) -> tuple[list[str], list[str]]:
        info = self.model.symbols.get(cls)
        inside: list[str] = []
        outside: list[str] = []
        scope = self.model.files.get(info.path) if info is not None else None
        if info is not None and scope is not None:
            for expr in scope.bases.get(cls, ()):
                found = self.resolve_type(info.path, info.parent or scope.module_id, expr)
                if found is None:
                    if self._unknown_type(scope, expr).resolution == Resolution.EXTERNAL:
                        outside.append(strip_type_arguments(expr))
                elif found.id is not None and found.id != cls:
                    inside.append(found.id)
                elif found.id is None and found.qualname != "java.lang.Object":
                    outside.append(found.qualname)
        return inside, outside

    def _member_target(
        self, found: TypeRef, name: str, how: Resolution, include_own: bool, arguments: str
    ) -> Target:
        """`Type.name` for a resolved type, reached the way `how` says."""
        if found.id is None:
            if found.qualname == "java.lang.Object" and name not in OBJECT_METHODS:
                # `Object` has no such method: the value's real type is not stated.
                return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
            return Target(
                external_id(f"{found.qualname}.{name}"), found.resolution, found.confidence
            )
        picked = self._pick_method(found.id, name, include_own, arguments)
        if picked:
            more = self._overrides(found.id, picked) if how in _VIRTUAL and include_own else ()
            return overload_target(picked, how, found.confidence, more=more)
        return self._missing_member(found.id, name)

    def _missing_member(self, cls: str, name: str) -> Target:
        """A method no workspace type in `cls`'s hierarchy declares. `Object`'s methods
        are named after `Object`, which declares them, even where a supertype from
        outside might override one."""
        if name in OBJECT_METHODS:
            return Target(external_id(f"java.lang.Object.{name}"), Resolution.BUILTIN, CONF_EXACT)
        outside = self._outside_supertype(cls)
        if outside is not None:
            return Target(external_id(f"{outside}.{name}"), Resolution.EXTERNAL, CONF_EXTERNAL_BASE)
        qualname = self.model.symbols[cls].qualname
        return Target(external_id(f"{qualname}.{name}"), Resolution.UNRESOLVED, 0.0)

    # -- virtual dispatch -----------------------------------------------------------

    def _overrides(self, cls: str, picked: list[tuple[str, bool]]) -> tuple[Target, ...]:
        """`override` edges of a virtual call on a `cls` value that reached one method:
        the methods of `cls`'s subtypes in the workspace (subclasses, implementing
        classes, subinterfaces, at any depth) declaring it with the same parameters.
        None for several `picked` (candidates already) or a constructor."""
        if len(picked) != 1:
            return ()
        key = (cls, picked[0][0])
        cached = self._override_cache.get(key)
        if cached is None:
            cached = self._override_cache[key] = self._find_overrides(cls, picked[0][0])
        return cached

    def _find_overrides(self, cls: str, method_id: str) -> tuple[Target, ...]:
        method = self.model.symbols[method_id]
        if method.kind != SymbolKind.METHOD or method.parent is None:
            return ()
        subtypes = self._subtypes()
        if not subtypes.get(cls):
            return ()  # most classes have no subtypes: nothing to parse
        # Only a type declaring a method of that name can override it: where few do,
        # walk down only toward those below `cls` (the same ones, in the same order, as
        # a walk of every subtype; `Component` in the JDK's sources has thousands, and a
        # save of its file asked about 970 methods, half of them overridden nowhere).
        # A name many types declare (`toString`) is found near `cls`, by the walk.
        named = self.model.by_name.get(method.name, ())
        within: set[str] | None = None
        if len(named) <= FEW_DECLARERS:
            symbols = self.model.symbols
            declarers = {
                info.parent
                for sid in named
                if (info := symbols.get(sid)) is not None
                and info.kind == SymbolKind.METHOD
                and info.parent is not None
                and info.parent != cls
            }
            within = subtypes_toward(self._supertypes_map(), cls, declarers)
            if not within:
                return ()
        params = parse_parameters(method.signature)
        found: list[Target] = []
        for sub in subtypes_nearest_first(subtypes, cls, within):
            if len(found) >= MAX_OVERRIDES:
                break
            qualname = self.model.symbols[sub].qualname
            for sid in self.model.by_qualname.get(f"{qualname}.{method.name}", ()):
                info = self.model.symbols[sid]
                if (
                    sid != method.id
                    and info.parent == sub
                    and info.kind == SymbolKind.METHOD
                    and _same_parameters(params, parse_parameters(info.signature))
                ):
                    found.append(Target(sid, Resolution.OVERRIDE, CONF_OVERRIDE))
                    break
        return tuple(found)

    def _supertypes_map(self) -> dict[str, list[str]]:
        """Type id -> its direct workspace supertypes, as the subtype map says (built
        with it, once per model shape)."""
        children = self._subtypes()
        if self._parents is None or self._parents[0] is not children:
            parents: dict[str, list[str]] = {}
            for base, subs in children.items():
                for sub in subs:
                    parents.setdefault(sub, []).append(base)
            self._parents = (children, parents)
        return self._parents[1]

    def _supertypes_of(self, type_id: str) -> list[str]:
        self._check_generation()  # an entry point: the bases as of the model now
        return self._bases_of(type_id)[0]

    def _subtypes(self) -> dict[str, list[str]]:
        """Type id -> its direct workspace subtypes (built once per model shape).

        A Java file's imports are its own: where the shape changed since by imports
        alone (an import added, the commonest such edit), only the types of those files
        can have other supertypes, and when theirs came out the same the map holds as
        it is (it took 420 ms to build again in the JDK's sources)."""
        self._check_generation()
        if self._children is not None and self._shape != self.model.shape:
            paths = self.model.imports_changed_since(self._shape)
            if paths is not None and self._same_supertypes(paths):
                self._shape = self.model.shape
        if self._children is None or self._shape != self.model.shape:
            children: dict[str, list[str]] = {}
            supertypes: dict[str, list[str]] = {}
            for sid, info in list(self.model.symbols.items()):
                if info.kind in TYPE_KINDS:
                    supertypes[sid] = self._bases_of(sid)[0]
                    for base in supertypes[sid]:
                        children.setdefault(base, []).append(sid)
            for subs in children.values():
                # By id: the overrides picked nearest first up to a cap are then the same
                # whatever order the files came into the model in.
                subs.sort()
            self._children = children
            self._map_supertypes = supertypes
            self._shape = self.model.shape
        return self._children

    def _same_supertypes(self, paths: list[str]) -> bool:
        """Whether every type of these files has the workspace supertypes the subtype
        map was built with."""
        for path in dict.fromkeys(paths):
            scope = self.model.files.get(path)
            if scope is None:
                return False
            for sid in scope.symbol_ids:
                info = self.model.symbols.get(sid)
                if info is None or info.kind not in TYPE_KINDS:
                    continue
                if self._map_supertypes.get(sid) != self._bases_of(sid)[0]:
                    return False
        return True

    # -- calls --------------------------------------------------------------------

    def _enclosing_types(self, scope_id: str) -> list[str]:
        out: list[str] = []
        current: str | None = scope_id
        while current is not None:
            info = self.model.symbols.get(current)
            if info is None:
                break
            if info.kind in TYPE_KINDS:
                out.append(current)
            current = info.parent
        return out

    def _on_this(self, caller: str, name: str, include_own: bool, arguments: str) -> Target:
        types = self._enclosing_types(caller)
        if not types:
            return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
        picked = self._pick_method(types[0], name, include_own, arguments)
        if picked:
            # `this.m()` dispatches on the object's class; `super.m()` does not.
            more = self._overrides(types[0], picked) if include_own else ()
            return overload_target(picked, Resolution.SELF, CONF_SELF, more=more)
        return self._missing_member(types[0], name)

    def _unqualified(self, scope: FileScope, caller: str, name: str, arguments: str) -> Target:
        types = self._enclosing_types(caller)
        for cls in types:
            picked = self._pick_method(cls, name, True, arguments)
            if picked:
                more = self._overrides(cls, picked)
                if cls != types[0]:
                    # An enclosing class's method: never "own" to the innermost class.
                    picked = [(sid, False) for sid, _ in picked]
                return overload_target(picked, Resolution.SELF, CONF_SELF, more=more)
        bindings = scope.bindings.get(scope.module_id, {})
        imp = bindings.get(name)
        if imp is not None and imp.extra == "static":
            owner = self._qualified_type(imp.module)
            if owner is not None and owner.id is not None:
                picked = self._pick_method(owner.id, name, True, arguments)
                if picked:
                    return overload_target(picked, Resolution.IMPORT, CONF_IMPORT, own=True)
            return self._outside(f"{imp.module}.{name}")
        for star in scope.stars.get(scope.module_id, ()):
            if star.extra != "static":
                continue
            owner = self._qualified_type(star.module)
            if owner is not None and owner.id is not None:
                picked = self._pick_method(owner.id, name, True, arguments)
                if picked:
                    return overload_target(picked, Resolution.IMPORT, CONF_STAR, own=True)
        if name in OBJECT_METHODS and types:
            return Target(external_id(f"java.lang.Object.{name}"), Resolution.BUILTIN, CONF_EXACT)
        for cls in types:
            outside = self._outside_supertype(cls)
            if outside is not None:
                return Target(
                    external_id(f"{outside}.{name}"), Resolution.EXTERNAL, CONF_EXTERNAL_BASE
                )
        for star in scope.stars.get(scope.module_id, ()):
            if star.extra == "static" and self._qualified_type(star.module) is not None:
                found = self._qualified_type(star.module)
                if found is not None and found.id is None:
                    return Target(
                        external_id(f"{star.module}.{name}"), Resolution.EXTERNAL, CONF_STAR
                    )
        return self._name_only(name, scope.path, _METHODS, CONF_METHOD_NAME_ONLY)

    def _typed(
        self, scope: FileScope, caller: str, declared: str, name: str, arguments: str
    ) -> Target:
        found = self.resolve_type(scope.path, caller, declared)
        if found is None:
            unknown = self._unknown_type(scope, declared)
            if unknown.resolution == Resolution.EXTERNAL:
                return Target(
                    external_id(f"{declared}.{name}"), unknown.resolution, unknown.confidence
                )
            return self._name_only(name, scope.path, _METHODS, CONF_METHOD_NAME_ONLY)
        return self._member_target(found, name, Resolution.TYPED, True, arguments)

    def _constructor(self, scope: FileScope, caller: str, created: str, arguments: str) -> Target:
        found = self.resolve_type(scope.path, caller, created)
        if found is None:
            unknown = self._unknown_type(scope, strip_type_arguments(created))
            if unknown.resolution == Resolution.EXTERNAL:
                return unknown
            name = strip_type_arguments(created).rpartition(".")[2]
            return self._name_only(name, scope.path, TYPE_KINDS, CONF_NAME_ONLY)
        if found.id is None:
            return Target(external_id(found.qualname), found.resolution, found.confidence)
        picked = self._constructor_of(found.id, arguments)
        return overload_target(picked, found.resolution, found.confidence, own=True)

    def _constructor_of(
        self, cls: str, arguments: str, besides: str | None = None
    ) -> list[tuple[str, bool]]:
        """The class's constructor(s) the arguments fit (the first one when nothing
        tells them apart), or the class itself when it declares none."""
        info = self.model.symbols[cls]
        constructors = [
            (sid, self.model.symbols[sid].signature)
            for sid in self.model.by_qualname.get(f"{info.qualname}.{info.name}", ())
            if sid != besides
            and self.model.symbols[sid].parent == cls
            and self.model.symbols[sid].kind == SymbolKind.METHOD
        ]
        if not constructors:
            return [(cls, True)]
        return [(sid, True) for sid in choose(constructors, arguments)]

    def _explicit_constructor(self, caller: str, which: str, arguments: str) -> Target:
        types = self._enclosing_types(caller)
        if not types:
            return Target(external_id(which), Resolution.UNRESOLVED, 0.0)
        cls = types[0]
        if which == "this":
            picked = self._constructor_of(cls, arguments, besides=caller)
            return overload_target(picked, Resolution.SELF, CONF_SELF)
        inside, outside = self._bases_of(cls)
        for base in inside:
            if self.model.symbols[base].kind == SymbolKind.CLASS:
                picked = self._constructor_of(base, arguments)
                return overload_target(picked, Resolution.SELF, CONF_SELF)
        if outside:
            return Target(external_id(outside[0]), Resolution.EXTERNAL, CONF_EXTERNAL_BASE)
        return Target(external_id("java.lang.Object"), Resolution.BUILTIN, CONF_EXACT)

    def _name_only(
        self, name: str, path: str, kinds: frozenset[SymbolKind], confidence: float
    ) -> Target:
        candidates = [
            sid for sid in self.model.by_name.get(name, ()) if self.model.symbols[sid].kind in kinds
        ]
        if not candidates or len(candidates) > MAX_NAME_ONLY_CANDIDATES:
            return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
        return guess_by_name(self.model, candidates, path, confidence)

    # -- caches -------------------------------------------------------------------

    def _check_generation(self) -> None:
        if self._generation != self.model.generation:
            self._packages.clear()
            self._bases.clear()
            self._orders.clear()
            self._types.clear()
            self._override_cache.clear()
            self._fields.clear()
            self._generation = self.model.generation

    def _package_files(self) -> dict[str, list[str]]:
        """Package -> its files, sorted (built once per model generation)."""
        if not self._packages:
            packages: dict[str, list[str]] = {}
            for path in sorted(self.model.files):
                packages.setdefault(package_of(self.model.files[path]), []).append(path)
            self._packages = packages
        return self._packages


def return_type(signature: str) -> str | None:
    """The class type a method's signature (`<T>(Foo f) -> List<T> throws E`) states
    it returns; None for `void`, primitives, arrays, type variables, constructors."""
    _, arrow, returned = signature.partition(") -> ")
    if not arrow:
        return None
    returned = returned.split(" throws ", 1)[0].strip()
    name = strip_type_arguments(returned)
    if not name or name.endswith("]") or name in _PRIMITIVES or name == "void":
        return None
    if len(name) <= 2 and name.isupper():  # a type variable by convention (`T`, `E2`)
        return None
    return name


_PRIMITIVES = frozenset({"boolean", "byte", "char", "short", "int", "long", "float", "double"})


# Calls that dispatch on the receiver's class at run time (a static `Type.m()` does not).
_VIRTUAL = frozenset({Resolution.TYPED, Resolution.SELF})


def _same_parameters(base: Parameters | None, other: Parameters | None) -> bool:
    """Whether a subtype's method has the parameters of `base`'s, so overrides it: the
    same count and types, where a type variable of the base (`compareTo(T)`) takes any
    type (`compareTo(Money)`). Without parameter lists to compare, the name decides."""
    if base is None or other is None:
        return True
    if len(base.types) != len(other.types) or base.varargs != other.varargs:
        return False
    return all(
        a == b or _type_variable(a.partition("[")[0], base)
        for a, b in zip(base.types, other.types, strict=True)
    )


def _type_variable(name: str, params: Parameters) -> bool:
    """A method's own type variable, or by the naming convention (`T`, `E`, `K2`) one
    of its class's, which the signature does not declare."""
    by_convention = len(name) <= 2 and name[:1].isupper() and name.isupper()
    return name in params.type_variables or by_convention


def _field_only(receiver_type: str) -> bool:
    """Whether a receiver type is `this->f`: a field the file declares nowhere."""
    head, _, rest = receiver_type.partition(CHAIN)
    return head == "this" and bool(rest) and CHAIN not in rest and not rest.endswith("()")
