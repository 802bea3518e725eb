"""Latency through real LSP traffic: `kenning serve` over stdio, driven by a pygls client.

Run by hand (``python -m bench.lsp_latency [corpora...] [--edits 50] [--json]``), never by
the test suite. For each corpus (default Flask and Django) it copies the pinned corpus to
``bench/.cache/scratch/<name>`` (the pristine tree is never written) and measures, with
``initializationOptions`` ``{"embedding": {"enabled": false}, "debounceMs": 50}``:

1. start-up: ``initialized`` to the first ``kenning/status`` with ``phase == "idle"``,
   cold (no index) and warm (a second process, nothing changed);
2. round trips: the client's own floor (an unknown method, answered by pygls alone, and
   a ``workspace/symbol`` query that matches nothing), and ``kenning/status``;
3. save to visible: open a real module, rename one function (incremental ``didChange``,
   the file written to disk, ``didSave``), then poll without sleeping until
   ``workspace/symbol``, ``kenning/search`` (text) or ``prepareCallHierarchy`` (each in
   its own series of saves) answers with the new name; the figure is ``didSave`` to
   that answer's arrival;
4. call hierarchy: ``prepareCallHierarchy``, ``incomingCalls`` and ``outgoingCalls`` on
   about 200 functions spread over the corpus.

On Flask it then starts one more session with embeddings on (default settings), waits
until every chunk has a vector and times hybrid ``kenning/search`` over docstring
sentences from ``evalset.collect``, the first query (model load) apart.

Every figure includes the client's round trip (JSON-RPC framing, pygls on both sides,
lsprotocol conversion); the round-trip floor says how much that is. Results are
printed and written to ``bench/results/lsp-latency-<UTC timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import secrets
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound
from pygls.lsp.client import LanguageClient

from bench import corpora as corpora_mod
from bench import evalset
from bench.edits import NameSite, Rename, function_names, plan_renames
from bench.measure import median, percentile
from bench.phase1 import environment, json_safe
from kenning.server.protocol import plain

SCRATCH_DIR = corpora_mod.CACHE_DIR / "scratch"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_CORPORA = ["flask", "django"]
FAST = {"embedding": {"enabled": False}, "debounceMs": 50}
KENNING = [sys.executable, "-m", "kenning"]
# A plain client: no work-done progress and no file watching of its own, so the server
# watches the files itself, as it does for an editor that cannot.
CAPABILITIES = types.ClientCapabilities(
    general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
    text_document=types.TextDocumentClientCapabilities(
        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
        call_hierarchy=types.CallHierarchyClientCapabilities(),
    ),
    workspace=types.WorkspaceClientCapabilities(
        workspace_folders=True, symbol=types.WorkspaceSymbolClientCapabilities()
    ),
)
VISIBLE_TIMEOUT_S = 10.0


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def summary(samples_s: list[float]) -> dict[str, Any]:
    """Count, p50, p99 and max of a list of durations, in milliseconds."""
    ms = [s * 1e3 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else math.nan,
    }


# ------------------------------------------------------------------------------ sessions


def scratch_copy(name: str, pristine: Path) -> Path:
    """A fresh copy of a corpus to index and edit; kenning's index stays out of it."""
    root = SCRATCH_DIR / name
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(pristine, root, ignore=shutil.ignore_patterns(".kenning", "__pycache__"))
    return root


