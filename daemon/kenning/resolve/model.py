"""The in-memory model of a workspace that resolution reads.

It holds just what resolving needs — every definition by qualified and simple name,
and each file's import bindings per scope — so one file's change can be re-resolved
without re-reading the others. It is derived data: built from parsed facts on a full
index, or from the graph store's rows when the daemon starts on an existing index.

`WorkspaceModels` keeps one `WorkspaceModel` per language: a resolver sees only its
own language's definitions, so no edge is ever invented across languages.
"""

from __future__ import annotations

from bisect import insort_right
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from kenning.core.facts import FileFacts, Import, Span, SymbolKind
from kenning.core.graph import Resolution, Target


@dataclass(slots=True, frozen=True)
class SymInfo:
    id: str
    name: str
    qualname: str
    kind: str
    parent: str | None
    path: str
    # For resolving through what the code states: a callable's signature (its return
    # type) and its decorators as written (`overload`, `property`).
    signature: str = ""
    decorators: tuple[str, ...] = ()
    # Of a class: `name: Type` for each attribute whose type its code states
    # (`Symbol.attributes`), for following `a.x.m()` across files.
    attributes: tuple[str, ...] = ()


@dataclass(slots=True)
class FileScope:
    """One file's module name and import bindings, grouped by the scope they bind in."""

    path: str
    module: str
    module_id: str
    # scope symbol id -> bound name -> the import that binds it (the last one wins).
    bindings: dict[str, dict[str, Import]] = field(default_factory=dict)
    # scope symbol id -> `from m import *` statements in that scope.
    stars: dict[str, list[Import]] = field(default_factory=dict)
    # class symbol id -> base class expressions, in order.
    bases: dict[str, list[str]] = field(default_factory=dict)
    symbol_ids: list[str] = field(default_factory=list)

    def add_import(self, imp: Import) -> None:
        if imp.name == "*":
            self.stars.setdefault(imp.scope, []).append(imp)
        else:
            self.bindings.setdefault(imp.scope, {})[imp.alias] = imp


# Changes of the shape by imports alone that a model remembers.
MAX_IMPORT_CHANGES = 64
# Definitions no shape cache depends on (`WorkspaceModel.shape`).
_SHAPELESS = frozenset({SymbolKind.FUNCTION, SymbolKind.METHOD, SymbolKind.CONSTANT})


