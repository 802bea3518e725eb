"""Resolved graph data: where each call, import and base class points, and how sure we are.

Resolution turns the per-file facts into edges. Every edge records how it was resolved
(`Resolution`) and a confidence in [0, 1], so a user can tell an exact import-resolved
edge from a guess made by name alone.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from kenning.core.facts import CallSite


class Resolution(StrEnum):
    """How an edge was resolved. Each kind means the same in every language."""

    # A definition nested in the calling function (or an enclosing one).
    LOCAL = "local"
    # A definition of the same file, or of the same package where a package shares
    # one scope (Go, Java).
    SAME_FILE = "same-file"
    # Through the enclosing type and its bases: `self.x()`, `this.x()`, `Self::x()`,
    # `super().x()`, a Go method on the receiver's type.
    SELF = "self"
    # A name bound by an import (followed through re-exports) or `alias.attr`.
    IMPORT = "import"
    # Through a type the code states: a parameter, field or local declared `x: Foo`.
    TYPED = "typed"
    # Chosen among workspace definitions by name alone (only where one definition has
    # the name; with several, every one is a `candidate`).
    NAME_ONLY = "name-only"
    # One of several workspace definitions the name could mean, with nothing to choose
    # between them: a call site gets an edge to each, not presented as resolved.
    CANDIDATE = "candidate"
    # An override, in a subclass in the workspace, of the method a `self.m()` call
    # resolved to: virtual dispatch may reach it. An extra edge of that call site.
    OVERRIDE = "override"
    # A parameter called as a function, and a function the same file passes for it
    # (`def _group(match): match(t)` called as `_group(is_keyword)`): an edge to each
    # function passed.
    CALLBACK = "callback"
    # Code the syntax runs without a call expression, through a receiver whose type
    # the code states: a property's getter or setter (`self.x`, `self.x = v`) ...
    PROPERTY = "property"
    # ... a special method run by syntax or a builtin (`obj[k]` -> `__getitem__`,
    # `len(obj)` -> `__len__`, `for x in obj` -> `__iter__`, `with obj` -> `__enter__`
    # and `__exit__`) ...
    PROTOCOL = "protocol"
    # ... or a decorator, called when the definition it decorates runs (`@cache`).
    DECORATOR = "decorator"
    # An extra edge of a call whose answer is the overrides of the method it names,
    # because that method never runs as written (Python: its body only raises
    # `NotImplementedError`, or it is an `@abstractmethod`): the abstract method itself,
    # kept so that "who calls this" on it still finds the call.
    ABSTRACT = "abstract"
    # A name the language itself provides: Python's builtins (`len`, `ValueError`),
    # JavaScript's globals, Go's predeclared functions, Rust's prelude, `java.lang`.
    BUILTIN = "builtin"
    # Bound by an import of a module outside the workspace (`os.path.join`).
    EXTERNAL = "external"
    # Nothing matched; the target is a placeholder named after the callee.
    UNRESOLVED = "unresolved"


EXTERNAL_PREFIX = "ext:"


class Target(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """Where one call, import or base points. External targets have ids `ext:<name>`.

    `more` are further edges of the same site: the overrides a virtual call may reach,
    or the other candidates of a name several definitions share.
    """

    id: str
    resolution: Resolution
    confidence: float
    more: tuple[Target, ...] = ()

    @property
    def is_external(self) -> bool:
        return self.id.startswith(EXTERNAL_PREFIX)


def external_id(name: str) -> str:
    return EXTERNAL_PREFIX + name


def makes_call_edge(call: CallSite, target: Target) -> bool:
    """Whether a call site resolved to `target` is a call of the graph. Code without call
    syntax (`obj.x` that may be a property, `for x in obj`) is one only when it reaches
    a workspace definition: `self.x` that is no property is a plain attribute."""
    return not (call.implicit and target.resolution == Resolution.UNRESOLVED)


class ResolvedFile(msgspec.Struct):
    """Targets for one file's facts, aligned index by index with its calls/imports/bases."""

    path: str
    calls: list[Target]
    imports: list[Target]
    bases: list[Target]
