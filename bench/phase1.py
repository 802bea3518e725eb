"""Phase-1 benchmark: cold index, unchanged restart and one-changed-file latency on real code.

Run by hand (``python bench/phase1.py``), never by the test suite. For each pinned corpus
(see ``corpora.txt``) it measures, whole-process and on this machine:

1. cold: ``kenning index <corpus> --rebuild --json --timings`` in a fresh process with
   ``.kenning/`` deleted first; wall time, peak RSS, throughput, graph size, call
   resolution mix and kenning's own per-phase timings;
2. restart: ``kenning index <corpus> --json`` with nothing changed; wall time, and a
   check that nothing was re-parsed;
3. edit: in-process through ``kenning.engine.Engine``, N saves of a changed function body,
   each timed around ``apply_changes``; then a text search for the last edit's token.

It prints a table per corpus and the budget check from DESIGN.md, and writes every raw
figure to ``bench/results/phase1-<timestamp>.json``. Exit status: 0 when everything ran
(budgets may still be missed), 1 when a step failed, 2 on a setup problem.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.util
import json
import math
import os
import platform
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import psutil

# Run as a script (``python bench/phase1.py``) the bench package is not importable until
# the repository root is on the path; ``python -m bench.phase1`` works either way.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpora as corpora_mod
from bench.edits import Edit, plan_edits
from bench.measure import ChildRun, median, percentile, run_measured

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TIMING_PHASES = ("walk", "parse", "resolve", "graph_write", "chunk_write", "total")
RESOLUTION_ORDER = ("import", "same-file", "self", "name-only", "unresolved")
# The corpora measured when none are named (scikit-learn is pinned for bench/retrieval.py).
PHASE1_CORPORA = ("requests", "flask", "django")
MB = 1_000_000  # budgets say "MB"; decimal megabytes are the stricter reading


class StepFailed(RuntimeError):
    """A benchmark step could not produce figures; the message says why."""


# --------------------------------------------------------------------------- kenning CLI


def default_kenning_command() -> list[str]:
    """The console script beside this interpreter, else one on PATH, else ``-m kenning``.

    Preferring the script next to ``sys.executable`` keeps the CLI runs and the
    in-process Engine runs on the same interpreter and the same installed kenning.
    """
    beside = Path(sys.executable).parent / "kenning"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    on_path = shutil.which("kenning")
    if on_path:
        return [on_path]
    return [sys.executable, "-m", "kenning"]


def run_index(
    kenning: list[str], root: Path, extra: list[str], timeout_s: float
) -> tuple[ChildRun, dict[str, Any]]:
    """Run one ``kenning index`` and return the measurement and its parsed JSON report."""
    argv = [*kenning, "index", str(root), *extra]
    try:
        run = run_measured(argv, timeout_s=timeout_s)
    except FileNotFoundError as exc:
        raise StepFailed(
            f"kenning command not found: {argv[0]!r} ({exc.strerror}); "
            "install kenning in this environment or pass --kenning"
        ) from exc
    if run.timed_out:
        raise StepFailed(f"`{shlex.join(argv)}` ran past {timeout_s:.0f} s and was killed")
    if run.returncode != 0:
        raise StepFailed(
            f"`{shlex.join(argv)}` exited with {run.returncode}; stderr:\n"
            + indent(tail(run.stderr) or "(empty)")
        )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        raise StepFailed(
            f"`{shlex.join(argv)}` did not print one JSON object ({exc}); stdout began:\n"
            + indent(run.stdout[:800] or "(empty)")
        ) from exc
    if not isinstance(report, dict):
        raise StepFailed(f"`{shlex.join(argv)}` printed JSON that is not an object")
    return run, report


# ---------------------------------------------------------------------------- the phases


def bench_cold(
    kenning: list[str], root: Path, runs: int, timeout_s: float, extra: list[str] | None = None
) -> dict[str, Any]:
    samples = []
    for i in range(runs):
        # --rebuild alone might keep store files around; deleting the folder makes the
        # run cold for kenning (the OS page cache stays warm, see README).
        shutil.rmtree(root / ".kenning", ignore_errors=True)
        argv = ["--rebuild", "--json", "--timings", *(extra or [])]
        run, report = run_index(kenning, root, argv, timeout_s)
        samples.append(run_record(run, report))
        progress(f"cold {i + 1}/{runs}: {run.wall_s:.2f} s, {run.peak_rss_bytes / MB:.0f} MB")
    reports = [s["report"] for s in samples]
    last = reports[-1]
    wall = median([s["wall_s"] for s in samples])
    files = int(last.get("files", 0))
    summary: dict[str, Any] = {
        "wall_s": wall,
        "peak_rss_bytes": median([s["peak_rss_bytes"] for s in samples]),
        "maxrss_bytes": median([s["maxrss_bytes"] for s in samples]),
        "tree_rss_bytes": median([s["tree_rss_bytes"] for s in samples]),
        "tree_pss_bytes": median([s["tree_pss_bytes"] for s in samples])
        if all(s["tree_pss_bytes"] is not None for s in samples)
        else None,
        "files": files,
        "files_per_s": files / wall if wall > 0 else math.nan,
        "symbols": last.get("symbols"),
        "calls": last.get("calls"),
        "chunks": last.get("chunks"),
        "resolution_pct": resolution_mix(last.get("call_resolution") or {}),
        "timings_s": {
            phase: median(
                [float(r["timings"][phase]) for r in reports if phase in (r.get("timings") or {})]
            )
            for phase in timing_phases(reports)
        },
    }
    # Same input, same output: counts that move between runs point at a race.
    warnings = []
    for key in ("files", "symbols", "calls", "chunks"):
        seen = sorted({json.dumps(r.get(key)) for r in reports})
        if len(seen) > 1:
            warnings.append(f"cold runs disagree on {key!r}: {', '.join(seen)}")
    return {"runs": samples, "summary": summary, "warnings": warnings}


def bench_restart(kenning: list[str], root: Path, runs: int, timeout_s: float) -> dict[str, Any]:
    if not (root / ".kenning").exists():
        progress("no index yet; building one first (not measured)")
        run_index(kenning, root, ["--json"], timeout_s)
    samples = []
    for i in range(runs):
        run, report = run_index(kenning, root, ["--json"], timeout_s)
        samples.append(run_record(run, report))
        progress(f"restart {i + 1}/{runs}: {run.wall_s:.2f} s, parsed {report.get('parsed')}")
    parsed = [s["report"].get("parsed") for s in samples]
    warnings = []
    if any(p != 0 for p in parsed):
        warnings.append(f"restart with nothing changed re-parsed files: parsed={parsed}")
    summary = {
        "wall_s": median([s["wall_s"] for s in samples]),
        "peak_rss_bytes": median([s["peak_rss_bytes"] for s in samples]),
        "parsed": parsed,
    }
    return {"runs": samples, "summary": summary, "warnings": warnings}


def bench_edits(corpus_key: str, root: Path, count: int) -> dict[str, Any]:
    """Time ``count`` saves through the Engine API, check search sees them, then restore."""
    # Imported by name at run time: the bench must load (and print its corpus setup)
    # even where kenning's engine has not been written yet.
    try:
        engine_cls: Any = importlib.import_module("kenning.engine").Engine
    except (ImportError, AttributeError) as exc:
        raise StepFailed(f"cannot import kenning.engine.Engine: {exc}") from exc

    targets = corpora_mod.pick_edit_targets(corpus_key, root)
    originals = {path: (root / path).read_text(encoding="utf-8") for path in targets}
    edits = plan_edits(originals, count, nonce=secrets.token_hex(3))
    warnings: list[str] = []

    start = time.perf_counter()
    engine = engine_cls.open(root)
    open_s = time.perf_counter() - start
    try:
        start = time.perf_counter()
        engine.index()
        index_s = time.perf_counter() - start
        progress(f"engine open {open_s * 1e3:.0f} ms, index {index_s * 1e3:.0f} ms")

        latencies = []
        try:
            for n, edit in enumerate(edits, start=1):
                start = time.perf_counter()
                engine.apply_changes([(edit.path, edit.text)])
                latencies.append(time.perf_counter() - start)
                if n % 10 == 0 and n < len(edits):
                    progress(f"{n}/{len(edits)} edits, last {latencies[-1] * 1e3:.0f} ms")
            progress(f"{len(edits)} edits over {len(targets)} files applied")
            checks = search_checks(engine.search, edits)
        finally:
            # Put the index back in step with the untouched files on disk.
            for path, text in originals.items():
                engine.apply_changes([(path, text)])
        if checks["last_token_found"] is False:
            warnings.append(
                f"search did not find the last edit's token {edits[-1].token!r} in {edits[-1].path}"
            )
        if checks["superseded_token_found"]:
            warnings.append(
                f"search still finds {checks['superseded_token']!r}, which a later save "
                "of the same file removed (stale text index)"
            )
        if restored_token_found(engine.search, edits):
            warnings.append("search still finds the last edit's token after the restore")
    finally:
        engine.close()

    changed_on_disk = [p for p, text in originals.items() if read(root / p) != text]
    if changed_on_disk:
        warnings.append(f"corpus files changed on disk during the edit phase: {changed_on_disk}")
    summary = {
        "files": targets,
        "edits": len(latencies),
        "p50_s": percentile(latencies, 50),
        "p99_s": percentile(latencies, 99),
        "max_s": max(latencies) if latencies else math.nan,
        "first_s": latencies[0] if latencies else math.nan,
        # Without the first save, which may pay for lazy set-up; informational only,
        # the budget is checked on all saves because a user's first save is real.
        "p99_after_first_s": percentile(latencies[1:], 99),
        "engine_open_s": open_s,
        "engine_index_s": index_s,
        **checks,
    }
    return {"latencies_s": latencies, "summary": summary, "warnings": warnings}


def search_hits(search: Callable[..., Any], query: str) -> list[Any]:
    """The hits for ``query``, whether search returns a list or a result with ``.hits``."""
    result = search(query, limit=10)
    return list(getattr(result, "hits", result))


def search_checks(search: Callable[..., Any], edits: list[Edit]) -> dict[str, Any]:
    """Is the newest token findable, and is a token a later save removed gone?"""
    last = edits[-1]
    found = [h for h in search_hits(search, last.token) if same_path(h.path, last.path)]
    checks: dict[str, Any] = {
        "last_token": last.token,
        "last_token_found": bool(found),
        "last_token_symbol": str(getattr(found[0], "symbol", "")) if found else None,
        "last_token_function": last.function,
        "superseded_token": None,
        "superseded_token_found": None,
    }
    # The first edit of a file that was saved again later must no longer be searchable.
    for i, edit in enumerate(edits):
        if any(later.path == edit.path for later in edits[i + 1 :]):
            stale = [h for h in search_hits(search, edit.token) if same_path(h.path, edit.path)]
            checks["superseded_token"] = edit.token
            checks["superseded_token_found"] = bool(stale)
            break
    return checks


def restored_token_found(search: Callable[..., Any], edits: list[Edit]) -> bool:
    last = edits[-1]
    return any(same_path(h.path, last.path) for h in search_hits(search, last.token))


# ------------------------------------------------------------------------------ budgets


@dataclass(frozen=True)
class Budget:
    """One line of DESIGN.md's Budgets table, as a check on a summary figure."""

    label: str
    phase: str
    field: str
    limit: float
    unit: str
    scale: float
    only_corpus: str | None = None  # DESIGN.md states cold and restart budgets for Django


