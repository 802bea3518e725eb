"""Random edits of real code through a daemon's save path, each checked against a fresh
index of the same files.

    python -m bench.edit_check CORPUS [--suffix .py] [--seed 1] [--steps 30]

Copies CORPUS (a folder of source files: one of `bench/.cache/corpora/`, a language
corpus of `languages.txt`) to a scratch folder, indexes it, then opens it as a daemon's
writer does (the model loaded from the stores, `prepare_for_edits`) and makes
`--steps` random edits of files with `--suffix`, one save each (`apply_changes`,
deferred, the file open), flushed to the stores. After each, every `CALLS`, `IMPORTS`
and `INHERITS` edge (source, target, resolution, span) is compared with a full index
of a copy of the files as they are then. Edits, drawn from `--seed`:

- `rename`: a definition renamed where it is defined (its users elsewhere are not);
- `unimport`: an import line removed;
- `import`: an import line of another file of the corpus added at the top (Python);
- `base`: a class given another class of the corpus as a further base (Python);
- `method`: a method named like a definition of the corpus added to a class (Python).

The first two are made in Python, TypeScript, JavaScript, Go, Java and Rust files.

Edits pile up (the scratch copy is not restored), so later saves meet the results of
earlier ones. Prints one line per save and, at the first difference, the edges only
the live stores or only the fresh index have, and stops; exit status 1 then. Not part
of the test suite: each step runs a full index (seconds on a small corpus, 10 s or more
on Django). The property tests in `tests/pipeline/` check the same on generated code.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from kenning.core.settings import Settings
from kenning.engine import Engine
from kenning.pipeline.discover import PathFilter

EDGES = "MATCH (a:Symbol)-[e:{table}]->(b:Symbol) RETURN a.id, b.id, e.resolution, e.span_start"

PY_DEFINITION = re.compile(r"^(\s*)(def|class) (?P<name>[A-Za-z_]\w*)", re.M)
PY_CLASS = re.compile(r"^(\s*)class ([A-Za-z_]\w*)(\(([^)\n]*)\))?:", re.M)
PY_IMPORT = re.compile(r"^(from [\w.]+ import [^\n(]+|import [\w.]+)\n", re.M)
# Other languages: (a definition, an import line), by file suffix.
SCRIPT = (
    re.compile(r"^(?:export )?(?:function|class|interface|const) (?P<name>[A-Za-z_]\w*)", re.M),
    re.compile(r"^import [^\n]*\n", re.M),
)
OTHER = {
    **dict.fromkeys((".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"), SCRIPT),
    ".go": (
        re.compile(r"^(?:func (?:\([^)]*\) )?|type )(?P<name>[A-Za-z_]\w*)", re.M),
        re.compile(r'^\s*(?:[\w.]+ )?"[\w./-]+"\n', re.M),
    ),
    ".java": (
        re.compile(
            r"^\s*(?:(?:public|protected|private|static|final|abstract|default)\s+)*"
            r"(?:class|interface|enum|record|void|int|boolean|String|[A-Z]\w*(?:<[^>\n]*>)?)"
            r"\s+(?P<name>[A-Za-z_]\w*)\s*[({<]",
            re.M,
        ),
        re.compile(r"^import [^\n]*;\n", re.M),
    ),
    ".rs": (
        re.compile(r"^\s*(?:pub(?:\([^)]*\))? )?(?:fn|struct|enum|trait) (?P<name>\w+)", re.M),
        re.compile(r"^use [^\n]*;\n", re.M),
    ),
}

# An edit: the new text and what it did, or None where the file offers nothing to do.
Edit = tuple[str, str] | None


class Corpus:
    """What edits draw on: the corpus's definition names and import lines."""

    def __init__(self, root: Path, files: list[str], definition: re.Pattern[str]) -> None:
        self.names: list[str] = []
        self.imports: list[str] = []
        for path in files:
            text = (root / path).read_text(errors="replace")
            self.names += [m.group("name") for m in definition.finditer(text)]
            self.imports += [m.group(1) for m in PY_IMPORT.finditer(text)]
        self.names = sorted({n for n in self.names if not n.startswith("__")})


def _rename(text: str, rng: random.Random, definition: re.Pattern[str], suffix: str) -> Edit:
    found = list(definition.finditer(text))
    if not found:
        return None
    m = rng.choice(found)
    name = m.group("name")
    return text[: m.start("name")] + name + suffix + text[m.end("name") :], f"rename {name}"


def _unimport(text: str, rng: random.Random, pattern: re.Pattern[str]) -> Edit:
    found = list(pattern.finditer(text))
    if not found:
        return None
    m = rng.choice(found)
    return text[: m.start()] + text[m.end() :], f"unimport {m.group(0).strip()[:60]}"


