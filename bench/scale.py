"""How kenning's costs grow with the repository: 1x, 4x (and 10x) Django side by side.

Run by hand (``python -m bench.scale [--sizes 1 4] [--workspace PATH ...]``), never by the
test suite. Each size N is a workspace of N copies of the pinned Django sdist
(``bench/.cache/scratch/scale-<N>x/django<i>/``, built once and reused); ``--workspace``
adds any other folder (e.g. an unpacked ``java.base``), measured in place (kenning
writes only its ``.kenning/`` there), its save phase on the files ``--save`` names
(``.py`` or ``.java``; none by default). Per workspace:

1. cold: ``.kenning/`` deleted, then ``kenning index <ws> --rebuild --no-embeddings
   --json --timings`` (phase 1: what DESIGN.md's "full index, cold" budget covers) in a
   fresh process, ``--runs`` times: wall, and peak memory summed over the process tree
   (parse workers included; see ``measure.py``);
2. restart: ``kenning index <ws> --no-embeddings --json`` with nothing changed,
   ``--runs`` times: wall;
3. through LSP (``kenning serve`` over stdio, a pygls ``LanguageClient``, embeddings off):
   spawn -> idle on the existing index (a warm start), 100 round trips each of
   ``kenning/status`` and a ``workspace/symbol`` query that matches nothing, then
   save -> visible for a small file (``django/shortcuts.py``) and a large one
   (``django/db/models/query.py``) of the first copy: ``didChange`` with the whole new
   text (the original plus one new function), the file written, ``didSave``, then
   ``workspace/symbol`` polled without sleeping until the new function is found. In a
   ``.java`` file the two new functions are static methods before the closing brace of
   its last top-level type; with ``--edit method``, in a ``.py`` file they are methods
   of its first class.

With ``--against-axon PATH`` (the ``axon`` executable of an installed ``axoniq``), each
cold run of kenning follows a cold ``axon analyze --no-embeddings`` of the same workspace
(``bench.languages.run_axon``: a scratch HOME, git's search stopped at the workspace),
measured the same way, and the table adds Axon's wall, peak and the ratio of the two.

It prints one table per workspace and the growth ratios of each size against the
smallest, and writes the raw figures to ``bench/results/scale-<UTC timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import secrets
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types

from bench import corpora as corpora_mod
from bench.languages import run_axon
from bench.lsp_latency import (
    FAST,
    Session,
    is_idle,
    measure_round_trips,
    start_session,
)
from bench.measure import median, percentile
from bench.phase1 import MB, default_kenning_command, environment, json_safe, run_index

SCRATCH_DIR = corpora_mod.CACHE_DIR / "scratch"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
# The editor's languageId of a saved file, by suffix.
_LANGUAGE_IDS = {".py": "python", ".java": "java"}
# A small and a large module, relative to one copy of the Django sdist.
SAVE_TARGETS = ("django/shortcuts.py", "django/db/models/query.py")
VISIBLE_TIMEOUT_S = 10.0
# Seconds from a daemon's idle to the polled requests' main measurement: its warm-up
# (the chunk and vector tables opened in the background) takes 1-3 s on this machine.
SETTLE_S = 8.0
COMPLETE = ".scale-complete"


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def django_workspace(pristine: Path, copies: int) -> Path:
    """`copies` copies of the Django sdist side by side, built once and reused."""
    root = SCRATCH_DIR / f"scale-{copies}x"
    if not (root / COMPLETE).is_file():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        for i in range(1, copies + 1):
            shutil.copytree(
                pristine, root / f"django{i}", ignore=shutil.ignore_patterns(".kenning")
            )
        # Beside the copies, not in them: kenning indexes no file of that name.
        (root / COMPLETE).write_text(f"{copies} copies of {pristine}\n")
    return root


# ---------------------------------------------------------------------------- CLI phases


def bench_cold(
    kenning: list[str], root: Path, runs: int, axon: Path | None = None
) -> dict[str, Any]:
    samples: list[dict[str, Any]] = []
    axon_runs: list[dict[str, Any]] = []
    for i in range(runs):
        shutil.rmtree(root / ".kenning", ignore_errors=True)
        if axon is not None:
            # Axon's cold `analyze`, run by run before kenning's, each side walking a
            # folder without the other's index in it.
            with tempfile.TemporaryDirectory(prefix="axon-home-") as home:
                arun, store = run_axon(axon, root, Path(home), timeout_s=3600)
            shutil.rmtree(root / ".axon", ignore_errors=True)
            files = len(store["files"])
            peak = arun.peak_rss_bytes / MB
            axon_runs.append(
                {"wall_s": arun.wall_s, "peak_bytes": arun.peak_rss_bytes, "files": files}
            )
            progress(
                f"Axon cold {i + 1}/{runs}: {arun.wall_s:.2f} s, {peak:.0f} MB, {files:,} files"
            )
        argv = ["--rebuild", "--no-embeddings", "--json", "--timings"]
        run, report = run_index(kenning, root, argv, timeout_s=1800)
        samples.append(
            {
                "wall_s": run.wall_s,
                "peak_bytes": run.peak_rss_bytes,
                "maxrss_bytes": run.maxrss_bytes,
                "tree_rss_bytes": run.tree_rss_bytes,
                "tree_pss_bytes": run.tree_pss_bytes,
                "report": report,
            }
        )
        progress(f"cold {i + 1}/{runs}: {run.wall_s:.2f} s, {run.peak_rss_bytes / MB:.0f} MB")
    last = samples[-1]["report"]
    return {
        "runs": samples,
        "wall_s": median([s["wall_s"] for s in samples]),
        "peak_bytes": median([s["peak_bytes"] for s in samples]),
        "tree_rss_bytes": median([s["tree_rss_bytes"] for s in samples]),
        "files": last.get("files"),
        "symbols": last.get("symbols"),
        "calls": last.get("calls"),
        "chunks": last.get("chunks"),
        "timings_s": last.get("timings", {}),
        **(
            {
                "axon": {
                    "runs": axon_runs,
                    "wall_s": median([a["wall_s"] for a in axon_runs]),
                    "peak_bytes": median([a["peak_bytes"] for a in axon_runs]),
                    "files": axon_runs[-1]["files"],
                }
            }
            if axon_runs
            else {}
        ),
    }


def bench_restart(kenning: list[str], root: Path, runs: int) -> dict[str, Any]:
    samples: list[dict[str, Any]] = []
    for i in range(runs):
        run, report = run_index(kenning, root, ["--no-embeddings", "--json"], timeout_s=600)
        samples.append({"wall_s": run.wall_s, "parsed": report.get("parsed"), "report": report})
        progress(f"restart {i + 1}/{runs}: {run.wall_s:.2f} s, parsed {report.get('parsed')}")
    return {
        "runs": samples,
        "wall_s": median([s["wall_s"] for s in samples]),
        "reparsed": [s["parsed"] for s in samples if s["parsed"]],
    }


# ---------------------------------------------------------------------------- LSP phases


async def save_until_visible(
    session: Session, path: Path, version: int, name: str, method: bool = False
) -> tuple[float, float]:
    """Whole-text didChange adding `def <name>_callee()` and `def <name>()` calling it,
    write, didSave; then poll without sleeping until `workspace/symbol` finds `<name>`
    (the first figure), and until `kenning/search` and the call hierarchy (the incoming
    calls of `<name>_callee`) reflect it too (the second)."""
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".java":
        # Two methods before the closing brace of the file's last top-level type.
        at = text.rstrip().rindex("}")
        head = f"{text[:at]}\n    static int {name}_callee() {{ return 1; }}\n"
        new = f"{head}    static int {name}() {{ return {name}_callee(); }}\n{text[at:]}"
        callee_line, callee_col = head.count("\n") - 1, 15
    elif method and "\nclass " in text and "\n    def " in text[text.index("\nclass ") :]:
        # Two methods before the first method of the file's first class (a file without
        # one gets the functions appended).
        at = text.index("\n    def ", text.index("\nclass "))
        head = f"{text[:at]}\n    def {name}_callee(self):\n        return 1\n"
        new = f"{head}\n    def {name}(self):\n        return self.{name}_callee()\n{text[at:]}"
        callee_line, callee_col = head.count("\n") - 2, 8
    else:
        marker = "\n# kenning-scale-bench\n"
        base = text.split(marker, 1)[0]
        head = f"{base}{marker}def {name}_callee():\n    return len(__name__)\n\n\n"
        new = f"{head}def {name}():\n    return {name}_callee()\n"
        callee_line, callee_col = head.count("\n") - 4, 5
    session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(new)],
        )
    )
    path.write_text(new, encoding="utf-8")
    sent = time.perf_counter()
    session.client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
    )

    async def symbol() -> bool:
        found = await session.client.workspace_symbol_async(types.WorkspaceSymbolParams(name))
        return any(s.name == name for s in found or [])

    async def search() -> bool:
        found = await session.request("kenning/search", {"query": name, "mode": "text"})
        return any(h["symbol"].endswith(f".{name}") for h in found["hits"])

    async def callers() -> bool:
        items = await session.client.text_document_prepare_call_hierarchy_async(
            types.CallHierarchyPrepareParams(
                types.TextDocumentIdentifier(uri), types.Position(callee_line, callee_col)
            )
        )
        if not items or items[0].name != f"{name}_callee":
            return False
        calls = await session.client.call_hierarchy_incoming_calls_async(
            types.CallHierarchyIncomingCallsParams(items[0])
        )
        return any(c.from_.name == name for c in calls or [])

    seen = math.nan
    for probe in (symbol, search, callers):
        while not await probe():
            if time.perf_counter() - sent > VISIBLE_TIMEOUT_S:
                return seen, math.nan
        if probe is symbol:
            seen = time.perf_counter() - sent
    return seen, time.perf_counter() - sent


async def bench_lsp(
    kenning: list[str],
    root: Path,
    saves: int,
    targets: list[Path],
    nonce: str,
    method: bool = False,
) -> dict[str, Any]:
    log = root.parent / f"{root.name}.serve.log"
    started = time.perf_counter()
    command = [*kenning, "serve", "--log-file", str(log), "--log-level", "WARNING"]
    session = await start_session(root, FAST, command)
    status, _ = await session.wait_for_status(is_idle, timeout_s=1800)
    result: dict[str, Any] = {"warm_spawn_to_idle_s": time.perf_counter() - started}
    try:
        # Right after idle, the daemon's warm-up thread is opening the chunk and vector
        # tables (LanceDB's import holds the interpreter for a second or two); a client
        # polls all along, so both are measured: at idle, and once that is over.
        result["round_trips_at_idle"] = await measure_round_trips(session)
        await asyncio.sleep(SETTLE_S)
        result["round_trips"] = await measure_round_trips(session)
        result["saves"] = {}
        for path in targets:
            original = path.read_text(encoding="utf-8")
            uri = path.as_uri()
            language_id = _LANGUAGE_IDS.get(path.suffix, "python")
            item = types.TextDocumentItem(uri, language_id, 1, original)
            session.client.text_document_did_open(types.DidOpenTextDocumentParams(item))
            latencies = []
            everywhere = []
            try:
                for n in range(saves):
                    name = f"kscale{nonce}s{n:03d}"
                    first, last = await save_until_visible(session, path, n + 2, name, method)
                    latencies.append(first)
                    everywhere.append(last)
            finally:
                session.client.text_document_did_change(
                    types.DidChangeTextDocumentParams(
                        types.VersionedTextDocumentIdentifier(uri=uri, version=saves + 2),
                        [types.TextDocumentContentChangeWholeDocument(original)],
                    )
                )
                path.write_text(original, encoding="utf-8")
                session.client.text_document_did_save(
                    types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
                )
                session.client.text_document_did_close(
                    types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
                )
            seen = [s * 1e3 for s in latencies if not math.isnan(s)]
            seen_all = [s * 1e3 for s in everywhere if not math.isnan(s)]
            rel = path.relative_to(root).as_posix()
            result["saves"][rel] = {
                "n": len(seen),
                "not_visible": len(latencies) - len(seen),
                "p50_ms": percentile(seen, 50),
                "p99_ms": percentile(seen, 99),
                "samples_ms": seen,
                # Until search and the call hierarchy reflect it as well.
                "all_p50_ms": percentile(seen_all, 50),
                "all_p99_ms": percentile(seen_all, 99),
                "all_samples_ms": seen_all,
            }
            progress(
                f"save -> visible {rel}: p50 {percentile(seen, 50):.0f} ms "
                f"(symbol, search and callers: {percentile(seen_all, 50):.0f} ms)"
            )
        result["files"] = status["files"]
    finally:
        await session.stop()
    return result


# --------------------------------------------------------------------------------- output


def print_table(results: dict[str, dict[str, Any]]) -> None:
    print(f"\n{'':<44}" + "".join(f"{k:>16}" for k in results))

    def row(label: str, get: Any, fmt: str) -> None:
        cells = []
        for r in results.values():
            try:
                value = get(r)
            except (KeyError, TypeError):
                value = None
            cells.append(f"{'-' if value is None else format(value, fmt):>16}")
        print(f"{label:<44}" + "".join(cells))

    row("files", lambda r: r["cold"]["files"], ",")
    row("cold index: wall s", lambda r: r["cold"]["wall_s"], ".2f")
    row("cold index: peak MB (tree PSS / wait4)", lambda r: r["cold"]["peak_bytes"] / MB, ",.0f")
    row("cold index: peak MB (tree RSS sum)", lambda r: r["cold"]["tree_rss_bytes"] / MB, ",.0f")
    row("Axon cold analyze: wall s", lambda r: r["cold"]["axon"]["wall_s"], ".2f")
    row("Axon cold analyze: peak MB (tree PSS)", lambda r: r["cold"]["axon"]["peak_bytes"] / MB,
        ",.0f")  # fmt: skip
    row("Axon's cold wall / kenning's",
        lambda r: r["cold"]["axon"]["wall_s"] / r["cold"]["wall_s"], ".1f")  # fmt: skip
    row("restart, nothing changed: wall s", lambda r: r["restart"]["wall_s"], ".2f")
    row("LSP warm start: spawn -> idle s", lambda r: r["lsp"]["warm_spawn_to_idle_s"], ".2f")
    for label in ("kenning/status", "workspace/symbol, no match"):
        row(f"{label}: p50 ms", lambda r, k=label: r["lsp"]["round_trips"][k]["p50_ms"], ".1f")
        row(
            "  ... at idle, during the warm-up: p50 ms",
            lambda r, k=label: r["lsp"]["round_trips_at_idle"][k]["p50_ms"],
            ".1f",
        )
    targets = {t for r in results.values() for t in r.get("lsp", {}).get("saves", {})}
    for suffix in SAVE_TARGETS:
        name = suffix.rsplit("/", 1)[-1]

        def save(r: dict[str, Any], key: str, suffix: str = suffix) -> Any:
            for t, v in r["lsp"]["saves"].items():
                if t.endswith(suffix):
                    return v[key]
            return None

        if any(t.endswith(suffix) for t in targets):
            row(f"save -> visible {name}: p50 ms", lambda r, s=save: s(r, "p50_ms"), ".0f")
            row(f"save -> visible {name}: p99 ms", lambda r, s=save: s(r, "p99_ms"), ".0f")
            row("  ... and in search, callers: p50 ms", lambda r, s=save: s(r, "all_p50_ms"), ".0f")
            row("  ... and in search, callers: p99 ms", lambda r, s=save: s(r, "all_p99_ms"), ".0f")
    labels = dict.fromkeys(k.partition(":")[2] for k in results)
    for label in labels:
        print_growth({k: v for k, v in results.items() if k.partition(":")[2] == label})


def print_growth(results: dict[str, dict[str, Any]]) -> None:
    sizes = [k for k in results if k.partition(":")[0].endswith("x")]
    if len(sizes) > 1:
        base = results[sizes[0]]
        print(f"\ngrowth against {sizes[0]}:")
        figures: dict[str, Callable[[dict[str, Any]], float]] = {
            "cold wall": lambda r: r["cold"]["wall_s"],
            "cold peak memory": lambda r: r["cold"]["peak_bytes"],
            "restart": lambda r: r["restart"]["wall_s"],
            "kenning/status p50": lambda r: r["lsp"]["round_trips"]["kenning/status"]["p50_ms"],
            "workspace/symbol no match p50": lambda r: r["lsp"]["round_trips"][
                "workspace/symbol, no match"
            ]["p50_ms"],
        }
        for suffix in SAVE_TARGETS:

            def save_p50(r: dict[str, Any], s: str = suffix) -> float:
                saves = r["lsp"]["saves"].items()
                return float(next(v["p50_ms"] for t, v in saves if t.endswith(s)))

            figures[f"save {suffix.rsplit('/', 1)[-1]} p50"] = save_p50
        for label, get in figures.items():
            cells = []
            for key in sizes[1:]:
                try:
                    cells.append(f"{key}: {get(results[key]) / get(base):.2f}x")
                except (KeyError, TypeError, ZeroDivisionError, StopIteration):
                    cells.append(f"{key}: -")
            print(f"  {label:<32} " + "   ".join(cells))


# ------------------------------------------------------------------------------------ run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1, 4], help="copies (1 4)")
    parser.add_argument("--workspace", type=Path, action="append", default=[], help="extra")
    parser.add_argument(
        "--edit",
        choices=("append", "method"),
        default="append",
        help="what a save of a .py file adds: two functions at its end (append), or two "
        "methods to its first class (method)",
    )
    parser.add_argument(
        "--save",
        action="append",
        default=[],
        metavar="PATH",
        help="a file of the --workspace workspaces (relative to each) to save in the LSP "
        "phase, .py or .java; repeat for more (Django's sizes save their own two)",
    )
    parser.add_argument("--runs", type=int, default=3, help="cold and restart runs (3)")
    parser.add_argument("--saves", type=int, default=10, help="saves per file (10)")
    parser.add_argument(
        "--phases", default="cold,restart,lsp", help="comma-separated: cold,restart,lsp"
    )
    parser.add_argument(
        "--kenning",
        action="append",
        default=[],
        metavar="LABEL=COMMAND",
        help="a build to measure, e.g. base='env PYTHONPATH=/tmp/base/daemon python -m "
        "kenning'; repeat to compare builds side by side, each workspace measured by every "
        "build in turn (default: the console script beside this interpreter)",
    )
    parser.add_argument(
        "--against-axon",
        type=Path,
        metavar="PATH",
        help="the `axon` executable of an installed axoniq: its cold `analyze "
        "--no-embeddings` of each workspace runs before each of kenning's cold runs",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON, not the table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    builds = {}
    for spec in args.kenning:
        label, _, command = spec.partition("=")
        builds[label] = shlex.split(command)
    if not builds:
        builds[""] = default_kenning_command()
    phases = set(args.phases.split(","))
    nonce = secrets.token_hex(3)
    workspaces: dict[str, tuple[Path, bool]] = {}
    if args.sizes:
        try:
            pristine = corpora_mod.prepare(corpora_mod.select(["django"]))["django"]
        except corpora_mod.CorpusError as exc:
            print(f"error preparing Django: {exc}", file=sys.stderr)
            return 2
        for n in args.sizes:
            workspaces[f"{n}x"] = (django_workspace(pristine, n), True)
    for extra in args.workspace:
        workspaces[extra.resolve().name] = (extra.resolve(), False)
    started = dt.datetime.now(dt.UTC)
    results: dict[str, dict[str, Any]] = {}
    for name, (root, django) in workspaces.items():
        for label, kenning in builds.items():
            key = f"{name}:{label}" if label else name
            print(f"{key}: {root}", file=sys.stderr)
            r: dict[str, Any] = {"root": str(root), "kenning": kenning}
            # Every build starts from its own cold index: builds need not share a format.
            if "cold" in phases or label or not (root / ".kenning").exists():
                axon = args.against_axon if "cold" in phases else None
                r["cold"] = bench_cold(kenning, root, args.runs if "cold" in phases else 1, axon)
            if "restart" in phases:
                r["restart"] = bench_restart(kenning, root, args.runs)
            if "lsp" in phases:
                if django:
                    targets = [root / "django1" / t for t in SAVE_TARGETS]
                else:
                    targets = [root / t for t in args.save if (root / t).is_file()]
                r["lsp"] = asyncio.run(
                    bench_lsp(kenning, root, args.saves, targets, nonce, args.edit == "method")
                )
            results[key] = r
    document = json_safe(
        {
            "started": started.isoformat(),
            "args": {k: str(v) for k, v in vars(args).items()},
            "environment": environment(next(iter(builds.values()))),
            "workspaces": results,
        }
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"scale-{started:%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print_table(results)
        print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
