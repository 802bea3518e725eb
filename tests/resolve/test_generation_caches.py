"""What the resolver keeps per generation of the model for calls guessed by name (the
definitions a name may reach) and for typed calls (which classes are protocols) is
dropped by a change: the same resolver sees the change at its next call (a saved file
that reuses its calls' resolutions: `test_call_reuse.py`)."""

from __future__ import annotations

from kenning.core.graph import Resolution
from kenning.languages import Resolvers
from kenning.languages.python import PYTHON
from kenning.resolve.model import WorkspaceModels

SINK = """\
class Sink:
    def frobnicate(self):
        return 1
"""
SINK_PROTOCOL = """\
from typing import Protocol


class Sink(Protocol):
    def frobnicate(self):
        ...
"""
TYPED_USER = """\
from sink import Sink


def use(s: Sink):
    return s.frobnicate()
"""
HELPER = "def frobnicate():\n    return 1\n"
OTHER = "def other():\n    return 2\n"
OTHER_WITH_HELPER = OTHER + "\n\ndef frobnicate():\n    return 3\n"
PLAIN_USER = """\
def use():
    return frobnicate()


def use_again():
    return frobnicate()
"""


def _models(files: dict[str, str]) -> WorkspaceModels:
    models = WorkspaceModels()
    for path, text in files.items():
        models.add_facts(PYTHON.extract_facts(path, text.encode(), path.removesuffix(".py")))
    return models


def _edges(resolvers: Resolvers, path: str, text: str) -> list[set[tuple[str, str]]]:
    facts = PYTHON.extract_facts(path, text.encode(), path.removesuffix(".py"))
    return [
        {(t.id, str(t.resolution)) for t in (target, *target.more)}
        for target in resolvers.resolve_file(facts).calls
    ]


def test_a_class_that_becomes_a_protocol_is_no_longer_a_typed_target() -> None:
    models = _models({"sink.py": SINK, "user.py": TYPED_USER})
    resolvers = Resolvers(models)
    assert _edges(resolvers, "user.py", TYPED_USER) == [
        {("sink.py#Sink.frobnicate", str(Resolution.TYPED))}
    ]

    models.replace(PYTHON.extract_facts("sink.py", SINK_PROTOCOL.encode(), "sink"))

    # A protocol's members never run: only the name is known, and no other class
    # defines it.
    assert _edges(resolvers, "user.py", TYPED_USER) == [
        {("ext:frobnicate", str(Resolution.UNRESOLVED))}
    ]


def test_a_second_definition_of_a_guessed_name_makes_both_candidates() -> None:
    models = _models({"helper.py": HELPER, "other.py": OTHER, "user.py": PLAIN_USER})
    resolvers = Resolvers(models)
    one = {("helper.py#frobnicate", str(Resolution.NAME_ONLY))}
    assert _edges(resolvers, "user.py", PLAIN_USER) == [one, one]

    models.replace(PYTHON.extract_facts("other.py", OTHER_WITH_HELPER.encode(), "other"))

    both = {
        ("helper.py#frobnicate", str(Resolution.CANDIDATE)),
        ("other.py#frobnicate", str(Resolution.CANDIDATE)),
    }
    assert _edges(resolvers, "user.py", PLAIN_USER) == [both, both]
