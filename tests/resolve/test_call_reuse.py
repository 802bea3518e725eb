"""Reusing an open file's call resolutions from one save to the next
(`resolve/reuse.py`): after every save of a series of real edits over real files, the
targets, reused or not, equal what a resolver made afresh on the same model gives,
field by field; and saves that change only bodies do reuse most of them."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from kenning.core.facts import FileFacts
from kenning.core.graph import Target
from kenning.languages import Layouts, Resolvers, for_path
from kenning.resolve.model import WorkspaceModels
from kenning.resolve.reuse import (
    CallResolutions,
    ModelChanges,
    RecordingResolver,
    Snapshot,
    resolve_calls,
)

DAEMON = Path(__file__).resolve().parents[2] / "daemon"
# Workspace-relative paths and their facts (or their text, extracted when the model is built).
Sources = dict[str, FileFacts | str]


class Session:
    """A workspace's model and its long-lived resolver, as the daemon's writer keeps
    them, with one open file saved again and again."""

    def __init__(self, root: Path, files: Sources) -> None:
        self.root = root
        self.layouts = Layouts(root, sorted(files))
        self.models = WorkspaceModels()
        for path, given in sorted(files.items()):
            facts = self.extract(path, given.encode()) if isinstance(given, str) else given
            self.models.add_facts(facts)
        self.resolvers = Resolvers(self.models)
        self.resolvers.warm()
        self.kept: dict[str, CallResolutions] = {}
        self.changes = ModelChanges()
        self.reused = 0

    def extract(self, path: str, source: bytes) -> FileFacts:
        language = for_path(path)
        assert language is not None
        return language.extract_facts(path, source, self.layouts.module_name(path))

    def save(self, path: str, text: str) -> FileFacts:
        """One save of an open file: replace it in the model, resolve its calls reusing
        what its last save may lend, and check every target against a fresh resolver."""
        facts = self.change(path, text)
        model = self.models.model("python")
        resolver = self.resolvers.language_resolver(path)
        assert resolver is not None
        recording: RecordingResolver = resolver  # type: ignore[assignment]
        targets, self.kept[path], reused = resolve_calls(
            recording, model, facts, self.kept.get(path), self.changes
        )
        self.reused += reused
        expected = Resolvers(self.models).resolve_file(facts).calls
        mismatches = [
            (call, got, want)
            for call, got, want in zip(facts.calls, targets, expected, strict=True)
            if got != want
        ]
        assert not mismatches, _explain(mismatches)
        return facts

    def change(self, path: str, text: str) -> FileFacts:
        """A file's new text in the model, the change logged as the indexer logs it."""
        facts = self.extract(path, text.encode())
        snapshot = Snapshot(self.models.model("python"), path, facts)
        self.models.replace(facts)
        self.changes.record(snapshot)
        return facts


