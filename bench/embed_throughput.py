"""Throughput of the bare embedding model: the shipped file against the optimised one.

Usage::

    PYTHONPATH=daemon .venv/bin/python bench/embed_throughput.py            # 5 runs
    PYTHONPATH=daemon .venv/bin/python bench/embed_throughput.py --runs 9 --threads 1 2

The texts are 64 consecutive 40-line windows of the pinned requests sdist
(``src/requests/{sessions,models,utils,adapters}.py``; see ``corpora.py``), each of which
is longer than the 256-token limit, so every batch is 256 tokens wide. For each file,
ONNX Runtime thread count and batch size, one run embeds all 64 texts through
``EmbeddingModel.embed`` (tokenizing included) after a warm-up batch; the figure is the
median over the runs of texts per second of wall time. Texts per CPU-second of the whole
process are shown too: on a machine shared with other work, wall time drifts with the
load, CPU time much less. Raw samples go to ``bench/results/embed-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpora as corpora_mod
from kenning.embed import EmbeddingModel, ResolvedModel, resolve_model

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SOURCE_FILES = ("sessions.py", "models.py", "utils.py", "adapters.py")
CHUNK_LINES = 40
CHUNKS = 64


def code_chunks(root: Path | None) -> list[str]:
    """The fixed benchmark texts: consecutive 40-line windows of requests' source."""
    if root is None:
        requests = [c for c in corpora_mod.load_corpora() if c.key == "requests"]
        root = corpora_mod.prepare(requests)["requests"]
    lines: list[str] = []
    for name in SOURCE_FILES:
        lines += (root / "src" / "requests" / name).read_text(encoding="utf-8").splitlines()
    chunks = [
        "\n".join(lines[i : i + CHUNK_LINES]) for i in range(0, CHUNKS * CHUNK_LINES, CHUNK_LINES)
    ]
    if len(chunks) != CHUNKS or not all(chunks):
        raise SystemExit(f"expected {CHUNKS} chunks of {CHUNK_LINES} lines from {root}")
    return chunks


def measure(model: EmbeddingModel, texts: list[str], batch: int, runs: int) -> dict[str, Any]:
    model.embed(texts[:batch])  # warm-up: first-run allocations
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(texts), batch):
            model.embed(texts[i : i + batch])
        wall.append(len(texts) / (time.perf_counter() - start))
        cpu.append(len(texts) / (time.process_time() - start_cpu))
    return {
        "median": statistics.median(wall),
        "min": min(wall),
        "max": max(wall),
        "per_cpu_second": statistics.median(cpu),
        "samples": wall,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--corpus", type=Path, help="an extracted requests-2.32.5 sdist")
    parser.add_argument("--cache-dir", type=Path, help="kenning's cache (default: the usual)")
    args = parser.parse_args()

    texts = code_chunks(args.corpus)
    files: dict[str, ResolvedModel] = {
        "shipped": resolve_model(optimize=False, cache_dir=args.cache_dir),
        "optimised": resolve_model(cache_dir=args.cache_dir),
    }
    if not files["optimised"].optimized:
        print(f"note: {files['optimised'].note}")
        del files["optimised"]
    probe = EmbeddingModel(files["shipped"], threads=1)
    tokens = probe.count_tokens(texts)
    print(
        f"{len(texts)} chunks of {CHUNK_LINES} lines, {min(tokens)}-{max(tokens)} tokens; "
        f"{args.runs} runs; load average {os.getloadavg()[0]:.2f}"
    )
    for label, resolved in files.items():
        print(f"  {label:<9} {resolved.model_id}")
    print(
        f"\n{'file':<10} {'threads':>7} {'batch':>5} {'chunks/s':>9} {'min-max':>11} {'/cpu-s':>7}"
    )
    rows = []
    for threads in args.threads:
        for label, resolved in files.items():
            model = EmbeddingModel(resolved, threads=threads)
            for batch in args.batch:
                result = measure(model, texts, batch, args.runs)
                rows.append({"file": label, "threads": threads, "batch": batch, **result})
                print(
                    f"{label:<10} {threads:>7} {batch:>5} {result['median']:>9.1f} "
                    f"{result['min']:>5.1f}-{result['max']:<5.1f} {result['per_cpu_second']:>7.1f}",
                    flush=True,
                )
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"embed-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "models": {k: v.model_id for k, v in files.items()},
                "runs": args.runs,
                "cpus": os.cpu_count(),
                "machine": platform.processor() or platform.machine(),
                "python": platform.python_version(),
                "rows": rows,
            },
            indent=1,
        )
    )
    print(f"raw samples: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