class WorkspaceModel:
    """Every definition of the workspace, indexed the ways resolution looks them up."""

    def __init__(self) -> None:
        self.files: dict[str, FileScope] = {}
        self.symbols: dict[str, SymInfo] = {}
        self.by_qualname: dict[str, list[str]] = {}
        self.by_name: dict[str, list[str]] = {}
        self.modules: dict[str, str] = {}  # module name -> path
        # Module name -> the files claiming it (more than one where a `.pyi` stub sits
        # beside its module, or for a Go package): a file leaving hands its name to the
        # lowest path of the others, without a walk of every file.
        self._claimants: dict[str, set[str]] = {}
        # Files with a wildcard import at module level (`from m import *`, `export * from
        # './m'`): the modules through which another module's names may be imported,
        # kept so that finding them costs what they are, not what the workspace is.
        self.star_files: set[str] = set()
        # Members whose qualified name is not their parent's and their own name joined
        # (or whose parent was not known when they came): none in the languages' models
        # so far. While there are none, the members a class defines under a name are
        # among `by_name[name]`, which a resolver may rely on.
        self.irregular_members: set[str] = set()
        # Parent id -> members added before it (rows read back from the store come in
        # no set order): counted irregular until their parent comes and says otherwise.
        self._awaiting_parent: dict[str, list[str]] = {}
        # Type name -> the methods declared for a type of that name outside it (a Rust
        # `impl Handle` or a Go method in another file than `Handle`'s: their parent is
        # not the type), which find their type by its name: a type of that name removed
        # or added changes what their calls on `self` reach.
        self.detached: dict[str, set[str]] = {}
        # Bumped on every change so caches above the model know when to drop entries.
        self.generation = 0
        # Bumped only when a change can alter how types relate or what names bind: a
        # file added or removed, or a file's types, bases or imports changed. Caches of
        # subclasses and bases outlive edits that change only functions and methods
        # (their bodies, or which of them a class declares: what a type name means and
        # which types a type extends never depend on them), so such a save costs what
        # the file holds, not what the workspace does. Counting methods in, adding one
        # to a class rebuilt the subclass map at every save: 300 ms on Django's
        # `query.py`, 600 ms in the JDK's sources.
        self.shape = 0
        # The last changes of the shape that only a file's imports made: (the shape
        # after it, the file), at most `MAX_IMPORT_CHANGES` (`imports_changed_since`).
        self._import_changes: list[tuple[int, str]] = []

    # -- building -----------------------------------------------------------------

    def add_facts(self, facts: FileFacts) -> None:
        module_id = facts.symbols[0].id if facts.symbols else f"{facts.path}#"
        scope = FileScope(path=facts.path, module=facts.module, module_id=module_id)
        self._add_scope(scope)
        for sym in facts.symbols:
            self._add_symbol(
                SymInfo(
                    sym.id,
                    sym.name,
                    sym.qualname,
                    sym.kind,
                    sym.parent,
                    facts.path,
                    sym.signature,
                    sym.decorators,
                    sym.attributes,
                ),
                scope,
            )
        for imp in facts.imports:
            self.add_import(scope, imp)
        for base in facts.bases:
            scope.bases.setdefault(base.class_id, []).append(base.expr)

    def add_import(self, scope: FileScope, imp: Import) -> None:
        scope.add_import(imp)
        if imp.name == "*" and imp.scope == scope.module_id:
            self.star_files.add(scope.path)

    def add_file_row(self, path: str, module: str) -> FileScope:
        """Start a file when rebuilding from stored rows (symbols and imports follow)."""
        scope = FileScope(path=path, module=module, module_id=f"{path}#")
        self._add_scope(scope)
        return scope

    def add_symbol_row(self, info: SymInfo) -> None:
        scope = self.files.get(info.path)
        if scope is not None:
            self._add_symbol(info, scope)

    def _add_scope(self, scope: FileScope) -> None:
        if scope.path in self.files:
            self.remove_file(scope.path)
        self.files[scope.path] = scope
        # Two files can claim one module name (a .py and its .pyi stub, a Go package's
        # files, stray scripts): the lowest path holds it, whatever order the files
        # came in (a full index's, a daemon's load from the stores, saves), so that a
        # model kept up to date resolves as one built anew does.
        holder = self.modules.get(scope.module)
        if holder is None or scope.path < holder:
            self.modules[scope.module] = scope.path
        self._claimants.setdefault(scope.module, set()).add(scope.path)
        self.generation += 1
        self.shape += 1

    def _add_symbol(self, info: SymInfo, scope: FileScope) -> None:
        if info.parent is not None:
            parent = self.symbols.get(info.parent)
            if parent is None:
                self.irregular_members.add(info.id)
                self._awaiting_parent.setdefault(info.parent, []).append(info.id)
            elif not _named_under(info, parent):
                self.irregular_members.add(info.id)
        for member in self._awaiting_parent.pop(info.id, ()):
            waiting = self.symbols.get(member)
            if waiting is not None and waiting.parent == info.id and _named_under(waiting, info):
                self.irregular_members.discard(member)
        self.symbols[info.id] = info
        owner = _detached_owner(info)
        if owner is not None:
            self.detached.setdefault(owner, set()).add(info.id)
        _add_by_path(self.by_qualname, info.qualname, info, self.symbols)
        if info.kind != SymbolKind.MODULE:
            _add_by_path(self.by_name, info.name, info, self.symbols)
        scope.symbol_ids.append(info.id)

    def remove_file(self, path: str) -> FileScope | None:
        scope = self.files.pop(path, None)
        if scope is None:
            return None
        self.star_files.discard(path)
        for sid in scope.symbol_ids:
            info = self.symbols.pop(sid, None)
            if info is None:
                continue
            self.irregular_members.discard(sid)
            owner = _detached_owner(info)
            if owner is not None:
                held = self.detached.get(owner)
                if held is not None:
                    held.discard(sid)
                    if not held:
                        del self.detached[owner]
            _discard(self.by_qualname, info.qualname, sid)
            _discard(self.by_name, info.name, sid)
        others = self._claimants.get(scope.module, set())
        others.discard(path)
        if not others:
            self._claimants.pop(scope.module, None)
        if self.modules.get(scope.module) == path:
            del self.modules[scope.module]
            # Hand the module name to the lowest path of the other files claiming it.
            if others:
                self.modules[scope.module] = min(others)
        self.generation += 1
        self.shape += 1
        return scope

    def replace(self, facts: FileFacts) -> None:
        before = self._shape_of(facts.path)
        shape = self.shape
        self.remove_file(facts.path)
        self.add_facts(facts)
        after = self._shape_of(facts.path)
        if before is None or after is None:
            return
        if before == after:
            self.shape = shape  # the same types, bases and imports: caches stay good
        elif before[:3] == after[:3]:
            # Only what it imports: one change of the shape, logged as such.
            self.shape = shape + 1
            self._import_changes.append((self.shape, facts.path))
            del self._import_changes[:-MAX_IMPORT_CHANGES]

    def imports_changed_since(self, shape: int) -> list[str] | None:
        """The files whose changes of the shape since `shape` were all changes of their
        imports alone (their module, types and bases as they were), in order; None where
        another change of the shape came in between, or one the log no longer holds."""
        paths = [path for after, path in self._import_changes if after > shape]
        if len(paths) != self.shape - shape:
            return None
        return paths

    def _shape_of(self, path: str) -> tuple[object, ...] | None:
        """What of one file the shape caches depend on: every definition but functions,
        methods and constants (their kinds, parents and decorators), its bases, its
        imports."""
        scope = self.files.get(path)
        if scope is None:
            return None
        members = tuple(
            (info.id, info.kind, info.parent, info.decorators)
            for sid in scope.symbol_ids
            if (info := self.symbols.get(sid)) is not None and info.kind not in _SHAPELESS
        )
        # Where an import sits is no resolver's concern (which one binds a name is
        # settled as the file is read: the last wins): lines inserted above a file's
        # imports leave its shape, and the workspace's caches, as they were.
        imports = (
            tuple(
                (k, tuple(sorted((name, _placed_nowhere(i)) for name, i in v.items())))
                for k, v in sorted(scope.bindings.items())
            ),
            tuple(
                (k, tuple(_placed_nowhere(i) for i in v)) for k, v in sorted(scope.stars.items())
            ),
        )
        bases = tuple((k, tuple(v)) for k, v in sorted(scope.bases.items()))
        return (scope.module, members, bases, imports)

    # -- reading ------------------------------------------------------------------

    def methods_of(self, type_id: str) -> list[SymInfo]:
        """The methods `type_id` defines (its file's symbols whose parent it is)."""
        info = self.symbols.get(type_id)
        scope = self.files.get(info.path) if info is not None else None
        members = (self.symbols.get(sid) for sid in (scope.symbol_ids if scope else ()))
        return [m for m in members if m and m.parent == type_id and m.kind == SymbolKind.METHOD]

    def symbol_ids_of(self, path: str) -> list[str]:
        scope = self.files.get(path)
        return list(scope.symbol_ids) if scope else []

    def names_of(self, paths: Iterable[str]) -> set[str]:
        """Qualified and simple names defined in these files (for re-resolution)."""
        names: set[str] = set()
        for path in paths:
            scope = self.files.get(path)
            if scope is None:
                continue
            for sid in scope.symbol_ids:
                info = self.symbols[sid]
                names.add(info.qualname)
                names.add(info.name)
        return names


