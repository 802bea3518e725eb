"""Call edges against run-time traces: recall and call-site precision of kenning's CALLS.

For each pinned package (`TRACED`, sdists in `corpora.txt`): make a throwaway
virtualenv under `bench/.cache/trace-venvs/` with the package's test dependencies, run
its test suite against the unpacked sdist under `sys.setprofile` (`trace_runner.py`),
index the sdist with kenning, read kenning's edges through `kenning export` (as any
outside tool would) and compare.

* **Explicit recall**: of the executed in-package caller -> callee pairs whose call
  site is a call expression naming the callee (`x.save()` for `save`, `Foo()` for
  `Foo.__init__`), the share kenning links (`candidate` edges not counted: they are
  not presented as resolved).
* **Call-site precision**: of kenning's call sites that executed and that kenning
  resolves to an in-package symbol, the share whose target is among the functions
  that site really called (a class target counts when a method of it or of a base
  ran there). Per resolution kind, every edge counts. Sites whose target the trace
  cannot judge are left out and counted apart: a class with no constructor in the
  workspace (a `NamedTuple`, a dataclass: the code that runs is generated) and a
  `@contextmanager` function (its body runs from contextlib's frames).
* **Misses**, grouped by the callee's shape and how kenning resolved it, with an
  example each.

    python bench/call_trace.py [click jinja2 ...] [--json OUT]

Tuning happened on `click` only; the others are held out (see `docs/indexing.md`),
`attrs` added last, after the resolution work it measures.
Takes minutes per package (tests run several times slower under a profiler).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import venv
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.corpora import CACHE_DIR, prepare, select  # noqa: E402

VENVS = CACHE_DIR / "trace-venvs"
TRACES = CACHE_DIR / "traces"
REPO = BENCH_DIR.parent
# The kenning to evaluate (its `daemon` folder): this checkout unless KENNING_DAEMON
# names another, e.g. a copy of an older commit for a before/after comparison.
DAEMON = Path(os.environ.get("KENNING_DAEMON", REPO / "daemon"))


@dataclass(frozen=True)
class Traced:
    package_dir: str  # the package inside the sdist, relative to its root
    test_deps: tuple[str, ...]  # pinned requirements of its test suite
    pytest_args: tuple[str, ...] = ("tests",)
    tuning: bool = False
    # Stop at the first failing test (`-x`). attrs' property-based tests have a
    # deadline per example that the profiler's slowdown can exceed: run them all.
    stop_on_failure: bool = True


TRACED: dict[str, Traced] = {
    "click": Traced("src/click", ("pytest==8.3.5",), tuning=True),
    "jinja2": Traced("src/jinja2", ("pytest==8.3.5", "MarkupSafe==3.0.2", "trio==0.29.0")),
    "itsdangerous": Traced("src/itsdangerous", ("pytest==8.3.5", "freezegun==1.5.1")),
    # sqlparse has no pytest settings: `-c` keeps pytest from finding a parent's.
    "sqlparse": Traced("sqlparse", ("pytest==8.3.5",), ("-c", "pyproject.toml", "tests")),
    # Held out and never looked at while resolution was worked on (added after). The
    # packaging test needs attrs installed; pyright is not installed.
    "attrs": Traced(
        "src/attr",
        ("pytest==8.3.5", "hypothesis==6.131.0", "Pympler==1.1"),
        ("tests", "--ignore=tests/test_packaging.py", "--ignore=tests/test_pyright.py"),
        stop_on_failure=False,
    ),
}
# Methods that run when a class is called: a class with none in the workspace is
# constructed by code the trace cannot tie to the site.
CONSTRUCTORS = frozenset({"__init__", "__new__", "__post_init__", "__attrs_post_init__"})
SECONDARY = ("override", "candidate", "abstract")  # extra edges of a call site, not its answer
# Edges of calls without call syntax: a property access, a special method run by
# syntax or a builtin, a decorator applied at definition.
IMPLICIT = ("property", "protocol", "decorator")
# Special methods that syntax or builtins run (`obj[k]`, `len(obj)`, `with obj`,
# operators and comparisons...).
PROTOCOL_DUNDERS = frozenset(
    {"__getitem__", "__setitem__", "__delitem__", "__iter__", "__aiter__", "__next__",
     "__len__", "__enter__", "__exit__", "__aenter__", "__aexit__", "__reversed__",
     "__bool__", "__str__", "__repr__", "__hash__", "__contains__",
     "__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__",
     "__matmul__", "__and__", "__or__", "__xor__", "__lshift__", "__rshift__",
     "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"}
)  # fmt: skip


def _is_accessor(decorators: list[str]) -> bool:
    """A property's getter or setter, from its decorators."""
    for decorator in decorators:
        last = decorator.partition("(")[0].rpartition(".")[2]
        if last in ("property", "cached_property", "setter", "getter"):
            return True
        if last.endswith("_property"):
            return True
    return False


