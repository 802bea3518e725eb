"""The docstring -> function evaluation set, and the copy of a corpus that hides its answers.

A *target* is a function or method with a docstring; its *query* is the docstring's first
sentence. The retrieval benchmark (``retrieval.py``) indexes a copy of the corpus in which
exactly the sampled targets' docstrings are blanked, so the words of a query are not
sitting next to the answer in the index: the search has to find the function from its
name, signature, body and surroundings, as it would for a person describing what they
want.

What becomes a target (see ``collect``):

- functions and methods that kenning gives a chunk of their own: defined directly in a
  module body, or directly in the body of a class that is itself such a definition.
  Closures, functions nested in functions and definitions under a module-level
  ``if``/``try`` live inside another chunk, so "find that function" has no answer;
- not in a test or documentation folder (``SKIPPED_DIRS``), not a ``test_*.py`` file:
  the index holds those files, but they are not the code a person searches for;
- not a dunder method (``__init__``, ``__repr__``): their docstrings are mostly
  "Initialize self." boilerplate or say what the class does;
- a first sentence of at least ``MIN_WORDS`` words;
- a first sentence no other definition (function, method or class, anywhere in the
  corpus, tests included) shares, compared case-insensitively: such a query has two
  right answers, and the other copy stays in the index.

The class-level set (``collect(..., classes=True)``) is built by the same rules from
classes with a docstring that get a chunk of their own (their outline): the query is
the class docstring's first sentence and the answer is the class. It measures the other
side of "a method against its class outline".

Other languages (``collect_doc_comments``): the same rules over the definitions kenning
itself extracts from TypeScript, JavaScript, Go, Java or Rust files, with the doc
comment right above a definition (JSDoc, Go doc comments, rustdoc, Javadoc) as its
docstring. Its first sentence stops before the first JSDoc tag line (``@param``); a Go
doc comment's first word is the name it documents (the Go convention), which is dropped,
so the query describes the definition rather than names it. Blanking empties the
comment's lines (each keeps its line break), so every line keeps its number.

Sampling is deterministic: ``random.Random(seed).sample`` over the targets in path and
line order, then sorted back into that order.
"""

from __future__ import annotations

import ast
import os
import random
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Folders whose files are indexed but never evaluated: tests, and documentation or
# example scripts (their helpers are plotting and demo code, not library API).
SKIPPED_DIRS = frozenset(
    {"tests", "test", "testing", "doc", "docs", "examples", "benchmarks", "asv_benchmarks"}
)
# Never copied into the work tree: kenning's own index and bytecode.
COPY_IGNORED = (".kenning", "__pycache__")
MIN_WORDS = 4

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def first_sentence(docstring: str) -> str:
    """The docstring's first sentence, whitespace-normalised.

    The first paragraph (up to the first blank line), with runs of whitespace collapsed
    to one space, cut before the first ". " (a period followed by whitespace), with a
    final period removed. "e.g. " therefore ends a sentence early; the ``MIN_WORDS``
    rule drops most such stubs.
    """
    paragraph = _PARAGRAPH_BREAK.split(docstring.strip(), maxsplit=1)[0]
    text = " ".join(paragraph.split())
    sentence = text.split(". ", 1)[0]
    return sentence.rstrip(".").strip()


@dataclass(frozen=True)
class Target:
    """One function whose docstring's first sentence is a query for it.

    Lines are 1-based as in ``ast``; ``doc_col``/``doc_end_col`` are UTF-8 byte offsets
    of the docstring literal, also as ``ast`` gives them.
    """

    path: str  # workspace-relative, posix
    qualname: str  # kenning's form: `Class.method`, no module prefix
    name: str
    kind: str  # "function" or "method"
    line: int  # the `def` line
    end_line: int  # the definition's last line
    doc_line: int
    doc_col: int
    doc_end_line: int
    doc_end_col: int
    query: str
    # "python": the docstring literal is blanked; otherwise the doc comment lines
    # `doc_line..doc_end_line` above the definition are emptied.
    language: str = "python"


@dataclass
class EvalSet:
    """A corpus's sampled targets plus counts of everything that was left out and why."""

    targets: list[Target]
    # How many functions and methods with docstrings were seen in evaluated files.
    candidates: int = 0
    # Why the others were left out: reason -> count (a function counts under one reason).
    skipped: Counter[str] = field(default_factory=Counter)
    # Targets left after the filters, before sampling.
    eligible: int = 0


