"""`LanguageSupport`: everything kenning knows of one language, in one object.

A language is a folder under `kenning/languages/` holding its grammar binding, its
`.scm` queries, an `Extraction` subclass for what queries cannot say, a module layout
(how paths name modules), a resolver (how names find definitions) and its builtins.
The folder's `__init__.py` builds one `LanguageSupport`; the registry
(`kenning.languages`) lists them, and nothing outside the registry and the folders
tests a language's name.

Grammars load and queries compile on first use, so a process that never meets a
language never pays for it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Protocol

from tree_sitter import Language, Parser, Tree

from kenning.core.facts import BaseClass, CallSite, Diagnostic, FileFacts, Import
from kenning.core.graph import Target
from kenning.parse.extractor import Extraction
from kenning.parse.language import LanguageQueries, LanguageSyntax
from kenning.parse.text import SourceText
from kenning.resolve.model import WorkspaceModel


class ModuleLayout(Protocol):
    """How a workspace's paths name one language's modules."""

    def module_name(self, path: str) -> str:
        """The module name of a workspace-relative file of this language."""
        ...

    def add(self, path: str) -> None:
        """A file of this language (or one of its `layout_files`) appeared."""
        ...


class LanguageResolver(Protocol):
    """Resolves one language's facts against that language's `WorkspaceModel`."""

    def resolve_call(self, path: str, call: CallSite) -> Target: ...

    def resolve_import(self, path: str, imp: Import) -> Target: ...

    def resolve_base(self, path: str, base: BaseClass) -> Target: ...


@dataclass(frozen=True, eq=False)
class LanguageSupport:
    """One language, registered once in `kenning.languages.LANGUAGES`."""

    syntax: LanguageSyntax
    # Returns the tree-sitter language capsule (`tree_sitter_python.language`).
    grammar_loader: Callable[[], object]
    # The package whose `queries/` folder holds the `.scm` files.
    package: str
    extraction: type[Extraction]
    suffixes: tuple[str, ...]  # file suffixes, with the dot: (".py", ".pyi")
    language_ids: tuple[str, ...]  # LSP languageId values (and editor filetypes)
    make_layout: Callable[[Path, Iterable[str]], ModuleLayout]
    make_resolver: Callable[[WorkspaceModel], LanguageResolver]
    # File names whose appearance changes module names (`__init__.py`, `go.mod`).
    layout_files: frozenset[str] = frozenset()
    # File names whose presence shows a directory is source code even when its name
    # is one that build output uses (`build/`, `dist/`): Python's `__init__.py`.
    source_markers: frozenset[str] = frozenset()
    # Files that mark a project's root (`pyproject.toml`, `go.mod`), in the order
    # they are checked: a folder holding one is a workspace when it has no index yet.
    workspace_markers: tuple[str, ...] = ()
    # Suffixes whose files need another grammar of the same language, with its loader:
    # TypeScript's `.tsx` is the tsx grammar. The language's queries compile against
    # each grammar, so they may use only node types the grammars share.
    suffix_grammars: tuple[tuple[str, Callable[[], object]], ...] = ()
    # Query files of the language's own concerns (`queries/<name>.scm`) compiled into
    # the combined query, so that they cost no walk of the tree of their own; the
    # extraction receives their matches through `Extraction.concern_match`.
    extra_concerns: tuple[str, ...] = ()
    # Whether a module's top-level imports are names other modules import from it, as
    # the language's resolver reads them (Python's `from pkg import Foo`, where
    # `pkg/__init__.py` imports `Foo`); where not, only imports marked `reexport` are.
    imports_export: bool = False
    # The module a file's path names where its layout may name it otherwise, for the
    # placeholders that references to it carry while it is not there: a relative
    # import names a path (TypeScript's `./util`), and configuration may give the file
    # another module name. A file new to the workspace answers those too. None: the
    # layout's name is the only one.
    path_module: Callable[[str], str] | None = None
    # The most definitions of a name (functions and classes, or methods) among which
    # the resolver guesses a call by name alone (`name-only`, `candidate` edges): a
    # definition new beside at most this many others may change such guesses.
    name_only_limit: int = 0

    @property
    def name(self) -> str:
        return self.syntax.name

    @cached_property
    def grammar(self) -> Language:
        return Language(self.grammar_loader())

    @cached_property
    def queries(self) -> LanguageQueries:
        folder = resources.files(self.package).joinpath("queries")
        return LanguageQueries(self.name, self.grammar, folder, self.extra_concerns)

    @cached_property
    def _variants(self) -> dict[str, tuple[Language, LanguageQueries]]:
        """Grammars and queries of `suffix_grammars`, each made when first needed."""
        return {}

    def grammar_for(self, path: str) -> tuple[Language, LanguageQueries]:
        """The grammar and compiled queries that parse `path` (by its suffix)."""
        if self.suffix_grammars:
            suffix = posixpath.splitext(path)[1]
            variant = self._variants.get(suffix)
            if variant is not None:
                return variant
            for candidate, loader in self.suffix_grammars:
                if candidate == suffix:
                    grammar = Language(loader())
                    folder = resources.files(self.package).joinpath("queries")
                    queries = LanguageQueries(self.name, grammar, folder, self.extra_concerns)
                    variant = (grammar, queries)
                    # Two threads may both compile it; either result is the same.
                    return self._variants.setdefault(suffix, variant)
        return self.grammar, self.queries

    def extract(
        self, path: str, source: bytes, module: str, old_tree: Tree | None = None
    ) -> tuple[FileFacts, Tree]:
        """Parse one file and extract its facts; never raises on bad input.

        `path` is workspace-relative with forward slashes, `module` the file's module
        name from the layout. `old_tree`, when given, must already have had
        `Tree.edit` applied for the change; it makes the parse incremental. Returns
        the facts and the new tree (keep it for the next incremental parse).
        """
        # tree-sitter parsers are not thread-safe, and creating one costs well under a
        # microsecond, so every parse gets its own: parsing stays free of shared state.
        grammar, queries = self.grammar_for(path)
        parser = Parser(grammar)
        text = SourceText(source)
        try:
            tree = parser.parse(source, old_tree) if old_tree is not None else parser.parse(source)
        except Exception:  # e.g. an old tree from another language: parse from scratch
            tree = parser.parse(source)
        extraction = self.extraction(self.syntax, queries, path, module, text, tree)
        try:
            extraction.run()
        except Exception as error:
            # Last resort: a bug here must not lose the file. Keep what was extracted.
            extraction.diagnostics.append(
                Diagnostic(
                    severity="error",
                    message=f"internal error during extraction: {type(error).__name__}: {error}",
                )
            )
        try:
            facts = extraction.facts()
        except Exception as error:
            extraction.chunks_done = False
            extraction.diagnostics.append(
                Diagnostic(
                    severity="error",
                    message=f"internal error while chunking: {type(error).__name__}: {error}",
                )
            )
            facts = extraction.facts()
        return facts, tree

    def extract_facts(self, path: str, source: bytes, module: str) -> FileFacts:
        """`extract` without the tree: for worker processes (facts pickle, trees do not)."""
        return self.extract(path, source, module)[0]