def _venv(key: str, deps: tuple[str, ...]) -> Path:
    folder = VENVS / key
    python = folder / "bin" / "python"
    marker = folder / "deps.txt"
    wanted = "\n".join(deps)
    if marker.is_file() and marker.read_text() == wanted:
        return python
    venv.create(folder, with_pip=True, clear=True)
    subprocess.run([python, "-m", "pip", "install", "-q", *deps], check=True)
    marker.write_text(wanted)
    return python


def trace(key: str, root: Path, spec: Traced) -> dict[str, Any]:
    out = TRACES / f"{key}.json"
    if out.is_file():
        return json.loads(out.read_text())
    TRACES.mkdir(parents=True, exist_ok=True)
    python = _venv(key, spec.test_deps)
    package = root / spec.package_dir
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    subprocess.run(
        [python, BENCH_DIR / "trace_runner.py", package, out, "--", "-q",
         *(["-x"] if spec.stop_on_failure else []), "-W", "ignore", *spec.pytest_args],
        cwd=root, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return json.loads(out.read_text())


def export(root: Path) -> list[dict[str, Any]]:
    kenning = [sys.executable, "-m", "kenning"]
    env = {**os.environ, "PYTHONPATH": str(DAEMON)}
    subprocess.run([*kenning, "index", "--rebuild", "--no-embeddings", "--json", str(root)],
                   check=True, env=env, stdout=subprocess.DEVNULL)  # fmt: skip
    done = subprocess.run([*kenning, "export", "-w", str(root)], check=True, env=env,
                          capture_output=True, text=True)  # fmt: skip
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records[0]["format"] == "kenning-export" and records[0]["version"] == 1
    return records[1:]


def _shape(text: str) -> str:
    """The callee's form: `self.m()`, `self.attr.m()`, `name.m()`, `f()`..."""
    if "." not in text:
        return "f()" if text.isidentifier() else "odd()"
    receiver = text.rsplit(".", 1)[0]
    if receiver in ("self", "cls"):
        return "self.m()"
    if receiver == "super()":
        return "super().m()"
    if receiver.startswith(("self.", "cls.")) and receiver.replace(".", "").isidentifier():
        return "self.attr.m()"
    if receiver.isidentifier():
        return "Name.m()" if receiver[:1].isupper() else "name.m()"
    if receiver.replace(".", "").isidentifier():
        return "a.b.m()"
    return "expr.m()"


def _binding(name: str, caller: dict[str, Any], line_text: Any) -> str:
    """How the caller binds a receiver `name`, read from its source: a loop variable, a
    parameter, an assignment, or something else (a closure, a global)."""
    path, (first, _, last, _) = caller["path"], caller["range"]
    lines = [line_text(path, ln) for ln in range(first, last + 1)]
    body = "\n".join(lines)
    if re.search(rf"\bfor\s+(\w+\s*,\s*)*{name}\b[^\n]*\bin\b", body):
        return "loop variable"
    if re.search(rf"def\s+\w+\s*\([^)]*\b{name}\b", body, re.S):
        return "parameter"
    if re.search(rf"^\s*{name}\s*(:[^=]+)?=[^=]", body, re.M):
        return "local"
    if re.search(rf"\bas\s+{name}\b", body):
        return "with/except target"
    return "other"


def evaluate(key: str, root: Path, spec: Traced) -> dict[str, Any]:
    traced = trace(key, root, spec)
    records = export(root)
    real_root = os.path.realpath(root)
    package_prefix = (Path(spec.package_dir).as_posix()) + "/"
    symbols = {r["id"]: r for r in records if r["type"] == "symbol"}
    calls = [r for r in records if r["type"] == "edge" and r["kind"] == "calls"]
    bases: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r["type"] == "edge" and r["kind"] == "inherits" and not r["to"].startswith("ext:"):
            bases[r["from"]].add(r["to"])

    by_local: dict[tuple[str, str], list[str]] = defaultdict(list)
    for sid, s in symbols.items():
        if s["path"]:
            local = sid.split("#", 1)[1].split("@", 1)[0]
            by_local[(s["path"], local)].append(sid)

    def symbol_of(filename: str, firstline: int, qualname: str) -> str | None:
        if not filename.startswith(real_root + os.sep):
            return None
        path = os.path.relpath(filename, real_root).replace(os.sep, "/")
        parts = [p for p in qualname.split(".") if p != "<locals>"]
        while parts and parts[-1].startswith("<"):
            parts.pop()
        ids = by_local.get((path, ".".join(parts)), [])
        if not ids:
            return None
        for sid in ids:
            s = symbols[sid]
            if firstline - 1 in (s["range"][0], s["selection"][0]):
                return sid
        return ids[0]

    # Run-time sites: (caller id, 0-based line) -> callee ids, and what else ran there.
    site_callees: dict[tuple[str, int], set[str]] = defaultdict(set)
    site_other: dict[tuple[str, int], set[str]] = defaultdict(set)
    for row in traced["rows"]:
        cfile, cline, cqual, line, kind, efile, eline, equal, _n = row
        caller = symbol_of(cfile, cline, cqual)
        if caller is None:
            continue
        site = (caller, line - 1)
        if kind == "package":
            callee = symbol_of(efile, eline, equal)
            if callee is not None and not equal.endswith(">"):
                site_callees[site].add(callee)
            elif callee is None:
                site_other[site].add(f"{efile}:{equal}")
        else:
            site_other[site].add(equal or "builtin" if kind == "builtin" else f"{efile}:{equal}")

    def ancestors(cls: str) -> set[str]:
        seen, todo = {cls}, [cls]
        while todo:
            for base in bases.get(todo.pop(), ()):
                if base not in seen:
                    seen.add(base)
                    todo.append(base)
        return seen

    members: dict[str, set[str]] = defaultdict(set)
    for s in symbols.values():
        if s["parent"]:
            members[s["parent"]].add(s["name"])

    def unverifiable(target: str, ran: set[str]) -> bool:
        """A target whose call runs no code of its own that a trace can attribute to the
        site: a class that neither it nor a workspace base gives a constructor
        (`NamedTuple`s, dataclasses: their `__init__` is generated), or a generator
        made a context manager (`@contextmanager`: its body runs from contextlib's
        frames). Such sites are left out of precision, not counted right."""
        sym = symbols.get(target, {})
        if sym.get("kind") == "class":
            owners = ancestors(target)
            if any(symbols[c]["parent"] in owners for c in ran):
                return False
            return not any(members[c] & CONSTRUCTORS for c in owners)
        last = [d.partition("(")[0].rpartition(".")[2] for d in sym.get("decorators", [])]
        return any(d in ("contextmanager", "asynccontextmanager") for d in last)

    def correct(target: str, ran: set[str]) -> bool:
        if target in ran:
            return True
        if symbols.get(target, {}).get("kind") == "class":
            owners = ancestors(target)
            return any(symbols[c]["parent"] in owners for c in ran)
        return False

    # kenning's call sites, by (caller, line) for every line the callee text spans.
    kenning_sites: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for e in calls:
        for line in range(e["range"][0], e["range"][2] + 1):
            kenning_sites[(e["from"], line)].append(e)

    in_package = {sid for sid, s in symbols.items() if (s["path"] or "").startswith(package_prefix)}

    # Recall over explicit pairs.
    pair_state: dict[tuple[str, str], bool] = {}
    with_candidates: set[tuple[str, str]] = set()
    pair_example: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {}
    for site, callees in site_callees.items():
        caller = site[0]
        if caller not in in_package:
            continue
        for callee in callees:
            if callee not in in_package:
                continue
            sym = symbols[callee]
            named, accepted = sym["name"], {callee}
            if named in ("__init__", "__new__") and sym["parent"]:
                named = symbols[sym["parent"]]["name"]
                accepted.add(sym["parent"])
            naming = [
                e for e in kenning_sites.get(site, [])
                if e["text"].rsplit(".", 1)[-1] == named and e["resolution"] not in IMPLICIT
            ]  # fmt: skip
            if not naming:
                continue
            hit = any(e["to"] in accepted and e["resolution"] != "candidate" for e in naming)
            pair = (caller, callee)
            if any(e["to"] in accepted for e in naming):
                with_candidates.add(pair)
            if hit:
                pair_state[pair] = True
            else:
                pair_state.setdefault(pair, False)
                shown = next((e for e in naming if e["resolution"] not in SECONDARY), naming[0])
                where = f"{symbols[caller]['path']}:{site[1] + 1}"
                pair_example.setdefault(pair, (where, shown))
    explicit = len(pair_state)
    recalled = sum(pair_state.values())

    # Recall over implicit pairs: executed pairs whose callee is a property accessor or
    # a special method that syntax runs, or that ran on a decorator line, at a site with
    # no call expression naming the callee.
    source_lines: dict[str, list[str]] = {}

    def line_text(path: str, line: int) -> str:
        if path not in source_lines:
            source_lines[path] = (root / path).read_text(errors="replace").splitlines()
        lines = source_lines[path]
        return lines[line] if 0 <= line < len(lines) else ""

    implicit_state: dict[tuple[str, str], bool] = {}
    implicit_kind: dict[tuple[str, str], str] = {}
    implicit_example: dict[tuple[str, str], str] = {}
    for site, callees in site_callees.items():
        caller = site[0]
        if caller not in in_package:
            continue
        at_site = kenning_sites.get(site, [])
        for callee in callees:
            if callee not in in_package:
                continue
            sym = symbols[callee]
            # Decorators read from the source (the lines from the definition's start to
            # its name), so that every kenning version is judged on the same pairs.
            path, first, name_line = sym["path"], sym["range"][0], sym["selection"][0]
            decorators = [
                line_text(path, ln).strip()[1:]
                for ln in range(first, name_line)
                if line_text(path, ln).strip().startswith("@")
            ]
            if _is_accessor(decorators):
                kind = "property"
            elif sym["name"] in PROTOCOL_DUNDERS:
                kind = "protocol"
            elif line_text(symbols[caller]["path"], site[1]).lstrip().startswith("@"):
                kind = "decorator"
            else:
                continue
            if any(
                e["text"].rsplit(".", 1)[-1] == sym["name"] and e["resolution"] not in IMPLICIT
                for e in at_site
            ):
                continue  # called by name: an explicit pair
            pair = (caller, callee)
            implicit_kind[pair] = kind
            hit = any(e["to"] == callee and e["resolution"] in (*IMPLICIT, "override")
                      for e in at_site)  # fmt: skip
            implicit_state[pair] = implicit_state.get(pair, False) or hit
            implicit_example.setdefault(
                pair, f"{symbols[caller]['path']}:{site[1] + 1} -> {sym['qualname']}"
            )
    implicit_pairs: Counter[str] = Counter(implicit_kind.values())
    implicit_hits: Counter[str] = Counter(
        implicit_kind[p] for p, ok in implicit_state.items() if ok
    )
    implicit_missed: dict[str, str] = {}
    for pair, ok in implicit_state.items():
        if not ok:
            implicit_missed.setdefault(implicit_kind[pair], implicit_example[pair])
    misses: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for pair, ok in pair_state.items():
        if ok:
            continue
        where, edge = pair_example[pair]
        if edge is None:
            category = "no edge"
            text = "?"
        else:
            text = edge["text"]
            how = edge["resolution"]
            if how == "candidate":
                how = "candidates only"
            elif not edge["to"].startswith("ext:"):
                how += ", wrong target"
            category = f"{_shape(text)} {how}"
            if _shape(text) == "name.m()":
                category += f" ({_binding(text.rsplit('.', 1)[0], symbols[pair[0]], line_text)})"
        misses[category] += 1
        examples.setdefault(category, f"{where} `{text}` -> {symbols[pair[1]]['qualname']}")

    # Precision over executed sites resolved in-package.
    kind_total: Counter[str] = Counter()
    kind_good: Counter[str] = Counter()
    sites_total = sites_good = 0
    wrong: Counter[str] = Counter()
    wrong_example: dict[str, str] = {}
    explicit_total = explicit_good = 0
    unjudged: Counter[bool] = Counter()  # by whether the site is a call expression
    # Sites by their whole range: `self.x` (a property) and `self.x.m` (a call) start
    # at the same column.
    by_site: dict[tuple[str, int, int, int, int], list[dict[str, Any]]] = defaultdict(list)
    for e in calls:
        if e["from"] in in_package:
            by_site[(e["from"], *e["range"])].append(e)
    for (caller, line, _col, _end_line, _end_col), edges in by_site.items():
        lines = range(line, edges[0]["range"][2] + 1)
        ran: set[str] = set()
        executed = False
        for ln in lines:
            if (caller, ln) in site_callees or (caller, ln) in site_other:
                executed = True
                ran |= site_callees.get((caller, ln), set())
        if not executed:
            continue
        for e in edges:
            if e["to"] in in_package and not unverifiable(e["to"], ran):
                kind_total[e["resolution"]] += 1
                kind_good[e["resolution"]] += correct(e["to"], ran)
        primary = next((e for e in edges if e["resolution"] not in SECONDARY), None)
        if primary is None or primary["to"] not in in_package:
            continue
        if unverifiable(primary["to"], ran):
            unjudged[primary["resolution"] not in IMPLICIT] += 1
            continue
        sites_total += 1
        right = correct(primary["to"], ran)
        if primary["resolution"] not in IMPLICIT:
            explicit_total += 1
            explicit_good += right
        if right:
            sites_good += 1
        else:
            category = f"{_shape(primary['text'])} {primary['resolution']}"
            if not ran:
                category += " (ran no package code)"
            wrong[category] += 1
            wrong_example.setdefault(
                category,
                f"{symbols[caller]['path']}:{line + 1} `{primary['text']}` -> "
                f"{symbols[primary['to']]['qualname']}",
            )
    return {
        "package": key,
        "role": "tuning" if spec.tuning else "held-out",
        "pytest_exit": traced["pytest_exit"],
        "explicit_pairs": explicit,
        "recall": recalled / explicit if explicit else None,
        "recall_with_candidates": len(with_candidates) / explicit if explicit else None,
        "sites": sites_total,
        "precision": sites_good / sites_total if sites_total else None,
        "explicit_sites": explicit_total,
        "explicit_precision": explicit_good / explicit_total if explicit_total else None,
        "unjudged_sites": unjudged[True],
        "implicit_pairs": dict(implicit_pairs),
        "implicit_recall": {k: implicit_hits[k] / n for k, n in implicit_pairs.items()},
        "implicit_missed": implicit_missed,
        "per_kind": {
            k: {"edges": kind_total[k], "precision": kind_good[k] / kind_total[k]}
            for k in sorted(kind_total)
        },
        "misses": [(c, n, examples[c]) for c, n in misses.most_common(12)],
        "wrong_sites": [(c, n, wrong_example[c]) for c, n in wrong.most_common(8)],
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "| package | role | explicit pairs | explicit recall | recall counting candidates | "
        "executed sites (call expressions) | call-site precision (call expressions) | "
        "call-site precision (all sites) | sites not judged | implicit pairs: recall | "
        "precision by kind |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        kinds = ", ".join(
            f"{k} {_pct(v['precision'])} ({v['edges']})" for k, v in r["per_kind"].items()
        )
        implicit = ", ".join(
            f"{k} {n}: {_pct(r['implicit_recall'][k])}"
            for k, n in sorted(r["implicit_pairs"].items())
        )
        lines.append(
            f"| {r['package']} | {r['role']} | {r['explicit_pairs']} | {_pct(r['recall'])} | "
            f"{_pct(r['recall_with_candidates'])} | {r['explicit_sites']} | "
            f"{_pct(r['explicit_precision'])} | {_pct(r['precision'])} ({r['sites']}) | "
            f"{r['unjudged_sites']} | {implicit or '-'} | {kinds} |"
        )
    for r in results:
        lines.append(f"\n{r['package']}: implicit pairs missed, an example per kind")
        lines += [f"- {k}: {ex}" for k, ex in sorted(r["implicit_missed"].items())]
        lines.append(f"{r['package']}: top misses")
        lines += [f"- {n} {c}: {ex}" for c, n, ex in r["misses"]]
        lines.append(f"{r['package']}: wrong sites")
        lines += [f"- {n} {c}: {ex}" for c, n, ex in r["wrong_sites"]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", help=f"default: {', '.join(TRACED)}")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    keys = [k.lower() for k in args.packages] or list(TRACED)
    roots = prepare(select(keys))
    results = [evaluate(key, roots[key], TRACED[key]) for key in keys]
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