@dataclass(frozen=True)
class _Definition:
    """A `def` or `class` with a docstring, as `collect` sees it."""

    target: Target
    is_owner: bool  # gets a chunk of its own in kenning
    is_function: bool


def is_test_or_doc(rel: str) -> bool:
    """Whether a workspace-relative path is test, documentation or example code."""
    parts = rel.split("/")
    name = parts[-1]
    if any(part in SKIPPED_DIRS for part in parts[:-1]):
        return True
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def _is_test(rel: str) -> bool:
    from kenning.query.search import is_test_path

    return is_test_or_doc(rel) or is_test_path(rel)


def python_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every ``.py`` file under `root` as (posix relative path, path), sorted by path."""
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in COPY_IGNORED and not d.startswith("."))
        for name in files:
            if name.endswith(".py"):
                path = Path(folder, name)
                found.append((path.relative_to(root).as_posix(), path))
    yield from sorted(found)


def definitions(rel: str, source: bytes) -> list[_Definition]:
    """Every function, method and class with a docstring in one file, in source order.

    Raises `SyntaxError` (or `ValueError` for NUL bytes) when the file does not parse.
    """
    tree = ast.parse(source, filename=rel)
    found: list[_Definition] = []
    # (node, qualified name, gets its own chunk, is a class) for each enclosing scope.
    stack: list[tuple[ast.AST, str, bool, bool]] = [(tree, "", True, True)]

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                parent, parent_qual, parent_owner, parent_is_class = stack[-1]
                body = getattr(parent, "body", None)
                # Owners sit directly in a module's or an owning class's body.
                directly = isinstance(body, list) and any(child is stmt for stmt in body)
                is_owner = parent_owner and parent_is_class and directly
                qualname = f"{parent_qual}.{child.name}" if parent_qual else child.name
                is_function = not isinstance(child, ast.ClassDef)
                doc = _docstring_node(child)
                if doc is not None:
                    text = ast.get_docstring(child) or ""
                    kind = "method" if is_function and isinstance(parent, ast.ClassDef) else ""
                    found.append(
                        _Definition(
                            Target(
                                path=rel,
                                qualname=qualname,
                                name=child.name,
                                kind=kind or ("function" if is_function else "class"),
                                line=child.lineno,
                                end_line=child.end_lineno or child.lineno,
                                doc_line=doc.lineno,
                                doc_col=doc.col_offset,
                                doc_end_line=doc.end_lineno or doc.lineno,
                                doc_end_col=doc.end_col_offset or 0,
                                query=first_sentence(text),
                            ),
                            is_owner=is_owner,
                            is_function=is_function,
                        )
                    )
                stack.append((child, qualname, is_owner, not is_function))
                visit(child)
                stack.pop()
            else:
                visit(child)

    visit(tree)
    return found


def _docstring_node(node: ast.AST) -> ast.Constant | None:
    body = getattr(node, "body", None)
    if not body:
        return None
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first.value
    return None


def collect(root: Path, cap: int | None = 300, seed: int = 0, classes: bool = False) -> EvalSet:
    """The evaluation set of the corpus at `root` (see the module docstring for the rules):
    functions and methods, or with `classes` the classes."""
    every: list[_Definition] = []
    unparsable = 0
    for rel, path in python_files(root):
        try:
            every.extend(definitions(rel, path.read_bytes()))
        except (SyntaxError, ValueError):
            unparsable += 1
    return _sample(every, unparsable, cap, seed, classes)


def collect_doc_comments(
    root: Path, cap: int | None = 300, seed: int = 0, classes: bool = False
) -> EvalSet:
    """`collect` for the other languages: definitions with a doc comment above them."""
    every: list[_Definition] = []
    for rel, path in source_files(root):
        every.extend(definitions_from_facts(rel, path.read_bytes()))
    return _sample(every, 0, cap, seed, classes)


def _sample(
    every: list[_Definition], unparsable: int, cap: int | None, seed: int, classes: bool
) -> EvalSet:
    # Ambiguity is judged against every definition with a docstring, tests included.
    sentence_count = Counter(d.target.query.lower() for d in every if d.target.query)
    evalset = EvalSet(targets=[])
    if unparsable:
        evalset.skipped["file does not parse"] = unparsable
    eligible: list[Target] = []
    for definition in every:
        target = definition.target
        if definition.is_function == classes or _is_test(target.path):
            continue
        evalset.candidates += 1
        reason = _skip_reason(definition, sentence_count)
        if reason:
            evalset.skipped[reason] += 1
        else:
            eligible.append(target)
    evalset.eligible = len(eligible)
    if cap is not None and len(eligible) > cap:
        chosen = random.Random(seed).sample(range(len(eligible)), cap)
        eligible = [eligible[i] for i in sorted(chosen)]
    evalset.targets = eligible
    return evalset


# Kinds of definitions that are queried as functions, and as types (``classes=True``).
FUNCTION_KINDS = frozenset({"function", "method"})
TYPE_KINDS = frozenset({"class", "interface", "struct", "enum", "trait"})
_COMMENT_STARTS = ("//", "/*", "*")
_SKIPPED_SOURCE_DIRS = frozenset({"node_modules", "vendor", "testdata"})


def source_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every file under `root` that kenning reads in a language other than Python, as
    (posix relative path, path), sorted by path."""
    from kenning.languages import for_path

    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in COPY_IGNORED and d not in _SKIPPED_SOURCE_DIRS and not d.startswith(".")
        )
        for name in files:
            language = for_path(name)
            if language is not None and language.name != "python":
                path = Path(folder, name)
                found.append((path.relative_to(root).as_posix(), path))
    yield from sorted(found)


