"""Language benchmark: cold index of pinned real corpora in every language kenning reads.

Run by hand (``python -m bench.languages [NAME...]``), never by the test suite. Each
corpus in ``languages.txt`` is a package from a registry this machine reaches (an npm
tarball, a Debian ``.deb`` of Go or Rust sources, the OpenJDK ``src.zip``), pinned by
version and sha256. It is downloaded once into ``bench/.cache/languages/`` and unpacked
beside it; then, like ``phase1.py``'s cold step, ``kenning index --rebuild --json
--timings --no-embeddings`` runs in a fresh process with ``.kenning/`` deleted first:
wall time, peak memory summed over the process tree, files/s, symbols, call edges and
their resolution mix. ``--sample N`` prints N random resolved call edges (call site and
target definition side by side) for a person to check by hand.

``--against-axon PATH`` (the ``axon`` executable of an installed ``axoniq``) runs Axon's
``axon analyze --no-embeddings`` on the same TypeScript/JavaScript corpora, alternating
with kenning's cold index run for run, each with its index folder deleted first and
measured the same way (wall time, peak memory summed over the process tree). Each side's
indexed file list is read back from its own store and compared, so the table says
whether both read the same files, and how many symbols and call edges each made.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import ChildRun, median, run_measured
from bench.phase1 import MB, StepFailed, bench_cold, default_kenning_command, run_index

BENCH_DIR = Path(__file__).resolve().parent
LIST = BENCH_DIR / "languages.txt"
CACHE = BENCH_DIR / ".cache" / "languages"
# Resolutions that say where a call goes inside the workspace (the ones worth checking).
RESOLVED = ("local", "same-file", "self", "import", "typed", "name-only")
# Axon (axoniq 1.0.1) reads these languages only; the comparison runs on their corpora.
AXON_LANGUAGES = ("typescript", "javascript")
# Read Axon's Kuzu store with Axon's own interpreter (kenning's has ladybug, not kuzu):
# the indexed files, the symbol nodes by label and the call edges, as one JSON object.
AXON_STORE_SCRIPT = """
import json, sys, kuzu
conn = kuzu.Connection(kuzu.Database(sys.argv[1], read_only=True))
def rows(q):
    r = conn.execute(q)
    out = []
    while r.has_next():
        out.append(r.get_next())
    return out
labels = ("Function", "Class", "Method", "Interface", "TypeAlias", "Enum")
print(json.dumps({
    "files": sorted(row[0] for row in rows("MATCH (f:File) RETURN f.file_path")),
    "symbols": {l: rows(f"MATCH (n:{l}) RETURN count(n)")[0][0] for l in labels},
    "calls": rows("MATCH ()-[e:CodeRelation]->() WHERE e.rel_type = 'calls' RETURN count(*)")[0][0],
}))
"""


class CorpusError(RuntimeError):
    """A corpus could not be fetched, verified or unpacked; the message says why."""


@dataclass(frozen=True)
class LanguageCorpus:
    name: str
    language: str
    source: str  # "npm" | "deb" | "deb-zip"
    package: str
    version: str
    sha256: str
    subdir: str

    @property
    def unpacked(self) -> Path:
        return CACHE / f"{self.name}-{self.version}"

    @property
    def root(self) -> Path:
        inner = self.subdir.split("!", 1)[-1] if self.source == "deb-zip" else self.subdir
        return self.unpacked / inner if inner else self.unpacked


def load(path: Path = LIST) -> list[LanguageCorpus]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) == 6:
            fields.append("")
        if len(fields) != 7:
            raise CorpusError(f"{path.name}: expected 7 tab-separated fields: {line!r}")
        out.append(LanguageCorpus(*fields))
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(corpus: LanguageCorpus) -> Path:
    """The verified download of one corpus, fetched when missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    pattern = f"{corpus.package.replace('@', '').replace('/', '-')}-*"
    if corpus.source != "npm":
        pattern = f"{corpus.package}_*.deb"
    for found in CACHE.glob(pattern):
        if _sha256(found) == corpus.sha256:
            return found
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        if corpus.source == "npm":
            argv = ["npm", "pack", f"{corpus.package}@{corpus.version}", "--pack-destination", tmp]
        else:
            argv = ["apt-get", "download", f"{corpus.package}={corpus.version}"]
        done = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, check=False)
        files = list(Path(tmp).iterdir())
        if done.returncode != 0 or len(files) != 1:
            raise CorpusError(f"`{' '.join(argv)}` failed: {done.stderr.strip()[-500:]}")
        got = _sha256(files[0])
        if got != corpus.sha256:
            raise CorpusError(f"{files[0].name}: sha256 {got}, expected {corpus.sha256}")
        target = CACHE / files[0].name
        shutil.move(files[0], target)
        return target


