"""Resolved graph data: where each call, import and base class points, and how sure we are.

Resolution turns the per-file facts into edges. Every edge records how it was resolved
(`Resolution`) and a confidence in [0, 1], so a user can tell an exact import-resolved
edge from a guess made by name alone.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class Resolution(StrEnum):
    # A nested function of the calling function (or an enclosing one).
    LOCAL = "local"
    # A module-level definition of the same file.
    SAME_FILE = "same-file"
    # `self.x()` / `cls.x()` / `super().x()` through the class and its bases.
    SELF = "self"
    # A name bound by an import (followed through re-exports) or `alias.attr`.
    IMPORT = "import"
    # Chosen among workspace definitions by name alone.
    NAME_ONLY = "name-only"
    # A Python builtin (`len`, `print`, `ValueError`).
    BUILTIN = "builtin"
    # Bound by an import of a module outside the workspace (`os.path.join`).
    EXTERNAL = "external"
    # Nothing matched; the target is a placeholder named after the callee.
    UNRESOLVED = "unresolved"


EXTERNAL_PREFIX = "ext:"


class Target(msgspec.Struct, frozen=True, array_like=True):
    """Where one call, import or base points. External targets have ids `ext:<name>`."""

    id: str
    resolution: Resolution
    confidence: float

    @property
    def is_external(self) -> bool:
        return self.id.startswith(EXTERNAL_PREFIX)


def external_id(name: str) -> str:
    return EXTERNAL_PREFIX + name


class ResolvedFile(msgspec.Struct):
    """Targets for one file's facts, aligned index by index with its calls/imports/bases."""

    path: str
    calls: list[Target]
    imports: list[Target]
    bases: list[Target]
