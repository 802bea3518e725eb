"""Soak: a steady stream of `didChange` for a while, memory sampled every second.

Run by hand (``python -m bench.soak [--workspace PATH] [--rate 100] [--seconds 60]``),
never by the test suite. Two modes:

- ``--mode lsp`` (default): the real ``kenning serve`` over stdio, driven by a pygls
  client. It opens one module of the workspace and sends ``--rate`` incremental
  ``didChange`` per second, each inserting or deleting one character (the text does not
  grow), for ``--seconds``. Memory is the RSS summed over the server's process tree,
  sampled every second.
- ``--mode live``: the same edits straight into a `LiveWorkspace` in this process
  (everything below the language server: open documents, the change queue, the writer,
  the stores), with ``tracemalloc`` snapshots after the warm-up and at the end; the
  largest growths by line are printed, which is how a leak is found.

Each sample splits the RSS by mapping (``/proc/PID/smaps``, summed over the tree):
``anon`` is anonymous memory (the heaps, malloc arenas, Rust's and Arrow's allocations),
of which ``pool`` is what sits in anonymous mappings of 256 MiB or more (ladybug reserves
its buffer pool's frames as such mappings, so this is the graph's page cache), and
``file`` is file-backed pages (shared libraries, memory-mapped index files).

Printed: the samples every 10 s, the median of the first and of the last quarter (after
a warm-up of 10 s), and the slope of a least-squares line through the samples after the
warm-up (MiB per minute), for the RSS and for each part. Flat means a slope near zero
and the last quarter near the first. ``--json PATH`` writes every sample.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import psutil
from lsprotocol import types

WARMUP_S = 10.0
FAST = {"embedding": {"enabled": False}, "debounceMs": 50}


# Anonymous mappings at least this large are counted as ladybug's buffer pool.
POOL_MAPPING_KIB = 256 * 1024
PARTS = ("rss", "anon", "pool", "file")


def mapping_split(pid: int) -> dict[str, int]:
    """RSS, anonymous, buffer-pool and file-backed bytes of one process (``PARTS``),
    from its ``smaps``; zeros when it is gone."""
    split = dict.fromkeys(PARTS, 0)
    size_kib = 0
    try:
        with open(f"/proc/{pid}/smaps", encoding="ascii", errors="replace") as smaps:
            for line in smaps:
                key, _, rest = line.partition(" ")
                if not key.endswith(":"):  # a mapping's header: "lo-hi perms ..."
                    lo, _, hi = key.partition("-")
                    size_kib = (int(hi, 16) - int(lo, 16)) // 1024
                elif key == "Rss:":
                    split["rss"] += int(rest.split()[0]) * 1024
                elif key == "Anonymous:":
                    anon = int(rest.split()[0]) * 1024
                    split["anon"] += anon
                    if size_kib >= POOL_MAPPING_KIB:
                        split["pool"] += anon
    except (OSError, ValueError):
        return dict.fromkeys(PARTS, 0)
    split["file"] = split["rss"] - split["anon"]
    return split


def tree_split(pid: int) -> dict[str, int]:
    """`mapping_split` summed over a process and its descendants."""
    try:
        root = psutil.Process(pid)
        pids = [root.pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.Error:
        return dict.fromkeys(PARTS, 0)
    total = dict.fromkeys(PARTS, 0)
    for one in pids:
        for part, value in mapping_split(one).items():
            total[part] += value
    return total


def pick_module(root: Path) -> Path:
    """A mid-sized Python module of the workspace (the one a person edits)."""
    modules = sorted(root.rglob("*.py"), key=lambda p: p.stat().st_size)
    if not modules:
        raise SystemExit(f"no Python module under {root}")
    return modules[len(modules) * 3 // 4]


def edit(step: int) -> tuple[str, types.Range]:
    """Insert a character at the start of the file, then delete it: the text oscillates."""
    if step % 2 == 0:
        return "#", types.Range(types.Position(0, 0), types.Position(0, 0))
    return "", types.Range(types.Position(0, 0), types.Position(0, 1))


Sample = tuple[float, dict[str, int]]


def report(samples: list[Sample]) -> dict[str, float]:
    mib = [(t, {part: value / 2**20 for part, value in split.items()}) for t, split in samples]
    print("  time       rss      anon      pool      file  (MiB)")
    for t, split in mib:
        if round(t) % 10 == 0:
            print(f"  {t:5.0f} s" + "".join(f"{split[part]:10.1f}" for part in PARTS))
    steady = [(t, split) for t, split in mib if t >= WARMUP_S]
    if len(steady) < 4:
        return {}
    quarter = max(1, len(steady) // 4)
    figures: dict[str, float] = {}
    for part in PARTS:
        first = statistics.median(split[part] for _, split in steady[:quarter])
        last = statistics.median(split[part] for _, split in steady[-quarter:])
        slope = statistics.linear_regression(
            [t for t, _ in steady], [split[part] for _, split in steady]
        ).slope
        print(f"{part:>4}: first quarter {first:.1f} MiB, last quarter {last:.1f} MiB, "
              f"slope {slope * 60:+.2f} MiB/min")  # fmt: skip
        figures.update({f"{part}_first_mib": first, f"{part}_last_mib": last,
                        f"{part}_slope_mib_per_min": slope * 60})  # fmt: skip
    return figures


async def soak_lsp(root: Path, rate: float, seconds: float) -> list[Sample]:
    from bench.lsp_latency import KENNING, is_idle, start_session

    log = Path(tempfile.mkdtemp()) / "serve.log"
    session = await start_session(root, FAST, [*KENNING, "serve", "--log-file", str(log)])
    await session.wait_for_status(is_idle, 600)
    module = pick_module(root)
    uri = module.as_uri()
    session.client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri, "python", 1, module.read_text(encoding="utf-8"))))  # fmt: skip
    server = session.client._server
    assert server is not None
    samples: list[Sample] = []
    start = time.monotonic()
    step = 0
    next_sample = 0.0
    while (now := time.monotonic() - start) < seconds:
        text, span = edit(step)
        step += 1
        session.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=step + 1, uri=uri),
            [types.TextDocumentContentChangePartial(span, text)]))  # fmt: skip
        if now >= next_sample:
            samples.append((now, tree_split(server.pid)))
            next_sample += 1.0
        await asyncio.sleep(max(0.0, step / rate - (time.monotonic() - start)))
    await session.stop()
    return samples


def soak_live(root: Path, rate: float, seconds: float) -> list[Sample]:
    from kenning.core.facts import Span
    from kenning.core.settings import EmbeddingSettings, Settings
    from kenning.engine.live import LiveWorkspace
    from kenning.pipeline.documents import TextChange

    settings = Settings(embedding=EmbeddingSettings(enabled=False), debounce_ms=50)
    live = LiveWorkspace(root, settings)
    live.open()
    live.catch_up().result()
    module = pick_module(root)
    rel = module.relative_to(root).as_posix()
    live.did_open(rel, module.read_text(encoding="utf-8"), 1)
    tracemalloc.start(10)
    samples: list[Sample] = []
    start = time.monotonic()
    step = 0
    next_sample = 0.0
    warm: tracemalloc.Snapshot | None = None
    while (now := time.monotonic() - start) < seconds:
        text, span = edit(step)
        step += 1
        where = Span(span.start.line, span.start.character, span.end.line, span.end.character)
        live.did_change(rel, [TextChange(text, where)], step + 1)
        if now >= next_sample:
            samples.append((now, tree_split(psutil.Process().pid)))
            next_sample += 1.0
            if warm is None and now >= WARMUP_S:
                gc.collect()
                warm = tracemalloc.take_snapshot()
        time.sleep(max(0.0, step / rate - (time.monotonic() - start)))
    live.wait_until_idle(60)
    gc.collect()
    end = tracemalloc.take_snapshot()
    if warm is not None:
        print("largest growth after the warm-up (tracemalloc, by line):")
        for stat in end.compare_to(warm, "lineno")[:15]:
            print(f"  {stat}")
    live.close()
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="a folder to copy and edit "
                        "(default: the pinned Flask sdist, bench/corpora.py)")  # fmt: skip
    parser.add_argument("--rate", type=float, default=100.0, help="didChange per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--mode", choices=["lsp", "live"], default="lsp")
    parser.add_argument("--json", type=Path, help="write every sample here (bytes)")
    args = parser.parse_args(argv)
    if args.workspace is None:
        from bench import corpora

        args.workspace = corpora.prepare(corpora.select(["flask"]))["flask"]
    scratch = Path(tempfile.mkdtemp(prefix="kenning-soak-")) / args.workspace.name
    shutil.copytree(args.workspace, scratch, ignore=shutil.ignore_patterns(".kenning"))
    print(f"soak: {args.mode}, {args.rate:g} didChange/s for {args.seconds:g} s on {scratch}")
    if args.mode == "lsp":
        samples = asyncio.run(soak_lsp(scratch, args.rate, args.seconds))
    else:
        samples = soak_live(scratch, args.rate, args.seconds)
    figures = report(samples)
    if args.json is not None:
        args.json.write_text(json.dumps({
            "workspace": str(args.workspace), "mode": args.mode, "rate": args.rate,
            "seconds": args.seconds, "figures": figures,
            "samples": [{"t": t, **split} for t, split in samples]}))  # fmt: skip
    shutil.rmtree(scratch.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