class WorkspaceModels:
    """One `WorkspaceModel` per language, and which language each file is in."""

    def __init__(self) -> None:
        self.models: dict[str, WorkspaceModel] = {}
        self.language_of: dict[str, str] = {}  # path -> language

    def model(self, language: str) -> WorkspaceModel:
        model = self.models.get(language)
        if model is None:
            model = self.models[language] = WorkspaceModel()
        return model

    def model_of(self, path: str) -> WorkspaceModel | None:
        language = self.language_of.get(path)
        return self.models.get(language) if language is not None else None

    def __contains__(self, path: object) -> bool:
        return path in self.language_of

    def paths(self) -> list[str]:
        return list(self.language_of)

    def add_facts(self, facts: FileFacts) -> None:
        self.remove_file(facts.path)
        self.language_of[facts.path] = facts.language
        self.model(facts.language).add_facts(facts)

    def replace(self, facts: FileFacts) -> None:
        if self.language_of.get(facts.path) == facts.language:
            self.models[facts.language].replace(facts)
        else:
            self.add_facts(facts)

    def add_file_row(self, path: str, language: str, module: str) -> FileScope:
        self.remove_file(path)
        self.language_of[path] = language
        return self.model(language).add_file_row(path, module)

    def add_symbol_row(self, info: SymInfo) -> None:
        model = self.model_of(info.path)
        if model is not None:
            model.add_symbol_row(info)

    def file(self, path: str) -> FileScope | None:
        model = self.model_of(path)
        return model.files.get(path) if model is not None else None

    def remove_file(self, path: str) -> FileScope | None:
        language = self.language_of.pop(path, None)
        if language is None:
            return None
        return self.models[language].remove_file(path)

    def add_import_row(self, path: str, imp: Import) -> None:
        """An import read back from the store, of a file added by `add_file_row`."""
        model = self.model_of(path)
        scope = model.files.get(path) if model is not None else None
        if model is not None and scope is not None:
            model.add_import(scope, imp)

    def symbol_ids_of(self, path: str) -> list[str]:
        model = self.model_of(path)
        return model.symbol_ids_of(path) if model is not None else []

    def names_of(self, paths: Iterable[str]) -> set[str]:
        names: set[str] = set()
        for path in paths:
            model = self.model_of(path)
            if model is not None:
                names |= model.names_of([path])
        return names