def edit_python(text: str, rng: random.Random, corpus: Corpus) -> Edit:
    kind = rng.choice(["rename", "rename", "unimport", "import", "base", "method"])
    if kind == "rename":
        return _rename(text, rng, PY_DEFINITION, "_k")
    if kind == "unimport":
        return _unimport(text, rng, PY_IMPORT)
    if kind == "import":
        if not corpus.imports:
            return None
        line = rng.choice(corpus.imports)
        return f"{line}\n{text}", f"import {line[:60]}"
    classes = list(PY_CLASS.finditer(text))
    if not classes or not corpus.names:
        return None
    m = rng.choice(classes)
    if kind == "base":
        other, bases = rng.choice(corpus.names), m.group(4)
        if other == m.group(2):
            return None
        listed = f"{other}, {bases}" if bases and rng.random() < 0.5 else f"{bases}, {other}"
        new = f"{m.group(1)}class {m.group(2)}({listed if bases else other}):"
        return text[: m.start()] + new + text[m.end() :], f"base {m.group(2)} + {other}"
    # A method named like some definition, calling another.
    end = text.find("\n", m.end()) + 1
    indent = m.group(1) + "    "
    name, called = rng.choice(corpus.names).lower(), rng.choice(corpus.names).lower()
    method = f"{indent}def {name}(self):\n{indent}    return self.{called}()\n\n"
    return text[:end] + method + text[end:], f"method {m.group(2)}.{name}"


def edit_other(suffix: str) -> Callable[[str, random.Random, Corpus], Edit]:
    definition, imports = OTHER[suffix]

    def edit(text: str, rng: random.Random, corpus: Corpus) -> Edit:
        if rng.random() < 2 / 3:
            return _rename(text, rng, definition, "K")
        return _unimport(text, rng, imports)

    return edit


def edges(engine: Engine) -> set[tuple[object, ...]]:
    """Every `CALLS`, `IMPORTS` and `INHERITS` edge the engine's graph stores."""
    found: set[tuple[object, ...]] = set()
    for table in ("CALLS", "IMPORTS", "INHERITS"):
        rows = engine.graph.query(EDGES.format(table=table)).to_pydict()
        found |= {(table, *row) for row in zip(*rows.values(), strict=True)}
    return found


def fresh_edges(root: Path, scratch: Path) -> set[tuple[object, ...]]:
    copy = scratch / "fresh"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".kenning"))
    with Engine.open(copy) as engine:
        engine.index()
        return edges(engine)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--suffix", default=".py", help="which files to edit (.py)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    editor: Callable[[str, random.Random, Corpus], Edit]
    if args.suffix == ".py":
        editor, definition = edit_python, PY_DEFINITION
    elif args.suffix in OTHER:
        editor, definition = edit_other(args.suffix), OTHER[args.suffix][0]
    else:
        parser.error(f"no edits for {args.suffix} files ({', '.join(['.py', *OTHER])})")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="kenning-edit-check-") as scratch_dir:
        scratch = Path(scratch_dir)
        root = scratch / "live"
        shutil.copytree(args.corpus, root, ignore=shutil.ignore_patterns(".kenning"))
        # Only files the index holds: an editor's save of one it skips (under `dist/`,
        # or ignored) is dropped before it reaches the engine (`LiveWorkspace`).
        held = PathFilter(root, Settings())
        files = sorted(
            rel
            for p in root.rglob(f"*{args.suffix}")
            if p.is_file()
            and not p.is_symlink()
            and held.accepts(rel := p.relative_to(root).as_posix())
        )
        if not files:
            parser.error(f"no {args.suffix} files under {args.corpus}")
        corpus = Corpus(root, files, definition)
        with Engine.open(root) as engine:
            engine.index()
        saves = 0
        with Engine.open(root) as engine:  # the model loaded from the stores
            engine.prepare_for_edits()
            for step in range(args.steps):
                path = rng.choice(files)
                edit = editor((root / path).read_text(errors="replace"), rng, corpus)
                if edit is None:
                    continue
                text, what = edit
                (root / path).write_text(text)
                engine.apply_changes([(path, text)], defer=True, open_paths=[path])
                engine.flush()
                saves += 1
                live, fresh = edges(engine), fresh_edges(root, scratch)
                same = live == fresh
                print(f"step {step} {path}: {what}: {'same' if same else 'DIFFERENT'}", flush=True)
                if not same:
                    for edge in sorted(live - fresh, key=repr)[:10]:
                        print("  only live: ", edge)
                    for edge in sorted(fresh - live, key=repr)[:10]:
                        print("  only fresh:", edge)
                    return 1
        print(f"seed {args.seed}: {saves} saves, each equal to a fresh index")
    return 0


if __name__ == "__main__":
    sys.exit(main())
