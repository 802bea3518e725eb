"""The writer's CPU per save of an open file, builds side by side.

Run by hand (``python -m bench.save_cpu <workspace> <file> [--build label=DIR ...]``),
never by the test suite. The workspace must hold an index the builds can open (e.g.
``bench/.cache/scratch/scale-1x/django1`` after ``bench.scale``'s cold phase). Each run
is a fresh process of one build (its ``daemon/`` folder first on ``PYTHONPATH``) that
opens the index as a daemon's writer does (the resolution model loaded, the caches
warmed, ``gc.freeze()``), saves the file once, then ``--saves`` more times as an open,
deferred save (``Engine.apply_changes(..., defer=True, open_paths=...)``), and reports
the median CPU of the calling thread per save (wall time follows the machine's load;
CPU time much less). Builds alternate run by run. Edits (``--edit``):

- ``append``: what ``bench.scale``'s LSP phase saves: two functions appended under a
  marker, one calling the other, renamed every save;
- ``body``: a statement added inside one function (the 40th ``return`` in the file at
  method depth), so every line below it moves;
- ``alternate``: ``append``, with another open file (``--other``) saved before each
  save of the file;
- ``method``: a method added to a class, calling another method of it, renamed every
  save: in a ``.py`` file before the first method of the first class (of the class
  ``--cls`` names, if given), in a ``.java`` file before the closing brace of its last
  top-level type (the file need not be Python for this edit);
- ``override``: a method named ``--name`` added to the class ``--cls`` of a ``.py``
  file at every other save and removed at the next (``def save(self, *args,
  **kwargs)`` calling ``super()``'s), so that the saves alternate between gaining an
  override of the bases' method, whose callers in other files gain an edge to it, and
  losing it;
- ``import``: an import added at the top of a ``.py`` file, a different one every
  save (``import json as kb<i>``), of a TypeScript or JavaScript file (``import { kb<i> }
  from './kb<i>';``), or after the ``package`` line of a ``.java`` file (``import
  kb<i>.Missing;``).

The file and the other file are restored at the end.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

MARKER = "\n# kenning-scale-bench\n"


def appended(original: str, i: int) -> str:
    return (
        f"{original}{MARKER}def kb{i}_callee():\n    return len(__name__)\n\n\n"
        f"def kb{i}():\n    return kb{i}_callee()\n"
    )


def with_method(original: str, i: int, rel: str, cls: str = "") -> str:
    if rel.endswith(".java"):
        at = original.rstrip().rindex("}")
        method = (
            f"\n    int kb{i}Helper() {{ return kb{i}Other(); }}\n"
            f"    int kb{i}Other() {{ return {i}; }}\n"
        )
        return original[:at] + method + original[at:]
    at = original.index("\n    def ", original.index(f"\nclass {cls}"))
    method = f"\n    def kb{i}_helper(self):\n        return self.kb{i}_other()\n"
    return original[:at] + method + original[at:]


def with_override(original: str, i: int, cls: str, name: str) -> str:
    if i % 2 == 0:
        return original
    at = original.index("\n    def ", original.index(f"\nclass {cls}"))
    method = (
        f"\n    def {name}(self, *args, **kwargs):\n"
        f"        return super().{name}(*args, **kwargs)\n"
    )
    return original[:at] + method + original[at:]


def with_import(original: str, i: int, rel: str) -> str:
    if rel.endswith(".java"):
        at = original.index(";", original.index("package ")) + 1
        return f"{original[:at]}\nimport kb{i}.Missing;{original[at:]}"
    if rel.endswith((".ts", ".tsx", ".js", ".jsx", ".mjs")):
        return f"import {{ kb{i} }} from './kb{i}';\n{original}"
    return f"import json as kb{i}\n{original}"


def in_body(original: str, i: int) -> str:
    at = -1
    for _ in range(40):
        at = original.index("\n        return ", at + 1)
    return original[:at] + f"\n        probe_{i} = len(str({i}))" + original[at:]


def child(
    root: Path, rel: str, edit: str, other: str, saves: int, cls: str = "", name: str = ""
) -> dict[str, object]:
    from kenning.engine import Engine

    original = (root / rel).read_text(encoding="utf-8")
    other_text = (root / other).read_text(encoding="utf-8") if edit == "alternate" else ""
    open_paths = [rel, other] if edit == "alternate" else [rel]
    cpu: list[float] = []
    with Engine.open(root) as engine:
        engine.prepare_for_edits()
        gc.collect()
        gc.freeze()
        engine.apply_changes([(rel, original)], defer=True, open_paths=open_paths)
        try:
            for i in range(saves + 1):
                if edit == "alternate":
                    text = other_text + f"\n\ndef kother{i}():\n    return {i}\n"
                    engine.apply_changes([(other, text)], defer=True, open_paths=open_paths)
                if edit == "body":
                    text = in_body(original, i)
                elif edit == "method":
                    text = with_method(original, i, rel, cls)
                elif edit == "override":
                    text = with_override(original, i, cls, name)
                elif edit == "import":
                    text = with_import(original, i, rel)
                else:
                    text = appended(original, i)
                started = time.thread_time()
                engine.apply_changes([(rel, text)], defer=True, open_paths=open_paths)
                if i > 0:  # the first save after opening builds what the next ones reuse
                    cpu.append(time.thread_time() - started)
        finally:
            engine.flush()
            restored = [(rel, original), (other, other_text)] if edit == "alternate" else []
            engine.apply_changes(restored or [(rel, original)])
    return {"cpu_ms": [round(c * 1000, 2) for c in cpu]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("file", help="workspace-relative path of the file saved")
    parser.add_argument("--build", action="append", default=[], help="label=DAEMON_DIR")
    parser.add_argument(
        "--edit",
        choices=("append", "body", "alternate", "method", "override", "import"),
        default="append",
    )
    parser.add_argument("--other", default="django/contrib/admin/options.py")
    parser.add_argument("--cls", default="", help="the class `--edit method|override` adds to")
    parser.add_argument("--name", default="save", help="the method `--edit override` adds")
    parser.add_argument("--saves", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.workspace.resolve()
    if args.child:
        print(
            json.dumps(
                child(root, args.file, args.edit, args.other, args.saves, args.cls, args.name)
            )
        )
        return 0
    builds = dict(b.split("=", 1) for b in args.build) or {"": ""}
    medians: dict[str, list[float]] = {label: [] for label in builds}
    for run in range(args.runs):
        for label, daemon in builds.items():
            env = dict(os.environ)
            if daemon:
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [daemon, env.get("PYTHONPATH")]))
            command = [sys.executable, "-m", "bench.save_cpu", str(root), args.file, "--child"]
            command += ["--edit", args.edit, "--other", args.other, "--saves", str(args.saves)]
            command += ["--cls", args.cls, "--name", args.name]
            out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            cpu = json.loads(out.stdout.strip().splitlines()[-1])["cpu_ms"]
            medians[label].append(statistics.median(cpu))
            print(f"run {run + 1} {label or 'build'}: CPU p50 {medians[label][-1]:.1f} ms")
    for label, values in medians.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        print(f"{label or 'build'} ({args.edit}): CPU per save, median of each run: {shown} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
