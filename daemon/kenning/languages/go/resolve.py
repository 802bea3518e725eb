"""Go name resolution: which definition a call, import or embedding refers to.

Go's scopes are simple and kenning sees all of a package's files, so most answers
are exact:

* a plain name is a definition of the package (any of its files: `same-file`), a
  name from a dot import, or a predeclared function or type (`builtin`); anything
  else is a local function value and stays `unresolved`;
* `pkg.F()` follows the import bound to `pkg` (an alias, or the package's own name)
  to the workspace package with that import path, or to an `external` placeholder;
* `x.M()` where the extraction knows `x`'s type (the call's `receiver_type`, see
  `extract.py`): the method of that type or of the types it embeds, `self` for the
  method's own receiver and `typed` for parameters, variables and fields the code
  declares; `x.f.M()` where `f` is declared in another file or package, or promoted
  from an embedded struct (`T->f`), through the fields the structs state
  (`SymInfo.attributes`) and their embedded structs (`typed`); a field of a type
  outside the workspace is `external`;
* `(*T).M` and `T.M` (method expressions) through the named type;
* any other `x.M()`: by method name alone among the workspace's methods, when only
  a handful have that name (`name-only`, low confidence).

Every answer is a `Target` with its `Resolution` kind and a confidence.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable

from kenning.core.facts import BaseClass, CallSite, Import, SymbolKind
from kenning.core.graph import EXTERNAL_PREFIX, Resolution, Target, external_id
from kenning.languages.go.extract import BUILTIN_FUNCTIONS, FIELD_SEP, read_receiver_type
from kenning.parse.text import closing_bracket, split_outside
from kenning.resolve.hierarchy import KeptSubtypes, SubtypeQueries, current_subtypes
from kenning.resolve.model import (
    FileScope,
    SymInfo,
    WorkspaceModel,
    guess_by_name,
    supertypes_nearest_first,
)
from kenning.resolve.reuse import ModelChanges, Recorder, RecordingModel

# Go's predeclared types (the `builtin` package's documentation).
BUILTIN_TYPES = frozenset(
    [
        "any",
        "bool",
        "byte",
        "comparable",
        "complex64",
        "complex128",
        "error",
        "float32",
        "float64",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "rune",
        "string",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
    ]
)
BUILTIN_PACKAGE = "builtin"
BUILTIN_METHOD = (f"{BUILTIN_PACKAGE}.error", "Error")

# Above this many same-named methods a name-only guess is worthless.
MAX_NAME_ONLY_CANDIDATES = 5
MAX_EMBEDDING_DEPTH = 10

CONF_EXACT = 1.0
CONF_IMPORT = 0.95
CONF_TYPED = 0.9
CONF_PROMOTED = 0.85
CONF_DOT_IMPORT = 0.8
CONF_GUESSED_EXTERNAL = 0.5
CONF_METHOD_NAME_ONLY = 0.3

_TYPE_KINDS = frozenset(
    {SymbolKind.STRUCT, SymbolKind.INTERFACE, SymbolKind.TYPE_ALIAS, SymbolKind.CLASS}
)
_PACKAGE_LEVEL = frozenset({SymbolKind.FUNCTION, SymbolKind.CONSTANT, *_TYPE_KINDS})
_TYPE_ARGUMENTS = re.compile(r"\[.*\]$")
_METHOD_EXPRESSION = re.compile(r"^\(\s*\*?\s*([\w.]+)\s*\)$")


def _base_type(expr: str) -> str:
    """`*pkg.T[int]` -> `pkg.T`: the named type an embedding or receiver refers to."""
    return _TYPE_ARGUMENTS.sub("", expr.strip().lstrip("*").strip())


class GoResolver(SubtypeQueries):
    """Resolves Go facts against the Go `WorkspaceModel`. Caches per model generation."""

    def __init__(self, model: WorkspaceModel) -> None:
        self.model = model
        self._generation = model.generation
        self._bases_cache: dict[str, tuple[list[str], list[str]]] = {}
        self._packages: list[str] | None = None
        # Type id -> the workspace types embedding it directly, per model shape, and
        # what it is kept from (`KeptSubtypes`, brought up to date from the indexer's
        # log of the model's changes): a method new on a type, or an embedding changed,
        # changes what other files' calls find through the types embedding it.
        self._children: dict[str, list[str]] | None = None
        self._shape = -1
        self._kept_subtypes: KeptSubtypes | None = None
        self.change_log: ModelChanges | None = None

    # -- public -------------------------------------------------------------------

    def resolve_import(self, path: str, imp: Import) -> Target:
        found = self._package_file(imp.module)
        if found is not None:
            return Target(f"{found}#", Resolution.IMPORT, CONF_EXACT)
        return self._outside(imp.module)

    def resolve_base(self, path: str, base: BaseClass) -> Target:
        scope = self.model.files.get(path)
        if scope is None:
            return Target(external_id(base.expr), Resolution.UNRESOLVED, 0.0)
        return self._resolve_type(scope, _base_type(base.expr)) or Target(
            external_id(base.expr), Resolution.UNRESOLVED, 0.0
        )

    def resolve_call(self, path: str, call: CallSite) -> Target:
        scope = self.model.files.get(path)
        if scope is None:
            return Target(external_id(call.name), Resolution.UNRESOLVED, 0.0)
        if call.receiver is None:
            return self._resolve_plain(scope, call)
        role, typ = read_receiver_type(call.receiver_type)
        if role is not None:
            if typ is None:  # a value whose type this file does not state
                return self._name_only(call.name, path)
            if role == "result":
                return self._method_of_result(scope, typ, call.name)
            if role == "field":
                return self._through_fields(scope, typ, call.name)
            return self._method_of(scope, typ, call.name, _ROLE.get(role, Resolution.TYPED))
        text = call.receiver
        expression = _METHOD_EXPRESSION.match(text)
        if expression is not None:  # (*T).M, (pkg.T).M
            return self._method_of(scope, expression.group(1), call.name, Resolution.TYPED)
        parts = text.split(".")
        if all(p.isidentifier() for p in parts):
            target = self._resolve_selector(scope, parts, call.name)
            if target is not None:
                return target
        return self._name_only(call.name, path)

    # -- plain names and selectors ------------------------------------------------

    def _resolve_plain(self, scope: FileScope, call: CallSite) -> Target:
        callee = _TYPE_ARGUMENTS.sub("", call.callee)  # Map[int]() calls Map
        if "." in callee:  # pkg.Map[int](): a generic function of another package
            parts = callee.split(".")
            if all(p.isidentifier() for p in parts):
                target = self._resolve_selector(scope, parts[:-1], parts[-1])
                if target is not None:
                    return target
            return Target(external_id(call.name), Resolution.UNRESOLVED, 0.0)
        if callee != call.name or not callee.isidentifier():
            # f()(), fs[i](), func(){}(): the called value is not a definition.
            return Target(external_id(call.name), Resolution.UNRESOLVED, 0.0)
        name = call.name
        found = self._in_package(scope.module, name, scope.path)
        if found is not None:
            return Target(found, Resolution.SAME_FILE, CONF_EXACT)
        for dot in scope.stars.get(scope.module_id, []):
            found = self._in_package(dot.module, name, "")
            if found is not None:
                return Target(found, Resolution.IMPORT, CONF_DOT_IMPORT)
        if name in BUILTIN_FUNCTIONS or name in BUILTIN_TYPES:
            return Target(external_id(f"{BUILTIN_PACKAGE}.{name}"), Resolution.BUILTIN, 1.0)
        dots = scope.stars.get(scope.module_id, [])
        if len(dots) == 1 and self._package_file(dots[0].module) is None:
            # The one dot-imported package outside the workspace is where a name the
            # package lacks most likely comes from (`Expect` with gomega).
            return Target(
                external_id(f"{dots[0].module}.{name}"), Resolution.EXTERNAL, CONF_GUESSED_EXTERNAL
            )
        return Target(external_id(name), Resolution.UNRESOLVED, 0.0)

    def _resolve_selector(self, scope: FileScope, parts: list[str], name: str) -> Target | None:
        """`head.rest....name` where `head` is not a declared value: an imported package
        or a type of this package. None when `head` is neither."""
        head, rest = parts[0], parts[1:]
        package = self._imported_package(scope, head)
        if package is not None:
            qualname = ".".join([package, *rest, name])
            found = self._first(qualname, scope.path)
            if found is not None:
                return Target(found, Resolution.IMPORT, CONF_IMPORT)
            if rest and self._package_file(package) is not None:
                return None  # pkg.Var.M(): a variable of a workspace package
            return self._outside(qualname, package)
        if not rest:
            # T.M(x): a method expression on a type of this package.
            type_id = self._type_in(scope.module, head, scope.path)
            if type_id is not None:
                member = self._member(type_id, name)
                if member is not None:
                    return Target(member[0], Resolution.SAME_FILE, CONF_EXACT)
        return None

    def _method_of(self, scope: FileScope, typ: str, name: str, how: Resolution) -> Target:
        """Method `name` of the named type `typ` as seen from `scope`'s file."""
        target = self._resolve_type(scope, typ)
        if target is None:
            # A type parameter, or a type no file declares.
            return Target(external_id(f"{typ}.{name}"), Resolution.UNRESOLVED, 0.0)
        if target.is_external:
            owner = target.id.removeprefix(EXTERNAL_PREFIX)
            if target.resolution == Resolution.BUILTIN and (owner, name) != BUILTIN_METHOD:
                # Of the predeclared types only `error` has a method.
                return Target(external_id(f"{owner}.{name}"), Resolution.UNRESOLVED, 0.0)
            if target.resolution == Resolution.UNRESOLVED:
                return Target(external_id(f"{owner}.{name}"), Resolution.UNRESOLVED, 0.0)
            return Target(external_id(f"{owner}.{name}"), target.resolution, target.confidence)
        member = self._member(target.id, name)
        if member is not None:
            return Target(member[0], how, CONF_TYPED if member[1] else CONF_PROMOTED)
        qualname = self.model.symbols[target.id].qualname
        outside = self._bases(target.id)[1]
        if len(outside) == 1:
            # Not declared on the type or its workspace embeddings: promoted from the one
            # type it embeds from outside the workspace (`sync.Mutex`'s `Lock`).
            return Target(
                external_id(f"{outside[0]}.{name}"), Resolution.EXTERNAL, CONF_GUESSED_EXTERNAL
            )
        # A field of function type (`s.handler()`), or a method promoted from outside.
        return Target(external_id(f"{qualname}.{name}"), Resolution.UNRESOLVED, 0.0)

    def _through_fields(self, scope: FileScope, chain: str, name: str) -> Target:
        """`name` on `T->f->g`: each field's type as the struct declaring it states it
        (on `T` or a struct it embeds), read in that struct's file, then the method."""
        head, *fields = chain.split(FIELD_SEP)
        typ = head
        for index, field in enumerate(fields):
            target = self._resolve_type(scope, _base_type(typ))
            if target is None:
                return self._name_only(name, scope.path)
            if target.is_external:
                if target.resolution != Resolution.EXTERNAL:
                    return self._name_only(name, scope.path)
                rest = ".".join(fields[index:])
                owner = target.id.removeprefix(EXTERNAL_PREFIX)
                return Target(
                    external_id(f"{owner}.{rest}.{name}"),
                    Resolution.EXTERNAL,
                    CONF_GUESSED_EXTERNAL,
                )
            found = self._field_of(target.id, field)
            if found is None:
                return self._name_only(name, scope.path)
            typ, declaring = found
            declaring_scope = self.model.files.get(self.model.symbols[declaring].path)
            if declaring_scope is None:
                return self._name_only(name, scope.path)
            scope = declaring_scope
        return self._method_of(scope, _base_type(typ), name, Resolution.TYPED)

    def _field_of(self, type_id: str, field: str) -> tuple[str, str] | None:
        """(type as written, id of the declaring struct) of field `field` of a struct or
        of the structs it embeds, nearest first."""
        prefix = f"{field}: "
        for current in supertypes_nearest_first(type_id, self._embedded, MAX_EMBEDDING_DEPTH):
            for attribute in self.model.symbols[current].attributes:
                if attribute.startswith(prefix):
                    return attribute[len(prefix) :], current
        return None

    def _method_of_result(self, scope: FileScope, function: str, name: str) -> Target:
        """Method `name` on the result of `F()` (a function of this package) or
        `pkg.F()`: through the first result type the function's declaration states,
        read in the declaring file (`func New() (*Client, error)` gives `Client`);
        outside the workspace when `pkg` is; else guessed by name, among the methods of
        `pkg` first."""
        head, _, tail = function.partition(".")
        if not tail:  # F() of this package, declared in another of its files
            found = self._in_package(scope.module, head, scope.path)
            through = self._through_result(found, name) if found is not None else None
            return through or self._name_only(name, scope.path)
        package = self._imported_package(scope, head)
        if package is None:  # not a package after all (a package-level variable)
            return self._name_only(name, scope.path)
        if self._package_file(package) is None and not self._in_workspace(package):
            return Target(
                external_id(f"{package}.{tail}().{name}"),
                Resolution.EXTERNAL,
                CONF_GUESSED_EXTERNAL,
            )
        found = self._in_package(package, tail, "")
        through = self._through_result(found, name) if found is not None else None
        return through or self._name_only(name, scope.path, package)

    def _through_result(self, sid: str, name: str) -> Target | None:
        """`name` on what the package-level definition `sid` yields when called: a
        function's first stated result type, a type's conversion (`T(x)`); None when
        the declaration states no named type (`[]T`, `func()`, a type parameter)."""
        info = self.model.symbols[sid]
        scope = self.model.files.get(info.path)
        if scope is None:
            return None
        if info.kind in _TYPE_KINDS:
            typ: str | None = info.name
        elif info.kind == SymbolKind.FUNCTION:
            typ = first_result_type(info.signature)
        else:
            typ = None
        if typ is None or self._resolve_type(scope, typ) is None:
            return None  # a type parameter, or a type the declaring file does not know
        return self._method_of(scope, typ, name, Resolution.TYPED)

    # -- types ----------------------------------------------------------------------

    def _resolve_type(self, scope: FileScope, typ: str) -> Target | None:
        """The definition a type name (`T`, `pkg.T`) denotes in a file; an external or
        builtin placeholder; None for a name nothing declares (a type parameter)."""
        package_name, _, name = typ.rpartition(".")
        if package_name:
            package = self._imported_package(scope, package_name)
            if package is None:
                return None
            found = self._type_in(package, name, "")
            if found is not None:
                return Target(found, Resolution.IMPORT, CONF_IMPORT)
            return self._outside(f"{package}.{name}", package)
        found = self._type_in(scope.module, name, scope.path)
        if found is not None:
            return Target(found, Resolution.SAME_FILE, CONF_EXACT)
        for dot in scope.stars.get(scope.module_id, []):
            found = self._type_in(dot.module, name, "")
            if found is not None:
                return Target(found, Resolution.IMPORT, CONF_DOT_IMPORT)
        if name in BUILTIN_TYPES:
            return Target(external_id(f"{BUILTIN_PACKAGE}.{name}"), Resolution.BUILTIN, 1.0)
        return None

    def _member(self, type_id: str, name: str) -> tuple[str, bool] | None:
        """(id, declared on the type itself) of method `name`, through embeddings."""
        seen = {type_id}
        queue = [type_id]
        depth = 0
        while queue and depth < MAX_EMBEDDING_DEPTH:
            next_queue: list[str] = []
            for current in queue:
                info = self.model.symbols[current]
                for sid in self.model.by_qualname.get(f"{info.qualname}.{name}", ()):
                    if self.model.symbols[sid].kind == SymbolKind.METHOD:
                        return sid, current == type_id
                for base in self._bases(current)[0]:
                    if base not in seen:
                        seen.add(base)
                        next_queue.append(base)
            queue = next_queue
            depth += 1
        return None

    def _embedded(self, type_id: str) -> list[str]:
        """The workspace structs and interfaces a type embeds."""
        return self._bases(type_id)[0]

    def _supertypes_of(self, type_id: str) -> list[str]:
        return self._embedded(type_id)

    def _subtypes(self) -> dict[str, list[str]]:
        """Type id -> the workspace types embedding it directly, once a model shape
        (`WorkspaceModel.shape`: files, types, embeddings and imports)."""
        self._check_generation()
        if self._children is None or self._shape != self.model.shape:
            self._kept_subtypes, self._children = current_subtypes(
                self._kept_subtypes,
                self.model,
                self.change_log,
                _embeddings,
                _is_type,
                self._embedded,
            )
            self._shape = self.model.shape
        return self._children

    def _bases(self, type_id: str) -> tuple[list[str], list[str]]:
        """(workspace types, outside type names) that `type_id` embeds."""
        self._check_generation()
        cached = self._bases_cache.get(type_id)
        if cached is not None:
            return cached
        self._bases_cache[type_id] = ([], [])  # guards against embedding cycles
        inside: list[str] = []
        outside: list[str] = []
        info = self.model.symbols.get(type_id)
        scope = self.model.files.get(info.path) if info is not None else None
        if scope is not None:
            for expr in scope.bases.get(type_id, []):
                target = self._resolve_type(scope, _base_type(expr))
                if target is None:
                    continue
                if not target.is_external:
                    inside.append(target.id)
                elif target.resolution == Resolution.EXTERNAL:
                    outside.append(target.id.removeprefix(EXTERNAL_PREFIX))
        self._bases_cache[type_id] = (inside, outside)
        return inside, outside

    # -- packages -------------------------------------------------------------------

    def _imported_package(self, scope: FileScope, name: str) -> str | None:
        """The import path bound to `name` in a file: by alias, or by the package name
        its files declare when the import has no alias and the path suggests another."""
        imp = scope.bindings.get(scope.module_id, {}).get(name)
        if imp is not None and imp.alias != "_":
            return imp.module
        for other in scope.bindings.get(scope.module_id, {}).values():
            if other.extra == "assumed":
                found = self._package_file(other.module)
                if found is not None and self.model.symbols[f"{found}#"].name == name:
                    return other.module
        return None

    def _package_file(self, package: str) -> str | None:
        """A file of the workspace package with this import path."""
        return self.model.modules.get(package)

    def _in_package(self, package: str, name: str, prefer: str) -> str | None:
        """A package-level definition (function, type, constant) named `name`."""
        ids = [
            sid
            for sid in self.model.by_qualname.get(f"{package}.{name}", ())
            if self.model.symbols[sid].kind in _PACKAGE_LEVEL
        ]
        return _preferring(ids, prefer, self.model)

    def _type_in(self, package: str, name: str, prefer: str) -> str | None:
        ids = [
            sid
            for sid in self.model.by_qualname.get(f"{package}.{name}", ())
            if self.model.symbols[sid].kind in _TYPE_KINDS
        ]
        return _preferring(ids, prefer, self.model)

    def _first(self, qualname: str, prefer: str) -> str | None:
        return _preferring(list(self.model.by_qualname.get(qualname, ())), prefer, self.model)

    def _outside(self, qualname: str, package: str | None = None) -> Target:
        """A name in a package the workspace lacks (external), or one missing from a
        package that belongs to a workspace module (unresolved)."""
        if self._in_workspace(package or qualname):
            return Target(external_id(qualname), Resolution.UNRESOLVED, 0.0)
        return Target(external_id(qualname), Resolution.EXTERNAL, CONF_IMPORT)

    def _in_workspace(self, package: str) -> bool:
        """Whether an import path is, or sits beside, a workspace package: it shares a
        prefix of at least two elements with one (`example.com/m/...`)."""
        self._check_generation()
        if package in self.model.modules:
            return True
        if self._packages is None:
            self._packages = sorted(self.model.modules)
        parts = package.split("/")
        for cut in range(len(parts) - 1, 1, -1):
            prefix = "/".join(parts[:cut]) + "/"
            index = bisect_left(self._packages, prefix)
            if index < len(self._packages) and self._packages[index].startswith(prefix):
                return True
            if "/".join(parts[:cut]) in self.model.modules:
                return True
        return False

    def _check_generation(self) -> None:
        if self._generation != self.model.generation:
            self._bases_cache.clear()
            self._packages = None
            self._generation = self.model.generation

    # -- guesses --------------------------------------------------------------------

    def _reachable_packages(self, path: str) -> set[str]:
        """The caller's package and the packages its file imports."""
        scope = self.model.files.get(path)
        if scope is None:
            return set()
        reachable = {scope.module, scope.module.removesuffix("_test")}
        for imp in scope.bindings.get(scope.module_id, {}).values():
            reachable.add(imp.module)
        for dot in scope.stars.get(scope.module_id, []):
            reachable.add(dot.module)
        return reachable

    def _guessable(self, sid: str, reachable: set[str]) -> bool:
        """Whether a method may be a name-only guess: declared on a package-level type
        of a package the caller's file reaches. A value's methods nearly always come
        from a package the file imports (or its own); a method elsewhere sharing the
        name (`Elem`, `Kind`, `Sizeof`) is far more often a standard-library type's
        twin than the target. Interface methods of types local to a function are
        visible only there."""
        info = self.model.symbols[sid]
        if info.kind != SymbolKind.METHOD:
            return False
        scope = self.model.files.get(info.path)
        if scope is None or scope.module not in reachable:
            return False
        owner = self.model.symbols.get(info.parent) if info.parent else None
        return owner is None or owner.kind == SymbolKind.MODULE or owner.parent == scope.module_id

    def _name_only(self, name: str, path: str, package: str | None = None) -> Target:
        """A method named `name`, when only a handful exist: in `package` when it has
        some, else anywhere. Files under `testdata/` (which the go tool never builds)
        are candidates only for calls from `testdata/` too."""
        in_testdata = _in_testdata(path)
        reachable = self._reachable_packages(path)
        candidates = [
            sid
            for sid in self.model.by_name.get(name, ())
            if self._guessable(sid, reachable)
            and (in_testdata or not _in_testdata(self.model.symbols[sid].path))
        ]
        if package is not None:
            prefix = f"{package}."
            own = [c for c in candidates if self.model.symbols[c].qualname.startswith(prefix)]
            candidates = own or candidates
        if not candidates or len(candidates) > MAX_NAME_ONLY_CANDIDATES:
            return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
        return guess_by_name(self.model, candidates, path, CONF_METHOD_NAME_ONLY)