def _explain(mismatches: Sequence[tuple[object, Target, Target]]) -> str:
    lines = [f"{len(mismatches)} call(s) resolved differently when reused:"]
    for call, got, want in mismatches[:5]:
        lines.append(f"  {call}\n    reused: {got}\n    afresh: {want}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def kenning_sources() -> Sources:
    """The facts of kenning's own sources (extracted once: models are built anew)."""
    paths = sorted(p.relative_to(DAEMON).as_posix() for p in DAEMON.glob("kenning/**/*.py"))
    layouts = Layouts(DAEMON, paths)
    facts: Sources = {}
    for path in paths:
        language = for_path(path)
        assert language is not None
        facts[path] = language.extract_facts(
            path, (DAEMON / path).read_bytes(), layouts.module_name(path)
        )
    return facts


INDEXER = "kenning/pipeline/indexer.py"
RESOLVE = "kenning/languages/python/resolve.py"


def _edits(text: str) -> list[tuple[str, str]]:
    """The series of saves: each named, each the whole new text."""
    saves: list[tuple[str, str]] = []

    def add(name: str, new: str) -> None:
        assert new != (saves[-1][1] if saves else text), name
        saves.append((name, new))

    # An edit inside one function: a statement before its first `return`.
    match = re.search(r"\n(\s+)return ", text)
    assert match is not None
    indent = match.group(1)
    body = text[: match.start()] + f"\n{indent}probe = len(str(indent))" + text[match.start() :]
    add("edit inside a function", body)
    # Lines inserted above a definition (after the imports).
    first_def = body.index("\ndef ") if "\ndef " in body else body.index("\nclass ")
    above = body[:first_def] + "\n# a comment\n# and another\n" + body[first_def:]
    add("lines inserted above", above)
    # A new function, then a call of it from an existing function.
    new_function = above + "\n\ndef probe_helper(x):\n    return sorted(x)\n"
    add("a new function", new_function)
    caller = new_function.replace(
        f"\n{indent}probe = len(str(indent))", f"\n{indent}probe = probe_helper([indent])", 1
    )
    add("a call of the new function", caller)
    # A rename of the new function (its caller now names what is gone).
    add("a rename", caller.replace("def probe_helper(", "def probe_helper_renamed("))
    renamed = saves[-1][1]
    # An import change: a name imported under another name.
    imported = re.search(r"^from (\S+) import (\w+)$", renamed, re.M)
    assert imported is not None
    line = imported.group(0)
    add("an import change", renamed.replace(line, f"{line} as {imported.group(2)}_alias", 1))
    changed_import = saves[-1][1]
    # A class attribute: a `self.x = ...` whose stated type changes.
    attribute = re.search(r"^(\s+)self\.(\w+) = (.+)$", changed_import, re.M)
    if attribute is not None:
        add(
            "a class attribute change",
            changed_import.replace(
                attribute.group(0),
                f"{attribute.group(1)}self.{attribute.group(2)} = WorkspaceModels()",
                1,
            ),
        )
    # A deletion: the new function goes.
    current = saves[-1][1]
    add(
        "a deletion",
        current.replace("\n\ndef probe_helper_renamed(x):\n    return sorted(x)\n", ""),
    )
    # A syntax error mid-edit, then the edit finished.
    current = saves[-1][1]
    broken = current[:first_def] + "\ndef half_typed(:\n" + current[first_def:]
    add("a syntax error", broken)
    add(
        "the edit finished",
        current[:first_def] + "\ndef half_typed():\n    return 1\n" + current[first_def:],
    )
    # And back to the original.
    add("reverted", text)
    return saves


@pytest.mark.parametrize("path", [INDEXER, RESOLVE])
def test_each_kind_of_edit_resolves_as_afresh(kenning_sources: Sources, path: str) -> None:
    session = Session(DAEMON, kenning_sources)
    text = (DAEMON / path).read_text()
    session.save(path, text)  # opened: nothing to reuse yet
    assert session.reused == 0
    for name, new in _edits(text):
        before = session.reused
        session.save(path, new)
        if name == "edit inside a function":
            # Only the edited call's neighbours changed: nearly every target is reused.
            calls = len(session.extract(path, new.encode()).calls)
            assert session.reused - before > calls // 2, name


def test_another_files_change_counts_when_logged(kenning_sources: Sources) -> None:
    session = Session(DAEMON, kenning_sources)
    text = (DAEMON / INDEXER).read_text()
    session.save(INDEXER, text)
    other = (DAEMON / RESOLVE).read_text()
    # Another file gains a definition the open file's calls may look up: logged, so
    # what the change did not touch is reused (and `save` checks every target).
    session.change(RESOLVE, other + "\ndef _stat():\n    pass\n")
    before = session.reused
    session.save(INDEXER, text + "\n")
    assert session.reused > before
    # A change the log does not hold: nothing is reused.
    session.models.replace(session.extract(RESOLVE, other.encode()))
    before = session.reused
    session.save(INDEXER, text)
    assert session.reused == before


def random_saves(text: str, rng: random.Random, count: int) -> Iterator[str]:
    """Random edits as typing makes them: lines deleted, duplicated, a call added, a
    name swapped for another of the file's, lines moved; syntax errors included."""
    lines = text.splitlines(keepends=True)
    words = sorted(set(re.findall(r"\b[a-zA-Z_]\w{2,}\b", text)))
    for _ in range(count):
        i = rng.randrange(len(lines))
        kind = rng.randrange(5)
        if kind == 0 and len(lines) > 1:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[i])
        elif kind == 2:
            indent = re.match(r"\s*", lines[i]).group(0)  # type: ignore[union-attr]
            lines.insert(i, f"{indent}{rng.choice(words)}({rng.choice(words)})\n")
        elif kind == 3:
            found = re.findall(r"\b[a-zA-Z_]\w{2,}\b", lines[i])
            if found:
                lines[i] = lines[i].replace(rng.choice(found), rng.choice(words), 1)
        else:
            j = rng.randrange(len(lines))
            lines.insert(j, lines.pop(i))
        yield "".join(lines)