def doc_comment_lines(lines: list[str], row: int) -> tuple[int, int] | None:
    """The 0-based first and last line of the comment right above line `row` (a
    definition's first line), or None when the line above is not a comment."""
    last = row - 1
    first = last
    while first >= 0 and lines[first].strip().startswith(_COMMENT_STARTS):
        first -= 1
    first += 1
    return (first, last) if first <= last else None


def doc_query(docstring: str, name: str, language: str) -> str:
    """The query a doc comment gives: its first sentence before any tag line, without
    the leading name a Go doc comment starts with."""
    kept: list[str] = []
    for line in docstring.splitlines():
        if line.strip().startswith("@"):
            break
        kept.append(line)
    sentence = first_sentence("\n".join(kept))
    if language == "go":
        head, _, rest = sentence.partition(" ")
        if head == name and rest:
            sentence = rest[0].upper() + rest[1:]
    return sentence


def definitions_from_facts(rel: str, source: bytes) -> list[_Definition]:
    """The definitions with a doc comment in one non-Python file, as kenning extracts them."""
    from kenning.languages import for_path

    language = for_path(rel)
    if language is None:
        return []
    facts = language.extract_facts(rel, source, "m")
    owners = {chunk.symbol_id for chunk in facts.chunks}
    lines = source.decode("utf-8", errors="replace").splitlines()
    found: list[_Definition] = []
    for symbol in facts.symbols:
        kind = str(symbol.kind)
        if not symbol.docstring or kind not in FUNCTION_KINDS | TYPE_KINDS:
            continue
        span = doc_comment_lines(lines, symbol.span.start_line)
        if span is None:  # the comment is not on the lines right above (a decorator between)
            continue
        local = symbol.id.partition("#")[2].partition("@")[0]
        found.append(
            _Definition(
                Target(
                    path=rel,
                    qualname=local,
                    name=symbol.name,
                    kind=kind,
                    line=symbol.selection.start_line + 1,
                    end_line=symbol.span.end_line + 1,
                    doc_line=span[0] + 1,
                    doc_col=0,
                    doc_end_line=span[1] + 1,
                    doc_end_col=0,
                    query=doc_query(symbol.docstring, symbol.name, facts.language),
                    language=facts.language,
                ),
                is_owner=symbol.id in owners,
                is_function=kind in FUNCTION_KINDS,
            )
        )
    return found


def _skip_reason(definition: _Definition, sentence_count: Counter[str]) -> str | None:
    target = definition.target
    if target.name.startswith("__") and target.name.endswith("__"):
        return "dunder method"
    if not definition.is_owner:
        return "no chunk of its own (nested, or under a module-level if/try)"
    if len(target.query.split()) < MIN_WORDS:
        return f"first sentence under {MIN_WORDS} words"
    if sentence_count[target.query.lower()] > 1:
        return "first sentence shared with another definition"
    return None


# ------------------------------------------------------------------------------ blanking