@dataclass
class Session:
    """One `kenning serve` process and the client talking to it."""

    client: LanguageClient
    root: Path
    spawn_to_initialized_s: float
    messages: list[str] = field(default_factory=list)

    async def request(self, method: str, params: Any) -> Any:
        return plain(await self.client.protocol.send_request_async(method, params))

    async def status(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("kenning/status", {})
        return result

    async def wait_for_status(
        self, done: Callable[[dict[str, Any]], bool], timeout_s: float
    ) -> tuple[dict[str, Any], float]:
        """Poll ``kenning/status`` every 10 ms until ``done``; the status and the wait."""
        start = time.perf_counter()
        while True:
            status = await self.status()
            if done(status):
                return status, time.perf_counter() - start
            if status["phase"] == "error":
                raise RuntimeError(f"kenning reports an error: {status['message']}")
            if time.perf_counter() - start > timeout_s:
                raise TimeoutError(f"not ready after {timeout_s:.0f} s: {status}")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        try:
            await asyncio.wait_for(self.client.stop(), 30)
        except TimeoutError:
            progress("server did not exit within 30 s of `exit`; killed")
            if self.client._server is not None:
                self.client._server.kill()


def server_command(log_file: Path, log_level: str) -> list[str]:
    # Logs go to a file: nobody reads the server's stderr pipe, which could fill and block it.
    return [*KENNING, "serve", "--log-file", str(log_file), "--log-level", log_level]


async def start_session(root: Path, options: dict[str, Any], command: list[str]) -> Session:
    """Spawn `kenning serve`, run ``initialize`` and send ``initialized``."""
    client = LanguageClient("kenning-bench", "1")
    messages: list[str] = []
    client.feature("kenning/status")(lambda params: None)
    client.feature(types.WINDOW_SHOW_MESSAGE)(lambda params: messages.append(params.message))
    client.feature(types.WINDOW_LOG_MESSAGE)(lambda params: None)
    start = time.perf_counter()
    await client.start_io(*command)
    await client.initialize_async(
        types.InitializeParams(
            capabilities=CAPABILITIES,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(root.as_uri(), root.name)],
            initialization_options=options,
        )
    )
    spawn_s = time.perf_counter() - start
    client.initialized(types.InitializedParams())
    return Session(client, root, spawn_s, messages)


def is_idle(status: dict[str, Any]) -> bool:
    return status["phase"] == "idle"


async def measure_startup(root: Path, command: list[str]) -> tuple[Session, dict[str, Any]]:
    """Time ``initialized`` -> idle; the session is left running for later phases."""
    session = await start_session(root, FAST, command)
    status, ready_s = await session.wait_for_status(is_idle, timeout_s=600)
    figures = {
        "spawn_to_initialized_s": session.spawn_to_initialized_s,
        "initialized_to_idle_s": ready_s,
        "spawn_to_idle_s": session.spawn_to_initialized_s + ready_s,
        "files": status["files"],
        "symbols": status["symbols"],
        "chunks": status["chunks"],
    }
    return session, figures


# ---------------------------------------------------------------------------- round trips


async def timed(call: Awaitable[Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = await call
    return result, time.perf_counter() - start


async def measure_round_trips(session: Session, count: int = 100) -> dict[str, Any]:
    """The floor under every other figure, and what a status request costs."""

    async def unknown_method() -> None:
        with contextlib.suppress(JsonRpcMethodNotFound):
            await session.client.protocol.send_request_async("kenning/noSuchMethod", {})

    no_match = types.WorkspaceSymbolParams(query="zzkbenchnothingmatchesthis")
    probes: dict[str, Callable[[], Awaitable[Any]]] = {
        "unknown method (pygls only)": unknown_method,
        "workspace/symbol, no match": lambda: session.client.workspace_symbol_async(no_match),
        "kenning/status": session.status,
    }
    figures = {}
    for label, probe in probes.items():
        figures[label] = summary([(await timed(probe()))[1] for _ in range(count)])
    return figures


# ------------------------------------------------------------------------- save -> visible


class OpenDocument:
    """An editor buffer: its lines, version and the rename it currently carries."""

    def __init__(self, root: Path, path: str) -> None:
        self.file = root / path
        self.uri = self.file.as_uri()
        self.original = self.file.read_text(encoding="utf-8")
        self.lines = self.original.splitlines(keepends=True)
        self.version = 1
        self.renamed: Rename | None = None

    def _replace(self, site: NameSite, old: str, new: str) -> types.TextDocumentContentChangeEvent:
        # Names on `def` lines are ASCII in these corpora, so a code point is a UTF-16 unit.
        line = self.lines[site.line]
        start = site.character
        assert line[start : start + len(old)] == old, (self.file, site, old)
        self.lines[site.line] = line[:start] + new + line[start + len(old) :]
        span = types.Range(
            types.Position(site.line, start), types.Position(site.line, start + len(old))
        )
        return types.TextDocumentContentChangePartial(range=span, text=new)

    def rename(self, rename: Rename) -> list[types.TextDocumentContentChangeEvent]:
        """Undo the previous rename, apply this one: one function renamed per save."""
        changes = []
        if self.renamed is not None:
            previous = self.renamed
            changes.append(self._replace(previous.site, previous.new_name, previous.site.name))
        changes.append(self._replace(rename.site, rename.site.name, rename.new_name))
        self.renamed = rename
        self.version += 1
        return changes


def open_document(session: Session, doc: OpenDocument) -> None:
    item = types.TextDocumentItem(
        uri=doc.uri, language_id="python", version=doc.version, text=doc.original
    )
    session.client.text_document_did_open(types.DidOpenTextDocumentParams(item))


def save_document(
    session: Session, doc: OpenDocument, changes: list[types.TextDocumentContentChangeEvent]
) -> float:
    """Send the change, write the file as an editor does, send ``didSave``; its send time."""
    ident = types.VersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version)
    session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(text_document=ident, content_changes=changes)
    )
    doc.file.write_text("".join(doc.lines), encoding="utf-8")
    sent = time.perf_counter()
    session.client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(doc.uri))
    )
    return sent


