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

Printed: the samples every 10 s, the median of the first and of the last quarter (after
a warm-up of 10 s), and the slope of a least-squares line through the samples after the
warm-up (MiB per minute). Flat means a slope near zero and the last quarter near the
first.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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


def tree_rss(pid: int) -> int:
    """RSS summed over a process and its descendants, in bytes."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
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


def report(samples: list[tuple[float, int]]) -> dict[str, float]:
    mib = [(t, rss / 2**20) for t, rss in samples]
    for t, value in mib:
        if round(t) % 10 == 0:
            print(f"  {t:6.0f} s  {value:8.1f} MiB")
    steady = [(t, v) for t, v in mib if t >= WARMUP_S]
    if len(steady) < 4:
        return {}
    quarter = max(1, len(steady) // 4)
    first = statistics.median(v for _, v in steady[:quarter])
    last = statistics.median(v for _, v in steady[-quarter:])
    slope = statistics.linear_regression([t for t, _ in steady], [v for _, v in steady]).slope
    print(f"first quarter {first:.1f} MiB, last quarter {last:.1f} MiB, "
          f"slope {slope * 60:+.2f} MiB/min")  # fmt: skip
    return {"first_mib": first, "last_mib": last, "slope_mib_per_min": slope * 60}


async def soak_lsp(root: Path, rate: float, seconds: float) -> list[tuple[float, int]]:
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
    samples: list[tuple[float, int]] = []
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
            samples.append((now, tree_rss(server.pid)))
            next_sample += 1.0
        await asyncio.sleep(max(0.0, step / rate - (time.monotonic() - start)))
    await session.stop()
    return samples


def soak_live(root: Path, rate: float, seconds: float) -> list[tuple[float, int]]:
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
    samples: list[tuple[float, int]] = []
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
            samples.append((now, tree_rss(psutil.Process().pid)))
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
    report(samples)
    shutil.rmtree(scratch.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
