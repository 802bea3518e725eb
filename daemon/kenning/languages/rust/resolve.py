"""Rust name resolution: which definition a call, `use` or trait bound refers to.

Names follow Rust's rules closely enough to be right in the common cases and say so
when they guess:

* a path's first segment is `crate`, `self`, `super`, `Self`, `::krate`, or a name:
  items of the enclosing function bodies and of the module (a `mod` block does not
  see its parent's items), then `use` bindings and glob imports of those scopes,
  then the prelude (`Some`, `Vec`, `drop`: builtin), then a crate of the workspace;
  a path into `std`, `core`, `alloc` or an unknown crate is external;
* `Type::f()` and `Self::f()` look `f` up on the type: methods of `impl` blocks of the
  type's module, then of other modules of the crate (by the impl's type name), then
  default methods of the traits the type implements (`impl Trait for Type` in the
  type's file) and their supertraits;
* `self.m()` goes through the impl's type the same way (resolution `self`); a
  receiver whose type the code states (`x as Foo` from extraction: a parameter, a
  typed or constructed local, a generic parameter by its bound, a field of the impl's
  struct) through that type (resolution `typed`); `self.a.b.m()` through the fields
  the structs state (`SymInfo.attributes`), wherever the struct is declared; a
  prelude type's method (`Vec::push`) is builtin;
* a call that reaches a trait's method through the trait (a `&dyn Trait`, `impl
  Trait` or `T: Trait` receiver, `Trait::m(x)`, `<T as Trait>::m()`, `self.m()` in
  the trait's own default methods) answers with the trait's method and gets an
  `override` edge to each method of an `impl Trait for Type` block of the workspace
  that defines it (at most 8, those nearest the trait's file first): dispatch may
  reach any of them;
* any other `x.m()` is matched by method name alone among workspace methods, except
  names that std's types and traits provide everywhere (`clone`, `len`, `iter`...),
  which stay unresolved. A bare `f()` that nothing binds is a closure or a parameter,
  never guessed.

Every answer is a `Target` with its `Resolution` kind and a confidence.
"""

from __future__ import annotations

import re

from kenning.core.facts import TYPE_KINDS, BaseClass, CallSite, Import, ImportKind, SymbolKind
from kenning.core.graph import Resolution, Target, external_id
from kenning.languages.rust.extract import IMPL_PREFIX
from kenning.resolve.model import (
    FileScope,
    SymInfo,
    WorkspaceModel,
    common_path_prefix,
    guess_by_name,
)

SEP = "::"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PRIMITIVES = _words("bool char str u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64")
# Rust 2021's prelude (std::prelude::rust_2021) and the primitive types: names every
# module sees without a `use`.
PRELUDE = PRIMITIVES | _words(
    """Option Some None Result Ok Err Box Vec String ToString ToOwned Clone Copy Send
    Sync Sized Unpin Drop Fn FnMut FnOnce drop Iterator IntoIterator
    DoubleEndedIterator ExactSizeIterator Extend Default Eq PartialEq Ord
    PartialOrd AsRef AsMut Into From TryFrom TryInto FromIterator"""
)
# Crates that come with the toolchain: paths into them are outside the workspace.
STD_CRATES = frozenset({"std", "core", "alloc", "proc_macro", "test"})
# Methods that std's traits give any type (often by `#[derive]`): when a workspace type
# lacks one, the call is the language's, not an unresolved name.
STD_TRAIT_METHODS = _words(
    """clone clone_from fmt eq ne cmp partial_cmp lt le gt ge hash default from into
    try_from try_into as_ref as_mut borrow borrow_mut deref deref_mut drop
    to_string to_owned"""
)
# Method names that std's types (Option, Result, Vec, str, iterators, maps, I/O)
# provide everywhere: with no stated type for the receiver, a workspace method of that
# name is a poor guess, so the call stays unresolved.
COMMON_STD_METHODS = STD_TRAIT_METHODS | _words(
    """new next into_iter iter iter_mut len is_empty unwrap expect map and_then ok
    err unwrap_or unwrap_or_else unwrap_or_default map_err ok_or ok_or_else
    is_some is_none is_ok is_err push pop insert remove get get_mut contains
    contains_key extend collect filter as_str as_bytes as_slice to_vec write
    write_str write_fmt read flush with_capacity lock send recv take replace split
    join trim starts_with ends_with parse chars bytes lines keys values entry
    or_insert or_insert_with or_default sort sort_by sort_by_key first last rev
    zip enumerate fold any all find position count sum max min skip chain cloned
    copied flat_map for_each as_deref as_ptr capacity clear retain truncate drain
    append reserve poll call filter_map peek set load store fetch_add swap
    as_mut_ptr to_lowercase to_uppercase push_str read_to_string write_all
    into_inner get_ref unwrap_err"""
)

