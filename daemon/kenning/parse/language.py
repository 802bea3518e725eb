"""What extraction needs to know of a language: its compiled queries and its syntax.

Each language keeps its knowledge in `.scm` query files, one per concern, in its own
folder under `kenning/languages/<name>/queries/`. All concerns are compiled into one
`Query` because each query run is a full walk of the tree in C (about 2.5 ms for a
3,500-line file); one combined run costs barely more than a single one.
`LanguageQueries.roles` maps each pattern back to the file it came from, so extraction
can dispatch matches by concern.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources.abc import Traversable

from tree_sitter import Language, Query

# Concerns run on every file, in this order. `errors` is separate: it runs only when
# the tree has an error, so clean files never pay for it. A language may leave out a
# concern it has nothing for (an empty file is fine too). `locals` holds declarations
# whose types a language's resolver reads (`Foo x` in Java); its captures go to
# `Extraction.local_declaration` as they are.
CONCERNS = ("definitions", "docstrings", "imports", "calls", "bases", "locals")


@dataclass(frozen=True, slots=True)
class LanguageSyntax:
    """The bits of a language's surface syntax that chunks and symbols are written in."""

    name: str  # "python", "typescript", ...: the `language` of its files and chunks
    line_comment: str  # "#" or "//": chunk headers are written as comments
    # Appended to a member's signature in a type's outline chunk: ": ..." for Python,
    # " { ... }" for languages with braces.
    stub_suffix: str
    # Joins names in qualified names: "." for most, "::" for Rust.
    separator: str = "."
    # Comment prefixes that make a comment right above a definition its doc comment
    # ("///" for rustdoc, "/**" for JSDoc and Javadoc, "//" for Go). Empty: the
    # language's docs come from the `docstrings` query instead.
    doc_comment_prefixes: tuple[str, ...] = ()


def _read(folder: Traversable, concern: str) -> str:
    file = folder.joinpath(f"{concern}.scm")
    return file.read_text(encoding="utf-8") if file.is_file() else ""


class LanguageQueries:
    """The compiled queries of one language. Immutable, so threads may share it."""

    def __init__(
        self,
        name: str,
        language: Language,
        folder: Traversable,
        extra_concerns: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.language = language
        parts: list[str] = []
        starts: list[tuple[int, str]] = []
        offset = 0
        # A language's own concerns (`extra_concerns`) ride along in the same walk; their
        # matches go to `Extraction.concern_match` under the concern's name.
        for concern in (*CONCERNS, *extra_concerns):
            text = _read(folder, concern) + "\n"
            starts.append((offset, concern))
            parts.append(text)
            offset += len(text.encode("utf-8"))
        self.query = Query(language, "".join(parts))
        roles: list[str] = []
        for index in range(self.query.pattern_count):
            start = self.query.start_byte_for_pattern(index)
            roles.append(next(c for o, c in reversed(starts) if o <= start))
        self.roles: tuple[str, ...] = tuple(roles)
        self.errors = Query(
            language, _read(folder, "errors") or "(ERROR) @error (MISSING) @missing"
        )