@pytest.mark.parametrize("path", [INDEXER, RESOLVE, "kenning/engine/engine.py"])
def test_random_edits_resolve_as_afresh(kenning_sources: Sources, path: str) -> None:
    session = Session(DAEMON, kenning_sources)
    text = (DAEMON / path).read_text()
    session.save(path, text)
    others = [p for p in (INDEXER, RESOLVE, "kenning/engine/engine.py") if p != path]
    rng = random.Random(path)
    for count, new in enumerate(random_saves(text, rng, 25)):
        if count % 5 == 4:
            # Another file edited in between (the open file's calls may read its names).
            other = others[count % 2]
            session.change(other, next(random_saves((DAEMON / other).read_text(), rng, 1)))
        session.save(path, new)
    assert session.reused > 0


STORE = """\
class Inner:
    def get(self):
        return 1


class Other:
    def get(self):
        return 2


def make_inner() -> Inner:
    return Inner()


class Store:
    def __init__(self):
        self.inner = make_inner()


class Engine:
    def __init__(self):
        self.store = Store()

    def first(self):
        return self.store.inner.get()

    def second(self):
        return self.store.inner.get()
"""


def test_what_a_cached_type_read_counts_for_every_call_that_uses_it(tmp_path: Path) -> None:
    # Both calls type `self.store.inner` through one cached attribute type (`inner` of
    # `Store`), computed for the first; a save that changes what `make_inner` returns
    # changes both.
    session = Session(tmp_path, {"app.py": STORE})
    session.save("app.py", STORE)
    edited = STORE.replace("-> Inner:", "-> Other:")
    facts = session.save("app.py", edited)
    resolved = Resolvers(session.models).resolve_file(facts).calls
    assert [t.id for t in resolved if t.id.endswith(".get")] == ["app.py#Other.get"] * 2


HELPER = "def frobnicate():\n    return 1\n"
OTHER = "def other():\n    return 2\n"
PLAIN_USER = """\
def use():
    return frobnicate()


def use_again():
    return frobnicate()
"""


def test_a_saved_file_reusing_a_guess_sees_a_second_definition(tmp_path: Path) -> None:
    # The second call of `frobnicate` is answered from the cache entry the first filled:
    # what the entry read counts for both, so another file's new definition of the
    # name (a function: the shape stays, and the saved file's calls may be reused)
    # resolves both again. `Session.save` checks each save against a fresh resolver.
    session = Session(tmp_path, {"helper.py": HELPER, "other.py": OTHER, "user.py": PLAIN_USER})
    session.save("user.py", PLAIN_USER)
    session.save("user.py", PLAIN_USER)
    assert session.reused == 2
    session.change("other.py", OTHER + "\n\ndef frobnicate():\n    return 3\n")
    facts = session.save("user.py", PLAIN_USER)
    assert session.reused == 2
    resolved = Resolvers(session.models).resolve_file(facts).calls
    assert [str(t.resolution) for t in resolved] == ["candidate"] * 2


DJANGO = Path(__file__).resolve().parents[2] / "bench" / ".cache" / "corpora" / "django-5.2.8"
DJANGO_FILES = [
    "django/db/models/query.py",
    "django/contrib/admin/options.py",
    "django/db/models/base.py",
    "django/forms/models.py",
    "django/core/handlers/base.py",
]


@pytest.mark.slow
@pytest.mark.skipif(not (DJANGO / "django").is_dir(), reason="the Django corpus is not on disk")
def test_django_edits_resolve_as_afresh() -> None:
    # The named edits and 40 random ones on five Django modules, another of them
    # edited at random every fifth save (`python bench/phase1.py django --fetch-only` fetches
    # Django).
    paths = sorted(p.relative_to(DJANGO).as_posix() for p in (DJANGO / "django").rglob("*.py"))
    session = Session(DJANGO, {p: (DJANGO / p).read_text(errors="replace") for p in paths})
    for path in DJANGO_FILES:
        text = (DJANGO / path).read_text()
        session.save(path, text)
        for _, new in _edits(text):
            session.save(path, new)
        rng = random.Random(path)
        for count, new in enumerate(random_saves(text, rng, 40)):
            if count % 5 == 4:
                other = DJANGO_FILES[(DJANGO_FILES.index(path) + 1 + count % 3) % 5]
                session.change(other, next(random_saves((DJANGO / other).read_text(), rng, 1)))
            session.save(path, new)
        session.save(path, text)
    assert session.reused > 0