def _detached_owner(info: SymInfo) -> str | None:
    """The name of the type a method is declared for, where its parent is not that
    type (`src/b.rs#Handle.clear` under `src/b.rs#`: `Handle`); None otherwise."""
    if info.kind != SymbolKind.METHOD:
        return None
    path, _, local = info.id.partition("#")
    owner = local.rpartition(".")[0]
    if not owner or info.parent == f"{path}#{owner}":
        return None
    return owner.rpartition(".")[2]


def _named_under(member: SymInfo, parent: SymInfo) -> bool:
    """Whether `member`'s qualified name is its parent's and its own joined."""
    return (
        member.kind != SymbolKind.MODULE and member.qualname == f"{parent.qualname}.{member.name}"
    )


def subtypes_nearest_first(
    subtypes: Mapping[str, Sequence[str]], cls: str, within: Container[str] | None = None
) -> Iterator[str]:
    """The subtypes of `cls` at any depth (`subtypes`: type id -> its direct ones),
    nearest first, each once: where a virtual call's overrides are looked for.

    `within`: only these, in the same order as without it, where it holds every subtype
    of `cls` on the way down to each of its members (`subtypes_toward`): the walk then
    goes down only where a member lies."""
    seen = {cls}
    children = subtypes.get(cls, ())
    queue = deque(children if within is None else [c for c in children if c in within])
    while queue:
        sub = queue.popleft()
        if sub not in seen:
            seen.add(sub)
            yield sub
            children = subtypes.get(sub, ())
            queue.extend(children if within is None else [c for c in children if c in within])


