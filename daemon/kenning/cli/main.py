"""`kenning` subcommands: index, embed, search, symbols, callers, callees, impact, status,
export.

Human output goes to stdout with 1-based `path:line` locations (as compilers print
them); `--json` prints the engine's structs instead, with 0-based LSP ranges. Progress
and errors go to stderr. Exit codes are stable so scripts can rely on them (see
`ExitCode`).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn

import msgspec

from kenning import __version__, languages
from kenning.core.facts import SymbolKind
from kenning.core.results import CallGraph, SearchResult, SymbolRef
from kenning.core.settings import Settings
from kenning.storage import native_memory
from kenning.storage.index_dir import IndexError_


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # an unexpected failure
    USAGE = 2  # bad arguments (argparse uses 2 too)
    NO_INDEX = 3  # no index yet: run `kenning index`
    INDEX_UNUSABLE = 4  # locked by another writer, or incompatible/corrupt
    UNKNOWN_SYMBOL = 5  # the symbol named does not exist (or is ambiguous)
    OUTSIDE_WORKSPACE = 6  # a path outside the workspace


class CliError(Exception):
    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--workspace", "-w", type=Path, help="workspace folder (default: found from the "
        "current folder upward, as git does)"
    )  # fmt: skip
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    common.add_argument(
        "--no-daemon", action="store_true", help="open the index directly even when a "
        "daemon owns it (read-only; commands that write then fail)"
    )  # fmt: skip
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="kenning", description="Index a code workspace and query its graph and text."
    )
    parser.add_argument("--version", action="version", version=f"kenning {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    embedding = argparse.ArgumentParser(add_help=False)
    embedding.add_argument(
        "--model", help="embedding model: all-MiniLM-L6-v2 (bundled, the default), a "
        "fastembed model name, or a local model folder"
    )  # fmt: skip
    embedding.add_argument(
        "--threads", type=int, help="ONNX Runtime threads for embedding (default: all cores)"
    )
    embedding.add_argument(
        "--no-optimize", action="store_true", help="use the model file as shipped, not the "
        "optimised build"
    )  # fmt: skip

    p = sub.add_parser(
        "index", parents=[common, embedding], help="index a workspace, then embed its chunks"
    )
    p.add_argument("path", nargs="?", type=Path, help="workspace folder (default: found)")
    p.add_argument("--rebuild", action="store_true", help="discard the index and start over")
    p.add_argument("--timings", action="store_true", help="print per-phase timings")
    p.add_argument("--max-file-size", type=int, help="skip files larger than this (bytes)")
    p.add_argument(
        "--no-embeddings", action="store_true", help="phase 1 only: graph and text search"
    )
    p.set_defaults(run=cmd_index)

    p = sub.add_parser(
        "embed", parents=[common, embedding], help="embed pending chunks (resumes phase 2)"
    )
    p.add_argument("path", nargs="?", type=Path, help="workspace folder (default: found)")
    p.add_argument(
        "--retry-failed", action="store_true", help="give chunks that failed another try"
    )
    p.set_defaults(run=cmd_embed)

    p = sub.add_parser("search", parents=[common], help="hybrid semantic, text and name search")
    p.add_argument("query", help="words to look for")
    p.add_argument("--limit", "-n", type=int, default=10, help="results (default 10)")
    p.add_argument(
        "--lang",
        action="append",
        default=[],
        choices=languages.names(),
        metavar="LANG",
        help=f"only this language ({', '.join(languages.names())})",
    )
    p.add_argument("--path", action="append", default=[], help="only paths matching GLOB")
    kinds = [str(k) for k in SymbolKind if k != SymbolKind.EXTERNAL]
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        choices=kinds,
        metavar="KIND",
        help=f"only chunks of this kind ({', '.join(kinds)})",
    )
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("symbols", parents=[common], help="find definitions by name")
    p.add_argument("query", help="a name, a dotted suffix or a qualified name")
    p.add_argument("--limit", "-n", type=int, default=20)
    p.set_defaults(run=cmd_symbols)

    for name, direction, text in (
        ("callers", "incoming", "who calls SYMBOL"),
        ("callees", "outgoing", "what SYMBOL calls"),
    ):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("symbol", help="qualified name, dotted suffix or name")
        p.add_argument("--depth", "-d", type=int, default=1, help="levels to follow (1-10)")
        p.add_argument(
            "--min-confidence",
            type=float,
            default=0.0,
            metavar="C",
            help="leave out edges less certain than C, in [0, 1] (default 0: every edge)",
        )
        p.set_defaults(run=cmd_calls, direction=direction)

    p = sub.add_parser(
        "impact", parents=[common], help="every caller a change to SYMBOL may affect, by file"
    )
    p.add_argument("symbol", help="qualified name, dotted suffix or name")
    p.add_argument("--depth", "-d", type=int, default=3, help="calls to follow (1-10, default 3)")
    p.add_argument(
        "--min-confidence",
        type=float,
        default=0.0,
        metavar="C",
        help="do not follow edges less certain than C, in [0, 1] (default 0: every edge)",
    )
    p.set_defaults(run=cmd_impact)

    p = sub.add_parser(
        "export", parents=[common], help="every symbol and edge of the index, as JSON Lines"
    )
    p.add_argument("--format", default="jsonl", choices=["jsonl"], help="output format")
    p.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("status", parents=[common], help="what the index holds")
    p.set_defaults(run=cmd_status)

    p = sub.add_parser(
        "reindex", parents=[common], help="index files or folders again (all: the workspace)"
    )
    p.add_argument("paths", nargs="*", type=Path, help="files or folders in the workspace")
    p.set_defaults(run=cmd_reindex)

    daemon_options = argparse.ArgumentParser(add_help=False)
    daemon_options.add_argument(
        "--http", metavar="HOST:PORT", default="127.0.0.1:0", help="serve the HTTP "
        "JSON-RPC API here for the folders this daemon owns (default 127.0.0.1:0, a free "
        "loopback port; the index folder's daemon.json says which)"
    )  # fmt: skip
    daemon_options.add_argument(
        "--allow-remote", action="store_true", help="let --http bind an address other "
        "than loopback (anyone who can reach it and has the token can query the index)"
    )  # fmt: skip
    daemon_options.add_argument("--log-file", type=Path, help="write logs here, not stderr")
    daemon_options.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )

    p = sub.add_parser(
        "serve", parents=[daemon_options],
        help="run the language server (editors start this), over stdio by default",
    )  # fmt: skip
    p.add_argument("--stdio", action="store_true", help="speak LSP on stdin/stdout (default)")
    p.add_argument("--tcp", metavar="HOST:PORT", help="listen for one editor on HOST:PORT")
    p.add_argument(
        "--no-http", action="store_true", help="no HTTP API: a second daemon or the CLI "
        "then opens this daemon's folders read-only"
    )  # fmt: skip
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser(
        "daemon", parents=[daemon_options],
        help="own a workspace with no editor: index it, keep it current, serve HTTP",
    )  # fmt: skip
    p.add_argument("path", nargs="?", type=Path, help="workspace folder (default: found)")
    p.add_argument("--workspace", "-w", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--no-embeddings", action="store_true", help="graph and text search only")
    p.set_defaults(run=cmd_daemon)

    p = sub.add_parser(
        "mcp", parents=[daemon_options],
        help="serve coding agents over MCP (stdio), through the workspace's owning daemon "
        "or as its owner",
    )  # fmt: skip
    p.add_argument("path", nargs="?", type=Path, help="workspace folder (default: found)")
    p.add_argument("--workspace", "-w", type=Path, help="workspace folder (as PATH)")
    p.add_argument("--no-embeddings", action="store_true", help="when it owns the workspace: "
                   "graph and text search only")  # fmt: skip
    p.set_defaults(run=cmd_mcp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Before any store starts a thread or allocates (see `native_memory.ARENAS` and
    # `native_memory.MMAP_THRESHOLD`).
    native_memory.limit_arenas()
    native_memory.hold_mmap_threshold()
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        code = run(args)
        # Flush here, not at interpreter exit, so a closed pipe is handled below. (The
        # language server closes stdout itself when its session ends.)
        if not sys.stdout.closed:
            sys.stdout.flush()
        return code
    except CliError as exc:
        print(f"kenning: {exc}", file=sys.stderr)
        return int(exc.code)
    except IndexError_ as exc:
        # Damage found while answering (a garbled page is read only by a query).
        print(f"kenning: {exc}", file=sys.stderr)
        return ExitCode.INDEX_UNUSABLE
    except KeyboardInterrupt:
        print("kenning: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`kenning search x | head`): not an error. Point stdout
        # at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK


def run() -> NoReturn:
    """The `kenning` command: `main`, then exit without the collector's last passes.

    At exit the interpreter collects garbage over every object still alive: after a
    full index, the resolution model and the catalog, 0.19-0.31 s of Django's cold
    index (three runs, against 0.05-0.06 s frozen). Everything that needed closing is
    closed when `main` returns (the stores, the pools), so what remains is frozen for
    the collector to skip; reference counting still frees it as the modules are torn
    down. Not in `main`, which tests and embedders call in a process that lives on."""
    code = main()
    gc.freeze()
    raise SystemExit(code)


# -- opening the index ---------------------------------------------------------------


def _workspace(args: argparse.Namespace, settings: Settings) -> Path:
    from kenning.engine import find_workspace

    explicit = getattr(args, "path", None) or args.workspace
    if explicit is not None:
        if not explicit.is_dir():
            raise CliError(f"{explicit} is not a folder", ExitCode.USAGE)
        return explicit.resolve()
    return find_workspace(Path.cwd(), settings.index_dir)


def _open(args: argparse.Namespace, settings: Settings, write: bool, rebuild: bool = False) -> Any:
    from kenning.engine import Engine
    from kenning.storage.graph import GraphError
    from kenning.storage.index_dir import (
        IndexIncompatible,
        IndexIncomplete,
        IndexLocked,
        IndexMissing,
    )

    root = _workspace(args, settings)
    try:
        engine = Engine.open(root, settings, read_only=not write, rebuild=rebuild)
    except IndexMissing as exc:
        raise CliError(str(exc), ExitCode.NO_INDEX) from exc
    except (IndexLocked, IndexIncompatible, IndexIncomplete) as exc:
        raise CliError(str(exc), ExitCode.INDEX_UNUSABLE) from exc
    except GraphError as exc:
        raise CliError(
            f"{exc}; if the index is damaged, run `kenning index --rebuild`",
            ExitCode.INDEX_UNUSABLE,
        ) from exc
    if engine.repairs:
        print(f"kenning: {engine.repairs}", file=sys.stderr)
    return engine


def _emit_json(value: Any) -> None:
    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")


# -- commands ------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if getattr(args, "max_file_size", None) is not None:
        settings = msgspec.structs.replace(settings, max_file_size=args.max_file_size)
    changes: dict[str, Any] = {}
    if getattr(args, "model", None):
        changes["model"] = args.model
    if getattr(args, "threads", None) is not None:
        changes["threads"] = args.threads
    if getattr(args, "no_optimize", False):
        changes["optimize"] = False
    if getattr(args, "no_embeddings", False):
        changes["enabled"] = False
    if changes:
        try:
            embedding = msgspec.structs.replace(settings.embedding, **changes)
        except ValueError as exc:
            raise CliError(str(exc), ExitCode.USAGE) from exc
        settings = msgspec.structs.replace(settings, embedding=embedding)
    return settings


def cmd_index(args: argparse.Namespace) -> int:
    settings = _settings(args)
    client = _daemon(args, _workspace(args, settings), settings)
    if client is not None:
        if args.rebuild:
            return _reindex_through(client, args, [])
        print(f"kenning pid {client.owner.pid} owns {client.owner.workspace} and keeps its "
              "index current; `kenning status` shows how far it is", file=sys.stderr)  # fmt: skip
        return cmd_status(args)
    engine = _open(args, settings, write=True, rebuild=args.rebuild)
    with engine:
        with ParseProgress(enabled=not args.json) as progress:
            report = engine.index(rebuild=args.rebuild, progress=progress)
        if not args.json:
            _print_index_report(engine, report, args.timings)
        embedded = _embed(engine, args.json) if settings.embedding.enabled else None
    if args.json:
        _emit_json({**msgspec.to_builtins(report), "embedding": embedded})
    return ExitCode.OK


def cmd_embed(args: argparse.Namespace) -> int:
    settings = _settings(args)
    client = _daemon(args, _workspace(args, settings), settings)
    if client is not None:
        raise CliError(
            f"kenning pid {client.owner.pid} owns this index and embeds its chunks in the "
            "background; `kenning status` shows how far it is",
            ExitCode.INDEX_UNUSABLE,
        )
    engine = _open(args, settings, write=True)
    with engine:
        if not engine.graph.catalog():
            raise CliError(
                f"{engine.root} has no index yet; run `kenning index` first", ExitCode.NO_INDEX
            )
        if args.retry_failed:
            engine.retry_failed_embeddings()
        embedded = _embed(engine, args.json)
    if args.json:
        _emit_json(embedded)
    return ExitCode.OK


def _embed(engine: Any, quiet: bool) -> Any:
    """Run phase 2 to the end with a progress bar; Ctrl-C keeps finished batches."""
    bar = EmbedProgressBar(enabled=not quiet)
    # The status table keeps the last run; a start with nothing to embed makes none,
    # so "this run" is said only of a run that began here.
    last = msgspec.to_builtins(engine.embedding_status()).get("last_run") or {}
    before = last.get("started_at")
    try:
        with bar:
            progress = engine.embed(progress=bar.update)
    except KeyboardInterrupt:
        status = msgspec.to_builtins(engine.embedding_status())
        print(
            f"kenning: embedding stopped; {status.get('done', 0):,} of "
            f"{status.get('total', 0):,} texts embedded (every finished batch is "
            "kept); `kenning embed` resumes",
            file=sys.stderr,
        )
        raise
    if progress.state == "error":
        raise CliError(progress.note, ExitCode.ERROR)
    status = msgspec.to_builtins(engine.embedding_status())
    if not quiet:
        run = status.get("last_run") or {}
        line = (
            f"embedded {status.get('done', 0):,} of {status.get('total', 0):,} texts "
            f"with {status.get('model_id')}"
        )
        if run.get("embedded") and run.get("started_at") != before:
            line += f" ({run['embedded']:,} this run, {run['throughput']:.1f} texts/s)"
        print(line)
        if status.get("failed"):
            print(
                f"{status['failed']:,} texts failed to embed; see `kenning status`, "
                "`kenning embed --retry-failed` tries them again",
                file=sys.stderr,
            )
        if status.get("note"):
            print(status["note"], file=sys.stderr)
    return status


def _print_index_report(engine: Any, report: Any, timings: bool) -> None:
    print(
        f"indexed {engine.root}: {report.files:,} files ({report.parsed:,} parsed, "
        f"{report.deleted:,} removed, {len(report.skipped):,} skipped) in "
        f"{report.timings.get('total', 0):.2f} s"
    )
    if report.mode == "full":
        mix = ", ".join(f"{k} {v:,}" for k, v in report.call_resolution.items())
        print(
            f"{report.symbols:,} symbols, {report.chunks:,} chunks, {report.calls:,} calls ({mix})"
        )
    if report.diagnostics:
        print(f"{report.diagnostics:,} parse diagnostics (syntax errors, undecodable bytes)")
    for path, reason in report.skipped[:20]:
        print(f"  skipped {path}: {reason}", file=sys.stderr)
    if len(report.skipped) > 20:
        print(f"  ... and {len(report.skipped) - 20} more skipped", file=sys.stderr)
    if timings:
        for phase, seconds in report.timings.items():
            print(f"  {phase:<12} {seconds:8.3f} s")


class ParseProgress:
    """A rich progress bar on stderr while parsing, when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty() and "CI" not in os.environ
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[str, int, int], None] | None:
        if not self.enabled:
            return None
        from rich.progress import Progress

        self._bar = Progress(transient=True)
        self._bar.start()
        self._task = self._bar.add_task("parsing", total=None)

        def update(phase: str, done: int, total: int) -> None:
            self._bar.update(self._task, description=phase, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


class EmbedProgressBar:
    """Phase 2's progress bar on stderr (texts, rate, time left), on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty() and "CI" not in os.environ
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> EmbedProgressBar:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("embedding", total=None, rate="")
        return self

    def update(self, progress: Any) -> None:
        if self._bar is None:
            return
        rate = f"{progress.rate:.1f} texts/s" if progress.rate else ""
        description = "preparing the model" if progress.state == "preparing" else "embedding"
        self._bar.update(
            self._task,
            description=description,
            completed=progress.done,
            total=progress.total or None,
            rate=rate,
        )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


# -- the daemon, when one owns the workspace -------------------------------------------


def _daemon(args: argparse.Namespace, root: Path, settings: Settings) -> Any:
    """A client of the live daemon that owns the index of workspace `root`, else None."""
    from kenning.api.client import ApiClient
    from kenning.api.owner import find_owner

    if getattr(args, "no_daemon", False):
        return None
    record = find_owner(root / settings.index_dir)
    if record is None:
        return None
    try:
        return ApiClient(record)
    except OSError as exc:
        raise CliError(
            f"kenning pid {record.pid} owns {root}, but its token is unreadable: {exc}",
            ExitCode.INDEX_UNUSABLE,
        ) from exc


def _call(client: Any, method: Any, params: Any, unknown: ExitCode = ExitCode.ERROR) -> Any:
    """`method` on the daemon, decoded to its result struct; API errors as CliError."""
    from kenning.api.client import ApiError, OwnerGone

    try:
        raw = client.call(method.name, msgspec.to_builtins(params))
    except OwnerGone as exc:
        raise CliError(f"{exc}; run the command again to open the index directly",
                       ExitCode.INDEX_UNUSABLE) from exc  # fmt: skip
    except ApiError as exc:
        code = ExitCode.USAGE if exc.code == -32602 else unknown
        raise CliError(exc.message, code) from exc
    return msgspec.convert(raw, method.result)


def _local(uri: str | None, root: Path) -> str:
    """A result's URI as the path people type: relative to the workspace when inside."""
    from urllib.parse import unquote, urlparse

    if not uri:
        return "?"
    path = Path(unquote(urlparse(uri).path))
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


# -- queries --------------------------------------------------------------------------------


def cmd_search(args: argparse.Namespace) -> int:
    from kenning.server import convert
    from kenning.server import protocol as p

    if args.limit < 1:
        raise CliError("--limit must be at least 1", ExitCode.USAGE)
    settings = Settings()
    root = _workspace(args, settings)
    client = _daemon(args, root, settings)
    if client is not None:
        filters = p.SearchFilters(languages=args.lang, path_globs=args.path, kinds=args.kind)
        params = p.SearchParams(query=args.query, limit=min(args.limit, p.MAX_LIMIT),
                                filters=filters)  # fmt: skip
        result: p.SearchResult = _call(client, p.SEARCH, params)
    else:
        with _open(args, settings, write=False) as engine:
            found: SearchResult = engine.search(
                args.query, args.limit, languages=args.lang, path_globs=args.path, kinds=args.kind
            )
        result = p.SearchResult(
            query=args.query, hits=convert.search_hits(engine.root, found.hits),
            vectors_complete=found.vectors_complete, vector_coverage=found.vector_coverage,
            note=found.note,
        )  # fmt: skip
    if args.json:
        _emit_json(result)
        return ExitCode.OK
    if not result.hits:
        print("no results", file=sys.stderr)
    for hit in result.hits:
        print(f"{_local(hit.uri, root)}:{hit.range.start.line + 1}  {hit.symbol}  ({hit.kind})")
        for line in hit.snippet.splitlines():
            print(f"    {line}")
    if result.note:
        print(f"kenning: {result.note}", file=sys.stderr)
    if not result.vectors_complete and result.hits:
        if result.vector_coverage == 0:
            note = "text and symbol-name ranking only: no embeddings yet (`kenning embed`)"
        else:
            note = (
                f"embeddings cover {result.vector_coverage:.0%} of chunks; the rest were "
                "ranked by text and symbol names only"
            )
        print(f"({note})", file=sys.stderr)
    return ExitCode.OK


def cmd_symbols(args: argparse.Namespace) -> int:
    from kenning.server import convert
    from kenning.server import protocol as p

    settings = Settings()
    root = _workspace(args, settings)
    client = _daemon(args, root, settings)
    if client is not None:
        params = p.SymbolsParams(query=args.query, limit=max(1, min(args.limit, p.MAX_LIMIT)))
        found = _call(client, p.SYMBOLS, params).symbols
    else:
        with _open(args, settings, write=False) as engine:
            refs: list[SymbolRef] = engine.symbols(args.query, args.limit)
        found = [convert.node(engine.root, s) for s in refs]
    if args.json:
        _emit_json(found)
        return ExitCode.OK
    if not found:
        print(f"no symbol matches {args.query!r}", file=sys.stderr)
        return ExitCode.UNKNOWN_SYMBOL
    for sym in found:
        print(f"{_local(sym.uri, root)}:{sym.selection_range.start.line + 1}  "
              f"{sym.qualname}{sym.signature}  ({sym.kind})")  # fmt: skip
    return ExitCode.OK


def cmd_calls(args: argparse.Namespace) -> int:
    from kenning.server import convert
    from kenning.server import protocol as p

    _check_walk(args)
    settings = Settings()
    root = _workspace(args, settings)
    client = _daemon(args, root, settings)
    if client is not None:
        params = p.CallGraphParams(symbol=args.symbol, direction=args.direction,
                                   depth=args.depth,
                                   min_confidence=args.min_confidence)  # fmt: skip
        graph: p.CallGraphResult = _call(client, p.CALL_GRAPH, params, ExitCode.UNKNOWN_SYMBOL)
    else:
        with _open(args, settings, write=False) as engine:
            found: CallGraph = engine.call_graph(
                _one_symbol(engine, args.symbol), args.direction, args.depth, args.min_confidence
            )
        graph = convert.call_graph(engine.root, found)
    if args.json:
        _emit_json(graph)
        return ExitCode.OK
    _print_graph(graph, root)
    return ExitCode.OK


def _check_walk(args: argparse.Namespace) -> None:
    if not 1 <= args.depth <= 10:
        raise CliError("--depth must be between 1 and 10", ExitCode.USAGE)
    if not 0.0 <= args.min_confidence <= 1.0:
        raise CliError("--min-confidence must be between 0 and 1", ExitCode.USAGE)


def _one_symbol(engine: Any, name: str) -> SymbolRef:
    """The one definition `name` names; unknown and ambiguous names are usage errors."""
    from kenning.query.symbols import UnknownSymbol

    try:
        roots: list[SymbolRef] = engine.resolve_symbol(name)
    except UnknownSymbol as exc:
        raise CliError(str(exc), ExitCode.UNKNOWN_SYMBOL) from exc
    if len(roots) > 1:
        names = ", ".join(r.qualname for r in roots[:10])
        raise CliError(
            f"{name!r} is ambiguous: {names}; give a qualified name", ExitCode.UNKNOWN_SYMBOL
        )
    return roots[0]


def cmd_impact(args: argparse.Namespace) -> int:
    from kenning.server import convert
    from kenning.server import protocol as p

    _check_walk(args)
    settings = Settings()
    root = _workspace(args, settings)
    client = _daemon(args, root, settings)
    if client is not None:
        params = p.ImpactParams(symbol=args.symbol, depth=args.depth,
                                min_confidence=args.min_confidence)  # fmt: skip
        result: p.ImpactResult = _call(client, p.IMPACT, params, ExitCode.UNKNOWN_SYMBOL)
    else:
        with _open(args, settings, write=False) as engine:
            found = engine.impact(_one_symbol(engine, args.symbol), args.depth, args.min_confidence)
        result = convert.impact(engine.root, found)
    if args.json:
        _emit_json(result)
        return ExitCode.OK
    _print_impact(result, root)
    return ExitCode.OK


def _print_impact(result: Any, root_dir: Path) -> None:
    """Callers by file, nearest first; those reached only through candidate edges apart."""
    top = result.root
    print(f"{top.qualname}  {_local(top.uri, root_dir)}:{top.selection_range.start.line + 1}")
    resolved = sum(len(f.callers) for f in result.files)
    files = len(result.files)
    print(f"{resolved} caller{'s' * (resolved != 1)} in {files} file{'s' * (files != 1)}, "
          f"up to {result.depth} calls away")  # fmt: skip

    def show(files: list[Any]) -> None:
        for group in files:
            print(f"  {_local(group.uri, root_dir)}")
            for caller in sorted(group.callers, key=lambda c: (c.distance, -c.confidence)):
                sites = ", ".join(str(s.start.line + 1) for s in caller.call_sites)
                print(f"    {caller.symbol.qualname}  (distance {caller.distance}, line "
                      f"{sites})  [{caller.resolution} {caller.confidence:.2f}]")  # fmt: skip

    show(result.files)
    if result.candidates:
        guessed = sum(len(f.callers) for f in result.candidates)
        print(f"reached only through candidates (matched by name, not resolved): {guessed}")
        show(result.candidates)


def cmd_export(args: argparse.Namespace) -> int:
    """Stream the index as JSON Lines (`docs/export.md`).

    Always reads the index directly, read-only, even when a daemon owns it: the
    export is a stream of the whole graph, which the daemon's request-and-answer API
    would have to hold in memory at once, and a read-only reader never disturbs the
    owner (it sees the last committed state).
    """
    from kenning.query.export import export_jsonl

    with _open(args, Settings(), write=False) as engine:
        if args.output is None:
            export_jsonl(engine.graph, sys.stdout.write)
        else:
            with args.output.open("w", encoding="utf-8") as out:
                count = export_jsonl(engine.graph, out.write)
            print(f"{count} records written to {args.output}", file=sys.stderr)
    return ExitCode.OK


def _print_graph(graph: Any, root_dir: Path) -> None:
    nodes = {n.id: n for n in graph.nodes}
    incoming = graph.direction == "incoming"
    by_node: dict[str, list[Any]] = {}
    for edge in graph.edges:
        by_node.setdefault(edge.callee if incoming else edge.caller, []).append(edge)
    root = graph.root
    print(f"{root.qualname}  {_local(root.uri, root_dir)}:{root.selection_range.start.line + 1}")
    seen = {root.id}

    def walk(node_id: str, level: int) -> None:
        for edge in by_node.get(node_id, []):
            other_id = edge.caller if incoming else edge.callee
            other = nodes.get(other_id)
            label = other.qualname if other else other_id
            if other is not None and other.kind == "external":
                label = f"{other.qualname} (external)"
            print(f"{'  ' * level}{'<-' if incoming else '->'} {label}  "
                  f"{_local(edge.uri, root_dir)}:{edge.range.start.line + 1}  "
                  f"[{edge.resolution} {edge.confidence:.2f}]")  # fmt: skip
            if other_id not in seen and level < graph.depth:
                seen.add(other_id)
                walk(other_id, level + 1)

    walk(root.id, 1)
    if not graph.edges:
        print(f"  (no {'callers' if incoming else 'callees'} found)")
    if graph.candidates:
        # Apart: a name several definitions share, nothing telling which one is meant.
        print(f"candidates (matched by name only, not resolved): {len(graph.candidates)}")
        for edge in graph.candidates:
            other_id = edge.caller if incoming else edge.callee
            other = nodes.get(other_id)
            label = other.qualname if other else other_id
            print(f"  {'<-' if incoming else '->'} {label}  "
                  f"{_local(edge.uri, root_dir)}:{edge.range.start.line + 1}  "
                  f"[{edge.resolution} {edge.confidence:.2f}]")  # fmt: skip


def _address(option: str, value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise CliError(f"{option} wants HOST:PORT, not {value!r}", ExitCode.USAGE)
    return host.strip("[]"), int(port)


def _api_address(args: argparse.Namespace) -> tuple[str, int]:
    from kenning.server.http import is_loopback

    host, port = _address("--http", args.http)
    if not is_loopback(host):
        if not args.allow_remote:
            raise CliError(
                f"--http {args.http} is not a loopback address; the API would be reachable "
                "from other machines. Add --allow-remote if that is what you want",
                ExitCode.USAGE,
            )
        print(
            f"kenning: warning: serving the HTTP API on {host}, reachable from other "
            "machines; anyone with the token can read the index",
            file=sys.stderr,
        )
    return host, port


def cmd_serve(args: argparse.Namespace) -> int:
    from kenning.server import serve

    tcp = _address("--tcp", args.tcp) if args.tcp else None
    api = None if args.no_http else _api_address(args)
    return serve(tcp, args.log_file, args.log_level, api=api)


def cmd_daemon(args: argparse.Namespace) -> int:
    from kenning.server import AlreadyServed, run_daemon

    root = _workspace(args, Settings())
    try:
        settings = {"embedding": {"enabled": not args.no_embeddings}}
        return run_daemon(root, _api_address(args), args.log_file, args.log_level, settings)
    except AlreadyServed as exc:
        raise CliError(str(exc), ExitCode.INDEX_UNUSABLE) from exc


def cmd_mcp(args: argparse.Namespace) -> int:
    from kenning.server.mcp import run_mcp

    root = _workspace(args, Settings())
    settings = {"embedding": {"enabled": not args.no_embeddings}}
    return run_mcp(root, _api_address(args), args.log_file, args.log_level, settings)


def cmd_reindex(args: argparse.Namespace) -> int:
    settings = Settings()
    for path in args.paths:
        if not path.exists():
            raise CliError(f"{path} does not exist", ExitCode.USAGE)
    root = _workspace(args, settings)
    client = _daemon(args, root, settings)
    if client is not None:
        return _reindex_through(client, args, args.paths)
    rels = []
    for path in args.paths:
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            raise CliError(f"{path} is outside the workspace {root}", ExitCode.OUTSIDE_WORKSPACE)
        rel = resolved.relative_to(root).as_posix()
        if resolved.is_dir() and rel != ".":
            raise CliError(f"{path} is a folder: reindex takes files, or the workspace "
                           "itself", ExitCode.USAGE)  # fmt: skip
        rels.append(rel)
    with _open(args, settings, write=True, rebuild=not rels or "." in rels) as engine:
        if not rels or "." in rels:
            report = engine.index(rebuild=True)
            print(f"reindexed {root}: {report.files:,} files", file=sys.stderr)
        else:
            engine.apply_changes([(rel, None) for rel in rels])
            print(f"reindexed {len(rels)} path(s)", file=sys.stderr)
    return ExitCode.OK


def _reindex_through(client: Any, args: argparse.Namespace, paths: list[Path]) -> int:
    from kenning.server import protocol as p

    params = p.ReindexParams(uris=[path.resolve().as_uri() for path in paths])
    result: p.CommandResult = _call(client, p.REINDEX_REQUEST, params)
    if args.json:
        _emit_json(result)
    else:
        print(f"kenning pid {client.owner.pid}: {result.message}", file=sys.stderr)
    return ExitCode.OK


def cmd_status(args: argparse.Namespace) -> int:
    settings = Settings()
    client = _daemon(args, _workspace(args, settings), settings)
    if client is not None:
        return _print_daemon_status(client, args)
    engine = _open(args, settings, write=False)
    with engine:
        status = msgspec.to_builtins(engine.status())
    if args.json:
        _emit_json(status)
        return ExitCode.OK
    print(f"workspace  {status['workspace']}")
    print(f"index      {status['index']}")
    print(f"files      {status['files']:,}")
    print(f"symbols    {status['symbols']:,}")
    print(f"chunks     {status['chunks']:,}")
    _print_embedding_status(status["embedding"])
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(status["call_resolution"].items()))
    print(f"calls      {status['calls']:,}  ({mix})")
    print(f"imports    {status['imports']:,}   inherits {status['inherits']:,}")
    if status["diagnostics"]:
        print(f"diagnostics {status['diagnostics']:,}")
    if status["owner"]:
        print(f"writer     {status['owner']}")
    return ExitCode.OK


def _print_daemon_status(client: Any, args: argparse.Namespace) -> int:
    from kenning.server import protocol as p

    status: p.StatusResult = _call(client, p.STATUS, p.StatusParams())
    if args.json:
        _emit_json(
            {
                "daemon": {"pid": client.owner.pid, "url": client.owner.url},
                **msgspec.to_builtins(status),
            }
        )
        return ExitCode.OK
    print(f"workspace  {client.owner.workspace}")
    print(f"daemon     kenning pid {client.owner.pid} at {client.owner.url}")
    print(f"phase      {status.phase} ({status.health}): {status.message}")
    print(f"files      {status.files:,}")
    print(f"symbols    {status.symbols:,}")
    print(f"chunks     {status.chunks:,}")
    print(f"embedding  {status.embedded:,} embedded, {status.pending:,} pending, "
          f"{status.failed:,} failed")  # fmt: skip
    return ExitCode.OK


def _print_embedding_status(emb: dict[str, Any]) -> None:
    if not emb.get("model_id"):
        state = "off" if not emb.get("enabled") else "not started (`kenning embed`)"
        print(f"embedding  {state}")
        return
    print(
        f"embedding  {emb['done']:,} of {emb['total']:,} texts ({emb['coverage']:.0%}), "
        f"{emb['pending']:,} pending, {emb['failed']:,} failed"
    )
    print(f"model      {emb['model_id']}  ({emb.get('vector_search', 'exact')} vector search)")
    if emb.get("active_model_id") and emb["active_model_id"] != emb["model_id"]:
        print(f"           search uses {emb['active_model_id']} until the new model catches up")
    run = emb.get("last_run")
    if run:
        print(
            f"last run   {run['state']}: {run['embedded']:,} embedded, "
            f"{run['throughput']:.1f} texts/s"
        )
    for failure in emb.get("failures", []):
        print(f"  failed   {failure['text_hash'][:12]} after {failure['attempts']} tries: "
              f"{failure['error']}")  # fmt: skip
    if emb.get("note"):
        print(f"note       {emb['note']}")
