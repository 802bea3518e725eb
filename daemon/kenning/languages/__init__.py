"""The language registry: every language kenning indexes, registered once.

Discovery, the parse pool, the indexer, resolution and the server ask this module
which files are code, what language they are in, how their modules are named and
how their names resolve; none of them tests a language's name. A language is a
folder here (see `base.py`); adding one is that folder plus one line in `LANGUAGES`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from kenning.core.facts import BaseClass, CallSite, EdgeFacts, FileFacts, Import
from kenning.core.graph import Resolution, ResolvedFile, Target, external_id
from kenning.languages.base import LanguageResolver, LanguageSupport, ModuleLayout
from kenning.languages.go import GO
from kenning.languages.java import JAVA
from kenning.languages.javascript import JAVASCRIPT
from kenning.languages.python import PYTHON
from kenning.languages.rust import RUST
from kenning.languages.typescript import TYPESCRIPT
from kenning.resolve.model import WorkspaceModels
from kenning.resolve.reuse import ModelChanges, call_key

LANGUAGES: tuple[LanguageSupport, ...] = (PYTHON, TYPESCRIPT, JAVASCRIPT, GO, JAVA, RUST)

_BY_NAME = {language.name: language for language in LANGUAGES}
_BY_SUFFIX = {suffix: language for language in LANGUAGES for suffix in language.suffixes}
_BY_LANGUAGE_ID = {i: language for language in LANGUAGES for i in language.language_ids}

# Suffix -> language name, for discovery and the watcher's filters.
LANGUAGE_BY_SUFFIX: dict[str, str] = {s: language.name for s, language in _BY_SUFFIX.items()}
# File names that change how modules are named when they appear or go.
LAYOUT_FILES: frozenset[str] = frozenset().union(*(lang.layout_files for lang in LANGUAGES))
# Files that mark a project's root, each once, in registration order.
WORKSPACE_MARKERS: tuple[str, ...] = tuple(
    dict.fromkeys(m for lang in LANGUAGES for m in lang.workspace_markers)
)
# File names that show a directory holds source code, not build output.
SOURCE_MARKERS: frozenset[str] = frozenset().union(*(lang.source_markers for lang in LANGUAGES))


def by_name(name: str) -> LanguageSupport:
    """The language called `name`; raises `KeyError` for a language kenning lacks."""
    return _BY_NAME[name]


def names() -> list[str]:
    return sorted(_BY_NAME)


def for_path(path: str) -> LanguageSupport | None:
    """The language of a file, by its suffix; None when kenning does not index it."""
    return _BY_SUFFIX.get(os.path.splitext(path)[1])


def language_of(path: str) -> str | None:
    language = for_path(path)
    return language.name if language is not None else None


def for_language_id(language_id: str) -> LanguageSupport | None:
    """The language an editor's `languageId` names (`typescriptreact` -> typescript)."""
    return _BY_LANGUAGE_ID.get(language_id)


def suffixes() -> list[str]:
    return sorted(_BY_SUFFIX)


def language_ids() -> list[str]:
    return sorted(_BY_LANGUAGE_ID)


class Layouts:
    """Each language's module layout for one workspace, made on first use."""

    def __init__(self, root: Path, paths: Iterable[str]) -> None:
        self.root = root
        self._paths = set(paths)
        self._layouts: dict[str, ModuleLayout] = {}

    def _layout(self, language: LanguageSupport) -> ModuleLayout:
        layout = self._layouts.get(language.name)
        if layout is None:
            layout = language.make_layout(self.root, self._paths)
            self._layouts[language.name] = layout
        return layout

    def module_name(self, path: str, language: str | None = None) -> str:
        support = by_name(language) if language else for_path(path)
        if support is None:
            return path
        return self._layout(support).module_name(path)

    def add(self, path: str) -> None:
        """A file appeared: layouts whose naming it can change take note."""
        if path in self._paths:
            return
        self._paths.add(path)
        name = path.rpartition("/")[2]
        support = for_path(path)
        for language in LANGUAGES:
            if language.name in self._layouts and (
                language is support or name in language.layout_files
            ):
                self._layouts[language.name].add(path)


