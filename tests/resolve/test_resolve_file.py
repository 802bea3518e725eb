"""A file's call sites are resolved as each would be on its own: a call like one
before it in the file (all its fields but its span) takes that one's target, which is
exact only while a resolver is a function of those fields and of the model."""

from __future__ import annotations

from pathlib import Path

from kenning.core.facts import FileFacts
from kenning.languages import LANGUAGES, Resolvers
from kenning.languages.python import PYTHON
from kenning.resolve.model import WorkspaceModels
from kenning.resolve.reuse import call_key

FIXTURES = Path(__file__).parents[1] / "languages"

REPEATS = """\
import os


class Base:
    def run(self):
        return 1


class Sub(Base):
    def run(self):
        self.helper()
        self.helper()
        return os.getcwd() + os.getcwd()

    def helper(self):
        run = len
        return run([]) + self.run()


def run():
    return run() + run()
"""


def _fixture_facts() -> list[FileFacts]:
    found = [PYTHON.extract_facts("repeats.py", REPEATS.encode(), "repeats")]
    for path in sorted(FIXTURES.glob("*/fixtures/**/*")):
        language = next((lang for lang in LANGUAGES if path.suffix in lang.suffixes), None)
        if language is None or not path.is_file():
            continue
        rel = path.relative_to(FIXTURES).as_posix()
        found.append(language.extract_facts(rel, path.read_bytes(), rel.replace("/", ".")))
    return found


def test_each_call_of_a_file_resolves_as_it_would_alone() -> None:
    files = _fixture_facts()
    models = WorkspaceModels()
    for facts in files:
        models.add_facts(facts)
    together, alone = Resolvers(models), Resolvers(models)
    repeated = 0
    for facts in files:
        # Repeats as `resolve_file` finds them.
        keys = [call_key(call) for call in facts.calls]
        repeated += len(keys) - len(set(keys))
        expected = [alone.resolve_call(facts.path, call) for call in facts.calls]
        assert together.resolve_file(facts).calls == expected, facts.path
    assert repeated > 5