def unpack(corpus: LanguageCorpus) -> Path:
    """The corpus's folder to index, unpacked once (a marker file says it finished)."""
    marker = corpus.unpacked / ".unpacked"
    if marker.exists():
        return corpus.root
    archive = download(corpus)
    shutil.rmtree(corpus.unpacked, ignore_errors=True)
    corpus.unpacked.mkdir(parents=True)
    if corpus.source == "npm":
        with tarfile.open(archive) as tar:
            tar.extractall(corpus.unpacked, filter="data")
    else:
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            subprocess.run(["dpkg-deb", "-x", str(archive), tmp], check=True)
            if corpus.source == "deb":
                shutil.copytree(tmp, corpus.unpacked, symlinks=True, dirs_exist_ok=True)
            else:
                zip_path = Path(tmp) / corpus.subdir.split("!", 1)[0].lstrip("/")
                with zipfile.ZipFile(zip_path) as zf:
                    zf.extractall(corpus.unpacked)
    marker.touch()
    return corpus.root


def sample_edges(root: Path, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` random call edges resolved into the workspace, with both ends' source."""
    from kenning.storage.graph import GraphStore

    graph = GraphStore(root / ".kenning" / "graph", read_only=True)
    try:
        table = graph.query(
            "MATCH (a:Symbol)-[e:CALLS]->(b:Symbol) WHERE e.resolution IN $kinds "
            "RETURN a.path, e.line, e.callee, e.resolution, e.confidence, b.qualname, b.path, "
            "b.start_line",
            {"kinds": list(RESOLVED)},
        )
    finally:
        graph.close()
    rows = list(zip(*(column.to_pylist() for column in table.columns), strict=True))
    picked = random.Random(seed).sample(rows, min(count, len(rows)))
    out = []
    for path, line, callee, resolution, confidence, target, target_path, target_line in picked:
        out.append(
            {
                "site": f"{path}:{line + 1}",
                "site_text": _line(root / path, line),
                "callee": callee,
                "resolution": resolution,
                "confidence": confidence,
                "target": target,
                "target_at": f"{target_path}:{target_line + 1}",
                "target_text": _line(root / target_path, target_line),
            }
        )
    return out


def _line(path: Path, row: int) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "?"
    return lines[row].strip()[:160] if 0 <= row < len(lines) else "?"


def kenning_store(root: Path) -> dict[str, Any]:
    """The files kenning indexed and its symbols by kind (module symbols and external
    placeholders left out, as Axon has neither)."""
    from kenning.storage.graph import GraphStore

    graph = GraphStore(root / ".kenning" / "graph", read_only=True)
    try:
        files = graph.query("MATCH (f:File) RETURN f.path").column(0).to_pylist()
        kinds = graph.query(
            "MATCH (s:Symbol) WHERE NOT s.kind IN ['module', 'external'] RETURN s.kind, count(*)"
        )
    finally:
        graph.close()
    by_kind = dict(zip(kinds.column(0).to_pylist(), kinds.column(1).to_pylist(), strict=True))
    return {"files": sorted(files), "symbols": by_kind}


def axon_python(axon: Path) -> str:
    """The interpreter of Axon's environment: the one its console script names."""
    first = axon.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    if first.startswith("#!") and "python" in first:
        return first[2:].strip().split()[0]
    return str(axon.parent / "python")


def run_axon(axon: Path, root: Path, home: Path, timeout_s: float) -> tuple[ChildRun, dict]:
    """One cold ``axon analyze --no-embeddings`` of `root`, and what its store holds."""
    shutil.rmtree(root / ".axon", ignore_errors=True)
    # Axon also records every repository it indexed under ~/.axon; a scratch HOME keeps
    # the bench from writing into the user's. Axon lists files with `git ls-files` when
    # the folder is inside a repository: the corpora unpack inside this one, where
    # `bench/.cache` is ignored, so git would list nothing. Stopping git's search at the
    # corpus makes Axon walk the folder, as kenning does.
    env = {
        **os.environ,
        "HOME": str(home),
        "NO_COLOR": "1",
        "GIT_CEILING_DIRECTORIES": str(root.parent),
    }
    argv = [str(axon), "analyze", "--no-embeddings", str(root)]
    run = run_measured(argv, env=env, timeout_s=timeout_s)
    if run.timed_out or run.returncode != 0:
        raise StepFailed(f"`{' '.join(argv)}` failed ({run.returncode}):\n{run.stderr[-2000:]}")
    done = subprocess.run(
        [axon_python(axon), "-c", AXON_STORE_SCRIPT, str(root / ".axon" / "kuzu")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise StepFailed(f"reading Axon's store failed:\n{done.stderr[-2000:]}")
    return run, json.loads(done.stdout)


def against_axon(
    corpus: LanguageCorpus, root: Path, axon: Path, runs: int, timeout_s: float
) -> dict[str, Any]:
    """kenning and Axon, cold, alternating run for run on one corpus; medians of each."""
    kenning = default_kenning_command()
    walls: dict[str, list[float]] = {"kenning": [], "axon": []}
    peaks: dict[str, list[float]] = {"kenning": [], "axon": []}
    report: dict[str, Any] = {}
    axon_store: dict[str, Any] = {}
    ours: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="axon-home-") as home:
        for i in range(runs):
            shutil.rmtree(root / ".axon", ignore_errors=True)
            shutil.rmtree(root / ".kenning", ignore_errors=True)
            run, report = run_index(
                kenning, root, ["--rebuild", "--json", "--no-embeddings"], timeout_s
            )
            walls["kenning"].append(run.wall_s)
            peaks["kenning"].append(run.peak_rss_bytes)
            # Each side walks a folder without the other's index in it.
            ours = kenning_store(root)
            shutil.rmtree(root / ".kenning", ignore_errors=True)
            arun, axon_store = run_axon(axon, root, Path(home), timeout_s)
            walls["axon"].append(arun.wall_s)
            peaks["axon"].append(arun.peak_rss_bytes)
            print(
                f"  .. run {i + 1}/{runs}: kenning {run.wall_s:.1f} s "
                f"{run.peak_rss_bytes / MB:.0f} MB, axon {arun.wall_s:.1f} s "
                f"{arun.peak_rss_bytes / MB:.0f} MB",
                file=sys.stderr, flush=True,
            )  # fmt: skip
    shutil.rmtree(root / ".axon", ignore_errors=True)
    only_kenning = sorted(set(ours["files"]) - set(axon_store["files"]))
    only_axon = sorted(set(axon_store["files"]) - set(ours["files"]))
    return {
        "corpus": corpus.name,
        "kenning": {
            "wall_s": median(walls["kenning"]),
            "peak_bytes": median(peaks["kenning"]),
            "walls": walls["kenning"],
            "peaks": peaks["kenning"],
            "files": len(ours["files"]),
            "symbols": ours["symbols"],
            "calls": report.get("calls"),
        },
        "axon": {
            "wall_s": median(walls["axon"]),
            "peak_bytes": median(peaks["axon"]),
            "walls": walls["axon"],
            "peaks": peaks["axon"],
            "files": len(axon_store["files"]),
            "symbols": axon_store["symbols"],
            "calls": axon_store["calls"],
        },
        "only_kenning": only_kenning,
        "only_axon": only_axon,
    }


def print_axon_table(result: dict[str, Any]) -> None:
    print(f"{result['corpus']}: kenning vs Axon, cold, medians")
    print("| tool | files | symbols | calls | cold index | peak memory (process tree) |")
    print("|---|---|---|---|---|---|")
    for tool in ("kenning", "axon"):
        r = result[tool]
        symbols = sum(r["symbols"].values())
        walls = ", ".join(f"{w:.1f}" for w in r["walls"])
        print(
            f"| {tool} | {r['files']} | {symbols} | {r['calls']} | {r['wall_s']:.1f} s "
            f"({walls}) | {r['peak_bytes'] / MB:.0f} MB |"
        )
        print(f"    symbols by kind: {r['symbols']}")
    for side in ("only_kenning", "only_axon"):
        files = result[side]
        print(f"  files {side.replace('_', ' ')}: {len(files)} {files[:5]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="corpora to run (default: all)")
    parser.add_argument("--runs", type=int, default=3, help="cold runs per corpus (median)")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--sample", type=int, default=0, help="print N resolved call edges")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument(
        "--against-axon",
        type=Path,
        metavar="AXON",
        help="the `axon` executable: compare with Axon on the TypeScript/JavaScript corpora",
    )
    args = parser.parse_args(argv)
    corpora = load()
    if args.names:
        unknown = set(args.names) - {c.name for c in corpora}
        if unknown:
            print(f"unknown corpora: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        corpora = [c for c in corpora if c.name in args.names]
    if args.against_axon:
        return main_against_axon(args, corpora)
    kenning = [*default_kenning_command()]
    results: dict[str, Any] = {}
    for corpus in corpora:
        try:
            root = unpack(corpus)
        except (CorpusError, OSError, subprocess.CalledProcessError) as error:
            print(f"{corpus.name}: {error}", file=sys.stderr)
            return 1
        cold = bench_cold([*kenning], root, args.runs, args.timeout, ["--no-embeddings"])
        s = cold["summary"]
        results[corpus.name] = {"corpus": corpus.__dict__, "summary": s}
        mix = ", ".join(f"{k} {v:.1f}%" for k, v in s["resolution_pct"].items())
        print(
            f"{corpus.name} {corpus.version} ({corpus.language}): {s['files']} files, "
            f"{s['wall_s']:.2f} s, {s['files_per_s']:.0f} files/s, "
            f"peak {s['peak_rss_bytes'] / MB:.0f} MB, {s['symbols']} symbols, "
            f"{s['calls']} calls [{mix}]"
        )
        if args.sample:
            edges = sample_edges(root, args.sample, args.seed)
            results[corpus.name]["sample"] = edges
            for i, edge in enumerate(edges, 1):
                print(f"  {i:2}. {edge['site']}  {edge['site_text']}")
                print(f"      -> {edge['target']} ({edge['resolution']}, {edge['confidence']})")
                print(f"         {edge['target_at']}  {edge['target_text']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


def main_against_axon(args: argparse.Namespace, corpora: list[LanguageCorpus]) -> int:
    axon = args.against_axon.resolve()
    if not axon.is_file():
        print(f"no Axon executable at {axon}", file=sys.stderr)
        return 2
    corpora = [c for c in corpora if c.language in AXON_LANGUAGES]
    if not corpora:
        print(f"Axon reads only {', '.join(AXON_LANGUAGES)} corpora", file=sys.stderr)
        return 2
    results = {}
    for corpus in corpora:
        try:
            root = unpack(corpus)
            result = against_axon(corpus, root, axon, args.runs, args.timeout)
        except (CorpusError, StepFailed, OSError, subprocess.CalledProcessError) as error:
            print(f"{corpus.name}: {error}", file=sys.stderr)
            return 1
        results[corpus.name] = result
        print_axon_table(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
