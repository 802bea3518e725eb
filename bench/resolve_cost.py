"""What extraction and resolution cost on a folder of real code, in one process.

    python bench/resolve_cost.py FOLDER [--rounds N] [--root ROOT] [--language NAME]

Extracts every file of the language (default Python) under FOLDER (module names
relative to ROOT, default FOLDER's parent: Python's from the path, other languages'
from their module layout, as an index names them), builds the resolution model and
resolves every call, import and base class, N times (default 5), after one warm-up
file that compiles the queries. Prints the CPU seconds of each phase, the median of
the rounds. The kenning measured is the one on `sys.path`: run it with
`PYTHONPATH=<a daemon folder>` to compare two versions side by side.

CPU time on a shared machine still drifts; for a steadier figure count instructions:
run the script under `valgrind --tool=callgrind` with `--rounds 1` and `--rounds 2`,
and take the difference, one round without start-up and query compilation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import kenning
from kenning.core.facts import FileFacts
from kenning.languages import Resolvers, by_name
from kenning.languages.base import LanguageSupport
from kenning.resolve.model import WorkspaceModels


def _module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def one_round(
    language: LanguageSupport, sources: list[tuple[str, str, bytes]]
) -> tuple[float, float, int]:
    """(extraction seconds, resolution seconds, edges) of one pass over the sources."""
    start = time.process_time()
    facts: list[FileFacts] = [
        language.extract_facts(rel, source, module) for rel, module, source in sources
    ]
    extracted = time.process_time()
    models = WorkspaceModels()
    for f in facts:
        models.add_facts(f)
    resolvers = Resolvers(models)
    edges = 0
    for f in facts:
        resolved = resolvers.resolve_file(f)
        edges += len(resolved.calls) + len(resolved.imports) + len(resolved.bases)
    return extracted - start, time.process_time() - extracted, edges


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--root", type=Path, help="module names relative to this folder")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--language", default="python", help="a registered language's name")
    args = parser.parse_args()
    language = by_name(args.language)
    root = (args.root or args.folder.parent).resolve()
    files = sorted(
        p for p in args.folder.resolve().rglob("*") if p.suffix in language.suffixes and p.is_file()
    )
    rels = [p.relative_to(root).as_posix() for p in files]
    if language.name == "python":
        modules = [_module(p, root) for p in files]
    else:
        layout = language.make_layout(root, rels)
        modules = [layout.module_name(rel) for rel in rels]
    sources = [
        (rel, module, p.read_bytes()) for rel, module, p in zip(rels, modules, files, strict=True)
    ]
    one_round(language, sources[:1])  # compiles the queries
    rounds = [one_round(language, sources) for _ in range(args.rounds)]
    extract = statistics.median(r[0] for r in rounds)
    resolve = statistics.median(r[1] for r in rounds)
    print(
        f"{Path(kenning.__file__).parent.parent}: {len(sources)} files, {rounds[0][2]} "
        f"edges; extraction {extract:.3f} s, resolution {resolve:.3f} s, together "
        f"{extract + resolve:.3f} s (CPU, median of {args.rounds})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
