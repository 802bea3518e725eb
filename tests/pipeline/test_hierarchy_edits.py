"""Saves that reshape a class hierarchy, at random, each step checked against a fresh
index: methods added and removed on two bases, a subclass and its subclass, the
subclass's bases changed, while calls in a file never saved reach them virtually,
through a typed receiver or through `self`; in Python, TypeScript, Java and Go.

What it guards: the edges of files a save did not touch (`Indexer._rewires`: removed
symbols, placeholders of new names, overrides gained or lost, calls through changed
bases) end as a full index of the same files has them, both in the live answers before
the write behind and in the stores after it. Each Python seed here failed on a build
before the fix it checks; 159 seeds passed when these were kept. A Python diamond
(`Leaf(Sub, B)`) and an interface `B` in TypeScript and Java (`Leaf extends Sub
implements B`) make the order members are looked up in differ from breadth first;
160, 30 and 30 seeds of those passed when one of each was kept. In Go, `Sub` and `Leaf`
embed the types above them; 18 of 30 seeds failed while Go's resolver kept no
supertypes, the two kept among them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from helpers import Workspace, fresh_index, save, stored
from kenning.engine import Engine

NAMES = ("x", "y", "z")


def _some(rng: random.Random) -> list[str]:
    return [n for n in NAMES if rng.random() < 0.5]


def _calls(rng: random.Random, names: list[str]) -> list[tuple[str, str]]:
    """Each method and the method its body calls on its own object ("" for none)."""
    return [(name, rng.choice([*NAMES, ""])) for name in names]


@dataclass(frozen=True)
class Syntax:
    """How a class of the hierarchy is written in one language."""

    heads: dict[str, str]  # what comes before the class in each file
    line: str  # the class's first line: `{cls}` and `{bases}`
    bases: Callable[[tuple[str, ...]], str]  # its base list as written, from the names
    method: str  # a method: `{name}` and `{body}`
    call: str  # a call on the object itself: `{}`
    sep: str  # between methods
    empty: str  # the body of a class without methods
    end: str  # after the class
    # Classes written otherwise (an interface): their first line and their methods.
    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)

    def render(
        self, path: str, cls: str, bases: tuple[str, ...], methods: list[tuple[str, str]]
    ) -> str:
        first, method = self.kinds.get(cls, (self.line, self.method))
        body = [
            method.format(cls=cls, name=name, body=self.call.format(call) if call else "1")
            for name, call in methods
        ]
        head = self.heads.get(f"{path} {cls}", self.heads.get(path, ""))
        line = first.format(cls=cls, bases=self.bases(bases))
        return head + line + (self.sep.join(body) or self.empty) + self.end


@dataclass(frozen=True)
class Language:
    """Where the hierarchy's files live in one language, and how each is written."""

    base: str  # both bases, A and B
    sub: str  # Sub, given bases at random
    leaf: str  # Leaf(Sub)
    use: str  # the calls in a file never saved
    use_text: str
    bases: tuple[tuple[str, ...], ...]  # the base lists Sub may have
    syntax: Syntax
    leaf_bases: tuple[tuple[str, ...], ...] = (("Sub",),)  # the base lists Leaf may have

    def file(self, rng: random.Random, path: str) -> str:
        render = self.syntax.render
        if path == self.base:
            a = render(path, "A", (), _calls(rng, _some(rng)))
            return a + "\n\n" + render(path, "B", (), _calls(rng, _some(rng)))
        if path == self.sub:
            return render(path, "Sub", rng.choice(self.bases), _calls(rng, _some(rng)))
        assert path == self.leaf
        leaf_bases = self.leaf_bases[0]
        if len(self.leaf_bases) > 1:
            leaf_bases = rng.choice(self.leaf_bases)
        return render(path, "Leaf", leaf_bases, _calls(rng, _some(rng)))


def _extends(bases: tuple[str, ...]) -> str:
    return f" extends {bases[0]}" if bases else ""