MAX_LOOKUP_DEPTH = 6
# Rust method names repeat across a crate's types (`push_back`, `with_mut`): beyond two
# candidates a guess by name was wrong more often than right on tokio.
MAX_NAME_ONLY_CANDIDATES = 2
MAX_OTHER_IMPLS = 4
MAX_TRAIT_DEPTH = 6

CONF_EXACT = 1.0
CONF_IMPORT = 0.95
CONF_SELF = 0.9
CONF_TYPED = 0.9
CONF_STAR = 0.85
CONF_INHERITED = 0.8  # another module's impl, or a trait's default method
CONF_VARIANT = 0.9  # `Enum::Variant(..)`: the enum, whose variant constructs
CONF_METHOD_NAME_ONLY = 0.3
# An `impl Trait for Type` method that a call through the trait may dispatch to.
CONF_OVERRIDE = 0.5
# Override edges of one call through a trait, at most, as in Java and TypeScript: a
# trait that many types implement dispatches too widely for more edges to help.
MAX_OVERRIDES = 8
# Fields followed from `self` in `self.a.b.m()`, at most.
MAX_FIELD_DEPTH = 4

_MODULE_KINDS = frozenset({SymbolKind.MODULE, SymbolKind.NAMESPACE})
# A declared receiver type as extraction records it: a path (`Foo`, `::a::B`).
_TYPE_PATH = re.compile(r"^(?:::)?\w+(?:::\w+)*$")


def split_path(path: str) -> list[str]:
    """`a::b::C` -> [a, b, C]; `::x::y` -> [::x, y]; generic arguments are dropped."""
    path = re.sub(r"::<.*$|<.*$", "", "".join(path.split()))
    if path.startswith("::"):
        parts = path[2:].split(SEP)
        return ["::" + parts[0], *parts[1:]] if parts[0] else []
    return [p for p in path.split(SEP) if p]


