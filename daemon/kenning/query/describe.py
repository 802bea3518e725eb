"""Describing a symbol for a reader who has not seen it: its definitions with doc
comment, code (bounded) and a few callers and callees.

The code is the definition's chunks joined in line order — what the index holds, so an
editor's unsaved buffer shows as typed — and a class is its outline (members reduced to
their signatures), as the chunker cuts it. A name that matches nothing is no error: the
description is empty and carries close matches to try instead.
"""

from __future__ import annotations

from kenning.core.results import Description, SymbolDetail, SymbolRef
from kenning.query.symbols import UnknownSymbol, resolve_symbol
from kenning.storage.layered import ChunkReader, GraphReader

MAX_DEFINITIONS = 20
MAX_CODE_CHARS = 20_000
MAX_NEIGHBOURS = 50


def describe(
    graph: GraphReader,
    chunks: ChunkReader,
    text: str,
    limit: int = 5,
    max_code_chars: int = 4000,
    neighbours: int = 5,
) -> Description:
    """The definitions `text` names (qualified name, dotted suffix, bare name or id),
    at most `limit` of them, each with at most `neighbours` callers and callees."""
    if not 1 <= limit <= MAX_DEFINITIONS:
        raise ValueError(f"limit must be between 1 and {MAX_DEFINITIONS}, not {limit}")
    if not 1 <= max_code_chars <= MAX_CODE_CHARS:
        raise ValueError(f"maxCodeChars must be between 1 and {MAX_CODE_CHARS}")
    if not 0 <= neighbours <= MAX_NEIGHBOURS:
        raise ValueError(f"neighbours must be between 0 and {MAX_NEIGHBOURS}")
    try:
        matches = resolve_symbol(graph, text)
    except UnknownSymbol as unknown:
        return Description(query=text, symbols=[], total=0, suggestions=unknown.suggestions)
    shown = matches[:limit]
    ids = [s.id for s in shown]
    docs = graph.docstrings(ids)
    pieces: dict[str, list[dict]] = {}
    for row in chunks.by_symbols(ids):
        pieces.setdefault(row["symbol_id"], []).append(row)
    callers = _neighbours(graph, ids, incoming=True)
    callees = _neighbours(graph, ids, incoming=False)
    details = []
    for symbol in shown:
        code, start, truncated = _code(symbol, pieces.get(symbol.id, []), max_code_chars)
        caller_ids = callers.get(symbol.id, [])
        callee_ids = callees.get(symbol.id, [])
        details.append(
            SymbolDetail(
                symbol=symbol,
                docstring=docs.get(symbol.id, ""),
                code=code,
                code_start_line=start,
                truncated=truncated,
                callers=_refs(graph, caller_ids[:neighbours]),
                callees=_refs(graph, callee_ids[:neighbours]),
                caller_count=len(caller_ids),
                callee_count=len(callee_ids),
            )
        )
    # Other definitions of the name, beyond the limit, are named for a follow-up.
    rest = [s.id for s in matches[limit:]][:MAX_DEFINITIONS]
    return Description(query=text, symbols=details, total=len(matches), suggestions=rest)


def _code(symbol: SymbolRef, rows: list[dict], max_chars: int) -> tuple[str, int, bool]:
    """The symbol's chunks joined in line order, cut after the last whole line that
    fits in `max_chars` (at least one line, itself cut if it alone is longer)."""
    rows = sorted(rows, key=lambda r: r["start_line"])
    if not rows:
        return "", symbol.span.start_line, False
    lines: list[str] = []
    for row in rows:
        lines += str(row["code"]).splitlines()
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > max_chars:
            if not out:
                out.append(line[:max_chars])
            return "\n".join(out), rows[0]["start_line"], True
        out.append(line)
        size += len(line) + 1
    return "\n".join(out), rows[0]["start_line"], False


def _neighbours(graph: GraphReader, ids: list[str], incoming: bool) -> dict[str, list[str]]:
    """symbol id -> the distinct ids of its callers (or callees), in call-site order."""
    found: dict[str, list[str]] = {}
    for edge in graph.call_edges(ids, incoming=incoming):
        mine, other = (edge.callee, edge.caller) if incoming else (edge.caller, edge.callee)
        seen = found.setdefault(mine, [])
        if other not in seen:
            seen.append(other)
    return found


def _refs(graph: GraphReader, ids: list[str]) -> list[SymbolRef]:
    by_id = {s.id: s for s in graph.symbols_by_ids(ids)}
    return [by_id[i] for i in ids if i in by_id]