PYTHON = Language(
    "pkg/base.py",
    "pkg/sub.py",
    "pkg/leaf.py",
    "pkg/use.py",
    "from pkg.base import A, B\nfrom pkg.leaf import Leaf\nfrom pkg.sub import Sub\n\n\n"
    "def on_a(a: A):\n    return a.x() + a.y()\n\n\n"
    "def on_b(b: B):\n    return b.z()\n\n\n"
    "def on_sub(s: Sub):\n    return s.x() + s.z()\n\n\n"
    "def on_leaf(leaf: Leaf):\n    return leaf.y()\n",
    ((), ("A",), ("B",), ("A", "B"), ("B", "A")),
    Syntax(
        {
            "pkg/sub.py": "from pkg.base import A, B\n\n\n",
            "pkg/leaf.py": "from pkg.sub import Sub\n\n\n",
        },
        "class {cls}{bases}:\n",
        lambda bases: f"({', '.join(bases)})" if bases else "",
        "    def {name}(self):\n        return {body}\n",
        "self.{}()",
        "\n",
        "    pass\n",
        "",
    ),
)
# `Leaf(Sub, B)` too: where `Sub` has `A` as a base, Python looks `Leaf`'s members up
# in `Sub`, `A`, then `B` (its method resolution order), where breadth first is `Sub`,
# `B`, `A`.
PYTHON_DIAMOND = replace(
    PYTHON,
    syntax=replace(
        PYTHON.syntax,
        heads={
            **PYTHON.syntax.heads,
            "pkg/leaf.py": "from pkg.base import B\nfrom pkg.sub import Sub\n\n\n",
        },
    ),
    leaf_bases=(("Sub",), ("Sub", "B")),
)
TYPESCRIPT = Language(
    "src/base.ts",
    "src/sub.ts",
    "src/leaf.ts",
    "src/use.ts",
    "import { A, B } from './base';\nimport { Leaf } from './leaf';\n"
    "import { Sub } from './sub';\n\n"
    "export function onA(a: A): number { return a.x() + a.y(); }\n"
    "export function onB(b: B): number { return b.z(); }\n"
    "export function onSub(s: Sub): number { return s.x() + s.z(); }\n"
    "export function onLeaf(leaf: Leaf): number { return leaf.y(); }\n",
    ((), ("A",), ("B",)),
    Syntax(
        {
            "src/sub.ts": "import { A, B } from './base';\n\n",
            "src/leaf.ts": "import { Sub } from './sub';\n\n",
        },
        "export class {cls}{bases} {{\n",
        _extends,
        "  {name}(): number {{ return {body}; }}\n",
        "this.{}()",
        "",
        "",
        "}\n",
    ),
)
JAVA = Language(
    "src/p/Base.java",
    "src/p/Sub.java",
    "src/p/Leaf.java",
    "src/p/Use.java",
    "package p;\n\nclass Use {\n"
    "    int onA(A a) { return a.x() + a.y(); }\n"
    "    int onB(B b) { return b.z(); }\n"
    "    int onSub(Sub s) { return s.x() + s.z(); }\n"
    "    int onLeaf(Leaf leaf) { return leaf.y(); }\n}\n",
    ((), ("A",), ("B",)),
    Syntax(
        {
            "src/p/Base.java B": "",
            "src/p/Sub.java": "package p;\n\n",
            "src/p/Leaf.java": "package p;\n\n",
            "src/p/Base.java": "package p;\n\n",
        },
        "class {cls}{bases} {{\n",
        _extends,
        "    int {name}() {{ return {body}; }}\n",
        "this.{}()",
        "",
        "",
        "}\n",
    ),
)


def _extends_implements(bases: tuple[str, ...]) -> str:
    """`extends` each class of `bases`, `implements B` where `B` (an interface) is one."""
    extends = "".join(f" extends {b}" for b in bases if b != "B")
    return extends + (" implements B" if "B" in bases else "")


