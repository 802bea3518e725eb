"""A bounded load test of the HTTP JSON-RPC API: concurrent clients searching at once.

Run by hand (``python -m bench.http_load [corpus] [--clients 20] [--searches 200]``),
never by the test suite. It copies the pinned corpus (default Flask) to
``bench/.cache/scratch/<name>``, starts ``kenning daemon`` on it (``--no-embeddings``
unless ``--embeddings``, which waits until every chunk has a vector first), and then:

1. one client alone sends ``--searches`` ``kenning/search`` requests, one after the
   other: the latency with no contention, as the baseline;
2. ``--clients`` clients, each with its own connection, send ``--searches`` requests
   each, all at the same time;
3. with ``--during-reindex``, the same again while the daemon rebuilds the workspace
   (``kenning/reindex``, again and again until the clients are done): every search
   must still be answered (the issue's case: -32603 "Cannot perform full text search
   unless an INVERTED index" while the new chunk rows had no full-text index yet).

Queries are docstring sentences from ``evalset.collect`` (the retrieval evaluation's),
cycled, ``limit`` 10. Every reply is checked: an HTTP status other than 200, a JSON-RPC
error or a reply without hits counts as an error. It prints p50/p90/p99/max latency,
throughput and errors for both runs, and writes them to
``bench/results/http-load-<UTC timestamp>.json``. The clients run in this process on
the same machine as the daemon: on 2 cores they compete with it for CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import corpora as corpora_mod
from bench import evalset
from bench.measure import median, percentile
from bench.phase1 import environment, json_safe
from kenning.api import owner

SCRATCH_DIR = corpora_mod.CACHE_DIR / "scratch"
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def scratch_copy(name: str, pristine: Path) -> Path:
    root = SCRATCH_DIR / f"{name}-http"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(pristine, root, ignore=shutil.ignore_patterns(".kenning", "__pycache__"))
    return root


class Daemon:
    def __init__(self, root: Path, embeddings: bool) -> None:
        self.log = root.parent / f"{root.name}.daemon.log"
        argv = [sys.executable, "-m", "kenning", "daemon", str(root), "--log-file", str(self.log)]
        if not embeddings:
            argv.append("--no-embeddings")
        self.process = subprocess.Popen(argv, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 600
        while True:
            record = owner.read(root / ".kenning")
            if record is not None and record.pid == self.process.pid:
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"kenning daemon did not start; see {self.log}")
            time.sleep(0.1)
        self.url = f"{record.url}/rpc"
        self.headers = {"Authorization": f"Bearer {record.token()}"}

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


async def call(session: aiohttp.ClientSession, url: str, method: str, params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with session.post(url, json=body) as response:
        return response.status, await response.json(content_type=None)


async def wait_ready(daemon: Daemon, embeddings: bool) -> dict[str, Any]:
    async with aiohttp.ClientSession(headers=daemon.headers) as session:
        while True:
            _, reply = await call(session, daemon.url, "kenning/status", {})
            status = reply["result"]
            if status["phase"] == "idle" and (not embeddings or status["pending"] == 0):
                return status
            await asyncio.sleep(0.5)


async def one_client(daemon: Daemon, queries: list[str], offset: int, count: int,
                     latencies: list[float], errors: list[str]) -> None:  # fmt: skip
    async with aiohttp.ClientSession(headers=daemon.headers) as session:
        for i in range(count):
            query = queries[(offset + i) % len(queries)]
            started = time.perf_counter()
            try:
                status, reply = await call(
                    session, daemon.url, "kenning/search", {"query": query, "limit": 10}
                )
            except (aiohttp.ClientError, TimeoutError) as error:
                errors.append(f"{type(error).__name__}: {error}")
                continue
            latencies.append(time.perf_counter() - started)
            if status != 200 or "error" in reply:
                errors.append(f"HTTP {status}: {reply.get('error')}")
            elif not reply["result"]["hits"]:
                errors.append(f"no hits for {query!r}")


async def load(daemon: Daemon, queries: list[str], clients: int, searches: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    await asyncio.gather(*(
        one_client(daemon, queries, c * searches, searches, latencies, errors)
        for c in range(clients)
    ))  # fmt: skip
    wall = time.perf_counter() - started
    ms = [x * 1000 for x in latencies]
    return {
        "clients": clients,
        "requests": clients * searches,
        "errors": len(errors),
        "error_samples": errors[:5],
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(latencies) / wall, 1),
        "p50_ms": round(median(ms), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms, default=float("nan")), 2),
    }


async def load_during_reindex(
    daemon: Daemon, queries: list[str], clients: int, searches: int
) -> dict[str, Any]:
    """`load` while the workspace is rebuilt over and over; how many rebuilds overlapped."""
    done = asyncio.Event()
    rebuilds: list[Any] = []

    async def rebuild() -> None:
        async with aiohttp.ClientSession(headers=daemon.headers) as session:
            while not done.is_set():
                _, reply = await call(session, daemon.url, "kenning/reindex", {})
                rebuilds.append(reply.get("error") or reply["result"]["message"])

    task = asyncio.create_task(rebuild())
    await asyncio.sleep(0.5)
    try:
        result = await load(daemon, queries, clients, searches)
    finally:
        done.set()
        await task
    return {**result, "rebuilds": len(rebuilds), "rebuild_replies": rebuilds[:3]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default="flask")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--searches", type=int, default=200, help="per client")
    parser.add_argument("--embeddings", action="store_true", help="hybrid search with vectors")
    parser.add_argument("--during-reindex", action="store_true",
                        help="also search while the workspace is rebuilt")  # fmt: skip
    args = parser.parse_args()

    corpus = corpora_mod.select([args.corpus])[0]
    pristine = corpora_mod.prepare([corpus])[corpus.key]
    root = scratch_copy(corpus.key, pristine)
    queries = [t.query for t in evalset.collect(root).targets if t.query]
    daemon = Daemon(root, args.embeddings)
    try:
        status = asyncio.run(wait_ready(daemon, args.embeddings))
        baseline = asyncio.run(load(daemon, queries, 1, args.searches))
        loaded = asyncio.run(load(daemon, queries, args.clients, args.searches))
        if args.during_reindex:
            rebuilding = asyncio.run(
                load_during_reindex(daemon, queries, args.clients, args.searches)
            )
    finally:
        daemon.stop()
    result = {
        "corpus": corpus.key,
        "version": corpus.version,
        "files": status["files"],
        "chunks": status["chunks"],
        "embeddings": args.embeddings,
        "queries": len(queries),
        "baseline": baseline,
        "load": loaded,
        **({"during_reindex": rebuilding} if args.during_reindex else {}),
        "environment": environment([sys.executable, "-m", "kenning"]),
    }
    for name in ("baseline", "load", "during_reindex"):
        if name not in result:
            continue
        run = result[name]
        print(f"{corpus.key} {name:8} {run['clients']:>2} client(s) x {args.searches} searches: "
              f"p50 {run['p50_ms']:.1f} ms  p90 {run['p90_ms']:.1f}  p99 {run['p99_ms']:.1f}  "
              f"max {run['max_ms']:.1f}  {run['throughput_rps']:.0f} req/s  "
              f"errors {run['errors']}")  # fmt: skip
        if name == "during_reindex":
            print(f"  {run['rebuilds']} rebuild(s) overlapped; errors: {run['error_samples']}")
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"http-load-{stamp}.json"
    out.write_text(json.dumps(json_safe(result), indent=2) + "\n")
    print(f"wrote {out}")
    failed = any(result[n]["errors"] for n in ("baseline", "load", "during_reindex") if n in result)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