def subtypes_toward(
    supertypes: Mapping[str, Sequence[str]], cls: str, targets: Iterable[str]
) -> set[str]:
    """Every subtype of `cls` (`supertypes`: type id -> its direct ones) that is one of
    `targets` or lies between `cls` and one of them: the `within` of a walk down from
    `cls` that only needs to reach `targets`. Costs the targets' supertypes, not `cls`'s
    subtypes (thousands under a root class)."""
    reaches: dict[str, bool] = {cls: True}

    def up(node: str) -> bool:
        known = reaches.get(node)
        if known is not None:
            return known
        reaches[node] = False  # a cycle of supertypes does not reach `cls` through itself
        # Every supertype, not the first that reaches: each path down counts.
        found = [up(base) for base in supertypes.get(node, ())]
        reaches[node] = any(found)
        return reaches[node]

    for target in targets:
        up(target)
    return {node for node, below in reaches.items() if below and node != cls}


def supertypes_nearest_first(
    cls: str, bases: Callable[[str], Sequence[str]], max_depth: int
) -> Iterator[str]:
    """`cls`, then its supertypes (`bases`: type id -> its direct ones in the workspace)
    level by level, nearest first, each once, at most `max_depth` levels: where a field
    or member that a type may inherit is looked for."""
    seen = {cls}
    level = [cls]
    for _ in range(max_depth):
        following: list[str] = []
        for current in level:
            yield current
            for base in bases(current):
                if base not in seen:
                    seen.add(base)
                    following.append(base)
        if not following:
            return
        level = following


def common_path_prefix(a: str, b: str) -> int:
    """How many leading folders two workspace paths share: name-only guesses prefer
    the definition nearest the caller."""
    n = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        n += 1
    return n


def guess_by_name(
    model: WorkspaceModel,
    candidates: list[str],
    path: str,
    confidence: float,
    rank: Callable[[str], Any] | None = None,
) -> Target:
    """A call matched by name alone to `candidates` (never empty): the one definition
    of that name is a `name-only` edge at `confidence`; several are each a `candidate`
    edge sharing `confidence`, best `rank` first (by default the definition nearest the
    caller's `path`), so an ambiguous guess is never presented as the answer."""
    if len(candidates) == 1:
        return Target(candidates[0], Resolution.NAME_ONLY, confidence)
    if rank is None:
        rank = lambda sid: common_path_prefix(model.symbols[sid].path, path)  # noqa: E731
    # Stable: of equally ranked definitions the first found comes first.
    ranked = sorted(candidates, key=rank, reverse=True)
    share = round(confidence / len(ranked), 3)
    more = tuple(Target(sid, Resolution.CANDIDATE, share) for sid in ranked[1:])
    return Target(ranked[0], Resolution.CANDIDATE, share, more)


def _add_by_path(
    index: dict[str, list[str]], key: str, info: SymInfo, symbols: Mapping[str, SymInfo]
) -> None:
    """Add `info`'s id under `key`, the ids kept in the order of their files' paths (a
    file's own in the order they came): the order a full index adds files in, whatever
    order they came in since (a daemon's load from the stores, saves). A resolver that
    takes the first of a name's definitions then takes the one a full index takes."""
    ids = index.get(key)
    if ids is None:
        index[key] = [info.id]
    elif symbols[ids[-1]].path <= info.path:
        ids.append(info.id)
    else:
        insort_right(ids, info.id, key=lambda sid: symbols[sid].path)


def _discard(index: dict[str, list[str]], key: str, sid: str) -> None:
    ids = index.get(key)
    if ids is None:
        return
    try:
        ids.remove(sid)
    except ValueError:
        return
    if not ids:
        del index[key]


_NOWHERE = Span(0, 0, 0, 0)


def _placed_nowhere(imp: Import) -> Import:
    """`imp` without its position, for comparing what a file imports."""
    return msgspec.structs.replace(imp, span=_NOWHERE)