def restore_document(session: Session, doc: OpenDocument) -> None:
    doc.lines = doc.original.splitlines(keepends=True)
    doc.version += 1
    save_document(session, doc, [types.TextDocumentContentChangeWholeDocument(doc.original)])
    session.client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(doc.uri))
    )


# One probe per way of seeing a save: does this answer know the new name yet?
Probe = Callable[[Session, OpenDocument, Rename], Awaitable[bool]]


async def symbol_probe(session: Session, doc: OpenDocument, rename: Rename) -> bool:
    found = await session.client.workspace_symbol_async(
        types.WorkspaceSymbolParams(query=rename.new_name)
    )
    return any(s.name == rename.new_name for s in found or [])


async def search_probe(session: Session, doc: OpenDocument, rename: Rename) -> bool:
    result = await session.request(
        "kenning/search", {"query": rename.new_name, "mode": "text", "limit": 10}
    )
    # A hit's snippet is only the chunk's first lines; its symbol is the chunk's owner.
    return any(hit["symbol"].rsplit(".", 1)[-1] == rename.new_name for hit in result["hits"])


async def hierarchy_probe(session: Session, doc: OpenDocument, rename: Rename) -> bool:
    position = types.Position(rename.site.line, rename.site.character)
    items = await session.client.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(types.TextDocumentIdentifier(doc.uri), position)
    )
    return any(item.name == rename.new_name for item in items or [])


PROBES: dict[str, Probe] = {
    "workspace/symbol": symbol_probe,
    "kenning/search (text)": search_probe,
    "prepareCallHierarchy": hierarchy_probe,
}


async def save_to_visible(
    session: Session, doc: OpenDocument, rename: Rename, probe: Probe
) -> tuple[float | None, int]:
    """Seconds from ``didSave`` to the first answer that shows the rename (None: never,
    within the timeout), and how many answers it took."""
    sent = save_document(session, doc, doc.rename(rename))
    polls = 0
    while time.perf_counter() - sent < VISIBLE_TIMEOUT_S:
        polls += 1
        if await probe(session, doc, rename):
            return time.perf_counter() - sent, polls
    return None, polls


async def measure_saves(
    session: Session, corpus_key: str, count: int, nonce: str
) -> dict[str, Any]:
    """``count`` renames per probe, round-robin over the corpus's edit targets."""
    paths = corpora_mod.pick_edit_targets(corpus_key, session.root)
    docs = {path: OpenDocument(session.root, path) for path in paths}
    for doc in docs.values():
        open_document(session, doc)
    renames = plan_renames({p: d.original for p, d in docs.items()}, count * len(PROBES), nonce)
    figures: dict[str, Any] = {"files": paths}
    try:
        for n, (label, probe) in enumerate(PROBES.items()):
            latencies, polls, missed = [], [], []
            for rename in renames[n * count : (n + 1) * count]:
                seconds, tries = await save_to_visible(
                    session, docs[rename.site.path], rename, probe
                )
                polls.append(tries)
                if seconds is None:
                    missed.append(rename.new_name)
                else:
                    latencies.append(seconds)
            figures[label] = {
                **summary(latencies),
                "first_ms": latencies[0] * 1e3 if latencies else math.nan,
                "polls_p50": median(polls),
                "not_visible": missed,
                "samples_ms": [s * 1e3 for s in latencies],
            }
            progress(f"save -> {label}: p50 {figures[label]['p50_ms']:.1f} ms")
    finally:
        for doc in docs.values():
            restore_document(session, doc)
    return figures


