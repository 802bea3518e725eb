"""Phase-2 throughput: the embedding pipeline against the bare model, on real code.

Run by hand (``python -m bench.embed_pipeline [corpus ...]``), never by the test suite.
For each pinned corpus (default: flask) it indexes phase 1 once, then alternates, for
``--runs`` rounds:

* bare: the model alone (`EmbeddingModel.embed`) over every distinct chunk text, in
  the batches the pool would make (same sort by length, same limits);
* pipeline: `Engine.embed()` from an empty status table and no vectors, with the model
  already loaded, so the figure is the pool's own cost: reading texts from the chunk
  table, token counting, the status table, writing vectors.

It prints texts/s for both and their ratio (DESIGN.md's budget: the pipeline at >= 90 %
of the bare model), and with ``--cold`` the wall time of ``kenning index --rebuild``
(phase 1 + model load + embedding everything) in a fresh process. Figures go to
``bench/results/embed-pipeline-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpora as corpora_mod
from bench.measure import median
from kenning.core.settings import EmbeddingSettings, Settings
from kenning.engine import Engine
from kenning.pipeline.embedder import plan_batches

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def bare_run(model: Any, texts: dict[str, str], settings: EmbeddingSettings) -> float:
    """Seconds for the model alone to embed `texts` in the pool's batches."""
    hashes = list(texts)
    tokens = model.count_tokens([texts[h] for h in hashes])
    batches = plan_batches(
        list(zip(hashes, tokens, strict=True)), settings.batch_tokens, settings.batch_size
    )
    started = time.perf_counter()
    for batch in batches:
        model.embed([texts[h] for h in batch])
    return time.perf_counter() - started


def pipeline_run(engine: Engine) -> float:
    """Seconds for `Engine.embed()` to embed every text from scratch."""
    pool = engine.pool
    model_id = pool.model_id
    assert model_id is not None
    engine.status_store.drop_model(model_id)
    engine.vectors.drop(model_id)
    started = time.perf_counter()
    final = engine.embed()
    seconds = time.perf_counter() - started
    if final.done != final.total:
        raise RuntimeError(f"pipeline left {final.total - final.done} texts unembedded")
    return seconds


def cold_index(root: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kenning", "index", "--rebuild", "--json"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def bench_corpus(root: Path, runs: int, settings: Settings, cold: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"root": str(root)}
    with Engine.open(root, settings, rebuild=True) as engine:
        engine.index()
        texts = engine.chunks.texts_for(sorted(engine.chunks.all_hashes()))
        out["texts"] = len(texts)
        engine.embed()  # loads the model (and builds the optimised file if need be)
        model: Any = engine.pool._model
        out["model_id"] = model.model_id
        bare, piped = [], []
        for i in range(runs):
            bare.append(bare_run(model, texts, settings.embedding))
            piped.append(pipeline_run(engine))
            print(
                f"  round {i + 1}: bare {len(texts) / bare[-1]:6.1f} texts/s, "
                f"pipeline {len(texts) / piped[-1]:6.1f} texts/s",
                flush=True,
            )
    out["bare_seconds"] = bare
    out["pipeline_seconds"] = piped
    out["bare_texts_per_s"] = round(len(texts) / median(bare), 2)
    out["pipeline_texts_per_s"] = round(len(texts) / median(piped), 2)
    # Ratio per round (measured side by side), then the median of the ratios.
    out["ratio"] = round(median([b / p for b, p in zip(bare, piped, strict=True)]), 3)
    if cold:
        out["cold_index_seconds"] = round(cold_index(root), 2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", help="pinned corpora to measure (default: flask)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="ORT threads (0: all cores)")
    parser.add_argument("--no-optimize", action="store_true", help="use the shipped file")
    parser.add_argument(
        "--cold", action="store_true", help="also time `kenning index --rebuild` end to end"
    )
    args = parser.parse_args(argv)
    try:
        roots = corpora_mod.prepare(corpora_mod.select(args.corpora, ["flask"]))
    except corpora_mod.CorpusError as exc:
        print(f"error preparing corpora: {exc}", file=sys.stderr)
        return 2
    settings = Settings(
        embedding=EmbeddingSettings(threads=args.threads, optimize=not args.no_optimize)
    )
    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "threads": args.threads or os.cpu_count(),
        "optimize": not args.no_optimize,
        "corpora": {},
    }
    for name in roots:
        print(f"{name}:", flush=True)
        figures = bench_corpus(roots[name], args.runs, settings, args.cold)
        results["corpora"][name] = figures
        print(
            f"  {figures['texts']} texts, {figures['model_id']}: bare "
            f"{figures['bare_texts_per_s']} texts/s, pipeline "
            f"{figures['pipeline_texts_per_s']} texts/s, pipeline/bare {figures['ratio']:.1%}"
            + (
                f", cold `kenning index` {figures['cold_index_seconds']} s"
                if "cold_index_seconds" in figures
                else ""
            )
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"embed-pipeline-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"figures: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
