"""Where a cold full index spends its time and memory, stage by stage.

    python -m bench.cold_stages WORKSPACE [--runs 3] [--tracemalloc]
    python -m bench.cold_stages WORKSPACE --kenning base="env PYTHONPATH=B/daemon python -m kenning"

Each run deletes `.kenning/` and runs `kenning index WORKSPACE --rebuild
--no-embeddings --json --timings` in a fresh process (as `scale.py` does), sampling
every 50 ms the RSS of that process and, apart, the summed RSS of its children (the
parse workers and their fork server). kenning's own timings split the run into
stages (`walk`, `parse` = pass 1, `resolve_and_graph_write` = pass 2, `chunk_wait`,
and before them start-up: imports and opening the stores); the table gives the
median of each timing over the runs and the peak parent and worker RSS within each
stage. Timings named `stage.step` are steps summed inside a stage (`parse.wait` is the
parent blocked on workers, `parse.worker_cpu` the workers' CPU seconds, `graph.copy_X`
the COPY into table X and `graph.checkpoint_X` its checkpoint (both on the graph writer
thread, overlapping the stages; `graph.wait` is the main thread blocked on it),
`chunks_bg.*` the chunk writer thread, which overlaps the stages; `cpu.*` the CPU
seconds of the parent, its main thread and each writer thread, steadier than wall
times on a shared machine).

`--tracemalloc` runs the index in this process instead, with `tracemalloc` on, and
adds the peak Python heap per stage (the rest of the parent's RSS is native: ladybug's
buffer pool, LanceDB and Arrow, the interpreter and its imports). It slows the run,
so its timings are not the ones to quote.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import psutil

STAGES = ("startup", "walk", "parse", "resolve_and_graph_write", "chunk_wait", "exit")
MB = 1e6


class Sampler(threading.Thread):
    """(seconds since start, parent RSS, children's summed RSS, Python heap) every 50 ms."""

    def __init__(self, pid: int, heap: bool = False) -> None:
        super().__init__(daemon=True)
        self._proc = psutil.Process(pid)
        self._heap = heap
        self._halt = threading.Event()
        self.started = time.perf_counter()
        self.samples: list[tuple[float, int, int, int]] = []

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                parent = self._proc.memory_info().rss
                children = 0
                for child in self._proc.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        children += child.memory_info().rss
            except psutil.Error:
                break
            heap = tracemalloc.get_traced_memory()[0] if self._heap else 0
            self.samples.append((time.perf_counter() - self.started, parent, children, heap))
            self._halt.wait(0.05)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def windows(timings: dict[str, float], wall: float) -> dict[str, tuple[float, float]]:
    """Each stage's (start, end) in seconds since the process started."""
    laps = [timings.get(name, 0.0) for name in STAGES[1:-1]]
    start = max(0.0, wall - timings.get("total", wall))
    bounds: dict[str, tuple[float, float]] = {"startup": (0.0, start)}
    for name, seconds in zip(STAGES[1:-1], laps, strict=True):
        bounds[name] = (start, start + seconds)
        start += seconds
    bounds["exit"] = (start, wall + 1.0)
    return bounds


def peaks(samples: list[tuple[float, int, int, int]], bounds: dict[str, tuple[float, float]]):
    out: dict[str, dict[str, float]] = {}
    for stage, (lo, hi) in bounds.items():
        inside = [s for s in samples if lo <= s[0] < hi]
        out[stage] = {
            "parent_mb": max((s[1] for s in inside), default=0) / MB,
            "workers_mb": max((s[2] for s in inside), default=0) / MB,
            "tree_mb": max((s[1] + s[2] for s in inside), default=0) / MB,
            "heap_mb": max((s[3] for s in inside), default=0) / MB,
        }
    return out


def run_cli(command: list[str], workspace: Path) -> dict[str, Any]:
    shutil.rmtree(workspace / ".kenning", ignore_errors=True)
    args = [*command, "index", str(workspace), "--rebuild", "--no-embeddings", "--json"]
    started = time.perf_counter()
    proc = subprocess.Popen([*args, "--timings"], stdout=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid)
    sampler.started = started
    sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - started
    sampler.stop()
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode})")
    timings = json.loads(out)["timings"]
    return {
        "wall": wall,
        "timings": timings,
        "peaks": peaks(sampler.samples, windows(timings, wall)),
    }


def run_in_process(workspace: Path) -> dict[str, Any]:
    import msgspec

    from kenning.core.settings import Settings
    from kenning.engine import Engine

    shutil.rmtree(workspace / ".kenning", ignore_errors=True)
    tracemalloc.start()
    sampler = Sampler(psutil.Process().pid, heap=True)
    sampler.start()
    started = sampler.started
    settings = Settings()
    settings = msgspec.structs.replace(
        settings, embedding=msgspec.structs.replace(settings.embedding, enabled=False)
    )
    with Engine.open(workspace, settings, rebuild=True) as engine:
        report = engine.index(rebuild=True)
    wall = time.perf_counter() - started
    sampler.stop()
    tracemalloc.stop()
    timings = dict(report.timings)
    return {
        "wall": wall,
        "timings": timings,
        "peaks": peaks(sampler.samples, windows(timings, wall)),
    }


def summarise(name: str, runs: list[dict[str, Any]]) -> None:
    print(f"\n== {name}: {len(runs)} run(s), wall {[round(r['wall'], 2) for r in runs]}")
    keys: list[str] = []
    for r in runs:
        keys += [k for k in r["timings"] if k not in keys]
    print(f"{'timing':34} {'median s':>9}")
    print(f"{'wall (whole process)':34} {statistics.median(r['wall'] for r in runs):9.2f}")
    for key in keys:
        values = [r["timings"].get(key, 0.0) for r in runs]
        print(f"{key:34} {statistics.median(values):9.2f}")
    print(f"\n{'stage':26} {'parent MB':>10} {'workers MB':>11} {'tree MB':>8} {'heap MB':>8}")
    for stage in STAGES:
        cells = [
            statistics.median(r["peaks"][stage][col] for r in runs)
            for col in ("parent_mb", "workers_mb", "tree_mb", "heap_mb")
        ]
        print(f"{stage:26} {cells[0]:10.0f} {cells[1]:11.0f} {cells[2]:8.0f} {cells[3]:8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--kenning",
        action="append",
        default=[],
        metavar="NAME=COMMAND",
        help="a build to measure (repeatable; runs alternate between builds)",
    )
    parser.add_argument("--tracemalloc", action="store_true", help="in process, Python heap too")
    parser.add_argument("--json", type=Path, help="write the raw runs here")
    args = parser.parse_args()
    workspace = args.workspace.resolve()
    if args.tracemalloc:
        results = {"in-process": [run_in_process(workspace) for _ in range(args.runs)]}
    else:
        builds = [b.split("=", 1) for b in args.kenning] or [
            ["this", f"{shlex.quote(sys.executable)} -m kenning"]
        ]
        results = {name: [] for name, _ in builds}
        for _ in range(args.runs):
            for name, command in builds:
                results[name].append(run_cli(shlex.split(command), workspace))
    for name, runs in results.items():
        summarise(name, runs)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