# ---------------------------------------------------------------------------- call hierarchy


def spread_functions(root: Path, count: int) -> list[NameSite]:
    """About ``count`` functions spread evenly over the corpus's files, in path order."""
    files = list(evalset.python_files(root))
    step = max(1, len(files) // count)
    sites: list[NameSite] = []
    for rel, path in files[::step]:
        try:
            sites += function_names(rel, path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # a fixture that does not parse has no functions to ask about
    return sites[:: max(1, len(sites) // count)][:count]


async def measure_call_hierarchy(session: Session, count: int) -> dict[str, Any]:
    client = session.client
    prepare, incoming, outgoing = [], [], []
    callers = callees = unprepared = 0
    for site in spread_functions(session.root, count):
        ident = types.TextDocumentIdentifier((session.root / site.path).as_uri())
        params = types.CallHierarchyPrepareParams(ident, types.Position(site.line, site.character))
        items, seconds = await timed(client.text_document_prepare_call_hierarchy_async(params))
        prepare.append(seconds)
        if not items:
            unprepared += 1
            continue
        found, seconds = await timed(
            client.call_hierarchy_incoming_calls_async(
                types.CallHierarchyIncomingCallsParams(items[0])
            )
        )
        incoming.append(seconds)
        callers += len(found or [])
        found, seconds = await timed(
            client.call_hierarchy_outgoing_calls_async(
                types.CallHierarchyOutgoingCallsParams(items[0])
            )
        )
        outgoing.append(seconds)
        callees += len(found or [])
    return {
        "prepareCallHierarchy": summary(prepare),
        "incomingCalls": {**summary(incoming), "results": callers},
        "outgoingCalls": {**summary(outgoing), "results": callees},
        "not_prepared": unprepared,
    }


# ---------------------------------------------------------------------------- hybrid search


async def measure_hybrid_search(root: Path, command: list[str], count: int) -> dict[str, Any]:
    """A session with embeddings on: wait for every vector, then time hybrid searches."""
    queries = [t.query for t in evalset.collect(root, cap=count + 1).targets]
    session = await start_session(root, {}, command)
    try:
        status, embed_s = await session.wait_for_status(
            lambda s: is_idle(s) and s["pending"] == 0 and s["embedded"] > 0, timeout_s=900
        )
        progress(f"embedded {status['embedded']} chunks in {embed_s:.1f} s")

        async def search(query: str) -> dict[str, Any]:
            params = {"query": query, "mode": "hybrid", "limit": 10}
            result: dict[str, Any] = await session.request("kenning/search", params)
            return result

        first, first_s = await timed(search(queries[0]))
        latencies = []
        incomplete = 0
        for query in queries[1:]:
            result, seconds = await timed(search(query))
            latencies.append(seconds)
            incomplete += not result["vectorsComplete"]
        return {
            "embedded": status["embedded"],
            "wait_for_vectors_s": embed_s,
            "first_query_ms": first_s * 1e3,
            "first_query_note": first.get("note", ""),
            "hybrid": summary(latencies),
            "searches_without_all_vectors": incomplete,
        }
    finally:
        await session.stop()


# --------------------------------------------------------------------------------- the run


async def bench_corpus(corpus: corpora_mod.Corpus, pristine: Path, args: Any) -> dict[str, Any]:
    root = scratch_copy(corpus.key, pristine)
    logs = SCRATCH_DIR / f"{corpus.key}.serve.log"
    command = server_command(logs, args.log_level)
    result: dict[str, Any] = {"version": corpus.version, "scratch": str(root), "log": str(logs)}

    session, result["cold"] = await measure_startup(root, command)
    progress(f"cold: idle {result['cold']['initialized_to_idle_s']:.2f} s after initialized")
    await session.stop()

    session, result["warm"] = await measure_startup(root, command)
    progress(f"warm: idle {result['warm']['initialized_to_idle_s']:.2f} s after initialized")
    try:
        result["round_trips"] = await measure_round_trips(session)
        result["saves"] = await measure_saves(session, corpus.key, args.edits, args.nonce)
        result["call_hierarchy"] = await measure_call_hierarchy(session, args.items)
        result["messages"] = session.messages
    finally:
        await session.stop()

    if corpus.key == "flask" and not args.no_embedding:
        result["search"] = await measure_hybrid_search(root, command, args.queries)
    return result


def print_table(results: dict[str, dict[str, Any]]) -> None:
    def row(label: str, figures: dict[str, Any], budget: str = "") -> None:
        print(
            f"  {label:<40} {figures['n']:>4} {figures['p50_ms']:>8.1f} {figures['p99_ms']:>8.1f}"
            f" {figures['max_ms']:>8.1f}  {budget}"
        )

    for key, r in results.items():
        print(f"\n== {key} {r['version']} ({r['cold']['files']} files) " + "=" * 30)
        for phase in ("cold", "warm"):
            s = r[phase]
            print(
                f"  start {phase}: initialized -> idle {s['initialized_to_idle_s']:.2f} s"
                f" (spawn -> idle {s['spawn_to_idle_s']:.2f} s)"
                + ("   budget (Django) ready <= 2 s" if phase == "warm" else "")
            )
        print(f"  {'':<40} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for label, figures in r["round_trips"].items():
            row(f"round trip: {label}", figures)
        for label in PROBES:
            figures = r["saves"][label]
            row(f"save -> {label}", figures, "budget p50 <= 50, p99 <= 200")
            if figures["not_visible"]:
                print(f"    NOT VISIBLE within {VISIBLE_TIMEOUT_S:.0f} s: {figures['not_visible']}")
        for label, figures in r["call_hierarchy"].items():
            if isinstance(figures, dict):
                budget = "budget p50 <= 5" if label != "prepareCallHierarchy" else ""
                row(label, figures, budget)
        if search := r.get("search"):
            row("kenning/search hybrid", search["hybrid"], "budget p50 <= 50")
            print(
                f"  first hybrid search (model load) {search['first_query_ms']:.0f} ms;"
                f" vectors ready {search['wait_for_vectors_s']:.1f} s after initialized"
            )
        for message in r.get("messages", []):
            print(f"  server said: {message}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("corpora", nargs="*", metavar="CORPUS", help="default: flask django")
    parser.add_argument("--edits", type=int, default=50, help="saves per probe (50)")
    parser.add_argument("--items", type=int, default=200, help="call hierarchy items (200)")
    parser.add_argument("--queries", type=int, default=100, help="hybrid searches (100)")
    parser.add_argument("--no-embedding", action="store_true", help="skip the hybrid search")
    parser.add_argument("--json", action="store_true", help="print the JSON, not the table")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="the server's log level; its log is bench/.cache/scratch/<corpus>.serve.log",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.nonce = secrets.token_hex(3)
    try:
        selected = corpora_mod.select(args.corpora, DEFAULT_CORPORA)
        roots = corpora_mod.prepare(selected)
    except corpora_mod.CorpusError as exc:
        print(f"error preparing corpora: {exc}", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.UTC)
    results = {}
    for corpus in selected:
        print(f"{corpus.key} {corpus.version}", file=sys.stderr)
        results[corpus.key] = asyncio.run(bench_corpus(corpus, roots[corpus.key], args))
    document = json_safe(
        {
            "started": started.isoformat(),
            "args": {k: v for k, v in vars(args).items()},
            "environment": environment(KENNING),
            "corpora": results,
        }
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"lsp-latency-{started:%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print_table(results)
        print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