def blank_docstrings(source: bytes, targets: list[Target]) -> bytes:
    """`source` with each target's docstring literal replaced by an empty string literal.

    A one-line literal becomes ``""``; one spanning lines becomes a triple-quoted
    string holding only the same line breaks (each line keeps its own ending), so every
    line after it keeps its number and the file stays valid Python with the function's
    docstring now empty. Text after the literal on its last line is kept.
    """
    lines = source.splitlines(keepends=True)
    # From the bottom up, so earlier offsets stay valid.
    for target in sorted(targets, key=lambda t: (t.doc_line, t.doc_col), reverse=True):
        first, last = target.doc_line - 1, target.doc_end_line - 1
        head = lines[first][: target.doc_col]
        tail = lines[last][target.doc_end_col :]
        if first == last:
            lines[first] = head + b'""' + tail
            continue
        breaks = [_line_ending(line) for line in lines[first:last]]
        lines[first:last + 1] = [head + b'"""' + breaks[0], *breaks[1:], b'"""' + tail]  # fmt: skip
    return b"".join(lines)


def _line_ending(line: bytes) -> bytes:
    for ending in (b"\r\n", b"\n", b"\r"):
        if line.endswith(ending):
            return ending
    return b"\n"


class BlankingError(RuntimeError):
    """Blanking a file changed its structure; the message names the file and what moved."""


def check_blanked(rel: str, before: bytes, after: bytes, targets: list[Target]) -> None:
    """Raise `BlankingError` unless `after` parses, has the same definitions on the same
    lines as `before`, and each target's docstring is now empty."""
    try:
        old, new = ast.parse(before), ast.parse(after)
    except SyntaxError as exc:
        raise BlankingError(f"{rel}: no longer parses after blanking: {exc}") from exc
    if _shape(old) != _shape(new):
        raise BlankingError(f"{rel}: a definition changed its lines after blanking")
    lines = {t.line for t in targets}
    for node in ast.walk(new):
        definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        if not isinstance(node, definition) or node.lineno not in lines:
            continue
        if ast.get_docstring(node):
            raise BlankingError(f"{rel}:{node.lineno}: docstring of {node.name} not blanked")


def blank_comment_lines(source: bytes, targets: list[Target]) -> bytes:
    """`source` with each target's doc comment lines emptied (line breaks kept)."""
    lines = source.splitlines(keepends=True)
    for target in targets:
        for row in range(target.doc_line - 1, target.doc_end_line):
            lines[row] = _line_ending(lines[row])
    return b"".join(lines)


def check_comments_blanked(rel: str, before: bytes, after: bytes, targets: list[Target]) -> None:
    """Raise `BlankingError` unless kenning extracts the same definitions on the same
    lines from `after` as from `before`, with the targets' doc comments gone."""
    from kenning.languages import for_path

    language = for_path(rel)
    assert language is not None
    old = language.extract_facts(rel, before, "m").symbols
    new = language.extract_facts(rel, after, "m").symbols
    if [(s.id, s.span) for s in old] != [(s.id, s.span) for s in new]:
        raise BlankingError(f"{rel}: a definition changed its lines after blanking")
    rows = {t.line - 1 for t in targets}
    for symbol in new:
        if symbol.selection.start_line in rows and symbol.docstring:
            raise BlankingError(f"{rel}:{symbol.selection.start_line + 1}: doc comment kept")


def _shape(tree: ast.AST) -> list[tuple[str, int, int | None]]:
    return [
        (node.name, node.lineno, node.end_lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]


def make_blanked_copy(root: Path, dest: Path, targets: list[Target]) -> int:
    """Copy the corpus at `root` to `dest` (replacing it) and blank the targets' docstrings
    there; returns how many files were rewritten. Checks every rewritten file."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(root, dest, ignore=shutil.ignore_patterns(*COPY_IGNORED), symlinks=True)
    by_file: dict[str, list[Target]] = {}
    for target in targets:
        by_file.setdefault(target.path, []).append(target)
    for rel, file_targets in by_file.items():
        path = dest / rel
        before = path.read_bytes()
        if file_targets[0].language == "python":
            after = blank_docstrings(before, file_targets)
            check_blanked(rel, before, after, file_targets)
        else:
            after = blank_comment_lines(before, file_targets)
            check_comments_blanked(rel, before, after, file_targets)
        path.write_bytes(after)
    return len(by_file)
