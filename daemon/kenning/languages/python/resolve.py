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
* anything else (`obj.method()`) is matched by method name alone, or left unresolved.

Every answer is a `Target` with its `Resolution` kind and a confidence.
"""

from __future__ import annotations

import builtins

from kenning.core.facts import BaseClass, CallSite, Import, SymbolKind
from kenning.core.graph import Resolution, Target, external_id
from kenning.languages.python.layout import is_package_path
from kenning.resolve.model import FileScope, WorkspaceModel

BUILTIN_NAMES = frozenset(dir(builtins))

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
CONF_METHOD_NAME_ONLY = 0.3


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


class PythonResolver:
    """Resolves facts against a `WorkspaceModel`. Cheap to create; caches per generation."""

    def __init__(self, model: WorkspaceModel) -> None:
        self.model = model
        self._lookup_cache: dict[str, str | None] = {}
        self._bases_cache: dict[str, list[str]] = {}
        self._generation = model.generation

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
        receiver = call.receiver
        if receiver is None:
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
        parts = receiver.split(".")
        if all(p.isidentifier() for p in parts):
            target = self._resolve_dotted(path, call.caller, [*parts, call.name])
            if target is not None:
                return target
        return self._name_only(call.name, path, methods=True)

    def lookup(self, qualname: str) -> str | None:
        """The id of the workspace definition named `qualname`, following re-exports."""
        self._check_generation()
        if qualname in self._lookup_cache:
            return self._lookup_cache[qualname]
        found = self._lookup(qualname, 0)
        self._lookup_cache[qualname] = found
        return found

    # -- internals ----------------------------------------------------------------

    def _check_generation(self) -> None:
        if self._generation != self.model.generation:
            self._lookup_cache.clear()
            self._bases_cache.clear()
            self._generation = self.model.generation

    def _lookup(self, qualname: str, depth: int) -> str | None:
        ids = self.model.by_qualname.get(qualname)
        if ids:
            return ids[0]
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
            imp = scope.bindings.get(scope.module_id, {}).get(parts[cut])
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
            for star in scope.stars.get(scope.module_id, []):
                target = ".".join([absolute_module(scope, star), *parts[cut:]])
                found = self._lookup(target, depth + 1)
                if found is not None:
                    return found
            return None
        return None

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
        chain: list[str] = []
        current: str | None = scope_id
        first = True
        while current is not None:
            info = self.model.symbols.get(current)
            if info is None:
                break
            if first or info.kind != SymbolKind.CLASS:
                chain.append(current)
            first = False
            current = info.parent
        return chain

    def _resolve_dotted(self, path: str, scope_id: str, parts: list[str]) -> Target | None:
        """Resolve `head.rest...` as seen from `scope_id`; None when `head` is unbound."""
        head, rest = parts[0], parts[1:]
        scope = self.model.files.get(path)
        if scope is None:
            return None
        for sid in self._scope_chain(scope_id):
            info = self.model.symbols[sid]
            local = self.model.by_qualname.get(f"{info.qualname}.{head}")
            local = [i for i in local or () if self.model.symbols[i].parent == sid]
            if local:
                kind = (
                    Resolution.SAME_FILE if info.kind == SymbolKind.MODULE else (Resolution.LOCAL)
                )
                return self._member_of(local[0], rest, kind)
            imp = scope.bindings.get(sid, {}).get(head)
            if imp is not None:
                qualname = ".".join([binding_target(scope, imp), *rest])
                found = self.lookup(qualname)
                if found is not None:
                    return Target(found, Resolution.IMPORT, CONF_IMPORT)
                return self._missing(qualname)
            for star in scope.stars.get(sid, []):
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
            return Target(member[0], Resolution.SELF, CONF_SELF if member[1] else CONF_INHERITED)
        qualname = self.model.symbols[cls].qualname
        return Target(external_id(f"{qualname}.{call.name}"), Resolution.UNRESOLVED, 0.0)

    def _class_member(self, cls: str, name: str, include_own: bool) -> tuple[str, bool] | None:
        """(id, defined on `cls` itself) of `name` on the class or its bases, breadth first."""
        seen = {cls}
        queue = [cls] if include_own else list(self._bases_of(cls))
        depth = 0
        while queue and depth < MAX_BASE_DEPTH:
            next_queue: list[str] = []
            for current in queue:
                qualname = self.model.symbols[current].qualname
                for sid in self.model.by_qualname.get(f"{qualname}.{name}", ()):
                    if self.model.symbols[sid].parent == current:
                        return sid, current == cls
                for base in self._bases_of(current):
                    if base not in seen:
                        seen.add(base)
                        next_queue.append(base)
            queue = next_queue
            depth += 1
        return None

    def _bases_of(self, cls: str) -> list[str]:
        self._check_generation()
        cached = self._bases_cache.get(cls)
        if cached is not None:
            return cached
        self._bases_cache[cls] = []  # guards against cycles while resolving
        info = self.model.symbols.get(cls)
        bases: list[str] = []
        if info is not None:
            scope = self.model.files.get(info.path)
            exprs = scope.bases.get(cls, []) if scope else []
            for expr in exprs:
                parent = info.parent or (scope.module_id if scope else "")
                target = self._resolve_dotted(info.path, parent, expr.split("."))
                if (
                    target is not None
                    and not target.is_external
                    and self.model.symbols[target.id].kind == SymbolKind.CLASS
                ):
                    bases.append(target.id)
        self._bases_cache[cls] = bases
        return bases

    def _name_only(self, name: str, path: str, methods: bool) -> Target:
        wanted = (SymbolKind.METHOD,) if methods else (SymbolKind.FUNCTION, SymbolKind.CLASS)
        candidates = [
            sid
            for sid in self.model.by_name.get(name, ())
            if self.model.symbols[sid].kind in wanted
        ]
        if not candidates or len(candidates) > MAX_NAME_ONLY_CANDIDATES:
            return Target(external_id(name), Resolution.UNRESOLVED, 0.0)
        # Prefer the definition whose file shares the longest directory prefix.
        best = max(candidates, key=lambda sid: _common_prefix(self.model.symbols[sid].path, path))
        base = CONF_METHOD_NAME_ONLY if methods else CONF_NAME_ONLY
        return Target(best, Resolution.NAME_ONLY, round(base / len(candidates), 3))


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        n += 1
    return n