BUDGETS = (
    Budget("cold full index", "cold", "wall_s", 10.0, "s", 1.0, "django"),
    Budget("cold peak RSS", "cold", "peak_rss_bytes", 500.0, "MB", 1 / MB, "django"),
    Budget("restart, nothing changed", "restart", "wall_s", 2.0, "s", 1.0, "django"),
    Budget("one changed file p50", "edit", "p50_s", 50.0, "ms", 1e3),
    Budget("one changed file p99", "edit", "p99_s", 200.0, "ms", 1e3),
)


def check_budgets(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for key, result in results.items():
        for budget in BUDGETS:
            if budget.only_corpus not in (None, key):
                continue
            phase = result.get(budget.phase)
            value = phase["summary"].get(budget.field) if phase else None
            if value is None or (isinstance(value, float) and math.isnan(value)):
                status, shown = "NOT RUN", None
            else:
                shown = value * budget.scale
                status = "PASS" if shown <= budget.limit else "MISS"
            rows.append(
                {
                    "corpus": key,
                    "budget": budget.label,
                    "value": shown,
                    "limit": budget.limit,
                    "unit": budget.unit,
                    "status": status,
                }
            )
    return rows


# ----------------------------------------------------------------------------- printing


def print_corpus(key: str, version: str, result: dict[str, Any]) -> None:
    print(f"\n== {key} {version} " + "=" * max(0, 60 - len(key) - len(version)))
    rows: list[tuple[str, str]] = []
    if cold := result.get("cold"):
        s = cold["summary"]
        rows += [
            ("cold wall (median)", f"{s['wall_s']:.2f} s"),
            (
                "cold peak RSS (median)",
                f"{s['peak_rss_bytes'] / MB:.0f} MB  (wait4 largest process "
                f"{s['maxrss_bytes'] / MB:.0f}, tree PSS {mb(s['tree_pss_bytes'])}, "
                f"tree RSS {mb(s['tree_rss_bytes'])})",
            ),
            ("files / s", f"{s['files_per_s']:.0f}  ({s['files']} files)"),
            ("symbols", str(s["symbols"])),
            ("call edges", str(s["calls"])),
            ("chunks", str(s["chunks"])),
            (
                "call resolution",
                ", ".join(f"{k} {v:.1f}%" for k, v in s["resolution_pct"].items()) or "-",
            ),
            (
                "phase timings (median)",
                ", ".join(f"{k} {v:.2f}s" for k, v in s["timings_s"].items()) or "-",
            ),
        ]
    if restart := result.get("restart"):
        s = restart["summary"]
        rows += [
            ("restart wall (median)", f"{s['wall_s']:.2f} s"),
            ("restart parsed", ", ".join(str(p) for p in s["parsed"])),
        ]
    if edit := result.get("edit"):
        s = edit["summary"]
        rows += [
            (
                f"save latency ({s['edits']} edits)",
                f"p50 {s['p50_s'] * 1e3:.1f} ms, p99 {s['p99_s'] * 1e3:.1f} ms, "
                f"max {s['max_s'] * 1e3:.1f} ms, first {s['first_s'] * 1e3:.1f} ms, "
                f"p99 after first {s['p99_after_first_s'] * 1e3:.1f} ms",
            ),
            ("edited files", ", ".join(s["files"])),
            (
                "engine open / index",
                f"{s['engine_open_s'] * 1e3:.0f} ms / {s['engine_index_s'] * 1e3:.0f} ms",
            ),
            (
                "search finds last edit",
                f"{'yes' if s['last_token_found'] else 'NO'}"
                + (f" (symbol {s['last_token_symbol']})" if s["last_token_symbol"] else ""),
            ),
        ]
    width = max((len(label) for label, _ in rows), default=0)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    for warning in result.get("warnings", []):
        print(f"  WARNING: {warning}")
    for error in result.get("errors", []):
        print(f"  ERROR: {error}")


def print_budgets(rows: list[dict[str, Any]]) -> None:
    print("\n== budgets (DESIGN.md) " + "=" * 42)
    for row in rows:
        value = "-" if row["value"] is None else f"{row['value']:.1f}"
        print(
            f"  {row['status']:<7} {row['corpus']:<9} {row['budget']:<26} "
            f"{value:>8} {row['unit']:<2} <= {row['limit']:g} {row['unit']}"
        )


# ------------------------------------------------------------------------------ helpers


def run_record(run: ChildRun, report: dict[str, Any]) -> dict[str, Any]:
    return {
        "wall_s": run.wall_s,
        "peak_rss_bytes": run.peak_rss_bytes,
        "maxrss_bytes": run.maxrss_bytes,
        "tree_rss_bytes": run.tree_rss_bytes,
        "tree_pss_bytes": run.tree_pss_bytes,
        "report": report,
    }


def mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / MB:.0f}"


