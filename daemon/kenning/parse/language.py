"""Loading a language's query files and compiling them into one query.

Each language keeps its knowledge in `queries/<language>/<concern>.scm`. All concerns
are compiled into one `Query` because each query run is a full walk of the tree in C
(about 2.5 ms for a 3,500-line file); one combined run costs barely more than a
single one. `LanguageQueries.roles` maps each pattern back to the file it came from,
so extraction can dispatch matches by concern.
"""

from __future__ import annotations

from importlib import resources

from tree_sitter import Language, Query

# Concerns run on every file, in this order. `errors` is separate: it runs only when
# the tree has an error, so clean files never pay for it.
CONCERNS = ("definitions", "docstrings", "imports", "calls", "bases")


def query_text(language: str, concern: str) -> str:
    """The text of `queries/<language>/<concern>.scm`."""
    package = resources.files("kenning.parse.queries")
    return package.joinpath(language, f"{concern}.scm").read_text(encoding="utf-8")


class LanguageQueries:
    """The compiled queries of one language. Immutable, so threads may share it."""

    def __init__(self, name: str, language: Language) -> None:
        self.name = name
        self.language = language
        parts: list[str] = []
        starts: list[tuple[int, str]] = []
        offset = 0
        for concern in CONCERNS:
            text = query_text(name, concern) + "\n"
            starts.append((offset, concern))
            parts.append(text)
            offset += len(text.encode("utf-8"))
        self.query = Query(language, "".join(parts))
        roles: list[str] = []
        for index in range(self.query.pattern_count):
            start = self.query.start_byte_for_pattern(index)
            roles.append(next(c for o, c in reversed(starts) if o <= start))
        self.roles: tuple[str, ...] = tuple(roles)
        self.errors = Query(language, query_text(name, "errors"))