class Resolvers:
    """Resolves any file's facts with its own language's resolver and model."""

    def __init__(self, models: WorkspaceModels, change_log: ModelChanges | None = None) -> None:
        self.models = models
        self._resolvers: dict[str, LanguageResolver] = {}
        # The log of the models' changes, for resolvers that keep what they derive from
        # the whole workspace up to date from it (an optional `change_log` attribute).
        self.change_log = change_log

    def _for(self, path: str) -> LanguageResolver | None:
        language = self.models.language_of.get(path)
        if language is None:
            return None
        resolver = self._resolvers.get(language)
        if resolver is None:
            resolver = self._make(language)
        return resolver

    def _make(self, language: str) -> LanguageResolver:
        resolver = by_name(language).make_resolver(self.models.model(language))
        if self.change_log is not None and hasattr(resolver, "change_log"):
            resolver.change_log = self.change_log
        self._resolvers[language] = resolver
        return resolver

    def warm(self) -> None:
        """Build each language's workspace-wide caches now, for the resolvers that keep
        them across changes (an optional `warm()` of a `LanguageResolver`)."""
        for language in sorted(set(self.models.language_of.values())):
            resolver = self._resolvers.get(language)
            if resolver is None:
                resolver = self._make(language)
            warm = getattr(resolver, "warm", None)
            if warm is not None:
                warm()

    def descendant_names(self, path: str, type_id: str, depth: int) -> set[str] | None:
        """Qualified names of the types inheriting from `type_id` (defined in `path`),
        directly or not, at most `depth` levels down, from the model of `path`'s
        language: a walk of the resolver's subtype map, which costs what it finds. None
        where that resolver keeps no such map (an optional `direct_subtypes(type_id)`)."""
        model = self.models.model_of(path)
        below = self.descendants(path, type_id, depth)
        if below is None or model is None:
            return None
        return {model.symbols[sub].qualname for sub in below if sub in model.symbols}

    def descendants(self, path: str, type_id: str, depth: int) -> list[str] | None:
        """Ids of the types inheriting from `type_id` (defined in `path`), directly or
        not, at most `depth` levels down, nearest first: a walk of the resolver's subtype
        map, which costs what it finds. None where that resolver keeps no such map (an
        optional `direct_subtypes(type_id)`)."""
        direct = getattr(self._for(path), "direct_subtypes", None)
        if direct is None:
            return None
        found: list[str] = []
        seen = {type_id}
        level = [type_id]
        for _ in range(depth):
            level = list(dict.fromkeys(sub for base in level for sub in direct(base)))
            level = [sub for sub in level if sub not in seen]
            seen.update(level)
            found += level
            if not level:
                break
        return found

    def methods_above(
        self, path: str, type_ids: Sequence[str], names: Collection[str] | None, depth: int
    ) -> list[str] | None:
        """Ids of the methods named in `names` (every method with None) that the types
        above any of `type_ids` (defined in `path`'s language) define, at most `depth`
        levels up, each once. Of one type and the names of its methods: the methods
        they override, whose callers' virtual calls may run them; with None, what it may
        inherit. None where the resolver of `path`'s language keeps no supertypes (an
        optional `direct_supertypes(type_id)`)."""
        resolver = self._for(path)
        up = getattr(resolver, "direct_supertypes", None)
        model = self.models.model_of(path)
        if up is None or model is None:
            return None
        found: list[str] = []
        seen = set(type_ids)
        level = list(seen)
        for _ in range(depth):
            level = list(dict.fromkeys(b for sub in level for b in up(sub) if b not in seen))
            seen.update(level)
            for base in level:
                found += [m.id for m in model.methods_of(base) if names is None or m.name in names]
            if not level:
                break
        return found

    def language_resolver(self, path: str) -> LanguageResolver | None:
        """The resolver of `path`'s language (None for a file no model holds)."""
        return self._for(path)

    def resolve_file(self, facts: FileFacts | EdgeFacts) -> ResolvedFile:
        path = facts.path
        resolver = self._for(path)  # once a file, not once a call site
        if resolver is None:
            return ResolvedFile(
                path=path,
                calls=[_unknown(c.name) for c in facts.calls],
                imports=[_unknown(i.module) for i in facts.imports],
                bases=[_unknown(b.expr) for b in facts.bases],
            )
        # A call site like one before it in the file resolves as it did: a resolver is a
        # function of a call's fields but its span and of the model (`call_key`, see
        # `resolve/reuse.py`). Three calls in ten repeat one of their caller's on Django
        # (`self.assertEqual` in a test, `kwargs.get`).
        resolved: dict[tuple[object, ...], Target] = {}
        calls: list[Target] = []
        for call in facts.calls:
            key = call_key(call)
            target = resolved.get(key)
            if target is None:
                target = resolved[key] = resolver.resolve_call(path, call)
            calls.append(target)
        return ResolvedFile(
            path=path,
            calls=calls,
            imports=[resolver.resolve_import(path, i) for i in facts.imports],
            bases=[resolver.resolve_base(path, b) for b in facts.bases],
        )

    def resolve_call(self, path: str, call: CallSite) -> Target:
        resolver = self._for(path)
        if resolver is None:
            return _unknown(call.name)
        return resolver.resolve_call(path, call)

    def resolve_import(self, path: str, imp: Import) -> Target:
        resolver = self._for(path)
        if resolver is None:
            return _unknown(imp.module)
        return resolver.resolve_import(path, imp)

    def resolve_base(self, path: str, base: BaseClass) -> Target:
        resolver = self._for(path)
        if resolver is None:
            return _unknown(base.expr)
        return resolver.resolve_base(path, base)


def _unknown(name: str) -> Target:
    # A file no model holds (it vanished between parse and resolution).
    return Target(external_id(name), Resolution.UNRESOLVED, 0.0)


__all__ = [
    "LANGUAGES",
    "LANGUAGE_BY_SUFFIX",
    "LAYOUT_FILES",
    "SOURCE_MARKERS",
    "WORKSPACE_MARKERS",
    "LanguageSupport",
    "Layouts",
    "Resolvers",
    "by_name",
    "for_language_id",
    "for_path",
    "language_ids",
    "language_of",
    "names",
    "suffixes",
]