def resolution_mix(counts: dict[str, Any]) -> dict[str, float]:
    """Percent of call edges per resolution kind; the contract's kinds first, then others."""
    total = sum(int(v) for v in counts.values())
    if not total:
        return {}
    keys = [k for k in RESOLUTION_ORDER if k in counts]
    keys += sorted(k for k in counts if k not in RESOLUTION_ORDER)
    return {k: 100 * int(counts[k]) / total for k in keys}


def timing_phases(reports: list[dict[str, Any]]) -> list[str]:
    seen = {k for r in reports for k in (r.get("timings") or {})}
    return [p for p in TIMING_PHASES if p in seen] + sorted(seen - set(TIMING_PHASES))


def same_path(found: object, wanted: str) -> bool:
    # Accept absolute or workspace-relative paths from search results.
    text = Path(str(found)).as_posix()
    return text == wanted or text.endswith("/" + wanted)


def read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def environment(kenning: list[str]) -> dict[str, Any]:
    """Enough about the machine and the kenning build to compare two result files."""
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "kenning_command": kenning,
        "pythonpath": os.environ.get("PYTHONPATH"),
    }
    spec = importlib.util.find_spec("kenning")
    if spec and spec.origin:
        source = Path(spec.origin).parent
        info["kenning_source"] = str(source)
        git = ["git", "-C", str(source)]
        rev = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run([*git, "status", "--porcelain", "."], capture_output=True, text=True)
        if rev.returncode == 0:
            info["kenning_commit"] = rev.stdout.strip()
            info["kenning_dirty"] = bool(dirty.stdout.strip())
    return info