_ROLE = {"self": Resolution.SELF, "typed": Resolution.TYPED}


def _is_type(info: SymInfo) -> bool:
    return info.kind in _TYPE_KINDS


def _embeddings(view: RecordingModel, recorder: Recorder) -> Callable[[str], list[str]]:
    """The workspace types a type embeds, resolved by a resolver of their own reading
    `view`, each type's from scratch (`KeptSubtypes`)."""
    probe = GoResolver(view)  # type: ignore[arg-type]

    def embedded(sid: str) -> list[str]:
        probe._bases_cache.clear()
        probe._packages = None
        return probe._embedded(sid)

    return embedded


def first_result_type(signature: str) -> str | None:
    """The named type of a function signature's first result, as written in its file:
    `(x int) (*pkg.T, error)` -> `pkg.T`, `[T any]() *List[T]` -> `List`; None when
    the result is unnamed or not a named type (`[]T`, `map[K]V`, `func()`, `chan T`)."""
    text = signature.strip()
    if text.startswith("["):  # type parameters
        close = closing_bracket(text, 0, "[", "]")
        if close < 0:
            return None
        text = text[close + 1 :].lstrip()
    if not text.startswith("("):
        return None
    close = closing_bracket(text, 0, "(", ")")
    if close < 0:
        return None
    result = text[close + 1 :].strip()
    if result.startswith("("):
        inner = result[1 : closing_bracket(result, 0, "(", ")")]
        result = split_outside(inner)[0] if inner.strip() else ""
        # A named result (`n int`, `c *Client`): the type follows the name.
        name, _, typ = result.partition(" ")
        if typ and name.isidentifier():
            result = typ.strip()
    result = result.lstrip("*").strip()
    if not result or result.startswith(("[", "map[", "func", "chan", "<-", "interface", "struct")):
        return None
    base = _base_type(result)
    return base if all(p.isidentifier() for p in base.split(".")) else None


def _preferring(ids: list[str], path: str, model: WorkspaceModel) -> str | None:
    """The first id, or one defined in `path` (a name defined in several build-tagged
    files of a package resolves to the caller's own file when it has one)."""
    if not ids:
        return None
    for sid in ids:
        if model.symbols[sid].path == path:
            return sid
    return ids[0]


def _in_testdata(path: str) -> bool:
    return path.startswith("testdata/") or "/testdata/" in path
