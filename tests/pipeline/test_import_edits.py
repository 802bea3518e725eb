"""Saves that change what modules define and import, each checked against a fresh index:
the edges of files a save did not touch that reach a definition through another
module's imports (`from pkg import Foo` where `pkg/__init__.py` imports `Foo`).

Random edits of a few modules (functions added and removed, `from ... import` and
`import ...` of each other, a file deleted) with the live answers and the stores
compared to a full index of the same files after each; each seed here failed on the
build before re-exports were followed (`Indexer._rewires`, `_exports_changed`).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from helpers import Workspace, edges, fresh_index, save, stored
from kenning.engine import Engine

FUNCS = ("f", "g", "h", "k")
MODS = ("m1", "m2", "m3")


def callers(engine: Engine, symbol_id: str) -> set[str]:
    return {n.symbol.name for n in engine.neighbours(symbol_id, incoming=True)}


def _module(rng: random.Random, me: str) -> str | None:
    """A module's text, or None (deleted): imports of the others, functions calling
    what it imports or defines, sometimes a class whose method calls one."""
    if rng.random() < 0.1:
        return None
    lines = []
    imported: list[str] = []
    for other in (m for m in MODS if m != me):
        draw = rng.random()
        if draw < 0.3:
            names = [n for n in FUNCS if rng.random() < 0.4]
            if names:
                lines.append(f"from pkg.{other} import {', '.join(names)}")
                imported += names
        elif draw < 0.5:
            lines.append(f"import pkg.{other}")
            imported += [f"pkg.{other}.{n}" for n in FUNCS]
    own = [n for n in FUNCS if rng.random() < 0.5]
    body = []
    for name in own:
        body.append(f"def {name}():\n    return {rng.choice([*imported, *own, 'missing'])}()\n")
    if rng.random() < 0.3 and own:
        body.append(f"class C:\n    def run(self):\n        return {rng.choice(own)}()\n")
    return "\n".join(lines) + "\n\n\n" + "\n\n".join(body)


def _answers(engine: Engine) -> dict[str, Any]:
    """Each function's callers and callees, as the live view answers."""
    out: dict[str, Any] = {}
    for name in (*FUNCS, "run"):
        for symbol in engine.symbols(name):
            if symbol.name == name:
                for incoming in (True, False):
                    found = engine.neighbours(symbol.id, incoming=incoming)
                    out[f"{symbol.id} {incoming}"] = sorted(
                        (n.symbol.id, n.resolution) for n in found
                    )
    return out


@pytest.mark.parametrize("seed", [9, 10, 12, 18, 32])
def test_random_import_edits_end_as_a_fresh_index(workspace: Workspace, seed: int) -> None:
    rng = random.Random(seed)
    files = {"pkg/__init__.py": ""}
    for name in MODS:
        files[f"pkg/{name}.py"] = _module(rng, name) or ""
    engine = workspace.indexed(files)
    present = dict.fromkeys(MODS, True)
    for step in range(8):
        name = rng.choice(MODS)
        text = _module(rng, name)
        if text is None and not present[name]:
            continue
        present[name] = text is not None
        save(engine, f"pkg/{name}.py", text)
        where = f"seed {seed}, step {step}: {name}{' deleted' if text is None else ''}"
        fresh, answers = fresh_index(engine.root, _answers)
        assert _answers(engine) == answers, where
        if rng.random() < 0.5:  # written now and then, so the layer holds several saves
            engine.flush()
            assert _answers(engine) == answers, where
            assert stored(engine) == fresh, where
    engine.flush()
    assert stored(engine) == fresh_index(engine.root, _answers)[0]


def test_a_name_defined_behind_a_package_reexport_reaches_its_importers(
    workspace: Workspace,
) -> None:
    """`app.py` imports `Foo` from `pkg`, whose `__init__.py` imports it from `core.py`,
    which lacks it; then `core.py` gains it: `app.py`, not saved, calls it now. Then
    `__init__.py` stops importing it: the call is unresolved again."""
    files = {
        "pkg/__init__.py": "from pkg.core import Foo\n",
        "pkg/core.py": "def other():\n    return 1\n",
        "app.py": "from pkg import Foo\n\n\ndef main():\n    return Foo()\n",
    }
    engine = workspace.indexed(files)
    save(engine, "pkg/core.py", files["pkg/core.py"] + "\n\ndef Foo():\n    return 2\n")
    assert callers(engine, "pkg/core.py#Foo") == {"main"}
    engine.flush()
    assert callers(engine, "pkg/core.py#Foo") == {"main"}
    assert stored(engine) == fresh_index(engine.root, _answers)[0]
    save(engine, "pkg/__init__.py", "")
    assert callers(engine, "pkg/core.py#Foo") == set()
    engine.flush()
    assert stored(engine) == fresh_index(engine.root, _answers)[0]


def test_a_call_guessed_by_name_alone_guesses_again_beside_a_new_definition(
    workspace: Workspace,
) -> None:
    """`run()` with nothing bound to `run` is a `name-only` guess of the one `run`; a
    second `run` elsewhere makes both `candidate`s, and its removal one guess again."""
    files = {
        "a.py": "def run():\n    return 1\n",
        "b.py": "def other():\n    return 2\n",
        "app.py": "def main():\n    return run()\n",
    }
    engine = workspace.indexed(files)
    assert _callees(engine, "app.py#main") == [("a.py#run", "name-only")]
    save(engine, "b.py", files["b.py"] + "\n\ndef run():\n    return 3\n")
    assert _callees(engine, "app.py#main") == [
        ("a.py#run", "candidate"),
        ("b.py#run", "candidate"),
    ]
    engine.flush()
    assert stored(engine) == fresh_index(engine.root, _answers)[0]
    save(engine, "b.py", files["b.py"])
    assert _callees(engine, "app.py#main") == [("a.py#run", "name-only")]
    engine.flush()
    assert stored(engine) == fresh_index(engine.root, _answers)[0]


def test_a_missing_typescript_module_is_found_when_it_comes(workspace: Workspace) -> None:
    """`./util.js` names `src/util.ts`, which is not there, and `baseUrl` names it `util`
    when it is: the call waits at the path's placeholder (`src/util.parse`), and
    resolves, in a file not saved, once the file comes."""
    files = {
        "tsconfig.json": '{"compilerOptions": {"baseUrl": "src"}}\n',
        "src/app.ts": "import { parse } from './util.js';\n\n"
        "export function main(): number { return parse(); }\n",
    }
    engine = workspace.indexed(files)
    assert edges(engine)[("src/app.ts#main", "parse")] == ("ext:src/util.parse", "unresolved")
    save(engine, "src/util.ts", "export function parse(): number { return 1; }\n")
    assert _callees(engine, "src/app.ts#main") == [("src/util.ts#parse", "import")]
    engine.flush()
    assert stored(engine) == fresh_index(engine.root, _answers)[0]


def _callees(engine: Engine, symbol_id: str) -> list[tuple[str, str]]:
    return sorted((n.symbol.id, n.resolution) for n in engine.neighbours(symbol_id, incoming=False))
