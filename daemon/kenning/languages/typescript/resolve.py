"""TypeScript and JavaScript name resolution: where a call, import or base points.

The rules, each answer a `Target` with its `Resolution` and a confidence:

* an import specifier is read against paths when relative (`./x` tries `x.ts`,
  `x.tsx`, `x.d.ts`, ..., `x/index.*`; a specifier written with the extension the
  compiler emits names the source that emits it, as TypeScript reads it: `./x.js`
  finds `x.ts`, `x.tsx` or `x.d.ts`, `./x.mjs` `x.mts`, `./x.cjs` `x.cts`, `./x.jsx`
  `x.tsx`, and `./x/index.js` the folder's `index.ts`), and as a module name when
  bare (the layout names files by `paths` aliases, `baseUrl` and workspace package
  names, so `@acme/core` is a module name); a bare specifier that
  names no workspace module is `external`;
* a module's exported name is its own top-level definition, else a binding it
  exports (`export {a as b}`, `export default a`, `module.exports = a`, an
  `export ... from`), else an `export * from`, followed a few hops;
* a plain name is looked up in the enclosing function scopes (class bodies do not
  enclose methods), then the module's definitions and imports, then the runtime's
  globals (`builtin`); failing that, by name alone among functions and classes;
* `this.m()` goes through the enclosing class and its `extends` chain, `super.m()`
  and `super()` through the bases only; `new Foo()` is a call of the class;
* `x.m()` where the code states `x`'s type (`x: Foo`, `private x: Foo`,
  `x = new Foo()`; the call's `receiver_type`, see `extract.py`) goes through that
  type (`typed`); `ns.f()` and `Foo.create()`
  follow the import or definition bound to the head;
* anything else (`obj.m()`) is matched by method name alone among at most a handful
  of methods, never for the built-in prototypes' method names (`map`, `then`), or
  stays unresolved.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence

import msgspec

from kenning.core.facts import TYPE_KINDS, BaseClass, CallSite, Import, ImportKind, SymbolKind
from kenning.core.graph import Resolution, Target, external_id
from kenning.languages.typescript.builtins import GLOBALS, PROTOTYPE_METHODS
from kenning.languages.typescript.extract import MADE_SUFFIX
from kenning.languages.typescript.layout import specifier_module
from kenning.resolve.hierarchy import KeptSubtypes, SubtypeQueries, current_subtypes
from kenning.resolve.lookup import LookupOrders
from kenning.resolve.model import (
    FileScope,
    SymInfo,
    WorkspaceModel,
    guess_by_name,
    subtypes_nearest_first,
)
from kenning.resolve.reuse import ModelChanges, Recorder, RecordingModel

# Extensions tried for a relative specifier, in TypeScript's order of preference.
RESOLVE_EXTENSIONS = (
    ".ts",
    ".tsx",
    ".d.ts",
    ".mts",
    ".cts",
    ".d.mts",
    ".d.cts",
    ".js",
    ".jsx",
    ".mjs",
    ".cjs",
)
# `./x.js` in TypeScript's ESM style names `x.ts`: strip these before trying.
_SCRIPT_EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")
# What a specifier ending in an emitted extension may name, in TypeScript's order
# (`tryAddingExtensions`): the sources that compile to it, their declarations, then
# the file itself. Such a specifier names a file, never a folder: `./x.js` is not
# `x/index.ts` (TypeScript reports it unresolved too).
EMITTED_SOURCES = {
    ".js": (".ts", ".tsx", ".d.ts", ".js", ".jsx"),
    ".jsx": (".tsx", ".d.ts", ".jsx"),
    ".mjs": (".mts", ".d.mts", ".mjs"),
    ".cjs": (".cts", ".d.cts", ".cjs"),
}
MAX_EXPORT_DEPTH = 6
# More same-named methods than this and a name-only guess is worthless.
MAX_NAME_ONLY_CANDIDATES = 5

CONF_EXACT = 1.0
CONF_IMPORT = 0.95
CONF_SELF = 0.9
CONF_TYPED = 0.9
CONF_INHERITED = 0.85
CONF_STAR = 0.8
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

_MEMBER_KINDS = frozenset({*TYPE_KINDS, SymbolKind.NAMESPACE})
_CLASSLIKE = frozenset({SymbolKind.CLASS, SymbolKind.INTERFACE})


def is_relative(specifier: str) -> bool:
    return specifier.startswith(("./", "../")) or specifier in (".", "..")


def return_type(signature: str) -> str | None:
    """The named type a function's signature (`(a: A): Foo<T> | null`) states it
    returns (`Foo`); None for none, or for other shapes (unions, arrays, functions,
    `Promise<Foo>`: what the call returns is then not a `Foo`)."""
    depth = 0
    for index, char in enumerate(signature):
        if char in "(<[{":
            depth += 1
        elif char in ")>]}" and signature[index - 1 : index + 1] != "=>":
            depth -= 1
            if depth == 0 and char == ")":
                rest = signature[index + 1 :].strip()
                break
    else:
        return None
    if not rest.startswith(":"):
        return None
    rest = rest[1:].strip()
    for nullish in (" | null", " | undefined"):
        rest = rest.removesuffix(nullish)
    name = _strip_type_arguments(rest)
    if name == "Promise" or not all(p.replace("$", "_").isidentifier() for p in name.split(".")):
        return None
    return name


def _strip_type_arguments(expr: str) -> str:
    return expr.split("<", 1)[0].strip()


class ScriptResolver(SubtypeQueries):
    """Resolves facts against one language's `WorkspaceModel`; caches per generation."""

    def __init__(self, model: WorkspaceModel) -> None:
        self.model = model
        self._generation = model.generation
        self._files: dict[tuple[str, str], FileScope | None] = {}
        self._bases_cache: dict[str, list[str]] = {}
        # Each type's lookup order (`_lookup_order`), per generation as the bases.
        self._orders = LookupOrders()
        # Type id -> its direct subtypes, for `override` edges (see `_subtypes`).
        self._children: dict[str, list[str]] | None = None
        self._shape = -1
        # What `_children` is kept from, and the log of the model's changes it is brought
        # up to date from (set by the indexer; without it the map is built again).
        self._kept_subtypes: KeptSubtypes | None = None
        self.change_log: ModelChanges | None = None
        # (type id, method id) -> its override edges (many calls share one method).
        self._override_cache: dict[tuple[str, str], tuple[Target, ...]] = {}

    # -- public --------------------------------------------------------------------

    def resolve_import(self, path: str, imp: Import) -> Target:
        self._check_generation()
        scope = self.model.files[path]
        if imp.module == "":
            # `export { a as b }` / `export default a`: a name of this very file.
            found = self._export(scope, imp.name or "", 0, local=True)
            if found is not None:
                return Target(found, Resolution.SAME_FILE, CONF_EXACT)
            return Target(external_id(f"{scope.module}.{imp.name}"), Resolution.UNRESOLVED, 0.0)
        target = self._module_file(path, imp.module)
        if target is None:
            return self._missing(path, imp.module, imp.name)
        if imp.kind != ImportKind.NAME or imp.name is None:
            return Target(target.module_id, Resolution.IMPORT, CONF_EXACT)
        found = self._export(target, imp.name, 0)
        if found is None and imp.name == "default":
            # CommonJS or a module without a default export: the module object.
            return Target(target.module_id, Resolution.IMPORT, CONF_IMPORT)
        if found is None:
            return self._lacking(path, imp.module, target, [imp.name])
        return Target(found, Resolution.IMPORT, CONF_EXACT)

    def resolve_base(self, path: str, base: BaseClass) -> Target:
        self._check_generation()
        info = self.model.symbols.get(base.class_id)
        scope_id = info.parent if info and info.parent else self.model.files[path].module_id
        expr = _strip_type_arguments(base.expr)
        parts = expr.split(".")
        if all(p.isidentifier() for p in parts):
            target = self._resolve_path(path, scope_id, parts)
            if target is not None:
                return target
        return Target(external_id(expr), Resolution.UNRESOLVED, 0.0)

    def resolve_call(self, path: str, call: CallSite) -> Target:
        self._check_generation()
        receiver = call.receiver
        if receiver is None:
            if call.callee == "super":
                return self._resolve_super_constructor(call)
            if call.callee.replace("$", "_").isidentifier():
                target = self._resolve_path(path, call.caller, [call.name])
                if target is not None:
                    return target
                return self._name_only(call.name, path, methods=False)
            return Target(external_id(call.name), Resolution.UNRESOLVED, 0.0)
        if call.receiver_type:
            target = self._resolve_typed(path, call, call.receiver_type)
            if target is not None:
                return target
        if receiver == "this":
            return self._resolve_this(call, include_own=True)
        if receiver == "super":
            return self._resolve_this(call, include_own=False)
        parts = receiver.split(".")
        if all(p.replace("$", "_").isidentifier() for p in parts) and parts[0] != "this":
            target = self._resolve_path(path, call.caller, [*parts, call.name])
            if target is not None:
                return target
        return self._name_only(call.name, path, methods=True)

    # -- modules and exports ---------------------------------------------------------

    def _check_generation(self) -> None:
        if self._generation != self.model.generation:
            self._files.clear()
            self._bases_cache.clear()
            self._orders.clear()
            self._override_cache.clear()
            self._generation = self.model.generation

    def _module_file(self, path: str, specifier: str) -> FileScope | None:
        """The workspace file an import specifier in `path` names, or None."""
        key = (path.rpartition("/")[0], specifier) if is_relative(specifier) else ("", specifier)
        if key in self._files:
            return self._files[key]
        found: FileScope | None = None
        files = self.model.files
        if is_relative(specifier):
            found = self._relative_file(posixpath.normpath(posixpath.join(key[0], specifier)))
        elif not specifier.startswith("/"):
            module_path = self.model.modules.get(specifier)
            if module_path is None:
                for extension in _SCRIPT_EXTENSIONS:
                    if specifier.endswith(extension):
                        module_path = self.model.modules.get(specifier[: -len(extension)])
                        break
            if module_path is not None:
                found = files.get(module_path)
        self._files[key] = found
        return found

    def _relative_file(self, base: str) -> FileScope | None:
        """The file a relative specifier names, `base` being it joined to the importing
        file's folder."""
        files = self.model.files
        stem, dot, extension = base.rpartition(".")
        emitted = EMITTED_SOURCES.get(dot + extension) if "/" not in extension else None
        if emitted is not None:
            # `./x.js`: the source emitted as x.js (x.ts first); in a JavaScript model
            # only x.js itself is there to find.
            for source in emitted:
                found = files.get(stem + source)
                if found is not None:
                    return found
            return None
        if base in files:
            return files[base]  # written with its own extension: `./x.ts`, `./x.d.ts`
        for candidate in (base, f"{base}/index"):
            for source in RESOLVE_EXTENSIONS:
                found = files.get(candidate + source)
                if found is not None:
                    return found
        return None

    def _missing(self, path: str, specifier: str, name: str | None) -> Target:
        """A module outside the workspace (external) or a file it lacks (unresolved)."""
        module = self._placeholder_module(path, specifier) if is_relative(specifier) else specifier
        qualname = f"{module}.{name}" if name and name != "*" else module
        if is_relative(specifier) or specifier.startswith("/"):
            return Target(external_id(qualname), Resolution.UNRESOLVED, 0.0)
        return Target(external_id(qualname), Resolution.EXTERNAL, CONF_IMPORT)

    def _lacking(self, path: str, specifier: str, target: FileScope, parts: list[str]) -> Target:
        """`parts` of a workspace module that it does not export: unresolved, named as
        if the module were missing (`_missing`), so that the placeholder is the same
        whether the file came or went after the import was resolved."""
        module = self._placeholder_module(path, specifier) if is_relative(specifier) else None
        return Target(
            external_id(".".join([module or target.module, *parts])), Resolution.UNRESOLVED, 0.0
        )

    @staticmethod
    def _placeholder_module(path: str, specifier: str) -> str:
        """What unresolved references through a relative specifier are named under: the
        module its path names (`./util.js` in `src/a.ts`: `src/util`), as the file
        would be without configuration. Every spelling of the specifier gives the same
        name, and the indexer finds it among a file's names under its path
        (`LanguageSupport.path_module`) when the file or the name comes."""
        folder = path.rpartition("/")[0]
        return specifier_module(posixpath.normpath(posixpath.join(folder, specifier)))

    def _top_level(self, scope: FileScope, name: str) -> str | None:
        for sid in self.model.by_qualname.get(f"{scope.module}.{name}", ()):
            if self.model.symbols[sid].parent == scope.module_id:
                return sid
        return None

    def _export(self, scope: FileScope, name: str, depth: int, local: bool = False) -> str | None:
        """The id of what module `scope` exports (or, `local`, defines) as `name`."""
        found = self._top_level(scope, name)
        if found is not None or depth >= MAX_EXPORT_DEPTH:
            return found
        binding = self.model_bindings(scope).get(name)
        if binding is not None and not (local and binding.module == "" and binding.name == name):
            followed = self._follow(scope, binding, depth + 1)
            if followed is not None:
                return followed
        for star in scope.stars.get(scope.module_id, ()):
            target = self._module_file(scope.path, star.module)
            if target is not None and target is not scope:
                found = self._export(target, name, depth + 1)
                if found is not None:
                    return found
        return None

    def model_bindings(self, scope: FileScope) -> dict[str, Import]:
        return scope.bindings.get(scope.module_id, {})

    def _follow(self, scope: FileScope, imp: Import, depth: int) -> str | None:
        """The id an import or export binding of `scope` refers to, inside the workspace."""
        if imp.module == "":
            return self._export(scope, imp.name or "", depth, local=True)
        target = self._module_file(scope.path, imp.module)
        if target is None:
            return None
        if imp.kind != ImportKind.NAME or imp.name is None:
            return target.module_id
        return self._export(target, imp.name, depth) or (
            target.module_id if imp.name == "default" else None
        )

    # -- names -------------------------------------------------------------------------

    def _scope_chain(self, scope_id: str) -> list[str]:
        """Scopes whose names are visible from `scope_id`, innermost first (class bodies
        do not enclose their methods)."""
        chain: list[str] = []
        current: str | None = scope_id
        first = True
        while current is not None:
            info = self.model.symbols.get(current)
            if info is None:
                break
            if first or info.kind not in TYPE_KINDS:
                chain.append(current)
            first = False
            current = info.parent
        return chain

    def _resolve_path(self, path: str, scope_id: str, parts: list[str]) -> Target | None:
        """Resolve `head.rest...` as seen from `scope_id`; None when `head` is unbound."""
        head, rest = parts[0], parts[1:]
        scope = self.model.files.get(path)
        if scope is None:
            return None
        for sid in self._scope_chain(scope_id):
            info = self.model.symbols[sid]
            local = [
                i
                for i in self.model.by_qualname.get(f"{info.qualname}.{head}", ())
                if self.model.symbols[i].parent == sid
            ]
            if local:
                kind = Resolution.SAME_FILE if info.kind == SymbolKind.MODULE else Resolution.LOCAL
                return self._member_path(local[0], rest, kind, CONF_EXACT)
            imp = scope.bindings.get(sid, {}).get(head)
            if imp is not None and not imp.reexport:
                return self._through_import(scope, imp, rest)
        if head in GLOBALS:
            return Target(external_id(".".join(parts)), Resolution.BUILTIN, 1.0)
        return None

    def _through_import(self, scope: FileScope, imp: Import, rest: list[str]) -> Target:
        target = self._module_file(scope.path, imp.module)
        if target is None:
            name = imp.name if imp.kind == ImportKind.NAME else None
            return self._missing(scope.path, imp.module, ".".join(p for p in [name, *rest] if p))
        if imp.kind == ImportKind.NAME and imp.name is not None:
            found = self._export(target, imp.name, 0)
            if found is None and imp.name == "default":
                found = target.module_id
            if found is None:
                return self._lacking(scope.path, imp.module, target, [imp.name, *rest])
            return self._member_path(found, rest, Resolution.IMPORT, CONF_IMPORT)
        # A namespace import or a require: `ns.f()`, `ns.Foo.create()`; the module
        # itself when called (`require("./f")()`): its default export.
        if not rest:
            found = self._export(target, "default", 0)
            if found is None:
                return self._lacking(scope.path, imp.module, target, [])
            return Target(found, Resolution.IMPORT, CONF_IMPORT)
        found = self._export(target, rest[0], 0)
        if found is None:
            default = self._export(target, "default", 0)
            if default is not None and self.model.symbols[default].kind in _MEMBER_KINDS:
                return self._member_path(default, rest, Resolution.IMPORT, CONF_IMPORT)
            return self._lacking(scope.path, imp.module, target, rest)
        return self._member_path(found, rest[1:], Resolution.IMPORT, CONF_IMPORT)

    def _member_path(
        self, sid: str, rest: list[str], kind: Resolution, confidence: float
    ) -> Target:
        """`sid` followed by member names: class members through bases, namespace and
        enum members by name."""
        current = sid
        inherited = False
        for name in rest:
            info = self.model.symbols[current]
            if info.kind == SymbolKind.MODULE:
                scope = self.model.files.get(info.path)
                found = self._export(scope, name, 0) if scope is not None else None
            elif info.kind in TYPE_KINDS:
                member = self._class_member(current, name, include_own=True)
                found = member[0] if member else None
                inherited = inherited or bool(member and not member[1])
            elif info.kind == SymbolKind.NAMESPACE:
                found = next(
                    (
                        i
                        for i in self.model.by_qualname.get(f"{info.qualname}.{name}", ())
                        if self.model.symbols[i].parent == current
                    ),
                    None,
                )
            else:
                found = None
            if found is None:
                qualname = ".".join([info.qualname, name])
                return Target(external_id(qualname), Resolution.UNRESOLVED, 0.0)
            current = found
        return Target(current, kind, CONF_INHERITED if inherited else confidence)

    # -- this, super and declared types --------------------------------------------

    def _enclosing_class(self, scope_id: str) -> str | None:
        current: str | None = scope_id
        while current is not None:
            info = self.model.symbols.get(current)
            if info is None:
                return None
            if info.kind in _CLASSLIKE:
                return current
            current = info.parent
        return None

    def _resolve_this(self, call: CallSite, include_own: bool) -> Target:
        cls = self._enclosing_class(call.caller)
        if cls is None:
            return Target(external_id(call.callee), Resolution.UNRESOLVED, 0.0)
        member = self._class_member(cls, call.name, include_own=include_own)
        if member is not None:
            # `this.m()` dispatches on the object's class; `super.m()` does not.
            more = self._overrides(cls, member[0]) if include_own else ()
            confidence = CONF_SELF if member[1] else CONF_INHERITED
            return Target(member[0], Resolution.SELF, confidence, more)
        qualname = self.model.symbols[cls].qualname
        return Target(external_id(f"{qualname}.{call.name}"), Resolution.UNRESOLVED, 0.0)

    def _resolve_super_constructor(self, call: CallSite) -> Target:
        cls = self._enclosing_class(call.caller)
        bases = self._bases_of(cls) if cls is not None else []
        if bases:
            return Target(bases[0], Resolution.SELF, CONF_INHERITED)
        return Target(external_id("super"), Resolution.UNRESOLVED, 0.0)

    def _resolve_typed(self, path: str, call: CallSite, declared: str) -> Target | None:
        """`x.m()` where `x: Foo`: `m` on `Foo` and its bases. Where `x = make()`, the
        type `make`'s declaration states it returns, read in `make`'s file."""
        if declared.endswith(MADE_SUFFIX):
            made = self._resolve_path(path, call.caller, [declared.removesuffix(MADE_SUFFIX)])
            if made is None or made.is_external:
                return None
            info = self.model.symbols[made.id]
            returned = return_type(info.signature) if info.kind == SymbolKind.FUNCTION else None
            if returned is None:
                return None
            path, call = info.path, msgspec.structs.replace(call, caller=info.parent or "")
            declared = returned
        parts = declared.split(".")
        if not all(p.replace("$", "_").isidentifier() for p in parts):
            return None
        found = self._resolve_path(path, call.caller, parts)
        if found is None:
            return None
        if found.resolution in (Resolution.BUILTIN, Resolution.EXTERNAL):
            return Target(
                external_id(f"{found.id.removeprefix('ext:')}.{call.name}"),
                found.resolution,
                found.confidence,
            )
        if found.is_external:
            return None
        info = self.model.symbols[found.id]
        if info.kind not in TYPE_KINDS:
            return None
        member = self._class_member(found.id, call.name, include_own=True)
        if member is None:
            return Target(external_id(f"{info.qualname}.{call.name}"), Resolution.UNRESOLVED, 0.0)
        confidence = CONF_TYPED if member[1] else CONF_INHERITED
        return Target(member[0], Resolution.TYPED, confidence, self._overrides(found.id, member[0]))

    def _overrides(self, cls: str, method: str) -> tuple[Target, ...]:
        """`override` edges of a call on a `cls` value that reached `method`: the
        members of that name that `cls`'s subtypes in the workspace declare (classes
        extending it, classes implementing an interface, at any depth)."""
        cached = self._override_cache.get((cls, method))
        if cached is None:
            cached = self._override_cache[(cls, method)] = self._find_overrides(cls, method)
        return cached

    def _find_overrides(self, cls: str, method: str) -> tuple[Target, ...]:
        name = self.model.symbols[method].name
        found: list[Target] = []
        for sub in subtypes_nearest_first(self._subtypes(), cls):
            if len(found) >= MAX_OVERRIDES:
                break
            qualname = self.model.symbols[sub].qualname
            for sid in self.model.by_qualname.get(f"{qualname}.{name}", ()):
                if sid != method and self.model.symbols[sid].parent == sub:
                    found.append(Target(sid, Resolution.OVERRIDE, CONF_OVERRIDE))
                    break
        return tuple(found)

    def _supertypes_of(self, type_id: str) -> list[str]:
        self._check_generation()  # an entry point: the bases as of the model now
        return self._bases_of(type_id)

    def _subtypes(self) -> dict[str, list[str]]:
        """Type id -> its direct workspace subtypes, built once per model shape
        (`WorkspaceModel.shape`: files, types, bases and imports), which edits of
        methods and function bodies leave alone."""
        self._check_generation()
        if self._children is None or self._shape != self.model.shape:
            # Brought up to date from the logged changes where the log holds them all
            # (`KeptSubtypes`: an import added costs what the types reading its file
            # hold), else built whole.
            self._kept_subtypes, self._children = current_subtypes(
                self._kept_subtypes,
                self.model,
                self.change_log,
                _script_supertypes,
                _is_classlike,
                self._bases_of,
            )
            self._shape = self.model.shape
        return self._children

    def _class_member(self, cls: str, name: str, include_own: bool) -> tuple[str, bool] | None:
        """(id, defined on `cls` itself) of `name` on the type or its bases, in lookup
        order (`_lookup_order`)."""
        symbols = self.model.symbols
        for current in self._lookup_order(cls, include_own):
            qualname = symbols[current].qualname
            for sid in self.model.by_qualname.get(f"{qualname}.{name}", ()):
                if symbols[sid].parent == current:
                    return sid, current == cls
        return None

    def _lookup_order(self, cls: str, include_own: bool) -> Sequence[str]:
        """`cls` (with `include_own`) and its supertypes in the order members are
        looked up: the classes it extends first, then the interfaces and other types,
        each before those it extends."""
        self._check_generation()
        order = self._orders.classes_first(cls, self._bases_of, self.model.symbols)
        return order if include_own else order[1:]

    def _bases_of(self, cls: str) -> list[str]:
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
        scope = self.model.files.get(info.path) if info is not None else None
        if info is not None and scope is not None:
            for expr in scope.bases.get(cls, []):
                parts = _strip_type_arguments(expr).split(".")
                if not all(p.replace("$", "_").isidentifier() for p in parts):
                    continue
                target = self._resolve_path(info.path, info.parent or scope.module_id, parts)
                if (
                    target is not None
                    and not target.is_external
                    and self.model.symbols[target.id].kind in TYPE_KINDS
                ):
                    bases.append(target.id)
        return bases

    # -- by name alone ------------------------------------------------------------------

    def _name_only(self, name: str, path: str, methods: bool) -> Target:
        if methods and name in PROTOTYPE_METHODS:
            return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
        wanted = (SymbolKind.METHOD,) if methods else (SymbolKind.FUNCTION, SymbolKind.CLASS)
        candidates = [
            sid
            for sid in self.model.by_name.get(name, ())
            if self.model.symbols[sid].kind in wanted
        ]
        if not candidates or len(candidates) > MAX_NAME_ONLY_CANDIDATES:
            return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
        base = CONF_METHOD_NAME_ONLY if methods else CONF_NAME_ONLY
        return guess_by_name(self.model, candidates, path, base)


def _is_classlike(info: SymInfo) -> bool:
    return info.kind in _CLASSLIKE


def _script_supertypes(view: RecordingModel, recorder: Recorder) -> Callable[[str], list[str]]:
    """A type's workspace supertypes, resolved by a resolver of their own reading
    `view`, each type's from scratch (`KeptSubtypes`)."""
    probe = ScriptResolver(view)  # type: ignore[arg-type]

    def supertypes(sid: str) -> list[str]:
        probe._files.clear()
        probe._bases_cache.clear()
        return probe._bases_of(sid)

    return supertypes
