"""`kenning` subcommands: index, search, symbols, callers, callees, status.

Human output goes to stdout with 1-based `path:line` locations (as compilers print
them); `--json` prints the engine's structs instead, with 0-based LSP ranges. Progress
and errors go to stderr. Exit codes are stable so scripts can rely on them (see
`ExitCode`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import Any

import msgspec

from kenning import __version__
from kenning.core.results import CallGraph, SearchResult, SymbolRef
from kenning.core.settings import Settings


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
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="kenning", description="Index a code workspace and query its graph and text."
    )
    parser.add_argument("--version", action="version", version=f"kenning {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", parents=[common], help="index a workspace (phase 1)")
    p.add_argument("path", nargs="?", type=Path, help="workspace folder (default: found)")
    p.add_argument("--rebuild", action="store_true", help="discard the index and start over")
    p.add_argument("--timings", action="store_true", help="print per-phase timings")
    p.add_argument("--max-file-size", type=int, help="skip files larger than this (bytes)")
    p.set_defaults(run=cmd_index)

    p = sub.add_parser("search", parents=[common], help="full-text and symbol-name search")
    p.add_argument("query", help="words to look for")
    p.add_argument("--limit", "-n", type=int, default=10, help="results (default 10)")
    p.add_argument("--lang", action="append", default=[], help="only this language")
    p.add_argument("--path", action="append", default=[], help="only paths matching GLOB")
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        help="only chunks of this kind (function, method, class, module)",
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
        p.set_defaults(run=cmd_calls, direction=direction)

    p = sub.add_parser("status", parents=[common], help="what the index holds")
    p.set_defaults(run=cmd_status)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        code = run(args)
        # Flush here, not at interpreter exit, so a closed pipe is handled below.
        sys.stdout.flush()
        return code
    except CliError as exc:
        print(f"kenning: {exc}", file=sys.stderr)
        return int(exc.code)
    except KeyboardInterrupt:
        print("kenning: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`kenning search x | head`): not an error. Point stdout
        # at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK


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
    from kenning.storage.index_dir import IndexIncompatible, IndexLocked, IndexMissing

    root = _workspace(args, settings)
    try:
        return Engine.open(root, settings, read_only=not write, rebuild=rebuild)
    except IndexMissing as exc:
        raise CliError(str(exc), ExitCode.NO_INDEX) from exc
    except (IndexLocked, IndexIncompatible) as exc:
        raise CliError(str(exc), ExitCode.INDEX_UNUSABLE) from exc
    except GraphError as exc:
        raise CliError(
            f"{exc}; if the index is damaged, run `kenning index --rebuild`",
            ExitCode.INDEX_UNUSABLE,
        ) from exc


def _emit_json(value: Any) -> None:
    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")


# -- commands ------------------------------------------------------------------------


def cmd_index(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.max_file_size is not None:
        settings = msgspec.structs.replace(settings, max_file_size=args.max_file_size)
    engine = _open(args, settings, write=True, rebuild=args.rebuild)
    with engine, ParseProgress(enabled=not args.json) as progress:
        report = engine.index(rebuild=args.rebuild, progress=progress)
    if args.json:
        _emit_json(report)
        return ExitCode.OK
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
    if args.timings:
        for phase, seconds in report.timings.items():
            print(f"  {phase:<12} {seconds:8.3f} s")
    return ExitCode.OK


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


def cmd_search(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1", ExitCode.USAGE)
    engine = _open(args, Settings(), write=False)
    with engine:
        result: SearchResult = engine.search(
            args.query, args.limit, languages=args.lang, path_globs=args.path, kinds=args.kind
        )
    if args.json:
        _emit_json(result)
        return ExitCode.OK
    if not result.hits:
        print("no results", file=sys.stderr)
    for hit in result.hits:
        print(f"{hit.path}:{hit.start_line + 1}  {hit.symbol}  ({hit.kind})")
        for line in hit.snippet.splitlines():
            print(f"    {line}")
    if not result.vectors_complete and result.hits:
        print("(text and symbol-name ranking; no embeddings yet)", file=sys.stderr)
    return ExitCode.OK


def cmd_symbols(args: argparse.Namespace) -> int:
    engine = _open(args, Settings(), write=False)
    with engine:
        found: list[SymbolRef] = engine.symbols(args.query, args.limit)
    if args.json:
        _emit_json(found)
        return ExitCode.OK
    if not found:
        print(f"no symbol matches {args.query!r}", file=sys.stderr)
        return ExitCode.UNKNOWN_SYMBOL
    for sym in found:
        print(f"{sym.path}:{sym.selection.start_line + 1}  {sym.qualname}{sym.signature}  "
              f"({sym.kind})")  # fmt: skip
    return ExitCode.OK


def cmd_calls(args: argparse.Namespace) -> int:
    from kenning.query.symbols import UnknownSymbol

    if not 1 <= args.depth <= 10:
        raise CliError("--depth must be between 1 and 10", ExitCode.USAGE)
    engine = _open(args, Settings(), write=False)
    with engine:
        try:
            roots = engine.resolve_symbol(args.symbol)
        except UnknownSymbol as exc:
            raise CliError(str(exc), ExitCode.UNKNOWN_SYMBOL) from exc
        if len(roots) > 1:
            names = ", ".join(r.qualname for r in roots[:10])
            raise CliError(
                f"{args.symbol!r} is ambiguous: {names}; give a qualified name",
                ExitCode.UNKNOWN_SYMBOL,
            )
        graph = engine.call_graph(roots[0], args.direction, args.depth)
    if args.json:
        _emit_json(graph)
        return ExitCode.OK
    _print_graph(graph)
    return ExitCode.OK


def _print_graph(graph: CallGraph) -> None:
    nodes = {n.id: n for n in graph.nodes}
    incoming = graph.direction == "incoming"
    by_node: dict[str, list[Any]] = {}
    for edge in graph.edges:
        by_node.setdefault(edge.callee if incoming else edge.caller, []).append(edge)
    root = graph.root
    print(f"{root.qualname}  {root.path}:{root.selection.start_line + 1}")
    seen = {root.id}

    def walk(node_id: str, level: int) -> None:
        for edge in by_node.get(node_id, []):
            other_id = edge.caller if incoming else edge.callee
            other = nodes.get(other_id)
            label = other.qualname if other else other_id
            if other is not None and other.kind == "external":
                label = f"{other.qualname} (external)"
            print(f"{'  ' * level}{'<-' if incoming else '->'} {label}  "
                  f"{edge.path}:{edge.span.start_line + 1}  [{edge.resolution} "
                  f"{edge.confidence:.2f}]")  # fmt: skip
            if other_id not in seen and level < graph.depth:
                seen.add(other_id)
                walk(other_id, level + 1)

    walk(root.id, 1)
    if not graph.edges:
        print(f"  (no {'callers' if incoming else 'callees'} found)")


def cmd_status(args: argparse.Namespace) -> int:
    engine = _open(args, Settings(), write=False)
    with engine:
        status = engine.status()
    if args.json:
        _emit_json(status)
        return ExitCode.OK
    print(f"workspace  {status['workspace']}")
    print(f"index      {status['index']}")
    print(f"files      {status['files']:,}")
    print(f"symbols    {status['symbols']:,}")
    print(
        f"chunks     {status['chunks']:,}  (embedding: "
        + ", ".join(f"{k} {v:,}" for k, v in status["embedding"].items())
        + ")"
    )
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(status["call_resolution"].items()))
    print(f"calls      {status['calls']:,}  ({mix})")
    print(f"imports    {status['imports']:,}   inherits {status['inherits']:,}")
    if status["diagnostics"]:
        print(f"diagnostics {status['diagnostics']:,}")
    if status["owner"]:
        print(f"writer     {status['owner']}")
    return ExitCode.OK
