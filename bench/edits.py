"""Deterministic, realistic edits for the one-changed-file phase.

Each edit is the file's original text with one statement appended to the body of one
function: a new local whose name is a unique token, assigned from a call. That changes
the function's body, its chunk and its outgoing calls, which is what a person saving a
file after a small change does. Edits rotate through the file's functions so that
successive saves touch different places, and every edit starts again from the original
text so the file does not grow over the run.

``plan_renames`` makes the other kind of save: one function renamed to a name found
nowhere else, for ``lsp_latency.py``, which watches the new name appear in the answers.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionSite:
    """Where a statement can be appended inside one function body."""

    qualname: str
    insert_after_line: int  # 1-based line after which the new statement goes
    indent: str


@dataclass(frozen=True)
class Edit:
    """One save: the file, its full new text and the token only this edit introduces."""

    path: str
    text: str
    token: str
    function: str


def function_sites(source: str) -> list[FunctionSite]:
    """Functions and methods whose body sits on its own lines, in source order."""
    tree = ast.parse(source)
    lines = source.splitlines()
    sites: list[FunctionSite] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                first, last = child.body[0], child.body[-1]
                # `def f(): pass` has no indented block to append to; skip it.
                if first.lineno > child.lineno and last.end_lineno is not None:
                    line = lines[first.lineno - 1]
                    indent = line[: len(line) - len(line.lstrip())]
                    sites.append(FunctionSite(f"{prefix}{child.name}", last.end_lineno, indent))
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return sites


def make_edit(path: str, original: str, site: FunctionSite, token: str) -> Edit:
    """Append ``<token> = len(__name__)`` as the last statement of ``site``'s body."""
    lines = original.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline  # the insertion may land after a final line without one
    statement = f"{site.indent}{token} = len(__name__){newline}"
    lines.insert(site.insert_after_line, statement)
    return Edit(path, "".join(lines), token, site.qualname)


# Digits spelt as letters that a hexadecimal nonce does not use (0 -> g ... 9 -> p).
DIGIT_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def plan_edits(originals: dict[str, str], count: int, nonce: str) -> list[Edit]:
    """``count`` edits spread round-robin over the files in ``originals`` (sorted order).

    Tokens are ``kbench<nonce>e<index>`` with every digit spelt as a letter
    (``DIGIT_LETTERS``): lower-case letters only, so any text-search tokenizer keeps them
    whole (kenning's full-text field splits letters from digits: `e0003` would be the
    words e and 0003, shared by every other token of the run), and the per-run nonce
    keeps them unique across runs.
    """
    paths = sorted(originals)
    sites = {path: function_sites(originals[path]) for path in paths}
    for path, found in sites.items():
        if not found:
            raise ValueError(f"{path}: no function with an indented body to edit")
    edits: list[Edit] = []
    for index in range(count):
        path = paths[index % len(paths)]
        # Stride through the functions so consecutive saves of one file touch
        # different functions, and do not simply walk the file top to bottom.
        turn = index // len(paths)
        site = sites[path][(turn * 7) % len(sites[path])]
        token = f"kbench{nonce}e{index:04d}".translate(DIGIT_LETTERS)
        edits.append(make_edit(path, originals[path], site, token))
    for edit in edits:
        ast.parse(edit.text)  # an invalid edit would measure error recovery, not a save
    return edits


@dataclass(frozen=True)
class NameSite:
    """Where a function's name is written on its ``def`` line, in LSP terms: 0-based
    line and UTF-16 column, as an editor would send them."""

    path: str
    qualname: str
    name: str
    line: int
    character: int
    # Whether kenning gives the function a chunk of its own: defined directly in a
    # module, or in a class that is itself so defined (the rule `evalset` states).
    # A closure's text lives in its parent's chunk.
    owns_chunk: bool


# LSP's line breaks: ``str.splitlines`` would also split on form feeds and the like,
# which real files (Django's) contain and which neither ``ast`` nor LSP count.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def function_names(path: str, source: str) -> list[NameSite]:
    """Functions and methods, dunders left out, with their name's position, in source order."""
    tree = ast.parse(source)
    lines = _LINE_BREAK.split(source)
    sites: list[NameSite] = []

    def visit(node: ast.AST, prefix: str, owner: bool) -> None:
        body = getattr(node, "body", [])
        for child in ast.iter_child_nodes(node):
            owns = owner and any(child is stmt for stmt in body)
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.", owns)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                line = lines[child.lineno - 1]
                found = re.search(rf"\bdef\s+({re.escape(child.name)})\b", line)
                if found and not child.name.startswith("__"):
                    column = len(line[: found.start(1)].encode("utf-16-le")) // 2
                    qualname = prefix + child.name
                    sites.append(
                        NameSite(path, qualname, child.name, child.lineno - 1, column, owns)
                    )
                visit(child, f"{prefix}{child.name}.", False)
            else:
                visit(child, prefix, False)

    visit(tree, "", True)
    return sites


@dataclass(frozen=True)
class Rename:
    """One save that gives one function a new name found nowhere else in the corpus."""

    site: NameSite
    new_name: str


def plan_renames(originals: dict[str, str], count: int, nonce: str) -> list[Rename]:
    """``count`` renames spread round-robin over the files in ``originals``, striding
    through each file's functions that own a chunk as ``plan_edits`` does (so that the
    renamed function is a search hit of its own). New names are
    ``<name>_kb<nonce>e<index>``: unique per run and per edit."""
    paths = sorted(originals)
    sites = {
        path: [s for s in function_names(path, originals[path]) if s.owns_chunk] for path in paths
    }
    for path, found in sites.items():
        if not found:
            raise ValueError(f"{path}: no function to rename")
    renames = []
    for index in range(count):
        path = paths[index % len(paths)]
        turn = index // len(paths)
        site = sites[path][(turn * 7) % len(sites[path])]
        renames.append(Rename(site, f"{site.name}_kb{nonce}e{index:04d}"))
    return renames