# `B` an interface with default methods, which `Sub` and `Leaf` may implement: a method
# `Leaf` inherits from `A` through `Sub` is found before `B`'s default method.
JAVA_INTERFACE = replace(
    JAVA,
    bases=((), ("A",), ("B",), ("A", "B")),
    syntax=replace(
        JAVA.syntax,
        bases=_extends_implements,
        kinds={"B": ("interface B {{\n", "    default int {name}() {{ return {body}; }}\n")},
    ),
    leaf_bases=(("Sub",), ("Sub", "B")),
)

# `B` an interface, which `Sub` and `Leaf` may implement: a method `Leaf` inherits from
# `A` through `Sub` is found before `B`'s declaration.
TYPESCRIPT_INTERFACE = replace(
    TYPESCRIPT,
    bases=((), ("A",), ("B",), ("A", "B")),
    syntax=replace(
        TYPESCRIPT.syntax,
        heads={
            **TYPESCRIPT.syntax.heads,
            "src/leaf.ts": "import { B } from './base';\nimport { Sub } from './sub';\n\n",
        },
        bases=_extends_implements,
        kinds={"B": ("export interface B {{\n", "  {name}(): number;\n")},
    ),
    leaf_bases=(("Sub",), ("Sub", "B")),
)

# Go: `Sub` embeds `A` or `B`, `Leaf` embeds `Sub`; a method of an embedded struct is
# promoted unless the outer one, or one embedded less deep, declares its name.
GO = Language(
    "p/base.go",
    "p/sub.go",
    "p/leaf.go",
    "p/use.go",
    "package p\n\n"
    "func onA(a *A) int { return a.x() + a.y() }\n"
    "func onB(b *B) int { return b.z() }\n"
    "func onSub(s *Sub) int { return s.x() + s.z() }\n"
    "func onLeaf(l *Leaf) int { return l.y() }\n",
    ((), ("A",), ("B",)),
    Syntax(
        {
            "p/base.go B": "",
            "p/base.go": "package p\n\n",
            "p/sub.go": "package p\n\n",
            "p/leaf.go": "package p\n\n",
        },
        "type {cls} struct {{{bases}}}\n\n",
        lambda bases: "".join(f"\n\t{b}" for b in bases) + ("\n" if bases else ""),
        "func (r *{cls}) {name}() int {{ return {body} }}\n",
        "r.{}()",
        "",
        "",
        "",
    ),
)


def _answers(engine: Engine) -> dict[str, Any]:
    """Who calls each method of the hierarchy, as the live view answers."""
    out: dict[str, Any] = {}
    for name in NAMES:
        for symbol in engine.symbols(name):
            if symbol.name == name and symbol.kind == "method":
                callers = engine.neighbours(symbol.id, incoming=True)
                out[symbol.id] = sorted((n.symbol.name, n.resolution) for n in callers)
    return out


@pytest.mark.parametrize(
    ("language", "seed"),
    [
        *((PYTHON, seed) for seed in (14, 45, 47, 66)),
        *((TYPESCRIPT, seed) for seed in (1, 2)),
        *((JAVA, seed) for seed in (1, 2)),
        (PYTHON_DIAMOND, 1),
        (TYPESCRIPT_INTERFACE, 1),
        (JAVA_INTERFACE, 1),
        *((GO, seed) for seed in (3, 14)),
    ],
)
def test_random_hierarchy_edits_end_as_a_fresh_index(
    workspace: Workspace, language: Language, seed: int
) -> None:
    rng = random.Random(seed)
    edited = (language.base, language.sub, language.leaf)
    files = {path: language.file(rng, path) for path in edited}
    files[language.use] = language.use_text
    if language.base == PYTHON.base:
        files["pkg/__init__.py"] = ""
    if language is GO:
        files["go.mod"] = "module example.com/m\n"
    engine = workspace.indexed(files)
    for step in range(6):
        path = rng.choice(edited)
        save(engine, path, language.file(rng, path))
        where = f"seed {seed}, step {step}: {path}"
        fresh, answers = fresh_index(engine.root, _answers)
        assert _answers(engine) == answers, where  # before the write behind
        engine.flush()
        assert _answers(engine) == answers, where
        assert stored(engine) == fresh, where