def json_safe(value: Any) -> Any:
    # NaN is not JSON; a missing figure is written as null.
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


# --------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "corpora",
        nargs="*",
        metavar="CORPUS",
        help="corpora to run (requests, flask, django, scikit-learn); default: all",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per CLI phase (default 3)")
    parser.add_argument("--edits", type=int, default=50, help="saves in the edit phase (50)")
    parser.add_argument(
        "--phases",
        default="cold,restart,edit",
        help="comma-separated subset of cold,restart,edit (default: all)",
    )
    parser.add_argument(
        "--kenning",
        help="command that runs the kenning CLI (default: the console script beside this "
        "Python, else `kenning` on PATH, else `python -m kenning`)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds before a CLI run is killed"
    )
    parser.add_argument(
        "--fetch-only", action="store_true", help="download and extract the corpora, then stop"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(args.phases) - {"cold", "restart", "edit"}
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    if args.runs < 1 or args.edits < 1:
        parser.error("--runs and --edits must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        selected = corpora_mod.select(args.corpora, list(PHASE1_CORPORA))
        roots = corpora_mod.prepare(selected)
    except corpora_mod.CorpusError as exc:
        print(f"error preparing corpora: {exc}", file=sys.stderr)
        return 2
    if args.fetch_only:
        for corpus in selected:
            print(f"{corpus.key} {corpus.version}: {roots[corpus.key]}")
        return 0

    kenning = shlex.split(args.kenning) if args.kenning else default_kenning_command()
    print(f"kenning: {shlex.join(kenning)}   runs: {args.runs}   edits: {args.edits}")
    started = dt.datetime.now(dt.UTC)
    results: dict[str, dict[str, Any]] = {}
    for corpus in selected:
        root = roots[corpus.key]
        print(f"\n{corpus.key} {corpus.version}: {root}", file=sys.stderr)
        result: dict[str, Any] = {"version": corpus.version, "warnings": [], "errors": []}
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("cold", partial(bench_cold, kenning, root, args.runs, args.timeout)),
            ("restart", partial(bench_restart, kenning, root, args.runs, args.timeout)),
            ("edit", partial(bench_edits, corpus.key, root, args.edits)),
        ]
        for name, step in steps:
            if name not in args.phases:
                continue
            try:
                outcome = step()
            except StepFailed as exc:
                result["errors"].append(f"{name}: {exc}")
                if name == "cold":
                    break  # without a working index run nothing later means anything
                continue
            except Exception as exc:
                # An exception from kenning's own code is a finding, not a bench crash.
                result["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            result["warnings"] += outcome.pop("warnings", [])
            result[name] = outcome
        results[corpus.key] = result
        print_corpus(corpus.key, corpus.version, result)

    budgets = check_budgets(results)
    print_budgets(budgets)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"phase1-{started:%Y%m%dT%H%M%SZ}.json"
    document = {
        "started": started.isoformat(),
        "args": {"runs": args.runs, "edits": args.edits, "phases": args.phases},
        "environment": environment(kenning),
        "corpora": results,
        "budgets": budgets,
    }
    out.write_text(json.dumps(json_safe(document), indent=2) + "\n")
    print(f"\nresults: {out}")
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