class RustResolver:
    """Resolves Rust facts against a `WorkspaceModel`. Caches per model generation."""

    def __init__(self, model: WorkspaceModel) -> None:
        self.model = model
        self._lookup_cache: dict[str, str | None] = {}
        self._traits_cache: dict[str, list[str]] = {}
        self._globs_cache: dict[str, list[str]] = {}
        self._glob_index_cache: dict[str, tuple[dict[str, str], list[str]]] = {}
        # (trait id, method name) -> the `override` edges of a call through the trait.
        self._override_cache: dict[tuple[str, str], tuple[Target, ...]] = {}
        self._generation = model.generation

    # -- public -------------------------------------------------------------------

    def resolve_import(self, path: str, imp: Import) -> Target:
        scope = self.model.files[path]
        if imp.kind == ImportKind.MODULE and imp.name is None:  # extern crate
            found = self.lookup(imp.module)
            if found is not None:
                return Target(found, Resolution.IMPORT, CONF_EXACT)
            return Target(external_id(imp.module), Resolution.EXTERNAL, CONF_IMPORT)
        parts = split_path(imp.module)
        if imp.kind != ImportKind.WILDCARD and imp.name:
            parts.append(imp.name)
        if not parts:
            return Target(external_id(imp.module), Resolution.UNRESOLVED, 0.0)
        absolute = self._absolute(scope, imp.scope, parts, skip=imp)
        found = self.lookup(SEP.join(absolute))
        if found is not None:
            return Target(found, Resolution.IMPORT, CONF_EXACT)
        return self._missing(absolute)

    def resolve_base(self, path: str, base: BaseClass) -> Target:
        info = self.model.symbols.get(base.class_id)
        scope = self.model.files[path]
        scope_id = info.parent if info and info.parent else scope.module_id
        parts = split_path(base.expr)
        target = self._resolve_path(scope, scope_id, parts) if parts else None
        if target is not None:
            return target
        return Target(external_id(base.expr), Resolution.UNRESOLVED, 0.0)

    def resolve_call(self, path: str, call: CallSite) -> Target:
        target = self._resolve_call(path, call)
        if target.is_external or self._info(target.id).kind not in _MODULE_KINDS:
            return target
        # A call never means a module. `mod split;` beside a `pub use split::split`
        # the index cannot see (inside a `cfg_*!` macro, say) means the function the
        # module is named after.
        module = self._info(target.id)
        function = self.model.by_qualname.get(f"{module.qualname}{SEP}{module.name}")
        if function and self._info(function[0]).kind == SymbolKind.FUNCTION:
            return Target(function[0], target.resolution, target.confidence)
        return Target(external_id(module.qualname), Resolution.UNRESOLVED, 0.0)

    def _resolve_call(self, path: str, call: CallSite) -> Target:
        scope = self.model.files[path]
        receiver = call.receiver
        name = call.name
        if receiver is None:
            # `f()` or `f::<T>()`; anything else (`(a)()`, `v[0]()`) has no name to follow.
            plain = call.callee == name or call.callee.startswith(f"{name}{SEP}<")
            if not plain:
                return Target(external_id(call.callee), Resolution.UNRESOLVED, 0.0)
            target = self._resolve_path(scope, call.caller, [name])
            if target is not None:
                return target
            return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
        declared = call.receiver_type
        typed = declared if declared and _TYPE_PATH.match(declared) else None
        raw = receiver
        method = call.callee[len(raw) :].lstrip().startswith(".")
        if not method:
            # A path: `a::b::f()`, `Type::new()`, `Self::f()`, `<T as Trait>::f()`.
            if raw.startswith("<") and raw.endswith(">"):
                return self._qualified(scope, call, raw[1:-1])
            parts = split_path(raw)
            if parts == ["Self"]:
                return self._self_member(scope, call.caller, name)
            target = self._resolve_path(scope, call.caller, [*parts, name]) if parts else None
            if target is not None:
                # `Trait::m(x)` dispatches on `x`; `Type::m()` does not.
                return self._through_trait(target, parts[-1])
            return Target(external_id(f"{raw}{SEP}{name}"), Resolution.UNRESOLVED, 0.0)
        if raw == "self":
            return self._self_member(scope, call.caller, name)
        if typed:
            target = self._typed(scope, call.caller, typed, name)
            if target is not None:
                return target
        elif raw.startswith("self."):
            target = self._through_fields(scope, call.caller, raw.split(".")[1:], name)
            if target is not None:
                return target
        return self._name_only(name, path, call.caller)

    def lookup(self, qualname: str) -> str | None:
        """The id of the workspace item named `qualname`, following `pub use`."""
        self._check_generation()
        return self._cached(qualname, 0)

    def _cached(self, qualname: str, depth: int) -> str | None:
        # Every step of a re-export chain is cached: crates that glob-re-export many
        # modules into one (`pub use gen_x::*` a thousand times, each module doing
        # `use super::*`) would otherwise walk the same globs again at every depth.
        if qualname in self._lookup_cache:
            return self._lookup_cache[qualname]
        self._lookup_cache[qualname] = None  # guards against `use` cycles
        found = self._lookup(qualname, depth)
        self._lookup_cache[qualname] = found
        return found

    # -- internals: names and paths --------------------------------------------------

    def _check_generation(self) -> None:
        if self._generation != self.model.generation:
            self._lookup_cache.clear()
            self._traits_cache.clear()
            self._globs_cache.clear()
            self._glob_index_cache.clear()
            self._override_cache.clear()
            self._generation = self.model.generation

    def _info(self, sid: str) -> SymInfo:
        return self.model.symbols[sid]

    def _lookup(self, qualname: str, depth: int) -> str | None:
        ids = self.model.by_qualname.get(qualname)
        if ids:
            for sid in ids:
                if self._info(sid).kind not in _MODULE_KINDS:
                    return sid
            # Only a module has this name. A `pub use` of a function of the same name
            # (`mod yield_now; pub use yield_now::yield_now;`) is the value a call
            # means: modules and functions live in different namespaces.
            if depth < MAX_LOOKUP_DEPTH:
                value = self._through_bindings(qualname, depth)
                if value is not None and self._info(value).kind not in _MODULE_KINDS:
                    return value
            return ids[0]
        if depth >= MAX_LOOKUP_DEPTH:
            return None
        return self._through_bindings(qualname, depth)

    def _through_bindings(self, qualname: str, depth: int) -> str | None:
        parts = qualname.split(SEP)
        # The longest prefix that is a module (or a type), then what it binds or holds
        # for the next segment: `pub use`, glob re-exports, or a type's member.
        for cut in range(len(parts) - 1, 0, -1):
            prefix = self.model.by_qualname.get(SEP.join(parts[:cut]))
            if not prefix:
                continue
            info = self._info(prefix[0])
            head, rest = parts[cut], parts[cut + 1 :]
            if info.kind in TYPE_KINDS and not rest:
                member = self._type_member(prefix[0], head)
                return member[0] if member else None
            if info.kind not in _MODULE_KINDS:
                return None
            scope = self.model.files.get(info.path)
            if scope is None:
                return None
            imp = scope.bindings.get(prefix[0], {}).get(head)
            if imp is not None and imp.kind != ImportKind.WILDCARD:
                target = self._import_path(scope, imp)
                if target is not None:
                    joined = SEP.join([*target, *rest])
                    if joined != qualname:
                        found = self._cached(joined, depth + 1)
                        if found is not None:
                            return found
            # Only `pub use m::*` exports what it brings in: a private glob
            # (`use super::*`) serves the module's own code, never a path from outside.
            # (A private named `use` is followed: descendants may import through it.)
            names, nested = self._glob_index(scope, prefix[0])
            direct = names.get(head)
            for module in [direct, *nested] if direct else nested:
                joined = f"{module}{SEP}{SEP.join(parts[cut:])}"
                if joined != qualname:
                    found = self._cached(joined, depth + 1)
                    if found is not None:
                        return found
            return None
        return None

    def _glob_index(self, scope: FileScope, scope_id: str) -> tuple[dict[str, str], list[str]]:
        """What one scope's `pub use m::*` globs export: name -> the glob's module, for
        names the module defines or binds itself, and the modules that re-export
        further globs (looked into one by one). A crate gluing a thousand generated
        modules together (`web-sys`) then costs one dict lookup per name, not a
        thousand."""
        key = f"{scope.path}\0{scope_id}"
        cached = self._glob_index_cache.get(key)
        if cached is not None:
            return cached
        names: dict[str, str] = {}
        nested: list[str] = []
        for module in self._public_globs(scope, scope_id):
            path = self.model.modules.get(module)
            file = self.model.files.get(path) if path is not None else None
            if file is None:  # a `mod` block, or not in the workspace: look it up
                nested.append(module)
                continue
            for sid in file.symbol_ids:
                info = self._info(sid)
                if info.parent == file.module_id:
                    names.setdefault(info.name, module)
            for alias in file.bindings.get(file.module_id, {}):
                names.setdefault(alias, module)
            if any(star.reexport for star in file.stars.get(file.module_id, [])):
                nested.append(module)
        self._glob_index_cache[key] = (names, nested)
        return names, nested

    def _public_globs(self, scope: FileScope, scope_id: str) -> list[str]:
        """Absolute modules of the `pub use m::*` globs in one scope (cached)."""
        key = f"{scope.path}\0{scope_id}"
        cached = self._globs_cache.get(key)
        if cached is None:
            cached = [
                SEP.join(self._absolute(scope, star.scope, split_path(star.module), skip=star))
                for star in scope.stars.get(scope_id, [])
                if star.reexport and split_path(star.module)
            ]
            self._globs_cache[key] = cached
        return cached

    def _import_path(self, scope: FileScope, imp: Import, depth: int = 0) -> list[str] | None:
        """The absolute path an import binds its alias to."""
        if imp.kind == ImportKind.MODULE and imp.name is None:
            return [imp.module]
        parts = split_path(imp.module)
        if imp.name and imp.name != "*":
            parts.append(imp.name)
        return self._absolute(scope, imp.scope, parts, imp, depth) if parts else None

    def _module_of(self, scope_id: str) -> SymInfo | None:
        """The module or `mod` block whose items `scope_id` sees."""
        current: str | None = scope_id
        while current is not None:
            info = self.model.symbols.get(current)
            if info is None:
                return None
            if info.kind in _MODULE_KINDS:
                return info
            current = info.parent
        return None

    def _absolute(
        self,
        scope: FileScope,
        scope_id: str,
        parts: list[str],
        skip: Import | None = None,
        depth: int = 0,
    ) -> list[str]:
        """A path as written in `scope_id`, made absolute (`crate::` -> `<crate>::`)."""
        module = self._module_of(scope_id)
        module_parts = (module.qualname if module else scope.module).split(SEP)
        first, rest = parts[0], parts[1:]
        if first == "crate":
            return [scope.module.split(SEP)[0], *rest]
        if first == "self":
            return [*module_parts, *rest]
        if first == "super":
            up = 1
            while rest and rest[0] == "super":
                up, rest = up + 1, rest[1:]
            return [*module_parts[: max(1, len(module_parts) - up)], *rest]
        if first.startswith("::"):
            return [first[2:], *rest]
        # Edition 2018: a name in scope (a child module, an item, another `use`),
        # else the name of a crate.
        if f"{SEP.join(module_parts)}{SEP}{first}" in self.model.by_qualname:
            return [*module_parts, *parts]
        bound_in = module.id if module else scope.module_id
        imp = scope.bindings.get(bound_in, {}).get(first)
        # `use a::b; use b::c;`: the second path starts at what the first binds; not
        # `use tempfile::tempfile;` at what it binds itself. Compared by value: a full
        # index resolves the imports it decoded again, not the model's objects.
        if (
            imp is not None
            and imp != skip
            and imp.kind != ImportKind.WILDCARD
            and depth < MAX_LOOKUP_DEPTH
        ):
            target = self._import_path(scope, imp, depth + 1)
            if target is not None:
                return [*target, *rest]
        return parts

    def _missing(self, parts: list[str]) -> Target:
        """Outside the workspace (external) or a name a workspace crate lacks."""
        qualname = SEP.join(parts)
        if parts[0] in STD_CRATES or parts[0] not in self.model.modules:
            return Target(external_id(qualname), Resolution.EXTERNAL, CONF_IMPORT)
        return Target(external_id(qualname), Resolution.UNRESOLVED, 0.0)

    def _scope_chain(self, scope_id: str) -> list[str]:
        """Scopes whose items and `use`s are visible from `scope_id`, innermost first:
        enclosing function bodies, up to and including the module or `mod` block."""
        chain: list[str] = []
        current: str | None = scope_id
        while current is not None:
            info = self.model.symbols.get(current)
            if info is None:
                break
            if info.kind not in TYPE_KINDS:  # a type's body is no scope for names
                chain.append(current)
            if info.kind in _MODULE_KINDS:
                break
            current = info.parent
        return chain

    def _resolve_path(self, scope: FileScope, scope_id: str, parts: list[str]) -> Target | None:
        """Resolve `head::rest...` as seen from `scope_id`; None when `head` is unbound."""
        head, rest = parts[0], parts[1:]
        if head in ("crate", "self", "super") or head.startswith("::"):
            absolute = self._absolute(scope, scope_id, parts)
            found = self.lookup(SEP.join(absolute))
            if found is not None:
                return self._path_target(scope, found, CONF_EXACT)
            return self._missing(absolute)
        if head == "Self":
            if len(parts) == 2:
                return self._self_member(scope, scope_id, parts[1])
            return None
        for sid in self._scope_chain(scope_id):
            info = self._info(sid)
            for candidate in self.model.by_qualname.get(f"{info.qualname}{SEP}{head}", ()):
                item = self._info(candidate)
                child_module = item.kind == SymbolKind.MODULE and info.kind in _MODULE_KINDS
                # A method of an impl inside a function body is no name in scope.
                if (item.parent == sid and item.kind != SymbolKind.METHOD) or child_module:
                    return self._member_of(scope, candidate, rest)
            imp = scope.bindings.get(sid, {}).get(head)
            if imp is not None:
                target = self._import_path(scope, imp)
                if target is None:
                    return None
                absolute = [*target, *rest]
                found_id = self.lookup(SEP.join(absolute))
                if found_id is not None:
                    return Target(found_id, Resolution.IMPORT, CONF_IMPORT)
                if rest and len(rest) == 1:
                    variant = self._variant(SEP.join(target))
                    if variant is not None:
                        return Target(variant, Resolution.IMPORT, CONF_VARIANT)
                return self._missing(absolute)
            for star in scope.stars.get(sid, []):
                module = self._absolute(scope, star.scope, split_path(star.module), skip=star)
                found_id = self.lookup(SEP.join([*module, head, *rest]))
                if found_id is not None:
                    return Target(found_id, Resolution.IMPORT, CONF_STAR)
                outside = self._bound_outside(scope, module, head)
                if outside is not None:
                    return self._missing([*outside, *rest])
        if head in PRELUDE:
            return Target(external_id(SEP.join(parts)), Resolution.BUILTIN, CONF_EXACT)
        if head in STD_CRATES:
            return Target(external_id(SEP.join(parts)), Resolution.EXTERNAL, CONF_IMPORT)
        if rest and head in self.model.modules:  # another crate of the workspace
            found_id = self.lookup(SEP.join(parts))
            if found_id is not None:
                return Target(found_id, Resolution.IMPORT, CONF_IMPORT)
            return self._missing(parts)
        return None

    def _bound_outside(self, scope: FileScope, module: list[str], head: str) -> list[str] | None:
        """What a `use` of a module of this file binds `head` to, where that is outside
        the workspace: `mod tests { use super::*; }` sees the file's `use tempfile::
        tempfile;` (`lookup` follows such a binding only to a workspace item). Only
        within the file, which any change of that `use` saves with it."""
        ids = self.model.by_qualname.get(SEP.join(module), ())
        owner = next((i for i in ids if self._info(i).kind in _MODULE_KINDS), None)
        if owner is None or self._info(owner).path != scope.path:
            return None
        imp = scope.bindings.get(owner, {}).get(head)
        if imp is None or imp.kind == ImportKind.WILDCARD:
            return None
        target = self._import_path(scope, imp)
        if target is None or self.lookup(SEP.join(target)) is not None:
            return None
        return target

    def _path_target(self, scope: FileScope, found: str, confidence: float) -> Target:
        same = self._info(found).path == scope.path
        return Target(found, Resolution.SAME_FILE if same else Resolution.IMPORT, confidence)

    def _member_of(self, scope: FileScope, sid: str, rest: list[str]) -> Target:
        """`rest` looked up inside a definition found in scope (a module, a type)."""
        info = self._info(sid)
        # An item declared inside a function body is local to it.
        parent = self.model.symbols.get(info.parent or "")
        local = parent is not None and parent.kind in (SymbolKind.FUNCTION, SymbolKind.METHOD)
        if not rest:
            if local:
                return Target(sid, Resolution.LOCAL, CONF_EXACT)
            return self._path_target(scope, sid, CONF_EXACT)
        found = self.lookup(SEP.join([info.qualname, *rest]))
        if found is not None:
            return self._path_target(scope, found, CONF_EXACT)
        if info.kind == SymbolKind.ENUM and len(rest) == 1:
            return self._path_target(scope, sid, CONF_VARIANT)
        return Target(external_id(SEP.join([info.qualname, *rest])), Resolution.UNRESOLVED, 0.0)

    def _variant(self, qualname: str) -> str | None:
        found = self.lookup(qualname)
        if found is not None and self._info(found).kind == SymbolKind.ENUM:
            return found
        return None

    def _qualified(self, scope: FileScope, call: CallSite, inner: str) -> Target:
        """`<T as Trait>::f()` is the trait's `f`; `<T>::f()` is `T::f()`."""
        type_path, _, trait_path = inner.partition(" as ")
        parts = split_path(trait_path or type_path)
        target = self._resolve_path(scope, call.caller, [*parts, call.name]) if parts else None
        if target is not None:
            return self._through_trait(target, parts[-1]) if trait_path else target
        return Target(external_id(f"<{inner}>{SEP}{call.name}"), Resolution.UNRESOLVED, 0.0)

    # -- internals: types and their members -------------------------------------------

    def _enclosing_type(self, scope: FileScope, scope_id: str) -> tuple[str, str | None] | None:
        """(qualname, symbol id or None) of the type whose impl or trait holds a method."""
        current: str | None = scope_id
        while current is not None:
            info = self.model.symbols.get(current)
            if info is None:
                return None
            if info.kind == SymbolKind.METHOD:
                type_qual = info.qualname.rpartition(SEP)[0]
                parent = self.model.symbols.get(info.parent or "")
                if parent is not None and parent.kind in TYPE_KINDS:
                    return type_qual, parent.id
                # An impl of a type defined elsewhere: find the type by its name.
                module = self._module_of(current)
                type_name = type_qual.rpartition(SEP)[2]
                target = self._resolve_path(
                    scope, module.id if module else scope.module_id, [type_name]
                )
                if (
                    target is not None
                    and not target.is_external
                    and self._info(target.id).kind in TYPE_KINDS
                ):
                    return type_qual, target.id
                return type_qual, None
            if info.kind in _MODULE_KINDS:
                return None
            current = info.parent
        return None

    def _self_member(self, scope: FileScope, scope_id: str, name: str) -> Target:
        enclosing = self._enclosing_type(scope, scope_id)
        if enclosing is None:
            return Target(external_id(f"Self{SEP}{name}"), Resolution.UNRESOLVED, 0.0)
        type_qual, type_id = enclosing
        own = self.model.by_qualname.get(f"{type_qual}{SEP}{name}")
        if own:
            # In a trait's default method, `self` is any type implementing the trait.
            if type_id is not None and self._info(type_id).kind == SymbolKind.TRAIT:
                more = self._overrides(type_id, name)
                return Target(own[0], Resolution.SELF, CONF_SELF, more)
            return Target(own[0], Resolution.SELF, CONF_SELF)
        if type_id is not None:
            member = self._type_member(type_id, name)
            if member is not None:
                return Target(member[0], Resolution.SELF, member[1])
        if name in STD_TRAIT_METHODS:
            return Target(external_id(f"{type_qual}{SEP}{name}"), Resolution.BUILTIN, CONF_SELF)
        return Target(external_id(f"{type_qual}{SEP}{name}"), Resolution.UNRESOLVED, 0.0)

    def _typed(self, scope: FileScope, caller: str, type_path: str, name: str) -> Target | None:
        """`x.m()` where the code states `x: T`: `m` on `T`. None when `T` is unknown."""
        parts = split_path(type_path)
        if not parts:
            return None
        if parts == ["Self"]:
            target = self._self_member(scope, caller, name)
            if target.resolution == Resolution.SELF:
                return Target(target.id, Resolution.TYPED, target.confidence)
            return target
        if len(parts) == 1 and parts[0] in PRELUDE:
            # A method of a prelude type (`Vec::push`, `str::len`) is the language's.
            return Target(external_id(f"{parts[0]}{SEP}{name}"), Resolution.BUILTIN, CONF_TYPED)
        found = self._resolve_path(scope, caller, parts)
        if found is None:
            return None
        if found.is_external:
            if found.resolution in (Resolution.EXTERNAL, Resolution.BUILTIN):
                return Target(
                    external_id(f"{found.id[4:]}{SEP}{name}"), found.resolution, found.confidence
                )
            return None
        info = self._info(found.id)
        if info.kind not in TYPE_KINDS:
            return None
        member = self._type_member(found.id, name)
        if member is not None:
            confidence = CONF_TYPED if member[1] == CONF_EXACT else member[1]
            more: tuple[Target, ...] = ()
            if info.kind == SymbolKind.TRAIT:  # a trait object or a generic bound
                declaring = self._info(member[0]).parent
                if declaring is not None:
                    more = self._overrides(declaring, name)
            return Target(member[0], Resolution.TYPED, confidence, more)
        if name in STD_TRAIT_METHODS:
            return Target(external_id(f"{info.qualname}{SEP}{name}"), Resolution.BUILTIN, 0.8)
        return Target(external_id(f"{info.qualname}{SEP}{name}"), Resolution.UNRESOLVED, 0.0)

    def _type_member(self, type_id: str, name: str) -> tuple[str, float] | None:
        """(id, confidence) of `name` on a type: its own impls, then other modules'
        impls of a type of that name in the crate, then its traits' default methods."""
        info = self._info(type_id)
        own = self.model.by_qualname.get(f"{info.qualname}{SEP}{name}")
        if own:
            return own[0], CONF_EXACT
        crate = info.qualname.split(SEP)[0] + SEP
        others = [
            sid
            for sid in self.model.by_name.get(name, ())
            if (other := self._info(sid)).kind == SymbolKind.METHOD
            and other.qualname.startswith(crate)
            and other.qualname.split(SEP)[-2] == info.name
        ]
        if others and len(others) <= MAX_OTHER_IMPLS:
            adopted = [sid for sid in others if self._info(sid).parent == type_id]
            return (adopted or others)[0], round(CONF_INHERITED / len(others), 3)
        seen = {type_id}
        queue = list(self._traits_of(type_id))
        for _ in range(MAX_TRAIT_DEPTH):
            next_queue: list[str] = []
            for trait in queue:
                if trait in seen:
                    continue
                seen.add(trait)
                method = self.model.by_qualname.get(f"{self._info(trait).qualname}{SEP}{name}")
                if method:
                    return method[0], CONF_INHERITED
                next_queue.extend(self._traits_of(trait))
            if not next_queue:
                break
            queue = next_queue
        return None

    def _traits_of(self, type_id: str) -> list[str]:
        """Workspace traits a type implements (or a trait's supertraits)."""
        self._check_generation()
        cached = self._traits_cache.get(type_id)
        if cached is not None:
            return cached
        self._traits_cache[type_id] = []
        info = self._info(type_id)
        scope = self.model.files.get(info.path)
        traits: list[str] = []
        if scope is not None:
            for expr in scope.bases.get(type_id, []):
                parts = split_path(expr)
                parent = info.parent or scope.module_id
                target = self._resolve_path(scope, parent, parts) if parts else None
                if (
                    target is not None
                    and not target.is_external
                    and self._info(target.id).kind == SymbolKind.TRAIT
                ):
                    traits.append(target.id)
        self._traits_cache[type_id] = traits
        return traits

    # -- internals: fields and traits -----------------------------------------------

    def _through_fields(
        self, scope: FileScope, caller: str, fields: list[str], name: str
    ) -> Target | None:
        """`self.a.b.m()`: each field's type as its struct states it (`a: Foo` in the
        struct's attributes, read in the struct's scope), then `m` on the last one.
        None where a step has no stated type in the workspace."""
        if not fields or len(fields) > MAX_FIELD_DEPTH:
            return None
        enclosing = self._enclosing_type(scope, caller)
        owner = enclosing[1] if enclosing is not None else None
        for index, field in enumerate(fields):
            if owner is None or not field.isidentifier():
                return None
            info = self._info(owner)
            declared = _field_type(info, field)
            owner_scope = self.model.files.get(info.path)
            if declared is None or owner_scope is None:
                return None
            scope_id = info.parent or owner_scope.module_id
            if index == len(fields) - 1:
                return self._typed(owner_scope, scope_id, declared, name)
            parts = split_path(declared)
            found = self._resolve_path(owner_scope, scope_id, parts) if parts else None
            if found is None or found.is_external or self._info(found.id).kind not in TYPE_KINDS:
                return None
            owner = found.id
        return None

    def _through_trait(self, target: Target, written: str) -> Target:
        """A path call `Trait::m()` that reached the trait's own method (`written` is the
        path segment before `m`) with its `override` edges; any other as it is."""
        if target.is_external or target.more:
            return target
        parent = self.model.symbols.get(self._info(target.id).parent or "")
        if parent is None or parent.kind != SymbolKind.TRAIT or parent.name != written:
            return target
        more = self._overrides(parent.id, self._info(target.id).name)
        return Target(target.id, target.resolution, target.confidence, more) if more else target

    def _overrides(self, trait_id: str, name: str) -> tuple[Target, ...]:
        """`override` edges to the methods `name` of `impl Trait for Type` blocks in the
        workspace (the trait each states in its attributes, resolved where the impl
        is), nearest the trait's file first, at most `MAX_OVERRIDES`."""
        self._check_generation()
        key = (trait_id, name)
        cached = self._override_cache.get(key)
        if cached is not None:
            return cached
        self._override_cache[key] = ()  # guards against re-entry while resolving
        trait = self._info(trait_id)
        found: list[SymInfo] = []
        for sid in self.model.by_name.get(name, ()):
            info = self._info(sid)
            implemented = _implemented_trait(info)
            if info.kind != SymbolKind.METHOD or implemented is None:
                continue
            # A quick filter before resolving: the impl names the trait by its name.
            if split_path(implemented)[-1:] != [trait.name]:
                continue
            scope = self.model.files.get(info.path)
            module = self._module_of(sid)
            if scope is None:
                continue
            scope_id = module.id if module is not None else scope.module_id
            target = self._resolve_path(scope, scope_id, split_path(implemented))
            if target is not None and target.id == trait_id:
                found.append(info)
        found.sort(key=lambda i: -common_path_prefix(i.path, trait.path))
        edges = tuple(
            Target(i.id, Resolution.OVERRIDE, CONF_OVERRIDE) for i in found[:MAX_OVERRIDES]
        )
        self._override_cache[key] = edges
        return edges

    def _in_trait(self, sid: str) -> bool:
        parent = self.model.symbols.get(self._info(sid).parent or "")
        return parent is not None and parent.kind == SymbolKind.TRAIT

    def _name_only(self, name: str, path: str, caller: str) -> Target:
        if name in COMMON_STD_METHODS:
            return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
        # A method calling a method of its own name on something else delegates
        # (`self.inner.flush()` in `flush`): the caller itself is never the guess.
        candidates = [
            sid
            for sid in self.model.by_name.get(name, ())
            if self._info(sid).kind == SymbolKind.METHOD and sid != caller
        ]
        if not candidates or len(candidates) > MAX_NAME_ONLY_CANDIDATES:
            return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
        # Prefer the definition nearest the caller, and a body over a trait's
        # declaration (the call runs the impl).
        # A trait's declaration of the method is not what runs when impls of it exist:
        # a trait method and its one impl are one guess, not two.
        bodies = [sid for sid in candidates if not self._in_trait(sid)]
        return guess_by_name(self.model, bodies or candidates, path, CONF_METHOD_NAME_ONLY)


def _field_type(info: SymInfo, field: str) -> str | None:
    """The type a struct states for its field `field` (`SymInfo.attributes`)."""
    prefix = f"{field}: "
    for attribute in info.attributes:
        if attribute.startswith(prefix):
            return attribute[len(prefix) :]
    return None


def _implemented_trait(info: SymInfo) -> str | None:
    """The trait path a method of an `impl Trait for Type` block states it implements."""
    for attribute in info.attributes:
        if attribute.startswith(IMPL_PREFIX):
            return attribute[len(IMPL_PREFIX) :]
    return None
